"""``tg.optim.Newton``: damped Newton with a backtracking line search, exact (Cholesky) or Hessian-free (CG).

Checked on the textbook facts: one step to the minimum of a quadratic whatever its condition number (both
solvers); quadratic convergence near the optimum of logistic regression (the error roughly squares per step);
global convergence on Rosenbrock from the classic start thanks to the line search and the shifted Hessian;
and through ``tg.train.fit``, which builds the closure with ``backward(create_graph=True)``.
"""

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.optim.newton import _conjugate_gradient

F = tg.nn.functional


def quadratic_closure(q: Any, w: Tensor, opt: Any, backward: bool) -> Any:
    A, b = Tensor(q.A), Tensor(q.b)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = 0.5 * (w * (A @ w)).sum() - (b * w).sum()
        if backward:
            loss.backward(create_graph=True)
        return loss

    return closure


@pytest.mark.parametrize("solver", ["exact", "cg"])
@pytest.mark.parametrize("backward", [False, True])
@given(kappa=st.sampled_from([1.0, 10.0, 1e3, 1e6]), seed=st.integers(0, 100))
def test_one_step_to_the_minimum_of_a_quadratic(solver: str, backward: bool, kappa: float, seed: int):
    q = tg.data.make_quadratic(d=5, condition_number=kappa, seed=seed)
    w = Tensor(np.random.default_rng(seed).standard_normal(5) * 3, requires_grad=True)
    opt = tg.optim.Newton(
        [w], solver=solver, cg_tol=1e-13, cg_max_iter=50
    )  # CG needs > n steps in floating point at kappa 1e6
    opt.step(quadratic_closure(q, w, opt, backward))
    np.testing.assert_allclose(w.data, q.w_star, rtol=1e-7, atol=1e-9 * np.abs(q.w_star).max())
    state = opt.state[w]
    assert state["step_size"] == 1.0 and state["backtracks"] == 0  # the full step passes Armijo on a quadratic
    assert state["solver"] == solver and state["n_iter"] == 1
    # a closure with backward(create_graph=True) made .grad a Tensor: a plain array again after the step
    assert isinstance(w.grad, np.ndarray) if backward else w.grad is None


def test_newton_decrement_is_twice_the_gap_to_the_minimum_on_a_quadratic():
    """lambda^2 = g^T H^{-1} g and f(w) - f* = lambda^2 / 2 exactly for a quadratic."""
    q = tg.data.make_quadratic(d=4, condition_number=50.0, seed=0)
    w = Tensor(np.ones(4), requires_grad=True)
    gap = q.value(w.data) - q.f_star
    opt = tg.optim.Newton([w])
    opt.step(quadratic_closure(q, w, opt, backward=False))
    np.testing.assert_allclose(opt.state[w]["newton_decrement"] / 2, gap, rtol=1e-10)


def logistic_problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = (X @ rng.standard_normal(5) + rng.standard_normal(200) > 0).astype(float)
    return X, y


def newton_errors(solver: str, steps: int) -> list[float]:
    X, y = logistic_problem()
    w = Tensor(np.zeros(5), requires_grad=True)
    opt = tg.optim.Newton([w], solver=solver)

    def closure() -> Tensor:  # L2-regularised: strongly convex, one minimiser
        opt.zero_grad()
        return F.binary_cross_entropy_with_logits(Tensor(X) @ w, Tensor(y)) + 0.01 * (w * w).sum()

    path = [w.data.copy()]
    for _ in range(steps):
        opt.step(closure)
        path.append(w.data.copy())
    return [float(np.linalg.norm(p - path[-1])) for p in path]


@pytest.mark.parametrize("solver", ["exact", "cg"])
def test_quadratic_convergence_on_logistic_regression(solver: str):
    errors = newton_errors(solver, 12)
    # the quadratic phase: e_{k+1} <= C e_k^2 with a moderate C, and the digits double (e.g. 1e-2 -> 1e-4 -> 1e-8)
    quadratic = [(e0, e1) for e0, e1 in itertools.pairwise(errors) if 1e-7 < e0 < 0.05]
    assert len(quadratic) >= 2
    for e0, e1 in quadratic:
        assert e1 <= 5 * e0**2, (e0, e1)
    assert errors[6] < 1e-9


def test_rosenbrock_from_the_classic_start():
    """Far from the minimum the Hessian is indefinite and the full step overshoots: the shift and the line search
    make every step a descent step, and near (1, 1) the full steps give quadratic convergence."""
    p = Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = tg.optim.Newton([p])

    def rosenbrock() -> Tensor:
        opt.zero_grad()
        x, y = p[0], p[1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    losses = []
    for _ in range(40):
        losses.append(float(opt.step(rosenbrock).data))
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-10)
    assert all(b <= a for a, b in itertools.pairwise(losses))
    assert opt.state[p]["n_iter"] <= 25  # then the gradient is below tolerance_grad: no more steps


