r"""``DataLoader``: split a data set into batches, one epoch at a time.

The batch size decides which algorithm a gradient step is:

========================  ============================  ======================================================
``batch_size``            name                          gradient of one step
========================  ============================  ======================================================
``None`` (all N samples)  full batch: gradient descent  :math:`\frac1N \sum_{i=1}^N \nabla \ell_i(\theta)`, exact
``1``                     stochastic gradient descent   :math:`\nabla \ell_i(\theta)`, one random sample
``k`` (1 < k < N)         mini-batch SGD                :math:`\frac1k \sum_{i \in B} \nabla \ell_i(\theta)`, unbiased
========================  ============================  ======================================================

An *epoch* is one pass over the data: every sample is used exactly once, in the order of a fresh random
permutation (sampling **without** replacement). An *iteration* is one batch, i.e. one optimiser step;
``len(loader)`` is the number of iterations per epoch, :math:`\lceil N / k \rceil` (or
:math:`\lfloor N / k \rfloor` with ``drop_last=True``).

The permutation of epoch :math:`e` is drawn from a generator seeded with ``(seed, e)``, so an epoch's order
depends only on the seed and the epoch number: the same seed gives the same batches in every run, and
different epochs get different orders.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._random import generator
from .._validation import check_flag
from ..tensor import Tensor, get_default_dtype

__all__ = ["DataLoader", "as_array"]


def as_array(data: Any, what: str, *, labels: bool = False) -> np.ndarray:
    """``data`` (numpy array, Tensor or nested list) as a numpy array, following the library's dtype rule.

    numpy arrays and Tensors keep their dtype. Lists of floats become the default dtype (float32 unless
    ``tg.set_default_dtype`` changed it); lists of integers do too, except for ``labels=True`` (the targets),
    where integers stay integers so that they can be class labels.
    """
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.asarray(data)
        except ValueError as err:
            raise ValueError(f"{what} must be a rectangular array, got {type(data).__name__}: {err}") from None
        if arr.dtype.kind == "f" or (arr.dtype.kind in "iu" and not labels):
            arr = arr.astype(get_default_dtype())
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} must be numeric (bool, integer or float), got dtype {arr.dtype} from "
            f"{type(data).__name__}{_numeric_hint(data, arr)}"
        )
    return arr


def _numeric_hint(data: Any, arr: np.ndarray) -> str:
    """How to turn a common non-numeric input into numbers (the fix part of ``as_array``'s message)."""
    if hasattr(data, "X") and hasattr(data, "y"):  # a Dataset (load_iris): unpack it
        return "; unpack the data set first: X, y = dataset, then pass X and y"
    if data is None:
        return "; pass the data (a numpy array, a Tensor or a nested list of numbers)"
    if arr.dtype.kind in "US":
        return "; convert text to numbers first, e.g. np.asarray(values, dtype=float) or class labels 0..C-1"
    return "; pass a numpy array, a Tensor or a nested list of numbers (stack a list of Tensors with tg.stack)"


def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"DataLoader: seed must be None or a non-negative int, got seed={seed!r}; e.g. seed=0, or None to "
            "draw one from tg.manual_seed"
        )
    return int(seed)


def _check_epoch(epoch: Any, fn: str) -> int:
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"{fn}: epoch must be a non-negative int (0 is the first epoch), got {epoch!r}")
    return int(epoch)


