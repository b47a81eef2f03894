r"""``Tensor``: a numpy array that remembers how it was computed.

Every operation on Tensors that require gradients records a graph node (:func:`apply_op`, the one node
builder): the result keeps the primitive ``op`` (from :mod:`tinygrad_edu.ops`, the table of derivatives) and
its ``inputs``. ``backward()`` hands the graph to :mod:`tinygrad_edu.engine`, which walks it from the output to
the leaves applying the chain rule. This module is the only place that makes Tensors and graph nodes;
composite functions elsewhere are written with Tensor methods.
"""

from __future__ import annotations

import math
import sys
import types
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import anomaly as _anomaly
from . import engine as _engine
from . import ops
from ._random import generator
from .anomaly import _mode as _anomaly_mode
from .engine import GraphNode, _grad_mode, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Tensor",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "set_default_dtype",
    "get_default_dtype",
    "concatenate",
    "stack",
    "where",
    "maximum",
    "minimum",
    "matmul",
    "grad",
    "apply_op",
    "ReleasedTensor",
]

Scalar = int | float | bool
ShapeLike = int | Sequence[int]

_new_object = object.__new__  # Tensor._make's allocation, without __init__ (looked up once)
_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_default_dtype = np.dtype(np.float32)
#: The most values ``Tensor.arange`` makes (checked before allocating; 8 GiB as float64).
MAX_ARANGE = 2**30


# --------------------------------------------------------------------------------------------------------
# default dtype
# --------------------------------------------------------------------------------------------------------


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python scalars and lists become (float32 unless changed).

    Numpy arrays keep their own dtype. Only float16, float32 and float64 are accepted.
    """
    global _default_dtype
    dt = np.dtype(dtype)
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"the default dtype must be float16, float32 or float64, got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """The dtype Python scalars and lists become (see :func:`set_default_dtype`)."""
    return _default_dtype


# --------------------------------------------------------------------------------------------------------
# conversion of user data
# --------------------------------------------------------------------------------------------------------


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn user data into an owned numpy array following the dtype rule of DESIGN.md."""
    if isinstance(data, Tensor):
        arr = np.array(data.data, dtype=dtype, copy=True)
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype, copy=True)
    else:
        try:
            arr = np.array(data)
        except ValueError as err:
            raise ValueError(
                f"cannot build a Tensor from {type(data).__name__}: {err} (nested lists must be rectangular: "
                "every row the same length)"
            ) from None
        if dtype is not None:
            arr = arr.astype(dtype)
        elif arr.dtype.kind in "iuf":  # Python numbers become the default float dtype
            arr = arr.astype(_default_dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"cannot build a Tensor of dtype {arr.dtype} from {type(data).__name__}: tinygrad_edu supports "
            "bool, integer and float data (nested lists must be rectangular)"
        )
    return arr


def _supported_dtype(dtype: Any, fn: str) -> np.dtype:
    """``dtype`` as a numpy dtype that a Tensor can hold (bool, integer or float), or an error naming ``fn``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fn}: {dtype!r} is not a dtype; use e.g. np.float32, np.float64 or np.int64") from None
    if dt.kind not in "biuf":
        raise TypeError(
            f"{fn}: tinygrad_edu supports bool, integer and float dtypes, got {dt} ({dtype!r}); "
            "use e.g. np.float32 or np.float64"
        )
    return dt


def _check_can_require_grad(dtype: np.dtype) -> None:
    if dtype.kind != "f":
        raise TypeError(
            f"only floating-point tensors can require gradients, got dtype {dtype}; "
            "convert first, e.g. Tensor(x, dtype=np.float32, requires_grad=True) or x.astype(np.float64)"
        )


def _operand(value: Any) -> Any:
    """An operand of a binary op: Tensors stay, Python/numpy scalars stay weakly typed scalars, arrays and
    lists become constant Tensors."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":  # before float: np.float64 is a float
        return value.item()  # numpy scalars act like Python scalars: x32 * np.float64(2) stays float32
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (np.ndarray, list, tuple)):
        return Tensor(value)
    raise TypeError(
        f"unsupported operand type {type(value).__name__} for a Tensor operation; "
        "use a Tensor, a numpy array, a list or a Python number"
    )


