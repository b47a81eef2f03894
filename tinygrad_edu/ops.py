r"""The table of derivatives: every primitive operation, forward and backward, on numpy arrays.

Each primitive is one small class. ``forward(*inputs)`` computes the result from numpy arrays (or Python
scalars) and keeps in ``self.saved`` exactly what the derivative needs; ``backward(grad)`` receives the
upstream gradient :math:`\bar y = \partial L / \partial y` (same shape as the output) and returns one
gradient per input, :math:`\bar x_i = \partial L / \partial x_i`, already reduced to the input's shape.
An input whose ``needs_input_grad`` flag is False gets ``None`` and costs nothing.

This module knows nothing about ``Tensor``: ``tensor.py`` builds graph nodes around these classes. Reading
this file top to bottom is reading the chain rule, one local derivative at a time.

Conventions
-----------
* Broadcasting follows numpy. Every gradient of a broadcast input is summed back to the input's shape by the
  one helper :func:`unbroadcast`.
* Subgradients at kinks: ``relu'(0) = 0``, ``|x|'(0) = 0``; ``maximum``/``minimum`` and the ``max``/``min``
  reductions share the gradient equally between tied elements; ``clip`` passes the gradient where
  ``lo <= x <= hi`` (boundaries included, as PyTorch's ``clamp``).
* ``backward`` never writes into ``grad`` or into saved arrays: the same upstream array may be shared.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validation import check_flag

Array = np.ndarray
Axis = int | tuple[int, ...] | None


# --------------------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------------------


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    r"""Sum ``grad`` over the axes that broadcasting added or stretched, so that it has ``shape``.

    If :math:`y = f(\mathrm{broadcast}(x))`, every copy of an element of :math:`x` contributed to
    :math:`y`, so its gradient is the sum of the copies' gradients (the multivariate chain rule).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Return ``axis`` as a sorted tuple of non-negative axes (all axes for ``None``).

    Raises
    ------
    ValueError
        If an axis is out of range for an array of ``ndim`` dimensions or repeats.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(
            f"axis must be an int, a tuple of ints or None, got {axis!r} ({type(axis).__name__}); "
            "e.g. axis=1 or axis=(0, 1)"
        )
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimension(s)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def expand_reduced(grad: Array, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Array:
    """Broadcast the gradient of a reduction over ``axes`` back to the input ``shape``."""
    if not keepdims and axes and shape:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


def broadcasting(ufunc: Any, *operands: Any) -> Array:
    """Apply an elementwise numpy function, turning numpy's broadcasting error into one that names the shapes."""
    try:
        return ufunc(*operands)
    except ValueError:
        try:
            np.broadcast_shapes(*(_shape(x) for x in operands))
        except ValueError:
            pass
        else:
            raise  # not a shape problem (e.g. integers to negative integer powers): numpy's message says what
        shapes = " and ".join(str(_shape(x)) for x in operands)
        raise ValueError(
            f"{ufunc.__name__}: shapes {shapes} cannot be broadcast together: aligned from the right, each pair "
            "of axes must be equal or one of them 1 (reshape one operand, e.g. x.reshape(-1, 1))"
        ) from None


def as_float(x: Any) -> Array:
    """``x`` as a float array: integer and boolean inputs become float64, so that the softmax family and
    sigmoid, which subtract and negate inside, cannot wrap around on unsigned or boolean data."""
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


class Function:
    """Base class of the primitives.

    Attributes
    ----------
    needs_input_grad : tuple of bool
        One flag per input: whether ``backward`` must compute that input's gradient (set by ``apply_op``).
    saved : tuple or None
        What ``forward`` kept for ``backward`` (``apply_op`` starts it as ``()``); ``None`` once the graph was
        released after a backward pass.
    grads_are_new : bool, class attribute
        True for a primitive whose ``backward`` always returns arrays it has just allocated: never ``grad``
        itself, a view of it or of a saved array, nor one array for two inputs. The engine may then keep such
        a gradient as a leaf's ``.grad`` without copying it. False (the default, always safe) makes the
        engine copy.

    There is no ``__init__`` to call (one op object is created per operation, so that creating it costs no
    more than creating any object); subclasses with parameters define their own.
    """

    __slots__ = ("needs_input_grad", "saved")
    grads_are_new: bool = False

    @property
    def name(self) -> str:
        """Lower-case op name, as shown in reprs and graphs."""
        return type(self).__name__.lower()

    def attributes(self) -> dict[str, Any]:
        """Non-array attributes of the op (axis, shape ...) for reprs and graph labels."""
        return {}

    def forward(self, *inputs: Any) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Array) -> tuple[Array | None, ...]:  # pragma: no cover - abstract
        raise NotImplementedError


class _Reduction(Function):
    """Reductions over ``axis`` (int, tuple or None) with ``keepdims``."""

    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        super().__init__()
        self.axis = axis
        self.keepdims = check_flag(keepdims, "keepdims")

    def attributes(self) -> dict[str, Any]:
        return {"axis": self.axis, "keepdims": self.keepdims}


