"""SGD: the first steps against PyTorch's update equations written out with numpy, for every option
combination; a Hypothesis property on random quadratics; validation errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from optim_helpers import THETA0, assert_trajectory, grad, run

import tinygrad_edu as tg

LR = 0.1


def sgd_by_hand(momentum, dampening, nesterov, weight_decay, maximize, steps=3):
    """The update equations of the SGD docstring, one line each."""
    theta, buf, out = THETA0.copy(), None, []
    for _ in range(steps):
        g = grad(theta)
        if maximize:
            g = -g
        g = g + weight_decay * theta
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        theta = theta - LR * g
        out.append(theta)
    return out


COMBOS = [
    combo
    for combo in itertools.product([0.0, 0.9], [0.0, 0.5], [False, True], [0.0, 0.1], [False, True])
    if not (combo[2] and (combo[0] == 0 or combo[1] != 0))  # nesterov needs momentum and no dampening
]


@pytest.mark.parametrize(("momentum", "dampening", "nesterov", "weight_decay", "maximize"), COMBOS)
def test_first_three_steps_match_the_update_equations(momentum, dampening, nesterov, weight_decay, maximize):
    actual, _ = run(
        lambda p: tg.optim.SGD(
            p, lr=LR, momentum=momentum, dampening=dampening, nesterov=nesterov,
            weight_decay=weight_decay, maximize=maximize,
        )
    )  # fmt: skip
    assert_trajectory(actual, sgd_by_hand(momentum, dampening, nesterov, weight_decay, maximize))


def test_momentum_unrolled_by_hand():
    """Heavy ball, m = 0.9, dampening 0.5, written out: b1 = g0 (no dampening on the first step)."""
    actual, opt = run(lambda p: tg.optim.SGD(p, lr=LR, momentum=0.9, dampening=0.5))
    g0 = grad(THETA0)
    b1 = g0
    theta1 = THETA0 - LR * b1
    b2 = 0.9 * b1 + 0.5 * grad(theta1)
    theta2 = theta1 - LR * b2
    b3 = 0.9 * b2 + 0.5 * grad(theta2)
    theta3 = theta2 - LR * b3
    assert_trajectory(actual, [theta1, theta2, theta3])
    np.testing.assert_allclose(opt.state[opt.param_groups[0]["params"][0]]["momentum_buffer"], b3, rtol=1e-12)


def test_nesterov_unrolled_by_hand():
    actual, _ = run(lambda p: tg.optim.SGD(p, lr=LR, momentum=0.5, nesterov=True))
    b1 = grad(THETA0)
    theta1 = THETA0 - LR * (b1 + 0.5 * b1)
    b2 = 0.5 * b1 + grad(theta1)
    theta2 = theta1 - LR * (grad(theta1) + 0.5 * b2)
    assert_trajectory(actual[:2], [theta1, theta2])


def test_without_momentum_no_state_is_kept():
    _, opt = run(lambda p: tg.optim.SGD(p, lr=LR))
    assert all(not s for s in opt.state.values())


# ---- Hypothesis: random quadratics, random hyper-parameters ---------------------------------------------


@st.composite
def quadratic_problems(draw):
    n = draw(st.integers(1, 5))
    floats = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)
    M = np.array(draw(st.lists(floats, min_size=n * n, max_size=n * n))).reshape(n, n)
    A = M @ M.T + 0.1 * np.eye(n)  # symmetric positive definite
    b = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
    x0 = np.array(draw(st.lists(floats, min_size=n, max_size=n)))
    return A, b, x0


@st.composite
def sgd_hyperparameters(draw):
    unit = st.floats(0, 1, allow_nan=False, exclude_max=True, allow_subnormal=False)
    momentum = draw(st.one_of(st.just(0.0), unit))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.one_of(st.just(0.0), unit))
    return {
        "lr": draw(st.floats(0, 1, allow_subnormal=False)),
        "momentum": momentum,
        "dampening": dampening,
        "nesterov": nesterov,
        "weight_decay": draw(st.one_of(st.just(0.0), st.floats(0, 1, allow_subnormal=False))),
        "maximize": draw(st.booleans()),
    }


@given(quadratic_problems(), sgd_hyperparameters())
def test_sgd_steps_equal_the_formula_on_random_quadratics(problem, hp):
    """f(x) = 1/2 x^T A x - b^T x, grad f = A x - b. Step 1 (b1 = g1) and step 2 (where dampening enters)."""
    A, b, x0 = problem
    x = tg.Tensor(x0, requires_grad=True)
    opt = tg.optim.SGD([x], **hp)
    lr, m, d, wd = hp["lr"], hp["momentum"], hp["dampening"], hp["weight_decay"]
    sign = -1.0 if hp["maximize"] else 1.0

    def effective_grad(xk):
        return sign * (A @ xk - b) + wd * xk

    def direction(g, buf):
        if m == 0:
            return g
        return g + m * buf if hp["nesterov"] else buf

    expected, buf = x0, None
    for _ in range(2):
        opt.zero_grad()
        (0.5 * (x @ (tg.Tensor(A) @ x)) - tg.Tensor(b) @ x).backward()
        opt.step()
        g = effective_grad(expected)
        buf = g if buf is None else m * buf + (1 - d) * g
        expected = expected - lr * direction(g, buf)
        np.testing.assert_allclose(x.data, expected, rtol=1e-9, atol=1e-9)


# ---- validation -------------------------------------------------------------------------------------------


def _w():
    return [tg.Tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": -0.1}, ValueError, r"lr must be >= 0, got lr=-0\.1"),
        ({"lr": float("nan")}, ValueError, r"lr must be >= 0, got lr=nan"),
        ({"lr": "0.1"}, TypeError, r"lr must be a real number, got '0\.1' \(str\)"),
        ({"lr": 0.1, "momentum": -0.5}, ValueError, r"momentum must be in \[0, 1\), got momentum=-0\.5"),
        ({"lr": 0.1, "momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\), got momentum=1\.0"),
        ({"lr": 0.1, "dampening": 1.5}, ValueError, r"dampening must be in \[0, 1\], got dampening=1\.5"),
        ({"lr": 0.1, "weight_decay": -1e-4}, ValueError, r"weight_decay must be >= 0, got weight_decay=-0\.0001"),
        (
            {"lr": 0.1, "nesterov": True},
            ValueError,
            r"nesterov=True needs momentum > 0 and dampening = 0, got momentum=0",
        ),
        (
            {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
            ValueError,
            r"nesterov=True needs momentum > 0 and dampening = 0, got momentum=0\.9, dampening=0\.1",
        ),
        ({"lr": 0.1, "nesterov": 1}, TypeError, r"nesterov must be True or False, got 1 \(int\)"),
        ({"lr": 0.1, "maximize": "yes"}, TypeError, r"maximize must be True or False, got 'yes'"),
    ],
)
def test_invalid_hyperparameters_name_the_value(kwargs, error, message):
    with pytest.raises(error, match=message):
        tg.optim.SGD(_w(), **kwargs)


def test_invalid_group_hyperparameter_names_the_group():
    w, b = _w()[0], _w()[0]
    with pytest.raises(ValueError, match=r"parameter group 1: momentum must be in \[0, 1\), got momentum=2"):
        tg.optim.SGD([{"params": [w]}, {"params": [b], "momentum": 2}], lr=0.1)


def test_positional_arguments_follow_pytorch_up_to_dampening():
    opt = tg.optim.SGD(_w(), 0.1, 0.9, 0.5)
    assert (opt.defaults["lr"], opt.defaults["momentum"], opt.defaults["dampening"]) == (0.1, 0.9, 0.5)
    with pytest.raises(TypeError):
        tg.optim.SGD(_w(), 0.1, 0.9, 0.0, 1e-4)  # PyTorch's 5th positional is weight_decay, ours nesterov
