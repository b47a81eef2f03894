"""Issue 18, activations: leaky_relu, elu, selu, gelu (exact and tanh), silu, softplus, logsigmoid, hardtanh,
relu6 and mish, as Tensor methods, ``tg.nn.functional`` functions and ``tg.nn`` modules.

Each one is checked against its hand-derived first derivative (and second, where it has a short formula),
against finite differences over Hypothesis shapes (values drawn away from the kinks), for float32, at its kinks
(the documented subgradient, which is PyTorch's), for huge inputs (no overflow, no warning), and against PyTorch
(values, gradients and second derivatives, float64, kinks included) where torch is installed. The modules are
checked against the functions and against PyTorch's defaults; bad arguments raise errors that name them.
"""

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.testing import assert_grad_close, assert_gradgrad_close, elements, tensors

try:  # torch is optional (not installed in CI): the parity tests are skipped without it
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")

F = tg.nn.functional
RTOL, ATOL = 1e-9, 1e-12
ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946  # SELU's, from the paper
C = math.sqrt(2 / math.pi)  # gelu's tanh approximation: tanh(C (x + 0.044715 x^3))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _Phi(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _phi(x):
    return np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(C * (x + 0.044715 * x**3)))


def _gelu_tanh_d(x):
    t = np.tanh(C * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * C * (1 + 3 * 0.044715 * x**2)


def _mish_d(x):
    t = np.tanh(_softplus(x))
    return t + x * _sig(x) * (1 - t**2)  # d softplus = sigmoid


class Act(NamedTuple):
    name: str
    fn: Callable[[Tensor], Tensor]  # ours
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]  # hand-derived
    second: Callable[[np.ndarray], np.ndarray] | None  # hand-derived d2y/dx2, or None (gradgradcheck and torch)
    kinked: bool  # draw values off the grid of kinks (multiples of 1/16 shifted by 1/32) for finite differences
    torch_fn: Callable[[Any], Any]


def _zero(x):
    return np.zeros_like(x)


