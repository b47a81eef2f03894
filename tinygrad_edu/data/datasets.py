r"""Data sets: seeded synthetic generators, one small real data set, splitting and standardising.

Every generator takes ``seed``: an int gives the same data on every call and every machine; ``None`` draws
from the library's generator (``tg.manual_seed``). Inputs are float64 by default (``dtype=np.float32`` to
match float32 models and run faster); class labels are int64, ``0 .. C-1``.

=================================  ==================================  ==============================
function                           returns                             shapes
=================================  ==================================  ==============================
``make_linear_regression``         ``X, y, w_true``                    (N, d), (N, 1), (d,)
``make_classification``            ``X, y``                            (N, d), (N,)
``make_blobs``                     ``X, y``                            (N, d), (N,)
``make_moons``                     ``X, y``                            (N, 2), (N,)
``make_circles``                   ``X, y``                            (N, 2), (N,)
``make_spirals``                   ``X, y``                            (N, 2), (N,)
``make_quadratic``                 a :class:`Quadratic` problem        ``A`` (d, d), ``X`` (N, d), ``y`` (N, 1)
``load_iris``                      a :class:`Dataset` (``X, y = ...``)  (150, 4), (150,)
=================================  ==================================  ==============================

Regression targets have shape (N, 1), the output shape of ``Linear(d, 1)``: ``mse_loss`` checks shapes
instead of broadcasting, so ``(N,)`` targets against ``(N, 1)`` predictions would be an error.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from .._random import generator
from .._validation import check_flag, float_dtype
from ..tensor import Tensor
from .loader import as_array

__all__ = [
    "make_linear_regression",
    "make_classification",
    "make_blobs",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_quadratic",
    "Quadratic",
    "train_test_split",
    "standardize",
    "Standardizer",
    "load_iris",
    "Dataset",
]

SeedLike = int | np.random.Generator | None


# --------------------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------------------


def _rng(seed: SeedLike, fn: str) -> np.random.Generator:
    if seed is None:
        return generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{fn}: seed must be None, a non-negative int or a numpy Generator, got seed={seed!r}")
    return np.random.default_rng(int(seed))


def _positive_int(value: Any, name: str, fn: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{fn}: {name} must be an int >= {minimum}, got {name}={value!r}")
    return int(value)


def _non_negative(value: Any, name: str, fn: str) -> float:
    """``value`` as a finite float >= 0 (an infinite noise or spread would make every sample inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value < math.inf:
        raise ValueError(f"{fn}: {name} must be a finite number >= 0, got {name}={value!r}")
    return float(value)


def _finite(value: Any, name: str, fn: str) -> float:
    """``value`` as a finite float, else a ValueError naming ``fn`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
        raise ValueError(f"{fn}: {name} must be a finite number, got {name}={value!r}")
    return float(value)


def _enough_per_class(n: int, k: int, fn: str, classes: str) -> None:
    """Every class must get a sample: with fewer samples than classes some labels would silently never occur."""
    if n < k:
        raise ValueError(
            f"{fn}: n_samples must be at least the number of classes ({classes}={k}) so that every class gets a "
            f"sample, got n_samples={n}; pass n_samples >= {k}"
        )


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(X))
    return X[order], y[order]


def _split_counts(n: int, k: int) -> list[int]:
    """``n`` samples over ``k`` groups as evenly as possible (the first groups get the remainder)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


# --------------------------------------------------------------------------------------------------------
# regression
# --------------------------------------------------------------------------------------------------------


def make_linear_regression(
    n_samples: int = 100,
    n_features: int = 3,
    noise: float = 0.1,
    *,
    bias: float = 0.0,
    seed: SeedLike = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Linear data :math:`y = X w^* + b + \varepsilon`, :math:`X_{ij} \sim N(0, 1)`, :math:`w^*_j \sim N(0, 1)`,
    :math:`\varepsilon_i \sim N(0, \mathrm{noise}^2)`.

    Returns
    -------
    X : ndarray, shape (n_samples, n_features)
    y : ndarray, shape (n_samples, 1)
    w_true : ndarray, shape (n_features,)
        The weights the data was generated with (the intercept is ``bias``). With noise, the least-squares
        solution differs from them by :math:`O(\mathrm{noise}/\sqrt{N})`.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import make_linear_regression
    >>> X, y, w = make_linear_regression(500, 2, noise=0.0, bias=1.5, seed=0)
    >>> X.shape, y.shape, w.shape
    ((500, 2), (500, 1), (2,))
    >>> bool(np.allclose(y[:, 0], X @ w + 1.5))
    True
    """
    fn = "make_linear_regression"
    n = _positive_int(n_samples, "n_samples", fn)
    d = _positive_int(n_features, "n_features", fn)
    noise = _non_negative(noise, "noise", fn)
    bias = _finite(bias, "bias", fn)
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = X @ w_true + bias + noise * rng.standard_normal(n)
    return X.astype(dt), y.reshape(n, 1).astype(dt), w_true.astype(dt)


# --------------------------------------------------------------------------------------------------------
# classification
# --------------------------------------------------------------------------------------------------------


def make_blobs(
    n_samples: int = 100,
    centers: int | Any = 3,
    n_features: int = 2,
    *,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-5.0, 5.0),
    seed: SeedLike = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Isotropic Gaussian blobs: class :math:`c` is :math:`N(\mu_c, \sigma^2 I)`.

    Parameters
    ----------
    n_samples : int
        Split as evenly as possible between the classes (the first classes get one more if needed).
    centers : int or array-like of shape (C, n_features)
        The number of blobs (centres drawn uniformly in ``center_box``), or the centres themselves.
    n_features : int
        Dimension (ignored when ``centers`` is an array).
    cluster_std : float
        :math:`\sigma`, the standard deviation of every blob.

    Returns
    -------
    X : ndarray, shape (n_samples, n_features);  y : ndarray of int64, shape (n_samples,), labels 0..C-1.
    Rows are shuffled.

    Examples
    --------
    >>> from tinygrad_edu.data import make_blobs
    >>> X, y = make_blobs(90, centers=[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], cluster_std=0.1, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((90, 2), [0, 1, 2])
    >>> X[y == 1].mean(axis=0).round(1)
    array([10.,  0.])
    """
    fn = "make_blobs"
    n = _positive_int(n_samples, "n_samples", fn)
    std = _non_negative(cluster_std, "cluster_std", fn)
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _positive_int(centers, "centers", fn)
        d = _positive_int(n_features, "n_features", fn)
        lo, hi = _center_box(center_box, fn)
        mu = rng.uniform(lo, hi, size=(k, d))
    else:
        mu = _centers_array(centers, fn)
        k, d = mu.shape
    _enough_per_class(n, k, fn, "centers")
    counts = _split_counts(n, k)
    X = np.concatenate([mu[c] + std * rng.standard_normal((m, d)) for c, m in enumerate(counts)])
    y = np.repeat(np.arange(k), counts)
    X, y = _shuffled(rng, X, y)
    return X.astype(dt), y.astype(np.int64)


def _center_box(center_box: Any, fn: str) -> tuple[float, float]:
    """``(low, high)``, finite, ``low < high``: the box in which the blob centres are drawn."""
    fix = "e.g. center_box=(-5.0, 5.0)"
    try:
        lo, hi = (float(v) for v in center_box)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: center_box must be a pair (low, high) of numbers, got {center_box!r}; {fix}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{fn}: center_box must be (low, high), finite, with low < high, got {center_box!r}; {fix}")
    return lo, hi


def _centers_array(centers: Any, fn: str) -> np.ndarray:
    """Given blob centres as a finite (C, d) float array, C >= 1 and d >= 1."""
    fix = "pass an int (the number of blobs) or a (C, n_features) array such as [[0, 0], [5, 5]]"
    try:
        mu = np.asarray(centers, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: centers must be an int or an array of numbers, got {centers!r}; {fix}") from None
    if mu.ndim != 2 or 0 in mu.shape:
        raise ValueError(
            f"{fn}: centers must be an int or an array of shape (C, n_features), got shape {mu.shape}; {fix}"
        )
    if not np.isfinite(mu).all():
        raise ValueError(f"{fn}: centers must be finite, got {centers!r}; {fix}")
    return mu


def make_classification(
    n_samples: int = 100,
    n_features: int = 2,
    n_classes: int = 2,
    *,
    n_informative: int | None = None,
    class_sep: float = 1.0,
    flip_y: float = 0.0,
    seed: SeedLike = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Classes of correlated Gaussian clusters, a simplified version of scikit-learn's generator.

    Class :math:`c` is centred on a vertex of the hypercube :math:`\{-s, +s\}^{k}` (:math:`s` =
    ``class_sep``, :math:`k` = ``n_informative``, distinct vertices for distinct classes). Its samples are
    :math:`\mu_c + z A_c` with :math:`z \sim N(0, I_k)` and a random mixing matrix :math:`A_c` (entries
    uniform in [-1, 1]), so each class has its own correlated, elongated shape. The remaining
    ``n_features - k`` features are pure noise, :math:`N(0, 1)`. Finally a fraction ``flip_y`` of the labels is
    replaced by random labels (label noise: no classifier can then reach accuracy 1).

    Returns
    -------
    X : ndarray, shape (n_samples, n_features);  y : ndarray of int64, shape (n_samples,). Rows are shuffled.

    Examples
    --------
    >>> from tinygrad_edu.data import make_classification
    >>> X, y = make_classification(200, n_features=5, n_classes=3, n_informative=2, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((200, 5), [67, 67, 66])
    """
    fn = "make_classification"
    n = _positive_int(n_samples, "n_samples", fn)
    d = _positive_int(n_features, "n_features", fn)
    k_classes = _positive_int(n_classes, "n_classes", fn, minimum=2)
    k = d if n_informative is None else _positive_int(n_informative, "n_informative", fn)
    if k > d:
        raise ValueError(f"{fn}: n_informative={k} cannot exceed n_features={d}; pass n_informative <= {d}")
    if 2**k < k_classes:
        raise ValueError(
            f"{fn}: {k_classes} classes need distinct hypercube vertices, but n_informative={k} gives only {2**k}; "
            f"use n_informative >= {math.ceil(math.log2(k_classes))}"
        )
    _enough_per_class(n, k_classes, fn, "n_classes")
    sep = _non_negative(class_sep, "class_sep", fn)
    flip = _non_negative(flip_y, "flip_y", fn)
    if flip > 1:
        raise ValueError(f"{fn}: flip_y is a fraction of the labels, in [0, 1], got flip_y={flip_y!r}")
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    vertices = rng.choice(2**k, size=k_classes, replace=False)
    bits = (vertices[:, None] >> np.arange(k)) & 1  # vertex index -> its k coordinates in {0, 1}
    mu = sep * (2.0 * bits - 1.0)
    counts = _split_counts(n, k_classes)
    informative = [mu[c] + rng.standard_normal((m, k)) @ rng.uniform(-1, 1, (k, k)) for c, m in enumerate(counts)]
    X = np.concatenate([np.concatenate(informative), rng.standard_normal((n, d - k))], axis=1)
    y = np.repeat(np.arange(k_classes), counts)
    # drawn for every sample, so that flip_y changes the labels but not the random stream (nor X's order)
    flipped, redrawn = rng.random(n) < flip, rng.integers(0, k_classes, size=n)
    y = np.where(flipped, redrawn, y)
    X, y = _shuffled(rng, X, y)
    return X.astype(dt), y.astype(np.int64)


def make_moons(
    n_samples: int = 100, noise: float = 0.0, *, seed: SeedLike = None, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles (not linearly separable): class 0 is :math:`(\cos t, \sin t)`, class 1 is
    :math:`(1 - \cos t, \tfrac12 - \sin t)`, :math:`t \in [0, \pi]`, plus :math:`N(0, \mathrm{noise}^2)` on each
    coordinate.

    Returns
    -------
    X : ndarray, shape (n_samples, 2);  y : ndarray of int64, shape (n_samples,). Rows are shuffled.

    Examples
    --------
    >>> from tinygrad_edu.data import make_moons
    >>> X, y = make_moons(100, noise=0.0, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [50, 50])
    >>> bool(np.allclose(np.hypot(*X[y == 0].T), 1.0))     # class 0 lies on the unit circle
    True
    """
    fn = "make_moons"
    n = _positive_int(n_samples, "n_samples", fn, minimum=2)
    noise = _non_negative(noise, "noise", fn)
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    n_out, n_in = _split_counts(n, 2)
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n_out, n_in])
    X, y = _shuffled(rng, X, y)
    return X.astype(dt), y.astype(np.int64)


def make_circles(
    n_samples: int = 100,
    noise: float = 0.0,
    factor: float = 0.5,
    *,
    seed: SeedLike = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (in (0, 1)), plus
    :math:`N(0, \mathrm{noise}^2)` on each coordinate. Separable by :math:`\lVert x \rVert`, not by a line.

    Returns
    -------
    X : ndarray, shape (n_samples, 2);  y : ndarray of int64, shape (n_samples,). Rows are shuffled.

    Examples
    --------
    >>> from tinygrad_edu.data import make_circles
    >>> X, y = make_circles(100, factor=0.3, seed=0)
    >>> float(np.hypot(*X[y == 1].T).round(6).max())
    0.3
    """
    fn = "make_circles"
    n = _positive_int(n_samples, "n_samples", fn, minimum=2)
    noise = _non_negative(noise, "noise", fn)
    if not isinstance(factor, (int, float, np.number)) or not 0 < factor < 1:
        raise ValueError(f"{fn}: factor (inner radius / outer radius) must be in (0, 1), got factor={factor!r}")
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    n_out, n_in = _split_counts(n, 2)
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n_out, n_in])
    X, y = _shuffled(rng, X, y)
    return X.astype(dt), y.astype(np.int64)


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.0,
    *,
    turns: float = 1.0,
    seed: SeedLike = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Interleaved spiral arms, one per class: the classic hard case for linear models and small MLPs.

    Arm :math:`c` of :math:`C` is :math:`r (\cos\phi, \sin\phi)` with :math:`r` evenly spaced in [0.05, 1] and
    :math:`\phi = 2\pi (c / C + \mathrm{turns} \cdot r)`, plus :math:`N(0, \mathrm{noise}^2)` on each coordinate.

    Returns
    -------
    X : ndarray, shape (n_samples, 2), inside the unit disc (without noise);  y : ndarray of int64,
    shape (n_samples,). Rows are shuffled.

    Examples
    --------
    >>> from tinygrad_edu.data import make_spirals
    >>> X, y = make_spirals(300, n_classes=3, noise=0.0, seed=0)
    >>> X.shape, np.bincount(y).tolist(), bool(np.hypot(*X.T).max() <= 1.0)
    ((300, 2), [100, 100, 100], True)
    """
    fn = "make_spirals"
    n = _positive_int(n_samples, "n_samples", fn)
    k = _positive_int(n_classes, "n_classes", fn, minimum=2)
    _enough_per_class(n, k, fn, "n_classes")
    noise = _non_negative(noise, "noise", fn)
    turns = _non_negative(turns, "turns", fn)
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    arms = []
    counts = _split_counts(n, k)
    for c, m in enumerate(counts):
        r = np.linspace(0.05, 1.0, m)
        phi = 2 * np.pi * (c / k + turns * r)
        arms.append(np.stack([r * np.cos(phi), r * np.sin(phi)], axis=1))
    X = np.concatenate(arms) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.arange(k), counts)
    X, y = _shuffled(rng, X, y)
    return X.astype(dt), y.astype(np.int64)


# --------------------------------------------------------------------------------------------------------
# an optimisation test problem with a known optimum
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Quadratic:
    r"""A strongly convex quadratic with a known minimiser, and a least-squares data set that has it as loss.

    .. math:: f(w) = \tfrac12 w^\top A w - b^\top w, \qquad \nabla f(w) = A w - b, \qquad
              w^* = A^{-1} b, \qquad f^* = -\tfrac12 b^\top w^*.

    :math:`A` is symmetric positive definite with eigenvalues from :math:`\mu` to :math:`L`
    (geometrically spaced), so :math:`\kappa = L / \mu` is its condition number. Gradient descent with a
    constant learning rate :math:`\eta` converges iff :math:`\eta < 2/L` (``max_stable_lr``); with
    :math:`\eta = 1/L` the error shrinks by at least :math:`1 - 1/\kappa` per step.

    The data ``X`` (N, d), ``y`` (N, 1) is built so that the mean squared error of a linear model without
    bias equals :math:`f` up to a constant:

    .. math:: \tfrac1N \lVert X w - y \rVert^2 = f(w) - f^* + r, \qquad r = \texttt{residual},

    because :math:`X^\top X / N = A / 2` and :math:`y = X w^* + e` with :math:`e \perp` the columns of
    :math:`X`, :math:`\lVert e \rVert^2 / N = r`. So ``mse_loss(X @ w, y)`` has Hessian :math:`A`, the same
    :math:`L`, :math:`\mu` and minimiser, and per-sample gradients that do *not* vanish at :math:`w^*` when
    :math:`r > 0`: SGD on it keeps fluctuating around :math:`w^*` unless its learning rate decays.

    Attributes
    ----------
    A : ndarray (d, d);  b, w_star : ndarray (d,);  f_star : float
    mu, L, condition_number : float
        Smallest and largest eigenvalue of :math:`A`, and :math:`\kappa = L/\mu`.
    X : ndarray (N, d);  y : ndarray (N, 1);  residual : float
        The least-squares form and its minimum mean squared error :math:`r`.
    """

    A: np.ndarray
    b: np.ndarray
    w_star: np.ndarray
    f_star: float
    mu: float
    L: float
    X: np.ndarray
    y: np.ndarray
    residual: float
    eigenvalues: np.ndarray = field(repr=False)

    @property
    def d(self) -> int:
        """The dimension."""
        return len(self.b)

    @property
    def condition_number(self) -> float:
        """:math:`\\kappa = L / \\mu`."""
        return self.L / self.mu

    @property
    def max_stable_lr(self) -> float:
        """:math:`2 / L`: gradient descent with a constant learning rate converges iff :math:`\\eta < 2/L`."""
        return 2.0 / self.L

    def _point(self, w: Any, fn: str) -> np.ndarray:
        """``w`` as a float64 array whose last axis has ``d`` entries, else an error naming the shapes."""
        try:
            arr = np.asarray(getattr(w, "data", w), dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Quadratic.{fn}: w must be an array of shape (..., {self.d}), got {w!r}") from None
        if arr.ndim == 0 or arr.shape[-1] != self.d:
            raise ValueError(
                f"Quadratic.{fn}: w must have shape (..., {self.d}) (the last axis holds the {self.d} coordinates), "
                f"got shape {arr.shape}; for a grid stack the coordinates last: np.stack([W1, W2], axis=-1)"
            )
        return arr

    def value(self, w: Any) -> np.ndarray:
        """:math:`f(w)` in numpy, vectorised over leading axes: ``w`` (..., d) -> (...) (e.g. a grid for a
        contour plot)."""
        w = self._point(w, "value")
        return 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w) - w @ self.b

    def grad(self, w: Any) -> np.ndarray:
        """:math:`\\nabla f(w) = A w - b` in numpy, vectorised over leading axes."""
        return self._point(w, "grad") @ self.A - self.b  # A is symmetric

    def loss(self, w: Tensor) -> Tensor:
        """:math:`f(w)` as a differentiable Tensor expression; ``w`` has ``d`` elements (any shape, e.g. the
        (1, d) weight of ``Linear(d, 1, bias=False)``)."""
        if not isinstance(w, Tensor):
            raise TypeError(
                f"Quadratic.loss: w must be a Tensor (the parameters being trained), got {type(w).__name__}; use "
                "value(w) for numpy arrays"
            )
        if w.size != self.d:
            raise ValueError(
                f"Quadratic.loss: w must have {self.d} elements (d={self.d}), got shape {w.shape}; e.g. the "
                f"weight of Linear({self.d}, 1, bias=False)"
            )
        v = w.reshape(self.d)
        A, b = Tensor(self.A.astype(w.dtype)), Tensor(self.b.astype(w.dtype))
        return 0.5 * (v @ (A @ v)) - b @ v

    def __repr__(self) -> str:
        return (
            f"Quadratic(d={self.d}, mu={self.mu:g}, L={self.L:g}, condition_number={self.condition_number:g}, "
            f"n_samples={len(self.X)}, residual={self.residual:g}, f_star={self.f_star:.6g})"
        )


def make_quadratic(
    d: int = 2,
    condition_number: float = 10.0,
    *,
    mu: float = 1.0,
    n_samples: int = 200,
    noise: float = 1.0,
    seed: SeedLike = None,
    dtype: Any = np.float64,
) -> Quadratic:
    r"""A quadratic optimisation test problem :math:`f(w) = \frac12 w^\top A w - b^\top w` with a known optimum.

    Parameters
    ----------
    d : int
        Dimension.
    condition_number : float
        :math:`\kappa = L/\mu \ge 1`; the eigenvalues of :math:`A` are :math:`\mu \kappa^{i/(d-1)}`,
        :math:`i = 0..d-1` (``d = 1`` needs :math:`\kappa = 1`).
    mu : float
        The smallest eigenvalue (strong-convexity constant); :math:`L = \kappa\mu`.
    n_samples : int
        Rows of the least-squares form ``X``, ``y`` (``>= d``; ``> d`` when ``noise > 0``).
    noise : float
        :math:`\sqrt r`, the root-mean-square residual of the least-squares form at the optimum.
    seed : int, numpy Generator or None
        Seeds the rotation of the eigenvectors, :math:`w^*` and the data.

    Returns
    -------
    Quadratic
        See its docstring for the attributes.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import make_quadratic
    >>> q = make_quadratic(d=3, condition_number=100.0, seed=0)
    >>> round(float(np.linalg.cond(q.A)), 6), q.L, q.max_stable_lr
    (100.0, 100.0, 0.02)
    >>> bool(np.allclose(q.grad(q.w_star), 0.0))
    True
    >>> w = np.ones(3)
    >>> bool(np.isclose(np.mean((q.X @ w - q.y[:, 0]) ** 2), q.value(w) - q.f_star + q.residual))
    True
    """
    fn = "make_quadratic"
    d = _positive_int(d, "d", fn)
    kappa = float(condition_number) if isinstance(condition_number, (int, float, np.number)) else math.nan
    if not kappa >= 1:
        raise ValueError(f"{fn}: condition_number must be >= 1 (it is L / mu), got {condition_number!r}")
    if d == 1 and kappa != 1:
        raise ValueError(f"{fn}: in one dimension A is a number, its condition number is 1, got {condition_number!r}")
    if not isinstance(mu, (int, float, np.number)) or not mu > 0:
        raise ValueError(f"{fn}: mu (the smallest eigenvalue) must be > 0, got mu={mu!r}")
    n = _positive_int(n_samples, "n_samples", fn, minimum=d)
    noise = _non_negative(noise, "noise", fn)
    if noise > 0 and n == d:
        raise ValueError(f"{fn}: noise > 0 needs n_samples > d (a residual orthogonal to X), got n_samples={n}, d={d}")
    dt = float_dtype(dtype, fn)
    rng = _rng(seed, fn)
    eig = mu * kappa ** (np.arange(d) / max(d - 1, 1))
    eig[-1] = mu * kappa  # exactly L, not L up to the rounding of the power
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    Q *= np.sign(np.diag(R))  # a uniformly random rotation (QR alone is biased by its sign convention)
    A = (Q * eig) @ Q.T
    A = (A + A.T) / 2
    w_star = rng.standard_normal(d)
    b = A @ w_star
    # least-squares form: X = sqrt(N/2) U A^(1/2) with orthonormal U, so X^T X / N = A / 2
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = math.sqrt(n / 2) * (U @ (Q * np.sqrt(eig)) @ Q.T)
    e = rng.standard_normal(n)
    e -= U @ (U.T @ e)  # orthogonal to the columns of X: the cross term of the expansion vanishes
    e *= noise * math.sqrt(n) / max(float(np.linalg.norm(e)), 1e-300)
    y = X @ w_star + e
    return Quadratic(
        A=A.astype(dt),
        b=b.astype(dt),
        w_star=w_star.astype(dt),
        f_star=float(-0.5 * b @ w_star),
        mu=float(mu),
        L=float(mu * kappa),
        X=X.astype(dt),
        y=y.reshape(n, 1).astype(dt),
        residual=float(np.mean(e**2)),
        eigenvalues=eig,
    )


# --------------------------------------------------------------------------------------------------------
# splitting and standardising
# --------------------------------------------------------------------------------------------------------


def _test_count(test_size: Any, n: int) -> int:
    fn = "train_test_split"
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.number)):
        raise TypeError(f"{fn}: test_size must be a fraction in (0, 1) or a count, got {test_size!r}; e.g. 0.25 or 30")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = math.ceil(float(test_size) * n)
    else:
        raise ValueError(f"{fn}: a fractional test_size must be in (0, 1), got test_size={test_size!r}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"{fn}: test_size={test_size!r} gives {n_test} test samples out of {n}; both sets need at least one "
            f"sample (1 <= n_test <= {n - 1})"
        )
    return n_test


def _check_class_labels(y: np.ndarray, fn: str) -> None:
    """Stratifying keeps class proportions: continuous targets would make every value its own class."""
    fractional = y.ravel()[np.mod(y.ravel(), 1) != 0] if y.dtype.kind == "f" else y.ravel()[:0]
    if fractional.size:
        raise ValueError(
            f"{fn}: stratify=True needs class labels in y (integers), got float values such as "
            f"{float(fractional[0])!r}; "
            "stratify only classification data, or pass stratify=False for regression targets"
        )


def _stratified_test_indices(labels: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """Each class contributes to the test set in proportion to its size (largest remainders first)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quota = counts * n_test / len(labels)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take), kind="stable")[: n_test - take.sum()]] += 1
    chosen = [rng.permutation(np.flatnonzero(inverse == c))[:t] for c, t in zip(range(len(classes)), take, strict=True)]
    return np.concatenate(chosen)


def train_test_split(
    X: Any,
    y: Any = None,
    test_size: float | int = 0.25,
    *,
    seed: SeedLike = None,
    shuffle: bool = True,
    stratify: bool = False,
) -> tuple[np.ndarray, ...]:
    """Split samples into a training and a test set (disjoint, together all the samples).

    Parameters
    ----------
    X, y : array-like with N rows (``y`` optional)
    test_size : float in (0, 1) or int
        A fraction of N (the test set gets :math:`\\lceil \\text{test\\_size} \\cdot N \\rceil` samples, as in
        scikit-learn) or a number of samples.
    seed : int, numpy Generator or None
        Seeds the shuffle.
    shuffle : bool, default True
        Without it the last samples form the test set (e.g. the most recent ones of a time series).
    stratify : bool, default False
        Keep the class proportions of ``y`` (labels) in both sets.

    Returns
    -------
    X_train, X_test, y_train, y_test  (or X_train, X_test without ``y``)
        numpy arrays; the samples keep their shuffled order.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import train_test_split
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=0)
    >>> X_tr.shape, X_te.shape, sorted(y_tr.tolist() + y_te.tolist()) == list(range(10))
    ((7, 2), (3, 2), True)
    """
    fn = "train_test_split"
    Xa = as_array(X, f"{fn}: X")
    if Xa.ndim == 0 or len(Xa) < 2:
        raise ValueError(f"{fn}: needs at least 2 samples to split, got X of shape {Xa.shape}")
    n = len(Xa)
    ya = None if y is None else as_array(y, f"{fn}: y", labels=True)
    if ya is not None and (ya.ndim == 0 or len(ya) != n):
        raise ValueError(
            f"{fn}: X has {n} samples (shape {Xa.shape}) but y has shape {ya.shape}; y needs one entry per sample"
        )
    shuffle = check_flag(shuffle, "shuffle", fn)
    stratify = check_flag(stratify, "stratify", fn)
    n_test = _test_count(test_size, n)
    rng = _rng(seed, fn)
    if stratify:
        if ya is None:
            raise ValueError(
                f"{fn}: stratify=True needs the labels y; pass them: train_test_split(X, y, stratify=True)"
            )
        if not shuffle:
            raise ValueError(f"{fn}: stratify=True needs shuffle=True (a stratified split is a random one)")
        _check_class_labels(ya, fn)
        test_idx = rng.permutation(_stratified_test_indices(ya.reshape(len(ya), -1)[:, 0], n_test, rng))
        train_mask = np.ones(n, dtype=bool)
        train_mask[test_idx] = False
        train_idx = rng.permutation(np.flatnonzero(train_mask))
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, test_idx = order[: n - n_test], order[n - n_test :]
    out = [Xa[train_idx], Xa[test_idx]]
    if ya is not None:
        out += [ya[train_idx], ya[test_idx]]
    return tuple(out)


class Standardizer:
    r"""Standardise features: :math:`z = (x - m) / s` with the mean :math:`m` and standard deviation :math:`s`
    of each feature **of the training set**.

    Fit on the training data only, then apply the same :math:`m, s` to validation and test data: computing
    them on all the data would leak information about the test set into training. A constant feature
    (:math:`s = 0`) is only centred (:math:`s` is taken as 1).

    Why standardise: for a linear model the Hessian of the squared loss is :math:`X^\top X / N`; features on
    very different scales make it ill-conditioned, and gradient descent needs :math:`\kappa` times more steps.

    Attributes
    ----------
    mean, std : ndarray of shape X.shape[1:]
        Set by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import Standardizer
    >>> train, test = np.array([[0.0, 10.0], [2.0, 30.0]]), np.array([[1.0, 20.0]])
    >>> s = Standardizer().fit(train)
    >>> s.transform(train), s.transform(test)
    (array([[-1., -1.], [ 1.,  1.]]), array([[0., 0.]]))
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, X: Any) -> Standardizer:
        """Compute the per-feature mean and standard deviation of ``X`` (N, ...); returns ``self``."""
        Xa = as_array(X, "Standardizer.fit: X")
        if Xa.ndim == 0 or len(Xa) == 0:
            raise ValueError(
                f"Standardizer.fit needs at least one sample, got X of shape {Xa.shape}; pass an array (N, ...) "
                "with N >= 1"
            )
        bad = int(np.size(Xa) - np.count_nonzero(np.isfinite(Xa)))
        if bad:  # one NaN would make its feature's mean and std NaN, and every standardised value with them
            raise ValueError(
                f"Standardizer.fit: X must be finite, got {bad} NaN or inf value(s) in X of shape {Xa.shape}; drop "
                "or impute them first (e.g. with the column means)"
            )
        self.mean = Xa.mean(axis=0)
        std = Xa.std(axis=0)
        self.std = np.where(std > 0, std, 1.0).astype(std.dtype)
        return self

    def _check_fitted(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.std is None:
            raise RuntimeError("this Standardizer is not fitted yet: call fit(X_train) first")
        if X.shape[1:] != self.mean.shape:
            raise ValueError(
                f"Standardizer was fitted on samples of shape {self.mean.shape} but got X of shape {X.shape}; "
                f"transform data with the training data's features (X.shape[1:] == {self.mean.shape})"
            )
        return self.mean, self.std

    def transform(self, X: Any) -> np.ndarray:
        """:math:`(X - m) / s` with the fitted statistics."""
        Xa = as_array(X, "Standardizer.transform: X")
        mean, std = self._check_fitted(Xa)
        return ((Xa - mean) / std).astype(np.result_type(Xa.dtype, np.float32), copy=False)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """:math:`Z s + m`: back to the original units."""
        Za = as_array(Z, "Standardizer.inverse_transform: Z")
        mean, std = self._check_fitted(Za)
        return Za * std + mean

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)


