"""Adam, AdamW, RMSprop, Adagrad: the first steps against the update equations written out with numpy, for every
option combination; PyTorch's defaults; validation errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from optim_helpers import THETA0, assert_trajectory, grad, run

import tinygrad_edu as tg

# ---- Adam and AdamW --------------------------------------------------------------------------------------


def adam_by_hand(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled, steps=3):
    b1, b2 = betas
    theta, m, v, v_max, out = THETA0.copy(), 0.0, 0.0, 0.0, []
    for t in range(1, steps + 1):
        g = -grad(theta) if maximize else grad(theta)
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = np.maximum(v_max, v)
        v_hat = v_max if amsgrad else v
        theta = theta - lr / (1 - b1**t) * m / (np.sqrt(v_hat) / np.sqrt(1 - b2**t) + eps)
        out.append(theta)
    return out


ADAM_COMBOS = list(itertools.product([0.0, 0.1], [False, True], [False, True], [(0.9, 0.999), (0.8, 0.5)]))


@pytest.mark.parametrize("decoupled", [False, True], ids=["Adam", "AdamW"])
@pytest.mark.parametrize(("weight_decay", "amsgrad", "maximize", "betas"), ADAM_COMBOS)
def test_adam_first_three_steps(decoupled, weight_decay, amsgrad, maximize, betas):
    cls = tg.optim.AdamW if decoupled else tg.optim.Adam
    hp = {"lr": 0.1, "betas": betas, "eps": 1e-3, "weight_decay": weight_decay, "amsgrad": amsgrad}
    actual, opt = run(lambda p: cls(p, maximize=maximize, **hp))
    assert_trajectory(actual, adam_by_hand(**hp, maximize=maximize, decoupled=decoupled))
    state = next(iter(opt.state.values()))
    assert state["step"] == 3
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if amsgrad else set())


def test_amsgrad_changes_the_trajectory_when_the_second_moment_falls():
    """With beta2 = 0.5 the second moment follows the shrinking gradient down, so max(v) differs from v."""
    hp = {"lr": 0.1, "betas": (0.9, 0.5)}
    plain, _ = run(lambda p: tg.optim.Adam(p, **hp), steps=5)
    ams, opt = run(lambda p: tg.optim.Adam(p, amsgrad=True, **hp), steps=5)
    assert not np.allclose(plain[-1], ams[-1])
    state = next(iter(opt.state.values()))
    assert np.all(state["max_exp_avg_sq"] >= state["exp_avg_sq"])
    assert np.any(state["max_exp_avg_sq"] > state["exp_avg_sq"])


def test_adam_first_step_moves_each_coordinate_by_lr():
    """t = 1: m1/(1-b1) = g, sqrt(v1/(1-b2)) = |g|, so the step is lr * sign(g) (eps aside)."""
    actual, _ = run(lambda p: tg.optim.Adam(p, lr=0.01, eps=0.0), steps=1)
    np.testing.assert_allclose(actual[0], THETA0 - 0.01 * np.sign(grad(THETA0)), rtol=1e-12)


def test_adamw_decay_is_not_rescaled_by_the_adaptive_denominator():
    """With a zero gradient Adam's L2 decay is normalised to a step of lr, AdamW's is theta * lr * wd."""
    w_adam = tg.Tensor(np.array([10.0]), requires_grad=True)
    w_adamw = tg.Tensor(np.array([10.0]), requires_grad=True)
    for w, cls in [(w_adam, tg.optim.Adam), (w_adamw, tg.optim.AdamW)]:
        w.grad = np.zeros(1)
        cls([w], lr=0.1, weight_decay=0.01).step()
    assert w_adam.item() == pytest.approx(10.0 - 0.1, rel=1e-6)
    assert w_adamw.item() == pytest.approx(10.0 * (1 - 0.1 * 0.01))


# ---- RMSprop --------------------------------------------------------------------------------------------


def rmsprop_by_hand(lr, alpha, eps, weight_decay, momentum, centered, maximize, steps=3):
    theta, v, g_avg, buf, out = THETA0.copy(), 0.0, 0.0, 0.0, []
    for _ in range(steps):
        g = -grad(theta) if maximize else grad(theta)
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            d = np.sqrt(v - g_avg**2) + eps
        else:
            d = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / d
            theta = theta - lr * buf
        else:
            theta = theta - lr * g / d
        out.append(theta)
    return out


RMSPROP_COMBOS = list(itertools.product([False, True], [0.0, 0.5], [0.0, 0.1], [False, True]))


@pytest.mark.parametrize(("centered", "momentum", "weight_decay", "maximize"), RMSPROP_COMBOS)
def test_rmsprop_first_three_steps(centered, momentum, weight_decay, maximize):
    hp = {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": weight_decay, "momentum": momentum}
    actual, opt = run(lambda p: tg.optim.RMSprop(p, centered=centered, maximize=maximize, **hp))
    assert_trajectory(actual, rmsprop_by_hand(**hp, centered=centered, maximize=maximize))
    state = next(iter(opt.state.values()))
    expected_keys = {"step", "square_avg"} | ({"momentum_buffer"} if momentum else set())
    assert set(state) == expected_keys | ({"grad_avg"} if centered else set())


# ---- Adagrad --------------------------------------------------------------------------------------------


def adagrad_by_hand(lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize, steps=3):
    theta, s, out = THETA0.copy(), initial_accumulator_value, []
    for t in range(1, steps + 1):
        g = -grad(theta) if maximize else grad(theta)
        g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g**2
        theta = theta - clr * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


ADAGRAD_COMBOS = list(itertools.product([0.0, 0.5], [0.0, 0.1], [0.0, 0.3], [False, True]))


@pytest.mark.parametrize(("lr_decay", "weight_decay", "initial_accumulator_value", "maximize"), ADAGRAD_COMBOS)
def test_adagrad_first_three_steps(lr_decay, weight_decay, initial_accumulator_value, maximize):
    hp = {
        "lr": 0.5,
        "lr_decay": lr_decay,
        "weight_decay": weight_decay,
        "initial_accumulator_value": initial_accumulator_value,
        "eps": 1e-10,
    }
    actual, _ = run(lambda p: tg.optim.Adagrad(p, maximize=maximize, **hp))
    assert_trajectory(actual, adagrad_by_hand(**hp, maximize=maximize))


# ---- defaults and validation ---------------------------------------------------------------------------


def _w():
    return [tg.Tensor([1.0], requires_grad=True)]


def test_defaults_are_pytorchs():
    assert tg.optim.Adam(_w()).defaults == {
        "lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "maximize": False
    }  # fmt: skip
    assert tg.optim.AdamW(_w()).defaults["weight_decay"] == 1e-2
    assert tg.optim.RMSprop(_w()).defaults == {
        "lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False,
        "maximize": False,
    }  # fmt: skip
    assert tg.optim.Adagrad(_w()).defaults == {
        "lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10,
        "maximize": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "message"),
    [
        (tg.optim.Adam, {"lr": -1e-3}, ValueError, r"lr must be >= 0, got lr=-0\.001"),
        (
            tg.optim.Adam,
            {"betas": (1.0, 0.999)},
            ValueError,
            r"betas\[0\] must be in \[0, 1\), got betas=\(1\.0, 0\.999\)",
        ),
        (
            tg.optim.Adam,
            {"betas": (0.9, -0.1)},
            ValueError,
            r"betas\[1\] must be in \[0, 1\), got betas=\(0\.9, -0\.1\)",
        ),
        (tg.optim.Adam, {"betas": 0.9}, TypeError, r"betas must be a pair \(beta1, beta2\), got betas=0\.9"),
        (tg.optim.Adam, {"eps": -1e-8}, ValueError, r"eps must be >= 0, got eps=-1e-08"),
        (tg.optim.Adam, {"weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0, got weight_decay=-0\.1"),
        (tg.optim.Adam, {"amsgrad": None}, TypeError, r"amsgrad must be True or False, got None"),
        (
            tg.optim.AdamW,
            {"betas": (0.9, 1.5)},
            ValueError,
            r"betas\[1\] must be in \[0, 1\), got betas=\(0\.9, 1\.5\)",
        ),
        (tg.optim.AdamW, {"weight_decay": -1.0}, ValueError, r"weight_decay must be >= 0, got weight_decay=-1\.0"),
        (tg.optim.RMSprop, {"alpha": 1.0}, ValueError, r"alpha must be in \[0, 1\), got alpha=1\.0"),
        (tg.optim.RMSprop, {"momentum": 1.2}, ValueError, r"momentum must be in \[0, 1\), got momentum=1\.2"),
        (tg.optim.RMSprop, {"eps": -1.0}, ValueError, r"eps must be >= 0, got eps=-1\.0"),
        (tg.optim.RMSprop, {"centered": "no"}, TypeError, r"centered must be True or False, got 'no'"),
        (tg.optim.Adagrad, {"lr_decay": -0.1}, ValueError, r"lr_decay must be >= 0, got lr_decay=-0\.1"),
        (
            tg.optim.Adagrad,
            {"initial_accumulator_value": -1},
            ValueError,
            r"initial_accumulator_value must be >= 0, got initial_accumulator_value=-1",
        ),
        (tg.optim.Adagrad, {"eps": -1e-10}, ValueError, r"eps must be >= 0, got eps=-1e-10"),
    ],
)
def test_invalid_hyperparameters_name_the_value(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(_w(), **kwargs)