ACTS = [
    Act(
        "leaky_relu",
        lambda t: t.leaky_relu(),
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: np.where(x > 0, 1.0, 0.01),
        _zero,
        True,
        lambda t: torch.nn.functional.leaky_relu(t),
    ),
    Act(
        "leaky_relu(0.2)",
        lambda t: F.leaky_relu(t, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        lambda x: np.where(x > 0, 1.0, 0.2),
        _zero,
        True,
        lambda t: torch.nn.functional.leaky_relu(t, 0.2),
    ),
    Act(
        "elu",
        lambda t: t.elu(),
        lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 0.0, np.exp(np.minimum(x, 0))),
        True,
        lambda t: torch.nn.functional.elu(t),
    ),
    Act(
        "elu(0.5)",
        lambda t: F.elu(t, alpha=0.5),
        lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 0.0, 0.5 * np.exp(np.minimum(x, 0))),
        True,
        lambda t: torch.nn.functional.elu(t, alpha=0.5),
    ),
    Act(
        "selu",
        lambda t: t.selu(),
        lambda x: SCALE * np.where(x > 0, x, ALPHA * np.expm1(np.minimum(x, 0))),
        lambda x: SCALE * np.where(x > 0, 1.0, ALPHA * np.exp(np.minimum(x, 0))),
        lambda x: SCALE * np.where(x > 0, 0.0, ALPHA * np.exp(np.minimum(x, 0))),
        True,
        lambda t: torch.nn.functional.selu(t),
    ),
    Act(
        "gelu",
        lambda t: t.gelu(),
        lambda x: x * _Phi(x),
        lambda x: _Phi(x) + x * _phi(x),  # d/dx x Phi(x) = Phi + x phi
        lambda x: _phi(x) * (2 - x**2),  # phi' = -x phi
        False,
        lambda t: torch.nn.functional.gelu(t),
    ),
    Act(
        "gelu_tanh",
        lambda t: F.gelu(t, approximate="tanh"),
        _gelu_tanh,
        _gelu_tanh_d,
        None,
        False,
        lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    ),
    Act(
        "silu",
        lambda t: t.silu(),
        lambda x: x * _sig(x),
        lambda x: _sig(x) * (1 + x * (1 - _sig(x))),
        lambda x: _sig(x) * (1 - _sig(x)) * (2 + x * (1 - 2 * _sig(x))),
        False,
        lambda t: torch.nn.functional.silu(t),
    ),
    Act(
        "softplus",
        lambda t: t.softplus(),
        _softplus,
        _sig,
        lambda x: _sig(x) * (1 - _sig(x)),
        False,
        lambda t: torch.nn.functional.softplus(t),
    ),
    Act(
        "softplus(beta=2, threshold=3)",  # the linear regime from x > 1.5 on
        lambda t: F.softplus(t, beta=2.0, threshold=3.0),
        lambda x: _softplus(x, 2.0, 3.0),
        lambda x: np.where(2 * x > 3, 1.0, _sig(2 * x)),
        lambda x: np.where(2 * x > 3, 0.0, 2 * _sig(2 * x) * (1 - _sig(2 * x))),
        True,
        lambda t: torch.nn.functional.softplus(t, beta=2.0, threshold=3.0),
    ),
    Act(
        "logsigmoid",
        lambda t: t.logsigmoid(),
        lambda x: np.log(_sig(x)),
        lambda x: 1 - _sig(x),
        lambda x: -_sig(x) * (1 - _sig(x)),
        False,
        lambda t: torch.nn.functional.logsigmoid(t),
    ),
    Act(
        "hardtanh",
        lambda t: t.hardtanh(),
        lambda x: np.clip(x, -1, 1),
        lambda x: ((x > -1) & (x < 1)) * 1.0,
        _zero,
        True,
        lambda t: torch.nn.functional.hardtanh(t),
    ),
    Act(
        "hardtanh(-0.5, 1.5)",
        lambda t: F.hardtanh(t, min_val=-0.5, max_val=1.5),
        lambda x: np.clip(x, -0.5, 1.5),
        lambda x: ((x > -0.5) & (x < 1.5)) * 1.0,
        _zero,
        True,
        lambda t: torch.nn.functional.hardtanh(t, min_val=-0.5, max_val=1.5),
    ),
    Act(
        "relu6(4x)",  # scaled so that the kink at 6 is inside the drawn values
        lambda t: (t * 4).relu6(),
        lambda x: np.clip(4 * x, 0, 6),
        lambda x: 4.0 * ((4 * x > 0) & (4 * x < 6)),
        _zero,
        True,
        lambda t: torch.nn.functional.relu6(t * 4),
    ),
    Act(
        "mish",
        lambda t: t.mish(),
        lambda x: x * np.tanh(_softplus(x)),
        _mish_d,
        None,
        False,
        lambda t: torch.nn.functional.mish(t),
    ),
]
IDS = [a.name for a in ACTS]