class _AxisOp(Function):
    """Ops along one axis (softmax family)."""

    __slots__ = ("axis",)

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def attributes(self) -> dict[str, Any]:
        return {"axis": self.axis}


def _shape(x: Any) -> tuple[int, ...]:
    """Shape of an array or a Python scalar (``()``), cheaper than ``np.shape``."""
    return getattr(x, "shape", ())


# --------------------------------------------------------------------------------------------------------
# binary arithmetic (numpy broadcasting; gradients reduced by unbroadcast)
# --------------------------------------------------------------------------------------------------------


class Add(Function):
    r""":math:`y = a + b`;  :math:`\partial y/\partial a = 1`, :math:`\partial y/\partial b = 1`."""

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)  # for their shapes (the inputs hold these arrays anyway)
        return broadcasting(np.add, a, b)

    def backward(self, grad):
        a, b = self.saved
        ga, gb = self.needs_input_grad
        return (unbroadcast(grad, _shape(a)) if ga else None, unbroadcast(grad, _shape(b)) if gb else None)


class Sub(Function):
    r""":math:`y = a - b`;  :math:`\partial y/\partial a = 1`, :math:`\partial y/\partial b = -1`."""

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)  # for their shapes (the inputs hold these arrays anyway)
        return broadcasting(np.subtract, a, b)

    def backward(self, grad):
        a, b = self.saved
        ga, gb = self.needs_input_grad
        return (unbroadcast(grad, _shape(a)) if ga else None, unbroadcast(-grad, _shape(b)) if gb else None)


class Mul(Function):
    r""":math:`y = a b`;  :math:`\partial y/\partial a = b`, :math:`\partial y/\partial b = a`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, a, b):
        self.saved = (a, b)
        return broadcasting(np.multiply, a, b)

    def backward(self, grad):
        a, b = self.saved
        ga, gb = self.needs_input_grad
        return (
            unbroadcast(grad * b, _shape(a)) if ga else None,
            unbroadcast(grad * a, _shape(b)) if gb else None,
        )


class Div(Function):
    r""":math:`y = a / b`;  :math:`\partial y/\partial a = 1/b`, :math:`\partial y/\partial b = -a/b^2 = -y/b`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, a, b):
        out = broadcasting(np.divide, a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        ga, gb = self.needs_input_grad
        return (
            unbroadcast(grad / b, _shape(a)) if ga else None,
            unbroadcast(-grad * out / b, _shape(b)) if gb else None,
        )


class Pow(Function):
    r""":math:`y = a^b`.

    :math:`\partial y/\partial a = b\,a^{b-1}` (taken as 0 where :math:`b = 0`, so :math:`x^0` has gradient 0
    even at :math:`x = 0`), and :math:`\partial y/\partial b = a^b \ln a` (taken as 0 where :math:`a = 0` and
    :math:`b \ge 0`, the limit of :math:`a^b \ln a`). These are PyTorch's conventions; for :math:`a < 0`
    and non-integer :math:`b` the value is NaN, as in numpy.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, a, b):
        out = broadcasting(np.power, a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        ga, gb = self.needs_input_grad
        grad_a = grad_b = None
        if ga:
            if np.ndim(b) == 0 and not isinstance(b, np.ndarray):  # Python-scalar exponent: the common case
                local = b * np.power(a, b - 1) if b != 0 else np.zeros_like(out)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    local = np.where(b == 0, 0.0, b * np.power(a, b - 1))
            grad_a = unbroadcast(grad * local, _shape(a))
        if gb:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where((a == 0) & (b >= 0), 0.0, out * np.log(np.where(a == 0, 1, a)))
            grad_b = unbroadcast(grad * local, _shape(b))
        return grad_a, grad_b


class Maximum(Function):
    r""":math:`y = \max(a, b)` elementwise.

    :math:`\partial y/\partial a = [a > b] + \tfrac12 [a = b]`, and symmetrically for :math:`b`: a tie
    shares the gradient equally (the average of the one-sided derivatives).
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, a, b):
        self.saved = (a, b)
        return broadcasting(np.maximum, a, b)

    def backward(self, grad):
        a, b = self.saved
        ga, gb = self.needs_input_grad
        share = (a > b) + 0.5 * (a == b)
        return (
            unbroadcast(grad * share, _shape(a)) if ga else None,
            unbroadcast(grad * (1.0 - share), _shape(b)) if gb else None,
        )