def test_a_saddle_is_escaped_by_the_shift():
    """f = x^2 - y^2 + y^4 / 4 at (1, 0.1): the Hessian diag(2, -2 + 3y^2) is indefinite; the plain Newton step
    would go to the saddle (0, 0); the shifted one decreases f."""
    p = Tensor(np.array([1.0, 0.1]), requires_grad=True)
    opt = tg.optim.Newton([p], solver="exact")

    def f() -> Tensor:
        opt.zero_grad()
        return p[0] ** 2 - p[1] ** 2 + p[1] ** 4 / 4

    before = float(f().data)
    opt.step(f)
    assert opt.state[p]["shift"] > 0
    assert float(f().data) < before
    for _ in range(30):
        opt.step(f)
    np.testing.assert_allclose(np.abs(p.data), [0.0, np.sqrt(2)], atol=1e-8)


def test_cg_stops_at_negative_curvature_with_a_descent_direction():
    A = np.diag([2.0, -1.0])
    g = np.array([1.0, 1.0])
    d, iterations = _conjugate_gradient(lambda v: A @ v, g, 1e-12, 10)
    assert g @ d < 0 and iterations <= 2


def test_fit_with_newton_builds_a_create_graph_closure():
    X, y = logistic_problem()
    tg.manual_seed(0)
    model = tg.nn.Linear(5, 1, dtype=np.float64)
    history = tg.train.fit(
        model,
        lambda out, t: F.binary_cross_entropy_with_logits(out.reshape(-1), t),
        tg.optim.Newton(model.parameters()),
        (X, y),
        epochs=8,
        progress=False,
    )
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert abs(history.loss[-1] - history.loss[-2]) < 1e-10  # converged: Newton's few steps are enough
    assert all(isinstance(p.grad, np.ndarray) for p in model.parameters())


def test_leftover_grads_from_an_earlier_backward_do_not_matter():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w**2).sum().backward()  # e.g. left over from an earlier GD loop; the closure below does not zero it
    tg.optim.Newton([w]).step(lambda: ((w - 3.0) ** 2).sum())
    np.testing.assert_allclose(w.data, [3.0, 3.0])


def test_line_search_none_takes_the_full_step_times_lr():
    q = tg.data.make_quadratic(d=3, condition_number=10.0, seed=0)
    w = Tensor(np.zeros(3), requires_grad=True)
    opt = tg.optim.Newton([w], lr=0.5, line_search=None)
    opt.step(quadratic_closure(q, w, opt, backward=False))
    np.testing.assert_allclose(w.data, 0.5 * q.w_star, rtol=1e-10)
    assert opt.state[w]["func_evals"] == 1


def test_state_dict_round_trip_keeps_hyperparameters():
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = tg.optim.Newton([w], damping=0.1)
    state = opt.state_dict()
    w2 = Tensor(np.zeros(2), requires_grad=True)
    opt2 = tg.optim.Newton([w2])
    opt2.load_state_dict(state)
    assert opt2.param_groups[0]["damping"] == 0.1


def test_bad_input_is_a_clear_error():
    w = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"line_search must be None or 'armijo', got line_search='wolfe'"):
        tg.optim.Newton([w], line_search="wolfe")
    with pytest.raises(ValueError, match=r"solver must be 'auto', 'exact' or 'cg', got solver='lu'"):
        tg.optim.Newton([w], solver="lu")
    with pytest.raises(ValueError, match=r"damping must be >= 0, got damping=-1"):
        tg.optim.Newton([w], damping=-1)
    with pytest.raises(ValueError, match=r"cg_max_iter must be an int >= 1, got cg_max_iter=0"):
        tg.optim.Newton([w], cg_max_iter=0)
    with pytest.raises(ValueError, match=r"shrink must be a number in \(0, 1\), got shrink=1.5"):
        tg.optim.Newton([w], shrink=1.5)
    with pytest.raises(ValueError, match=r"Newton takes one parameter group"):
        tg.optim.Newton([{"params": [w]}, {"params": [Tensor(np.zeros(1), requires_grad=True)]}])
    opt = tg.optim.Newton([w])
    with pytest.raises(ValueError, match=r"Newton.step\(\) needs a closure"):
        opt.step()

    def plain() -> Tensor:
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match=r"call loss.backward\(create_graph=True\)"):
        opt.step(plain)
    with pytest.raises(TypeError, match=r"Newton: the closure must return the loss as a one-element Tensor, got str"):
        tg.optim.Newton([w]).step(lambda: "not a loss")
