r"""Activations and loss functions on Tensors.

Every loss takes ``reduction``: ``"mean"`` (the default: average over all elements, or over the batch for
the classification losses), ``"sum"``, or ``"none"`` (the per-element / per-sample losses, a Tensor of the
batch's shape). Predictions may be Tensors or array-likes; targets and labels may be numpy arrays, lists or
Tensors. Targets are data and are validated (probabilities in [0, 1], labels in range); a target Tensor that
requires grad is treated as a variable instead: it gets its gradient and any real value is allowed.

* ``mse_loss(pred, target)``: :math:`(\hat y - y)^2` (composite of primitives)
* ``l1_loss(pred, target)``: :math:`|\hat y - y|` (composite)
* ``huber_loss(pred, target, delta)``: :math:`\tfrac12 r^2` for :math:`|r| \le \delta`, else
  :math:`\delta(|r| - \tfrac12\delta)` (composite)
* ``binary_cross_entropy(probs, targets)``: :math:`-[y \log p + (1-y)\log(1-p)]`, logs clamped at -100
  (fused op)
* ``binary_cross_entropy_with_logits(logits, targets)``: :math:`\max(z,0) - zy + \log(1 + e^{-|z|})`
  (fused op)
* ``cross_entropy(logits, labels)``: :math:`-\log \mathrm{softmax}(z)_y` (fused op)
* ``nll_loss(log_probs, labels)``: :math:`-\log p_y`, the input already log-probabilities (composite)

The derivations of the gradients are in ``docs/losses_and_metrics.md``; the fused ops are in
:mod:`tinygrad_edu.ops` (section "fused losses").

Shapes are checked rather than broadcast: ``mse_loss`` of a ``(N, 1)`` prediction and a ``(N,)`` target
would silently broadcast to ``(N, N)`` and compute the wrong loss, so it raises ``ValueError`` instead.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from typing import Any, Literal

import numpy as np

from .. import ops
from ..metrics import value_range
from ..tensor import Tensor, apply_op

__all__ = [
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
]

Reduction = Literal["mean", "sum", "none"]


# --------------------------------------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------------------------------------


def _as_tensor(x: Any, fn: str = "", what: str = "x") -> Tensor:
    """``x`` as a Tensor; an array-like that cannot be one raises naming the function and the argument."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except (TypeError, ValueError) as err:
        if not fn:
            raise
        raise type(err)(f"{fn}: {what} {err}; pass numbers: a Tensor, a numpy array or a list of floats") from None


def relu(x: Any) -> Tensor:
    r""":math:`\max(x, 0)` elementwise; :math:`\mathrm{relu}'(0) = 0`."""
    return _as_tensor(x, "relu").relu()