def standardize(X_train: Any, *others: Any) -> Any:
    """Standardise ``X_train`` with its own per-feature mean and std, and ``others`` (validation / test sets)
    with the **training** statistics (see :class:`Standardizer`).

    Returns
    -------
    ndarray, or a tuple ``(X_train_std, *others_std)`` when other arrays are given.

    Examples
    --------
    >>> import numpy as np
    >>> from tinygrad_edu.data import standardize
    >>> X_tr, X_te = standardize(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> X_tr.ravel().tolist(), X_te.ravel().tolist()      # the test set uses mean 2, std 1 of the train set
    ([-1.0, 1.0], [3.0])
    """
    scaler = Standardizer().fit(X_train)
    if not others:
        return scaler.transform(X_train)
    return (scaler.transform(X_train), *(scaler.transform(X) for X in others))


# --------------------------------------------------------------------------------------------------------
# bundled real data
# --------------------------------------------------------------------------------------------------------

IRIS_CREDIT = (
    "Fisher, R. A. (1936). Iris [Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C56C76. "
    "Licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)."
)


DIGITS_CREDIT = (
    "Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. UCI Machine Learning "
    "Repository. https://doi.org/10.24432/C50P49. Licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/)."
)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A bundled data set: ``X`` (N, d), ``y`` (N,) and what the columns and labels mean.

    Unpacks like a pair: ``X, y = load_iris()``.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    credit: str
    description: str = ""

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.y))

    def __repr__(self) -> str:
        return (
            f"Dataset(X: {self.X.shape} {self.X.dtype}, y: {self.y.shape} {self.y.dtype}, "
            f"features={list(self.feature_names)}, targets={list(self.target_names)})"
        )


