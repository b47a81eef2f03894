"""Shared by the training tests: small deterministic problems (float64 throughout)."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg

F = tg.nn.functional


def linear_model(d: int, bias: bool = True, seed: int = 0) -> tg.nn.Linear:
    """``Linear(d, 1)`` in float64, initialised after ``tg.manual_seed(seed)``."""
    tg.manual_seed(seed)
    return tg.nn.Linear(d, 1, bias=bias, dtype=np.float64)


def regression(n: int = 50, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y = X w + 0.5 + noise`` with noise 0.1."""
    return tg.data.make_linear_regression(n, d, noise=0.1, bias=0.5, seed=seed)


def quadratic(n: int = 200, kappa: float = 10.0, d: int = 2, seed: int = 0) -> tg.data.Quadratic:
    """``f(w) = 1/2 w^T A w - b^T w`` in least-squares form, mu = 1, L = kappa."""
    return tg.data.make_quadratic(d=d, condition_number=kappa, n_samples=n, noise=0.5, seed=seed)


def gd_on_quadratic(q: tg.data.Quadratic, lr: float, **fit_kwargs) -> tuple[tg.nn.Linear, tg.train.History]:
    """Full-batch GD on the quadratic's least-squares form with a bias-free linear model."""
    model = linear_model(q.d, bias=False)
    opt = tg.optim.GD(model.parameters(), lr=lr)
    fit_kwargs.setdefault("progress", False)
    history = tg.train.fit(model, F.mse_loss, opt, tg.data.DataLoader(q.X, q.y), **fit_kwargs)
    return model, history
