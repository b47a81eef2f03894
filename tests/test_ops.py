"""The primitive ops: every gradient checked against its hand-derived formula and against finite differences.

Each op gets two kinds of test:

* a hand-derived one: the derivative is written out below in numpy (``d tanh = 1 - tanh^2``, ``dW = x^T g``),
  backward runs with a random upstream gradient ``G`` (not ones), and forward and gradient are compared with
  numpy in float64;
* a Hypothesis property: ``assert_grad_close`` compares backward with central differences over random shapes
  (broadcast pairs, axis subsets, batched matmuls, random indices), drawing values from the op's domain so
  that no kink or tie lies within ``eps`` of a data point.

Then the conventions users rely on, with exact values: subgradients at kinks and ties, dtype preservation,
numerical stability for inputs of 1e4, and error messages for bad input.

The properties compare full Jacobians, so shapes stay small (at most 3 dims of side 4): with the ``ci``
profile (40 examples each) the module runs in seconds.
"""

import math
import operator
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.testing import assert_grad_close, broadcastable_shapes, elements, shapes, tensors

RTOL = 1e-9  # float64 formulas agree with the library to rounding; 1e-9 leaves room for reordered sums
ATOL = 1e-12
GRID_OFF = "grid+1/32"  # grid values shifted by 1/32: never tie with "grid" values (maximum/minimum pairs)
LO, HI = -17 / 32, 33 / 32  # clip bounds halfway between grid points: 1/32 away from any "grid" value


# --------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------


