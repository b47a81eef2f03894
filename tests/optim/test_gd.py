"""GD: the plain update, and the Armijo backtracking line search (its condition, its bookkeeping, its errors)."""

from __future__ import annotations

import numpy as np
import pytest
from optim_helpers import THETA0, C, D, assert_trajectory, grad, loss, run

import tinygrad_edu as tg


def _f(theta):
    """The loss in numpy: f = sum 1/2 c theta^2 - d theta."""
    return float(np.sum(0.5 * C * theta**2 - D * theta))


def test_first_three_steps_match_the_update_equation():
    actual, _ = run(lambda p: tg.optim.GD(p, lr=0.3))
    theta1 = THETA0 - 0.3 * grad(THETA0)
    theta2 = theta1 - 0.3 * grad(theta1)
    theta3 = theta2 - 0.3 * grad(theta2)
    assert_trajectory(actual, [theta1, theta2, theta3])


def test_gd_equals_sgd_without_momentum():
    """The formula is the same; GD vs SGD is a matter of the data the gradient is computed on."""
    gd, _ = run(lambda p: tg.optim.GD(p, lr=0.2), steps=5)
    sgd, _ = run(lambda p: tg.optim.SGD(p, lr=0.2), steps=5)
    for a, b in zip(gd, sgd, strict=True):
        np.testing.assert_array_equal(a, b)


def test_closure_loss_is_returned():
    theta = tg.Tensor(THETA0, requires_grad=True)
    opt = tg.optim.GD([theta], lr=0.1)

    def closure():
        opt.zero_grad()
        value = loss(theta)
        value.backward()
        return value

    returned = opt.step(closure)
    assert returned.item() == pytest.approx(_f(THETA0))  # the loss before the step
    np.testing.assert_allclose(theta.data, THETA0 - 0.1 * grad(THETA0))


# ---- Armijo ----------------------------------------------------------------------------------------------


def _armijo_setup(lr, **kwargs):
    theta = tg.Tensor(THETA0, requires_grad=True)
    opt = tg.optim.GD([theta], lr=lr, line_search="armijo", **kwargs)
    calls = []

    def closure():
        opt.zero_grad()
        value = loss(theta)
        value.backward()
        calls.append(value.item())
        return value

    return theta, opt, closure, calls


def test_armijo_accepts_the_first_step_that_decreases_enough():
    """From lr = 4 the steps 4, 2, 1, 0.5 are tried; the accepted one is the first that satisfies
    f(theta - t g) <= f(theta) - c t |g|^2, and the one before it does not."""
    theta, opt, closure, calls = _armijo_setup(lr=4.0)
    f0, g0 = _f(THETA0), grad(THETA0)
    returned = opt.step(closure)
    t = opt.state[theta]["step_size"]
    k = opt.state[theta]["backtracks"]
    assert returned.item() == pytest.approx(f0)
    assert t == 4.0 * 0.5**k and k >= 1
    assert _f(THETA0 - t * g0) <= f0 - 1e-4 * t * g0 @ g0
    assert _f(THETA0 - 2 * t * g0) > f0 - 1e-4 * 2 * t * g0 @ g0
    np.testing.assert_allclose(theta.data, THETA0 - t * g0, rtol=1e-12)
    assert len(calls) == k + 2  # the start point, then one call per trial step


def test_armijo_by_hand_on_a_one_dimensional_quadratic():
    """f(x) = x^2 from x = 1, lr = 2, c = 0.5: t = 2 gives f(-3) = 9 (reject), t = 1 gives f(-1) = 1 > 1 - 0.5*1*4
    (reject), t = 0.5 gives f(0) = 0 <= 1 - 0.5*0.5*4 = 0 (accept)."""
    x = tg.Tensor([1.0], dtype=np.float64, requires_grad=True)
    opt = tg.optim.GD([x], lr=2.0, line_search="armijo", c=0.5)

    def closure():
        opt.zero_grad()
        value = (x * x).sum()
        value.backward()
        return value

    opt.step(closure)
    assert opt.state[x]["step_size"] == 0.5 and opt.state[x]["backtracks"] == 2
    assert x.item() == 0.0