class Minimum(Function):
    r""":math:`y = \min(a, b)` elementwise; :math:`\partial y/\partial a = [a < b] + \tfrac12 [a = b]`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, a, b):
        self.saved = (a, b)
        return broadcasting(np.minimum, a, b)

    def backward(self, grad):
        a, b = self.saved
        ga, gb = self.needs_input_grad
        share = (a < b) + 0.5 * (a == b)
        return (
            unbroadcast(grad * share, _shape(a)) if ga else None,
            unbroadcast(grad * (1.0 - share), _shape(b)) if gb else None,
        )


class Where(Function):
    r""":math:`y = \mathrm{cond} \; ? \; a : b`;  :math:`\partial y/\partial a = [\mathrm{cond}]`,
    :math:`\partial y/\partial b = [\lnot \mathrm{cond}]`. ``cond`` is a boolean array and gets no gradient."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        self.saved = (cond, _shape(a), _shape(b))
        return broadcasting(np.where, cond, a, b)

    def backward(self, grad):
        cond, sa, sb = self.saved
        _, ga, gb = self.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        return (
            None,
            unbroadcast(np.where(cond, grad, zero), sa) if ga else None,
            unbroadcast(np.where(cond, zero, grad), sb) if gb else None,
        )


def _matmul_like(x: Array, y: Array, like: Array) -> Array:
    """``x @ y`` in the memory layout of ``like``. A transposed view such as ``Linear``'s ``W.T`` is
    column-major; computing its gradient as :math:`(y^\top x^\top)^\top` gives a gradient in that layout, so
    that the gradient that reaches ``W`` is row-major like ``W`` and optimiser updates stay contiguous."""
    if like.flags.f_contiguous and not like.flags.c_contiguous:
        return (y.T @ x.T).T
    return x @ y


class MatMul(Function):
    r""":math:`Y = A B` with numpy's ``matmul`` semantics (1-D, 2-D and batched).

    For 2-D operands :math:`\bar A = \bar Y B^\top` and :math:`\bar B = A^\top \bar Y`. A 1-D operand is
    treated as a row (left) or column (right) vector whose added axis is removed again; batch axes
    broadcast and their gradients are summed back by :func:`unbroadcast`.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, a, b):
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul needs operands with at least 1 dimension, got shapes {a.shape} and {b.shape}; "
                "use * to multiply by a scalar"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"matmul shape mismatch: {a.shape} @ {b.shape}: the last axis of the left operand "
                f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of the "
                f"right operand ({b.shape[-2 if b.ndim > 1 else 0]})"
            )
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul batch axes do not broadcast: {a.shape} @ {b.shape} (batch shapes {a.shape[:-2]} and "
                f"{b.shape[:-2]}; aligned from the right, each pair must be equal or one of them 1)"
            ) from None
        self.saved = (a, b)
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved
        ga, gb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshaping
            return (_matmul_like(grad, b.T, a) if ga else None, _matmul_like(a.T, grad, b) if gb else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        grad_a = grad_b = None
        if ga:
            grad_a = g2 @ np.swapaxes(b2, -1, -2)
            grad_a = unbroadcast(grad_a[..., 0, :] if a.ndim == 1 else grad_a, a.shape)
        if gb:
            grad_b = np.swapaxes(a2, -1, -2) @ g2
            grad_b = unbroadcast(grad_b[..., 0] if b.ndim == 1 else grad_b, b.shape)
        return grad_a, grad_b


class Linear(Function):
    r"""The affine map of a dense layer, :math:`Y = X W^\top + b`, as one node (``nn.Linear`` uses it).

    :math:`X` is (N, in) (or any (..., in), or one sample (in,)), :math:`W` is (out, in) (PyTorch's layout)
    and :math:`b` is (out,) or absent. With the upstream gradient :math:`\bar Y` (N, out):

    .. math:: \bar X = \bar Y W, \qquad \bar W = \bar Y^\top X, \qquad \bar b = \sum_n \bar Y_n .

    (:math:`Y_{nj} = \sum_i X_{ni} W_{ji} + b_j`, so :math:`\partial Y_{nj} / \partial W_{ji} = X_{ni}`, summed
    over the batch; leading axes of a batched :math:`X` count as batch axes too.)

    The same values and gradients as ``x @ W.T + b`` built from MatMul, Transpose and Add, in one node instead
    of three: faster, because the bias is added in place into the fresh product and its gradient is one sum,
    and :math:`\bar W` comes out in :math:`W`'s own (row-major) layout without transposing a transposed view.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, x, weight, bias=None):
        x, weight = np.asarray(x), np.asarray(weight)
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: inputs of shape {x.shape} do not fit a weight of shape {weight.shape}: the weight must "
                "be (out_features, in_features) and the last axis of the inputs must have in_features entries"
            )
        out = x @ weight.T
        if bias is not None:
            bias = np.asarray(bias)
            if bias.shape != weight.shape[:1]:
                raise ValueError(f"linear: the bias must have shape {weight.shape[:1]}, got {bias.shape}")
            if bias.dtype == out.dtype or np.result_type(out, bias) == out.dtype:
                out += bias  # the product is a fresh array: add in place
            else:
                out = out + bias  # e.g. a float64 bias promotes a float32 product, as x @ W.T + b would
        self.saved = (x, weight)
        return out

    def backward(self, grad):
        x, weight = self.saved
        needs = self.needs_input_grad  # (x, weight) or (x, weight, bias)
        rows = grad.reshape(-1, grad.shape[-1])  # (N, out): every leading axis is a batch axis
        grad_x = grad @ weight if needs[0] else None
        grad_w = rows.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, np.add.reduce(rows, axis=0) if needs[2] else None