def _sample(domain: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Random float64 values from one of the testing domains (same ranges as ``tinygrad_edu.testing``)."""
    if domain == "real":
        values = rng.uniform(-2, 2, shape)
    elif domain == "positive":
        values = rng.uniform(0.2, 2, shape)
    elif domain in ("nonzero", "nonkink"):
        low = 0.5 if domain == "nonzero" else 0.05
        values = rng.uniform(low, 2, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "grid":
        values = rng.integers(-32, 33, shape) / 16
    elif domain == GRID_OFF:
        values = rng.integers(-32, 32, shape) / 16 + 1 / 32
    else:  # pragma: no cover - a typo in a table
        raise ValueError(domain)
    return np.asarray(values, dtype=np.float64)


def _elems(domain: str) -> st.SearchStrategy[float]:
    """The Hypothesis element strategy of a domain name used in the tables."""
    return elements("grid", offset=1 / 32) if domain == GRID_OFF else elements(domain)


def _leaf(values: Any) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def assert_grad(t: Tensor, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    """``t.grad`` has ``t``'s shape and dtype and equals ``expected``."""
    assert t.grad is not None, "backward did not reach this tensor"
    assert t.grad.shape == t.shape
    assert t.grad.dtype == t.dtype
    np.testing.assert_allclose(t.grad, expected, rtol=rtol, atol=atol)


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient of the broadcast result back to an operand's ``shape`` (every copy contributed).

    Written here from the definition, independently of ``ops.unbroadcast``.
    """
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1), keepdims=True)


def _axes_tuple(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        return (axis % ndim,)
    return tuple(sorted(a % ndim for a in axis))


def _axis_args(ndim: int) -> st.SearchStrategy[Any]:
    """``axis=`` arguments valid for ``ndim`` dims: None, an int (maybe negative) or a tuple of distinct axes
    (maybe empty, in any order, each maybe negative)."""
    if ndim == 0:
        return st.one_of(st.none(), st.just(()))
    subset = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).flatmap(
        lambda axes: st.tuples(*[st.sampled_from([a, a - ndim]) for a in axes])
    )
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), subset)


# --------------------------------------------------------------------------------------------------------
# elementwise ops of one tensor (including binary ops with a Python scalar on either side)
# --------------------------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


class Unary(NamedTuple):
    name: str
    fn: Callable[[Tensor], Tensor]
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]  # dy/dx, hand-derived
    domain: str
    second: Callable[[np.ndarray], np.ndarray]  # d2y/dx2, hand-derived (tests/test_second_order.py checks it)


def _zero(x: np.ndarray) -> np.ndarray:
    """The second derivative of an op that is linear (or piecewise linear, away from its kinks)."""
    return np.zeros_like(x, dtype=np.float64)


def _sigmoid2(x: np.ndarray) -> np.ndarray:
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


def _tanh2(x: np.ndarray) -> np.ndarray:
    t = np.tanh(x)
    return -2 * t * (1 - t**2)


UNARY = [
    Unary("neg", lambda t: -t, np.negative, lambda x: np.full_like(x, -1.0), "real", _zero),
    Unary("exp", lambda t: t.exp(), np.exp, np.exp, "real", np.exp),  # d e^x = e^x
    Unary("log", lambda t: t.log(), np.log, lambda x: 1 / x, "positive", lambda x: -1 / x**2),
    Unary("sqrt", lambda t: t.sqrt(), np.sqrt, lambda x: 1 / (2 * np.sqrt(x)), "positive", lambda x: -1 / (4 * x**1.5)),
    Unary("abs", lambda t: t.abs(), np.abs, np.sign, "nonkink", _zero),
    Unary("relu", lambda t: t.relu(), lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0, "nonkink", _zero),
    Unary("sigmoid", lambda t: t.sigmoid(), _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), "real", _sigmoid2),
    Unary("tanh", lambda t: t.tanh(), np.tanh, lambda x: 1 - np.tanh(x) ** 2, "real", _tanh2),
    Unary("x**3", lambda t: t**3, lambda x: x**3, lambda x: 3 * x**2, "real", lambda x: 6 * x),
    Unary("x**0.5", lambda t: t**0.5, np.sqrt, lambda x: 0.5 * x**-0.5, "positive", lambda x: -0.25 * x**-1.5),
    Unary("x**-2", lambda t: t**-2, lambda x: x**-2.0, lambda x: -2 * x**-3.0, "nonzero", lambda x: 6 * x**-4.0),
    Unary(
        "2**x",
        lambda t: 2**t,
        lambda x: 2.0**x,
        lambda x: 2.0**x * np.log(2),
        "real",
        lambda x: 2.0**x * np.log(2) ** 2,
    ),  # d a^x = a^x ln a
    Unary("x+2.5", lambda t: t + 2.5, lambda x: x + 2.5, np.ones_like, "real", _zero),
    Unary("2.5+x", lambda t: 2.5 + t, lambda x: 2.5 + x, np.ones_like, "real", _zero),
    Unary("x-2.5", lambda t: t - 2.5, lambda x: x - 2.5, np.ones_like, "real", _zero),
    Unary("2-x", lambda t: 2 - t, lambda x: 2 - x, lambda x: np.full_like(x, -1.0), "real", _zero),
    Unary("x*3", lambda t: t * 3, lambda x: x * 3, lambda x: np.full_like(x, 3.0), "real", _zero),
    Unary("-1.5*x", lambda t: -1.5 * t, lambda x: -1.5 * x, lambda x: np.full_like(x, -1.5), "real", _zero),
    Unary("x/3", lambda t: t / 3, lambda x: x / 3, lambda x: np.full_like(x, 1 / 3), "real", _zero),
    Unary("1/x", lambda t: 1 / t, lambda x: 1 / x, lambda x: -1 / x**2, "nonzero", lambda x: 2 / x**3),
    Unary(
        "clip", lambda t: t.clip(LO, HI), lambda x: np.clip(x, LO, HI), lambda x: (x >= LO) & (x <= HI), "grid", _zero
    ),
    Unary("clip_lo", lambda t: t.clip(LO, None), lambda x: np.maximum(x, LO), lambda x: x >= LO, "grid", _zero),
    Unary("clip_hi", lambda t: t.clip(None, HI), lambda x: np.minimum(x, HI), lambda x: x <= HI, "grid", _zero),
    Unary("clamp_0", lambda t: t.clamp(0.0, None), lambda x: np.maximum(x, 0), lambda x: x >= 0, "nonkink", _zero),
    Unary(
        "x.maximum(c)",
        lambda t: t.maximum(1 / 32),
        lambda x: np.maximum(x, 1 / 32),
        lambda x: x > 1 / 32,
        "grid",
        _zero,
    ),
    Unary(
        "minimum(c,x)",
        lambda t: tg.minimum(1 / 32, t),
        lambda x: np.minimum(x, 1 / 32),
        lambda x: x < 1 / 32,
        "grid",
        _zero,
    ),
    # issue 18: math. Inputs scaled into each op's domain (arcsin, arccos, arctanh on (-0.9, 0.9), log1p on
    # (-0.8, 0.8), tan on (-1, 1)), so the rows keep the shared domains; erf's reference is math.erf itself.
    Unary("sin", lambda t: t.sin(), np.sin, np.cos, "real", lambda x: -np.sin(x)),
    Unary("cos", lambda t: t.cos(), np.cos, lambda x: -np.sin(x), "real", lambda x: -np.cos(x)),
    Unary(
        "tan(x/2)",
        lambda t: (t * 0.5).tan(),
        lambda x: np.tan(x / 2),
        lambda x: 0.5 / np.cos(x / 2) ** 2,  # d tan u = sec^2 u du
        "real",
        lambda x: 0.5 * np.tan(x / 2) / np.cos(x / 2) ** 2,
    ),
    Unary(
        "arcsin(0.45x)",
        lambda t: (t * 0.45).arcsin(),
        lambda x: np.arcsin(0.45 * x),
        lambda x: 0.45 / np.sqrt(1 - (0.45 * x) ** 2),
        "real",
        lambda x: 0.45**2 * (0.45 * x) / (1 - (0.45 * x) ** 2) ** 1.5,
    ),
    Unary(
        "arccos(0.45x)",
        lambda t: (t * 0.45).arccos(),
        lambda x: np.arccos(0.45 * x),
        lambda x: -0.45 / np.sqrt(1 - (0.45 * x) ** 2),
        "real",
        lambda x: -(0.45**2) * (0.45 * x) / (1 - (0.45 * x) ** 2) ** 1.5,
    ),
    Unary(
        "arctan", lambda t: t.arctan(), np.arctan, lambda x: 1 / (1 + x**2), "real", lambda x: -2 * x / (1 + x**2) ** 2
    ),
    Unary("sinh", lambda t: t.sinh(), np.sinh, np.cosh, "real", np.sinh),
    Unary("cosh", lambda t: t.cosh(), np.cosh, np.sinh, "real", np.cosh),
    Unary(
        "arctanh(0.45x)",
        lambda t: (t * 0.45).arctanh(),
        lambda x: np.arctanh(0.45 * x),
        lambda x: 0.45 / (1 - (0.45 * x) ** 2),
        "real",
        lambda x: 0.45**2 * 2 * (0.45 * x) / (1 - (0.45 * x) ** 2) ** 2,
    ),
    Unary(
        "log1p(0.4x)",
        lambda t: (t * 0.4).log1p(),
        lambda x: np.log1p(0.4 * x),
        lambda x: 0.4 / (1 + 0.4 * x),
        "real",
        lambda x: -0.16 / (1 + 0.4 * x) ** 2,
    ),
    Unary("expm1", lambda t: t.expm1(), np.expm1, np.exp, "real", np.exp),
    Unary(
        "erf",
        lambda t: t.erf(),
        np.vectorize(math.erf, otypes=[np.float64]),
        lambda x: 2 / np.sqrt(np.pi) * np.exp(-(x**2)),
        "real",
        lambda x: -4 * x / np.sqrt(np.pi) * np.exp(-(x**2)),
    ),
    # piecewise constant: derivative 0 (taken as 0 at the jumps); "grid+1/32" values are never integers or halves
    Unary("sign", lambda t: t.sign(), np.sign, _zero, "nonzero", _zero),
    Unary("floor", lambda t: t.floor(), np.floor, _zero, GRID_OFF, _zero),
    Unary("ceil", lambda t: t.ceil(), np.ceil, _zero, GRID_OFF, _zero),
    Unary("round", lambda t: t.round(), np.round, _zero, GRID_OFF, _zero),
    Unary("round(1)", lambda t: t.round(1), lambda x: np.round(x, 1), _zero, GRID_OFF, _zero),
    # composites
    Unary(
        "log2",
        lambda t: t.log2(),
        np.log2,
        lambda x: 1 / (x * np.log(2)),
        "positive",
        lambda x: -1 / (x**2 * np.log(2)),
    ),
    Unary(
        "log10",
        lambda t: t.log10(),
        np.log10,
        lambda x: 1 / (x * np.log(10)),
        "positive",
        lambda x: -1 / (x**2 * np.log(10)),
    ),
    Unary(
        "exp2",
        lambda t: t.exp2(),
        np.exp2,
        lambda x: np.exp2(x) * np.log(2),
        "real",
        lambda x: np.exp2(x) * np.log(2) ** 2,
    ),
    Unary("square", lambda t: t.square(), np.square, lambda x: 2 * x, "real", lambda x: np.full_like(x, 2.0)),
    Unary("reciprocal", lambda t: t.reciprocal(), np.reciprocal, lambda x: -1 / x**2, "nonzero", lambda x: 2 / x**3),
    # the activations that are primitives (tests/nn/test_activations_more.py checks them all, kinks included)
    Unary(
        "elu",
        lambda t: t.elu(0.7),
        lambda x: np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1.0, 0.7 * np.exp(np.minimum(x, 0))),
        "nonkink",
        lambda x: np.where(x > 0, 0.0, 0.7 * np.exp(np.minimum(x, 0))),
    ),
    Unary(
        "softplus",
        lambda t: t.softplus(),
        lambda x: np.logaddexp(0, x),
        _sigmoid,
        "real",
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
    ),
]


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_elementwise_hand_derived(op):
    rng = np.random.default_rng(0)
    x_np = _sample(op.domain, (3, 4), rng)
    G = rng.standard_normal((3, 4))
    x = _leaf(x_np)
    y = op.fn(x)
    np.testing.assert_allclose(y.data, op.forward(x_np), rtol=RTOL, atol=ATOL)
    y.backward(grad=G)
    assert_grad(x, G * op.derivative(x_np))  # chain rule: x_bar = y_bar * dy/dx, elementwise


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
@given(data=st.data())
def test_elementwise_matches_finite_differences(op, data):
    x = data.draw(tensors(elements=_elems(op.domain)), label="x")
    np.testing.assert_allclose(op.fn(x).data, op.forward(x.data), rtol=RTOL, atol=ATOL)
    assert_grad_close(op.fn, x)


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_elementwise_float32_stays_float32(op):
    """Python scalars are weakly typed: a float32 tensor and its gradient stay float32 (no silent upcast)."""
    x_np = _sample(op.domain, (2, 3), np.random.default_rng(1))
    x = Tensor(x_np.astype(np.float32), requires_grad=True)
    y = op.fn(x)
    assert y.dtype == np.float32
    G = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    y.backward(grad=G)
    assert_grad(x, G * op.derivative(x_np.astype(np.float32).astype(np.float64)), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------------------
# binary elementwise ops of two tensors, with numpy broadcasting
# --------------------------------------------------------------------------------------------------------


class Binary(NamedTuple):
    name: str
    fn: Callable[[Any, Any], Tensor]
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    da: Callable[[np.ndarray, np.ndarray], np.ndarray]  # dy/da, hand-derived
    db: Callable[[np.ndarray, np.ndarray], np.ndarray]  # dy/db
    domain_a: str
    domain_b: str
    scalar_left: bool = True  # fn accepts a Python scalar as its first argument


def _one(a, b):
    return np.ones(np.broadcast_shapes(np.shape(a), np.shape(b)))


def _gt(a, b):
    return (a > b) * 1.0  # the larger side of a maximum gets the gradient


def _lt(a, b):
    return (a < b) * 1.0


BINARY = [
    Binary("add", operator.add, np.add, _one, _one, "real", "real"),
    Binary("sub", operator.sub, np.subtract, _one, lambda a, b: -_one(a, b), "real", "real"),
    Binary("mul", operator.mul, np.multiply, lambda a, b: b * _one(a, b), lambda a, b: a * _one(a, b), "real", "real"),
    Binary(
        "div", operator.truediv, np.divide, lambda a, b: 1 / b * _one(a, b), lambda a, b: -a / b**2, "real", "nonzero"
    ),
    # d a^b / da = b a^(b-1);  d a^b / db = a^b ln a
    Binary(
        "pow", operator.pow, np.power, lambda a, b: b * a ** (b - 1), lambda a, b: a**b * np.log(a), "positive", "real"
    ),
    # a "grid" and a "grid+1/32" value never tie
    Binary("x.maximum(y)", lambda a, b: a.maximum(b), np.maximum, _gt, lambda a, b: _gt(b, a), "grid", GRID_OFF, False),
    Binary("tg.maximum", tg.maximum, np.maximum, _gt, lambda a, b: _gt(b, a), "grid", GRID_OFF),
    Binary("x.minimum(y)", lambda a, b: a.minimum(b), np.minimum, _lt, lambda a, b: _lt(b, a), "grid", GRID_OFF, False),
    Binary("tg.minimum", tg.minimum, np.minimum, _lt, lambda a, b: _lt(b, a), "grid", GRID_OFF),
]

SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3, 4)), ((3, 1), (1, 4))]


@pytest.mark.parametrize("shapes_ab", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_hand_derived_with_broadcasting(op, shapes_ab):
    sa, sb = shapes_ab
    rng = np.random.default_rng(3)
    a_np, b_np = _sample(op.domain_a, sa, rng), _sample(op.domain_b, sb, rng)
    G = rng.standard_normal(np.broadcast_shapes(sa, sb))
    a, b = _leaf(a_np), _leaf(b_np)
    y = op.fn(a, b)
    np.testing.assert_allclose(y.data, op.forward(a_np, b_np), rtol=RTOL, atol=ATOL)
    y.backward(grad=G)
    # each operand's gradient is y_bar * local derivative, summed over the copies broadcasting made
    assert_grad(a, _sum_to(G * op.da(a_np, b_np), sa))
    assert_grad(b, _sum_to(G * op.db(a_np, b_np), sb))


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
@given(data=st.data())
def test_binary_broadcast_matches_finite_differences(op, data):
    sa, sb = data.draw(broadcastable_shapes(2), label="shapes")
    a = data.draw(tensors(sa, elements=_elems(op.domain_a)), label="a")
    b = data.draw(tensors(sb, elements=_elems(op.domain_b)), label="b")
    np.testing.assert_allclose(op.fn(a, b).data, op.forward(a.data, b.data), rtol=RTOL, atol=ATOL)
    assert_grad_close(op.fn, a, b)


@pytest.mark.parametrize(
    ("op", "side"),
    [
        pytest.param(op, side, id=f"{op.name}-{side}")
        for op in BINARY
        for side in ("left", "right")
        if side == "right" or op.scalar_left
    ],
)
@given(data=st.data())
def test_binary_with_python_scalar_matches_finite_differences(op, side, data):
    """``c op x`` and ``x op c`` for a Python float ``c``: the scalar is a constant, the tensor gets the gradient."""
    if side == "left":
        c = data.draw(_elems(op.domain_a), label="c")
        x = data.draw(tensors(elements=_elems(op.domain_b)), label="x")
        fn = lambda t: op.fn(c, t)  # noqa: E731
        expected = op.forward(np.float64(c), x.data)
    else:
        x = data.draw(tensors(elements=_elems(op.domain_a)), label="x")
        c = data.draw(_elems(op.domain_b), label="c")
        fn = lambda t: op.fn(t, c)  # noqa: E731
        expected = op.forward(x.data, np.float64(c))
    np.testing.assert_allclose(fn(x).data, expected, rtol=RTOL, atol=ATOL)
    assert_grad_close(fn, x)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_float32_operands_give_float32_grads(op):
    rng = np.random.default_rng(4)
    a = Tensor(_sample(op.domain_a, (2, 3), rng).astype(np.float32), requires_grad=True)
    b = Tensor(_sample(op.domain_b, (3,), rng).astype(np.float32), requires_grad=True)
    y = op.fn(a, b)
    assert y.dtype == np.float32
    y.backward(grad=np.ones((2, 3), np.float32))
    assert (a.grad.dtype, a.grad.shape) == (np.float32, (2, 3))
    assert (b.grad.dtype, b.grad.shape) == (np.float32, (3,))


# --------------------------------------------------------------------------------------------------------
# where
# --------------------------------------------------------------------------------------------------------


def test_where_hand_derived_with_broadcasting():
    rng = np.random.default_rng(5)
    cond = rng.random((3, 4)) > 0.5
    a_np, b_np = rng.standard_normal((3, 4)), rng.standard_normal(4)
    G = rng.standard_normal((3, 4))
    a, b = _leaf(a_np), _leaf(b_np)
    y = tg.where(cond, a, b)
    np.testing.assert_array_equal(y.data, np.where(cond, a_np, b_np))
    y.backward(grad=G)
    assert_grad(a, G * cond)  # d y/d a = [cond]
    assert_grad(b, (G * ~cond).sum(axis=0))  # d y/d b = [not cond], summed over the broadcast rows


def test_where_with_tensor_condition_and_scalar_branch():
    x = _leaf([-1.5, 0.5, 2.0, -0.25])
    y = tg.where(x > 0, x * x, 0.0)  # cond is a boolean Tensor: no gradient flows through it
    np.testing.assert_array_equal(y.data, [0.0, 0.25, 4.0, 0.0])
    y.backward(grad=np.array([1.0, 2.0, 3.0, 4.0]))
    assert_grad(x, [0.0, 2 * 0.5 * 2.0, 2 * 2.0 * 3.0, 0.0])


@given(data=st.data())
def test_where_matches_finite_differences(data):
    sc, sa, sb = data.draw(broadcastable_shapes(3), label="shapes")
    cond = data.draw(hnp.arrays(np.bool_, sc), label="cond")
    a, b = data.draw(tensors(sa), label="a"), data.draw(tensors(sb), label="b")
    np.testing.assert_array_equal(tg.where(cond, a, b).data, np.where(cond, a.data, b.data))
    assert_grad_close(lambda a, b: tg.where(cond, a, b), a, b)


# --------------------------------------------------------------------------------------------------------
# reductions: sum, mean, max, min, logsumexp
# --------------------------------------------------------------------------------------------------------


def _lse_naive(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


# name -> (numpy forward, local derivative d y/d x_i evaluated with the reduced axes kept)
REDUCTIONS: dict[str, tuple[Callable, Callable]] = {
    "sum": (np.sum, lambda x, axes: np.ones_like(x)),
    "mean": (np.mean, lambda x, axes: np.full_like(x, 1 / np.prod([x.shape[a] for a in axes]))),  # 1/n
    # one-hot of the argmax (the test values are distinct)
    "max": (np.max, lambda x, axes: (x == np.max(x, axis=axes, keepdims=True)) * 1.0),
    "min": (np.min, lambda x, axes: (x == np.min(x, axis=axes, keepdims=True)) * 1.0),
    # d logsumexp / d x_i = e^{x_i} / sum_j e^{x_j} = softmax over the reduced axes
    "logsumexp": (_lse_naive, lambda x, axes: np.exp(x - _lse_naive(x, axis=axes, keepdims=True))),
}
AXES = [None, 0, 1, -1, (0, 2), (2, -3), (-1, 1, 0), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=repr)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_hand_derived(name, axis, keepdims):
    rng = np.random.default_rng(6)
    x_np = rng.permutation(24).reshape(2, 3, 4) / 8 - 1.5  # distinct values: no ties for max/min
    forward, local = REDUCTIONS[name]
    x = _leaf(x_np)
    y = getattr(x, name)(axis=axis, keepdims=keepdims)
    expected_y = forward(x_np, axis=axis, keepdims=keepdims)
    assert y.shape == expected_y.shape
    np.testing.assert_allclose(y.data, expected_y, rtol=RTOL, atol=ATOL)
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    axes = _axes_tuple(axis, 3)
    G_kept = G if keepdims else np.expand_dims(G, axes)  # put the reduced axes back as size 1 ...
    assert_grad(x, G_kept * local(x_np, axes))  # ... and broadcast: every reduced element sees its output's G


def test_max_gradient_is_one_hot_of_argmax():
    x_np = np.array([[0.5, -1.0, 2.0], [3.0, 1.0, -2.0]])
    G = np.array([0.7, -1.3])
    x = _leaf(x_np)
    x.max(axis=1).backward(grad=G)
    expected = np.zeros_like(x_np)
    np.put_along_axis(expected, np.argmax(x_np, axis=1)[:, None], G[:, None], axis=1)
    assert_grad(x, expected)
    np.testing.assert_array_equal(x.grad, [[0, 0, 0.7], [-1.3, 0, 0]])


def test_mean_gradient_is_one_over_n():
    x = _leaf(np.arange(12.0).reshape(3, 4))
    y = x.mean(axis=0)
    np.testing.assert_allclose(y.data, [4.0, 5.0, 6.0, 7.0])
    y.backward(grad=np.array([3.0, 6.0, 9.0, 12.0]))
    assert_grad(x, np.tile([1.0, 2.0, 3.0, 4.0], (3, 1)))  # G / 3


@pytest.mark.parametrize("name", list(REDUCTIONS))
@given(data=st.data())
def test_reduction_matches_finite_differences(name, data):
    if name in ("max", "min"):  # grid values, all distinct: the argmax is 1/16 away from any tie
        x = data.draw(tensors(shapes(max_side=3), domain="grid", unique=True), label="x")
    else:
        x = data.draw(tensors(), label="x")
    axis = data.draw(_axis_args(x.ndim), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    fn = lambda t: getattr(t, name)(axis=axis, keepdims=keepdims)  # noqa: E731
    np.testing.assert_allclose(
        fn(x).data, REDUCTIONS[name][0](x.data, axis=axis, keepdims=keepdims), rtol=RTOL, atol=ATOL
    )
    assert_grad_close(fn, x)


# --------------------------------------------------------------------------------------------------------
# softmax and log_softmax
# --------------------------------------------------------------------------------------------------------


def _softmax_naive(x, axis):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_hand_derived(axis):
    rng = np.random.default_rng(7)
    x_np, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    s = _softmax_naive(x_np, axis)
    x = _leaf(x_np)
    y = x.softmax(axis=axis)
    np.testing.assert_allclose(y.data, s, rtol=RTOL)
    y.backward(grad=G)
    # ds_i/dx_k = s_i (delta_ik - s_k)  =>  x_bar = s * (G - sum(G * s))
    assert_grad(x, s * (G - (G * s).sum(axis=axis, keepdims=True)))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_hand_derived(axis):
    rng = np.random.default_rng(8)
    x_np, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    s = _softmax_naive(x_np, axis)
    x = _leaf(x_np)
    y = x.log_softmax(axis=axis)
    np.testing.assert_allclose(y.data, np.log(s), rtol=RTOL)
    y.backward(grad=G)
    # dy_i/dx_k = delta_ik - s_k  =>  x_bar = G - s * sum(G)
    assert_grad(x, G - s * G.sum(axis=axis, keepdims=True))


def test_softmax_default_axis_is_last():
    x_np = np.random.default_rng(9).standard_normal((2, 3))
    np.testing.assert_allclose(_leaf(x_np).softmax().data, _softmax_naive(x_np, -1), rtol=RTOL)
    np.testing.assert_allclose(_leaf(x_np).log_softmax().data, np.log(_softmax_naive(x_np, -1)), rtol=RTOL)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family_matches_finite_differences(name, data):
    x = data.draw(tensors(shapes(min_dims=1)), label="x")
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    fn = lambda t: getattr(t, name)(axis=axis)  # noqa: E731
    s = _softmax_naive(x.data, axis)
    np.testing.assert_allclose(fn(x).data, s if name == "softmax" else np.log(s), rtol=RTOL, atol=ATOL)
    assert_grad_close(fn, x)


# --------------------------------------------------------------------------------------------------------
# matmul
# --------------------------------------------------------------------------------------------------------

# (shape of A, shape of B, hand-derived (A_bar, B_bar) from A, B and the upstream gradient G), by einsum
MATMUL_CASES = {
    "1d@1d": ((4,), (4,), lambda a, b, g: (g * b, g * a)),  # y = a . b
    "1d@2d": ((3,), (3, 4), lambda a, b, g: (b @ g, np.outer(a, g))),  # y = a W: a_bar = W g, W_bar = a g^T
    "2d@1d": ((2, 3), (3,), lambda a, b, g: (np.outer(g, b), a.T @ g)),  # y = A v: A_bar = g v^T, v_bar = A^T g
    "2d@2d": ((2, 3), (3, 4), lambda a, b, g: (g @ b.T, a.T @ g)),  # Y = X W: X_bar = G W^T, W_bar = X^T G
    "3d@3d": (
        (2, 3, 4),
        (2, 4, 5),
        lambda a, b, g: (np.einsum("bik,bjk->bij", g, b), np.einsum("bki,bkj->bij", a, g)),
    ),
    "bcast (2,1,3,4)@(5,4,2)": (  # batch axes broadcast: sum the gradient over the copies
        (2, 1, 3, 4),
        (5, 4, 2),
        lambda a, b, g: (np.einsum("xyik,yjk->xij", g, b)[:, None], np.einsum("xki,xykj->yij", a[:, 0], g)),
    ),
    "3d@2d": ((2, 3, 4), (4, 5), lambda a, b, g: (np.einsum("bik,jk->bij", g, b), np.einsum("bki,bkj->ij", a, g))),
    "1d@3d": ((4,), (2, 4, 5), lambda a, b, g: (np.einsum("bk,bjk->j", g, b), np.einsum("j,bk->bjk", a, g))),
    "3d@1d": ((2, 3, 4), (4,), lambda a, b, g: (np.einsum("bi,j->bij", g, b), np.einsum("bij,bi->j", a, g))),
}


@pytest.mark.parametrize("case", list(MATMUL_CASES))
def test_matmul_hand_derived(case):
    sa, sb, expected = MATMUL_CASES[case]
    rng = np.random.default_rng(10)
    a_np, b_np = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = _leaf(a_np), _leaf(b_np)
    y = a @ b
    np.testing.assert_allclose(y.data, np.matmul(a_np, b_np), rtol=RTOL)
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    a_bar, b_bar = expected(a_np, b_np, G)
    assert_grad(a, a_bar)
    assert_grad(b, b_bar)


def test_matmul_function_and_reflected_operator():
    """``tg.matmul(a, b)`` and ``ndarray @ Tensor`` build the same op: the tensor still gets W^T-style grads."""
    rng = np.random.default_rng(11)
    W, x_np, G = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    x = _leaf(x_np)
    y = W @ x  # numpy defers to Tensor.__rmatmul__
    assert isinstance(y, Tensor)
    y.backward(grad=G)
    assert_grad(x, W.T @ G)
    x2 = _leaf(x_np)
    tg.matmul(W, x2).backward(grad=G)
    assert_grad(x2, W.T @ G)


@st.composite
def _matmul_operands(draw):
    """Random compatible operand shapes: 1-D or (broadcast) batched on either side."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    sa = (k,) if draw(st.booleans()) else (*batch_a, n, k)
    sb = (k,) if draw(st.booleans()) else (*batch_b, k, m)
    return draw(tensors(sa)), draw(tensors(sb))


@given(operands=_matmul_operands())
def test_matmul_matches_finite_differences(operands):
    a, b = operands
    np.testing.assert_allclose((a @ b).data, np.matmul(a.data, b.data), rtol=RTOL, atol=ATOL)
    assert_grad_close(operator.matmul, a, b)


# --------------------------------------------------------------------------------------------------------
# movement ops: reshape, transpose/permute/swapaxes/.T, expand/broadcast_to
# (the gradient is the inverse movement of the upstream gradient)
# --------------------------------------------------------------------------------------------------------

# name -> (input shape, op, numpy forward, hand-derived x_bar from G)
MOVEMENT_CASES: dict[str, tuple[tuple[int, ...], Callable, Callable, Callable]] = {
    "reshape(4,-1)": ((2, 3, 4), lambda t: t.reshape(4, -1), lambda x: x.reshape(4, 6), lambda g: g.reshape(2, 3, 4)),
    "reshape((6,4))": ((2, 3, 4), lambda t: t.reshape((6, 4)), lambda x: x.reshape(6, 4), lambda g: g.reshape(2, 3, 4)),
    "reshape(-1)": ((2, 3, 4), lambda t: t.reshape(-1), np.ravel, lambda g: g.reshape(2, 3, 4)),
    "flatten": ((2, 3), lambda t: t.flatten(), np.ravel, lambda g: g.reshape(2, 3)),
    # reversing the axes is its own inverse
    "transpose()": ((2, 3, 4), lambda t: t.transpose(), lambda x: x.transpose(), lambda g: g.transpose(2, 1, 0)),
    # perm (1, 2, 0) has inverse (2, 0, 1): out axis 0 was in axis 1, so in axis 1 comes from out axis 0 ...
    "transpose(1,2,0)": (
        (2, 3, 4),
        lambda t: t.transpose(1, 2, 0),
        lambda x: x.transpose(1, 2, 0),
        lambda g: g.transpose(2, 0, 1),
    ),
    "transpose((1,2,0))": (
        (2, 3, 4),
        lambda t: t.transpose((1, 2, 0)),
        lambda x: x.transpose(1, 2, 0),
        lambda g: g.transpose(2, 0, 1),
    ),
    "transpose(-1,0,1)": (
        (2, 3, 4),
        lambda t: t.transpose(-1, 0, 1),
        lambda x: x.transpose(2, 0, 1),
        lambda g: g.transpose(1, 2, 0),
    ),
    "permute(2,0,1)": (
        (2, 3, 4),
        lambda t: t.permute(2, 0, 1),
        lambda x: x.transpose(2, 0, 1),
        lambda g: g.transpose(1, 2, 0),
    ),
    "swapaxes(0,-1)": ((2, 3, 4), lambda t: t.swapaxes(0, -1), lambda x: x.swapaxes(0, -1), lambda g: g.swapaxes(0, 2)),
    "swapaxes(1,2)": ((2, 3, 4), lambda t: t.swapaxes(1, 2), lambda x: x.swapaxes(1, 2), lambda g: g.swapaxes(1, 2)),
    ".T 2d": ((3, 4), lambda t: t.T, lambda x: x.T, lambda g: g.T),
    ".T 3d": ((2, 3, 4), lambda t: t.T, lambda x: x.T, lambda g: g.transpose(2, 1, 0)),
    # the copies' gradients add up: sum G over the new leading axis and over the stretched axis
    "expand(2,3,4)": (
        (3, 1),
        lambda t: t.expand(2, 3, 4),
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        lambda g: g.sum(axis=0).sum(axis=1, keepdims=True),
    ),
    "expand((2,3,4))": (
        (3, 1),
        lambda t: t.expand((2, 3, 4)),
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        lambda g: g.sum(axis=0).sum(axis=1, keepdims=True),
    ),
    "broadcast_to": (
        (1, 4),
        lambda t: t.broadcast_to((3, 4)),
        lambda x: np.broadcast_to(x, (3, 4)),
        lambda g: g.sum(axis=0, keepdims=True),
    ),
    "expand 0d": ((), lambda t: t.expand(2, 3), lambda x: np.broadcast_to(x, (2, 3)), lambda g: g.sum()),
}


@pytest.mark.parametrize("case", list(MOVEMENT_CASES))
def test_movement_hand_derived(case):
    shape, fn, forward, x_bar = MOVEMENT_CASES[case]
    rng = np.random.default_rng(12)
    x_np = rng.standard_normal(shape)
    x = _leaf(x_np)
    y = fn(x)
    np.testing.assert_array_equal(y.data, forward(x_np))
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    assert_grad(x, x_bar(G))


@given(data=st.data())
def test_reshape_matches_finite_differences(data):
    x = data.draw(tensors(), label="x")
    new_shape = list(data.draw(st.permutations(x.shape), label="permuted shape"))
    if len(new_shape) >= 2 and data.draw(st.booleans(), label="merge the first two axes"):
        new_shape[:2] = [new_shape[0] * new_shape[1]]
    if data.draw(st.booleans(), label="insert a unit axis"):
        new_shape.insert(data.draw(st.integers(0, len(new_shape))), 1)
    if new_shape and data.draw(st.booleans(), label="use -1"):
        new_shape[data.draw(st.integers(0, len(new_shape) - 1))] = -1
    np.testing.assert_array_equal(x.reshape(*new_shape).data, x.data.reshape(new_shape))
    assert_grad_close(lambda t: t.reshape(new_shape), x)


@given(data=st.data())
def test_transpose_matches_finite_differences(data):
    x = data.draw(tensors(), label="x")
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    perm = tuple(a - x.ndim if data.draw(st.booleans()) else a for a in perm)  # negative axes too
    np.testing.assert_array_equal(x.transpose(*perm).data, x.data.transpose(perm))
    assert_grad_close(lambda t: t.transpose(*perm), x)
    if x.ndim >= 2:
        a, b = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(st.integers(-x.ndim, x.ndim - 1))
        np.testing.assert_array_equal(x.swapaxes(a, b).data, x.data.swapaxes(a, b))
        assert_grad_close(lambda t: t.swapaxes(a, b), x)


@given(data=st.data())
def test_expand_matches_finite_differences(data):
    s_in, s_other = data.draw(broadcastable_shapes(2), label="shapes")
    target = np.broadcast_shapes(s_in, s_other)
    x = data.draw(tensors(s_in), label="x")
    np.testing.assert_array_equal(x.expand(target).data, np.broadcast_to(x.data, target))
    assert_grad_close(lambda t: t.expand(target), x)


# --------------------------------------------------------------------------------------------------------
# indexing: x[idx]; the gradient is scattered back, and repeated positions accumulate
# --------------------------------------------------------------------------------------------------------


def _scatter(*assignments):
    """Build the expected gradient of a (4, 3) input from ``(position, value)`` pairs, adding repeated ones."""
    out = np.zeros((4, 3))
    for position, value in assignments:
        out[position] += value
    return out


MASK = np.array([[True, False, True], [False, False, False], [True, True, False], [False, True, True]])

# name -> (index, hand-written expected x_bar of a (4, 3) input from G)
INDEX_CASES: dict[str, tuple[Any, Callable[[np.ndarray], np.ndarray]]] = {
    "slice": (np.s_[1:3], lambda g: _scatter((1, g[0]), (2, g[1]))),
    "int": (2, lambda g: _scatter((2, g))),
    "negative int": (-1, lambda g: _scatter((3, g))),
    "int pair": ((1, 2), lambda g: _scatter(((1, 2), g))),
    "negative step": (np.s_[::-2], lambda g: _scatter((3, g[0]), (1, g[1]))),
    "newaxis": (np.s_[:, None, 1], lambda g: _scatter((np.s_[:, 1], g[:, 0]))),
    "ellipsis": (np.s_[..., 0], lambda g: _scatter((np.s_[:, 0], g))),
    "ellipsis newaxis": (np.s_[None, ..., 1:], lambda g: _scatter((np.s_[:, 1:], g[0]))),
    "int array": ([0, 2], lambda g: _scatter((0, g[0]), (2, g[1]))),
    "repeated rows accumulate": ([1, 1, 3, 1], lambda g: _scatter((1, g[0]), (1, g[1]), (3, g[2]), (1, g[3]))),
    "repeated pairs accumulate": (
        (np.array([0, 0, 3]), np.array([2, 2, 1])),
        lambda g: _scatter(((0, 2), g[0]), ((0, 2), g[1]), ((3, 1), g[2])),
    ),
    "int array as Tensor": (Tensor(np.array([2, 2])), lambda g: _scatter((2, g[0]), (2, g[1]))),
    "negative int array": (np.array([-1, 0, -1]), lambda g: _scatter((3, g[0]), (0, g[1]), (3, g[2]))),
    "bool mask": (  # True at (0,0) (0,2) (2,0) (2,1) (3,1) (3,2), in row-major order
        MASK,
        lambda g: _scatter(
            ((0, 0), g[0]), ((0, 2), g[1]), ((2, 0), g[2]), ((2, 1), g[3]), ((3, 1), g[4]), ((3, 2), g[5])
        ),
    ),
    "bool rows": (np.array([True, False, True, True]), lambda g: _scatter((0, g[0]), (2, g[1]), (3, g[2]))),
    "slice and repeated array": (
        (np.s_[1:], [0, 0]),
        lambda g: _scatter((np.s_[1:, 0], g[:, 0]), (np.s_[1:, 0], g[:, 1])),
    ),
    "newaxis and int array": ((None, np.array([3, 3])), lambda g: _scatter((3, g[0, 0]), (3, g[0, 1]))),
}


@pytest.mark.parametrize("case", list(INDEX_CASES))
def test_getitem_hand_derived(case):
    index, x_bar = INDEX_CASES[case]
    rng = np.random.default_rng(13)
    x_np = rng.standard_normal((4, 3))
    x = _leaf(x_np)
    y = x[index]
    np_index = index.data if isinstance(index, Tensor) else index
    np.testing.assert_array_equal(y.data, x_np[np_index])
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    assert_grad(x, x_bar(G))


def test_getitem_repeated_index_accumulates_exact():
    """x[[0, 0, 0]].sum() uses x[0] three times: its gradient is 3, not 1 (a plain assignment would lose two)."""
    x = _leaf([5.0, 6.0])
    x[[0, 0, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0])


@st.composite
def _indexed(draw):
    """A tensor and a valid index into it: basic (slices, ints, None, ...), integer arrays (with repeats),
    a boolean mask, or a slice mixed with an integer array."""
    x = draw(tensors(shapes(min_dims=1)))
    shape = x.shape
    kinds = ["basic", "int arrays", "mask"] + (["mixed"] if x.ndim >= 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "int arrays":
        index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2, max_side=4)))
    elif kind == "mask":
        index = draw(hnp.arrays(np.bool_, shape))
    else:
        ints = hnp.arrays(np.intp, st.integers(1, 4), elements=st.integers(-shape[1], shape[1] - 1))
        index = (draw(st.slices(shape[0])), draw(ints))
    return x, index