def load_iris(*, dtype: Any = np.float64) -> Dataset:
    """Fisher's Iris data (bundled in the package; no network): 150 flowers, 3 species, 4 measurements in cm.

    Features: sepal length, sepal width, petal length, petal width. Labels: 0 = setosa, 1 = versicolor,
    2 = virginica, 50 each, in that order (shuffle or use ``train_test_split``). Setosa is linearly separable
    from the other two; versicolor and virginica overlap a little.

    Credit: Fisher, R. A. (1936). Iris [Dataset]. UCI Machine Learning Repository.
    https://doi.org/10.24432/C56C76, licensed under CC BY 4.0. The two values the UCI file has wrong
    (samples 35 and 38) are as printed in Fisher's paper.

    Examples
    --------
    >>> from tinygrad_edu.data import load_iris
    >>> X, y = load_iris()
    >>> X.shape, np.bincount(y).tolist()
    ((150, 4), [50, 50, 50])
    >>> X.mean(axis=0).round(3)
    array([5.843, 3.057, 3.758, 1.199])
    """
    dt = float_dtype(dtype, "load_iris")
    text = resources.files(__package__).joinpath("iris.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(line for line in text.splitlines() if line and not line.startswith("#")))
    header, body = rows[0], rows[1:]
    target_names = ("setosa", "versicolor", "virginica")
    X = np.array([[float(v) for v in row[:4]] for row in body], dtype=dt)
    y = np.array([target_names.index(row[4]) for row in body], dtype=np.int64)
    return Dataset(
        X=X,
        y=y,
        feature_names=tuple(f"{name} (cm)" for name in header[:4]),
        target_names=target_names,
        credit=IRIS_CREDIT,
        description="Fisher's Iris data: 150 flowers, 50 per species, 4 measurements in cm.",
    )


def load_digits(*, as_images: bool = False, dtype: Any = np.float64) -> Dataset:
    """Handwritten digits (bundled in the package; no network): 1797 images of 8x8 pixels, labels 0..9.

    The test set of the UCI "Optical Recognition of Handwritten Digits" data, as scikit-learn's
    ``load_digits`` ships it: 32x32 bitmaps of digits written by 13 people, each 4x4 block reduced to the
    count of its "on" pixels, so every pixel is an integer 0..16 (kept as they are: divide by 16 to scale to
    [0, 1]). About 180 images per digit, in the file's order (shuffle or use ``train_test_split``).

    Parameters
    ----------
    as_images : bool, default False
        ``X`` of shape (1797, 1, 8, 8), images with one channel for ``nn.Conv2d``, instead of (1797, 64), one
        row of 64 pixels per image (row by row), for a linear model or an MLP.
    dtype : numpy float dtype, default float64

    Returns
    -------
    Dataset
        Unpacks as ``X, y``: ``X`` float of shape (1797, 64) or (1797, 1, 8, 8), ``y`` int64 (1797,).

    Credit: Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. UCI
    Machine Learning Repository. https://doi.org/10.24432/C50P49, licensed under CC BY 4.0.

    Examples
    --------
    >>> from tinygrad_edu.data import load_digits
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.dtype, X.min(), X.max()
    ((1797, 64), dtype('float64'), dtype('int64'), np.float64(0.0), np.float64(16.0))
    >>> np.bincount(y).tolist()
    [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    >>> load_digits(as_images=True).X.shape
    (1797, 1, 8, 8)
    """
    as_images = check_flag(as_images, "as_images", "load_digits")
    dt = float_dtype(dtype, "load_digits")
    with (
        resources.files(__package__).joinpath("digits.csv.gz").open("rb") as f,
        gzip.open(f, "rt", encoding="utf-8") as text,
    ):
        table = np.loadtxt(text, delimiter=",", comments="#", dtype=np.int64)
    X = table[:, :64].astype(dt)
    return Dataset(
        X=X.reshape(-1, 1, 8, 8) if as_images else X,
        y=table[:, 64].copy(),
        feature_names=tuple(f"pixel ({r}, {c})" for r in range(8) for c in range(8)),
        target_names=tuple(str(d) for d in range(10)),
        credit=DIGITS_CREDIT,
        description="Handwritten digits (UCI optical recognition, test set): 1797 images of 8x8 pixels 0..16.",
    )