def test_armijo_shrink_and_c_are_configurable():
    theta, opt, closure, _ = _armijo_setup(lr=4.0, shrink=0.1, c=0.3)
    opt.step(closure)
    t = opt.state[theta]["step_size"]
    g0 = grad(THETA0)
    assert t in (4.0, 0.4, 0.04, 0.004)
    assert _f(THETA0 - t * g0) <= _f(THETA0) - 0.3 * t * g0 @ g0


def test_armijo_with_a_small_enough_lr_takes_it_without_backtracking():
    theta, opt, closure, calls = _armijo_setup(lr=0.1)
    opt.step(closure)
    assert opt.state[theta]["step_size"] == 0.1 and opt.state[theta]["backtracks"] == 0
    assert len(calls) == 2


def test_armijo_over_two_groups_shrinks_both_steps_by_one_factor():
    a = tg.Tensor(np.array([3.0]), requires_grad=True)
    b = tg.Tensor(np.array([-2.0]), requires_grad=True)
    opt = tg.optim.GD([{"params": [a], "lr": 2.0}, {"params": [b], "lr": 0.5}], lr=1.0, line_search="armijo")

    def closure():
        opt.zero_grad()
        value = (a * a + 4 * b * b).sum()
        value.backward()
        return value

    opt.step(closure)
    s = opt.state[a]["step_size"] / 2.0
    assert opt.state[b]["step_size"] == pytest.approx(0.5 * s)
    assert opt.state[a]["backtracks"] == opt.state[b]["backtracks"]
    np.testing.assert_allclose([a.item(), b.item()], [3.0 - 2.0 * s * 6.0, -2.0 - 0.5 * s * -16.0])
    # sufficient decrease with the summed directional derivative
    f0, f1 = 9.0 + 16.0, a.item() ** 2 + 4 * b.item() ** 2
    assert f1 <= f0 - 1e-4 * s * (2.0 * 36.0 + 0.5 * 256.0)


def test_armijo_gives_up_with_a_warning_and_leaves_the_parameters():
    """A closure whose gradient points uphill never decreases f: after max_backtracks the step is undone."""
    x = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = tg.optim.GD([x], lr=1.0, line_search="armijo", max_backtracks=5)

    def wrong_gradient_closure():
        opt.zero_grad()
        value = (x * x).sum()
        value.backward()
        x.grad = -x.grad  # a wrong gradient
        return value

    with pytest.warns(RuntimeWarning, match=r"no step with sufficient decrease after 5 backtracks") as record:
        opt.step(wrong_gradient_closure)
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert x.item() == 1.0
    assert opt.state[x]["step_size"] == 0.0


def test_armijo_closure_must_return_the_loss():
    theta, opt, _, _ = _armijo_setup(lr=1.0)
    with pytest.raises(TypeError, match=r"the closure must return the loss .* got None \(NoneType\)"):
        opt.step(lambda: loss(theta).backward())


def test_armijo_needs_a_closure():
    theta, opt, _, _ = _armijo_setup(lr=1.0)
    loss(theta).backward()
    with pytest.raises(ValueError, match=r"needs a closure that re-evaluates the loss"):
        opt.step()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, r"lr must be >= 0, got lr=-1\.0"),
        ({"lr": 1.0, "line_search": "wolfe"}, r"line_search must be None or 'armijo', got line_search='wolfe'"),
        ({"lr": 1.0, "c": 1.0}, r"c \(the Armijo sufficient-decrease constant\) must be in \(0, 1\), got c=1\.0"),
        ({"lr": 1.0, "c": 0}, r"must be in \(0, 1\), got c=0"),
        ({"lr": 1.0, "shrink": 1.5}, r"shrink \(the backtracking factor\) must be in \(0, 1\), got shrink=1\.5"),
        ({"lr": 1.0, "max_backtracks": 0}, r"max_backtracks must be a positive int, got max_backtracks=0"),
    ],
)
def test_invalid_arguments_name_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tg.optim.GD([tg.Tensor([1.0], requires_grad=True)], **kwargs)
