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
* ``kl_div(log_probs, target)``: :math:`t (\log t - \log p)`; ``reduction="batchmean"`` is the KL divergence
  (composite)
* ``smooth_l1_loss(pred, target, beta)``: ``huber_loss(delta=beta) / beta`` (composite)
* ``margin_ranking_loss(x1, x2, y)``, ``hinge_embedding_loss(x, y)``: hinges for labels in {1, -1} (composites)

``cross_entropy`` and ``nll_loss`` also take PyTorch's ``weight``, ``ignore_index``, N-d scores (N, C, d1, ...)
and (``cross_entropy``) ``label_smoothing``; ``binary_cross_entropy_with_logits`` takes ``weight`` and
``pos_weight``. With those options they are composites around the fused primitives, which stay the whole loss
for the default arguments.

Activations: ``relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``, and (issue 18, PyTorch's names and
defaults) ``leaky_relu``, ``elu``, ``selu``, ``gelu``, ``silu``, ``softplus``, ``logsigmoid``, ``hardtanh``,
``relu6``, ``mish``: each the Tensor method of the same name.

The derivations of the gradients are in ``docs/losses_and_metrics.md``; the fused ops are in
:mod:`tinygrad_edu.ops` (section "fused losses").

Shapes are checked rather than broadcast: ``mse_loss`` of a ``(N, 1)`` prediction and a ``(N,)`` target
would silently broadcast to ``(N, N)`` and compute the wrong loss, so it raises ``ValueError`` instead.