@given(case=_indexed())
def test_getitem_matches_finite_differences(case):
    x, index = case
    np.testing.assert_array_equal(x[index].data, x.data[index])
    assert_grad_close(lambda t: t[index], x)


# --------------------------------------------------------------------------------------------------------
# concatenate and stack: each input gets its own slice of the upstream gradient
# --------------------------------------------------------------------------------------------------------


def test_concatenate_hand_derived_axis0():
    rng = np.random.default_rng(14)
    parts_np = [rng.standard_normal((2, 3)), rng.standard_normal((1, 3)), rng.standard_normal((4, 3))]
    parts = [_leaf(p) for p in parts_np]
    y = tg.concatenate(parts, axis=0)
    np.testing.assert_array_equal(y.data, np.concatenate(parts_np, axis=0))
    G = rng.standard_normal((7, 3))
    y.backward(grad=G)
    assert_grad(parts[0], G[:2])
    assert_grad(parts[1], G[2:3])
    assert_grad(parts[2], G[3:])


def test_concatenate_hand_derived_negative_axis_with_constant():
    rng = np.random.default_rng(15)
    a_np, const = rng.standard_normal((2, 1)), rng.standard_normal((2, 3))
    a = _leaf(a_np)
    y = tg.concatenate([const, a], axis=-1)  # a numpy array joins as a constant
    np.testing.assert_array_equal(y.data, np.concatenate([const, a_np], axis=-1))
    G = rng.standard_normal((2, 4))
    y.backward(grad=G)
    assert_grad(a, G[:, 3:])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack_hand_derived(axis):
    rng = np.random.default_rng(16)
    parts_np = [rng.standard_normal((2, 3)) for _ in range(3)]
    parts = [_leaf(p) for p in parts_np]
    y = tg.stack(parts, axis=axis)
    np.testing.assert_array_equal(y.data, np.stack(parts_np, axis=axis))
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    for k, p in enumerate(parts):
        assert_grad(p, np.take(G, k, axis=axis))  # input k is position k of the new axis