class DataLoader:
    r"""Iterate over a data set in batches; each ``for`` loop over the loader is one epoch.

    Parameters
    ----------
    X : array-like, shape (N, ...)
        The inputs: a numpy array, a Tensor or a nested list; the first axis indexes the samples.
    y : array-like, shape (N, ...), optional
        The targets, aligned with ``X`` (labels (N,), values (N, 1), ...). Without ``y`` the loader yields
        only input batches.
    batch_size : int or None, default None
        Samples per batch: ``None`` is the full batch (gradient descent, one iteration per epoch), ``1`` is
        stochastic gradient descent, ``k`` is mini-batch SGD. Must satisfy ``1 <= batch_size <= N``.
    shuffle : bool, default True
        Visit the samples in a fresh random order every epoch. A full batch is always yielded in the data's
        own order: its mean gradient does not depend on the order, and keeping it makes gradient descent
        bit-for-bit deterministic (the loss of GD with a small enough learning rate then decreases at every
        step, without rounding noise from reordered sums).
    drop_last : bool, default False
        If ``N`` is not a multiple of ``batch_size``, drop the last, smaller batch (then the left-over
        samples of an epoch are not used in that epoch; with shuffling they differ from epoch to epoch).
    seed : int or None, default None
        Seed of the shuffles. ``None`` draws one from the library's generator (``tg.manual_seed``) when the
        loader is created, so a seeded script is still reproducible.

    Attributes
    ----------
    X, y : numpy.ndarray
        The data (``y`` is None without targets). The loader keeps its own copies.
    batch_size : int
        The resolved batch size (``N`` for the full batch).
    epoch : int
        How many epochs were started (0 before the first ``for`` loop). The next loop uses the permutation
        of epoch ``epoch``; :meth:`set_epoch` moves it.

    Yields
    ------
    (Tensor, Tensor) or Tensor
        ``(X_batch, y_batch)``, or ``X_batch`` alone without ``y``; constants (``requires_grad=False``) that
        keep the data's dtype.

    Raises
    ------
    ValueError
        Empty data, ``X`` and ``y`` of different lengths, ``batch_size`` outside ``[1, N]``, a negative seed.
    TypeError
        Non-numeric data, a ``batch_size`` that is not an int, non-bool flags.

    Examples
    --------
    >>> import numpy as np
    >>> import tinygrad_edu as tg
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> loader = tg.data.DataLoader(X, y, batch_size=2, seed=0)
    >>> len(loader), loader.batch_sizes
    (3, [2, 2, 1])
    >>> [yb.tolist() for _, yb in loader]                   # epoch 0: a permutation, in batches
    [[2, 4], [3, 0], [1]]
    >>> sorted(int(v) for _, yb in loader for v in yb.data)   # epoch 1: another order, same samples
    [0, 1, 2, 3, 4]
    >>> tg.data.DataLoader(X, y).mode, len(tg.data.DataLoader(X, y))
    ('full batch', 1)
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        self.X = np.array(as_array(X, "DataLoader: X"), copy=True)
        self.y = None if y is None else np.array(as_array(y, "DataLoader: y", labels=True), copy=True)
        self._check_data()
        self.shuffle = check_flag(shuffle, "shuffle", "DataLoader")
        self.drop_last = check_flag(drop_last, "drop_last", "DataLoader")
        self.batch_size = self._check_batch_size(batch_size)
        seed = _check_seed(seed)
        self.seed = seed
        # None: one draw from the library's generator now, so tg.manual_seed(...) makes the orders repeatable
        self._base_seed = int(generator().integers(2**63)) if seed is None else seed
        self.epoch = 0

    # ---- validation -------------------------------------------------------------------------------------

    def _check_data(self) -> None:
        if self.X.ndim == 0:
            raise ValueError(
                f"DataLoader: X must have a first axis that indexes the samples, got a scalar (shape {self.X.shape})"
            )
        if len(self.X) == 0:
            raise ValueError(
                f"DataLoader: X must hold at least one sample, got an empty data set (X has shape {self.X.shape}); "
                "pass at least one sample"
            )
        if self.y is None:
            return
        if self.y.ndim == 0:
            raise ValueError(f"DataLoader: y must have one entry per sample, got a scalar (shape {self.y.shape})")
        if len(self.y) != len(self.X):
            raise ValueError(
                f"DataLoader: X and y must have the same number of samples, got X of shape {self.X.shape} "
                f"({len(self.X)} samples) and y of shape {self.y.shape} ({len(self.y)} samples)"
            )

    def _check_batch_size(self, batch_size: Any) -> int:
        n = len(self.X)
        if batch_size is None:
            return n
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(
                f"DataLoader: batch_size must be an int or None (full batch), got {batch_size!r} "
                f"({type(batch_size).__name__})"
            )
        if batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be >= 1, got batch_size={batch_size}; use 1 for stochastic gradient "
                "descent or None for the full batch"
            )
        if batch_size > n:
            what_happens = (
                "with drop_last=True every batch would be dropped and an epoch would have no iterations"
                if self.drop_last
                else f"with drop_last=False the only batch would hold {n} samples, not {batch_size}"
            )
            raise ValueError(
                f"DataLoader: batch_size={batch_size} is larger than the data set ({n} samples): {what_happens}. "
                f"Use batch_size=None (or {n}) for full-batch gradient descent, or a smaller batch size"
            )
        return int(batch_size)

    # ---- sizes ------------------------------------------------------------------------------------------

    @property
    def n_samples(self) -> int:
        """N, the number of samples in the data set."""
        return len(self.X)

    @property
    def full_batch(self) -> bool:
        """True when one batch holds the whole data set (gradient descent)."""
        return self.batch_size == self.n_samples

    @property
    def mode(self) -> str:
        """``"full batch"``, ``"stochastic"`` (batch size 1) or ``"mini-batch"``."""
        if self.full_batch:
            return "full batch"
        return "stochastic" if self.batch_size == 1 else "mini-batch"

    def __len__(self) -> int:
        """Iterations per epoch: :math:`\\lceil N/k \\rceil`, or :math:`\\lfloor N/k \\rfloor` with drop_last."""
        n, k = self.n_samples, self.batch_size
        return n // k if self.drop_last else math.ceil(n / k)

    @property
    def batch_sizes(self) -> list[int]:
        """The size of each batch of an epoch, in order (the last one may be smaller)."""
        n, k = self.n_samples, self.batch_size
        sizes = [k] * (n // k)
        if n % k and not self.drop_last:
            sizes.append(n % k)
        return sizes

    @property
    def samples_per_epoch(self) -> int:
        """Samples used per epoch: N, minus the dropped remainder with ``drop_last``."""
        return sum(self.batch_sizes)

    # ---- iteration --------------------------------------------------------------------------------------

    def permutation(self, epoch: int) -> np.ndarray:
        """The order in which epoch ``epoch`` visits the samples (``arange(N)`` without shuffling)."""
        epoch = _check_epoch(epoch, "DataLoader.permutation")
        if not self.shuffle or self.full_batch:
            return np.arange(self.n_samples)
        return np.random.default_rng([self._base_seed, epoch]).permutation(self.n_samples)

    def set_epoch(self, epoch: int) -> None:
        """Make the next ``for`` loop use epoch ``epoch``'s order (e.g. 0 to replay a run from the start)."""
        self.epoch = _check_epoch(epoch, "DataLoader.set_epoch")

    def state_dict(self) -> dict[str, int]:
        """What decides the order of the coming epochs: the epoch counter and the shuffling seed (the one drawn
        from ``tg.manual_seed`` when ``seed=None``), with the data set's size to check a resume against.

        Save it with a checkpoint (``tg.save_checkpoint(..., loader=loader)``) so that a resumed run visits the
        same batches as an uninterrupted one.
        """
        return {"epoch": self.epoch, "seed": self._base_seed, "n_samples": self.n_samples}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`: the next ``for`` loop uses the saved epoch's order."""
        if not isinstance(state_dict, dict) or not {"epoch", "seed"} <= set(state_dict):
            is_dict = isinstance(state_dict, dict)
            got = f"a dict with keys {sorted(map(str, state_dict))}" if is_dict else repr(state_dict)
            raise ValueError(
                f"DataLoader.load_state_dict: state_dict must be a dict with 'epoch' and 'seed', got {got[:120]}; "
                "pass what loader.state_dict() returned"
            )
        n = state_dict.get("n_samples", self.n_samples)
        if n != self.n_samples:
            raise ValueError(
                f"DataLoader.load_state_dict: the state was saved for a data set of {n} samples, this loader has "
                f"{self.n_samples}: the batches would differ"
            )
        seed = _check_seed(state_dict["seed"])
        self.set_epoch(state_dict["epoch"])
        self._base_seed = seed if seed is not None else self._base_seed

    def __iter__(self) -> Iterator[Any]:
        epoch = self.epoch
        self.epoch += 1
        return self._batches(epoch)

    def _batches(self, epoch: int) -> Iterator[Any]:
        X, y = self.X, self.y
        # without shuffling, contiguous slices: views, no copy
        order = None if not self.shuffle or self.full_batch else self.permutation(epoch)
        start = 0
        for size in self.batch_sizes:
            stop = start + size
            if order is None:
                xb, yb = X[start:stop], None if y is None else y[start:stop]
            else:
                idx = order[start:stop]
                xb, yb = X[idx], None if y is None else y[idx]
            start = stop
            # Tensor._make wraps without a second copy; the slices above are fresh arrays or views of the
            # loader's private copy, so nobody else's data can change through them
            if yb is None:
                yield Tensor._make(xb, None, None)
            else:
                yield Tensor._make(xb, None, None), Tensor._make(yb, None, None)

    def __repr__(self) -> str:
        seed = "None (drawn from tg.manual_seed)" if self.seed is None else self.seed
        return (
            f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size} ({self.mode}), "
            f"iterations_per_epoch={len(self)}, shuffle={self.shuffle}, drop_last={self.drop_last}, seed={seed})"
        )