# --------------------------------------------------------------------------------------------------------
# unary elementwise
# --------------------------------------------------------------------------------------------------------


class Neg(Function):
    r""":math:`y = -x`;  :math:`dy/dx = -1`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        return np.negative(x)

    def backward(self, grad):
        return (-grad,)


class Cast(Function):
    r""":math:`y = x` stored in another float dtype;  :math:`dy/dx = 1`, the gradient cast back to
    :math:`x`'s dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        super().__init__()
        self.dtype = np.dtype(dtype)

    def attributes(self):
        return {"dtype": str(self.dtype)}

    def forward(self, x):
        x = np.asarray(x)
        self.saved = (x.dtype,)
        return x.astype(self.dtype)

    def backward(self, grad):
        (dtype,) = self.saved
        return (grad.astype(dtype, copy=False),)


class Exp(Function):
    r""":math:`y = e^x`;  :math:`dy/dx = e^x = y`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        out = np.exp(x)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return (grad * out,)


class Log(Function):
    r""":math:`y = \ln x`;  :math:`dy/dx = 1/x`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        self.saved = (x,)
        return np.log(x)

    def backward(self, grad):
        (x,) = self.saved
        return (grad / x,)


class Sqrt(Function):
    r""":math:`y = \sqrt{x}`;  :math:`dy/dx = 1 / (2\sqrt{x}) = 1/(2y)`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        out = np.sqrt(x)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return (grad / (2 * out),)


class Abs(Function):
    r""":math:`y = |x|`;  :math:`dy/dx = \operatorname{sign} x`, with :math:`|x|'(0) = 0`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        self.saved = (x,)
        return np.abs(x)

    def backward(self, grad):
        (x,) = self.saved
        return (grad * np.sign(x),)


class Relu(Function):
    r""":math:`y = \max(x, 0)`;  :math:`dy/dx = [x > 0]`, with :math:`\mathrm{relu}'(0) = 0`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        self.saved = (x,)
        return np.maximum(x, 0)

    def backward(self, grad):
        (x,) = self.saved
        return (grad * (x > 0),)


class Sigmoid(Function):
    r""":math:`y = \sigma(x) = 1 / (1 + e^{-x})`;  :math:`dy/dx = \sigma(x)(1 - \sigma(x)) = y(1 - y)`.

    Computed as :math:`\exp(-\log(1 + e^{-x}))` with ``logaddexp``, which neither overflows for
    :math:`x \ll 0` nor loses the tiny values there.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        x = as_float(x)
        out = np.exp(-np.logaddexp(0, -x))
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return (grad * out * (1 - out),)


class Tanh(Function):
    r""":math:`y = \tanh x`;  :math:`dy/dx = 1 - \tanh^2 x = 1 - y^2`."""

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        out = np.tanh(x)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return (grad * (1 - out * out),)


class Clip(Function):
    r""":math:`y = \min(\max(x, lo), hi)`;  :math:`dy/dx = [lo \le x \le hi]` (boundaries included, as
    PyTorch's ``clamp``). ``lo`` or ``hi`` may be ``None`` for a one-sided clip."""

    __slots__ = ("hi", "lo")
    grads_are_new = True

    def __init__(self, lo: float | None = None, hi: float | None = None) -> None:
        super().__init__()
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        for name, bound in (("lo", lo), ("hi", hi)):
            if bound is None:
                continue
            if isinstance(bound, (bool, np.bool_)) or not isinstance(bound, (int, float, np.integer, np.floating)):
                raise TypeError(f"clip: {name} must be a number or None, got {bound!r} ({type(bound).__name__})")
            if math.isnan(bound):
                raise ValueError(
                    f"clip: {name} is NaN, which would make every value NaN; give a number, or None for no bound"
                )
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip needs lo <= hi, got lo={lo} and hi={hi}")
        self.lo, self.hi = lo, hi

    def attributes(self):
        return {"lo": self.lo, "hi": self.hi}

    def forward(self, x):
        self.saved = (x,)
        return np.clip(x, self.lo, self.hi)

    def backward(self, grad):
        (x,) = self.saved
        inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        return (grad * inside,)


# --------------------------------------------------------------------------------------------------------
# reductions
# --------------------------------------------------------------------------------------------------------


class Sum(_Reduction):
    r""":math:`y = \sum_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = 1`: the gradient is
    copied (broadcast) back over the reduced axes."""

    __slots__ = ()

    def forward(self, x):
        x = np.asarray(x)
        axes = normalize_axes(self.axis, x.ndim)
        self.saved = (x.shape, axes)
        return np.sum(x, axis=axes, keepdims=self.keepdims)

    def backward(self, grad):
        shape, axes = self.saved
        return (expand_reduced(grad, shape, axes, self.keepdims),)