@given(data=st.data())
def test_concatenate_matches_finite_differences(data):
    base = data.draw(shapes(min_dims=1, max_side=3), label="base shape")
    axis = data.draw(st.integers(-len(base), len(base) - 1), label="axis")
    parts = []
    for _ in range(data.draw(st.integers(1, 3), label="count")):
        shape = list(base)
        shape[axis] = data.draw(st.integers(1, 3))
        parts.append(data.draw(tensors(tuple(shape))))
    np.testing.assert_array_equal(tg.concatenate(parts, axis=axis).data, np.concatenate([p.data for p in parts], axis))
    assert_grad_close(lambda *ts: tg.concatenate(ts, axis=axis), *parts)


@given(data=st.data())
def test_stack_matches_finite_differences(data):
    shape = data.draw(shapes(max_side=3), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    parts = [data.draw(tensors(shape)) for _ in range(data.draw(st.integers(1, 3), label="count"))]
    np.testing.assert_array_equal(tg.stack(parts, axis=axis).data, np.stack([p.data for p in parts], axis))
    assert_grad_close(lambda *ts: tg.stack(ts, axis=axis), *parts)


# --------------------------------------------------------------------------------------------------------
# astype: the identity on values; the gradient is cast back to the input's dtype
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), [(np.float32, np.float64), (np.float64, np.float32)])
def test_astype_hand_derived(src, dst):
    rng = np.random.default_rng(17)
    x_np = rng.standard_normal((2, 3)).astype(src)
    x = Tensor(x_np, requires_grad=True)
    y = x.astype(dst)
    assert y.dtype == dst
    np.testing.assert_array_equal(y.data, x_np.astype(dst))
    G = rng.standard_normal((2, 3)).astype(dst)
    (y * 2.0).backward(grad=G)
    assert_grad(x, 2.0 * G.astype(src))  # d y/d x = 1: the gradient only changes dtype


