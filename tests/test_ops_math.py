"""Issue 18, math: the elementwise functions users reach for.

The unary primitives (sin ... erf, sign/floor/ceil/round) and the composites log2, log10, exp2, square and
reciprocal have rows in ``UNARY`` of tests/test_ops.py: there each one is checked against its hand-derived
derivative, against finite differences over Hypothesis shapes, for float32, and (tests/test_second_order.py)
against its hand-derived second derivative. This file checks the rest:

* the binary primitives ``logaddexp`` and ``hypot``: hand-derived gradients with broadcasting, Hypothesis
  finite differences over broadcast shapes and with a Python scalar on either side, hand-derived Hessians,
  stability for huge inputs, ``hypot``'s subgradient at the origin;
* accuracy: ``erf`` against ``math.erf``, ``log1p``/``expm1`` for tiny inputs;
* the zero-gradient convention of sign/floor/ceil/round, exactly at their jumps;
* ``isnan isinf isfinite isclose`` and ``any``/``all`` with ``axis``/``keepdims``: values against numpy, no graph;
* errors that name the shapes and axes;
* PyTorch parity of values, gradients and second derivatives (float64), where torch is installed.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.testing import (
    assert_grad_close,
    assert_gradgrad_close,
    assert_hessian_close,
    broadcastable_shapes,
    elements,
    shapes,
    tensors,
)

try:  # torch is optional (not installed in CI): the parity tests are skipped without it
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")

RTOL, ATOL = 1e-9, 1e-12


def leaf(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient of the broadcast result back to an operand's shape (written from the definition)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1), keepdims=True)


# --------------------------------------------------------------------------------------------------------
# logaddexp and hypot: binary, broadcasting
# --------------------------------------------------------------------------------------------------------


def _lae_da(a, b):
    return np.exp(a - np.logaddexp(a, b))  # d/da log(e^a + e^b) = e^a / (e^a + e^b)


def _hyp_da(a, b):
    return a / np.hypot(a, b)  # d/da sqrt(a^2 + b^2) = a / sqrt(a^2 + b^2)


# (name, function, numpy forward, da, db, domain of a, domain of b)
BINARY = [
    ("x.logaddexp(y)", lambda a, b: a.logaddexp(b), np.logaddexp, _lae_da, lambda a, b: _lae_da(b, a), "real", "real"),
    ("tg.logaddexp", tg.logaddexp, np.logaddexp, _lae_da, lambda a, b: _lae_da(b, a), "real", "real"),
    ("x.hypot(y)", lambda a, b: a.hypot(b), np.hypot, _hyp_da, lambda a, b: _hyp_da(b, a), "nonzero", "real"),
    ("tg.hypot", tg.hypot, np.hypot, _hyp_da, lambda a, b: _hyp_da(b, a), "real", "nonzero"),
]
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3, 4)), ((3, 1), (1, 4))]


def _sample(domain: str, shape, rng) -> np.ndarray:
    if domain == "real":
        return rng.uniform(-2, 2, shape)
    return rng.uniform(0.5, 2, shape) * rng.choice([-1.0, 1.0], shape)  # "nonzero"


@pytest.mark.parametrize("shapes_ab", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", BINARY, ids=lambda op: op[0])
def test_binary_hand_derived_with_broadcasting(op, shapes_ab):
    _, fn, forward, da, db, dom_a, dom_b = op
    sa, sb = shapes_ab
    rng = np.random.default_rng(3)
    a_np, b_np = _sample(dom_a, sa, rng), _sample(dom_b, sb, rng)
    G = rng.standard_normal(np.broadcast_shapes(sa, sb))
    a, b = leaf(a_np), leaf(b_np)
    y = fn(a, b)
    np.testing.assert_allclose(y.data, forward(a_np, b_np), rtol=RTOL, atol=ATOL)
    y.backward(grad=G)
    np.testing.assert_allclose(a.grad, _sum_to(G * da(a_np, b_np), sa), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(b.grad, _sum_to(G * db(a_np, b_np), sb), rtol=RTOL, atol=ATOL)
    assert a.grad.shape == sa and b.grad.shape == sb


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op[0])
@given(data=st.data())
def test_binary_broadcast_matches_finite_differences(op, data):
    _, fn, forward, _, _, dom_a, dom_b = op
    sa, sb = data.draw(broadcastable_shapes(2), label="shapes")
    a = data.draw(tensors(sa, domain=dom_a), label="a")
    b = data.draw(tensors(sb, domain=dom_b), label="b")
    np.testing.assert_allclose(fn(a, b).data, forward(a.data, b.data), rtol=RTOL, atol=ATOL)
    assert_grad_close(fn, a, b)


@pytest.mark.parametrize("name", ["logaddexp", "hypot"])
@pytest.mark.parametrize("side", ["left", "right"])
@given(data=st.data())
def test_binary_with_python_scalar_matches_finite_differences(name, side, data):
    c = data.draw(elements("nonzero"), label="c")
    x = data.draw(tensors(domain="nonzero"), label="x")
    fn = getattr(tg, name)
    f = (lambda t: fn(c, t)) if side == "left" else (lambda t: fn(t, c))
    expected = getattr(np, name)(c, x.data)  # both are symmetric
    np.testing.assert_allclose(f(x).data, expected, rtol=RTOL, atol=ATOL)
    assert_grad_close(f, x)


@pytest.mark.parametrize("name", ["logaddexp", "hypot"])
@given(data=st.data())
def test_binary_second_derivatives_match_finite_differences(name, data):
    sa, sb = data.draw(broadcastable_shapes(2, max_dims=2, max_side=3), label="shapes")
    a = data.draw(tensors(sa, domain="nonzero"), label="a")
    b = data.draw(tensors(sb, domain="nonzero"), label="b")
    assert_gradgrad_close(getattr(tg, name), a, b)


def test_logaddexp_hessian_hand_derived():
    # f = sum_i logaddexp(a_i, b_i), p = e^(a - f_i), q = e^(b - f_i) = 1 - p:
    # d2f/da_i^2 = d2f/db_i^2 = p q, d2f/da_i db_i = -p q, nothing across elements
    rng = np.random.default_rng(5)
    a_np, b_np = rng.uniform(-2, 2, 3), rng.uniform(-2, 2, 3)
    p = np.exp(a_np - np.logaddexp(a_np, b_np))
    D = np.diag(p * (1 - p))
    expected = np.block([[D, -D], [-D, D]])
    H = assert_hessian_close(lambda a, b: tg.logaddexp(a, b).sum(), leaf(a_np), leaf(b_np), expected=expected)
    np.testing.assert_allclose(H, expected, rtol=RTOL, atol=ATOL)


def test_hypot_hessian_hand_derived():
    # r = sqrt(a^2 + b^2): d2r/da^2 = b^2 / r^3, d2r/db^2 = a^2 / r^3, d2r/da db = -a b / r^3
    rng = np.random.default_rng(6)
    a_np, b_np = rng.uniform(0.5, 2, 3), -rng.uniform(0.5, 2, 3)
    r3 = np.hypot(a_np, b_np) ** 3
    expected = np.block(
        [[np.diag(b_np**2 / r3), np.diag(-a_np * b_np / r3)], [np.diag(-a_np * b_np / r3), np.diag(a_np**2 / r3)]]
    )
    H = assert_hessian_close(lambda a, b: tg.hypot(a, b).sum(), leaf(a_np), leaf(b_np), expected=expected)
    np.testing.assert_allclose(H, expected, rtol=RTOL, atol=ATOL)


def test_logaddexp_is_stable_for_huge_inputs():
    a, b = leaf([1e4, -1e4, 1e4, 0.0]), leaf([1e4, -1e4, -1e4, -1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no invalid value
        y = tg.logaddexp(a, b)
        y.sum().backward()
    np.testing.assert_allclose(y.data, [1e4 + np.log(2), -1e4 + np.log(2), 1e4, 0.0], rtol=1e-15)
    np.testing.assert_allclose(a.grad, [0.5, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 0.5, 0.0, 0.0])


def test_hypot_does_not_overflow_and_has_zero_gradient_at_the_origin():
    a, b = leaf([3e200, 0.0, 0.0, 3.0]), leaf([4e200, 0.0, -2.0, 4.0])
    y = tg.hypot(a, b)
    y.sum().backward()
    np.testing.assert_allclose(y.data, [5e200, 0.0, 2.0, 5.0])
    # at the origin the subgradient 0 (hypot(a, 0) = |a| and |x|'(0) = 0); hypot(0, b) = |b|: sign(b)
    np.testing.assert_allclose(a.grad, [0.6, 0.0, 0.0, 0.6])
    np.testing.assert_allclose(b.grad, [0.8, 0.0, -1.0, 0.8])
    assert np.all(np.isfinite(a.grad)) and np.all(np.isfinite(b.grad))


@pytest.mark.parametrize("name", ["logaddexp", "hypot"])
def test_binary_float32_stays_float32(name):
    a = Tensor(np.array([[0.5, -1.0, 2.0]], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([[1.5], [-0.7]], dtype=np.float32), requires_grad=True)
    y = getattr(tg, name)(a, b)
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


@pytest.mark.parametrize("name", ["logaddexp", "hypot", "isclose"])
def test_binary_shape_mismatch_names_the_shapes(name):
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.zeros((4,)))
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) cannot be broadcast together.*reshape"):
        getattr(a, name)(b)


# --------------------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------------------


def test_erf_matches_math_erf():
    x = np.concatenate(
        [np.linspace(-6, 6, 2001), [0.0, -0.0, 1e-300, -1e-12, 1e-8, 0.5, 3.5, 27.0, -27.0, np.inf, -np.inf]]
    )
    got = Tensor(x).erf().data
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_array_equal(got, expected)  # the same function: bit for bit
    assert np.isnan(Tensor([np.nan]).erf().item())


def test_erf_keeps_float32_and_shape():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    y = Tensor(x).erf()
    assert y.dtype == np.float32 and y.shape == (2, 3, 4)
    np.testing.assert_allclose(y.data, np.vectorize(math.erf)(x.astype(np.float64)), rtol=1e-6, atol=1e-7)
    assert Tensor(np.float64(0.3)).erf().shape == ()
    assert Tensor(np.array([1, 2])).erf().dtype == np.float64  # integers become float64, like numpy's ufuncs


def test_erf_gradient_at_zero_and_far_out():
    x = leaf([0.0, 10.0, -30.0])
    x.erf().sum().backward()
    np.testing.assert_allclose(x.grad, [2 / math.sqrt(math.pi), 2 / math.sqrt(math.pi) * math.exp(-100), 0.0])


def test_log1p_and_expm1_are_accurate_for_tiny_inputs():
    x = leaf([1e-12, -1e-15, 1e-300])
    np.testing.assert_allclose(x.log1p().data, [1e-12 - 5e-25, -1e-15, 1e-300], rtol=1e-15)
    np.testing.assert_allclose(x.expm1().data, [1e-12 + 5e-25, -1e-15, 1e-300], rtol=1e-15)
    assert (x.log1p().data != 0).all() and (x.expm1().data != 0).all()  # log(1 + x) and exp(x) - 1 give 0 here


# --------------------------------------------------------------------------------------------------------
# piecewise-constant functions: derivative 0, at the jumps too
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("sign", [-2.0, -0.0, 0.0, 3.0], [-1.0, 0.0, 0.0, 1.0]),
        ("floor", [-1.5, -1.0, 0.0, 1.0, 1.5], [-2.0, -1.0, 0.0, 1.0, 1.0]),
        ("ceil", [-1.5, -1.0, 0.0, 1.0, 1.5], [-1.0, -1.0, 0.0, 1.0, 2.0]),
        ("round", [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49], [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 0.0]),  # halves to even
    ],
)
def test_piecewise_constant_values_and_zero_gradient_at_the_jumps(name, values, expected):
    x = leaf(values)
    y = getattr(x, name)()
    np.testing.assert_array_equal(y.data, expected)
    assert y.requires_grad  # on the graph, so that a sum with other terms still backpropagates through them
    (y * 3 + x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(len(values)))  # only the "+ x" term contributes


def test_round_with_decimals_and_its_errors():
    x = leaf([1.2345, -0.055, 12.5])
    np.testing.assert_array_equal(x.round(2).data, np.round([1.2345, -0.055, 12.5], 2))
    np.testing.assert_array_equal(x.round(-1).data, [0.0, -0.0, 10.0])
    with pytest.raises(TypeError, match=r"round: decimals must be an int, got 1.5 \(float\)"):
        x.round(1.5)
    with pytest.raises(TypeError, match="decimals must be an int, got True"):
        x.round(True)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round"])
def test_piecewise_constant_keeps_dtype_and_has_zero_second_derivative(name):
    x = Tensor(np.array([0.3, -1.7], dtype=np.float32), requires_grad=True)
    y = getattr(x, name)()
    assert y.dtype == np.float32
    (g,) = tg.grad((getattr(x, name)() * x * x).sum(), x, create_graph=True)  # d/dx [s(x) x^2] = 2 s(x) x
    np.testing.assert_allclose(g.data, 2 * y.data * x.data)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h, 2 * y.data)  # d2/dx2 = 2 s(x): no term from s'(x) = 0


# --------------------------------------------------------------------------------------------------------
# predicates and logical reductions: boolean Tensors, no graph
# --------------------------------------------------------------------------------------------------------

SPECIAL = np.array([[1.0, np.nan, np.inf], [-np.inf, 0.0, -2.5]])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_predicates_match_numpy_and_do_not_require_grad(name):
    x = leaf(SPECIAL)
    y = getattr(x, name)()
    np.testing.assert_array_equal(y.data, getattr(np, name)(SPECIAL))
    assert y.dtype == np.bool_
    assert not y.requires_grad and y.grad_fn is None


def test_isclose_matches_numpy_with_broadcasting_and_options():
    a = leaf([[1.0, 1.0 + 1e-6, np.nan], [0.0, 1e-9, 2.0]])
    b = np.array([1.0, 1.0, np.nan])
    for kwargs in ({}, {"rtol": 1e-8, "atol": 0.0}, {"equal_nan": True}, {"atol": 0.5}):
        got = a.isclose(Tensor(b), **kwargs)
        np.testing.assert_array_equal(got.data, np.isclose(a.data, b, **kwargs))
        assert got.dtype == np.bool_ and not got.requires_grad and got.grad_fn is None
    np.testing.assert_array_equal(a.isclose(2.0).data, np.isclose(a.data, 2.0))  # a Python number
    np.testing.assert_array_equal(a.isclose(b).data, np.isclose(a.data, b))  # a numpy array


@pytest.mark.parametrize("name", ["any", "all"])
@given(data=st.data())
def test_any_all_with_axis_and_keepdims_match_numpy(name, data):
    shape = data.draw(shapes(min_dims=1), label="shape")
    x_np = data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    x = Tensor(np.array(x_np).reshape(shape), requires_grad=True)
    ndim = len(shape)
    axis = data.draw(
        st.one_of(
            st.integers(-ndim, ndim - 1),
            st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple),
        ),
        label="axis",
    )
    keepdims = data.draw(st.booleans(), label="keepdims")
    got = getattr(x, name)(axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x.data, axis=axis, keepdims=keepdims)
    assert isinstance(got, Tensor) and got.dtype == np.bool_ and not got.requires_grad
    np.testing.assert_array_equal(got.data, expected)
    assert got.shape == np.shape(expected)


def test_any_all_without_arguments_still_return_bool():
    x = Tensor([[0.0, 1.0], [0.0, 0.0]])
    assert x.any() is True and x.all() is False
    np.testing.assert_array_equal(x.any(axis=1).data, [True, False])
    np.testing.assert_array_equal(x.all(axis=0, keepdims=True).data, [[False, False]])
    kept = x.any(keepdims=True)  # keepdims alone: a (1, 1) Tensor, as numpy
    assert isinstance(kept, Tensor) and kept.shape == (1, 1) and kept.item() is True


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_bad_axis_and_keepdims_errors(name):
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range .*shape \(2, 3\).*from -2 to 1"):
        getattr(x, name)(axis=2)
    with pytest.raises(ValueError, match=rf"{name}: repeated axis"):
        getattr(x, name)(axis=(0, -2))
    with pytest.raises(TypeError, match=rf"{name}: axis must be an int, a tuple of ints or None, got 'rows'"):
        getattr(x, name)(axis="rows")
    with pytest.raises(TypeError, match="keepdims must be True or False, got 'yes'"):
        getattr(x, name)(axis=0, keepdims="yes")


# --------------------------------------------------------------------------------------------------------
# the methods, the module functions and the aliases
# --------------------------------------------------------------------------------------------------------


def test_pytorch_aliases_are_the_numpy_methods():
    x = leaf([0.3, -0.2])
    for alias, name in (("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"), ("atanh", "arctanh")):
        np.testing.assert_array_equal(getattr(x, alias)().data, getattr(x, name)().data)
        assert getattr(Tensor, alias) is getattr(Tensor, name)


def test_module_functions_accept_arrays_and_scalars():
    y = tg.logaddexp(np.array([0.0, 1.0]), Tensor([1.0, 0.0], dtype=np.float64))
    np.testing.assert_allclose(y.data, np.logaddexp([0.0, 1.0], [1.0, 0.0]))
    np.testing.assert_allclose(tg.hypot(3.0, Tensor([4.0])).data, [5.0])
    assert "logaddexp" in tg.__all__ and "hypot" in tg.__all__


def test_out_of_domain_gives_nan_like_numpy():
    with np.errstate(invalid="ignore"):
        assert np.isnan(Tensor([2.0]).arcsin().item()) and np.isnan(Tensor([-1.5]).log1p().item())


def test_composites_are_built_from_existing_primitives():
    x = leaf([0.5])
    assert type(x.log2().grad_fn).__name__ == "Mul"  # log(x) * (1 / ln 2)
    assert type(x.exp2().grad_fn).__name__ == "Exp"  # exp(x ln 2)
    assert type(x.square().grad_fn).__name__ == "Mul"
    assert type(x.reciprocal().grad_fn).__name__ == "Div"


# --------------------------------------------------------------------------------------------------------
# PyTorch parity: values, gradients and second derivatives in float64
# --------------------------------------------------------------------------------------------------------

_R = np.random.default_rng(18)
_UNIT = _R.uniform(-0.9, 0.9, 7)
_REAL = np.concatenate([_R.uniform(-3, 3, 7), [0.0]])
_JUMPS = np.array([-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 0.3])

# (name, ours, theirs, input)
UNARY_PARITY = [
    ("sin", lambda t: t.sin(), "sin", _REAL),
    ("cos", lambda t: t.cos(), "cos", _REAL),
    ("tan", lambda t: t.tan(), "tan", _UNIT),
    ("arcsin", lambda t: t.arcsin(), "arcsin", _UNIT),
    ("arccos", lambda t: t.arccos(), "arccos", _UNIT),
    ("arctan", lambda t: t.arctan(), "arctan", _REAL),
    ("sinh", lambda t: t.sinh(), "sinh", _REAL),
    ("cosh", lambda t: t.cosh(), "cosh", _REAL),
    ("arctanh", lambda t: t.arctanh(), "arctanh", _UNIT),
    ("log1p", lambda t: t.log1p(), "log1p", _R.uniform(-0.5, 2, 7)),
    ("expm1", lambda t: t.expm1(), "expm1", _REAL),
    ("log2", lambda t: t.log2(), "log2", _R.uniform(0.2, 3, 7)),
    ("log10", lambda t: t.log10(), "log10", _R.uniform(0.2, 3, 7)),
    ("exp2", lambda t: t.exp2(), "exp2", _REAL),
    ("square", lambda t: t.square(), "square", _REAL),
    ("reciprocal", lambda t: t.reciprocal(), "reciprocal", _R.uniform(0.5, 2, 7) * np.array([1, -1] * 3 + [1])),
    ("erf", lambda t: t.erf(), "erf", _REAL),
    ("sign", lambda t: t.sign(), "sign", _JUMPS),
    ("floor", lambda t: t.floor(), "floor", _JUMPS),
    ("ceil", lambda t: t.ceil(), "ceil", _JUMPS),
    ("round", lambda t: t.round(), "round", _JUMPS),
]


def _torch_grads(fn, arrays, G):
    """Values, gradients and (with a second pass) d/dx of sum(grad * W) from torch, float64."""
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*xs)
    grads = torch.autograd.grad(y, xs, torch.tensor(G), create_graph=True)
    W = np.random.default_rng(1).standard_normal(arrays[0].shape)
    if any(g.requires_grad for g in grads):
        second = torch.autograd.grad(sum((g * torch.tensor(W)).sum() for g in grads), xs, allow_unused=True)
        second = [np.zeros_like(a) if s is None else s.numpy() for s, a in zip(second, arrays, strict=True)]
    else:  # piecewise-constant ops: torch's gradient is a constant (0), so is its derivative
        second = [np.zeros_like(a) for a in arrays]
    return y.detach().numpy(), [g.detach().numpy() for g in grads], second, W


def _our_grads(fn, arrays, G, W):
    xs = [leaf(a) for a in arrays]
    y = fn(*xs)
    grads = tg.grad(y, xs, grad_outputs=G, create_graph=True)
    total = sum((g * Tensor(W)).sum() for g in grads)
    second = tg.grad(total, xs) if total.requires_grad else [None] * len(xs)
    second = [np.zeros_like(a) if s is None else np.asarray(s) for s, a in zip(second, arrays, strict=True)]
    return y.data, [np.asarray(g.data) for g in grads], second


@needs_torch
@pytest.mark.parametrize(("name", "ours", "theirs", "x"), UNARY_PARITY, ids=[c[0] for c in UNARY_PARITY])
def test_unary_values_gradients_and_second_derivatives_equal_pytorch(name, ours, theirs, x):
    G = np.random.default_rng(2).standard_normal(x.shape)
    y_t, g_t, h_t, W = _torch_grads(getattr(torch, theirs), [x], G)
    y, g, h = _our_grads(ours, [x], G, W)
    np.testing.assert_allclose(y, y_t, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g[0], g_t[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h[0], h_t[0], rtol=1e-11, atol=1e-13)


BINARY_PARITY = [
    ("logaddexp", tg.logaddexp, torch.logaddexp if torch else None, [_R.normal(size=(3, 1)) * 3, _R.normal(size=(4,))]),
    ("logaddexp_huge", tg.logaddexp, torch.logaddexp if torch else None, [np.array([1e4, -1e4]), np.array([1e4, 5.0])]),
    ("hypot", tg.hypot, torch.hypot if torch else None, [_R.normal(size=(3, 1)) * 3, _R.normal(size=(4,))]),
]


@needs_torch
@pytest.mark.parametrize(("name", "ours", "theirs", "arrays"), BINARY_PARITY, ids=[c[0] for c in BINARY_PARITY])
def test_binary_values_gradients_and_second_derivatives_equal_pytorch(name, ours, theirs, arrays):
    G = np.random.default_rng(3).standard_normal(np.broadcast_shapes(*(a.shape for a in arrays)))
    y_t, g_t, h_t, W = _torch_grads(theirs, arrays, G)
    y, g, h = _our_grads(ours, arrays, G, W)
    np.testing.assert_allclose(y, y_t, rtol=1e-13, atol=1e-15)
    for ours_k, theirs_k in zip(g, g_t, strict=True):
        np.testing.assert_allclose(ours_k, theirs_k, rtol=1e-11, atol=1e-13)
    if name.endswith("_huge"):  # torch's second derivative of logaddexp is NaN at 1e4; ours stays finite
        assert all(np.all(np.isfinite(k)) for k in h)
        return
    for ours_k, theirs_k in zip(h, h_t, strict=True):
        np.testing.assert_allclose(ours_k, theirs_k, rtol=1e-11, atol=1e-13)


@needs_torch
def test_predicates_and_logical_reductions_equal_pytorch():
    t = torch.tensor(SPECIAL)
    x = Tensor(SPECIAL)
    for name in ("isnan", "isinf", "isfinite"):
        np.testing.assert_array_equal(getattr(x, name)().data, getattr(torch, name)(t).numpy())
    np.testing.assert_array_equal(x.isclose(1.0).data, torch.isclose(t, torch.tensor(1.0, dtype=t.dtype)).numpy())
    b = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(Tensor(b).any(axis=1).data, torch.tensor(b).bool().any(dim=1).numpy())
    np.testing.assert_array_equal(
        Tensor(b).all(axis=0, keepdims=True).data, torch.tensor(b).bool().all(dim=0, keepdim=True).numpy()
    )


def test_sign_of_integers_and_booleans():
    np.testing.assert_array_equal(Tensor(np.array([-3, 0, 2])).sign().data, [-1, 0, 1])
    y = Tensor(np.array([True, False])).sign()
    assert y.dtype == np.bool_ and y.tolist() == [True, False]  # numpy has no boolean sign; PyTorch keeps them