def _factory(data: np.ndarray, dtype: Any, requires_grad: bool, name: str | None) -> Tensor:
    """Wrap freshly made ``data`` (no copy) as a leaf of ``dtype`` (default: the default dtype)."""
    t = Tensor._make(data.astype(dtype if dtype is not None else _default_dtype, copy=False), None, None)
    t.name = name
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"a shape needs non-negative integers, got {shape!r}")
    return tuple(int(n) for n in shape)


# --------------------------------------------------------------------------------------------------------
# graph recording: the one node builder
# --------------------------------------------------------------------------------------------------------


def apply_op(op: ops.Function, *inputs: Any) -> Tensor:
    """Run a primitive ``op`` forward on the inputs' values and, if an input requires grad (and grad mode is
    on), record the graph node. Every Tensor operation comes here.

    It is also the extension point for your own primitives: subclass :class:`tinygrad_edu.ops.Function`
    with ``forward`` on numpy arrays and the rule ``vjp`` (see ``CONTRIBUTING.md``), then
    ``apply_op(MyOp(), x, y)``. Inputs may be Tensors or constants: Python numbers, numpy arrays (passed to
    ``forward`` as they are).
    """
    n = len(inputs)
    if n == 2:
        return _apply_binary(op, inputs[0], inputs[1])
    if n == 1 and isinstance(inputs[0], Tensor):
        return _apply_unary(op, inputs[0])
    op.saved = ()  # forward may replace it with what the rule needs besides the inputs and the output
    if n == 3 and type(inputs[0]) is Tensor and type(inputs[1]) is Tensor and type(inputs[2]) is Tensor:
        # nn.Linear with its bias, spelled out (callgrind: apply_op itself 12,500 -> 7,100 instructions per call)
        a, b, c = inputs
        return _record(
            op,
            inputs,
            (a.data, b.data, c.data),
            (a.requires_grad, b.requires_grad, c.requires_grad),
            op.forward(a.data, b.data, c.data),
        )
    # (a loop, not two comprehensions: each comprehension is a function call of its own in CPython 3.11)
    values, flags = [], []
    for x in inputs:
        if isinstance(x, Tensor):
            values.append(x.data)
            flags.append(x.requires_grad)
        else:
            values.append(x)
            flags.append(False)
    args, needs = tuple(values), tuple(flags)
    return _record(op, inputs, args, needs, op.forward(*args))


def _apply_binary(op: ops.Function, a: Any, b: Any) -> Tensor:
    """:func:`apply_op` for two inputs, unrolled: no generic loop, and the ``needs_input_grad`` tuples shared
    rather than built."""
    op.saved = ()
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            args = (a.data, b.data)
            if a.requires_grad:
                needs = _BOTH_NEED if b.requires_grad else _FIRST_NEEDS
            else:
                needs = _SECOND_NEEDS if b.requires_grad else _NONE_NEED
        else:
            args = (a.data, b)
            needs = _FIRST_NEEDS if a.requires_grad else _NONE_NEED
    elif isinstance(b, Tensor):
        args = (a, b.data)
        needs = _SECOND_NEEDS if b.requires_grad else _NONE_NEED
    else:
        args, needs = (a, b), _NONE_NEED
    return _record(op, (a, b), args, needs, op.forward(args[0], args[1]))


def _binary(op: ops.Function, a: Any, b: Any) -> Tensor:
    """A binary function of any operands (``tg.maximum(a, b)``, ``2 * x`` ...): its operands converted as numpy
    would (:func:`_operand`: Python numbers stay weakly typed constants, arrays and lists become constant
    Tensors), then recorded."""
    if not isinstance(a, Tensor):
        a = _operand(a)
    if not isinstance(b, Tensor):
        b = _operand(b)
    return _apply_binary(op, a, b)