@given(x=tensors())
def test_astype_matches_finite_differences(x):
    """Through a float32 round trip, finite differences need a larger step: eps=1e-3 against float32 rounding
    (~1e-7 relative), so the numeric derivative is good to ~1e-4."""
    fn = lambda t: (t.astype(np.float32) * 3.0).tanh().astype(np.float64)  # noqa: E731
    np.testing.assert_allclose(fn(x).data, np.tanh(3.0 * x.data), rtol=1e-6, atol=1e-6)
    assert_grad_close(fn, x, eps=1e-3, atol=1e-3, rtol=1e-2)


# --------------------------------------------------------------------------------------------------------
# dtype and shape of every gradient (float32 in, float32 out)
# --------------------------------------------------------------------------------------------------------

FLOAT32_OPS: dict[str, tuple[tuple[int, ...], Callable[[Tensor], Tensor]]] = {
    "sum": ((2, 3), lambda t: t.sum(axis=0)),
    "mean": ((2, 3), lambda t: t.mean(axis=(0, 1), keepdims=True)),
    "max": ((2, 3), lambda t: t.max(axis=-1)),
    "min": ((2, 3), lambda t: t.min()),
    "logsumexp": ((2, 3), lambda t: t.logsumexp(axis=1)),
    "softmax": ((2, 3), lambda t: t.softmax()),
    "log_softmax": ((2, 3), lambda t: t.log_softmax(axis=0)),
    "matmul": ((2, 3), lambda t: t @ Tensor(np.ones((3, 4), np.float32))),
    "matmul 1d": ((3,), lambda t: Tensor(np.ones((2, 3, 3), np.float32)) @ t),
    "reshape": ((2, 3), lambda t: t.reshape(3, 2)),
    "transpose": ((2, 3), lambda t: t.T),
    "expand": ((3,), lambda t: t.expand(2, 3)),
    "getitem": ((4,), lambda t: t[[0, 0, 3]]),
    "concatenate": ((2, 3), lambda t: tg.concatenate([t, t], axis=1)),
    "stack": ((2, 3), lambda t: tg.stack([t, t])),
    "where": ((2, 3), lambda t: tg.where(t.data > 0, t, 1.0)),
    "x**y": ((2, 3), lambda t: t ** Tensor(np.full((2, 3), 2.0, np.float32), requires_grad=True)),
}