class Mean(_Reduction):
    r""":math:`y = \frac1n \sum_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = 1/n`, where
    :math:`n` is the number of elements reduced into each output."""

    __slots__ = ()

    def forward(self, x):
        x = np.asarray(x)
        axes = normalize_axes(self.axis, x.ndim)
        count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        if count == 0:  # an empty batch reduced along a non-empty axis is fine: the result is empty too
            raise ValueError(
                f"mean of an empty tensor (shape {x.shape}) over axis {self.axis} is undefined: it reduces zero "
                "elements"
            )
        self.saved = (x.shape, axes, count)
        return np.mean(x, axis=axes, keepdims=self.keepdims)

    def backward(self, grad):
        shape, axes, count = self.saved
        return (expand_reduced(grad / count, shape, axes, self.keepdims),)


class Max(_Reduction):
    r""":math:`y = \max_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = [x_i = y] / k`, where
    :math:`k` counts the elements tied at the maximum: ties share the gradient equally."""

    __slots__ = ()
    grads_are_new = True
    _reduce = staticmethod(np.max)

    def forward(self, x):
        x = np.asarray(x)
        axes = normalize_axes(self.axis, x.ndim)
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"{self.name} of an empty tensor (shape {x.shape}) over axis {self.axis} is undefined")
        kept = self._reduce(x, axis=axes, keepdims=True)
        self.saved = (x, kept, axes)
        return kept if self.keepdims else np.squeeze(kept, axis=axes)

    def backward(self, grad):
        x, kept, axes = self.saved
        hit = x == kept
        share = hit / hit.sum(axis=axes, keepdims=True)
        return (expand_reduced(grad, x.shape, axes, self.keepdims) * share,)


class Min(Max):
    r""":math:`y = \min_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = [x_i = y] / k`, ties
    sharing the gradient equally."""

    __slots__ = ()
    _reduce = staticmethod(np.min)


# --------------------------------------------------------------------------------------------------------
# shape and indexing (the gradient is the inverse movement of the upstream gradient)
# --------------------------------------------------------------------------------------------------------


class Reshape(Function):
    r""":math:`y = \mathrm{reshape}(x)`;  :math:`\bar x = \mathrm{reshape}(\bar y, \mathrm{shape}(x))`."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def attributes(self):
        return {"shape": self.shape}

    def forward(self, x):
        x = np.asarray(x)
        try:
            out = np.reshape(x, self.shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into shape {self.shape}"
            ) from None
        self.saved = (x.shape,)
        return out

    def backward(self, grad):
        (shape,) = self.saved
        return (np.reshape(grad, shape),)


class Transpose(Function):
    r""":math:`y = x^{\sigma}` (axes permuted by :math:`\sigma`);  :math:`\bar x = \bar y^{\sigma^{-1}}`."""

    __slots__ = ("axes",)

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.axes = axes

    def attributes(self):
        return {"axes": self.axes}

    def forward(self, x):
        x = np.asarray(x)
        if self.axes is None:  # reversing the axes is its own inverse: x.T, as in x @ W.T
            self.saved = (None,)
            return x.T
        axes = self.axes
        in_range = all(-x.ndim <= a < x.ndim for a in axes)
        if not in_range or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
        self.saved = (np.argsort([a % x.ndim for a in axes]),)
        return np.transpose(x, axes)

    def backward(self, grad):
        (inverse,) = self.saved
        return (np.transpose(grad, inverse),)


class Expand(Function):
    r""":math:`y = \mathrm{broadcast\_to}(x, \mathrm{shape})`;  :math:`\bar x = \mathrm{unbroadcast}(\bar y)`:
    the gradients of all copies of an element are summed. The result is a read-only view."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def attributes(self):
        return {"shape": self.shape}

    def forward(self, x):
        x = np.asarray(x)
        try:
            out = np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"cannot expand a tensor of shape {x.shape} to shape {self.shape}: each axis must match "
                "or be 1 in the input (numpy broadcasting rules)"
            ) from None
        self.saved = (x.shape,)
        return out

    def backward(self, grad):
        (shape,) = self.saved
        return (unbroadcast(grad, shape),)


