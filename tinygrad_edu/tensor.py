r"""``Tensor``: a numpy array that remembers how it was computed.

Every operation on Tensors that require gradients records a graph node (:func:`apply_op`, the one node
builder): the result keeps the primitive ``op`` (from :mod:`tinygrad_edu.ops`, the table of derivatives) and
its ``inputs``. ``backward()`` hands the graph to :mod:`tinygrad_edu.engine`, which walks it from the output to
the leaves applying the chain rule. This module is the only place that makes Tensors and graph nodes;
composite functions elsewhere are written with Tensor methods.
"""

from __future__ import annotations

import itertools
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
from ._validation import check_flag
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
    "einsum",
    "outer",
    "tensordot",
    "inner",
    "dot",
    "trace",
    "diagonal",
    "diag",
    "tril",
    "triu",
    "split",
    "flip",
    "roll",
    "pad",
    "take_along_axis",
    "logaddexp",
    "hypot",
    "meshgrid",
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
        n: int,
        m: int | None = None,
        dtype: Any = None,
        requires_grad: bool = False,
        name: str | None = None,
        *,
        k: int = 0,
    ) -> Tensor:
        """The (n, m or n) matrix with ones on diagonal ``k`` (0: the main one, > 0 above it, < 0 below), as
        ``numpy.eye`` (``k`` is keyword-only here: the third positional argument has always been ``dtype``)."""
        (rows,) = _shape_arg((n,))
        (cols,) = _shape_arg((rows if m is None else m,))
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"eye: k (the diagonal's offset) must be an int, got {k!r}")
        return _factory(np.eye(rows, cols, k=int(k)), dtype, requires_grad, name)

    @staticmethod
    def full_like(
        t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False, name: str | None = None
    ) -> Tensor:
        """``fill_value`` in ``t``'s shape (and dtype, unless given), as ``numpy.full_like``."""
        arr = np.asarray(t.data if isinstance(t, Tensor) else t)
        return _factory(np.full(arr.shape, fill_value), dtype or arr.dtype, requires_grad, name)

    @staticmethod
    def linspace(
        start: float,
        stop: float,
        num: int = 50,
        endpoint: bool = True,
        dtype: Any = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> Tensor:
        """``num`` evenly spaced values from ``start`` to ``stop`` (included unless ``endpoint=False``), as
        ``numpy.linspace``; the count is checked like :meth:`arange`'s."""
        _check_count(num, "linspace")
        return _factory(np.linspace(start, stop, int(num), endpoint=bool(endpoint)), dtype, requires_grad, name)

    @staticmethod
    def logspace(
        start: float,
        stop: float,
        num: int = 50,
        endpoint: bool = True,
        base: float = 10.0,
        dtype: Any = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> Tensor:
        """``base ** linspace(start, stop, num)``, as ``numpy.logspace`` (``Tensor.logspace(-3, 0, 4)`` is 0.001,
        0.01, 0.1, 1: learning-rate grids)."""
        _check_count(num, "logspace")
        data = np.logspace(start, stop, int(num), endpoint=bool(endpoint), base=base)
        return _factory(data, dtype, requires_grad, name)

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

    def any(self, axis: ops.Axis = None, keepdims: bool = False) -> Any:
        """Whether any element is nonzero (``numpy.any``); no gradient.

        Without arguments a Python ``bool``; with ``axis`` (an int or a tuple) or ``keepdims=True`` a boolean
        Tensor that does not require grad.
        """
        if axis is None and keepdims is False:
            return bool(np.any(self.data))
        return _logical_reduction(np.any, self, axis, keepdims, "any")

    def all(self, axis: ops.Axis = None, keepdims: bool = False) -> Any:
        """Whether every element is nonzero (``numpy.all``); no gradient.

        Without arguments a Python ``bool``; with ``axis`` (an int or a tuple) or ``keepdims=True`` a boolean
        Tensor that does not require grad.
        """
        if axis is None and keepdims is False:
            return bool(np.all(self.data))
        return _logical_reduction(np.all, self, axis, keepdims, "all")

    # ---- shape ------------------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``; one axis may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply_op(ops.Reshape(tuple(int(n) for n in shape)), self)

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Merge the axes from ``start_axis`` to ``end_axis`` (inclusive) into one; by default all of them, giving
        a 1-D tensor (PyTorch's ``flatten(start_dim, end_dim)``; numpy's ``ravel`` for the default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = _axis_of(start_axis, self, "flatten")
        end = _axis_of(end_axis, self, "flatten")
        if start > end:
            raise ValueError(
                f"flatten: start_axis {start_axis} comes after end_axis {end_axis} for a tensor of shape {self.shape}"
            )
        return (
            self.reshape(*self.shape[:start], -1, *self.shape[end + 1 :])
            if self.size
            else self.reshape(*self.shape[:start], int(np.prod(self.shape[start : end + 1])), *self.shape[end + 1 :])
        )

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

    # ---- issue 18: shape, statistics, indexing, linear algebra (composites unless noted) -------------------

    def var(self, axis: ops.Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        r"""Variance over ``axis``: :math:`\frac{1}{n - \mathrm{ddof}} \sum_i (x_i - \bar x)^2`.

        ``ddof=0`` (the default) divides by :math:`n`: numpy's default, because this library follows numpy where
        numpy and PyTorch differ, and because it is the variance of the values themselves (the maximum-likelihood
        estimate, what batch and layer normalisation compute). PyTorch's default is the unbiased estimate of a
        population's variance from a sample, ``correction=1`` (divide by :math:`n - 1`): pass ``ddof=1`` to match
        ``torch.var(x)``. A composite of mean, subtraction, square and sum:
        :math:`\partial \mathrm{var} / \partial x_i = 2 (x_i - \bar x) / (n - \mathrm{ddof})`.
        """
        axes = ops.normalize_axes(axis, self.ndim)
        n = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        if isinstance(ddof, (bool, np.bool_)) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
            raise ValueError(f"var: ddof must be a non-negative int, got {ddof!r}")
        if n - ddof <= 0:
            raise ValueError(
                f"var: {n} element(s) over axis {axis} with ddof={ddof} leave {n - ddof} degrees of freedom; "
                "the variance needs more elements than ddof (use ddof=0, or reduce over more elements)"
            )
        centred = self - self.mean(axis=axes, keepdims=True)
        return (centred * centred).sum(axis=axes, keepdims=keepdims) / (n - ddof)

    def std(self, axis: ops.Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        r"""Standard deviation, :math:`\sqrt{\mathrm{var}}` (see :meth:`var`: numpy's ``ddof=0`` by default,
        PyTorch's default is ``correction=1``). Its gradient :math:`(x_i - \bar x) / ((n - \mathrm{ddof})\,\sigma)`
        is infinite/NaN where :math:`\sigma = 0` (all values equal), as in PyTorch."""
        return self.var(axis=axis, ddof=ddof, keepdims=keepdims).sqrt()

    def cumsum(self, axis: int | None = None) -> Tensor:
        r"""Cumulative sum along ``axis`` (``None``: of the flattened tensor, as numpy). A primitive
        (:class:`~tinygrad_edu.ops.Cumsum`): :math:`\bar x_i = \sum_{j \ge i} \bar y_j`."""
        if axis is None:
            return apply_op(ops.Cumsum(0), self.reshape(-1))
        return apply_op(ops.Cumsum(_axis_of(axis, self, "cumsum")), self)

    def cumprod(self, axis: int | None = None) -> Tensor:
        r"""Cumulative product along ``axis`` (``None``: flattened). A primitive
        (:class:`~tinygrad_edu.ops.Cumprod`) whose gradient is exact where some :math:`x_i = 0` (products of
        the other elements, never :math:`y / x`)."""
        if axis is None:
            return apply_op(ops.Cumprod(0), self.reshape(-1))
        return apply_op(ops.Cumprod(_axis_of(axis, self, "cumprod")), self)

    def prod(self, axis: ops.Axis = None, keepdims: bool = False) -> Tensor:
        r"""Product over ``axis``: the last entry of a cumulative product over the reduced axes (moved to the end
        and flattened). :math:`\partial y / \partial x_i = \prod_{k \ne i} x_k`, exact with zeros: with one zero
        the gradient of that element is the product of the others, not the NaN of :math:`y / x_i`."""
        keepdims = check_flag(keepdims, "keepdims")
        axes = ops.normalize_axes(axis, self.ndim)
        rest = [a for a in range(self.ndim) if a not in axes]
        kept = tuple(1 if a in axes else n for a, n in enumerate(self.shape))
        moved = self.transpose(*rest, *axes) if axes else self
        flat = moved.reshape(*[self.shape[a] for a in rest], -1)
        empty = flat.shape[-1] == 0  # the empty product is 1, with no gradient to anything
        out = flat.sum(axis=-1) * 0 + 1 if empty else flat.cumprod(axis=-1)[..., -1]
        return out.reshape(kept) if keepdims else out

    def quantile(self, q: float, axis: int | None = None, keepdims: bool = False) -> Tensor:
        r"""The ``q``-quantile along ``axis`` (``None``: of all values), numpy's default ``method="linear"``:
        with the sorted values :math:`s` and :math:`p = q (n - 1)`,
        :math:`s_{\lfloor p \rfloor} + (p - \lfloor p \rfloor)(s_{\lfloor p \rfloor + 1} - s_{\lfloor p \rfloor})`.
        The gradient reaches the (at most two) selected elements, weighted :math:`1 - t` and :math:`t`; among
        tied values it goes to the one the stable sort placed there."""
        keepdims = check_flag(keepdims, "keepdims")
        if isinstance(q, (bool, np.bool_)) or not isinstance(q, (int, float, np.integer, np.floating)):
            raise TypeError(f"quantile: q must be one number in [0, 1], got {q!r} ({type(q).__name__})")
        if not 0 <= q <= 1:
            raise ValueError(f"quantile: q must be in [0, 1], got {q}")
        x, ax = (self.reshape(-1), 0) if axis is None else (self, _axis_of(axis, self, "quantile"))
        n = x.shape[ax]
        if n == 0:
            raise ValueError(f"quantile of an empty tensor (shape {self.shape}) over axis {axis} is undefined")
        s = x.sort(axis=ax)
        pos = float(q) * (n - 1)
        lo = int(np.floor(pos))
        hi, t = min(lo + 1, n - 1), pos - lo
        before = (slice(None),) * ax
        out = s[(*before, lo)]
        if t > 0:
            out = out + (s[(*before, hi)] - out) * t
        if keepdims:
            out = out.reshape([1] * self.ndim) if axis is None else out.expand_dims(ax)
        return out

    def median(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The median along ``axis``: :meth:`quantile` at 0.5, numpy's (the mean of the two middle values for an
        even count; ``torch.median`` returns the lower one instead)."""
        return self.quantile(0.5, axis=axis, keepdims=keepdims)

    def squeeze(self, axis: ops.Axis = None) -> Tensor:
        """Remove axes of length 1 (all of them, or those in ``axis``, which must have length 1)."""
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = ops.normalize_axes(axis, self.ndim)
        for a in axes:
            if self.shape[a] != 1:
                raise ValueError(
                    f"squeeze: axis {a} of a tensor of shape {self.shape} has length {self.shape[a]}, not 1; "
                    "only axes of length 1 can be removed"
                )
        return self.reshape(tuple(n for a, n in enumerate(self.shape) if a not in axes))

    def expand_dims(self, axis: int | tuple[int, ...]) -> Tensor:
        """Insert axes of length 1 at ``axis`` (positions in the result, numpy's ``expand_dims``); alias
        ``unsqueeze``."""
        count = len(axis) if isinstance(axis, (tuple, list)) else 1
        axes = ops.normalize_axes(axis, self.ndim + count)
        shape = iter(self.shape)
        return self.reshape(tuple(1 if a in axes else next(shape) for a in range(self.ndim + count)))

    unsqueeze = expand_dims

    def flip(self, axis: ops.Axis = None) -> Tensor:
        """Reverse the order along ``axis`` (all axes for ``None``): an index with step -1, whose gradient is
        the same flip of the upstream gradient."""
        axes = ops.normalize_axes(axis, self.ndim)
        return self[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(self.ndim))]

    def roll(self, shift: int | tuple[int, ...], axis: ops.Axis = None) -> Tensor:
        """Shift elements cyclically by ``shift`` along ``axis`` (``None``: the flattened tensor, as numpy).
        Two slices joined: the gradient is the roll by ``-shift``."""
        if axis is None:
            if not isinstance(shift, (int, np.integer)):
                raise TypeError(f"roll: with axis=None the shift must be one int, got {shift!r}")
            return self.reshape(-1).roll(shift, 0).reshape(self.shape)
        shifts = tuple(shift) if isinstance(shift, (tuple, list)) else (shift,)
        axes_in = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        if len(shifts) != len(axes_in):
            if len(shifts) != 1 and len(axes_in) != 1:
                raise ValueError(
                    f"roll: {len(shifts)} shifts for {len(axes_in)} axes; give one shift per axis, or one for all"
                )
            shifts, axes_in = np.broadcast_arrays(np.asarray(shifts), np.asarray(axes_in))  # type: ignore[assignment]
        out = self
        for s, a in zip(shifts, axes_in, strict=True):
            ax = _axis_of(int(a), self, "roll")
            n = self.shape[ax]
            if n == 0 or int(s) % n == 0:
                continue
            k = int(s) % n
            before = (slice(None),) * ax
            out = concatenate([out[(*before, slice(n - k, None))], out[(*before, slice(0, n - k))]], axis=ax)
        return out

    def tile(self, reps: int | Sequence[int]) -> Tensor:
        """Repeat the whole tensor ``reps`` times along each axis (numpy's ``tile``: ``[1, 2]`` tiled 2 times is
        ``[1, 2, 1, 2]``). A reshape, expand and reshape: the gradient sums over the tiles."""
        reps_t = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
        if any(isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0 for r in reps_t):
            raise ValueError(f"tile: reps must be non-negative ints, got {reps!r}")
        ndim = max(self.ndim, len(reps_t))
        reps_t = (1,) * (ndim - len(reps_t)) + reps_t
        shape = (1,) * (ndim - self.ndim) + self.shape
        inter = tuple(v for n in shape for v in (1, n))
        big = tuple(v for r, n in zip(reps_t, shape, strict=True) for v in (r, n))
        return self.reshape(inter).expand(big).reshape(tuple(r * n for r, n in zip(reps_t, shape, strict=True)))

    def repeat(self, repeats: int | Sequence[int], axis: int | None = None) -> Tensor:
        """Repeat each element ``repeats`` times along ``axis`` (numpy's ``repeat``: ``[1, 2]`` repeated 2
        times is ``[1, 1, 2, 2]``; ``axis=None`` flattens first). Not PyTorch's ``Tensor.repeat``, which is
        :meth:`tile`. ``repeats`` may give one count per element."""
        x, ax = (self.reshape(-1), 0) if axis is None else (self, _axis_of(axis, self, "repeat"))
        n = x.shape[ax]
        if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
            if repeats < 0:
                raise ValueError(f"repeat: repeats must be non-negative, got {repeats}")
            shape = x.shape
            inter = (*shape[: ax + 1], 1, *shape[ax + 1 :])
            big = (*shape[: ax + 1], int(repeats), *shape[ax + 1 :])
            return x.reshape(inter).expand(big).reshape((*shape[:ax], n * int(repeats), *shape[ax + 1 :]))
        counts = np.asarray(repeats)
        if counts.dtype.kind not in "iu" or counts.shape != (n,) or (counts < 0).any():
            raise ValueError(
                f"repeat: repeats must be an int or {n} non-negative ints (one per element along axis {axis}), "
                f"got {repeats!r}"
            )
        return x[(slice(None),) * ax + (np.repeat(np.arange(n), counts),)]

    def _triangle(self, k: int, lower: bool, fn: str) -> Tensor:
        if self.ndim < 2:
            raise ValueError(f"{fn} needs a tensor with at least 2 dimensions, got shape {self.shape}")
        mask = (np.tril if lower else np.triu)(np.ones(self.shape[-2:], dtype=bool), k)
        return where(mask, self, 0.0)

    def tril(self, k: int = 0) -> Tensor:
        """The lower triangle of the last two axes (entries with column - row <= ``k``), zeros elsewhere."""
        return self._triangle(k, True, "tril")

    def triu(self, k: int = 0) -> Tensor:
        """The upper triangle of the last two axes (entries with column - row >= ``k``), zeros elsewhere."""
        return self._triangle(k, False, "triu")

    def split(self, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
        """Split along ``axis`` (numpy's ``split``): an int N gives N equal parts (an error if they are not
        equal), a list of indices gives the parts between them. Each part is a slice."""
        ax = _axis_of(axis, self, "split")
        n = self.shape[ax]
        if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(indices_or_sections, bool):
            sections = int(indices_or_sections)
            if sections <= 0 or n % sections:
                raise ValueError(
                    f"split: {sections} section(s) do not divide axis {axis} of length {n} equally; use chunk() "
                    "for unequal parts or give the split indices"
                )
            bounds = [i * (n // sections) for i in range(sections + 1)]
        else:
            bounds = [0, *(int(i) for i in indices_or_sections), n]  # type: ignore[union-attr]
        before = (slice(None),) * ax
        return [self[(*before, slice(a, b))] for a, b in itertools.pairwise(bounds)]

    def chunk(self, chunks: int, axis: int = 0) -> list[Tensor]:
        """Split along ``axis`` into ``chunks`` parts of ``ceil(n / chunks)`` elements, the last one smaller
        (PyTorch's ``chunk``; there may be fewer than ``chunks`` parts)."""
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        ax = _axis_of(axis, self, "chunk")
        n = self.shape[ax]
        size = max(-(-n // int(chunks)), 1)
        return self.split(list(range(size, n, size)), axis=ax)

    def pad(self, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
        """Pad with numpy's ``np.pad`` signature: ``pad_width`` as an int, ``(before, after)`` or one pair per axis;
        ``mode`` ``"constant"`` (the gradient is the slice of the original), ``"reflect"``, ``"symmetric"``,
        ``"edge"`` or ``"wrap"`` (an index: the gradient of each element sums over its copies)."""
        try:
            widths = np.broadcast_to(np.asarray(pad_width), (self.ndim, 2))
        except ValueError:
            raise ValueError(
                f"pad: pad_width {pad_width!r} does not fit a tensor of shape {self.shape}; give an int, (before, "
                "after), or one (before, after) pair per axis"
            ) from None
        if widths.dtype.kind not in "iu" or (widths < 0).any():
            raise ValueError(f"pad: pad_width must be non-negative ints, got {pad_width!r}")
        modes = ("constant", "reflect", "symmetric", "edge", "wrap")
        if mode not in modes:
            raise ValueError(f"pad: mode must be one of {modes}, got {mode!r}")
        if mode == "constant":
            shape = tuple(int(n + b + a) for n, (b, a) in zip(self.shape, widths, strict=True))
            index = tuple(slice(int(b), int(b) + n) for n, (b, _) in zip(self.shape, widths, strict=True))
            background = np.pad(np.zeros(self.shape, dtype=self.dtype), widths, constant_values=constant_values)
            return apply_op(ops.ScatterAdd(index, shape), self) + Tensor._make(background, None, None)
        out = self
        for ax, (b, a) in enumerate(widths):
            if b or a:
                if self.shape[ax] == 0:
                    raise ValueError(f"pad: mode {mode!r} cannot pad the empty axis {ax} of shape {self.shape}")
                idx = np.pad(np.arange(self.shape[ax]), (int(b), int(a)), mode=mode)  # type: ignore[call-overload]
                out = out[(slice(None),) * ax + (idx,)]
        return out

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The diagonal of the (``axis1``, ``axis2``) planes, as numpy: those axes removed and the diagonal
        appended as the last axis; ``offset > 0`` above the main diagonal. The gradient is scattered back."""
        if self.ndim < 2:
            raise ValueError(f"diagonal needs a tensor with at least 2 dimensions, got shape {self.shape}")
        a1, a2 = _axis_of(axis1, self, "diagonal"), _axis_of(axis2, self, "diagonal")
        a1, a2 = a1 % self.ndim, a2 % self.ndim
        if a1 == a2:
            raise ValueError(f"diagonal: axis1 and axis2 must differ, got {axis1} and {axis2}")
        rest = [a for a in range(self.ndim) if a not in (a1, a2)]
        moved = self.transpose(*rest, a1, a2)
        r0, c0 = max(-offset, 0), max(offset, 0)
        k = max(0, min(self.shape[a1] - r0, self.shape[a2] - c0))
        return moved[..., np.arange(k) + r0, np.arange(k) + c0]

    def diag(self, k: int = 0) -> Tensor:
        """numpy's ``diag``: a 1-D tensor becomes the ``k``-th diagonal of a square matrix, a 2-D tensor gives its
        ``k``-th diagonal."""
        if self.ndim == 1:
            n = self.shape[0] + abs(k)
            idx = np.arange(self.shape[0])
            return apply_op(ops.ScatterAdd((idx + max(-k, 0), idx + max(k, 0)), (n, n)), self)
        if self.ndim == 2:
            return self.diagonal(k)
        raise ValueError(f"diag needs a 1-D or 2-D tensor, got shape {self.shape}; use diagonal() for more axes")

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The sum of the diagonal (numpy's ``trace``): ``diagonal(offset, axis1, axis2).sum(-1)``."""
        return self.diagonal(offset, axis1, axis2).sum(axis=-1)

    def take_along_axis(self, indices: Any, axis: int) -> Tensor:
        """Pick values by ``indices`` along ``axis`` (numpy's ``take_along_axis``: ``indices`` has the tensor's
        number of dimensions and broadcasts along the others). The gradient is scattered back, adding where
        an index repeats. PyTorch's ``gather(dim, index)`` is :meth:`gather`."""
        idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"take_along_axis: indices must be integers, got dtype {idx.dtype}")
        ax = _axis_of(axis, self, "take_along_axis")
        ax %= self.ndim
        if idx.ndim != self.ndim:
            raise ValueError(
                f"take_along_axis: indices of shape {idx.shape} must have as many dimensions as the tensor "
                f"(shape {self.shape}); reshape them, e.g. indices[..., None]"
            )
        n = self.shape[ax]
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError(f"take_along_axis: an index is out of range for axis {axis} of length {n}")
        fancy = []
        for d, size in enumerate(self.shape):
            if d == ax:
                fancy.append(idx)
            else:
                fancy.append(np.arange(size).reshape([size if e == d else 1 for e in range(self.ndim)]))
        try:
            np.broadcast_shapes(*(f.shape for f in fancy))
        except ValueError:
            raise ValueError(
                f"take_along_axis: indices of shape {idx.shape} do not broadcast against shape {self.shape} "
                f"outside axis {axis}"
            ) from None
        return self[tuple(fancy)]

    def gather(self, axis: int, indices: Any) -> Tensor:
        """PyTorch's ``gather(dim, index)``, with PyTorch's argument order: :meth:`take_along_axis`."""
        return self.take_along_axis(indices, axis)

    def index_add(self, axis: int, indices: Any, source: Any) -> Tensor:
        """``x`` with ``source`` added at ``indices`` along ``axis`` (PyTorch's ``index_add``; repeated indices
        add up, numpy's ``np.add.at``). A scatter-add: the gradient of ``source`` is the upstream gradient at
        ``indices``, that of ``x`` the upstream gradient itself."""
        ax = _axis_of(axis, self, "index_add") % self.ndim
        idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise TypeError(f"index_add: indices must be a 1-D integer array, got shape {idx.shape} {idx.dtype}")
        src = source if isinstance(source, Tensor) else Tensor(np.asarray(source, dtype=self.dtype))
        want = (*self.shape[:ax], len(idx), *self.shape[ax + 1 :])
        if src.shape != want:
            raise ValueError(
                f"index_add: source of shape {src.shape} must have shape {want}: the tensor's shape {self.shape} "
                f"with axis {axis} replaced by the {len(idx)} indices"
            )
        n = self.shape[ax]
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError(f"index_add: an index is out of range for axis {axis} of length {n}")
        return self + apply_op(ops.ScatterAdd((slice(None),) * ax + (idx,), self.shape), src)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """``value`` where ``mask`` (boolean, broadcastable to the tensor's shape) is True, the tensor elsewhere;
        the gradient passes where the mask is False."""
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be boolean, got dtype {m.dtype}; compare first, e.g. x > 0")
        try:
            ok = np.broadcast_shapes(m.shape, self.shape) == self.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"masked_fill: a mask of shape {m.shape} does not broadcast to shape {self.shape}")
        return where(m, value, self)

    def argsort(self, axis: int = -1, descending: bool = False) -> Tensor:
        """Indices that sort along ``axis`` (a stable sort: ties keep their order); no graph."""
        ax = _axis_of(axis, self, "argsort")
        data = self.data
        if check_flag(descending, "descending"):
            if data.dtype.kind == "u":
                data = data.astype(np.int64)
            data = -data if data.dtype != np.bool_ else ~data
        return Tensor._make(np.argsort(data, axis=ax, kind="stable"), None, None)

    def sort(self, axis: int = -1, descending: bool = False) -> Tensor:
        """The values sorted along ``axis`` (numpy's ``sort``; ``descending=True`` as PyTorch). Differentiable
        through the permutation: each gradient goes back to the element's original position. Ties: the
        stable sort keeps their order, and each tied element gets the gradient of the place it was put in."""
        return self.take_along_axis(self.argsort(axis, descending).data, axis)

    def topk(self, k: int, axis: int = -1, largest: bool = True) -> tuple[Tensor, Tensor]:
        """The ``k`` largest (``largest=False``: smallest) values along ``axis``, sorted, and their indices
        (PyTorch's ``topk``). The values are differentiable: the gradient goes to the selected elements."""
        ax = _axis_of(axis, self, "topk")
        n = self.shape[ax]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise ValueError(f"topk: k must be an int from 0 to {n} (the length of axis {axis}), got {k!r}")
        order = self.argsort(ax, descending=largest).data
        idx = order[(slice(None),) * (ax % self.ndim) + (slice(0, int(k)),)]
        return self.take_along_axis(idx, ax), Tensor._make(idx, None, None)

    # ---- issue 18: math -------------------------------------------------------------------------------
    # Primitives of ops.py (section "issue 18: math") and composites written with Tensor ops. The
    # piecewise-constant ones (sign, floor, ceil, round) pass no gradient: their derivative is taken as 0.

    def sin(self) -> Tensor:
        r""":math:`\sin x`;  :math:`d/dx = \cos x`."""
        return _unary(ops.Sin, self)

    def cos(self) -> Tensor:
        r""":math:`\cos x`;  :math:`d/dx = -\sin x`."""
        return _unary(ops.Cos, self)

    def tan(self) -> Tensor:
        r""":math:`\tan x`;  :math:`d/dx = 1 + \tan^2 x`."""
        return _unary(ops.Tan, self)

    def arcsin(self) -> Tensor:
        r""":math:`\arcsin x` on :math:`[-1, 1]` (NaN outside, as numpy);  :math:`d/dx = 1/\sqrt{1 - x^2}`."""
        return _unary(ops.ArcSin, self)

    def arccos(self) -> Tensor:
        r""":math:`\arccos x` on :math:`[-1, 1]`;  :math:`d/dx = -1/\sqrt{1 - x^2}`."""
        return _unary(ops.ArcCos, self)

    def arctan(self) -> Tensor:
        r""":math:`\arctan x`;  :math:`d/dx = 1/(1 + x^2)`."""
        return _unary(ops.ArcTan, self)

    def sinh(self) -> Tensor:
        r""":math:`\sinh x`;  :math:`d/dx = \cosh x`."""
        return _unary(ops.Sinh, self)

    def cosh(self) -> Tensor:
        r""":math:`\cosh x`;  :math:`d/dx = \sinh x`."""
        return _unary(ops.Cosh, self)

    def arctanh(self) -> Tensor:
        r""":math:`\operatorname{artanh} x` on :math:`(-1, 1)`;  :math:`d/dx = 1/(1 - x^2)`."""
        return _unary(ops.ArcTanh, self)

    asin, acos, atan, atanh = arcsin, arccos, arctan, arctanh  # PyTorch's names

    def log1p(self) -> Tensor:
        r""":math:`\ln(1 + x)`, accurate for tiny :math:`x`;  :math:`d/dx = 1/(1 + x)`."""
        return _unary(ops.Log1p, self)

    def expm1(self) -> Tensor:
        r""":math:`e^x - 1`, accurate for tiny :math:`x`;  :math:`d/dx = e^x`."""
        return _unary(ops.Expm1, self)

    def log2(self) -> Tensor:
        r""":math:`\log_2 x = \ln x / \ln 2` (composite);  :math:`d/dx = 1/(x \ln 2)`."""
        return self.log() * (1 / np.log(2))

    def log10(self) -> Tensor:
        r""":math:`\log_{10} x = \ln x / \ln 10` (composite);  :math:`d/dx = 1/(x \ln 10)`."""
        return self.log() * (1 / np.log(10))

    def exp2(self) -> Tensor:
        r""":math:`2^x = e^{x \ln 2}` (composite);  :math:`d/dx = 2^x \ln 2`."""
        return (self * float(np.log(2))).exp()

    def square(self) -> Tensor:
        r""":math:`x^2 = x \cdot x` (composite);  :math:`d/dx = 2x`."""
        return self * self

    def reciprocal(self) -> Tensor:
        r""":math:`1/x` (composite);  :math:`d/dx = -1/x^2`."""
        return 1 / self

    def erf(self) -> Tensor:
        r""":math:`\operatorname{erf} x = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2} dt`;
        :math:`d/dx = \frac{2}{\sqrt\pi} e^{-x^2}`."""
        return _unary(ops.Erf, self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise; no gradient flows (derivative taken as 0, at 0 too)."""
        return _unary(ops.Sign, self)

    def floor(self) -> Tensor:
        """The largest integer <= x, as floats; no gradient flows (derivative taken as 0)."""
        return _unary(ops.Floor, self)

    def ceil(self) -> Tensor:
        """The smallest integer >= x, as floats; no gradient flows (derivative taken as 0)."""
        return _unary(ops.Ceil, self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round to ``decimals`` decimals, halves to even (numpy, PyTorch); no gradient flows (derivative 0)."""
        return apply_op(ops.Round(decimals), self)

    def logaddexp(self, other: Any) -> Tensor:
        r""":math:`\ln(e^x + e^y)`, stable, broadcasting;  :math:`\partial/\partial x = e^{x - \mathrm{out}}`."""
        return _binary(ops.LogAddExp(), self, other)

    def hypot(self, other: Any) -> Tensor:
        r""":math:`\sqrt{x^2 + y^2}` without overflow, broadcasting;  :math:`\partial/\partial x = x/\mathrm{out}`
        (0 at the origin)."""
        return _binary(ops.Hypot(), self, other)

    def isnan(self) -> Tensor:
        """Boolean Tensor: where the value is NaN (no gradient)."""
        return Tensor._make(np.isnan(self.data), None, None)

    def isinf(self) -> Tensor:
        """Boolean Tensor: where the value is +inf or -inf (no gradient)."""
        return Tensor._make(np.isinf(self.data), None, None)

    def isfinite(self) -> Tensor:
        """Boolean Tensor: where the value is neither NaN nor infinite (no gradient)."""
        return Tensor._make(np.isfinite(self.data), None, None)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
        """Boolean Tensor: ``|x - other| <= atol + rtol * |other|`` elementwise (``numpy.isclose``; no gradient)."""
        other_values = other.data if isinstance(other, Tensor) else other
        return Tensor._make(
            np.asarray(ops.broadcasting(_isclose(rtol, atol, equal_nan), self.data, other_values)), None, None
        )

    # ---- issue 18: activations (composites, but elu and softplus: primitives; PyTorch's names and defaults) -----

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        r""":math:`x` for :math:`x > 0`, else :math:`a x` (:math:`a` = ``negative_slope``);
        :math:`d/dx = 1` for :math:`x > 0`, else :math:`a`: at 0 the slope is :math:`a` (PyTorch's)."""
        a = ops._real_parameter(negative_slope, "leaky_relu", "negative_slope")
        return where(self.data > 0, self, self * a)

    def elu(self, alpha: float = 1.0) -> Tensor:
        r""":math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`;  :math:`d/dx = 1` for :math:`x > 0`,
        else :math:`\alpha e^x` (:math:`\alpha` at 0, PyTorch's). A primitive (``ops.Elu``)."""
        return apply_op(ops.Elu(alpha), self)

    def selu(self) -> Tensor:
        r""":math:`\lambda\,\mathrm{elu}(x, \alpha)` with :math:`\alpha \approx 1.6733`,
        :math:`\lambda \approx 1.0507` (PyTorch's constants); :math:`d/dx = \lambda` for :math:`x > 0`, else
        :math:`\lambda \alpha e^x`."""
        return self.elu(SELU_ALPHA) * SELU_SCALE

    def gelu(self, approximate: str = "none") -> Tensor:
        r"""Gaussian error linear unit :math:`x \Phi(x) = \tfrac12 x (1 + \operatorname{erf}(x/\sqrt2))`
        (``approximate="none"``), or the tanh approximation
        :math:`\tfrac12 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))` (``approximate="tanh"``).
        Exact form: :math:`d/dx = \Phi(x) + x \varphi(x)`."""
        if approximate == "none":
            return self * ((self * (1 / np.sqrt(2.0))).erf() + 1) * 0.5
        if approximate == "tanh":
            inner = (self + self * self * self * 0.044715) * float(np.sqrt(2 / np.pi))
            return self * (inner.tanh() + 1) * 0.5
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def silu(self) -> Tensor:
        r""":math:`x \sigma(x)` (swish);  :math:`d/dx = \sigma(x)(1 + x(1 - \sigma(x)))`."""
        return self * self.sigmoid()

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        r""":math:`\tfrac1\beta \ln(1 + e^{\beta x})`, and :math:`x` itself where :math:`\beta x >` ``threshold``
        (PyTorch's linear regime); never overflows. :math:`d/dx = \sigma(\beta x)` (1 in the linear regime).
        A primitive (``ops.Softplus``)."""
        return apply_op(ops.Softplus(beta, threshold), self)

    def logsigmoid(self) -> Tensor:
        r""":math:`\ln \sigma(x) = -\ln(1 + e^{-x})`, computed as ``-logaddexp(0, -x)`` (stable for
        :math:`|x|` of 1e4);  :math:`d/dx = 1 - \sigma(x) = \sigma(-x)`."""
        x = self if self.data.dtype.kind in "fc" else self.astype(np.float64)  # -x wraps on unsigned data
        return -logaddexp(0.0, -x)

    def hardtanh(self, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
        r""":math:`\min(\max(x, \mathrm{min\_val}), \mathrm{max\_val})`;  :math:`d/dx = 1` strictly inside,
        0 outside *and at both ends* (PyTorch's ``hardtanh``; :meth:`clip` passes the gradient at its ends)."""
        lo = ops._real_parameter(min_val, "hardtanh", "min_val")
        hi = ops._real_parameter(max_val, "hardtanh", "max_val")
        if lo > hi:
            raise ValueError(f"hardtanh: min_val must be <= max_val, got min_val={lo} and max_val={hi}")
        x = self.data
        return where((x > lo) & (x < hi), self, Tensor._make(np.asarray(np.clip(x, lo, hi)), None, None))

    def relu6(self) -> Tensor:
        r""":math:`\min(\max(x, 0), 6)` = ``hardtanh(0, 6)``: gradient 0 at 0 (as ``relu'(0)``) and at 6."""
        return self.hardtanh(0.0, 6.0)

    def mish(self) -> Tensor:
        r""":math:`x \tanh(\mathrm{softplus}(x))`;  :math:`d/dx = \tanh s + x \sigma(x)(1 - \tanh^2 s)` with
        :math:`s = \mathrm{softplus}(x)`."""
        return self * logaddexp(0.0, self).tanh()


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


def _axis_of(axis: Any, t: Tensor, fn: str) -> int:
    """One axis of ``t`` (not None), checked as :func:`_one_axis` does, as a non-negative int."""
    if axis is None:
        raise TypeError(f"{fn}: axis must be an int, got None")
    checked = _one_axis(axis, t, fn)
    assert checked is not None
    return checked % max(t.ndim, 1)


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


def _check_count(num: Any, fn: str) -> None:
    """``num`` a non-negative int within :data:`MAX_ARANGE`, checked before anything is allocated."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"{fn}: num (the number of values) must be an int >= 0, got {num!r}")
    if num > MAX_ARANGE:
        raise ValueError(f"{fn}: num={num} is more than the limit MAX_ARANGE = {MAX_ARANGE} (2**30); use fewer values")


def meshgrid(*tensors: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D tensors, as ``numpy.meshgrid``: with ``indexing="xy"`` (numpy's default) the
    first two output axes are swapped (``X[i, j] = x[j]``, for plotting), with ``"ij"`` (PyTorch's default)
    output k varies along axis k. A composite (reshape and broadcast): gradients flow back to each input, summed
    over the axes it was repeated along."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    for i, t in enumerate(ts):
        if t.ndim != 1:
            raise ValueError(f"meshgrid: input {i} must be 1-D, got shape {t.shape}; flatten it first (t.reshape(-1))")
    sizes = [t.size for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(ts):
        axis = (1 - i if i < 2 else i) if indexing == "xy" and len(ts) >= 2 else i
        shape = [1] * len(ts)
        shape[axis] = t.size
        grids.append(t.reshape(*shape).broadcast_to(tuple(sizes)))
    return grids


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


# issue 18: math ---------------------------------------------------------------------------------------------


#: PyTorch's SELU constants (Klambauer et al. 2017, "Self-normalizing neural networks").
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def logaddexp(a: Any, b: Any) -> Tensor:
    r""":math:`\ln(e^a + e^b)` elementwise, broadcasting, stable for inputs of 1e4 (``numpy.logaddexp``)."""
    return _binary(ops.LogAddExp(), a, b)


def hypot(a: Any, b: Any) -> Tensor:
    r""":math:`\sqrt{a^2 + b^2}` elementwise, broadcasting, without overflow (``numpy.hypot``)."""
    return _binary(ops.Hypot(), a, b)


def _isclose(rtol: float, atol: float, equal_nan: bool) -> Callable[[Any, Any], Any]:
    def isclose(a: Any, b: Any) -> Any:
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)

    return isclose


def _logical_reduction(fn: Callable[..., Any], t: Tensor, axis: Any, keepdims: Any, name: str) -> Tensor:
    """``fn`` (``np.any``/``np.all``) over ``axis`` as a boolean Tensor, with errors that name the axis."""
    keepdims = check_flag(keepdims, "keepdims")
    try:
        axes = ops.normalize_axes(axis, t.ndim)
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"{name}: {err} (tensor of shape {t.shape}); use axes from {-t.ndim} to {t.ndim - 1}, or axis=None"
        ) from None
    return Tensor._make(np.asarray(fn(t.data, axis=axes, keepdims=keepdims)), None, None)


# --------------------------------------------------------------------------------------------------------
# issue 18: shape, statistics, indexing, linear algebra: numpy's functions
# --------------------------------------------------------------------------------------------------------


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def einsum(subscripts: str, *operands: Any, optimize: Any = False) -> Tensor:
    r"""Einstein summation (``numpy.einsum``): ``tg.einsum("ij,jk->ik", A, B)`` is ``A @ B``.

    A primitive (:class:`~tinygrad_edu.ops.Einsum`): the forward is ``np.einsum`` with ``optimize`` (False,
    True, ``"greedy"``, ``"optimal"``); the gradient of each operand is another einsum, of the upstream
    gradient and the other operands into that operand's subscripts. Repeated letters (``"ii->i"``, diagonals),
    ``...`` broadcasting, implicit outputs (``"ij,jk"``) and letters summed within one operand are supported.
    """
    return apply_op(ops.Einsum(subscripts, optimize), *[_tensor(x) for x in operands])


def outer(a: Any, b: Any) -> Tensor:
    r"""Outer product :math:`y_{ij} = a_i b_j` of the flattened inputs (``numpy.outer``)."""
    return _tensor(a).reshape(-1, 1) * _tensor(b).reshape(1, -1)


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2) -> Tensor:
    """Sum of products over the given axes (``numpy.tensordot``): ``axes=N`` contracts the last N axes of ``a``
    with the first N of ``b``; ``axes=(axes_a, axes_b)`` names them. Written as an :func:`einsum`."""
    ta, tb = _tensor(a), _tensor(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(ta.ndim, tb.ndim):
            raise ValueError(f"tensordot: axes={n} is more than the dimensions of shapes {ta.shape} and {tb.shape}")
        axes_a, axes_b = list(range(ta.ndim - n, ta.ndim)), list(range(n))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair (axes_a, axes_b), got {axes!r}") from None
        axes_a = [int(first)] if isinstance(first, (int, np.integer)) else list(first)
        axes_b = [int(second)] if isinstance(second, (int, np.integer)) else list(second)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes {axes_a} and {axes_b} must have the same length")
    axes_a = [_axis_of(x, ta, "tensordot") % ta.ndim for x in axes_a]
    axes_b = [_axis_of(x, tb, "tensordot") % tb.ndim for x in axes_b]
    for x, y in zip(axes_a, axes_b, strict=True):
        if ta.shape[x] != tb.shape[y]:
            raise ValueError(
                f"tensordot: axis {x} of shape {ta.shape} ({ta.shape[x]}) does not match axis {y} of shape "
                f"{tb.shape} ({tb.shape[y]})"
            )
    letters = iter(ops._EINSUM_LETTERS)
    sa = [next(letters) for _ in range(ta.ndim)]
    sb = [next(letters) for _ in range(tb.ndim)]
    for x, y in zip(axes_a, axes_b, strict=True):
        sb[y] = sa[x]
    out = [c for i, c in enumerate(sa) if i not in axes_a] + [c for i, c in enumerate(sb) if i not in axes_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), ta, tb)


def inner(a: Any, b: Any) -> Tensor:
    r"""Inner product over the last axes (``numpy.inner``): for 1-D inputs :math:`\sum_i a_i b_i`."""
    ta, tb = _tensor(a), _tensor(b)
    if ta.ndim == 0 or tb.ndim == 0:
        return ta * tb
    return tensordot(ta, tb, axes=([-1], [-1]))


def dot(a: Any, b: Any) -> Tensor:
    """``numpy.dot``: the inner product of 1-D inputs, the matrix product of 2-D ones, a scalar product with a
    0-d input, and for N-D a sum over the last axis of ``a`` and the second-to-last of ``b``."""
    ta, tb = _tensor(a), _tensor(b)
    if ta.ndim == 0 or tb.ndim == 0:
        return ta * tb
    if ta.ndim <= 2 and tb.ndim <= 2:
        return ta @ tb
    return tensordot(ta, tb, axes=([-1], [-2 if tb.ndim > 1 else -1]))


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum along a diagonal (``numpy.trace``); see :meth:`Tensor.trace`."""
    return _tensor(a).trace(offset, axis1, axis2)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``numpy.diagonal``; see :meth:`Tensor.diagonal`."""
    return _tensor(a).diagonal(offset, axis1, axis2)


def diag(v: Any, k: int = 0) -> Tensor:
    """``numpy.diag``: 1-D in, a matrix with ``v`` on its ``k``-th diagonal; 2-D in, that diagonal."""
    return _tensor(v).diag(k)


def tril(a: Any, k: int = 0) -> Tensor:
    """``numpy.tril``: the lower triangle; see :meth:`Tensor.tril`."""
    return _tensor(a).tril(k)


def triu(a: Any, k: int = 0) -> Tensor:
    """``numpy.triu``: the upper triangle; see :meth:`Tensor.triu`."""
    return _tensor(a).triu(k)


def split(a: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """``numpy.split``; see :meth:`Tensor.split`."""
    return _tensor(a).split(indices_or_sections, axis)


def flip(a: Any, axis: ops.Axis = None) -> Tensor:
    """``numpy.flip``; see :meth:`Tensor.flip`."""
    return _tensor(a).flip(axis)


def roll(a: Any, shift: int | tuple[int, ...], axis: ops.Axis = None) -> Tensor:
    """``numpy.roll``; see :meth:`Tensor.roll`."""
    return _tensor(a).roll(shift, axis)


def pad(a: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """``numpy.pad``; see :meth:`Tensor.pad`."""
    return _tensor(a).pad(pad_width, mode, constant_values)


def take_along_axis(a: Any, indices: Any, axis: int) -> Tensor:
    """``numpy.take_along_axis``; see :meth:`Tensor.take_along_axis`."""
    return _tensor(a).take_along_axis(indices, axis)


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