@pytest.mark.parametrize("case", list(FLOAT32_OPS))
def test_float32_grads_keep_dtype_and_shape(case):
    shape, fn = FLOAT32_OPS[case]
    x = Tensor(np.random.default_rng(18).uniform(0.5, 2, shape).astype(np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.backward(grad=np.ones(y.shape, np.float32))
    assert x.grad.shape == x.shape
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t * np.float64(2.0),
        lambda t: np.float64(2.0) * t,
        lambda t: t + np.float64(1.0),
        lambda t: t / np.sqrt(2),
    ],
    ids=["x*np.float64", "np.float64*x", "x+np.float64", "x/np.sqrt(2)"],
)
def test_float32_with_numpy_float64_scalar_stays_float32(fn):
    """tensor.py's ``_operand`` promises numpy scalars act like Python scalars (``x32 * np.float64(2)`` stays
    float32); np.sqrt(2) and friends are np.float64 scalars, common in user code."""
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# --------------------------------------------------------------------------------------------------------
# subgradient conventions at kinks and ties: exact values
# --------------------------------------------------------------------------------------------------------


def test_relu_derivative_at_zero_is_zero():
    x = _leaf([-1.0, 0.0, 2.0, -0.0])
    x.relu().backward(grad=np.array([5.0, 7.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 3.0, 0.0])


def test_abs_derivative_at_zero_is_zero():
    x = _leaf([-1.5, 0.0, 2.0, -0.0])
    x.abs().backward(grad=np.array([5.0, 7.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [-5.0, 0.0, 3.0, 0.0])


@pytest.mark.parametrize(
    ("fn", "a_bar", "b_bar"),
    [
        (lambda a, b: a.maximum(b), [1.0, 4.0, 3.0], [1.0, 0.0, 3.0]),
        (tg.maximum, [1.0, 4.0, 3.0], [1.0, 0.0, 3.0]),
        (lambda a, b: a.minimum(b), [1.0, 0.0, 3.0], [1.0, 4.0, 3.0]),
        (tg.minimum, [1.0, 0.0, 3.0], [1.0, 4.0, 3.0]),
    ],
    ids=["x.maximum", "tg.maximum", "x.minimum", "tg.minimum"],
)
def test_maximum_minimum_ties_share_half(fn, a_bar, b_bar):
    a, b = _leaf([1.0, 2.0, 3.0]), _leaf([1.0, 0.0, 3.0])  # ties at positions 0 and 2
    fn(a, b).backward(grad=np.array([2.0, 4.0, 6.0]))
    np.testing.assert_array_equal(a.grad, a_bar)
    np.testing.assert_array_equal(b.grad, b_bar)


def test_maximum_tie_with_broadcast_scalar_tensor_sums_halves():
    x, c = _leaf([[1.0, 0.0], [1.0, 2.0]]), _leaf([1.0])
    x.maximum(c).backward(grad=np.ones((2, 2)))
    np.testing.assert_array_equal(x.grad, [[0.5, 0.0], [0.5, 1.0]])
    np.testing.assert_array_equal(c.grad, [0.5 + 1.0 + 0.5])


def test_maximum_of_x_with_itself_has_gradient_one():
    x = _leaf([-1.0, 2.0])
    x.maximum(x).backward(grad=np.array([3.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("max", [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
        ("min", [2.0, 1.0, 1.0, 5.0], [0.0, 0.5, 0.5, 0.0]),
        ("max", [4.0, 4.0, 4.0, 4.0], [0.25, 0.25, 0.25, 0.25]),
    ],
)
def test_reduction_ties_share_equally(name, values, expected):
    x = _leaf(values)
    getattr(x, name)().backward()
    np.testing.assert_array_equal(x.grad, expected)


def test_max_ties_share_equally_per_row():
    x = _leaf([[1.0, 3.0, 3.0], [4.0, 4.0, 4.0], [0.0, -1.0, 2.0]])
    x.max(axis=1).backward(grad=np.array([3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 1.5, 1.5], [1.0, 1.0, 1.0], [0.0, 0.0, 3.0]])


def test_clip_passes_gradient_at_the_boundaries():
    """PyTorch's clamp: the gradient passes where lo <= x <= hi, boundaries included."""
    x = _leaf([-1.0, -0.5, 0.0, 1.0, 2.0])
    y = x.clip(-0.5, 1.0)
    np.testing.assert_array_equal(y.data, [-0.5, -0.5, 0.0, 1.0, 1.0])
    y.backward(grad=np.array([2.0, 3.0, 4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 3.0, 4.0, 5.0, 0.0])


@pytest.mark.parametrize(("lo", "hi", "expected"), [(0.0, None, [0.0, 1.0, 1.0]), (None, 0.0, [1.0, 1.0, 0.0])])
def test_one_sided_clip_passes_gradient_at_its_boundary(lo, hi, expected):
    x = _leaf([-1.0, 0.0, 1.0])
    x.clip(lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


def test_clip_with_equal_bounds_passes_gradient_at_that_value():
    x = _leaf([0.5, 1.0, 1.5])
    x.clip(1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_pow_with_exponent_zero_has_zero_gradient_at_zero():
    """d x^0/dx = 0 * x^-1 is 0 * inf = NaN if computed naively; x^0 is constant, so the gradient is 0."""
    x = _leaf([0.0, 2.0, -1.0])
    y = x**0
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 1.0])
    y.backward(grad=np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_pow_tensor_exponent_at_zero_base():
    """d a^b/db = a^b ln a has ln 0 = -inf; its limit at a = 0 (b >= 0) is 0. d a^b/da at b = 0 is 0 too."""
    a, b = _leaf([0.0, 0.0, 0.0, 2.0]), _leaf([0.0, 1.0, 2.0, 0.0])
    y = a**b
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 0.0, 1.0])
    y.backward(grad=np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(b.grad, [0.0, 0.0, 0.0, 4.0 * np.log(2.0)])
    np.testing.assert_array_equal(a.grad, [0.0, 2.0, 0.0, 0.0])  # b a^(b-1): 0 (b=0), 1, 2*0, 0 (b=0)


def test_pow_scalar_zero_base_has_zero_exponent_gradient():
    b = _leaf([0.0, 1.5, 3.0])
    y = 0.0**b
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 0.0])
    y.backward(grad=np.ones(3))
    np.testing.assert_array_equal(b.grad, [0.0, 0.0, 0.0])


# --------------------------------------------------------------------------------------------------------
# numerical stability: inputs of magnitude 1e4 stay finite and exact, forward and backward
# --------------------------------------------------------------------------------------------------------

BIG_ROWS = np.array([[1e4, 1e4 + 1, 1e4 + 2], [-1e4, -1e4 + 1, -1e4 + 2], [1e4, -1e4, 1e4 - 1]])


def _softmax_stable_reference() -> np.ndarray:
    """softmax of BIG_ROWS by shift invariance, softmax(x) = softmax(x - c): written out per row."""
    e = np.exp([0.0, 1.0, 2.0])
    first = e / e.sum()
    third = np.array([1.0, 0.0, np.exp(-1.0)]) / (1 + np.exp(-1.0))  # exp(-2e4) is 0 in float64
    return np.array([first, first, third])


@pytest.fixture
def no_float_errors():
    """Any overflow, 0/0 or log(0) inside the library raises instead of warning."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


@pytest.mark.usefixtures("no_float_errors")
def test_softmax_stable_for_large_inputs():
    s = _softmax_stable_reference()
    G = np.random.default_rng(19).standard_normal((3, 3))
    x = _leaf(BIG_ROWS)
    y = x.softmax(axis=-1)
    np.testing.assert_allclose(y.data, s, rtol=1e-12, atol=1e-300)
    y.backward(grad=G)
    assert np.isfinite(x.grad).all()
    assert_grad(x, s * (G - (G * s).sum(axis=-1, keepdims=True)), rtol=1e-12)


@pytest.mark.usefixtures("no_float_errors")
def test_log_softmax_stable_for_large_inputs():
    s = _softmax_stable_reference()
    G = np.random.default_rng(20).standard_normal((3, 3))
    x = _leaf(BIG_ROWS)
    y = x.log_softmax(axis=-1)
    lse = [
        1e4 + np.log(np.exp([0.0, 1.0, 2.0]).sum()),
        -1e4 + np.log(np.exp([0.0, 1.0, 2.0]).sum()),
        1e4 + np.log1p(np.exp(-1.0)),
    ]
    np.testing.assert_allclose(y.data, BIG_ROWS - np.array(lse)[:, None], rtol=0, atol=1e-10)  # ulp(1e4) ~ 2e-12
    assert np.isfinite(y.data).all()
    y.backward(grad=G)
    assert_grad(x, G - s * G.sum(axis=-1, keepdims=True), rtol=1e-10)


@pytest.mark.usefixtures("no_float_errors")
def test_logsumexp_stable_for_large_inputs():
    G = np.array([2.0, -1.0, 0.5])
    x = _leaf(BIG_ROWS)
    y = x.logsumexp(axis=1)
    expected = [
        1e4 + np.log(np.exp([0.0, 1.0, 2.0]).sum()),
        -1e4 + np.log(np.exp([0.0, 1.0, 2.0]).sum()),
        1e4 + np.log1p(np.exp(-1.0)),
    ]
    np.testing.assert_allclose(y.data, expected, rtol=1e-14)
    y.backward(grad=G)
    assert_grad(x, G[:, None] * _softmax_stable_reference(), rtol=1e-10)  # exp(x - y): y carries ulp(1e4)


def test_logsumexp_of_equal_huge_values():
    x = _leaf([1e4, 1e4])
    y = x.logsumexp()
    np.testing.assert_allclose(y.item(), 1e4 + np.log(2.0), rtol=1e-15)
    y.backward(grad=np.array(3.0))
    np.testing.assert_allclose(x.grad, [1.5, 1.5], rtol=1e-10)  # exp(x - y): y carries ulp(1e4) ~ 2e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_saturates_without_overflow(dtype):
    x = Tensor(np.array([1e4, -1e4, 0.0], dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.backward(grad=np.ones(3, dtype))
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])  # sigma (1 - sigma)
    assert x.grad.dtype == dtype


def test_sigmoid_keeps_tiny_values_for_very_negative_inputs():
    """sigma(-40) = e^-40 / (1 + e^-40): 1 - 1/(1 + e^40) style formulas round it to 0; the value must survive."""
    x = _leaf([-40.0, -700.0])
    y = x.sigmoid()
    np.testing.assert_allclose(y.data, np.exp([-40.0, -700.0]) / (1 + np.exp([-40.0, -700.0])), rtol=1e-12)
    y.backward(grad=np.ones(2))
    np.testing.assert_allclose(x.grad, y.data * (1 - y.data), rtol=1e-12)


@pytest.mark.usefixtures("no_float_errors")
def test_log_softmax_of_a_large_gap_is_exact_where_log_of_softmax_underflows():
    x = _leaf([[0.0, -1e4], [5e3, -5e3]])
    y = x.log_softmax(axis=1)
    np.testing.assert_array_equal(y.data, [[0.0, -1e4], [0.0, -1e4]])  # exact: log(1 + e^-1e4) = 0
    with np.errstate(divide="ignore", under="ignore"):
        naive = np.log(x.softmax(axis=1).data)
    assert np.isneginf(naive[:, 1]).all()  # why log_softmax is a fused primitive
    y.backward(grad=np.array([[1.0, 2.0], [-3.0, 0.5]]))
    # x_bar = G - softmax * sum(G), with softmax = [1, 0] per row
    np.testing.assert_array_equal(x.grad, [[1.0 - 3.0, 2.0], [-3.0 + 2.5, 0.5]])


# --------------------------------------------------------------------------------------------------------
# error messages: they name the shapes, axes or values involved
# --------------------------------------------------------------------------------------------------------


def _names_both(sa: tuple, sb: tuple) -> str:
    return rf"{re.escape(str(sa))}.*{re.escape(str(sb))}"


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((5,), (2, 3)), ((2, 3, 4), (3, 4, 5)), ((2, 2, 3), (3, 3, 2))],
    ids=str,
)
def test_matmul_shape_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError, match=_names_both(sa, sb)):
        Tensor(np.ones(sa)) @ Tensor(np.ones(sb))


def test_matmul_of_0d_says_to_use_multiplication():
    with pytest.raises(ValueError, match=r"at least 1 dimension.*\(\).*use \*"):
        Tensor(2.0) @ Tensor(np.ones(3))


@pytest.mark.parametrize(
    "fn",
    [
        operator.add,
        operator.sub,
        operator.mul,
        operator.truediv,
        operator.pow,
        tg.maximum,
        tg.minimum,
        lambda a, b: tg.where(np.ones((2, 3), bool), a, b),
    ],
    ids=["add", "sub", "mul", "div", "pow", "maximum", "minimum", "where"],
)
def test_binary_broadcast_mismatch_names_both_shapes(fn):
    """DESIGN.md: never let a raw numpy broadcasting error be the user's only clue."""
    with pytest.raises(ValueError, match=_names_both((2, 3), (4,))):
        fn(Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(4)))


def test_reshape_to_incompatible_shape():
    with pytest.raises(ValueError, match=r"cannot reshape .*\(2, 3\).*6 elements.*\(4, 2\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_expand_to_incompatible_shape():
    with pytest.raises(ValueError, match=r"cannot expand .*\(2, 3\).*\(3, 3\)"):
        Tensor(np.ones((2, 3))).expand(3, 3)


@pytest.mark.parametrize("axes", [(0, 0), (0,), (0, 1, 2), (1, 2), (0, -3)], ids=str)
def test_transpose_with_non_permutation(axes):
    with pytest.raises(ValueError, match=r"not a permutation.*\(2, 3\)"):
        Tensor(np.ones((2, 3))).transpose(*axes)


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.sum(axis=2),
        lambda t: t.mean(axis=-3),
        lambda t: t.max(axis=(0, 2)),
        lambda t: t.min(axis=2),
        lambda t: t.logsumexp(axis=2),
        lambda t: t.softmax(axis=2),
        lambda t: t.log_softmax(axis=2),
        lambda t: t.swapaxes(0, 2),
    ],
    ids=["sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax", "swapaxes"],
)
def test_axis_out_of_range(fn):
    with pytest.raises(ValueError, match=r"axis -?[23] .*out of"):
        fn(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("shape", [(0,), (0, 3)])
@pytest.mark.parametrize("name", ["mean", "max", "min", "logsumexp"])
def test_reduction_of_empty_tensor(name, shape):
    with pytest.raises(ValueError, match=rf"{name} of an empty tensor.*{re.escape(str(shape))}"):
        getattr(Tensor(np.ones(shape)), name)()


def test_concatenate_with_mismatched_shapes():
    with pytest.raises(ValueError, match=r"concatenate.*\(2, 3\).*\(2, 4\)"):
        tg.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)


def test_concatenate_with_mismatched_ndim():
    with pytest.raises(ValueError, match=r"concatenate.*\(2, 3\).*\(3,\)"):
        tg.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones(3))])


