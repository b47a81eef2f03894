r"""Convergence against theory (float64 throughout).

On :math:`f(x) = \tfrac12 x^\top A x - b^\top x` with the eigenvalues of :math:`A` in :math:`[\mu, L]`:

* GD with :math:`\eta = 1/L` satisfies :math:`f(x_k) - f^* \le (1 - \mu/L)^k (f(x_0) - f^*)` at every k;
* heavy-ball and Nesterov momentum reach :math:`f - f^* \le 10^{-8}` in fewer iterations than GD at
  :math:`\kappa = L/\mu = 100` (about :math:`\sqrt\kappa` instead of :math:`\kappa` iterations per digit).

And beyond quadratics: Armijo GD solves Rosenbrock; SGD with a Robbins-Monro schedule beats constant-lr SGD.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg


def quadratic(mu: float, L: float, n: int = 10, seed: int = 0):
    """A = Q diag(mu..L) Q^T with a random rotation Q: known extreme eigenvalues, no special axes."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.linspace(mu, L, n)) @ Q.T
    return A, rng.normal(size=n), 3 * rng.normal(size=n)


def gaps(make_opt, A, b, x0, steps, stop_below=0.0):
    """f(x_k) - f* for k = 0..steps (or until it is <= stop_below), computed as 1/2 (x - x*)^T A (x - x*): exact,
    and free of the cancellation that f(x_k) - f(x*) suffers once the gap is below f's rounding error."""
    x_star = np.linalg.solve(A, b)
    x = tg.Tensor(x0.copy(), requires_grad=True)
    opt = make_opt([x])
    A_t, b_t = tg.Tensor(A), tg.Tensor(b)
    out = []
    for _ in range(steps + 1):
        e = x.data - x_star
        out.append(0.5 * e @ A @ e)
        if out[-1] <= stop_below:
            break
        opt.zero_grad()
        (0.5 * (x @ (A_t @ x)) - b_t @ x).backward()
        opt.step()
    return np.array(out)


def iterations_to(tol, make_opt, A, b, x0, max_steps=5000):
    g = gaps(make_opt, A, b, x0, max_steps, stop_below=tol)
    assert g[-1] <= tol, f"did not reach {tol} in {max_steps} steps (last gap {g[-1]:.3g})"
    return g.size - 1


def test_gd_with_lr_one_over_L_meets_the_linear_rate_at_every_step():
    mu, L = 1.0, 10.0
    A, b, x0 = quadratic(mu, L)
    g = gaps(lambda p: tg.optim.GD(p, lr=1 / L), A, b, x0, steps=80)
    k = np.arange(g.size)
    bound = (1 - mu / L) ** k * g[0]
    assert np.all(g <= bound * (1 + 1e-12)), np.flatnonzero(g > bound)
    assert g[-1] < 1e-6 * g[0]  # and it did converge


def test_the_bound_is_tight_in_rate_for_the_slowest_eigenvector():
    """Along the eigenvector of mu the error contracts by exactly (1 - mu/L) per step, so the gap by (1 - mu/L)^2:
    the theory's rate is not loose by an order of magnitude."""
    mu, L = 1.0, 10.0
    A, b, _ = quadratic(mu, L)
    eigenvalues, V = np.linalg.eigh(A)
    x0 = np.linalg.solve(A, b) + V[:, 0]  # start displaced along the slowest direction only
    g = gaps(lambda p: tg.optim.GD(p, lr=1 / L), A, b, x0, steps=10)
    np.testing.assert_allclose(g[1:] / g[:-1], (1 - eigenvalues[0] / L) ** 2, rtol=1e-6)


def test_momentum_beats_gd_on_an_ill_conditioned_quadratic():
    mu, L = 1.0, 100.0
    A, b, x0 = quadratic(mu, L)
    root_kappa = np.sqrt(L / mu)
    gd = iterations_to(1e-8, lambda p: tg.optim.GD(p, lr=1 / L), A, b, x0)
    # Polyak's optimal heavy ball: lr = 4 / (sqrt L + sqrt mu)^2, momentum = ((sqrt k - 1) / (sqrt k + 1))^2
    ratio = (root_kappa - 1) / (root_kappa + 1)
    heavy_ball = iterations_to(
        1e-8, lambda p: tg.optim.SGD(p, lr=4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, momentum=ratio**2), A, b, x0
    )
    # Nesterov for strongly convex f: lr = 1/L, momentum = (sqrt k - 1) / (sqrt k + 1)
    nesterov = iterations_to(1e-8, lambda p: tg.optim.SGD(p, lr=1 / L, momentum=ratio, nesterov=True), A, b, x0)
    assert heavy_ball < gd and nesterov < gd
    assert heavy_ball < gd / 5 and nesterov < gd / 5  # sqrt(kappa) = 10 times fewer, up to constants


def test_armijo_gd_solves_rosenbrock_from_minus_1_5_2():
    x = tg.Tensor(np.array(-1.5), requires_grad=True)
    y = tg.Tensor(np.array(2.0), requires_grad=True)
    # lr is the first trial step of each iteration: 1e-2 is already below 2/L along most of the path, so few
    # backtracks are needed; the line search still shrinks it where the valley's curvature demands
    opt = tg.optim.GD([x, y], lr=1e-2, line_search="armijo")

    def closure():
        opt.zero_grad()
        f = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        f.backward()
        return f

    previous = np.inf
    for _ in range(20_000):
        f = opt.step(closure).item()
        assert f <= previous  # a sufficient-decrease method never goes uphill
        previous = f
        if np.hypot(x.item() - 1, y.item() - 1) < 1e-4:
            break
    assert np.hypot(x.item() - 1, y.item() - 1) < 1e-4
    assert 0 < opt.state[x]["step_size"] <= 1e-2


def test_sgd_with_inverse_time_decay_gets_closer_than_constant_lr():
    """Noisy least squares, one sample per step. Constant-lr SGD stalls in a noise ball of radius ~ sqrt(lr);
    lr0 / (1 + decay t) satisfies Robbins-Monro, so it keeps closing in on the optimum."""
    rng = np.random.default_rng(0)
    n, d, steps = 500, 5, 2000
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.5 * rng.normal(size=n)
    w_opt = np.linalg.lstsq(X, y, rcond=None)[0]
    order = rng.integers(0, n, size=steps)  # the same samples, in the same order, for both runs

    def distance_after_sgd(decay):
        w = tg.Tensor(np.zeros(d), requires_grad=True)
        opt = tg.optim.SGD([w], lr=0.05)
        schedule = tg.optim.InverseTimeLR(opt, decay=decay)
        for i in order:
            opt.zero_grad()
            r = tg.Tensor(X[i]) @ w - y[i]
            (0.5 * r * r).backward()
            opt.step()
            schedule.step()
        return np.linalg.norm(w.data - w_opt)

    constant, decaying = distance_after_sgd(0.0), distance_after_sgd(0.01)
    assert decaying < constant / 2, (decaying, constant)


@pytest.mark.parametrize("lr_times_L", [0.5, 1.0, 1.9, 2.1])
def test_gd_diverges_beyond_two_over_L(lr_times_L):
    """On a quadratic GD converges iff lr < 2/L: the error along the top eigenvector is multiplied by 1 - lr L."""
    mu, L = 1.0, 10.0
    A, b, x0 = quadratic(mu, L)
    g = gaps(lambda p: tg.optim.GD(p, lr=lr_times_L / L), A, b, x0, steps=200)
    if lr_times_L < 2:
        assert g[-1] < 1e-3 * g[0]
    else:
        assert g[-1] > 1e3 * g[0]
