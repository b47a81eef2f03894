r"""Facts about GD and SGD that must hold (seeded, float64).

* On linear regression both reach the least-squares solution :math:`\hat\theta = \arg\min \lVert A\theta - y\rVert`:
  full-batch GD to 1e-6 in every coordinate; SGD (batch 1) with a Robbins-Monro schedule (``InverseTimeLR``) to
  1e-2, while SGD with the same constant learning rate stays in a noise ball far wider than that.
* Counted in gradient evaluations (samples seen), SGD with batch 1 reaches a moderate loss far sooner than
  full-batch GD on a 10,000-sample problem: one pass over the data makes ~10,000 small steps, while GD makes 1.
* With :math:`\eta < 2/L` the full-batch GD loss decreases at every step; SGD's does not (neither its batch
  losses nor its training-set loss from epoch to epoch).
"""

from __future__ import annotations

import numpy as np
import pytest
from train_helpers import F, gd_on_quadratic, linear_model

import tinygrad_edu as tg
from tinygrad_edu.train import fit

SGD_TOLERANCE = 1e-2  # the stated tolerance for SGD with InverseTimeLR (GD: 1e-6)


@pytest.fixture(scope="module")
def least_squares():
    X, y, _ = tg.data.make_linear_regression(300, 5, noise=0.5, bias=0.3, seed=1)
    A = np.hstack([X, np.ones((len(X), 1))])
    theta, *_ = np.linalg.lstsq(A, y[:, 0], rcond=None)
    return X, y, theta


def distance(model: tg.nn.Linear, theta: np.ndarray) -> float:
    return float(np.abs(np.append(model.weight.data.ravel(), model.bias.data) - theta).max())


def test_gd_reaches_the_least_squares_solution_to_1e_6(least_squares):
    X, y, theta = least_squares
    model = linear_model(5)
    h = fit(
        model,
        F.mse_loss,
        tg.optim.GD(model.parameters(), lr=0.4),
        tg.data.DataLoader(X, y),
        epochs=2000,
        stop=[tg.train.GradNormBelow(1e-10)],
        progress=False,
    )
    assert h.stop_reason.code == "grad_norm_below"
    assert distance(model, theta) < 1e-6


def test_sgd_with_inverse_time_decay_reaches_it_to_a_looser_tolerance(least_squares):
    X, y, theta = least_squares

    def sgd(schedule: bool) -> float:
        model = linear_model(5)
        opt = tg.optim.SGD(model.parameters(), lr=0.05)
        sched = tg.optim.InverseTimeLR(opt, decay=0.02) if schedule else None  # lr_t = 0.05 / (1 + 0.02 t)
        fit(
            model,
            F.mse_loss,
            opt,
            tg.data.DataLoader(X, y, batch_size=1, seed=0),
            epochs=20,
            scheduler=sched,
            scheduler_interval="iteration",
            progress=False,
        )
        return distance(model, theta)

    assert sgd(schedule=True) < SGD_TOLERANCE
    assert sgd(schedule=False) > 5 * SGD_TOLERANCE  # constant lr: it keeps bouncing around the solution


def test_sgd_batch_1_needs_far_fewer_gradient_evaluations_than_gd_on_10000_samples():
    q = tg.data.make_quadratic(d=10, condition_number=20.0, n_samples=10_000, noise=0.5, seed=0)
    tol = q.residual + 0.05  # the minimal mse plus 0.05
    stop = [tg.train.LossBelow(tol)]

    model = linear_model(10, bias=False)  # GD with its best constant learning rate, 2 / (L + mu)
    gd = fit(
        model,
        F.mse_loss,
        tg.optim.GD(model.parameters(), lr=2 / (q.L + q.mu)),
        tg.data.DataLoader(q.X, q.y),
        epochs=200,
        stop=stop,
        train_loss="full",
        progress=False,
    )
    model = linear_model(10, bias=False)
    sgd = fit(
        model,
        F.mse_loss,
        tg.optim.SGD(model.parameters(), lr=0.002),
        tg.data.DataLoader(q.X, q.y, batch_size=1, seed=0),
        epochs=5,
        stop=stop,
        train_loss="full",
        progress=False,
    )
    assert gd.stop_reason.code == sgd.stop_reason.code == "loss_below"
    gd_evals, sgd_evals = gd.first_reaching(tol).grad_evals, sgd.first_reaching(tol).grad_evals
    assert sgd_evals == 10_000  # one epoch
    assert gd_evals >= 10 * sgd_evals  # GD needs ~kappa steps, each costing all 10,000 samples


def test_gd_loss_is_monotone_below_2_over_L_and_sgd_loss_is_not():
    q = tg.data.make_quadratic(d=5, condition_number=10.0, n_samples=500, noise=1.0, seed=0)
    _, gd = gd_on_quadratic(q, 1.9 / q.L, epochs=60)
    assert np.all(np.diff(gd.loss) < 0)  # strictly decreasing, every step (full batch: loss = training loss)
    model = linear_model(5, bias=False)
    sgd = fit(
        model,
        F.mse_loss,
        tg.optim.SGD(model.parameters(), lr=0.05),
        tg.data.DataLoader(q.X, q.y, batch_size=10, seed=0),
        epochs=30,
        train_loss="full",
        progress=False,
    )
    assert np.any(np.diff(sgd.loss) > 0)  # batch losses go up and down
    assert np.any(np.diff(sgd.train_loss) > 0)  # and even the training-set loss goes up between some epochs
    assert sgd.stop_reason.code == "max_epochs"  # noisy, not divergent
