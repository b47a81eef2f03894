"""Shared by the optimiser tests: a small convex problem whose gradient the tests write by hand, and a runner."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg

# f(theta) = sum_i 1/2 c_i theta_i^2 - d_i theta_i, so grad f = c * theta - d, written by hand in grad()
C = np.array([1.0, 2.0, 0.5, 3.0])
D = np.array([0.5, -1.0, 2.0, 0.0])
THETA0 = np.array([1.0, -2.0, 0.5, 3.0])


def loss(theta: tg.Tensor) -> tg.Tensor:
    return (0.5 * tg.Tensor(C) * theta * theta - tg.Tensor(D) * theta).sum()


def grad(theta: np.ndarray) -> np.ndarray:
    return C * theta - D


def run(make_opt: Callable[[list[tg.Tensor]], tg.optim.Optimizer], steps: int = 3, dtype=np.float64):
    """Take ``steps`` steps of the optimiser on ``loss`` from THETA0 with real backward passes.

    Returns the parameter after each step and the optimiser.
    """
    theta = tg.Tensor(THETA0.astype(dtype), requires_grad=True)
    opt = make_opt([theta])
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss(theta).backward()
        opt.step()
        trajectory.append(theta.data.copy())
    return trajectory, opt


def assert_trajectory(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14, err_msg=f"step {k + 1}")