def _values(kinked: bool, shape, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kinked:  # multiples of 1/16 shifted by 1/32 in [-2, 2]: never 0, +-1, +-0.5, 1.5 (or 6 after x4)
        return rng.integers(-32, 32, shape) / 16 + 1 / 32
    return rng.uniform(-3, 3, shape)


def _elements(kinked: bool):
    return elements("grid", offset=1 / 32) if kinked else elements("real")


def leaf(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --------------------------------------------------------------------------------------------------------
# derivatives: hand-derived, finite differences, second order
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_hand_derived_derivative(act):
    x_np = _values(act.kinked, (3, 4))
    G = np.random.default_rng(1).standard_normal((3, 4))
    x = leaf(x_np)
    y = act.fn(x)
    np.testing.assert_allclose(y.data, act.forward(x_np), rtol=RTOL, atol=ATOL)
    y.backward(grad=G)
    assert x.grad.shape == x.shape and x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, G * act.derivative(x_np), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
@given(data=st.data())
def test_matches_finite_differences(act, data):
    x = data.draw(tensors(elements=_elements(act.kinked)), label="x")
    np.testing.assert_allclose(act.fn(x).data, act.forward(x.data), rtol=RTOL, atol=ATOL)
    assert_grad_close(act.fn, x)


@pytest.mark.parametrize("act", [a for a in ACTS if a.second is not None], ids=lambda a: a.name)
def test_hand_derived_second_derivative(act):
    x_np = _values(act.kinked, (2, 3), seed=2)
    G = np.random.default_rng(3).standard_normal((2, 3))
    x = leaf(x_np)
    (g,) = tg.grad(act.fn(x), x, grad_outputs=G, create_graph=True)
    np.testing.assert_allclose(g.data, G * act.derivative(x_np), rtol=RTOL, atol=ATOL)
    if not g.requires_grad:  # piecewise linear: the gradient is a constant
        np.testing.assert_array_equal(act.second(x_np), 0)
        return
    (h,) = tg.grad(g.sum(), x)
    h = np.zeros_like(x_np) if h is None else np.asarray(h)
    np.testing.assert_allclose(h, G * act.second(x_np), rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
@given(data=st.data())
def test_second_derivative_matches_finite_differences(act, data):
    x = data.draw(tensors(elements=_elements(act.kinked), shape=st.sampled_from([(3,), (2, 2)])), label="x")
    assert_gradgrad_close(act.fn, x)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_float32_stays_float32(act):
    x_np = _values(act.kinked, (2, 3), seed=4)
    x = Tensor(x_np.astype(np.float32), requires_grad=True)
    y = act.fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, act.derivative(x_np.astype(np.float32).astype(np.float64)), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------------------
# kinks: the documented subgradients (PyTorch's)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "x", "grad"),
    [
        (lambda t: t.leaky_relu(), [0.0, -0.0], [0.01, 0.01]),  # the negative side's slope at 0
        (lambda t: t.leaky_relu(0.3), [0.0], [0.3]),
        (lambda t: t.elu(), [0.0], [1.0]),  # alpha e^0
        (lambda t: t.elu(2.0), [0.0], [2.0]),
        (lambda t: t.selu(), [0.0], [SCALE * ALPHA]),
        (lambda t: t.hardtanh(), [-1.0, 1.0, -2.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0]),  # 0 at both ends
        (lambda t: t.hardtanh(0.0, 0.0), [0.0], [0.0]),
        (lambda t: t.relu6(), [0.0, 6.0, 3.0, 7.0], [0.0, 0.0, 1.0, 0.0]),  # relu'(0) = 0, and 0 at 6
        (lambda t: t.softplus(), [20.0, 20.5], [_sig(20.0), 1.0]),  # beta x > threshold is linear; = is not
        (lambda t: t.softplus(beta=2.0, threshold=3.0), [1.5, 1.6], [_sig(3.0), 1.0]),
    ],
)
def test_gradient_at_the_kinks(fn, x, grad):
    t = leaf(x)
    fn(t).sum().backward()
    np.testing.assert_allclose(t.grad, grad, rtol=1e-15, atol=0)


def test_hardtanh_differs_from_clip_only_at_the_ends():
    x_np = np.array([-2.0, -1.0, -0.3, 1.0, 2.0])
    a, b = leaf(x_np), leaf(x_np)
    np.testing.assert_array_equal(a.hardtanh().data, b.clip(-1.0, 1.0).data)
    a.hardtanh().sum().backward()
    b.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 1.0, 1.0, 0.0])  # clip (PyTorch's clamp) passes them


# --------------------------------------------------------------------------------------------------------
# stability
# --------------------------------------------------------------------------------------------------------