def _operate(op_class: type[ops.Binary], a: Tensor, b: Any) -> Tensor:
    """``a <op> b`` for a Tensor ``a``: the path of every arithmetic operator (``x * w``, ``h + b``, ``x - 0.5``).

    :func:`_binary` for the common right operands (another Tensor, a Python float or int), unrolled: no
    general conversion, and the op made without calling its class (no ``__init__`` to run). Anything else takes
    :func:`_binary`. callgrind, one ``x * c`` on (16,) float32 tensors: 12,800 -> 11,500 instructions, of which
    numpy's multiply is 3,600; the forward of benchmarks/op_overhead.py's chain: 15,400 -> 13,800 instructions
    per op (through :func:`_apply_binary` it took 700 more).
    """
    kind = type(b)
    if kind is Tensor:
        b_value = b.data
        if a.requires_grad:
            needs = _BOTH_NEED if b.requires_grad else _FIRST_NEEDS
        else:
            needs = _SECOND_NEEDS if b.requires_grad else _NONE_NEED
    elif kind is float or kind is int:
        b_value, needs = b, (_FIRST_NEEDS if a.requires_grad else _NONE_NEED)
    else:
        return _binary(op_class(), a, b)
    op = _new_object(op_class)
    op.saved = ()
    a_value = a.data
    return _record(op, (a, b), (a_value, b_value), needs, op.forward(a_value, b_value))


def _unary(op_class: type[ops.Function], x: Tensor) -> Tensor:
    """``op_class`` (a primitive without parameters: ``Exp``, ``Relu`` ...) applied to ``x``: :func:`apply_op`'s
    unary path, with the op made without calling its class."""
    return _apply_unary(_new_object(op_class), x)


def _apply_unary(op: ops.Function, x: Tensor) -> Tensor:
    """:func:`apply_op` for one Tensor: the ``needs_input_grad`` tuple shared rather than built."""
    op.saved = ()
    data = x.data
    return _record(op, (x,), (data,), _ONE_NEEDS if x.requires_grad else _ONE_CONSTANT, op.forward(data))


# The needs_input_grad tuples of unary and binary nodes, shared rather than built for every node.
_ONE_NEEDS, _ONE_CONSTANT = (True,), (False,)
_BOTH_NEED, _FIRST_NEEDS, _SECOND_NEEDS, _NONE_NEED = (True, True), (True, False), (False, True), (False, False)


