r"""The table of derivatives: every primitive operation, its forward on numpy arrays and its derivative.

Each primitive is one small class: ``forward(*inputs)`` computes the result from numpy arrays (or Python
scalars), and its derivative is stated once, as a *rule*. Given the upstream gradient
:math:`\bar y = \partial L / \partial y` (the output's shape), the output :math:`y` and the inputs, the rule
returns one gradient per input, :math:`\bar x_i = (\partial y / \partial x_i)^\top \bar y`, reduced to the
input's shape (``None`` where ``needs_input_grad`` is False: that input costs nothing).

The same rule runs on two kinds of values. On the first-order path (``loss.backward()``) the engine hands it
numpy arrays and it computes numbers. With ``create_graph=True`` the engine hands it Tensors and it records a
graph of its own, so that the gradient can be differentiated again, to any order. That is why the rules use
only arithmetic operators, methods that numpy arrays and Tensors share (``.sum``, ``.reshape``, ``.T``,
``@`` ...) and the few helpers below that dispatch on their argument (:func:`exp`, :func:`where`,
:func:`broadcast_to` ...). Masks and counts (which elements were the maximum, which were clipped) have zero
derivative; rules compute them from :func:`values` as constants.

Shapes of the table:

* :class:`Elementwise` ops (one input) state :math:`dy/dx` as ``derivative(x, y)``: ``Exp`` says ``y``.
* :class:`Binary` ops state :math:`\bar a` and :math:`\bar b` as ``grad_a`` and ``grad_b``; the base checks
  which are needed and sums broadcast copies back (:func:`unbroadcast`).
* The others (reductions, shape ops, fused losses) state the whole vector-Jacobian product as ``vjp``.

This module knows nothing about ``Tensor``: the engine (``tinygrad_edu.engine``) walks the graph and calls
the rules. Reading this file top to bottom is reading the chain rule, one local derivative at a time.

Conventions
-----------
* Broadcasting follows numpy. Every gradient of a broadcast input is summed back to the input's shape by the
  one helper :func:`unbroadcast`.
* Subgradients at kinks: ``relu'(0) = 0``, ``|x|'(0) = 0``; ``maximum``/``minimum`` and the ``max``/``min``
  reductions share the gradient equally between tied elements; ``clip`` passes the gradient where
  ``lo <= x <= hi`` (boundaries included, as PyTorch's ``clamp``). The second derivative of these kinks is 0.
* A rule never writes into ``grad`` or into its arguments: the same upstream array may be shared.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ._validation import check_flag

Array = np.ndarray
Axis = int | tuple[int, ...] | None
#: What a rule computes with: a numpy array (or scalar) on the first-order path, a Tensor under
#: ``create_graph=True``. Both support the operators and the shared methods the rules use.
Value = Any

_PLAIN = (np.ndarray, np.generic, int, float)  # values that are numbers, not graph nodes


# --------------------------------------------------------------------------------------------------------
# helpers that work on arrays and on Tensors alike
# --------------------------------------------------------------------------------------------------------


def _on_graph(*args: Any) -> Any:
    """The first argument that is a graph value (a Tensor), or None if all are numbers."""
    for a in args:
        if not isinstance(a, _PLAIN):
            return a
    return None


def apply(op: Function, *args: Value) -> Value:
    """Run the primitive ``op`` on ``args``: its forward if they are numbers, a graph node if one is a Tensor.

    This is how a rule uses another primitive (``GetItem``'s rule scatters with :class:`ScatterAdd`): the
    result is differentiable exactly when the rule's inputs are.
    """
    node = _on_graph(*args)
    if node is None:
        op.saved = ()
        return op.forward(*args)
    return node._apply(op, *args)  # Tensor._apply: the engine's node builder


def values(x: Value) -> Any:
    """The numbers of ``x`` without its graph: for masks and counts, whose derivative is zero."""
    return x if isinstance(x, _PLAIN) else x.data


def exp(x: Value) -> Value:
    return np.exp(x) if isinstance(x, _PLAIN) else apply(Exp(), x)


def log(x: Value) -> Value:
    return np.log(x) if isinstance(x, _PLAIN) else apply(Log(), x)


def sigmoid(x: Value, exp_neg_abs: Array | None = None) -> Value:
    r""":math:`\sigma(x)`; on arrays, ``exp_neg_abs`` may pass :math:`e^{-|x|}` if it was computed already."""
    return Sigmoid.function(x, exp_neg_abs) if isinstance(x, _PLAIN) else apply(Sigmoid(), x)


def softmax(x: Value, axis: int) -> Value:
    return Softmax.function(x, axis) if isinstance(x, _PLAIN) else apply(Softmax(axis), x)


def log_softmax(x: Value, axis: int) -> Value:
    return LogSoftmax.function(x, axis) if isinstance(x, _PLAIN) else apply(LogSoftmax(axis), x)


def maximum(a: Value, b: Value) -> Value:
    return np.maximum(a, b) if _on_graph(a, b) is None else apply(Maximum(), a, b)


def where(cond: Any, a: Value, b: Value) -> Value:
    """``a`` where ``cond`` (a boolean array, no gradient) holds, else ``b``."""
    return np.where(cond, a, b) if _on_graph(a, b) is None else apply(Where(), cond, a, b)


def broadcast_to(x: Value, shape: tuple[int, ...]) -> Value:
    return np.broadcast_to(x, shape) if isinstance(x, _PLAIN) else apply(Expand(shape), x)


def cast(x: Value, dtype: np.dtype) -> Value:
    return x.astype(dtype, copy=False) if isinstance(x, np.ndarray) else apply(Cast(dtype), x)


def unbroadcast(grad: Value, shape: tuple[int, ...]) -> Value:
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


def expand_reduced(grad: Value, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Value:
    """Broadcast the gradient of a reduction over ``axes`` back to the input ``shape``."""
    if not keepdims and axes and shape:
        grad = grad.reshape(_kept_shape(shape, axes))
    return broadcast_to(grad, shape)


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as 1 (what ``keepdims=True`` gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class AxisError(ValueError, IndexError):
    """An axis out of range for a tensor's dimensions.

    Both a ``ValueError`` and an ``IndexError``, as numpy's ``np.exceptions.AxisError`` is, so that code
    written against numpy (``except IndexError`` or ``except ValueError``) catches it. Exported as
    ``tinygrad_edu.AxisError``; every axis check of the package raises it.
    """


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Return ``axis`` as a sorted tuple of non-negative axes (all axes for ``None``).

    Raises
    ------
    AxisError
        If an axis is out of range for an array of ``ndim`` dimensions (a ``ValueError`` and an ``IndexError``).
    ValueError
        If an axis repeats.
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
            raise AxisError(f"axis {a} is out of range for a tensor with {ndim} dimension(s)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


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


def _shape(x: Any) -> tuple[int, ...]:
    """Shape of an array, a Tensor or a Python scalar (``()``), cheaper than ``np.shape``."""
    return getattr(x, "shape", ())


# --------------------------------------------------------------------------------------------------------
# the bases
# --------------------------------------------------------------------------------------------------------


class Function:
    """Base class of the primitives, built in or your own.

    Write ``forward(*inputs)`` on numpy arrays (keep in ``self.saved`` what the derivative needs besides the
    inputs and the output) and the rule ``vjp(grad, out, *inputs)``. The engine calls ``vjp`` with numpy
    arrays on the first-order path and with Tensors under ``create_graph=True``; written with operators and
    the helpers of this module, one rule serves both. Then ``tinygrad_edu.apply_op(MyOp(), x, y)``.

    A function written before ``create_graph`` existed, with ``backward(grad)`` on numpy arrays reading
    ``self.saved``, still works on the first-order path; ``create_graph=True`` through it raises.

    Attributes
    ----------
    needs_input_grad : tuple of bool
        One flag per input: whether the rule must compute that input's gradient (set by the engine).
    args : tuple
        The input values ``forward`` received (arrays or Python scalars), for the first-order rule; empty once
        the graph was released after a backward pass.
    saved : tuple or None
        What ``forward`` kept for the rule besides its inputs and output (shapes, axes, masks); ``None`` once
        the graph was released.
    grads_are_new : bool, class attribute
        True for a rule whose array gradients are always arrays it has just allocated: never ``grad`` itself,
        a view of it or of an argument, nor one array for two inputs. The engine may then keep such a gradient
        as a leaf's ``.grad`` without copying it. False (the default for your own functions, always safe)
        makes the engine copy. The built-in primitives are new by default and mark the few that alias.
    """

    __slots__ = ("args", "needs_input_grad", "saved")
    grads_are_new: ClassVar[bool] = False
    args: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    saved: tuple[Any, ...] | None

    @property
    def context(self) -> tuple[Any, ...]:
        """``saved``, as a rule reads it: the engine never runs the rule of a node whose graph was released."""
        saved = self.saved
        if saved is None:
            raise RuntimeError(f"the graph of {type(self).__name__} was released by a backward pass")
        return saved

    @property
    def name(self) -> str:
        """Lower-case op name, as shown in reprs and graphs."""
        return type(self).__name__.lower()

    def attributes(self) -> dict[str, Any]:
        """Non-array attributes of the op (axis, shape ...) for reprs and graph labels."""
        return {}

    def forward(self, *inputs: Any) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, grad: Value, out: Value, *inputs: Value) -> tuple[Value | None, ...]:
        r"""The rule: one gradient :math:`\bar x_i` per input, from :math:`\bar y` (``grad``), :math:`y`
        (``out``) and the inputs; ``None`` for an input whose ``needs_input_grad`` is False.

        This default serves functions written with ``backward(grad)`` on numpy arrays: first order only.
        """
        if _on_graph(grad) is not None:
            raise RuntimeError(
                f"create_graph=True cannot differentiate the gradient of {type(self).__name__}: it defines "
                "backward(grad) on numpy arrays. Define vjp(self, grad, out, *inputs) instead, written with "
                "operators and the helpers of tinygrad_edu.ops (exp, log, where ...), so that it runs on Tensors too"
            )
        return self.backward(grad)

    def backward(self, grad: Array) -> tuple[Array | None, ...]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} defines neither vjp(grad, out, *inputs) nor backward(grad)")


class _Slotted(type):
    """The metaclass of the built-in primitives: a class that declares no ``__slots__`` gets ``__slots__ = ()``.

    One op object is made per operation and lives as long as the graph, so its layout matters: without slots
    each would carry a ``__dict__`` that the garbage collector traverses. Measured with callgrind on
    benchmarks/op_overhead.py's chain: about 1,000 more instructions per op without slots. A primitive with
    parameters declares them as its slots (``__slots__ = ("axis",)``).
    """

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> _Slotted:
        namespace.setdefault("__slots__", ())
        return super().__new__(mcls, name, bases, namespace)


class Primitive(Function, metaclass=_Slotted):
    """The built-in primitives: rules written for arrays and Tensors alike, gradients new unless marked."""

    grads_are_new = True


class Elementwise(Primitive):
    r"""A unary elementwise op: state :math:`dy/dx` as ``derivative(x, y)``; :math:`\bar x = \bar y \, dy/dx`.

    ``forward`` may be a numpy function itself (``forward = staticmethod(np.exp)``).
    """

    forward: Callable[..., Any]

    def derivative(self, x: Value, out: Value) -> Value:  # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, grad: Value, out: Value, x: Value) -> tuple[Value]:
        return (grad * self.derivative(x, out),)


class Binary(Primitive):
    r"""A broadcasting binary op: state :math:`\bar a` and :math:`\bar b` as ``grad_a`` and ``grad_b``, each
    on the broadcast shape; the base computes only the needed ones and sums them back with :func:`unbroadcast`."""

    ufunc: ClassVar[Any]

    def forward(self, a: Any, b: Any) -> Array:
        try:  # the ufunc itself, called directly: this is the forward of every arithmetic operator
            return self.ufunc(a, b)
        except ValueError:
            return broadcasting(self.ufunc, a, b)  # raises again, with a message that names the shapes

    def grad_a(self, grad: Value, out: Value, a: Value, b: Value) -> Value:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad_b(self, grad: Value, out: Value, a: Value, b: Value) -> Value:  # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, grad: Value, out: Value, a: Value, b: Value) -> tuple[Value | None, Value | None]:
        need_a, need_b = self.needs_input_grad
        grad_a = grad_b = None
        if need_a:  # then a is an array or a Tensor, never a Python number
            grad_a = self.grad_a(grad, out, a, b)
            if grad_a.shape != a.shape:  # unbroadcast's own first test, inlined: most operands are not broadcast
                grad_a = unbroadcast(grad_a, a.shape)
        if need_b:
            grad_b = self.grad_b(grad, out, a, b)
            if grad_b.shape != b.shape:
                grad_b = unbroadcast(grad_b, b.shape)
        return grad_a, grad_b


class Parametrized(Primitive):
    """A primitive with one parameter (an axis, a shape, an index): the class's one slot names it."""

    def __init__(self, value: Any) -> None:
        setattr(self, type(self).__slots__[0], value)

    def attributes(self) -> dict[str, Any]:
        name = type(self).__slots__[0]
        return {name: getattr(self, name)}


# --------------------------------------------------------------------------------------------------------
# binary arithmetic (numpy broadcasting; gradients reduced by unbroadcast)
# --------------------------------------------------------------------------------------------------------


class Add(Binary):
    r""":math:`y = a + b`;  :math:`\bar a = \bar y`, :math:`\bar b = \bar y`."""

    ufunc = np.add
    grads_are_new = False  # both gradients are the upstream array itself

    def grad_a(self, grad, out, a, b):
        return grad

    def grad_b(self, grad, out, a, b):
        return grad


class Sub(Binary):
    r""":math:`y = a - b`;  :math:`\bar a = \bar y`, :math:`\bar b = -\bar y`."""

    ufunc = np.subtract
    grads_are_new = False  # the gradient of a is the upstream array itself

    def grad_a(self, grad, out, a, b):
        return grad

    def grad_b(self, grad, out, a, b):
        return -grad


class Mul(Binary):
    r""":math:`y = a b`;  :math:`\bar a = \bar y \, b`, :math:`\bar b = \bar y \, a`."""

    ufunc = np.multiply

    def grad_a(self, grad, out, a, b):
        return grad * b

    def grad_b(self, grad, out, a, b):
        return grad * a


class Div(Binary):
    r""":math:`y = a / b`;  :math:`\bar a = \bar y / b`, :math:`\bar b = -\bar y \, a / b^2 = -\bar y \, y / b`."""

    ufunc = np.divide

    def grad_a(self, grad, out, a, b):
        return grad / b

    def grad_b(self, grad, out, a, b):
        return -grad * out / b


class Pow(Binary):
    r""":math:`y = a^b`;  :math:`\bar a = \bar y \, b\,a^{b-1}`, :math:`\bar b = \bar y \, a^b \ln a`.

    At :math:`a = 0` these are PyTorch's values, the limits as :math:`a \to 0^+`:

    * :math:`b\,a^{b-1}` is taken as 0 where :math:`a = b = 0` (so :math:`x^0` has gradient 0 even at
      :math:`x = 0`; elsewhere it is 0 at :math:`b = 0` already, and masking only the 0/0 point keeps its
      derivative in :math:`b`, :math:`1/a`, for second order); for :math:`b < 1` it is :math:`\pm\infty`
      (:math:`b\,0^{b-1}`: :math:`+\infty` for :math:`0 < b < 1`, :math:`-\infty` for :math:`b < 0`).
    * :math:`a^b \ln a` is 0 where :math:`a = 0` and :math:`b \ge 0`, and :math:`a^b \cdot (-\infty)`, that is
      :math:`-\infty`, where :math:`a = 0` and :math:`b < 0` (:math:`0^b = \infty` grows faster than
      :math:`\ln a` falls).

    No numpy warning is raised on the way. For :math:`a < 0` and non-integer :math:`b` the value is NaN, as
    in numpy.
    """

    ufunc = np.power

    def grad_a(self, grad, out, a, b):
        if isinstance(b, (int, float)):  # a Python-number exponent, the common case (x ** 2)
            if b >= 1:
                return grad * (b * a ** (b - 1))
            if b == 0:
                return grad * 0
            with np.errstate(divide="ignore"):  # 0 ** (b - 1) = inf for b < 1: the limit
                return grad * (b * a ** (b - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * where((values(a) == 0) & (values(b) == 0), 0.0, b * a ** (b - 1))

    def grad_b(self, grad, out, a, b):
        a_values = values(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if isinstance(out, _PLAIN):  # numbers: log 0 = -inf gives the limit a^b ln a = -inf for b < 0
                return grad * where((a_values == 0) & (values(b) >= 0), 0.0, out * np.log(a))
            # a graph: log 0 would put 0 * inf = NaN into the second derivative; the limit is a constant there
            zero = a_values == 0
            limit = np.where(values(b) >= 0, 0.0, np.where(values(out) < 0, np.inf, -np.inf))
            return grad * where(zero, limit, out * log(where(zero, 1.0, a)))


class Maximum(Binary):
    r""":math:`y = \max(a, b)` elementwise;  :math:`\bar a = \bar y \, ([a > b] + \tfrac12 [a = b])`, and
    :math:`\bar b` the rest: a tie shares the gradient equally (the average of the one-sided derivatives)."""

    ufunc: ClassVar[Any] = np.maximum

    def share(self, a: Value, b: Value) -> Array:
        a, b = values(a), values(b)
        return (a > b) + 0.5 * (a == b)

    def grad_a(self, grad, out, a, b):
        return grad * self.share(a, b)

    def grad_b(self, grad, out, a, b):
        return grad * (1.0 - self.share(a, b))


class Minimum(Maximum):
    r""":math:`y = \min(a, b)` elementwise;  :math:`\bar a = \bar y \, ([a < b] + \tfrac12 [a = b])`."""

    ufunc = np.minimum

    def share(self, a: Value, b: Value) -> Array:
        a, b = values(a), values(b)
        return (a < b) + 0.5 * (a == b)


class Where(Primitive):
    r""":math:`y = \mathrm{cond} \; ? \; a : b`;  :math:`\bar a = [\mathrm{cond}] \, \bar y`,
    :math:`\bar b = [\lnot \mathrm{cond}] \, \bar y`. ``cond`` is a boolean array and gets no gradient."""

    def forward(self, cond, a, b):
        return broadcasting(np.where, np.asarray(cond, dtype=bool), a, b)

    def vjp(self, grad, out, cond, a, b):
        _, need_a, need_b = self.needs_input_grad
        cond = np.asarray(values(cond), dtype=bool)
        return (
            None,
            unbroadcast(where(cond, grad, 0.0), _shape(a)) if need_a else None,
            unbroadcast(where(cond, 0.0, grad), _shape(b)) if need_b else None,
        )


class MatMul(Primitive):
    r""":math:`Y = A B` with numpy's ``matmul`` semantics (1-D, 2-D and batched).

    For 2-D operands :math:`\bar A = \bar Y B^\top` and :math:`\bar B = A^\top \bar Y`. A 1-D operand is
    treated as a row (left) or column (right) vector whose added axis is removed again; batch axes
    broadcast and their gradients are summed back by :func:`unbroadcast`.
    """

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
        return np.matmul(a, b)

    def vjp(self, grad, out, a, b):
        need_a, need_b = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshaping
            return (_matmul_like(grad, b.T, a) if need_a else None, _matmul_like(a.T, grad, b) if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        grad_a = grad_b = None
        if need_a:
            grad_a = g2 @ b2.swapaxes(-1, -2)
            grad_a = unbroadcast(grad_a[..., 0, :] if a.ndim == 1 else grad_a, a.shape)
        if need_b:
            grad_b = a2.swapaxes(-1, -2) @ g2
            grad_b = unbroadcast(grad_b[..., 0] if b.ndim == 1 else grad_b, b.shape)
        return grad_a, grad_b


def _matmul_like(x: Value, y: Value, like: Value) -> Value:
    r"""``x @ y`` in the memory layout of ``like``. A transposed view such as ``Linear``'s ``W.T`` is
    column-major; computing its gradient as :math:`(y^\top x^\top)^\top` gives a gradient in that layout, so
    that the gradient that reaches ``W`` is row-major like ``W`` and optimiser updates stay contiguous."""
    if type(like) is np.ndarray and like.flags.f_contiguous and not like.flags.c_contiguous:
        return (y.T @ x.T).T
    return x @ y


class Linear(Primitive):
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

    def forward(self, x, weight, bias=None):
        x, weight = np.asarray(x), np.asarray(weight)
        w_shape, x_shape = weight.shape, x.shape
        if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
            raise ValueError(
                f"linear: inputs of shape {x_shape} do not fit a weight of shape {w_shape}: the weight must "
                "be (out_features, in_features) and the last axis of the inputs must have in_features entries"
            )
        out = x @ weight.T
        if bias is not None:
            bias = np.asarray(bias)
            if bias.shape != w_shape[:1]:
                raise ValueError(f"linear: the bias must have shape {w_shape[:1]}, got {bias.shape}")
            if bias.dtype is out.dtype or np.result_type(out, bias) == out.dtype:
                out += bias  # the product is a fresh array: add in place
            else:
                out = out + bias  # e.g. a float64 bias promotes a float32 product, as x @ W.T + b would
        return out

    def vjp(self, grad, out, x, weight, bias=None):
        needs = self.needs_input_grad  # (x, weight) or (x, weight, bias)
        rows, x_rows = grad, x  # (N, out) and (N, in): every leading axis of a batch is a batch axis
        if grad.ndim != 2:
            rows, x_rows = grad.reshape(-1, grad.shape[-1]), x.reshape(-1, x.shape[-1])
        grad_x = grad @ weight if needs[0] else None
        grad_w = rows.T @ x_rows if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, rows.sum(axis=0) if needs[2] else None


# --------------------------------------------------------------------------------------------------------
# unary elementwise: dy/dx
# --------------------------------------------------------------------------------------------------------


class Neg(Primitive):
    r""":math:`y = -x`;  :math:`\bar x = -\bar y`."""

    forward: Callable[..., Any] = staticmethod(np.negative)

    def vjp(self, grad, out, x):
        return (-grad,)


class Exp(Elementwise):
    r""":math:`y = e^x`;  :math:`dy/dx = e^x = y`."""

    forward = staticmethod(np.exp)

    def derivative(self, x, out):
        return out


class Log(Elementwise):
    r""":math:`y = \ln x`;  :math:`dy/dx = 1/x`."""

    forward = staticmethod(np.log)

    def derivative(self, x, out):
        return 1 / x


class Sqrt(Elementwise):
    r""":math:`y = \sqrt{x}`;  :math:`dy/dx = 1 / (2\sqrt{x}) = 0.5/y`."""

    forward = staticmethod(np.sqrt)

    def derivative(self, x, out):
        return 0.5 / out


class Abs(Elementwise):
    r""":math:`y = |x|`;  :math:`dy/dx = \operatorname{sign} x`, with :math:`|x|'(0) = 0`."""

    forward = staticmethod(np.abs)

    def derivative(self, x, out):
        return np.sign(values(x))


class Relu(Elementwise):
    r""":math:`y = \max(x, 0)`;  :math:`dy/dx = [x > 0]`, with :math:`\mathrm{relu}'(0) = 0`."""

    def forward(self, x):
        return np.maximum(x, 0)

    def derivative(self, x, out):
        return values(x) > 0


class Sigmoid(Elementwise):
    r""":math:`y = \sigma(x) = 1 / (1 + e^{-x})`;  :math:`dy/dx = \sigma(x)(1 - \sigma(x)) = y(1 - y)`.

    Computed from :math:`e = e^{-|x|} \le 1` as :math:`1 / (1 + e)` for :math:`x \ge 0` and :math:`e / (1 + e)`
    below, which neither overflows for :math:`x \ll 0` nor loses the tiny values there (one exponential
    per element; ``exp(-logaddexp(0, -x))`` takes two and a logarithm).
    """

    @staticmethod
    def function(x: Any, exp_neg_abs: Array | None = None) -> Array:
        x = as_float(x)
        e = np.exp(-np.abs(x)) if exp_neg_abs is None else exp_neg_abs
        s = np.where(x >= 0, 1.0, e)
        s /= 1 + e  # s is new: divided in place (one array less per call)
        return s

    def forward(self, x):
        return self.function(x)

    def derivative(self, x, out):
        return out * (1 - out)


class Tanh(Elementwise):
    r""":math:`y = \tanh x`;  :math:`dy/dx = 1 - \tanh^2 x = 1 - y^2`."""

    forward = staticmethod(np.tanh)

    def derivative(self, x, out):
        return 1 - out * out


class Cast(Primitive):
    r""":math:`y = x` stored in another float dtype;  :math:`\bar x = \bar y` cast back to :math:`x`'s dtype."""

    __slots__ = ("dtype",)

    grads_are_new = False  # a gradient already of x's dtype passes through as it is

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)

    def attributes(self):
        return {"dtype": str(self.dtype)}

    def forward(self, x):
        x = np.asarray(x)
        self.saved = (x.dtype,)
        return x.astype(self.dtype)

    def vjp(self, grad, out, x):
        (dtype,) = self.context
        return (cast(grad, dtype),)


class Clip(Elementwise):
    r""":math:`y = \min(\max(x, lo), hi)`;  :math:`dy/dx = [lo \le x \le hi]` (boundaries included, as
    PyTorch's ``clamp``). ``lo`` or ``hi`` may be ``None`` for a one-sided clip."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo: float | None = None, hi: float | None = None) -> None:
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
        return np.clip(x, self.lo, self.hi)

    def derivative(self, x, out):
        x = values(x)
        inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        return inside


# --------------------------------------------------------------------------------------------------------
# reductions
# --------------------------------------------------------------------------------------------------------


class Reduction(Primitive):
    """Reductions over ``axis`` (int, tuple or None) with ``keepdims``."""

    __slots__ = ("axis", "keepdims")

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = check_flag(keepdims, "keepdims")

    def attributes(self) -> dict[str, Any]:
        return {"axis": self.axis, "keepdims": self.keepdims}

    def axes(self, x: Array) -> tuple[int, ...]:
        """The reduced axes of ``x``, checked; ``forward`` saves them for the rule."""
        axes = normalize_axes(self.axis, x.ndim)
        self.saved = (axes,)
        return axes

    def kept(self, out: Value, x_shape: tuple[int, ...]) -> Value:
        """The output with the reduced axes kept as 1, so that it broadcasts against the input."""
        (axes,) = self.context
        return out if self.keepdims else out.reshape(_kept_shape(x_shape, axes))


class Sum(Reduction):
    r""":math:`y = \sum_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = 1`: the gradient is
    copied (broadcast) back over the reduced axes."""

    grads_are_new = False  # a read-only broadcast view of the upstream gradient

    def forward(self, x):
        x = np.asarray(x)
        return np.sum(x, axis=self.axes(x), keepdims=self.keepdims)

    def vjp(self, grad, out, x):
        return (expand_reduced(grad, _shape(x), self.context[0], self.keepdims),)


class Mean(Reduction):
    r""":math:`y = \frac1n \sum_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = 1/n`, where
    :math:`n` is the number of elements reduced into each output."""

    grads_are_new = False  # a read-only broadcast view

    def forward(self, x):
        x = np.asarray(x)
        axes = self.axes(x)
        if math.prod(x.shape[a] for a in axes) == 0:  # an empty batch reduced along a non-empty axis is fine
            raise ValueError(
                f"mean of an empty tensor (shape {x.shape}) over axis {self.axis} is undefined: it reduces zero "
                "elements"
            )
        return np.mean(x, axis=axes, keepdims=self.keepdims)

    def vjp(self, grad, out, x):
        shape = _shape(x)
        (axes,) = self.context
        count = math.prod(shape[a] for a in axes)
        return (expand_reduced(grad / count, shape, axes, self.keepdims),)


class Max(Reduction):
    r""":math:`y = \max_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = [x_i = y] / k`, where
    :math:`k` counts the elements tied at the maximum: ties share the gradient equally."""

    reduce: Callable[..., Any] = staticmethod(np.max)

    def forward(self, x):
        x = np.asarray(x)
        axes = self.axes(x)
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"{self.name} of an empty tensor (shape {x.shape}) over axis {self.axis} is undefined")
        return self.reduce(x, axis=axes, keepdims=self.keepdims)

    def vjp(self, grad, out, x):
        (axes,) = self.context
        hit = values(x) == values(self.kept(out, _shape(x)))
        share = hit / hit.sum(axis=axes, keepdims=True)
        return (expand_reduced(grad, _shape(x), axes, self.keepdims) * share,)


class Min(Max):
    r""":math:`y = \min_{i \in \mathrm{axis}} x_i`;  :math:`\partial y/\partial x_i = [x_i = y] / k`, ties
    sharing the gradient equally."""

    reduce: Callable[..., Any] = staticmethod(np.min)


class LogSumExp(Reduction):
    r""":math:`y = \log \sum_{i \in \mathrm{axis}} e^{x_i}`, computed as :math:`m + \log \sum_i e^{x_i - m}`
    with :math:`m = \max_i x_i` (no overflow for inputs of 1e4).

    :math:`\partial y/\partial x_i = e^{x_i - y} = \mathrm{softmax}(x)_i`.
    """

    def forward(self, x):
        x = as_float(x)
        axes = self.axes(x)
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"logsumexp of an empty tensor (shape {x.shape}) over axis {self.axis} is undefined")
        m = _stable_max(x, axes)
        kept = m + np.log(np.exp(x - m).sum(axis=axes, keepdims=True))
        return kept if self.keepdims else np.squeeze(kept, axis=axes)

    def vjp(self, grad, out, x):
        shape = _shape(x)
        return (expand_reduced(grad, shape, self.context[0], self.keepdims) * exp(x - self.kept(out, shape)),)


# --------------------------------------------------------------------------------------------------------
# the softmax family along one axis (fused: stable where the composition overflows)
# --------------------------------------------------------------------------------------------------------


def _stable_max(x: Array, axis: Axis) -> Array:
    """Max over ``axis`` with keepdims, replaced by 0 where it is not finite (all -inf rows, inf, NaN)."""
    m = x.max(axis=axis, keepdims=True) if x.size else np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


class Softmax(Parametrized):
    r""":math:`s_i = e^{x_i} / \sum_j e^{x_j}` along ``axis``, computed as :math:`e^{x_i - m}` with
    :math:`m = \max_j x_j` so that no exponential overflows.

    The Jacobian is :math:`\partial s_i/\partial x_k = s_i(\delta_{ik} - s_k)`, so the vector-Jacobian
    product is :math:`\bar x = s \odot (\bar s - \sum_i \bar s_i s_i)`.
    """

    __slots__ = ("axis",)
    axis: int

    @staticmethod
    def function(x: Any, axis: int) -> Array:
        x = as_float(x)
        normalize_axes(axis, x.ndim)  # a clear error for a bad axis
        e = np.exp(x - _stable_max(x, axis))
        return e / e.sum(axis=axis, keepdims=True)

    def forward(self, x):
        return self.function(x, self.axis)

    def vjp(self, grad, out, x):
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Parametrized):
    r""":math:`y_i = x_i - \log \sum_j e^{x_j}` along ``axis`` (stable: the log-sum-exp subtracts the max).

    :math:`\partial y_i/\partial x_k = \delta_{ik} - s_k` with :math:`s = \mathrm{softmax}(x) = e^y`, so
    :math:`\bar x = \bar y - s \sum_i \bar y_i`. Fused because :math:`\log(\mathrm{softmax}(x))` underflows to
    :math:`-\infty` for large logit gaps while this form stays exact.
    """

    __slots__ = ("axis",)
    axis: int

    @staticmethod
    def function(x: Any, axis: int) -> Array:
        x = as_float(x)
        normalize_axes(axis, x.ndim)  # a clear error for a bad axis
        shifted = x - _stable_max(x, axis)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def forward(self, x):
        return self.function(x, self.axis)

    def vjp(self, grad, out, x):
        return (grad - exp(out) * grad.sum(axis=self.axis, keepdims=True),)


# --------------------------------------------------------------------------------------------------------
# shape and indexing (the gradient is the inverse movement of the upstream gradient)
# --------------------------------------------------------------------------------------------------------


class Reshape(Parametrized):
    r""":math:`y = \mathrm{reshape}(x)`;  :math:`\bar x = \mathrm{reshape}(\bar y, \mathrm{shape}(x))`."""

    __slots__ = ("shape",)
    shape: tuple[int, ...]
    grads_are_new = False  # a view of the upstream gradient

    def forward(self, x):
        x = np.asarray(x)
        try:
            return np.reshape(x, self.shape)
        except ValueError:
            if sum(1 for n in self.shape if n == -1) > 1:
                raise ValueError(
                    f"cannot reshape a tensor of shape {x.shape} into shape {self.shape}: only one axis may be -1 "
                    "(the one inferred from the others); give the other sizes, e.g. "
                    f"reshape({', '.join(str(n) for n in x.shape[:1])}, -1)"
                ) from None
            raise ValueError(
                f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into shape {self.shape}"
            ) from None

    def vjp(self, grad, out, x):
        return (grad.reshape(_shape(x)),)


class Transpose(Parametrized):
    r""":math:`y = x^{\sigma}` (axes permuted by :math:`\sigma`);  :math:`\bar x = \bar y^{\sigma^{-1}}`."""

    __slots__ = ("axes",)
    axes: tuple[int, ...] | None
    grads_are_new = False  # a view of the upstream gradient

    def forward(self, x):
        x = np.asarray(x)
        if self.axes is None:  # reversing the axes is its own inverse: x.T, as in x @ W.T
            return x.T
        axes = self.axes
        in_range = all(-x.ndim <= a < x.ndim for a in axes)
        if not in_range or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            error = ValueError if in_range else AxisError
            raise error(f"transpose axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
        self.saved = (tuple(int(i) for i in np.argsort([a % x.ndim for a in axes])),)
        return np.transpose(x, axes)

    def vjp(self, grad, out, x):
        return (grad.T if self.axes is None else grad.transpose(self.context[0]),)


class Expand(Parametrized):
    r""":math:`y = \mathrm{broadcast\_to}(x, \mathrm{shape})`;  :math:`\bar x = \mathrm{unbroadcast}(\bar y)`:
    the gradients of all copies of an element are summed. The result is a read-only view."""

    __slots__ = ("shape",)
    shape: tuple[int, ...]
    grads_are_new = False  # the upstream gradient itself when nothing was stretched

    def forward(self, x):
        x = np.asarray(x)
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"cannot expand a tensor of shape {x.shape} to shape {self.shape}: each axis must match "
                "or be 1 in the input (numpy broadcasting rules)"
            ) from None

    def vjp(self, grad, out, x):
        return (unbroadcast(grad, _shape(x)),)


def _is_basic_index(index: Any) -> bool:
    """True if ``index`` uses only ints, slices, ``None`` and ``...``: each element is selected at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


class GetItem(Parametrized):
    r""":math:`y = x[\mathrm{idx}]`;  :math:`\bar x` is zero except :math:`\bar x[\mathrm{idx}] \mathrel{+}=
    \bar y`: the scatter-add :class:`ScatterAdd`. With integer-array indices the same element can be selected
    twice, and then its gradients add up."""

    __slots__ = ("index",)
    index: Any

    def forward(self, x):
        x = np.asarray(x)
        try:
            return x[self.index]
        except IndexError as err:
            raise IndexError(f"{err} (indexing a tensor of shape {x.shape} with {self.index!r})") from None

    def vjp(self, grad, out, x):
        return (apply(ScatterAdd(self.index, _shape(x)), grad),)


class ScatterAdd(Primitive):
    r""":math:`y = \mathrm{zeros}(\mathrm{shape})` with :math:`y[\mathrm{idx}] \mathrel{+}= x`: the gradient of
    indexing. Linear in :math:`x`, so :math:`\bar x = \bar y[\mathrm{idx}]` (a :class:`GetItem`): each
    derivative of indexing is the other op."""

    __slots__ = ("index", "shape")

    def __init__(self, index: Any, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, shape

    def attributes(self):
        return {"index": self.index, "shape": self.shape}

    def forward(self, x):
        x = np.asarray(x)
        full = np.zeros(self.shape, dtype=x.dtype)
        if _is_basic_index(self.index):
            full[self.index] = x
        else:
            np.add.at(full, self.index, x)
        return full

    def vjp(self, grad, out, x):
        return (apply(GetItem(self.index), grad),)


class Concatenate(Parametrized):
    r""":math:`y = [x_1, \dots, x_n]` joined along ``axis``;  :math:`\bar x_k` is the slice of :math:`\bar y`
    that :math:`x_k` occupies."""

    __slots__ = ("axis",)
    axis: int
    grads_are_new = False  # views of the upstream gradient

    def forward(self, *xs):
        arrays = [np.asarray(x) for x in xs]
        _check_same_ndim_except(arrays, self.axis, "concatenate")
        self.saved = (list(itertools.accumulate((x.shape[self.axis] for x in arrays), initial=0)),)
        return np.concatenate(arrays, axis=self.axis)

    def vjp(self, grad, out, *xs):
        (bounds,) = self.context
        before = (slice(None),) * (self.axis % grad.ndim)
        return tuple(
            grad[(*before, slice(bounds[k], bounds[k + 1]))] if need else None
            for k, need in enumerate(self.needs_input_grad)
        )


class Stack(Parametrized):
    r""":math:`y = [x_1, \dots, x_n]` stacked along a new ``axis``;  :math:`\bar x_k = \bar y` indexed at
    position :math:`k` of that axis."""

    __slots__ = ("axis",)
    axis: int
    grads_are_new = False  # views of the upstream gradient

    def forward(self, *xs):
        arrays = [np.asarray(x) for x in xs]
        if not arrays:
            raise ValueError("stack needs at least one tensor")
        shapes = {x.shape for x in arrays}
        if len(shapes) > 1:
            raise ValueError(f"stack needs tensors of one shape, got shapes {[x.shape for x in arrays]}")
        if not -(arrays[0].ndim + 1) <= self.axis <= arrays[0].ndim:
            raise AxisError(f"stack axis {self.axis} is out of range for tensors of shape {arrays[0].shape}")
        return np.stack(arrays, axis=self.axis)

    def vjp(self, grad, out, *xs):
        before = (slice(None),) * (self.axis % grad.ndim)
        return tuple(grad[(*before, k)] if need else None for k, need in enumerate(self.needs_input_grad))


def _check_same_ndim_except(xs: list[Array], axis: int, what: str) -> None:
    if not xs:
        raise ValueError(f"{what} needs at least one tensor")
    shapes = [x.shape for x in xs]
    ndim = xs[0].ndim
    if ndim == 0:
        raise ValueError(f"{what} cannot join 0-d tensors; use stack")
    if any(x.ndim != ndim for x in xs):
        raise ValueError(f"{what} along axis {axis} needs tensors of equal ndim, got shapes {shapes}")
    if not -ndim <= axis < ndim:
        raise AxisError(f"{what} along axis {axis}: the axis is out of range for tensors of shapes {shapes}")
    ax = axis % ndim
    rest = {s[:ax] + s[ax + 1 :] for s in shapes}
    if len(rest) > 1:
        raise ValueError(f"{what} along axis {axis}: all other axes must match, got shapes {shapes}")


# --------------------------------------------------------------------------------------------------------
# fused losses: one graph node per loss, with the textbook gradient, finite for logits of +-1e4
# --------------------------------------------------------------------------------------------------------

REDUCTIONS = ("mean", "sum", "none")


class Loss(Primitive):
    r"""Losses with ``reduction``: ``"mean"`` (over all :math:`n` per-sample terms), ``"sum"`` or ``"none"``
    (the per-sample terms). The reduction is linear, so its backward only rescales: :math:`\bar y / n` for
    the mean, :math:`\bar y` for the sum, and the upstream array itself for ``"none"``."""

    __slots__ = ("reduction",)

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def attributes(self) -> dict[str, Any]:
        return {"reduction": self.reduction}

    def reduce(self, per: Array) -> Array:
        if self.reduction == "mean":
            return per.sum() / per.size  # what np.mean computes, without its slow generic path for small arrays
        if self.reduction == "sum":
            return per.sum()
        return per

    def upstream(self, grad: Value, shape: tuple[int, ...]) -> Value:
        """The upstream gradient of each per-sample term (``shape``), before the local derivative."""
        if self.reduction == "mean":
            return grad / max(math.prod(shape), 1)
        return grad


class CrossEntropy(Loss):
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

    def forward(self, logits, target):
        logits, target = np.asarray(logits), np.asarray(target)
        shifted = logits - _stable_max(logits, 1)
        exp_shifted = np.exp(shifted)
        sum_exp = exp_shifted.sum(axis=1, keepdims=True)
        if target.dtype.kind in "iu":  # labels: l_n = log sum_k e^(z_nk - m) - (z_n,y_n - m), no one-hot needed
            per = np.log(sum_exp[:, 0]) - shifted[np.arange(len(target)), target]
            self.saved = (exp_shifted, sum_exp)  # softmax(z) = their ratio, for the first-order rule
        else:
            log_p = shifted - np.log(sum_exp)
            t = target.astype(log_p.dtype, copy=False)
            with np.errstate(invalid="ignore"):  # 0 * log 0 = 0, as in the limit t log t
                per = -np.where(t == 0, 0, t * log_p).sum(axis=1)
        return self.reduce(per)

    def softmax_minus_one_hot(self, logits: Value, labels: Array, g: Any) -> Value:
        r""":math:`g\,(\mathrm{softmax}(z) - \mathrm{onehot}(y))`, the gradient for integer labels.

        On arrays it is made from the forward's exponentials in one pass over the (N, C) array, with the
        one-hot part subtracted in place at N entries; written as the formula (divide, subtract a one-hot
        array, multiply), the whole cross-entropy took 2.3 times as long on a (512, 200) batch
        (``python benchmarks/op_rules.py --only ce``). On Tensors it is the formula, as a graph.
        """
        rows = np.arange(len(labels))
        if isinstance(logits, _PLAIN):  # the first-order path: the engine passes arrays (g too), or Tensors
            exp_shifted, sum_exp = self.context
            gradient = exp_shifted * (g / sum_exp)  # g softmax(z): a new array, written in place below
            gradient[rows, labels] -= g[:, 0] if g.ndim else g  # g: a scalar, or a column of one per row
            return gradient
        one_hot = np.zeros(_shape(logits), dtype=np.result_type(values(logits)))
        one_hot[rows, labels] = 1
        return (softmax(logits, 1) - one_hot) * g

    def vjp(self, grad, out, logits, target):
        need_logits, need_target = self.needs_input_grad
        n = _shape(logits)[0]
        g = self.upstream(grad, (n,))  # a scalar, or one upstream value per row ("none")
        if g.ndim:
            g = g.reshape(-1, 1)
        target_values = values(target)
        if target_values.dtype.kind in "iu":  # integer labels: softmax minus one-hot
            return self.softmax_minus_one_hot(logits, target_values, g), None
        log_p = log_softmax(logits, 1)
        return (
            (exp(log_p) * target.sum(axis=1, keepdims=True) - target) * g if need_logits else None,
            -log_p * g if need_target else None,
        )


class BinaryCrossEntropyWithLogits(Loss):
    r"""Binary cross-entropy of logits :math:`z` against targets :math:`y \in [0, 1]`, elementwise, fused
    with the sigmoid.

    :math:`\ell = -[y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))] = \max(z, 0) - z y + \log(1 + e^{-|z|})`;
    the right-hand form never overflows (:math:`e^{-|z|} \le 1`) and is exact for :math:`|z|` up to 1e4 and
    beyond, where :math:`\log(\sigma(z))` would give :math:`\log 0`.

    :math:`\partial \ell / \partial z = \sigma(z) - y` and :math:`\partial \ell / \partial y = -z`; with the
    mean over :math:`n` elements, :math:`\bar z = \bar y \, (\sigma(z) - y) / n`.
    """

    def forward(self, logits, target):
        z, y = np.asarray(logits), np.asarray(target)
        e = np.exp(-np.abs(z))  # <= 1: no overflow; the rule's sigmoid reuses it
        per = np.maximum(z, 0) - z * y + np.log1p(e)
        self.saved = (per.shape, e)
        return self.reduce(per)

    def sigmoid_minus_target(self, logits: Value, target: Value, e: Array, g: Any) -> Value:
        r""":math:`g\,(\sigma(z) - y)` on the broadcast shape, the gradient of the logits.

        On arrays of one shape and dtype it is computed in the new array :math:`\sigma(z)` (subtract, then
        scale, in place), as the hand-written numpy step does; written as the formula it takes two more
        arrays of the batch's size. ``python benchmarks/op_rules.py --only bce_logits`` ((512, 200) float64,
        forward and backward, three runs each): 4.9 to 6.7 ms this way, 6.7 to 7.3 ms as the formula. On
        Tensors, and when the shapes or dtypes differ, it is the formula, with the same values.
        """
        s = sigmoid(logits, e)  # a new array on arrays, a graph node on Tensors
        if (
            type(s) is np.ndarray
            and isinstance(target, np.ndarray)
            and isinstance(g, _PLAIN)
            and target.shape == s.shape
            and target.dtype == s.dtype
            and np.result_type(s, g) == s.dtype
        ):
            s -= target
            s *= g
            return s
        return g * (s - target)

    def vjp(self, grad, out, logits, target):
        need_z, need_y = self.needs_input_grad
        shape, e = self.context
        g = self.upstream(grad, shape)
        return (
            unbroadcast(self.sigmoid_minus_target(logits, target, e, g), _shape(logits)) if need_z else None,
            unbroadcast(-g * logits, _shape(target)) if need_y else None,
        )


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy of probabilities :math:`p \in [0, 1]` against targets :math:`y \in [0, 1]`,
    elementwise, with PyTorch's two guards.

    :math:`\ell = -[y \max(\log p, -100) + (1 - y) \max(\log(1 - p), -100)]`: the log is clamped at -100,
    so a prediction of exactly 0 or 1 costs at most 100 instead of :math:`\infty`.

    :math:`\partial \ell / \partial p = -y/p + (1 - y)/(1 - p) = (p - y) / (p (1 - p))`, computed with the
    denominator floored at 1e-12 so that it stays finite at :math:`p \in \{0, 1\}`; like PyTorch, the backward
    ignores the clamp, so a confidently wrong prediction still gets a (large) gradient.
    :math:`\partial \ell / \partial y = \max(\log(1 - p), -100) - \max(\log p, -100)`.
    """

    LOG_CLAMP = -100.0
    EPS = 1e-12

    def forward(self, probs, target):
        p, y = np.asarray(probs), np.asarray(target)
        with np.errstate(divide="ignore"):  # log 0 = -inf is clamped on the next line
            log_p = np.maximum(np.log(p), self.LOG_CLAMP)
            log_q = np.maximum(np.log1p(-p), self.LOG_CLAMP)
        per = -(y * log_p + (1 - y) * log_q)
        self.saved = (per.shape,)
        return self.reduce(per)

    def vjp(self, grad, out, probs, target):
        need_p, need_y = self.needs_input_grad
        g = self.upstream(grad, self.context[0])
        grad_p = grad_y = None
        if need_p:
            grad_p = unbroadcast(g * (probs - target) / maximum(probs * (1 - probs), self.EPS), _shape(probs))
        if need_y:
            with np.errstate(divide="ignore"):
                log_p = maximum(log(probs), self.LOG_CLAMP)
                log_q = maximum(log(1 - probs), self.LOG_CLAMP)
            grad_y = unbroadcast(g * (log_q - log_p), _shape(target))
        return grad_p, grad_y


# --------------------------------------------------------------------------------------------------------
# issue 18: shape, statistics, indexing and linear algebra (cumulative sums and products, einsum)
# --------------------------------------------------------------------------------------------------------


def _reversed_along(axis: int, ndim: int) -> tuple[Any, ...]:
    """The basic index that reverses ``axis`` (a view, on arrays and Tensors alike)."""
    return (slice(None),) * axis + (slice(None, None, -1),) + (slice(None),) * (ndim - axis - 1)


def _one_axis_of(axis: Any, ndim: int, what: str) -> int:
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{what}: axis must be an int, got {axis!r} ({type(axis).__name__})")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{what}: axis {axis} is out of range for a tensor with {ndim} dimension(s); use an axis from "
            f"{-ndim} to {ndim - 1}"
        )
    return int(axis) % ndim


class Cumsum(Parametrized):
    r""":math:`y_j = \sum_{i \le j} x_i` along ``axis``;  :math:`\bar x_i = \sum_{j \ge i} \bar y_j`: the
    cumulative sum of :math:`\bar y` taken from the end (reverse, cumsum, reverse). Linear, so its second
    derivative is 0."""

    __slots__ = ("axis",)
    axis: int

    def forward(self, x):
        x = np.asarray(x)
        return np.cumsum(x, axis=_one_axis_of(self.axis, x.ndim, "cumsum"))

    def vjp(self, grad, out, x):
        rev = _reversed_along(self.axis % grad.ndim, grad.ndim)
        return (apply(Cumsum(self.axis), grad[rev])[rev],)


class Cumprod(Parametrized):
    r""":math:`y_j = \prod_{i \le j} x_i` along ``axis``.

    :math:`\partial y_j / \partial x_i = \prod_{k \le j,\, k \ne i} x_k` for :math:`i \le j` (0 otherwise), so
    :math:`\bar x_i = \sum_{j \ge i} \bar y_j \prod_{k \le j,\, k \ne i} x_k`.

    Where no :math:`x` is 0 that is :math:`\bar x_i = \frac{1}{x_i}\sum_{j \ge i} \bar y_j y_j` (one reversed
    cumulative sum: the rule takes this O(n) path on arrays). With a zero it would be 0/0 = NaN, so then (and
    under ``create_graph``, where the rule must be differentiable everywhere) the rule builds the products of the
    *others* directly: an (n, n) array :math:`X_{ik} = x_k` with :math:`X_{ii} = 1`, its cumulative product
    :math:`P_{ij} = \prod_{k \le j, k \ne i} x_k` (this very op, so second derivatives recurse) masked to
    :math:`j \ge i`, and :math:`\bar x_i = \sum_j P_{ij} \bar y_j`: O(n^2) along the axis, exact with zeros.
    """

    __slots__ = ("axis",)
    axis: int

    def forward(self, x):
        x = np.asarray(x)
        return np.cumprod(x, axis=_one_axis_of(self.axis, x.ndim, "cumprod"))

    def vjp(self, grad, out, x):
        ndim = len(_shape(x))
        ax = self.axis % ndim
        if _on_graph(grad, x) is None and np.all(x != 0):
            rev = _reversed_along(ax, ndim)
            return (np.cumsum((grad * out)[rev], axis=ax)[rev] / x,)
        n = _shape(x)[ax]
        perm = [i for i in range(ndim) if i != ax] + [ax]  # the axis last
        back = tuple(int(i) for i in np.argsort(perm))
        xm, gm = x.transpose(perm), grad.transpose(perm)
        lead = _shape(xm)[:-1]
        others = where(np.eye(n, dtype=bool), 1.0, broadcast_to(xm[..., None, :], (*lead, n, n)))
        products = apply(Cumprod(-1), others)  # [..., i, j] = prod of x_k over k <= j, k != i
        products = where(np.triu(np.ones((n, n), dtype=bool)), products, 0.0)  # only j >= i
        return ((products * gm[..., None, :]).sum(axis=-1).transpose(back),)


_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_einsum(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """``subscripts`` in explicit form for operands of ``ndims`` dimensions: one letter per axis, ``...``
    replaced by fresh letters (aligned from the right, as numpy broadcasts them), the implicit output (the
    letters that occur once, in alphabetical order, after the broadcast axes) written out.

    Raises
    ------
    ValueError
        For a wrong number of operands, a character that is not a letter, or subscripts that do not match an
        operand's number of dimensions; the message names the subscripts and the operand.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but {len(ndims)} were given; "
            "write one comma-separated term per operand"
        )
    for part in [*terms, rhs]:
        bad = set(part.replace("...", "")) - set(_EINSUM_LETTERS)
        if bad or part.count("...") > 1:
            raise ValueError(
                f"einsum: subscripts {subscripts!r}: use letters a-z, A-Z and at most one '...' per term, "
                f"got {sorted(bad) if bad else part!r}"
            )
    n_ellipsis = 0
    for k, (term, nd) in enumerate(zip(terms, ndims, strict=True)):
        named = len(term.replace("...", ""))
        if ("..." not in term and named != nd) or named > nd:
            raise ValueError(
                f"einsum: term {term!r} of {subscripts!r} names {named} axes, but operand {k} has {nd} "
                "dimension(s); give one letter per axis (or '...' for the leading ones)"
            )
        if "..." in term:
            n_ellipsis = max(n_ellipsis, nd - named)
    used = set(spec)
    fresh = [c for c in _EINSUM_LETTERS if c not in used][:n_ellipsis]
    if len(fresh) < n_ellipsis:
        raise ValueError(f"einsum: {subscripts!r} uses too many letters to name the axes under '...'")
    if not arrow:
        letters = [c for term in terms for c in term.replace("...", "")]
        rhs = ("..." if any("..." in t for t in terms) else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1)
        )
    out_terms = []
    for term, nd in zip(terms, ndims, strict=True):
        extra = nd - len(term.replace("...", ""))
        out_terms.append(term.replace("...", "".join(fresh[n_ellipsis - extra :])))
    if "..." in rhs:
        rhs = rhs.replace("...", "".join(fresh))
    elif n_ellipsis and arrow:
        raise ValueError(
            f"einsum: {subscripts!r} has '...' in its operands but not in its output; write '...' in the output "
            "(e.g. '...ij->...i') or sum the broadcast axes afterwards"
        )
    inputs = set("".join(out_terms))
    if len(set(rhs)) != len(rhs) or not set(rhs) <= inputs:
        raise ValueError(
            f"einsum: the output of {subscripts!r} must name each letter once, and only letters of the operands"
        )
    return out_terms, rhs


class Einsum(Primitive):
    r"""Einstein summation, :math:`y_{\text{out}} = \sum_{\text{other letters}} \prod_k x^{(k)}_{\text{term}_k}`
    (``numpy.einsum``, with its ``optimize`` choice of contraction order).

    :math:`y` is linear in each operand, so :math:`\bar x^{(k)}` is the same sum with :math:`x^{(k)}` replaced by
    :math:`\bar y`: one more einsum, from the output's letters and the other operands' letters into operand
    :math:`k`'s letters. Two cases need a constant operand in that einsum: a letter repeated in term :math:`k`
    (``'ii->'``, a diagonal) gets the second occurrence renamed and an identity matrix :math:`\delta_{ia}`, so
    that :math:`\bar x_{ia} = \bar y\,\delta_{ia}`; a letter that occurs only in term :math:`k` (summed away
    before anything else sees it) gets a vector of ones, so that :math:`\bar y` is copied along it. Operands
    broadcast along ``...`` (or size-1 axes) get their gradient summed back (:func:`unbroadcast`'s rule, axis
    by axis), and one whose letter has size 1 everywhere else gets its gradient broadcast along that letter.
    Every operand's einsum is again this op, so second derivatives come for free.
    """

    __slots__ = ("optimize", "subscripts")
    grads_are_new = False  # np.einsum("ji->ij", g) is a view of g; a broadcast gradient is a read-only view

    def __init__(self, subscripts: str, optimize: Any = False) -> None:
        self.subscripts, self.optimize = subscripts, optimize

    def attributes(self):
        return {"subscripts": self.subscripts}

    def forward(self, *operands):
        arrays = [np.asarray(x) for x in operands]
        terms, out = parse_einsum(self.subscripts, [a.ndim for a in arrays])
        sizes: dict[str, int] = {}
        for term, a in zip(terms, arrays, strict=True):
            for c, n in zip(term, a.shape, strict=True):
                if n != 1 and sizes.get(c, 1) not in (1, n):
                    raise ValueError(
                        f"einsum {self.subscripts!r}: letter {c!r} has size {sizes[c]} in one operand and {n} in "
                        f"another (shapes {[a.shape for a in arrays]}); the axes a letter names must have one "
                        "size (or 1, to broadcast)"
                    )
                sizes[c] = max(sizes.get(c, 1), n)
        self.saved = (terms, out, sizes)
        return np.einsum(",".join(terms) + "->" + out, *arrays, optimize=self.optimize)

    def vjp(self, grad, out, *operands):
        terms, out_term, sizes = self.context
        grads: list[Value | None] = []
        dtype = np.result_type(values(grad))
        for k, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            term = terms[k]
            others = [(t, x) for j, (t, x) in enumerate(zip(terms, operands, strict=True)) if j != k]
            spare = iter(c for c in _EINSUM_LETTERS if c not in sizes)
            target, constants, seen = "", [], set()
            for c in term:
                if c in seen:  # a repeated letter: a diagonal, written with an identity matrix
                    a = next(spare)
                    constants.append((c + a, np.eye(sizes[c], dtype=dtype)))
                    target += a
                else:
                    seen.add(c)
                    target += c
            elsewhere = set(out_term).union(*(set(t) for t, _ in others))
            for c in dict.fromkeys(term):
                if c not in elsewhere:  # summed only in this operand: the gradient is copied along it
                    constants.append((c, np.ones(sizes[c], dtype=dtype)))
            pieces = [(out_term, grad), *others, *constants]
            spec = ",".join(t for t, _ in pieces) + "->" + target
            g = apply(Einsum(spec, self.optimize), *(x for _, x in pieces))
            shape = _shape(operands[k])
            if any(n > m for n, m in zip(shape, _shape(g), strict=True)):  # a letter of size 1 elsewhere
                g = broadcast_to(g, tuple(max(n, m) for n, m in zip(shape, _shape(g), strict=True)))
            stretched = tuple(i for i, n in enumerate(shape) if n != _shape(g)[i])
            grads.append(g.sum(axis=stretched, keepdims=True) if stretched else g)
        return tuple(grads)


# issue 18: math (elementwise functions users reach for)
# --------------------------------------------------------------------------------------------------------


def sin(x: Value) -> Value:
    return np.sin(x) if isinstance(x, _PLAIN) else apply(Sin(), x)


def cos(x: Value) -> Value:
    return np.cos(x) if isinstance(x, _PLAIN) else apply(Cos(), x)


def sinh(x: Value) -> Value:
    return np.sinh(x) if isinstance(x, _PLAIN) else apply(Sinh(), x)


def cosh(x: Value) -> Value:
    return np.cosh(x) if isinstance(x, _PLAIN) else apply(Cosh(), x)


class Sin(Elementwise):
    r""":math:`y = \sin x`;  :math:`dy/dx = \cos x`."""

    forward = staticmethod(np.sin)

    def derivative(self, x, out):
        return cos(x)


class Cos(Elementwise):
    r""":math:`y = \cos x`;  :math:`dy/dx = -\sin x`."""

    forward = staticmethod(np.cos)

    def derivative(self, x, out):
        return -sin(x)


class Tan(Elementwise):
    r""":math:`y = \tan x`;  :math:`dy/dx = 1 / \cos^2 x = 1 + \tan^2 x = 1 + y^2`."""

    forward = staticmethod(np.tan)

    def derivative(self, x, out):
        return 1 + out * out


class ArcSin(Elementwise):
    r""":math:`y = \arcsin x` on :math:`[-1, 1]`;  :math:`dy/dx = 1 / \sqrt{1 - x^2}` (infinite at
    :math:`\pm 1`)."""

    forward = staticmethod(np.arcsin)

    def derivative(self, x, out):
        return (1 - x * x) ** -0.5


class ArcCos(Elementwise):
    r""":math:`y = \arccos x` on :math:`[-1, 1]`;  :math:`dy/dx = -1 / \sqrt{1 - x^2}`."""

    forward = staticmethod(np.arccos)

    def derivative(self, x, out):
        return -((1 - x * x) ** -0.5)


class ArcTan(Elementwise):
    r""":math:`y = \arctan x`;  :math:`dy/dx = 1 / (1 + x^2)`."""

    forward = staticmethod(np.arctan)

    def derivative(self, x, out):
        return 1 / (1 + x * x)


class Sinh(Elementwise):
    r""":math:`y = \sinh x = (e^x - e^{-x}) / 2`;  :math:`dy/dx = \cosh x`."""

    forward = staticmethod(np.sinh)

    def derivative(self, x, out):
        return cosh(x)


class Cosh(Elementwise):
    r""":math:`y = \cosh x = (e^x + e^{-x}) / 2`;  :math:`dy/dx = \sinh x`."""

    forward = staticmethod(np.cosh)

    def derivative(self, x, out):
        return sinh(x)


class ArcTanh(Elementwise):
    r""":math:`y = \operatorname{artanh} x` on :math:`(-1, 1)`;  :math:`dy/dx = 1 / (1 - x^2)`."""

    forward = staticmethod(np.arctanh)

    def derivative(self, x, out):
        return 1 / (1 - x * x)


class Log1p(Elementwise):
    r""":math:`y = \ln(1 + x)`, accurate for tiny :math:`x` (where ``log(1 + x)`` rounds :math:`1 + x`);
    :math:`dy/dx = 1 / (1 + x)`."""

    forward = staticmethod(np.log1p)

    def derivative(self, x, out):
        return 1 / (1 + x)


class Expm1(Elementwise):
    r""":math:`y = e^x - 1`, accurate for tiny :math:`x`;  :math:`dy/dx = e^x = y + 1`."""

    forward = staticmethod(np.expm1)

    def derivative(self, x, out):
        return out + 1


_ERF = np.frompyfunc(math.erf, 1, 1)


class Erf(Elementwise):
    r""":math:`y = \operatorname{erf} x = \frac{2}{\sqrt\pi} \int_0^x e^{-t^2} dt`;
    :math:`dy/dx = \frac{2}{\sqrt\pi} e^{-x^2}`.

    numpy has no ``erf``: the forward applies Python's ``math.erf`` (correctly rounded to within 1 ulp) to
    each element in float64, then casts back to the input's float dtype. About 0.1 microseconds per element:
    fine for activations of teaching-sized models, slower than a numpy ufunc on millions of elements.
    """

    TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

    def forward(self, x):
        x = as_float(x)
        return np.asarray(_ERF(x.astype(np.float64, copy=False)), dtype=np.float64).astype(x.dtype, copy=False)

    def derivative(self, x, out):
        return self.TWO_OVER_SQRT_PI * exp(-(x * x))


def _no_derivative(x: Value) -> Array:
    r"""The derivative of a piecewise-constant function (``sign``, ``floor``, ``ceil``, ``round``): 0 wherever
    it exists, and 0 is taken at the jumps too (PyTorch's convention), so no gradient flows through them; their
    second derivative is 0 as well. A constant of ``x``'s shape and dtype."""
    return np.zeros(_shape(x), dtype=np.result_type(values(x)))


class Sign(Elementwise):
    r""":math:`y = \operatorname{sign} x \in \{-1, 0, 1\}`;  :math:`dy/dx = 0` (0 at :math:`x = 0` too).
    Booleans are their own sign (numpy has no boolean ``sign``; PyTorch's keeps them)."""

    def forward(self, x):
        x = np.asarray(x)
        return x.copy() if x.dtype == np.bool_ else np.sign(x)

    def derivative(self, x, out):
        return _no_derivative(x)


class Floor(Elementwise):
    r""":math:`y = \lfloor x \rfloor`;  :math:`dy/dx = 0` (0 at the integers too)."""

    forward = staticmethod(np.floor)

    def derivative(self, x, out):
        return _no_derivative(x)


class Ceil(Elementwise):
    r""":math:`y = \lceil x \rceil`;  :math:`dy/dx = 0` (0 at the integers too)."""

    forward = staticmethod(np.ceil)

    def derivative(self, x, out):
        return _no_derivative(x)


class Round(Elementwise):
    r""":math:`y` = :math:`x` rounded to ``decimals`` decimals, halves to even (numpy's and PyTorch's rule);
    :math:`dy/dx = 0` (0 at the jumps too)."""

    __slots__ = ("decimals",)

    def __init__(self, decimals: int = 0) -> None:
        if isinstance(decimals, (bool, np.bool_)) or not isinstance(decimals, (int, np.integer)):
            raise TypeError(f"round: decimals must be an int, got {decimals!r} ({type(decimals).__name__})")
        self.decimals = int(decimals)

    def attributes(self):
        return {"decimals": self.decimals}

    def forward(self, x):
        return np.round(x, self.decimals)

    def derivative(self, x, out):
        return _no_derivative(x)


class LogAddExp(Binary):
    r""":math:`y = \ln(e^a + e^b)`, computed as :math:`\max(a, b) + \ln(1 + e^{-|a - b|})` (numpy's
    ``logaddexp``: no overflow for inputs of 1e4);  :math:`\bar a = \bar y \, e^{a - y}`,
    :math:`\bar b = \bar y \, e^{b - y}` (the softmax of the pair, each in :math:`[0, 1]`)."""

    ufunc = np.logaddexp

    def grad_a(self, grad, out, a, b):
        return grad * exp(a - out)

    def grad_b(self, grad, out, a, b):
        return grad * exp(b - out)


class Hypot(Binary):
    r""":math:`y = \sqrt{a^2 + b^2}`, without overflow for large inputs (numpy's ``hypot``);
    :math:`\bar a = \bar y \, a / y`, :math:`\bar b = \bar y \, b / y`.

    At :math:`a = b = 0` the gradient is taken as 0 (a subgradient, as :math:`|x|'(0) = 0`:
    ``hypot(a, 0) = |a|``), where :math:`a / y` would be 0/0.
    """

    ufunc = np.hypot

    def share(self, x: Value, out: Value) -> Value:
        zero = values(out) == 0
        if not np.any(zero):
            return x / out
        return where(zero, 0.0, x / where(zero, 1.0, out))

    def grad_a(self, grad, out, a, b):
        return grad * self.share(a, out)

    def grad_b(self, grad, out, a, b):
        return grad * self.share(b, out)


# (issue 18: math, continued) the activations that are primitives: one node each, and PyTorch's first and
# second derivatives at their kinks, which no composite of the ops above reproduces.


def _real_parameter(value: Any, op: str, name: str) -> float:
    """A real-number parameter of ``op`` as a float; a bool, a NaN or a non-number raises naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    if math.isnan(value):
        raise ValueError(f"{op}: {name} is NaN; give a real number")
    return float(value)


class Elu(Elementwise):
    r""":math:`y = x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`;  :math:`dy/dx = 1` for :math:`x > 0`,
    else :math:`\alpha e^x`, so :math:`\alpha` at 0 (PyTorch's ``elu``).

    The second derivative is :math:`\alpha e^x` for :math:`x < 0` and 0 for :math:`x \ge 0`: at the kink the
    first derivative takes the left side and the second the right side, which is what PyTorch computes.
    A primitive rather than ``where(x > 0, x, alpha * expm1(x))`` for that convention, and one node instead of
    four. The exponential sees :math:`\min(x, 0)`, so large inputs cannot overflow.
    """

    __slots__ = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = _real_parameter(alpha, "elu", "alpha")

    def attributes(self):
        return {"alpha": self.alpha}

    def forward(self, x):
        x = as_float(x)
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, x, out):
        x_values = values(x)
        negative = where(x_values < 0, x, 0.0)  # x where x < 0, else the constant 0: no second derivative at 0
        return where(x_values > 0, 1.0, self.alpha * exp(negative))


class Softplus(Elementwise):
    r""":math:`y = \frac1\beta \ln(1 + e^{\beta x})`, and :math:`y = x` where :math:`\beta x >` ``threshold``
    (PyTorch's linear regime); computed as ``logaddexp(0, beta x) / beta``, which never overflows.

    :math:`dy/dx = \sigma(\beta x)` (1 in the linear regime), :math:`d^2y/dx^2 = \beta \sigma(\beta x)
    (1 - \sigma(\beta x))` (0 in the linear regime and, as in PyTorch, at :math:`\beta x =` ``threshold``
    itself, where the first derivative is :math:`\sigma(\mathrm{threshold})`).
    """

    __slots__ = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = _real_parameter(beta, "softplus", "beta")
        self.threshold = _real_parameter(threshold, "softplus", "threshold")
        if self.beta == 0:
            raise ValueError("softplus: beta must be nonzero (it divides), got 0; the default is beta=1")

    def attributes(self):
        return {"beta": self.beta, "threshold": self.threshold}

    def forward(self, x):
        x = as_float(x)
        bx = x * self.beta
        return np.where(bx > self.threshold, x, np.logaddexp(0, bx) / self.beta)

    def derivative(self, x, out):
        bx = values(x) * self.beta
        below = where(bx < self.threshold, x, self.threshold / self.beta)  # constant at the threshold itself
        return where(bx > self.threshold, 1.0, sigmoid(below * self.beta))


# issue 18: convolution and pooling (NCHW, as PyTorch)
# --------------------------------------------------------------------------------------------------------

Pair = tuple[int, int]


def pair(value: Any, what: str, fn: str, minimum: int = 1) -> Pair:
    """``value`` (an int or a pair of ints) as a pair of ints ``>= minimum``, else an error that names it."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items):
        raise TypeError(f"{fn}: {what} must be an int or a pair of ints (height, width), got {value!r}")
    if any(v < minimum for v in items):
        bound = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{fn}: {what} must be {bound}, got {value!r}")
    return int(items[0]), int(items[1])


def conv_output_size(
    size: tuple[int, ...], kernel: tuple[int, ...], stride: Pair, padding: Pair, dilation: Pair, fn: str = "conv2d"
) -> Pair:
    r"""Output height and width: :math:`\lfloor (H + 2p - d(k - 1) - 1) / s \rfloor + 1` per axis.

    Raises a ValueError, naming the sizes, when the (dilated) kernel is larger than the padded input."""
    out = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            raise ValueError(
                f"{fn}: the kernel {kernel} with dilation {dilation} spans {span} rows/columns, more than the "
                f"padded input: input (H, W) = {size} with padding {padding} is only "
                f"{(size[0] + 2 * padding[0], size[1] + 2 * padding[1])}; use a smaller kernel or more padding"
            )
        out.append((n + 2 * p - span) // s + 1)
    return out[0], out[1]


def _windows(
    x: Array, kernel: tuple[int, ...], stride: Pair, padding: Pair, dilation: Pair, fill: float = 0.0
) -> Array:
    """The view (N, C, OH, OW, kh, kw) of every receptive field of ``x`` (N, C, H, W), padded with ``fill``:
    ``sliding_window_view`` over the dilated kernel's span, then strided by ``stride`` and ``dilation``."""
    (ph, pw), (dh, dw) = padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    span = (dh * (kernel[0] - 1) + 1, dw * (kernel[1] - 1) + 1)
    view = np.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1], ::dh, ::dw]


def im2col(x: Array, kernel: tuple[int, ...], stride: Pair, padding: Pair, dilation: Pair) -> Array:
    r"""The receptive fields of ``x`` (N, C, H, W) as columns: an array (N, C kh kw, OH OW) whose column
    :math:`l` of sample :math:`n` holds the input values that output position :math:`l` sees (one copy)."""
    view = _windows(x, kernel, stride, padding, dilation)
    n, c, oh, ow, kh, kw = view.shape
    return view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


def col2im(
    cols: Array, x_shape: tuple[int, ...], kernel: tuple[int, ...], stride: Pair, padding: Pair, dilation: Pair
) -> Array:
    r"""The adjoint of :func:`im2col`: add every column entry back into the input position it was copied from.

    ``cols`` is (C kh kw, OH OW, N), **batch last**; the result is (N, C, H, W) = ``x_shape``. One strided
    slice-add per kernel offset :math:`(i, j)`: kh kw vectorised additions (25 for LeNet's 5x5), each over
    rows of OW N contiguous numbers. With the batch first (rows of only OW numbers) the input gradient of
    LeNet's second layer took 2.3 ms instead of 1.0, and ``np.add.at`` on flat indices is slower still
    (``python benchmarks/conv.py --col2im``)."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh, ow = conv_output_size((h, w), kernel, stride, padding, dilation)
    blocks = cols.reshape(c, kh, kw, oh, ow, n)
    full = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            full[:, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += blocks[
                :, i, j
            ]
    return np.ascontiguousarray(full[:, ph : ph + h, pw : pw + w].transpose(3, 0, 1, 2))


def _input_gradient(grad: Array, weight: Array, x_shape: tuple[int, ...], geometry: tuple[Pair, Pair, Pair]) -> Array:
    r""":math:`\bar X = \mathrm{col2im}(W^\top \bar Y)`: the upstream gradient (N, O, OH, OW) batch last, one
    matrix product (C kh kw, O) @ (O, OH OW N), and :func:`col2im`."""
    o = weight.shape[0]
    batch_last = grad.reshape(grad.shape[0], o, -1).transpose(1, 2, 0).reshape(o, -1)
    return col2im(weight.reshape(o, -1).T @ batch_last, x_shape, weight.shape[2:], *geometry)


def _weight_gradient(g: Array, cols: Array) -> Array:
    r""":math:`\sum_n G_n C_n^\top` for G (N, O, L) and the columns C (N, K, L): one batched product, then the sum
    over the batch (half the time of ``np.einsum("nol,nkl->ok", ...)``, which copies both operands into one
    matrix product, on LeNet's first layer: ``python benchmarks/conv.py``)."""
    return np.matmul(g, cols.transpose(0, 2, 1)).sum(axis=0)


def _check_conv_shapes(x: Array, weight: Array, bias: Array | None, fn: str = "conv2d") -> None:
    if x.ndim != 4:
        raise ValueError(
            f"{fn}: the input must be 4-D (N, C, H, W), got shape {x.shape}; one image (C, H, W) is "
            "x.reshape(1, C, H, W), a batch of grey images (N, H, W) is x.reshape(N, 1, H, W)"
        )
    if weight.ndim != 4:
        raise ValueError(f"{fn}: the weight must be 4-D (out_channels, in_channels, kh, kw), got shape {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"{fn}: channel mismatch: the input of shape {x.shape} has {x.shape[1]} channel(s) (axis 1) but the "
            f"weight of shape {weight.shape} expects in_channels = weight.shape[1] = {weight.shape[1]}"
        )
    if bias is not None and np.shape(bias) != weight.shape[:1]:
        raise ValueError(
            f"{fn}: the bias must have shape (out_channels,) = {weight.shape[:1]} for a weight of shape "
            f"{weight.shape}, got {np.shape(bias)}"
        )


def _check_upstream(grad: Array, n: int, o: int, out_size: Pair, fn: str) -> None:
    """The upstream gradient of a convolution must have the output's shape (N, O, OH, OW): say which."""
    expected = (n, o, *out_size)
    if grad.shape != expected:
        raise ValueError(
            f"{fn}: the upstream gradient must have the convolution's output shape {expected}, got {grad.shape}"
        )


class _Geometry:
    """What the convolution primitives share: ``stride``, ``padding``, ``dilation`` as pairs of ints (a mixin
    without slots of its own: each primitive declares them, so that it stays a slotted ``Primitive``)."""

    __slots__ = ()
    stride: Pair
    padding: Pair
    dilation: Pair

    def __init__(self, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> None:
        name = type(self).__name__
        # the slots are the concrete primitive's (mypy sees only this mixin's empty __slots__)
        self.stride = pair(stride, "stride", name)  # type: ignore[misc]
        self.padding = pair(padding, "padding", name, minimum=0)  # type: ignore[misc]
        self.dilation = pair(dilation, "dilation", name)  # type: ignore[misc]

    def attributes(self) -> dict[str, Any]:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}

    @property
    def geometry(self) -> tuple[Pair, Pair, Pair]:
        return self.stride, self.padding, self.dilation


class Conv2d(_Geometry, Primitive):
    r"""2-D cross-correlation (PyTorch's ``conv2d``), NCHW:
    :math:`Y_{n o p q} = b_o + \sum_{c,i,j} W_{o c i j} \, X_{n c, s_h p + d_h i - p_h, s_w q + d_w j - p_w}`
    (zero outside the input).

    By im2col, :math:`X \mapsto` columns :math:`C_n` (:math:`C k_h k_w \times L`, one column per output
    position, :math:`L = OH \cdot OW`) and the weight as a matrix :math:`W` (:math:`O \times C k_h k_w`):
    :math:`Y_n = W C_n + b`, one matrix product. It is bilinear in :math:`(X, W)`, so

    .. math:: \bar W = \sum_n \bar Y_n C_n^\top, \qquad \bar C_n = W^\top \bar Y_n, \qquad
              \bar X = \mathrm{col2im}(\bar C), \qquad \bar b_o = \sum_{n,p,q} \bar Y_{nopq},

    col2im being the adjoint of im2col (each column entry added back where it was copied from). The two
    products are the primitives :class:`Conv2dInputGrad` (:math:`\bar X`, the transposed convolution) and
    :class:`Conv2dWeightGrad` (:math:`\bar W`), each the adjoint of ``Conv2d`` in one argument, so that the
    gradient is differentiable again. On the first-order path the rule reuses the forward's columns.
    """

    __slots__ = ("dilation", "padding", "stride")

    def forward(self, x, weight, bias=None):
        x, weight = np.asarray(x), np.asarray(weight)
        _check_conv_shapes(x, weight, bias)
        o, c, kh, kw = weight.shape
        n = x.shape[0]
        oh, ow = conv_output_size(x.shape[2:], (kh, kw), *self.geometry)
        cols = im2col(x, (kh, kw), *self.geometry)
        out = np.matmul(weight.reshape(o, c * kh * kw), cols)  # (N, O, L)
        if bias is not None:
            bias = np.asarray(bias)
            if np.result_type(out, bias) == out.dtype:
                out += bias.reshape(o, 1)
            else:
                out = out + bias.reshape(o, 1)
        self.saved = (cols,)
        return out.reshape(n, o, oh, ow)

    def vjp(self, grad, out, x, weight, bias=None):
        needs = self.needs_input_grad
        grad_x = grad_w = grad_b = None
        if _on_graph(grad, x, weight) is None:
            (cols,) = self.context  # the first-order path: the forward's columns, not computed again
            o = weight.shape[0]
            g = grad.reshape(grad.shape[0], o, -1)  # (N, O, L)
            if needs[0]:
                grad_x = _input_gradient(grad, weight, x.shape, self.geometry)
            if needs[1]:
                grad_w = _weight_gradient(g, cols).reshape(weight.shape)
        else:
            if needs[0]:
                grad_x = apply(Conv2dInputGrad(_shape(x), *self.geometry), grad, weight)
            if needs[1]:
                grad_w = apply(Conv2dWeightGrad(_shape(weight), *self.geometry), x, grad)
        if len(needs) == 3 and needs[2]:
            grad_b = grad.sum(axis=(0, 2, 3))
        return (grad_x, grad_w) if len(needs) == 2 else (grad_x, grad_w, grad_b)


class Conv2dInputGrad(_Geometry, Primitive):
    r"""The gradient of :class:`Conv2d` in its input, as a function of the upstream gradient :math:`G` and
    the weight: :math:`Z = \mathrm{col2im}(W^\top G_n)` of shape ``x_shape`` (the transposed convolution).

    Bilinear, and the adjoint of ``Conv2d`` in :math:`X`:
    :math:`\langle H, Z(G, W) \rangle = \langle \mathrm{conv}(H, W), G \rangle`. Hence, for an upstream
    :math:`\bar Z = H`: :math:`\bar G = \mathrm{conv2d}(H, W)` and
    :math:`\bar W = \mathrm{Conv2dWeightGrad}(H, G)`.
    """

    __slots__ = ("dilation", "padding", "stride", "x_shape")

    def __init__(self, x_shape: tuple[int, ...], stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__(stride, padding, dilation)
        self.x_shape = tuple(x_shape)

    def attributes(self) -> dict[str, Any]:
        return {"x_shape": self.x_shape, **super().attributes()}

    def forward(self, grad, weight):
        grad, weight = np.asarray(grad), np.asarray(weight)
        o = weight.shape[0]
        size = conv_output_size(self.x_shape[2:], weight.shape[2:], *self.geometry)
        _check_upstream(grad, self.x_shape[0], o, size, "Conv2dInputGrad")
        return _input_gradient(grad, weight, self.x_shape, self.geometry)

    def vjp(self, grad, out, upstream, weight):
        need_g, need_w = self.needs_input_grad  # grad is H, the gradient of this op's output; upstream is G
        return (
            apply(Conv2d(*self.geometry), grad, weight) if need_g else None,
            apply(Conv2dWeightGrad(_shape(weight), *self.geometry), grad, upstream) if need_w else None,
        )


class Conv2dWeightGrad(_Geometry, Primitive):
    r"""The gradient of :class:`Conv2d` in its weight, as a function of the input :math:`X` and the upstream
    gradient :math:`G`: :math:`V = \sum_n G_n C_n^\top` (:math:`C_n` the columns of :math:`X`), of shape
    ``weight_shape``.

    Bilinear, and the adjoint of ``Conv2d`` in :math:`W`:
    :math:`\langle H, V(X, G) \rangle = \langle \mathrm{conv}(X, H), G \rangle`. Hence, for an upstream
    :math:`\bar V = H`: :math:`\bar X = \mathrm{Conv2dInputGrad}(G, H)` and :math:`\bar G = \mathrm{conv2d}(X, H)`.
    """

    __slots__ = ("dilation", "padding", "stride", "weight_shape")

    def __init__(self, weight_shape: tuple[int, ...], stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__(stride, padding, dilation)
        self.weight_shape = tuple(weight_shape)

    def attributes(self) -> dict[str, Any]:
        return {"weight_shape": self.weight_shape, **super().attributes()}

    def forward(self, x, grad):
        x, grad = np.asarray(x), np.asarray(grad)
        o = self.weight_shape[0]
        size = conv_output_size(x.shape[2:], self.weight_shape[2:], *self.geometry)
        _check_upstream(grad, x.shape[0], o, size, "Conv2dWeightGrad")
        cols = im2col(x, self.weight_shape[2:], *self.geometry)
        g = grad.reshape(grad.shape[0], o, -1)
        return _weight_gradient(g, cols).reshape(self.weight_shape)

    def vjp(self, grad, out, x, upstream):
        need_x, need_g = self.needs_input_grad  # grad is H, the gradient of this op's output; upstream is G
        return (
            apply(Conv2dInputGrad(_shape(x), *self.geometry), upstream, grad) if need_x else None,
            apply(Conv2d(*self.geometry), x, grad) if need_g else None,
        )


class MaxPool2d(_Geometry, Primitive):
    r"""2-D max pooling, NCHW: :math:`Y_{ncpq} = \max_{i,j} X_{n c, s_h p + d_h i - p_h, s_w q + d_w j - p_w}`
    over the :math:`k_h \times k_w` window (padding counts as :math:`-\infty`).

    :math:`\bar X` is zero except at the selected element of each window, which gets :math:`\bar Y_{ncpq}`
    (added up where overlapping windows select the same element). **Ties**: the first maximum of the window
    in row-major order gets the whole gradient, as in PyTorch (``np.argmax`` picks the first), unlike the
    ``max`` reduction, which shares it. The rule is the scatter-add :class:`ScatterAdd` of :math:`\bar Y` to
    those positions, so it is differentiable again (its second derivative is zero: max is piecewise linear).
    """

    __slots__ = ("dilation", "kernel_size", "padding", "stride")

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> None:
        self.kernel_size = pair(kernel_size, "kernel_size", "MaxPool2d")
        super().__init__(self.kernel_size if stride is None else stride, padding, dilation)
        kh, kw = self.kernel_size
        if self.padding[0] > kh // 2 or self.padding[1] > kw // 2:
            raise ValueError(
                f"MaxPool2d: padding {self.padding} must be at most half the kernel size {self.kernel_size} "
                "(as in PyTorch: every window must hold an element of the input)"
            )

    def attributes(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, **super().attributes()}

    def forward(self, x):
        x = as_float(x)
        if x.ndim != 4:
            raise ValueError(f"max_pool2d: the input must be 4-D (N, C, H, W), got shape {x.shape}")
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, *self.geometry
        oh, ow = conv_output_size((h, w), self.kernel_size, *self.geometry, fn="max_pool2d")
        view = _windows(x, self.kernel_size, *self.geometry, fill=-np.inf)
        flat = view.reshape(n, c, oh, ow, kh * kw)
        k = flat.argmax(axis=-1)  # the first maximum of each window
        out = np.take_along_axis(flat, k[..., None], axis=-1)[..., 0]
        rows = np.arange(oh).reshape(-1, 1) * sh + (k // kw) * dh - ph
        cols = np.arange(ow) * sw + (k % kw) * dw - pw
        index = (np.arange(n * c).reshape(n, c, 1, 1) * h + rows) * w + cols  # flat index into x
        self.saved = (index.ravel(), (sh >= dh * (kh - 1) + 1) and (sw >= dw * (kw - 1) + 1))
        return out

    def vjp(self, grad, out, x):
        index, disjoint = self.context
        shape = _shape(x)
        if isinstance(grad, _PLAIN):  # first order: one write per window (disjoint windows) or a bincount
            g = np.asarray(grad).ravel()
            if disjoint:
                full = np.zeros(math.prod(shape), dtype=g.dtype)
                full[index] = g
            else:
                full = np.bincount(index, weights=g, minlength=math.prod(shape)).astype(g.dtype, copy=False)
            return (full.reshape(shape),)
        return (apply(ScatterAdd(index, (math.prod(shape),)), grad.reshape(-1)).reshape(shape),)


#: The bases that give a rule its shape; they are not ops themselves.
_BASES: tuple[type[Primitive], ...] = (Primitive, Elementwise, Binary, Parametrized, Reduction, Loss)

#: Every built-in primitive, in the order of this file: each concrete subclass of ``Primitive`` defined here
#: (nothing to register: a class added to this file is in the list). The tests check each one's first and
#: second derivatives, and fail for a primitive that is missing from their tables.
PRIMITIVES: tuple[type[Primitive], ...] = tuple(
    obj
    for obj in list(globals().values())
    if isinstance(obj, type) and issubclass(obj, Primitive) and obj not in _BASES and obj.__module__ == __name__
)