def _is_basic_index(index: Any) -> bool:
    """True if ``index`` uses only ints, slices, ``None`` and ``...``: each element is selected at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


class GetItem(Function):
    r""":math:`y = x[\mathrm{idx}]`;  :math:`\bar x` is zero except :math:`\bar x[\mathrm{idx}] \mathrel{+}=
    \bar y`. With integer-array indices the same element can be selected twice, and then its gradients add
    up (scatter-add, ``np.add.at``)."""

    __slots__ = ("index",)
    grads_are_new = True

    def __init__(self, index: Any) -> None:
        super().__init__()
        self.index = index

    def attributes(self):
        return {"index": self.index}

    def forward(self, x):
        x = np.asarray(x)
        try:
            out = x[self.index]
        except IndexError as err:
            raise IndexError(f"{err} (indexing a tensor of shape {x.shape} with {self.index!r})") from None
        self.saved = (x.shape, x.dtype)
        return out

    def backward(self, grad):
        shape, dtype = self.saved
        full = np.zeros(shape, dtype=np.result_type(dtype, grad.dtype))
        if _is_basic_index(self.index):
            full[self.index] = grad
        else:
            np.add.at(full, self.index, grad)
        return (full,)


class Concatenate(Function):
    r""":math:`y = [x_1, \dots, x_n]` joined along ``axis``;  :math:`\bar x_k` is the slice of :math:`\bar y`
    that :math:`x_k` occupies."""

    __slots__ = ("axis",)

    def __init__(self, axis: int = 0) -> None:
        super().__init__()
        self.axis = axis

    def attributes(self):
        return {"axis": self.axis}

    def forward(self, *xs):
        xs = [np.asarray(x) for x in xs]
        _check_same_ndim_except(xs, self.axis, "concatenate")
        self.saved = (np.cumsum([x.shape[self.axis] for x in xs])[:-1],)
        return np.concatenate(xs, axis=self.axis)

    def backward(self, grad):
        (splits,) = self.saved
        parts = np.split(grad, splits, axis=self.axis)
        return tuple(p if need else None for p, need in zip(parts, self.needs_input_grad, strict=True))


class Stack(Function):
    r""":math:`y = [x_1, \dots, x_n]` stacked along a new ``axis``;  :math:`\bar x_k = \bar y` indexed at
    position :math:`k` of that axis."""

    __slots__ = ("axis",)
    grads_are_new = True

    def __init__(self, axis: int = 0) -> None:
        super().__init__()
        self.axis = axis

    def attributes(self):
        return {"axis": self.axis}

    def forward(self, *xs):
        xs = [np.asarray(x) for x in xs]
        if not xs:
            raise ValueError("stack needs at least one tensor")
        shapes = {x.shape for x in xs}
        if len(shapes) > 1:
            raise ValueError(f"stack needs tensors of one shape, got shapes {[x.shape for x in xs]}")
        if not -(xs[0].ndim + 1) <= self.axis <= xs[0].ndim:
            raise ValueError(f"stack axis {self.axis} is out of range for tensors of shape {xs[0].shape}")
        out = np.stack(xs, axis=self.axis)
        self.saved = (out.ndim,)
        return out

    def backward(self, grad):
        (ndim,) = self.saved
        axis = self.axis % ndim
        return tuple(np.take(grad, k, axis=axis) if need else None for k, need in enumerate(self.needs_input_grad))


def _check_same_ndim_except(xs: list[Array], axis: int, what: str) -> None:
    if not xs:
        raise ValueError(f"{what} needs at least one tensor")
    shapes = [x.shape for x in xs]
    ndim = xs[0].ndim
    if ndim == 0:
        raise ValueError(f"{what} cannot join 0-d tensors; use stack")
    if any(x.ndim != ndim for x in xs) or not -ndim <= axis < ndim:
        raise ValueError(f"{what} along axis {axis} needs tensors of equal ndim, got shapes {shapes}")
    ax = axis % ndim
    rest = {s[:ax] + s[ax + 1 :] for s in shapes}
    if len(rest) > 1:
        raise ValueError(f"{what} along axis {axis}: all other axes must match, got shapes {shapes}")


# --------------------------------------------------------------------------------------------------------
# fused, numerically stable primitives: they are faster and more accurate than their compositions
# --------------------------------------------------------------------------------------------------------


def _stable_max(x: Array, axis: Axis) -> Array:
    """Max over ``axis`` with keepdims, replaced by 0 where it is not finite (all -inf rows, inf, NaN)."""
    m = x.max(axis=axis, keepdims=True) if x.size else np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


class Softmax(_AxisOp):
    r""":math:`s_i = e^{x_i} / \sum_j e^{x_j}` along ``axis``, computed as :math:`e^{x_i - m}` with
    :math:`m = \max_j x_j` so that no exponential overflows.

    The Jacobian is :math:`\partial s_i/\partial x_k = s_i(\delta_{ik} - s_k)`, so the vector-Jacobian
    product is :math:`\bar x = s \odot (\bar s - \sum_i \bar s_i s_i)`.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        x = as_float(x)
        normalize_axes(self.axis, x.ndim)  # a clear error for a bad axis
        e = np.exp(x - _stable_max(x, self.axis))
        out = e / e.sum(axis=self.axis, keepdims=True)
        self.saved = (out,)
        return out

    def backward(self, grad):
        (s,) = self.saved
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(_AxisOp):
    r""":math:`y_i = x_i - \log \sum_j e^{x_j}` along ``axis`` (stable: the log-sum-exp subtracts the max).

    :math:`\partial y_i/\partial x_k = \delta_{ik} - s_k` with :math:`s = \mathrm{softmax}(x) = e^y`, so
    :math:`\bar x = \bar y - s \sum_i \bar y_i`. Fused because :math:`\log(\mathrm{softmax}(x))` underflows to
    :math:`-\infty` for large logit gaps while this form stays exact.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        x = as_float(x)
        normalize_axes(self.axis, x.ndim)  # a clear error for a bad axis
        shifted = x - _stable_max(x, self.axis)
        out = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.saved = (out,)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return (grad - np.exp(out) * grad.sum(axis=self.axis, keepdims=True),)


class LogSumExp(_Reduction):
    r""":math:`y = \log \sum_{i \in \mathrm{axis}} e^{x_i}`, computed as :math:`m + \log \sum_i e^{x_i - m}`
    with :math:`m = \max_i x_i` (no overflow for inputs of 1e4).

    :math:`\partial y/\partial x_i = e^{x_i - y} = \mathrm{softmax}(x)_i`.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, x):
        x = as_float(x)
        axes = normalize_axes(self.axis, x.ndim)
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"logsumexp of an empty tensor (shape {x.shape}) over axis {self.axis} is undefined")
        m = _stable_max(x, axes)
        kept = m + np.log(np.exp(x - m).sum(axis=axes, keepdims=True))
        self.saved = (x, kept, axes)
        return kept if self.keepdims else np.squeeze(kept, axis=axes)

    def backward(self, grad):
        x, kept, axes = self.saved
        return (expand_reduced(grad, x.shape, axes, self.keepdims) * np.exp(x - kept),)