HUGE = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_huge_inputs_neither_overflow_nor_warn(act):
    x = leaf(HUGE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = act.fn(x)
        y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_stable_values_far_out():
    x = leaf(HUGE)
    np.testing.assert_allclose(x.logsigmoid().data, [-1e4, -50.0, -math.log(2), -math.exp(-50), 0.0], rtol=1e-14)
    np.testing.assert_allclose(x.softplus().data, [0.0, math.exp(-50), math.log(2), 50.0, 1e4], rtol=1e-14, atol=0)
    np.testing.assert_allclose(x.mish().data[[0, 3, 4]], [0.0, 50.0, 1e4], atol=1e-300)
    np.testing.assert_allclose(x.silu().data[[0, 4]], [0.0, 1e4], atol=1e-300)
    np.testing.assert_allclose(x.elu().data[[0, 4]], [-1.0, 1e4])
    np.testing.assert_allclose(x.gelu().data[[0, 4]], [0.0, 1e4], atol=1e-300)


# --------------------------------------------------------------------------------------------------------
# three spellings: method, functional, module
# --------------------------------------------------------------------------------------------------------

# (module, its kwargs, the function, PyTorch's module name)
MODULES = [
    (tg.nn.LeakyReLU, {"negative_slope": 0.2}, lambda x: F.leaky_relu(x, 0.2), "LeakyReLU"),
    (tg.nn.ELU, {"alpha": 0.7}, lambda x: F.elu(x, 0.7), "ELU"),
    (tg.nn.SELU, {}, F.selu, "SELU"),
    (tg.nn.GELU, {"approximate": "tanh"}, lambda x: F.gelu(x, "tanh"), "GELU"),
    (tg.nn.SiLU, {}, F.silu, "SiLU"),
    (tg.nn.Softplus, {"beta": 2.0, "threshold": 3.0}, lambda x: F.softplus(x, 2.0, 3.0), "Softplus"),
    (tg.nn.LogSigmoid, {}, F.logsigmoid, "LogSigmoid"),
    (tg.nn.Hardtanh, {"min_val": -0.5, "max_val": 2.0}, lambda x: F.hardtanh(x, -0.5, 2.0), "Hardtanh"),
    (tg.nn.ReLU6, {}, F.relu6, "ReLU6"),
    (tg.nn.Mish, {}, F.mish, "Mish"),
]


@pytest.mark.parametrize(("cls", "kwargs", "fn", "_"), MODULES, ids=[m[3] for m in MODULES])
def test_module_equals_function_and_method(cls, kwargs, fn, _):
    x_np = np.linspace(-3, 7, 11)
    module = cls(**kwargs)
    x = leaf(x_np)
    y = module(x)
    np.testing.assert_array_equal(y.data, fn(x_np).data)  # the function takes array-likes too
    method = getattr(Tensor, fn.__name__) if fn.__name__ != "<lambda>" else None
    if method is not None:
        np.testing.assert_array_equal(y.data, method(leaf(x_np)).data)
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert list(module.parameters()) == []
    assert repr(module).startswith(cls.__name__ + "(")
    for key, value in kwargs.items():
        assert f"{key}={value!r}" in repr(module) or f"{key}={value}" in repr(module)
    model = tg.nn.Sequential(tg.nn.Linear(2, 3), module, tg.nn.Linear(3, 1))
    assert model(Tensor(np.ones((4, 2)))).shape == (4, 1)


@pytest.mark.parametrize(
    "name", ["leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "logsigmoid", "hardtanh", "relu6", "mish"]
)
def test_functional_names_are_exported_and_take_array_likes(name):
    assert name in F.__all__
    np.testing.assert_array_equal(getattr(F, name)([0.5, -0.5]).data, getattr(Tensor([0.5, -0.5]), name)().data)


@needs_torch
@pytest.mark.parametrize(("cls", "kwargs", "fn", "torch_name"), MODULES, ids=[m[3] for m in MODULES])
def test_module_defaults_are_pytorchs(cls, kwargs, fn, torch_name):
    ours = inspect.signature(cls.__init__).parameters
    theirs = inspect.signature(getattr(torch.nn, torch_name).__init__).parameters
    for name, param in ours.items():
        if name == "self":
            continue
        assert name in theirs, f"{cls.__name__}({name}=...) is not PyTorch's name"
        assert param.default == theirs[name].default, name
    for name in theirs:  # every PyTorch parameter but inplace (and Hardtanh's deprecated spellings) exists here
        if name not in ("self", "inplace", "args", "kwargs", "min_value", "max_value"):
            assert name in ours, f"{cls.__name__} lacks PyTorch's {name}="


def test_function_defaults():
    sig = inspect.signature
    assert sig(F.leaky_relu).parameters["negative_slope"].default == 0.01
    assert sig(F.elu).parameters["alpha"].default == 1.0
    assert sig(F.gelu).parameters["approximate"].default == "none"
    assert sig(F.softplus).parameters["beta"].default == 1.0
    assert sig(F.softplus).parameters["threshold"].default == 20.0
    assert sig(F.hardtanh).parameters["min_val"].default == -1.0
    assert sig(F.hardtanh).parameters["max_val"].default == 1.0
    assert (tg.tensor.SELU_ALPHA, tg.tensor.SELU_SCALE) == (ALPHA, SCALE)


# --------------------------------------------------------------------------------------------------------
# errors that name the argument and the fix
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: F.gelu([1.0], approximate="erf"),
            ValueError,
            r"gelu: approximate must be 'none' or 'tanh', got 'erf'",
        ),
        (lambda: tg.nn.GELU("sigmoid"), ValueError, r"approximate must be 'none' or 'tanh', got 'sigmoid'"),
        (lambda: F.hardtanh([1.0], 1.0, -1.0), ValueError, r"hardtanh: min_val must be <= max_val, got min_val=1.0"),
        (lambda: tg.nn.Hardtanh(2.0, 1.0), ValueError, r"min_val must be <= max_val"),
        (lambda: F.leaky_relu([1.0], "0.1"), TypeError, r"leaky_relu: negative_slope must be a real number, got '0.1'"),
        (lambda: tg.nn.LeakyReLU(True), TypeError, r"negative_slope must be a real number, got True \(bool\)"),
        (lambda: F.elu([1.0], None), TypeError, r"elu: alpha must be a real number, got None"),
        (lambda: tg.nn.ELU(float("nan")), ValueError, r"elu: alpha is NaN; give a real number"),
        (lambda: F.softplus([1.0], beta=0), ValueError, r"softplus: beta must be nonzero.*beta=1"),
        (lambda: tg.nn.Softplus(threshold="20"), TypeError, r"softplus: threshold must be a real number"),
        (lambda: F.hardtanh([1.0], min_val=[0.0]), TypeError, r"hardtanh: min_val must be a real number"),
        (lambda: F.silu("abc"), TypeError, r"silu: x"),
        (lambda: tg.nn.Mish()("abc"), TypeError, r"mish: x"),
    ],
)
def test_bad_arguments_raise_with_the_name_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------------------------------------
# PyTorch parity: values, gradients, second derivatives (float64), kinks included
# --------------------------------------------------------------------------------------------------------