For images (NCHW, PyTorch's signatures): ``conv2d`` (primitive), ``max_pool2d`` (primitive; a tie's gradient
goes to the window's first maximum) and ``avg_pool2d`` (composite), derived in ``docs/convolution.md``.
"""

from __future__ import annotations

import math
import numbers
import reprlib
import warnings
from typing import Any, Literal

import numpy as np

from .. import ops
from ..metrics import value_range
from ..tensor import Tensor, apply_op, get_default_dtype, where

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
    "kl_div",
    "smooth_l1_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "one_hot",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "softplus",
    "logsigmoid",
    "hardtanh",
    "relu6",
    "mish",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
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


# issue 18: activations (PyTorch's names and defaults; each the Tensor method of the same name) ----------------


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else ``negative_slope`` :math:`\cdot x`; the slope at 0 is ``negative_slope``."""
    return _as_tensor(x, "leaky_relu").leaky_relu(negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha(e^x - 1)`; the derivative at 0 is :math:`\alpha`."""
    return _as_tensor(x, "elu").elu(alpha)


def selu(x: Any) -> Tensor:
    r""":math:`\lambda\,\mathrm{elu}(x, \alpha)` with PyTorch's constants (``tg.tensor.SELU_ALPHA``, ``SELU_SCALE``)."""
    return _as_tensor(x, "selu").selu()


def gelu(x: Any, approximate: str = "none") -> Tensor:
    r""":math:`x\Phi(x)` (``approximate="none"``, with erf) or its tanh approximation (``approximate="tanh"``)."""
    return _as_tensor(x, "gelu").gelu(approximate)


def silu(x: Any) -> Tensor:
    r""":math:`x\sigma(x)` (swish)."""
    return _as_tensor(x, "silu").silu()


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r""":math:`\frac1\beta\ln(1 + e^{\beta x})`, and :math:`x` where :math:`\beta x >` ``threshold``; stable."""
    return _as_tensor(x, "softplus").softplus(beta, threshold)


def logsigmoid(x: Any) -> Tensor:
    r""":math:`\ln\sigma(x) = -\ln(1 + e^{-x})`, stable for :math:`|x|` of 1e4."""
    return _as_tensor(x, "logsigmoid").logsigmoid()


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    r""":math:`x` clipped to ``[min_val, max_val]``; the gradient is 0 at both ends (PyTorch's)."""
    return _as_tensor(x, "hardtanh").hardtanh(min_val, max_val)


def relu6(x: Any) -> Tensor:
    r""":math:`\min(\max(x, 0), 6)`; the gradient is 0 at 0 and at 6."""
    return _as_tensor(x, "relu6").relu6()


def mish(x: Any) -> Tensor:
    r""":math:`x\tanh(\mathrm{softplus}(x))`."""
    return _as_tensor(x, "mish").mish()


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
    labels: Any,
    shape: tuple[int, ...],
    dtype: np.dtype,
    fn: str,
    allow_probs: bool,
    ignore_index: int | None = None,
) -> tuple[Tensor | np.ndarray, np.ndarray | None]:
    """Validate ``labels`` against scores of ``shape`` (N, C) or (N, C, d1, ...): integer labels (N, d1, ...)
    in [0, C) (or equal to ``ignore_index``), or (if ``allow_probs``) probability targets of the scores' shape,
    returned in the scores' float ``dtype``. Also returns the mask of the ignored labels, or None if none is."""
    n, c = shape[0], shape[1]
    index_shape = (n, *shape[2:]) if len(shape) > 2 else (n,)
    arr = _numeric_array(labels, fn, "labels")
    if arr.ndim == len(shape) and allow_probs:
        if arr.shape != shape:
            raise ValueError(
                f"{fn}: logits have shape {shape} but the probability targets have shape {arr.shape}; give one row "
                "per sample and one column per class"
            )
        if isinstance(labels, Tensor) and labels.requires_grad:  # a variable, not data: any value is allowed
            return labels.astype(dtype), None
        _check_unit_interval(arr, fn, "probability targets", " (one-hot rows or soft labels)")
        _check_rows_sum_to_one(arr, fn)
        return arr.astype(dtype), None
    probs_shape = f" or probability targets of shape {shape}" if allow_probs else ""  # for the messages
    if arr.ndim != len(index_shape):
        raise ValueError(
            f"{fn}: labels must be class indices of shape {index_shape}{probs_shape}, got shape {arr.shape}; "
            "reshape them, e.g. labels.reshape(-1)"
        )
    if arr.dtype.kind not in "iu":
        from_list = " (Tensor([...]) of a Python list is float32)" if isinstance(labels, Tensor) else ""
        raise ValueError(
            f"{fn}: labels must be integer class indices, got dtype {arr.dtype}{from_list}; convert them, e.g. "
            "np.asarray(labels, dtype=np.int64)" + (f", or pass{probs_shape}" if allow_probs else "")
        )
    if arr.shape != index_shape:
        if arr.ndim == 1:
            raise ValueError(
                f"{fn}: batch sizes differ: the scores have {n} rows (shape {shape}) but there are {len(arr)} labels "
                f"(shape {arr.shape}); pass one label per row"
            )
        raise ValueError(
            f"{fn}: labels of shape {arr.shape} do not match scores of shape {shape}: give one label per sample and "
            f"position, shape {index_shape} (the scores without their class axis 1)"
        )
    ignored = None
    if arr.size:
        # two reductions by the ufuncs themselves (callgrind, 32 labels: 23,400 -> 17,400 instructions per check,
        # against two comparisons, their | and .any())
        lo, hi = int(np.minimum.reduce(arr, axis=None)), int(np.maximum.reduce(arr, axis=None))
        if lo < 0 or hi >= c:
            bad = (arr < 0) | (arr >= c)
            if ignore_index is not None:
                bad &= arr != ignore_index
            if bad.any():
                flat = int(np.flatnonzero(bad)[0])
                position = flat if arr.ndim == 1 else tuple(int(i) for i in np.unravel_index(flat, arr.shape))
                value = int(arr.reshape(-1)[flat])
                ignore = f" (or ignore_index={ignore_index}, which is skipped)" if ignore_index is not None else ""
                raise ValueError(
                    f"{fn}: label {value} at position {position} is out of range for {c} classes (scores of shape "
                    f"{shape}); labels must be in [0, {c - 1}]{ignore}: give the scores one column per class, or fix "
                    "the labels"
                )
        if ignore_index is not None and lo <= ignore_index <= hi:
            mask = arr == ignore_index
            ignored = mask if mask.any() else None
    return arr, ignored


def _check_rows_sum_to_one(rows: np.ndarray, fn: str) -> None:
    """Probability targets are distributions (along the class axis 1): one summing elsewhere would scale that
    sample's loss."""
    sums = rows.sum(axis=1)
    if rows.size and not np.allclose(sums, 1.0, atol=1e-3):
        flat = int(np.argmax(np.abs(sums - 1.0)))
        where_: Any = flat if sums.ndim == 1 else tuple(int(k) for k in np.unravel_index(flat, sums.shape))
        raise ValueError(
            f"{fn}: each row of the probability targets must sum to 1, got row {where_} summing to "
            f"{sums.reshape(-1)[flat]:g}; normalise them (t / t.sum(axis=1, keepdims=True)) or pass integer labels"
        )


def _class_scores(x: Any, fn: str, what: str) -> Tensor:
    t = _float_input(x, fn, what)
    if t.ndim < 2:
        single = " For a single example use x.reshape(1, -1) and one label." if t.ndim == 1 else ""
        raise ValueError(
            f"{fn}: {what} must have shape (N, C), N samples by C classes, got shape {t.shape}.{single} "
            "(N, C, d1, ...) with labels of shape (N, d1, ...) works too, as in PyTorch."
        )
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


def binary_cross_entropy_with_logits(
    logits: Any,
    targets: Any,
    weight: Any = None,
    reduction: Reduction = "mean",
    pos_weight: Any = None,
) -> Tensor:
    r"""Binary cross-entropy of logits :math:`z` (:math:`p = \sigma(z)`) against targets :math:`y \in [0, 1]`.

    .. math:: L = \frac1n \sum_i \big[\max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})\big]
              = -\frac1n \sum_i \big[y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i))\big]

    The left form (a fused primitive) never overflows: loss and gradient are finite and exact for
    :math:`|z|` of 1e4 and beyond.

    Gradient: :math:`\partial L / \partial z_i = \frac1n (\sigma(z_i) - y_i)`.

    With ``pos_weight`` :math:`p` (PyTorch's formula; broadcast against the logits, so a shape (C,) weighs the
    positives of each class, the last axis) and ``weight`` :math:`w` (broadcast likewise):

    .. math:: \ell_i = w_i \big[(1 - y_i) z_i + (1 + (p - 1) y_i) \operatorname{softplus}(-z_i)\big]
              = w_i \big[\ell^{\text{plain}}_i + (p - 1)\, y_i \operatorname{softplus}(-z_i)\big],

    :math:`p > 1` raises recall (a missed positive costs :math:`p` times more). Gradient:
    :math:`\partial \ell_i / \partial z_i = w_i[(1 + (p-1)y_i)\sigma(z_i) - p\,y_i]`. The mean is over all
    elements (the weights do not divide it). With either weight the loss is a composite of the fused primitive
    (:math:`\operatorname{softplus}(-z)` is that primitive at :math:`y = 1`, as stable); without them, the
    primitive alone.

    Parameters
    ----------
    weight, pos_weight : array-like, optional
        Data (no gradient), broadcastable to the logits' shape without changing it. A string in the place of
        ``weight`` is taken as ``reduction`` (the positional form ``f(z, y, "sum")`` of before).

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
    if isinstance(weight, str):  # f(z, y, "sum"): the positional reduction of before weight= existed
        reduction, weight = weight, None  # type: ignore[assignment]
    _check_reduction(reduction, fn)
    logits = _float_input(logits, fn, "logits")
    targets = _float_target(targets, logits, fn, "targets")
    _check_same_shape(logits, targets, fn, ("logits", "targets"))
    _check_nonempty(logits, fn, reduction)
    if not isinstance(targets, Tensor):
        _check_unit_interval(targets, fn, "targets", _LABELS_PM1)
    if weight is None and pos_weight is None:  # the fused primitive alone: the fast path
        return apply_op(ops.BinaryCrossEntropyWithLogits(reduction), logits, targets)
    per = apply_op(ops.BinaryCrossEntropyWithLogits("none"), logits, targets)
    if pos_weight is not None:
        p = _broadcast_weight(pos_weight, logits, fn, "pos_weight")
        softplus_neg = apply_op(ops.BinaryCrossEntropyWithLogits("none"), logits, np.ones(logits.shape, logits.dtype))
        per = per + (p - 1) * targets * softplus_neg
    if weight is not None:
        per = per * _broadcast_weight(weight, logits, fn, "weight")
    return _reduce(per, reduction)


def _broadcast_weight(weight: Any, like: Tensor, fn: str, what: str) -> np.ndarray:
    """A weight (data) in ``like``'s dtype, broadcastable to ``like``'s shape without changing it."""
    w = _numeric_array(weight, fn, what).astype(like.dtype)
    try:
        fits = np.broadcast_shapes(w.shape, like.shape) == like.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{fn}: {what} of shape {w.shape} does not broadcast to the logits' shape {like.shape}; give one value "
            f"per class (shape ({like.shape[-1] if like.ndim else 1},), the last axis) or the logits' shape"
        )
    return w


def cross_entropy(
    logits: Any,
    labels: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Softmax cross-entropy of logits :math:`z` (N samples by C classes) against class labels.

    .. math:: L = -\frac1N \sum_n \log \mathrm{softmax}(z_n)_{y_n}
              = \frac1N \sum_n \Big[\log \sum_c e^{z_{nc}} - z_{n y_n}\Big]

    **Fused primitive** (:class:`tinygrad_edu.ops.CrossEntropy`: log-softmax and NLL in one node) whose
    backward is the hand-derived

    .. math:: \frac{\partial L}{\partial z} = \frac1N \big(\mathrm{softmax}(z) - \mathrm{onehot}(y)\big),

    faster than differentiating through softmax, log and indexing, and stable for logits of :math:`\pm 10^4`.

    **Options** (PyTorch's semantics and defaults). With class weights :math:`w`, ignored labels and label
    smoothing :math:`\varepsilon`, for integer labels and :math:`\log p = \mathrm{log\_softmax}(z)`:

    .. math:: \ell_n = (1 - \varepsilon)\, w_{y_n} (-\log p_{n y_n})
              + \frac{\varepsilon}{C} \sum_c w_c (-\log p_{nc}),

    :math:`\ell_n = 0` where :math:`y_n` = ``ignore_index``, and the mean divides the sum by
    :math:`\sum_{n \text{ not ignored}} w_{y_n}` (the number of labels not ignored without weights), not by
    :math:`N`. For probability targets :math:`t`, smoothing replaces them by
    :math:`(1 - \varepsilon) t + \varepsilon / C`, :math:`\ell_n = -\sum_c w_c t_{nc} \log p_{nc}`, and the mean
    divides by :math:`N` (``ignore_index`` does not apply). With any option the loss is a composite of
    ``log_softmax`` (a fused, stable primitive), indexing and sums; without them, the primitive above.

    Parameters
    ----------
    logits : Tensor or array-like, shape (N, C) or (N, C, d1, ...)
        Unnormalised class scores (no softmax applied); the classes are axis 1, as in PyTorch (an image's
        pixels: (N, C, H, W)).
    labels : array-like or Tensor
        Integer class indices of shape (N,) (or (N, d1, ...)) in [0, C), or probability targets of the logits'
        shape (one-hot or soft labels, summing to 1 along axis 1; then
        :math:`\ell_n = -\sum_c t_{nc} \log \mathrm{softmax}(z_n)_c`). Note that ``Tensor([0, 2, 1])`` is
        float32 (Python lists become the default float dtype): pass ``np.array([0, 2, 1])`` for labels.
    weight : array-like of shape (C,), optional
        A weight per class (data: no gradient). A string here is taken as ``reduction`` (the positional form
        ``cross_entropy(z, y, "sum")`` of before).
    ignore_index : int, default -100
        Labels equal to it contribute nothing, to the loss nor to the mean's denominator.
    reduction : {"mean", "sum", "none"}
        Mean over the samples (weighted, see above), sum, or the per-sample losses (shape (N, d1, ...)).
    label_smoothing : float in [0, 1], default 0
        Mix the targets with the uniform distribution.

    Raises
    ------
    ValueError
        For logits of fewer than 2 dimensions, float labels, a label outside [0, C) that is not
        ``ignore_index``, a batch-size mismatch, a weight that is not one per class, a smoothing outside
        [0, 1]; the message names the shapes and values.

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
    if isinstance(weight, str):  # cross_entropy(z, y, "sum"): the positional reduction of before weight= existed
        reduction, weight = weight, None  # type: ignore[assignment]
    _check_reduction(reduction, fn)
    _check_ignore_index(ignore_index, fn)
    smoothing = _check_label_smoothing(label_smoothing, fn)
    logits = _class_scores(logits, fn, "logits")
    w = _class_weight(weight, logits, fn)
    targets, ignored = _class_targets(labels, logits.shape, logits.dtype, fn, True, ignore_index)
    _check_nonempty(logits, fn, reduction)
    if logits.ndim == 2 and w is None and not smoothing and ignored is None:  # the fused primitive: the fast path
        return apply_op(ops.CrossEntropy(reduction), logits, targets)
    scores, targets = _rows(logits), _flat_targets(targets)
    index_shape = (logits.shape[0], *logits.shape[2:])
    if w is None and not smoothing and ignored is None:  # N-d without options: the fused primitive on (M, C)
        per = apply_op(ops.CrossEntropy(reduction), scores, targets)
        return per.reshape(index_shape) if reduction == "none" else per
    return _negative_log_likelihood(scores.log_softmax(axis=1), targets, ignored, w, smoothing, reduction, index_shape)


def nll_loss(
    log_probs: Any,
    labels: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    r"""Negative log-likelihood of integer labels given log-probabilities :math:`\log p` (N, C).

    .. math:: L = -\frac1N \sum_n \log p_{n y_n}, \qquad
              \frac{\partial L}{\partial \log p_{nc}} = -\frac1N [c = y_n]

    ``nll_loss(log_softmax(z), y)`` equals ``cross_entropy(z, y)``; the latter is one fused node.

    With class weights :math:`w` and ``ignore_index`` (PyTorch's semantics): :math:`\ell_n = -w_{y_n}
    \log p_{n y_n}`, 0 for an ignored label, and the mean is :math:`\sum_n \ell_n / \sum_{n \text{ not
    ignored}} w_{y_n}`, so :math:`\partial L / \partial \log p_{nc} = -[c = y_n]\, w_{y_n} / \sum_m w_{y_m}`.

    Parameters
    ----------
    log_probs : Tensor, shape (N, C) or (N, C, d1, ...)
        Log-probabilities along axis 1, e.g. the output of ``log_softmax(axis=1)``.
    labels : array-like of int, shape (N,) or (N, d1, ...)
        Class indices in [0, C), or ``ignore_index``.
    weight : array-like of shape (C,), optional
        A weight per class (data). A string here is taken as ``reduction``.
    ignore_index : int, default -100
        Labels equal to it contribute nothing.
    reduction : {"mean", "sum", "none"}
        Weighted mean, sum, or the per-sample losses (shape (N, d1, ...)).
    """
    fn = "nll_loss"
    if isinstance(weight, str):  # nll_loss(lp, y, "sum"): the positional reduction of before
        reduction, weight = weight, None  # type: ignore[assignment]
    _check_reduction(reduction, fn)
    _check_ignore_index(ignore_index, fn)
    log_probs = _class_scores(log_probs, fn, "log_probs")
    w = _class_weight(weight, log_probs, fn)
    labels, ignored = _class_targets(labels, log_probs.shape, log_probs.dtype, fn, False, ignore_index)
    _check_nonempty(log_probs, fn, reduction)
    if log_probs.ndim == 2 and w is None and ignored is None:
        return _reduce(-log_probs[np.arange(len(labels)), labels], reduction)
    index_shape = (log_probs.shape[0], *log_probs.shape[2:])
    return _negative_log_likelihood(_rows(log_probs), _flat_targets(labels), ignored, w, 0.0, reduction, index_shape)


def _check_ignore_index(ignore_index: Any, fn: str) -> None:
    if type(ignore_index) is int:  # the common case, first: this runs at every training step
        return
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(
            f"{fn}: ignore_index must be an int (a label value to skip), got {ignore_index!r}; "
            "e.g. ignore_index=-100 (the default)"
        )


def _check_label_smoothing(label_smoothing: Any, fn: str) -> float:
    if label_smoothing == 0 and type(label_smoothing) in (float, int):  # the default, first: no ABC isinstance
        return 0.0
    if (
        isinstance(label_smoothing, bool)
        or not isinstance(label_smoothing, numbers.Real)
        or not 0.0 <= float(label_smoothing) <= 1.0
    ):
        raise ValueError(
            f"{fn}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}; e.g. label_smoothing=0.1"
        )
    return float(label_smoothing)


def _class_weight(weight: Any, scores: Tensor, fn: str) -> np.ndarray | None:
    """The class weights (data) as a (C,) array in the scores' dtype, or None."""
    if weight is None:
        return None
    c = scores.shape[1]
    w = _numeric_array(weight, fn, "weight")
    if w.shape != (c,):
        raise ValueError(
            f"{fn}: weight must have one entry per class, shape ({c},) for scores of shape {scores.shape}, got shape "
            f"{w.shape}"
        )
    return w.astype(scores.dtype)


def _rows(x: Any) -> Any:
    """Scores (N, C, d1, ...) -> (N * d1 * ..., C): one row per sample and position, the classes last."""
    if x.ndim == 2:
        return x
    return x.transpose(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])


def _flat_targets(t: Any) -> Any:
    """Targets in the layout of :func:`_rows`: labels (N, d1, ...) -> (M,), probabilities -> (M, C)."""
    if isinstance(t, np.ndarray) and t.dtype.kind in "iu":
        return t.reshape(-1)
    return _rows(t)


def _negative_log_likelihood(
    log_p: Tensor,
    targets: Tensor | np.ndarray,
    ignored: np.ndarray | None,
    w: np.ndarray | None,
    smoothing: float,
    reduction: str,
    index_shape: tuple[int, ...],
) -> Tensor:
    """The weighted, smoothed NLL of PyTorch's ``cross_entropy``/``nll_loss`` from log-probabilities (M, C)."""
    m, c = log_p.shape
    if isinstance(targets, Tensor) or targets.dtype.kind == "f":  # probability targets (M, C)
        if smoothing:
            targets = targets * (1 - smoothing) + smoothing / c
        terms = log_p * targets if w is None else log_p * targets * w
        per = -terms.sum(axis=1)
        if reduction == "none":
            return per.reshape(index_shape)
        return per.sum() / m if reduction == "mean" else per.sum()
    labels = targets.reshape(-1) if ignored is None else np.where(ignored.reshape(-1), 0, targets.reshape(-1))
    keep = None if ignored is None else (~ignored.reshape(-1)).astype(log_p.dtype)
    target_weight = np.ones(m, log_p.dtype) if w is None else w[labels]
    if keep is not None:
        target_weight = target_weight * keep
    per = -log_p[np.arange(m), labels] * target_weight
    if smoothing:
        smooth = -(log_p.sum(axis=1) if w is None else (log_p * w).sum(axis=1))
        if keep is not None:
            smooth = smooth * keep
        per = (1 - smoothing) * per + (smoothing / c) * smooth
    if reduction == "none":
        return per.reshape(index_shape)
    if reduction == "sum":
        return per.sum()
    with np.errstate(invalid="ignore", divide="ignore"):  # every label ignored: 0 / 0 = NaN, as in PyTorch
        return per.sum() / target_weight.sum()


# --------------------------------------------------------------------------------------------------------
# more losses (issue 18): composites of primitives
# --------------------------------------------------------------------------------------------------------

KLReduction = Literal["mean", "batchmean", "sum", "none"]


def kl_div(input: Any, target: Any, reduction: KLReduction = "mean", log_target: bool = False) -> Tensor:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(t \,\|\, p)` with ``input`` :math:`= \log p` (PyTorch's).

    .. math:: \ell_i = t_i (\log t_i - \log p_i) \quad (0 \text{ where } t_i = 0), \qquad
              \frac{\partial \ell_i}{\partial \log p_i} = -t_i

    and with ``log_target=True`` (target given as :math:`\log t`): :math:`\ell_i = e^{\log t_i}(\log t_i -
    \log p_i)`.

    **"mean" is not the KL divergence.** ``reduction="mean"`` (the default, as in PyTorch) divides the sum by
    the number of *elements*, :math:`N \cdot C`; the divergence per sample, the mathematical
    :math:`\mathrm{KL}` averaged over the batch, is ``reduction="batchmean"``: the sum divided by
    :math:`N` (``input.shape[0]``). Like PyTorch, "mean" warns and says so.

    Parameters
    ----------
    input : Tensor
        Log-probabilities :math:`\log p` (e.g. ``log_softmax``), any shape.
    target : array-like or Tensor
        Probabilities :math:`t` (or :math:`\log t` with ``log_target=True``), the same shape. A target Tensor
        that requires grad gets its gradient (:math:`\log t_i + 1 - \log p_i`).
    reduction : {"mean", "batchmean", "sum", "none"}
    log_target : bool, default False

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> logp = tg.Tensor(np.log([[0.5, 0.5]]), requires_grad=True)
    >>> round(tg.nn.functional.kl_div(logp, [[1.0, 0.0]], reduction="batchmean").item(), 4)   # log 2
    0.6931
    """
    fn = "kl_div"
    if not isinstance(reduction, str) or reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(
            f"{fn}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}; pass "
            "reduction='batchmean' for the KL divergence per sample"
        )
    if not isinstance(log_target, (bool, np.bool_)):
        raise TypeError(f"{fn}: log_target must be True or False, got {log_target!r}")
    input = _float_input(input, fn, "input")
    target = _float_target(target, input, fn)
    _check_same_shape(input, target, fn, ("input", "target"))
    if reduction in ("mean", "batchmean"):
        _check_nonempty(input, fn, "mean")
    if reduction == "batchmean" and input.ndim == 0:
        raise ValueError(f"{fn}: reduction='batchmean' divides by input.shape[0], and input is 0-d; use 'sum'")
    if log_target:
        per = target.exp() * (target - input) if isinstance(target, Tensor) else np.exp(target) * (target - input)
    elif isinstance(target, Tensor):  # a variable, not data
        positive = target.data > 0
        per = target * (where(positive, target, 1.0).log() - input)  # t log t with log 1 = 0 at t = 0
    else:
        if target.size and np.minimum.reduce(target, axis=None) < 0:
            raise ValueError(
                f"{fn}: target must be probabilities (>= 0), got {value_range(target)}; for log-probabilities pass "
                "log_target=True"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            t_log_t = np.where(target > 0, target * np.log(np.where(target > 0, target, 1)), 0.0).astype(input.dtype)
        per = t_log_t - target * input
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total by the number of elements, not the batch size; "
            "reduction='batchmean' gives the KL divergence per sample (the mathematical definition)",
            UserWarning,
            stacklevel=2,
        )
        return per.mean()
    if reduction == "batchmean":
        return per.sum() / max(input.shape[0], 1)
    return _reduce(per, reduction)


def smooth_l1_loss(pred: Any, target: Any, beta: float = 1.0, reduction: Reduction = "mean") -> Tensor:
    r"""Smooth L1 loss (PyTorch's): quadratic below ``beta``, then linear with slope 1.

    .. math:: \ell(r) = \begin{cases} \tfrac12 r^2 / \beta & |r| < \beta \\
              |r| - \tfrac12 \beta & |r| \ge \beta \end{cases}
              \qquad \ell'(r) = \operatorname{clip}(r / \beta, -1, 1)

    It is :func:`huber_loss` divided by :math:`\beta` (``smooth_l1_loss(x, y, beta) = huber_loss(x, y,
    delta=beta) / beta``): the gradient is capped at :math:`\pm 1` here, at :math:`\pm\delta` there.
    ``beta=0`` is :func:`l1_loss`. Computed as :math:`\tfrac12 q^2/\beta + |r| - q` with
    :math:`q = \min(|r|, \beta)` (a composite).

    Parameters
    ----------
    beta : float, default 1.0
        Where the loss turns linear; >= 0.
    """
    fn = "smooth_l1_loss"
    pred, target = _regression_args(pred, target, reduction, fn)
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not (beta >= 0 and math.isfinite(beta)):
        raise ValueError(f"{fn}: beta must be a finite number >= 0, got {beta!r}; e.g. beta=1.0 (0 gives l1_loss)")
    abs_r = (pred - target).abs()
    if beta == 0:
        return _reduce(abs_r, reduction)
    quadratic = abs_r.minimum(beta)
    return _reduce((0.5 / beta) * quadratic * quadratic + (abs_r - quadratic), reduction)


def margin_ranking_loss(x1: Any, x2: Any, target: Any, margin: float = 0.0, reduction: Reduction = "mean") -> Tensor:
    r"""Ranking loss :math:`\ell_i = \max(0, -y_i (x_{1i} - x_{2i}) + \mathrm{margin})` with
    :math:`y_i \in \{1, -1\}` (1: :math:`x_1` should rank higher). PyTorch's. A composite; its gradient is
    :math:`-y_i` in :math:`x_1` (and :math:`y_i` in :math:`x_2`) where the hinge is active, 0 elsewhere
    (0 at the kink, as relu).
    """
    fn = "margin_ranking_loss"
    x1, x2_target = _regression_args(x1, x2, reduction, fn)
    y = _pm1_labels(target, x1, fn)
    return _reduce((-(y * (x1 - x2_target)) + margin).relu(), reduction)


def hinge_embedding_loss(pred: Any, target: Any, margin: float = 1.0, reduction: Reduction = "mean") -> Tensor:
    r"""Hinge embedding loss (PyTorch's): :math:`\ell_i = x_i` where :math:`y_i = 1` and
    :math:`\max(0, \mathrm{margin} - x_i)` where :math:`y_i = -1`, for distances :math:`x`. A composite."""
    fn = "hinge_embedding_loss"
    _check_reduction(reduction, fn)
    pred = _float_input(pred, fn, "pred")
    _check_nonempty(pred, fn, reduction)
    y = _pm1_labels(target, pred, fn)
    return _reduce(pred * (y == 1) + (margin - pred).relu() * (y == -1), reduction)


def _pm1_labels(target: Any, like: Tensor, fn: str) -> np.ndarray:
    y = _numeric_array(target, fn, "target")
    if y.shape != like.shape:
        raise ValueError(f"{fn}: target has shape {y.shape} but the inputs have shape {like.shape}; make them equal")
    if y.size and not np.isin(y, (-1, 1)).all():
        raise ValueError(f"{fn}: target must hold 1 or -1, got {value_range(y)}; for labels in {{0, 1}} use 2 * y - 1")
    return y.astype(like.dtype)


# --------------------------------------------------------------------------------------------------------
# issue 18: one-hot encoding
# --------------------------------------------------------------------------------------------------------


def one_hot(labels: Any, num_classes: int | None = None) -> Tensor:
    """One-hot rows of integer ``labels`` (any shape): a float tensor of shape ``(*labels.shape, num_classes)``
    with 1 at each label, in the default dtype, not part of any graph (labels have no gradient).

    ``num_classes`` defaults to ``max(labels) + 1``, as PyTorch's ``one_hot``.
    """
    values = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if values.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: labels must be integers, got dtype {values.dtype}; convert class labels first, "
            "e.g. labels.astype(np.int64)"
        )
    if num_classes is None:
        num_classes = int(values.max()) + 1 if values.size else 0
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be a non-negative int, got {num_classes!r}")
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got values from {values.min()} to {values.max()}; "
            "pass a larger num_classes or fix the labels"
        )
    out = np.zeros((*values.shape, int(num_classes)), dtype=get_default_dtype())
    np.put_along_axis(out, values[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._make(out, None, None)


# issue 18: convolution and pooling (NCHW, PyTorch's signatures; derivations in docs/convolution.md)
# --------------------------------------------------------------------------------------------------------


def _image_batch(x: Any, fn: str, what: str = "input") -> tuple[Tensor, bool]:
    """``x`` as a float (N, C, H, W) Tensor; one image (C, H, W) becomes a batch of one (the flag says so, as
    PyTorch's unbatched inputs); any other number of axes raises, naming the shape."""
    t = _float_input(x, fn, what)
    if t.ndim == 3:
        return t.reshape(1, *t.shape), True
    if t.ndim != 4:
        raise ValueError(
            f"{fn}: the {what} must be 4-D (N, C, H, W) or one image (C, H, W), got shape {t.shape}; a batch of "
            "grey images (N, H, W) is x.reshape(N, 1, H, W)"
        )
    return t, False


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Tensor:
    r"""2-D convolution (cross-correlation, as PyTorch's ``conv2d``) of ``input`` (N, C, H, W) with ``weight``
    (O, C, kh, kw):

    .. math:: Y_{nopq} = b_o + \sum_{c,i,j} W_{ocij} \, X_{n c,\, s_h p + d_h i - p_h,\, s_w q + d_w j - p_w}

    with zeros outside the input; the output is (N, O, OH, OW), :math:`OH = \lfloor (H + 2p_h - d_h(k_h - 1) - 1)
    / s_h \rfloor + 1` (and OW alike). One primitive (:class:`tinygrad_edu.ops.Conv2d`): im2col (a strided
    view copied once) and one matrix product; its gradients are the transposed products (col2im for the
    input), themselves primitives so that second derivatives exist.

    Parameters
    ----------
    input : Tensor, shape (N, C, H, W) or (C, H, W)
    weight : Tensor, shape (O, C, kh, kw)
    bias : Tensor of shape (O,), optional
    stride, padding, dilation : int or (int, int)
        Step between windows (>= 1), zeros added on each side (>= 0), spacing of the kernel's taps (>= 1).

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> x = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> tg.nn.functional.conv2d(x, tg.Tensor(np.ones((1, 1, 2, 2))), stride=2).numpy()[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    fn = "conv2d"
    x, unbatched = _image_batch(input, fn)
    w = _float_input(weight, fn, "weight")
    op = ops.Conv2d(stride, padding, dilation)
    if bias is None:
        out = apply_op(op, x, w)
    else:
        out = apply_op(op, x, w, bias if isinstance(bias, Tensor) else _float_input(bias, fn, "bias"))
    return out.reshape(*out.shape[1:]) if unbatched else out


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> Tensor:
    r"""2-D max pooling of ``input`` (N, C, H, W): the maximum of each :math:`k_h \times k_w` window
    (``stride`` defaults to ``kernel_size``; padding counts as :math:`-\infty` and is at most half the kernel).

    The gradient goes to the selected element of each window; **ties**: the first maximum in row-major order
    of the window gets all of it, as in PyTorch (the ``max`` reduction shares it instead).

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> x = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> tg.nn.functional.max_pool2d(x, 2).numpy()[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x, unbatched = _image_batch(input, "max_pool2d")
    out = apply_op(ops.MaxPool2d(kernel_size, stride, padding, dilation), x)
    return out.reshape(*out.shape[1:]) if unbatched else out


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    r"""2-D average pooling of ``input`` (N, C, H, W): the mean of each :math:`k_h \times k_w` window
    (``stride`` defaults to ``kernel_size``; zero padding counts in the mean, PyTorch's default
    ``count_include_pad=True``).

    A composite: the convolution of each channel with the constant kernel :math:`1/(k_h k_w)`, i.e.
    ``conv2d(x.reshape(N C, 1, H, W), ones(1, 1, kh, kw) / (kh kw))`` reshaped back; its gradient spreads
    :math:`\bar Y / (k_h k_w)` over each window.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> x = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> tg.nn.functional.avg_pool2d(x, 2).numpy()[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    fn = "avg_pool2d"
    x, unbatched = _image_batch(input, fn)
    kh, kw = ops.pair(kernel_size, "kernel_size", fn)
    stride = (kh, kw) if stride is None else ops.pair(stride, "stride", fn)
    padding = ops.pair(padding, "padding", fn, minimum=0)
    if padding[0] > kh // 2 or padding[1] > kw // 2:
        raise ValueError(f"{fn}: padding {padding} must be at most half the kernel size {(kh, kw)} (as in PyTorch)")
    n, c, h, w = x.shape
    kernel = np.full((1, 1, kh, kw), 1.0 / (kh * kw), dtype=x.dtype)
    out = apply_op(ops.Conv2d(stride, padding), x.reshape(n * c, 1, h, w), kernel)
    out = out.reshape(n, c, *out.shape[2:])
    return out.reshape(*out.shape[1:]) if unbatched else out