# --------------------------------------------------------------------------------------------------------
# fused losses: one graph node per loss, with the textbook gradient, finite for logits of +-1e4
# --------------------------------------------------------------------------------------------------------

REDUCTIONS = ("mean", "sum", "none")


class _Loss(Function):
    r"""Losses with ``reduction``: ``"mean"`` (over all :math:`n` per-sample terms), ``"sum"`` or ``"none"``
    (the per-sample terms). The reduction is linear, so its backward only rescales: :math:`\bar y / n` for
    the mean, :math:`\bar y` for the sum, and the upstream array itself for ``"none"``."""

    __slots__ = ("reduction",)

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def attributes(self) -> dict[str, Any]:
        return {"reduction": self.reduction}

    def _reduce(self, per: Array) -> Array:
        if self.reduction == "mean":
            return per.sum() / per.size  # what np.mean computes, without its slow generic path for small arrays
        if self.reduction == "sum":
            return per.sum()
        return per

    def _upstream(self, grad: Array, shape: tuple[int, ...]) -> Array:
        """The upstream gradient of each per-sample term (``shape``), before the local derivative."""
        if self.reduction == "mean":
            return grad / max(math.prod(shape), 1)
        return grad


class CrossEntropy(_Loss):
    r"""Softmax cross-entropy of logits :math:`z \in \mathbb{R}^{N \times C}`: log-softmax and negative
    log-likelihood fused into one node.

    With :math:`\log p_{nc} = z_{nc} - \log \sum_k e^{z_{nk}}` (the row maximum subtracted first), the
    per-sample loss is :math:`\ell_n = -\sum_c t_{nc} \log p_{nc}`, where :math:`t_n` is the one-hot vector
    of an integer label :math:`y_n` (then :math:`\ell_n = -\log p_{n y_n}`) or a row of probability targets.

    :math:`\partial \ell_n / \partial z_{nk} = p_{nk} \sum_c t_{nc} - t_{nk}`, which is
    :math:`p_{nk} - t_{nk}`, softmax minus one-hot, whenever a target row sums to 1. With the mean over the
    batch, :math:`\bar z = \bar y \, (\mathrm{softmax}(z) - \mathrm{onehot}(y)) / N`. For probability
    targets also :math:`\partial \ell_n / \partial t_{nc} = -\log p_{nc}`.

    Fused because it is faster (one node; the gradient is one subtraction) and stable: ``-log(softmax(z))``
    gives :math:`-\log 0 = \infty` once a logit gap exceeds about 104 (float32) or 745 (float64), while here
    :math:`\log p` stays finite for logits of 1e4.

    Inputs: ``logits`` float, shape (N, C); ``target`` integer labels (N,) in [0, C) or floats (N, C).
    :func:`tinygrad_edu.nn.functional.cross_entropy` validates them with messages that name the problem.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, logits, target):
        logits, target = np.asarray(logits), np.asarray(target)
        shifted = logits - _stable_max(logits, 1)
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        if target.dtype.kind in "iu":  # labels: l_n = log sum_k e^(z_nk - m) - (z_n,y_n - m), no one-hot needed
            per = np.log(sum_exp[:, 0]) - shifted[np.arange(len(target)), target]
            self.saved = (exp, sum_exp, target)
        else:
            log_p = shifted - np.log(sum_exp)
            t = target.astype(log_p.dtype, copy=False)
            with np.errstate(invalid="ignore"):  # 0 * log 0 = 0, as in the limit t log t
                per = -np.where(t == 0, 0, t * log_p).sum(axis=1)
            self.saved = (log_p, t)
        return self._reduce(per)

    def backward(self, grad):
        g_logits, g_target = self.needs_input_grad
        if len(self.saved) == 3:  # integer labels: softmax minus one-hot, made in place in a new array
            exp, sum_exp, labels = self.saved
            g = self._upstream(grad, labels.shape)  # a scalar, or one upstream value per row ("none")
            scale = g / sum_exp[:, 0]  # (N,): the upstream value over each row's softmax denominator
            grad_logits = exp * scale[:, None]  # g * softmax(z), in one pass over the (N, C) array
            grad_logits[np.arange(len(labels)), labels] -= g  # minus g * onehot(y)
            return grad_logits, None
        log_p, t = self.saved
        g = self._upstream(grad, log_p.shape[:1])
        if np.ndim(g):  # reduction "none": one upstream value per row
            g = g[:, None]
        return (
            g * (np.exp(log_p) * t.sum(axis=1, keepdims=True) - t) if g_logits else None,
            -g * log_p if g_target else None,
        )


class BinaryCrossEntropyWithLogits(_Loss):
    r"""Binary cross-entropy of logits :math:`z` against targets :math:`y \in [0, 1]`, elementwise, fused
    with the sigmoid.

    :math:`\ell = -[y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))] = \max(z, 0) - z y + \log(1 + e^{-|z|})`;
    the right-hand form never overflows (:math:`e^{-|z|} \le 1`) and is exact for :math:`|z|` up to 1e4 and
    beyond, where :math:`\log(\sigma(z))` would give :math:`\log 0`.

    :math:`\partial \ell / \partial z = \sigma(z) - y` and :math:`\partial \ell / \partial y = -z`; with the
    mean over :math:`n` elements, :math:`\bar z = \bar y \, (\sigma(z) - y) / n`.
    """

    __slots__ = ()
    grads_are_new = True

    def forward(self, logits, target):
        z, y = np.asarray(logits), np.asarray(target)
        e = np.exp(-np.abs(z))  # <= 1: no overflow; the backward's sigmoid reuses it
        per = np.maximum(z, 0) - z * y + np.log1p(e)
        self.saved = (z, y, e, per.shape)
        return self._reduce(per)

    def backward(self, grad):
        z, y, e, shape = self.saved
        g_z, g_y = self.needs_input_grad
        g = self._upstream(grad, shape)
        sigmoid = np.where(z >= 0, 1, e) / (1 + e)  # 1 / (1 + e^-z) for z >= 0, e^z / (1 + e^z) below
        return (
            unbroadcast(g * (sigmoid - y), z.shape) if g_z else None,
            unbroadcast(-g * z, y.shape) if g_y else None,
        )


class BinaryCrossEntropy(_Loss):
    r"""Binary cross-entropy of probabilities :math:`p \in [0, 1]` against targets :math:`y \in [0, 1]`,
    elementwise, with PyTorch's two guards.

    :math:`\ell = -[y \max(\log p, -100) + (1 - y) \max(\log(1 - p), -100)]`: the log is clamped at -100,
    so a prediction of exactly 0 or 1 costs at most 100 instead of :math:`\infty`.

    :math:`\partial \ell / \partial p = -y/p + (1 - y)/(1 - p) = (p - y) / (p (1 - p))`, computed with the
    denominator floored at 1e-12 so that it stays finite at :math:`p \in \{0, 1\}`; like PyTorch, the backward
    ignores the clamp, so a confidently wrong prediction still gets a (large) gradient.
    :math:`\partial \ell / \partial y = \max(\log(1 - p), -100) - \max(\log p, -100)`.
    """

    __slots__ = ()
    grads_are_new = True
    LOG_CLAMP = -100.0
    EPS = 1e-12

    def forward(self, probs, target):
        p, y = np.asarray(probs), np.asarray(target)
        with np.errstate(divide="ignore"):  # log 0 = -inf is clamped on the next line
            log_p = np.maximum(np.log(p), self.LOG_CLAMP)
            log_q = np.maximum(np.log1p(-p), self.LOG_CLAMP)
        per = -(y * log_p + (1 - y) * log_q)
        self.saved = (p, y, log_p, log_q, per.shape)
        return self._reduce(per)

    def backward(self, grad):
        p, y, log_p, log_q, shape = self.saved
        g_p, g_y = self.needs_input_grad
        g = self._upstream(grad, shape)
        return (
            unbroadcast(g * (p - y) / np.maximum(p * (1 - p), self.EPS), p.shape) if g_p else None,
            unbroadcast(g * (log_q - log_p), y.shape) if g_y else None,
        )