def test_stack_with_mismatched_shapes():
    with pytest.raises(ValueError, match=r"stack.*one shape.*\(2, 3\).*\(3, 2\)"):
        tg.stack([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2)))])


def test_clip_with_lo_above_hi():
    with pytest.raises(ValueError, match=r"lo <= hi.*lo=2.*hi=1"):
        Tensor(np.ones(3)).clip(2, 1)


def test_clip_with_both_bounds_none():
    with pytest.raises(ValueError, match="at least one of lo and hi"):
        Tensor(np.ones(3)).clip(None, None)


@pytest.mark.parametrize(
    ("index", "pattern"),
    [
        (5, r"index 5 .*out of bounds.*\(2, 3\)"),
        ((slice(None), [0, 7]), r"index 7 .*out of bounds.*\(2, 3\)"),
        ((0, 0, 0), r"too many indices.*\(2, 3\)"),
        (-3, r"index -3 .*out of bounds.*\(2, 3\)"),
    ],
    ids=["int", "int array", "too many", "negative"],
)
def test_index_out_of_range(index, pattern):
    with pytest.raises(IndexError, match=pattern):
        Tensor(np.ones((2, 3)))[index]


# --------------------------------------------------------------------------------------------------------
# linear: the fused affine map of nn.Linear, Y = X W^T + b
# --------------------------------------------------------------------------------------------------------