def sigmoid(x: Any) -> Tensor:
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})` elementwise, stable for large :math:`|x|`."""
    return _as_tensor(x, "sigmoid").sigmoid()


def tanh(x: Any) -> Tensor:
    r""":math:`\tanh x` elementwise."""
    return _as_tensor(x, "tanh").tanh()


def _check_axis(t: Tensor, axis: Any, fn: str) -> int:
    """``axis`` as an int in range for ``t``, or an error naming the axis, the shape and the fix."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{fn}: axis must be an int, got axis={axis!r} ({type(axis).__name__}); pass e.g. axis=-1")
    if t.ndim == 0:
        raise ops.AxisError(
            f"{fn}: x is 0-d (a single value) and has no axis to normalise, got axis={axis}; reshape it, e.g. "
            "x.reshape(1)"
        )
    if not -t.ndim <= axis < t.ndim:
        raise ops.AxisError(
            f"{fn}: axis={axis} is out of range for x of shape {t.shape}; pass an axis in [{-t.ndim}, {t.ndim - 1}], "
            "e.g. axis=-1 (the last)"
        )
    return int(axis)


def softmax(x: Any, axis: int = -1) -> Tensor:
    r""":math:`e^{x_i} / \sum_j e^{x_j}` along ``axis`` (stable: the maximum is subtracted first)."""
    t = _as_tensor(x, "softmax")
    return t.softmax(_check_axis(t, axis, "softmax"))


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    r""":math:`x_i - \log \sum_j e^{x_j}` along ``axis`` (fused, stable)."""
    t = _as_tensor(x, "log_softmax")
    return t.log_softmax(_check_axis(t, axis, "log_softmax"))


# --------------------------------------------------------------------------------------------------------
# argument checks shared by the losses
# --------------------------------------------------------------------------------------------------------


def _check_reduction(reduction: str, fn: str) -> None:
    if not isinstance(reduction, str) or reduction not in ops.REDUCTIONS:
        raise ValueError(
            f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}; pass e.g. reduction='mean'"
        )


def _float_input(x: Any, fn: str, what: str) -> Tensor:
    t = _as_tensor(x, fn, what)
    if t.dtype.kind != "f":
        raise TypeError(
            f"{fn}: {what} must be a floating-point tensor, got dtype {t.dtype}; convert it, e.g. "
            "Tensor(x, dtype=np.float32)"
        )
    return t


def _float_target(y: Any, like: Tensor, fn: str, what: str = "target") -> Tensor | np.ndarray:
    """Targets in ``like``'s dtype, so that a float64 numpy target does not promote a float32 model's loss.
    A Tensor that requires grad stays a Tensor (its gradient is wanted); anything else becomes a constant."""
    if isinstance(y, Tensor) and y.requires_grad:
        return y.astype(like.dtype)
    arr = _numeric_array(y, fn, what)
    return arr.astype(like.dtype)


def _numeric_array(y: Any, fn: str, what: str) -> np.ndarray:
    """``y`` (data: a Tensor's values, an array, a list) as a numeric numpy array, or an error naming it."""
    try:
        arr = np.asarray(y.data if isinstance(y, Tensor) else y)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise ValueError(
            f"{fn}: {what} is not a rectangular array of numbers ({err}); pass equal-length rows"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{fn}: {what} must be numeric, got dtype {arr.dtype} ({reprlib.repr(y)}); pass numbers: a numpy array, "
            "a list or a Tensor"
        )
    return arr


def _check_same_shape(pred: Tensor, target: Any, fn: str, names: tuple[str, str]) -> None:
    shape = np.shape(target.data if isinstance(target, Tensor) else target)
    if pred.shape == shape:
        return
    try:
        hint = f"; broadcasting would give shape {np.broadcast_shapes(pred.shape, shape)} and a wrong loss"
    except ValueError:
        hint = ""
    raise ValueError(
        f"{fn}: {names[0]} has shape {pred.shape} but {names[1]} has shape {shape}{hint}. Make them equal, "
        f"e.g. {names[0]}.reshape({shape}) or {names[1]}.reshape({pred.shape})"
    )


def _check_nonempty(x: Tensor, fn: str, reduction: str) -> None:
    if reduction == "mean" and x.size == 0:
        raise ValueError(
            f"{fn}: the mean over an empty batch (shape {x.shape}) is undefined; pass at least one sample "
            "or use reduction='sum'"
        )


def _check_unit_interval(values: np.ndarray, fn: str, what: str, hint: str) -> None:
    # two reductions and no temporary: the comparisons took four passes over the targets at every step
    # (benchmarks/run.py --only logreg_gd checks 20,000 targets per iteration); NaN fails both, as it should
    if values.size and not (np.minimum.reduce(values, axis=None) >= 0 and np.maximum.reduce(values, axis=None) <= 1):
        nan = (
            " (NaN: the model or the data diverged; tg.detect_anomaly() finds where)" if np.isnan(values).any() else ""
        )
        raise ValueError(f"{fn}: {what} must lie in [0, 1], got {value_range(values)}{nan}{hint}")


def _reduce(per: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    return per


def _regression_args(pred: Any, target: Any, reduction: str, fn: str) -> tuple[Tensor, Tensor | np.ndarray]:
    _check_reduction(reduction, fn)
    pred = _float_input(pred, fn, "pred")
    target = _float_target(target, pred, fn)
    _check_same_shape(pred, target, fn, ("pred", "target"))
    _check_nonempty(pred, fn, reduction)
    return pred, target


def _class_targets(
    labels: Any, shape: tuple[int, ...], dtype: np.dtype, fn: str, allow_probs: bool
) -> Tensor | np.ndarray:
    """Validate ``labels`` against scores of ``shape`` (N, C): integer labels (N,) in [0, C), or (if
    ``allow_probs``) probability targets (N, C), returned in the scores' float ``dtype``."""
    n, c = shape
    probs_shape = f" or probability targets of shape ({n}, {c})" if allow_probs else ""
    arr = _numeric_array(labels, fn, "labels")
    if arr.ndim == 2 and allow_probs:
        if arr.shape != (n, c):
            raise ValueError(
                f"{fn}: logits have shape {shape} but the probability targets have shape {arr.shape}; give one row "
                "per sample and one column per class"
            )
        if isinstance(labels, Tensor) and labels.requires_grad:  # a variable, not data: any value is allowed
            return labels.astype(dtype)
        _check_unit_interval(arr, fn, "probability targets", " (one-hot rows or soft labels)")
        _check_rows_sum_to_one(arr, fn)
        return arr.astype(dtype)
    if arr.ndim != 1:
        raise ValueError(
            f"{fn}: labels must be class indices of shape ({n},){probs_shape}, got shape {arr.shape}; reshape them, "
            "e.g. labels.reshape(-1)"
        )
    if arr.dtype.kind not in "iu":
        from_list = " (Tensor([...]) of a Python list is float32)" if isinstance(labels, Tensor) else ""
        raise ValueError(
            f"{fn}: labels must be integer class indices, got dtype {arr.dtype}{from_list}; convert them, e.g. "
            "np.asarray(labels, dtype=np.int64)" + (f", or pass{probs_shape}" if allow_probs else "")
        )
    if len(arr) != n:
        raise ValueError(
            f"{fn}: batch sizes differ: the scores have {n} rows (shape {shape}) but there are {len(arr)} labels "
            f"(shape {arr.shape}); pass one label per row"
        )
    # two reductions by the ufuncs themselves (callgrind, 32 labels: 23,400 -> 17,400 instructions per check,
    # against two comparisons, their | and .any())
    if arr.size and (np.minimum.reduce(arr) < 0 or np.maximum.reduce(arr) >= c):
        i = int(np.flatnonzero((arr < 0) | (arr >= c))[0])
        raise ValueError(
            f"{fn}: label {int(arr[i])} at position {i} is out of range for {c} classes (scores of shape {shape}); "
            f"labels must be in [0, {c - 1}]: give the scores one column per class, or fix the labels"
        )
    return arr


def _check_rows_sum_to_one(rows: np.ndarray, fn: str) -> None:
    """Probability targets are distributions: a row summing elsewhere would scale that sample's loss."""
    sums = rows.sum(axis=1)
    if rows.size and not np.allclose(sums, 1.0, atol=1e-3):
        i = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(
            f"{fn}: each row of the probability targets must sum to 1, got row {i} summing to {sums[i]:g}; "
            "normalise them (t / t.sum(axis=1, keepdims=True)) or pass integer labels"
        )


def _class_scores(x: Any, fn: str, what: str) -> Tensor:
    t = _float_input(x, fn, what)
    if t.ndim != 2:
        single = " For a single example use x.reshape(1, -1) and one label." if t.ndim == 1 else ""
        raise ValueError(f"{fn}: {what} must have shape (N, C), N samples by C classes, got shape {t.shape}.{single}")
    return t


# --------------------------------------------------------------------------------------------------------
# regression losses (composites of primitives)
# --------------------------------------------------------------------------------------------------------


def mse_loss(pred: Any, target: Any, reduction: Reduction = "mean") -> Tensor:
    r"""Mean squared error :math:`L = \frac1n \sum_i (\hat y_i - y_i)^2`.

    Gradient: :math:`\partial L / \partial \hat y_i = \frac{2}{n} (\hat y_i - y_i)`.

    Parameters
    ----------
    pred, target : Tensor or array-like
        Same shape (checked: no broadcasting).
    reduction : {"mean", "sum", "none"}
        Average, sum, or the elementwise squared errors.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> pred = tg.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = tg.nn.functional.mse_loss(pred, [1.0, 2.0, 1.0])
    >>> loss.item()
    3.0
    >>> loss.backward(); pred.grad         # 2/3 * (pred - target)
    array([0., 0., 2.], dtype=float32)
    """
    pred, target = _regression_args(pred, target, reduction, "mse_loss")
    diff = pred - target
    return _reduce(diff * diff, reduction)


def l1_loss(pred: Any, target: Any, reduction: Reduction = "mean") -> Tensor:
    r"""Mean absolute error :math:`L = \frac1n \sum_i |\hat y_i - y_i|`.

    Gradient: :math:`\frac1n \operatorname{sign}(\hat y_i - y_i)`, with 0 at :math:`\hat y_i = y_i`.
    """
    pred, target = _regression_args(pred, target, reduction, "l1_loss")
    return _reduce((pred - target).abs(), reduction)


def huber_loss(pred: Any, target: Any, delta: float = 1.0, reduction: Reduction = "mean") -> Tensor:
    r"""Huber loss: quadratic for small residuals :math:`r = \hat y - y`, linear for large ones.

    .. math:: \ell(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
              \delta (|r| - \tfrac12 \delta) & |r| > \delta \end{cases}
              \qquad \ell'(r) = \operatorname{clip}(r, -\delta, \delta)

    The gradient is the residual, capped at :math:`\pm\delta`: outliers pull with bounded force. Computed as
    :math:`\tfrac12 q^2 + \delta (|r| - q)` with :math:`q = \min(|r|, \delta)`, which is both cases at once.

    Parameters
    ----------
    delta : float, default 1.0
        Where the loss switches from quadratic to linear; must be positive.
    """
    pred, target = _regression_args(pred, target, reduction, "huber_loss")
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not (delta > 0 and math.isfinite(delta)):
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}; pass a finite number > 0, e.g. delta=1.0")
    abs_r = (pred - target).abs()
    quadratic = abs_r.minimum(delta)
    return _reduce(0.5 * quadratic * quadratic + delta * (abs_r - quadratic), reduction)


# --------------------------------------------------------------------------------------------------------
# classification losses
# --------------------------------------------------------------------------------------------------------

_LABELS_PM1 = "; for labels in {-1, 1} use (y + 1) / 2"


def binary_cross_entropy(probs: Any, targets: Any, reduction: Reduction = "mean") -> Tensor:
    r"""Binary cross-entropy of predicted probabilities :math:`p` against targets :math:`y \in [0, 1]`.

    .. math:: L = -\frac1n \sum_i \big[ y_i \max(\log p_i, -100) + (1 - y_i) \max(\log(1 - p_i), -100) \big]

    **Clamp** (PyTorch's): each log is clamped at -100, so a prediction of exactly 0 or 1 costs at most 100
    instead of :math:`\infty`; the backward uses :math:`(p - y) / \max(p(1 - p), 10^{-12})`, finite even there.

    Gradient: :math:`\partial L / \partial p_i = \frac1n \frac{p_i - y_i}{p_i (1 - p_i)}`. Through a sigmoid,
    :math:`p = \sigma(z)`, the denominator cancels with :math:`\sigma' = p(1-p)`; prefer
    :func:`binary_cross_entropy_with_logits`, which does this cancellation exactly and stays accurate where
    :math:`\sigma(z)` rounds to 0 or 1.

    Raises
    ------
    ValueError
        If ``probs`` or ``targets`` leave [0, 1] (logits passed by mistake, labels in {-1, 1}), or shapes
        differ.
    """
    fn = "binary_cross_entropy"
    _check_reduction(reduction, fn)
    probs = _float_input(probs, fn, "probs")
    targets = _float_target(targets, probs, fn, "targets")
    _check_same_shape(probs, targets, fn, ("probs", "targets"))
    _check_nonempty(probs, fn, reduction)
    _check_unit_interval(probs.data, fn, "probs", "; for logits use binary_cross_entropy_with_logits")
    if not isinstance(targets, Tensor):  # data is checked; a target that requires grad is a variable
        _check_unit_interval(targets, fn, "targets", _LABELS_PM1)
    return apply_op(ops.BinaryCrossEntropy(reduction), probs, targets)


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: Reduction = "mean") -> Tensor:
    r"""Binary cross-entropy of logits :math:`z` (:math:`p = \sigma(z)`) against targets :math:`y \in [0, 1]`.

    .. math:: L = \frac1n \sum_i \big[\max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})\big]
              = -\frac1n \sum_i \big[y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i))\big]

    The left form (a fused primitive) never overflows: loss and gradient are finite and exact for
    :math:`|z|` of 1e4 and beyond.

    Gradient: :math:`\partial L / \partial z_i = \frac1n (\sigma(z_i) - y_i)`.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> z = tg.Tensor([1e4, -1e4, 0.0], requires_grad=True)
    >>> loss = tg.nn.functional.binary_cross_entropy_with_logits(z, [0.0, 0.0, 1.0])
    >>> round(loss.item(), 3)                   # (1e4 + 0 + log 2) / 3
    3333.564
    >>> loss.backward(); np.round(z.grad, 4)    # (sigmoid(z) - y) / 3
    array([ 0.3333,  0.    , -0.1667], dtype=float32)
    """
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, fn)
    logits = _float_input(logits, fn, "logits")
    targets = _float_target(targets, logits, fn, "targets")
    _check_same_shape(logits, targets, fn, ("logits", "targets"))
    _check_nonempty(logits, fn, reduction)
    if not isinstance(targets, Tensor):
        _check_unit_interval(targets, fn, "targets", _LABELS_PM1)
    return apply_op(ops.BinaryCrossEntropyWithLogits(reduction), logits, targets)


def cross_entropy(logits: Any, labels: Any, reduction: Reduction = "mean") -> Tensor:
    r"""Softmax cross-entropy of logits :math:`z` (N samples by C classes) against class labels.

    .. math:: L = -\frac1N \sum_n \log \mathrm{softmax}(z_n)_{y_n}
              = \frac1N \sum_n \Big[\log \sum_c e^{z_{nc}} - z_{n y_n}\Big]

    **Fused primitive** (:class:`tinygrad_edu.ops.CrossEntropy`: log-softmax and NLL in one node) whose
    backward is the hand-derived

    .. math:: \frac{\partial L}{\partial z} = \frac1N \big(\mathrm{softmax}(z) - \mathrm{onehot}(y)\big),

    faster than differentiating through softmax, log and indexing, and stable for logits of :math:`\pm 10^4`.

    Parameters
    ----------
    logits : Tensor or array-like, shape (N, C)
        Unnormalised class scores (no softmax applied).
    labels : array-like or Tensor
        Integer class indices of shape (N,) in [0, C), or probability targets of shape (N, C) (one-hot or
        soft labels, rows summing to 1; then :math:`\ell_n = -\sum_c t_{nc} \log \mathrm{softmax}(z_n)_c`).
        Note that ``Tensor([0, 2, 1])`` is float32 (Python lists become the default float dtype): pass
        ``np.array([0, 2, 1])`` for labels.
    reduction : {"mean", "sum", "none"}
        Mean over the N samples, sum, or the N per-sample losses.

    Raises
    ------
    ValueError
        For logits that are not 2-D, float labels of shape (N,), a label outside [0, C), or a batch-size
        mismatch; the message names the shapes and values.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> logits = tg.Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> loss = tg.nn.functional.cross_entropy(logits, np.array([0, 1]))
    >>> round(loss.item(), 4)                   # log(1 + e^-2)
    0.1269
    >>> loss.backward(); np.round(logits.grad, 4)   # (softmax - onehot) / 2
    array([[-0.0596,  0.0596],
           [ 0.0596, -0.0596]], dtype=float32)
    """
    fn = "cross_entropy"
    _check_reduction(reduction, fn)
    logits = _class_scores(logits, fn, "logits")
    targets = _class_targets(labels, logits.shape, logits.dtype, fn, allow_probs=True)
    _check_nonempty(logits, fn, reduction)
    return apply_op(ops.CrossEntropy(reduction), logits, targets)


def nll_loss(log_probs: Any, labels: Any, reduction: Reduction = "mean") -> Tensor:
    r"""Negative log-likelihood of integer labels given log-probabilities :math:`\log p` (N, C).

    .. math:: L = -\frac1N \sum_n \log p_{n y_n}, \qquad
              \frac{\partial L}{\partial \log p_{nc}} = -\frac1N [c = y_n]

    ``nll_loss(log_softmax(z), y)`` equals ``cross_entropy(z, y)``; the latter is one fused node.

    Parameters
    ----------
    log_probs : Tensor, shape (N, C)
        Log-probabilities, e.g. the output of ``log_softmax``.
    labels : array-like of int, shape (N,)
        Class indices in [0, C).
    """
    fn = "nll_loss"
    _check_reduction(reduction, fn)
    log_probs = _class_scores(log_probs, fn, "log_probs")
    labels = _class_targets(labels, log_probs.shape, log_probs.dtype, fn, allow_probs=False)
    _check_nonempty(log_probs, fn, reduction)
    return _reduce(-log_probs[np.arange(len(labels)), labels], reduction)