def _record(
    op: ops.Function, inputs: tuple[Any, ...], args: tuple[Any, ...], needs: tuple[bool, ...], out: Any
) -> Tensor:
    """The one place a node is made: ``out = op.forward(*args)`` (computed by the caller, which spells out one
    and two arguments: CPython 3.11's ``*args`` call is slow, see ``engine._propagate``) as a graph node if an
    input requires grad and grad mode is on (the op keeps ``args`` for its first-order rule), else a constant."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    site = None
    if _anomaly.active and _anomaly_mode.enabled:  # tg.detect_anomaly() in this thread; else this test is all it costs
        site = _anomaly.creation_site()
        _anomaly.check_forward(op, inputs, out, site)
    t = _new_object(Tensor)  # Tensor._make, written out: this is the hottest line of the engine
    t.data, t.grad, t.name, t._retains_grad, t._walk = out, None, None, False, None
    if True in needs and _grad_mode.enabled:
        op.needs_input_grad, op.args = needs, args
        t.requires_grad, t._op, t._inputs = True, op, inputs
        if site is not None:
            _anomaly.record_node(t, site)
    else:
        t.requires_grad, t._op, t._inputs = False, None, None
    return t


# --------------------------------------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------------------------------------


class Tensor(GraphNode):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Parameters
    ----------
    data : scalar, nested list, numpy array or Tensor
        Python scalars and lists become the default dtype (float32, see ``set_default_dtype``); numpy
        arrays keep their dtype. The data is copied, so later changes to the tensor (an optimiser step)
        never change the caller's array.
    requires_grad : bool, default False
        Record operations on this tensor so that ``backward()`` fills its ``.grad``. Float dtypes only.
    dtype : numpy dtype, optional
        Convert the data to this dtype.
    name : str, optional
        A label shown in reprs, graphs and error messages.

    Attributes
    ----------
    data : numpy.ndarray
        The values.
    grad : numpy.ndarray or None
        :math:`\\partial L/\\partial x` after ``L.backward()``, of the tensor's shape and dtype; ``None`` until a
        backward pass reaches it. Backward passes accumulate (add) into it.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()          # y = sum x_i^2
    >>> y.backward()
    >>> x.grad                     # dy/dx = 2x
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ()  # the engine's GraphNode declares the attributes
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray + Tensor -> Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> None:
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = False
        self.name = name
        self._op: ops.Function | None = None
        self._inputs: tuple[Any, ...] | None = None
        self._retains_grad = False
        self._walk = None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, op: ops.Function | None, inputs: tuple[Any, ...] | None) -> Tensor:
        """Internal fast constructor for op results: no copy, no validation."""
        t = _new_object(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = op is not None
        t.name = None
        t._op = op
        t._inputs = inputs
        t._retains_grad = False
        t._walk = None
        return t

    def _constant(self, data: np.ndarray) -> Tensor:
        return Tensor._make(data, None, None)

    def _placeholder(self) -> ReleasedTensor:
        return ReleasedTensor._of(self)

    _apply = staticmethod(apply_op)  # how ops' rules build nodes under create_graph (ops.apply)

    # ---- factories --------------------------------------------------------------------------------------

    @staticmethod
    def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
        """A tensor of zeros: ``Tensor.zeros(2, 3)`` or ``Tensor.zeros((2, 3))``."""
        return _factory(np.zeros(_shape_arg(shape)), dtype, requires_grad, name)

    @staticmethod
    def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
        """A tensor of ones."""
        return _factory(np.ones(_shape_arg(shape)), dtype, requires_grad, name)

    @staticmethod
    def full(
        shape: ShapeLike, fill_value: float, dtype: Any = None, requires_grad: bool = False, name: str | None = None
    ) -> Tensor:
        """A tensor of ``shape`` filled with ``fill_value``."""
        shp = _shape_arg((shape,) if isinstance(shape, (int, np.integer)) else (tuple(shape),))
        return _factory(np.full(shp, fill_value), dtype, requires_grad, name)

    @staticmethod
    def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
        """Zeros of ``t``'s shape (and dtype, unless given)."""
        arr = np.asarray(t)
        return _factory(np.zeros(arr.shape), dtype or arr.dtype, requires_grad, name)

    @staticmethod
    def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
        """Ones of ``t``'s shape (and dtype, unless given)."""
        arr = np.asarray(t)
        return _factory(np.ones(arr.shape), dtype or arr.dtype, requires_grad, name)

    @staticmethod
    def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
        """Uniform samples on [0, 1) from the generator seeded by ``tg.manual_seed``."""
        return _factory(generator().random(_shape_arg(shape)), dtype, requires_grad, name)

    @staticmethod
    def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
        """Standard normal samples from the generator seeded by ``tg.manual_seed``."""
        return _factory(generator().standard_normal(_shape_arg(shape)), dtype, requires_grad, name)

    @staticmethod
    def uniform(
        *shape: Any,
        low: float = 0.0,
        high: float = 1.0,
        dtype: Any = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> Tensor:
        """Uniform samples on [low, high) from the generator seeded by ``tg.manual_seed``."""
        if not low < high:
            raise ValueError(f"uniform needs low < high, got low={low}, high={high}")
        return _factory(generator().uniform(low, high, _shape_arg(shape)), dtype, requires_grad, name)

    @staticmethod
    def arange(
        start: float,
        stop: float | None = None,
        step: float = 1,
        dtype: Any = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> Tensor:
        """Evenly spaced values in [start, stop) like ``numpy.arange`` (float dtype by default).

        The count, ``ceil((stop - start) / step)``, is checked before anything is allocated: more
        than ``MAX_ARANGE`` (2**30) values, or an infinite count, raises ``ValueError`` naming it.
        """
        if step == 0:
            raise ValueError("arange needs a non-zero step")
        if stop is None:
            start, stop = 0, start
        count = (stop - start) / step
        if not count <= MAX_ARANGE or math.ceil(count) > MAX_ARANGE:  # NaN and inf fail the first test
            raise ValueError(
                f"arange({start}, {stop}, {step}) would make {count:.6g} values, more than the limit "
                f"MAX_ARANGE = {MAX_ARANGE} (2**30, {MAX_ARANGE * 8 / 2**30:g} GiB of float64); use a larger step or "
                "a smaller range"
            )
        data = np.arange(start, stop, step)
        return _factory(data, dtype, requires_grad, name)

    @staticmethod
    def eye(
        n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False, name: str | None = None
    ) -> Tensor:
        """The identity matrix of shape (n, m or n)."""
        (rows,) = _shape_arg((n,))
        (cols,) = _shape_arg((rows if m is None else m,))
        return _factory(np.eye(rows, cols), dtype, requires_grad, name)

    # ---- properties -------------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (numpy's ``.T``)."""
        return self.transpose()

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user (not by an op that recorded the graph)."""
        return self._op is None

    @property
    def grad_fn(self) -> ops.Function | None:
        """The primitive op that produced this tensor, or ``None`` for leaves."""
        return self._op

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The op's inputs (Tensors or Python scalars) for non-leaves; ``()`` for leaves.

        After a backward pass without ``retain_graph`` an input that the graph no longer keeps alive (an
        intermediate result or a constant that nothing else holds) is a :class:`ReleasedTensor`: its place in
        the graph without its values.
        """
        inputs = self._inputs
        if not inputs:
            return ()
        return tuple([x.tensor() if isinstance(x, ReleasedTensor) else x for x in inputs])

    # ---- conversion -------------------------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shares memory with the tensor; no gradient flows through it)."""
        return self.data

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, got shape {self.shape}; "
                "reduce it first (e.g. .sum() or .mean()) or index one element"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph (``requires_grad=False``)."""
        return Tensor._make(self.data, None, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return ``self``."""
        if requires_grad:
            _check_can_require_grad(self.data.dtype)
        elif self._op is not None:
            raise RuntimeError(
                "requires_grad_(False) is only allowed on leaves; use .detach() to cut a computed tensor from the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` of this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() needs a tensor that requires grad")
        if self._op is not None:
            self._retains_grad = True
        return self

    def astype(self, dtype: Any) -> Tensor:
        """Convert to another dtype; differentiable between float dtypes (the gradient is cast back).

        To an integer or bool dtype the result is outside the graph, as PyTorch's ``x.int()``/``x.long()``:
        a new tensor that does not require grad (rounding has derivative 0 almost everywhere, and integer
        tensors cannot hold gradients), e.g. ``logits.argmax(...)``-like labels or ``(x > 0).astype(int)``.
        """
        dt = _supported_dtype(dtype, "astype")
        if dt == self.data.dtype:
            return self
        if dt.kind != "f":  # integers and bools: data, not a differentiable function of self
            return Tensor._make(self.data.astype(dt), None, None)
        return apply_op(ops.Cast(dt), self)

    # ---- repr -------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=64, edgeitems=3)
        extras = []
        if self.data.size > 64:
            extras.append(f"shape={self.shape}")
        if self.data.dtype != _default_dtype or self.data.dtype.kind != "f":
            extras.append(f"dtype={self.data.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn=<{type(self._op).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    # ---- Python protocol --------------------------------------------------------------------------------

    __hash__ = object.__hash__  # identity hash: == builds an elementwise comparison, like numpy

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements (shape {self.shape}) is "
                "ambiguous; use .any() or .all(), or compare a reduced value such as loss.item() < tol"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "Tensors do not support item assignment, which would silently break gradients; build a new "
            "tensor (tg.where, tg.concatenate) or, outside autograd, assign into .data"
        )

    # ---- arithmetic -------------------------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _operate(ops.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(ops.Add(), other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _operate(ops.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(ops.Sub(), other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _operate(ops.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(ops.Mul(), other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _operate(ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(ops.Div(), other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _operate(ops.Pow, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(ops.Pow(), other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _binary(ops.MatMul(), self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _binary(ops.MatMul(), other, self)

    def __neg__(self) -> Tensor:
        return _unary(ops.Neg, self)

    def __pos__(self) -> Tensor:
        return self

    # comparisons: elementwise, boolean, never part of the graph
    def _compare(self, other: Any, fn: Callable[[Any, Any], Any]) -> Tensor:
        other = _operand(other)
        result = fn(self.data, other.data if isinstance(other, Tensor) else other)
        return Tensor._make(np.asarray(result), None, None)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum; ties share the gradient equally."""
        return _operate(ops.Maximum, self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum; ties share the gradient equally."""
        return _operate(ops.Minimum, self, other)

    # ---- unary ------------------------------------------------------------------------------------------

    def exp(self) -> Tensor:
        return _unary(ops.Exp, self)

    def log(self) -> Tensor:
        return _unary(ops.Log, self)

    def sqrt(self) -> Tensor:
        return _unary(ops.Sqrt, self)

    def abs(self) -> Tensor:
        return _unary(ops.Abs, self)

    def relu(self) -> Tensor:
        return _unary(ops.Relu, self)

    def sigmoid(self) -> Tensor:
        return _unary(ops.Sigmoid, self)

    def tanh(self) -> Tensor:
        return _unary(ops.Tanh, self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to ``[lo, hi]`` (either may be None); the gradient passes where lo <= x <= hi."""
        return apply_op(ops.Clip(lo, hi), self)

    clamp = clip

    # ---- reductions -------------------------------------------------------------------------------------

    def sum(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        return apply_op(ops.Sum(axis, keepdims), self)

    def mean(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        return apply_op(ops.Mean(axis, keepdims), self)

    def max(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; tied maxima share the gradient equally."""
        return apply_op(ops.Max(axis, keepdims), self)

    def min(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``; tied minima share the gradient equally."""
        return apply_op(ops.Min(axis, keepdims), self)

    def logsumexp(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``axis``, stable for large inputs."""
        return apply_op(ops.LogSumExp(axis, keepdims), self)

    def softmax(self, axis: int = -1) -> Tensor:
        return apply_op(ops.Softmax(axis), self)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return apply_op(ops.LogSoftmax(axis), self)

    def argmax(self, axis: int | None = None) -> Tensor:
        """Indices of the maxima (an integer tensor, not differentiable)."""
        return Tensor._make(np.asarray(np.argmax(self.data, axis=_one_axis(axis, self, "argmax"))), None, None)

    def argmin(self, axis: int | None = None) -> Tensor:
        """Indices of the minima (an integer tensor, not differentiable)."""
        return Tensor._make(np.asarray(np.argmin(self.data, axis=_one_axis(axis, self, "argmin"))), None, None)

    def any(self) -> bool:
        return bool(np.any(self.data))

    def all(self) -> bool:
        return bool(np.all(self.data))

    # ---- shape ------------------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``; one axis may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply_op(ops.Reshape(tuple(int(n) for n in shape)), self)

    def flatten(self) -> Tensor:
        """The values as a 1-D tensor."""
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (numpy convention): no arguments reverses them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply_op(ops.Transpose(tuple(int(a) for a in axes) if axes else None), self)

    permute = transpose

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        perm = list(range(self.ndim))
        for a in (axis1, axis2):
            if not -self.ndim <= a < self.ndim:
                raise ops.AxisError(f"axis {a} is out of range for a tensor of shape {self.shape}")
        perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
        return self.transpose(*perm)

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to ``shape`` (numpy rules); the gradient sums over the copies."""
        return apply_op(ops.Expand(_shape_arg(shape)), self)

    def broadcast_to(self, shape: ShapeLike) -> Tensor:
        """Alias of :meth:`expand` with numpy's name."""
        return self.expand(shape)

    def __getitem__(self, index: Any) -> Tensor:
        return apply_op(ops.GetItem(_index_arg(index)), self)

    # ---- backward ---------------------------------------------------------------------------------------

    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Backpropagate from this tensor: accumulate :math:`\\partial L/\\partial x` into ``x.grad`` of every
        leaf ``x`` that requires grad.

        Parameters
        ----------
        grad : array-like or Tensor, optional
            :math:`\\partial L/\\partial \\mathrm{self}`, of this tensor's shape. Omit it for a one-element
            output (it is 1).
        retain_graph : bool, default False
            Keep the saved arrays so that backward can run through this graph again. By default they are
            released after use, and a second backward raises.
        create_graph : bool, default False
            Make the gradients differentiable: ``.grad`` becomes a Tensor with its own graph (PyTorch's
            semantics), which you can differentiate again, e.g. ``(x.grad * v).sum().backward()`` adds a
            Hessian-vector product. Implies ``retain_graph=True``. Without it ``.grad`` is a numpy array.

        Notes
        -----
        Backward passes started in several threads take turns (they may share leaves, such as a model's
        parameters). A pass may start another (``tg.grad`` inside an op's rule or a closure).
        """
        _engine.backward(self, grad, retain_graph, create_graph)


def _one_axis(axis: Any, t: Tensor, fn: str) -> int | None:
    """``axis`` checked as one axis of ``t`` (or None), with an error that names ``fn`` and the shape."""
    if axis is None:
        return None
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{fn}: axis must be an int or None, got {axis!r} ({type(axis).__name__})")
    if not -t.ndim <= axis < t.ndim:
        raise ops.AxisError(
            f"{fn}: axis {axis} is out of range for a tensor of shape {t.shape} ({t.ndim} dimension(s)); "
            f"use an axis from {-t.ndim} to {t.ndim - 1}, or axis=None for the flattened tensor"
        )
    return int(axis)


def _index_arg(index: Any) -> Any:
    """Turn Tensors and lists inside an index into numpy arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index) if index else np.zeros(0, dtype=np.intp)  # [] selects nothing, as in numpy
    if isinstance(index, tuple):
        return tuple(_index_arg(i) for i in index)
    return index


# --------------------------------------------------------------------------------------------------------
# functions of several tensors
# --------------------------------------------------------------------------------------------------------


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``numpy.concatenate``)."""
    return apply_op(ops.Concatenate(axis), *[t if isinstance(t, Tensor) else Tensor(t) for t in tensors])


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Stack tensors of one shape along a new axis (``numpy.stack``)."""
    return apply_op(ops.Stack(axis), *[t if isinstance(t, Tensor) else Tensor(t) for t in tensors])


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b``; the gradient flows to the chosen side only."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    return apply_op(ops.Where(), cond, _operand(a), _operand(b))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; ties share the gradient equally."""
    return _binary(ops.Maximum(), a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; ties share the gradient equally."""
    return _binary(ops.Minimum(), a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with numpy's ``matmul`` semantics."""
    return _binary(ops.MatMul(), a, b)


# --------------------------------------------------------------------------------------------------------
# releasing the graph after backward
# --------------------------------------------------------------------------------------------------------


class ReleasedTensor(Tensor):
    """What a graph keeps of a tensor after a backward pass without ``retain_graph`` released it.

    Backward frees what it no longer needs: each op's saved arrays, and the links that kept intermediate
    results alive (a loss that outlives its backward pass would otherwise hold every activation of the
    forward pass). In a consumer's :attr:`Tensor.inputs` such a tensor is then a ``ReleasedTensor``: its place
    in the graph (``grad_fn``, ``inputs``, ``name``), ``shape`` and ``dtype``, without its values. Drawing the
    graph after backward still shows the whole structure, and the values and gradients of every tensor that
    you still hold: :meth:`Tensor.inputs` gives you your tensor itself, not the placeholder.

    Which links stay strong: tensors of at most ``RELEASE_MIN_BYTES`` (64 KiB: a placeholder would save little
    memory and cost a few microseconds), leaves that require grad (parameters: backward writes their ``.grad``, as
    PyTorch's ``AccumulateGrad`` keeps its variable), tensors marked with ``retain_grad()`` (you asked to
    see their gradients; ``tg.viz.retain_grads`` marks a whole graph), and the inputs and outputs of module
    calls recorded by ``tg.viz.trace_modules`` (so that ``collapse_modules=True`` still finds them).

    Reading ``.data`` (or computing with the placeholder) raises ``RuntimeError`` that says how to keep the
    values: hold a reference to the tensor, call ``retain_grad()`` on it, or pass ``retain_graph=True``.
    """

    __slots__ = ("_dtype", "_ref", "_shape")
    _is_placeholder = True
    _dtype: np.dtype
    _ref: weakref.ref
    _shape: tuple[int, ...]

    @staticmethod
    def _of(t: Tensor) -> ReleasedTensor:
        """The placeholder of ``t``: a weak reference to it and its place in the graph."""
        ghost = _new_object(ReleasedTensor)
        ghost.grad, ghost.name, ghost.requires_grad = None, t.name, t.requires_grad
        ghost._op, ghost._inputs, ghost._retains_grad, ghost._walk = t._op, t._inputs, False, None
        data = t.data
        ghost._shape, ghost._dtype, ghost._ref = data.shape, data.dtype, weakref.ref(t)
        return ghost

    def tensor(self) -> Tensor:
        """The tensor itself while anything still holds it, otherwise this placeholder."""
        t = self._ref()
        return self if t is None else t

    @property
    def data(self) -> np.ndarray:  # type: ignore[override]  # read-only on purpose: the values are gone
        if self.name:
            what = repr(self.name)
        else:
            what = f"the output of {type(self._op).__name__}" if self._op is not None else "a constant"
        raise RuntimeError(
            f"the values of {what} (shape {self._shape}, {self._dtype}) were released by backward(): the graph "
            "no longer keeps intermediate results once backward has used them. Keep a reference to the tensor "
            "(h = ...) or call h.retain_grad() before backward(), or pass retain_graph=True to backward()"
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=np.int64))

    def __repr__(self) -> str:
        extras = [f"shape={self._shape}", f"dtype={self._dtype}"]
        if self._op is not None:
            extras.append(f"grad_fn=<{type(self._op).__name__}>")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "ReleasedTensor(" + ", ".join(extras) + ")"


# ----------------------------------------------------------------------------------------------------------
# names that moved to tinygrad_edu.engine (issue 16); kept working, with a DeprecationWarning
# ----------------------------------------------------------------------------------------------------------

_MOVED_TO_ENGINE = ("RELEASE_MIN_BYTES",)


def _warn_moved(name: str) -> None:
    warnings.warn(
        f"tinygrad_edu.tensor.{name} moved to tinygrad_edu.engine.{name}; use tg.engine.{name} (this alias goes "
        "in a later release)",
        DeprecationWarning,
        stacklevel=3,
    )


class _TensorModule(types.ModuleType):
    """This module, forwarding reads *and* assignments of the moved names to the engine (an assignment to the
    old name must still change what backward does, not set a value nobody reads)."""

    def __getattr__(self, name: str) -> Any:
        if name in _MOVED_TO_ENGINE:
            _warn_moved(name)
            return getattr(_engine, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _MOVED_TO_ENGINE:
            _warn_moved(name)
            setattr(_engine, name, value)
        else:
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _TensorModule