# shapes of X; _linear_expected is the hand-derived (X_bar, W_bar, b_bar) from X, W and the upstream gradient G:
# Y_nj = sum_i X_ni W_ji + b_j, so X_bar = G W, W_bar_ji = sum_n G_nj X_ni and b_bar_j = sum_n G_nj (n: every
# batch axis)
LINEAR_CASES = {
    "batch (5, 3)": (5, 3),
    "one sample (3,)": (3,),
    "batched (2, 4, 3)": (2, 4, 3),
}


def _linear_expected(x, w, g):
    batch_axes = list(range(g.ndim - 1))
    return g @ w, np.tensordot(g, x, axes=(batch_axes, batch_axes)), g.sum(axis=tuple(batch_axes))


def _apply_linear(x, w, b=None):
    return tg.tensor.apply_op(tg.ops.Linear(), x, w) if b is None else tg.tensor.apply_op(tg.ops.Linear(), x, w, b)


@pytest.mark.parametrize("case", list(LINEAR_CASES))
def test_linear_hand_derived(case):
    rng = np.random.default_rng(40)
    x_np, w_np, b_np = rng.standard_normal(LINEAR_CASES[case]), rng.standard_normal((2, 3)), rng.standard_normal(2)
    x, w, b = _leaf(x_np), _leaf(w_np), _leaf(b_np)
    y = _apply_linear(x, w, b)
    np.testing.assert_allclose(y.data, x_np @ w_np.T + b_np, rtol=RTOL, atol=ATOL)
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    x_bar, w_bar, b_bar = _linear_expected(x_np, w_np, G)
    assert_grad(x, x_bar)
    assert_grad(w, w_bar)
    assert_grad(b, b_bar)


def test_linear_without_bias_and_with_a_constant_input():
    """No bias: two inputs; data that does not require grad gets no gradient (and costs no matmul)."""
    rng = np.random.default_rng(41)
    x_np, w_np = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    x, w = Tensor(x_np), _leaf(w_np)
    y = _apply_linear(x, w)
    G = rng.standard_normal(y.shape)
    y.backward(grad=G)
    assert_grad(w, G.T @ x_np)
    assert x.grad is None


@pytest.mark.parametrize("case", list(LINEAR_CASES))
@pytest.mark.parametrize("bias", [True, False])
def test_linear_equals_the_unfused_composition(case, bias):
    """ops.Linear is x @ W.T + b from MatMul, Transpose and Add, fused: the same values and gradients (float64)."""
    rng = np.random.default_rng(42)
    arrays = rng.standard_normal(LINEAR_CASES[case]), rng.standard_normal((2, 3)), rng.standard_normal(2)
    G = rng.standard_normal((*LINEAR_CASES[case][:-1], 2))
    fused, unfused = [_leaf(a) for a in arrays], [_leaf(a) for a in arrays]
    y_fused = _apply_linear(*(fused if bias else fused[:2]))
    y_unfused = unfused[0] @ unfused[1].T + unfused[2] if bias else unfused[0] @ unfused[1].T
    np.testing.assert_allclose(y_fused.data, y_unfused.data, rtol=1e-12, atol=1e-12)
    y_fused.backward(grad=G)
    y_unfused.backward(grad=G)
    for f, u in zip(fused if bias else fused[:2], unfused if bias else unfused[:2], strict=True):
        np.testing.assert_allclose(f.grad, u.grad, rtol=1e-12, atol=1e-12)


def test_nn_linear_is_one_fused_node_with_unchanged_gradients():
    tg.manual_seed(0)
    layer = tg.nn.Linear(3, 2, dtype=np.float64)
    x_np = np.random.default_rng(43).standard_normal((4, 3))
    y = layer(Tensor(x_np, requires_grad=True))
    assert isinstance(y.grad_fn, tg.ops.Linear) and y.inputs[1:] == (layer.weight, layer.bias)
    y.sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.ones((4, 2)).T @ x_np, rtol=RTOL)
    np.testing.assert_allclose(layer.bias.grad, [4.0, 4.0])
    no_bias = tg.nn.Linear(3, 2, bias=False)
    assert len(no_bias(Tensor(x_np, dtype=np.float32)).inputs) == 2


@st.composite
def _linear_operands(draw):
    """X of shape (..., in) (one sample, a batch or batched batches), W (out, in), and a bias or none."""
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    batch = draw(shapes(min_dims=0, max_dims=2, max_side=3))
    operands = [draw(tensors((*batch, n_in))), draw(tensors((n_out, n_in)))]
    if draw(st.booleans()):
        operands.append(draw(tensors((n_out,))))
    return operands


@given(operands=_linear_operands())
def test_linear_matches_finite_differences(operands):
    x, w, *b = operands
    expected = x.data @ w.data.T + (b[0].data if b else 0)
    np.testing.assert_allclose(_apply_linear(*operands).data, expected, rtol=RTOL, atol=ATOL)
    assert_grad_close(_apply_linear, *operands)


def test_linear_float32_stays_float32_and_a_float64_bias_promotes_like_numpy():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    y = _apply_linear(x, w, Tensor(np.ones(4, np.float32), requires_grad=True))
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32
    b64 = Tensor(np.ones(4), requires_grad=True)
    y64 = _apply_linear(x, w, b64)
    assert y64.dtype == np.float64  # as x @ w.T + b64 would be
    y64.sum().backward()
    assert b64.grad.dtype == np.float64 and w.grad.dtype == np.float32


@pytest.mark.parametrize(
    ("sx", "sw", "sb", "pattern"),
    [
        ((2, 3), (4, 5), None, r"inputs of shape \(2, 3\) do not fit a weight of shape \(4, 5\)"),
        ((2, 3), (3,), None, r"weight must be \(out_features, in_features\)"),
        ((), (4, 3), None, r"inputs of shape \(\)"),
        ((2, 3), (4, 3), (3,), r"bias must have shape \(4,\), got \(3,\)"),
    ],
)
def test_linear_with_mismatched_shapes(sx, sw, sb, pattern):
    operands = [Tensor(np.ones(sx)), Tensor(np.ones(sw))] + ([Tensor(np.ones(sb))] if sb else [])
    with pytest.raises(ValueError, match=pattern):
        _apply_linear(*operands)