KINKS = np.array([-7.0, -2.0, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 1.5, 6.0, 20.0, 25.0, -25.0])
POINTS = np.concatenate([np.random.default_rng(18).uniform(-4, 8, 12), KINKS, KINKS / 4])


@needs_torch
@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_values_gradients_and_second_derivatives_equal_pytorch(act):
    G = np.random.default_rng(5).standard_normal(POINTS.shape)
    W = np.random.default_rng(6).standard_normal(POINTS.shape)
    xt = torch.tensor(POINTS, requires_grad=True)
    yt = act.torch_fn(xt)
    (gt,) = torch.autograd.grad(yt, xt, torch.tensor(G), create_graph=True)
    ht = torch.autograd.grad((gt * torch.tensor(W)).sum(), xt)[0].numpy() if gt.requires_grad else 0 * POINTS

    x = leaf(POINTS)
    y = act.fn(x)
    (g,) = tg.grad(y, x, grad_outputs=G, create_graph=True)
    h = tg.grad((g * Tensor(W)).sum(), x)[0] if g.requires_grad else None
    h = np.zeros_like(POINTS) if h is None else np.asarray(h)

    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h, ht, rtol=1e-10, atol=1e-13)


@needs_torch
@pytest.mark.parametrize(("cls", "kwargs", "fn", "torch_name"), MODULES, ids=[m[3] for m in MODULES])
def test_modules_equal_pytorchs_modules(cls, kwargs, fn, torch_name):
    x = leaf(POINTS)
    xt = torch.tensor(POINTS, requires_grad=True)
    y, yt = cls(**kwargs)(x), getattr(torch.nn, torch_name)(**kwargs)(xt)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64, np.bool_])
@pytest.mark.parametrize(
    "name", ["leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "logsigmoid", "hardtanh", "relu6", "mish"]
)
def test_integer_and_boolean_inputs_give_the_float_values(name, dtype):
    """Constants of integer or boolean data: no wrap-around (``-x`` of uint8 is 255 for x = 1)."""
    data = np.array([0, 1, 1], dtype=dtype)
    with np.errstate(over="ignore"):  # numpy computes sin/exp... of small integers in float16
        got = getattr(Tensor(data), name)().data
    np.testing.assert_allclose(got, getattr(Tensor(data.astype(np.float64)), name)().data, rtol=1e-3)
