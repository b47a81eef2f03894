"""tinygrad_edu.train.lr_bound: the learning-rate sweep behind plot_lr_bound and the measured rate of GD.

Checked against closed forms on quadratics: the loss after k steps of GD is 1/2 e_k' A e_k with
e_k = (I - lr A)^k e_0, the sweep converges just below 2/L and diverges just above, and the measured rate at
lr = 2/(L + mu) is (kappa - 1)/(kappa + 1).
"""

import math

import numpy as np
import pytest

import tinygrad_edu as tg

F = tg.nn.functional


def linear(d: int):
    return lambda: tg.nn.Linear(d, 1, bias=False, dtype=np.float64)


def initial_weight(d: int, seed: int = 0) -> np.ndarray:
    tg.manual_seed(seed)
    return linear(d)().weight.data.reshape(d).copy()


@pytest.fixture(scope="module")
def q3():
    """d = 3, kappa = 10, no noise: the mean squared error is exactly f(w) - f* (Hessian q.A, optimum 0)."""
    return tg.data.make_quadratic(d=3, condition_number=10.0, n_samples=50, noise=0.0, seed=0)


# --------------------------------------------------------------------------------------------------------
# lr_sweep_losses
# --------------------------------------------------------------------------------------------------------


def test_sweep_converges_just_below_the_bound_and_diverges_just_above(q3):
    bound = 2.0 / q3.L
    losses = tg.train.lr_sweep_losses(linear(3), F.mse_loss, (q3.X, q3.y), [0.95 * bound, 1.05 * bound], steps=200)
    e0 = initial_weight(3) - q3.w_star
    initial = 0.5 * e0 @ q3.A @ e0
    assert np.isfinite(losses[0]) and losses[0] < 1e-6 * initial  # |1 - 1.9| ** 400 = 0.9 ** 400 ~ 5e-19
    assert losses[1] == math.inf  # |1 - 2.1| ** 2k passes 1e6 after ~72 steps


def test_sweep_losses_equal_the_closed_form_from_the_same_start(q3):
    # noise = 0: mse(w) = f(w) - f* = 1/2 e' A e, and k GD steps give e_k = (I - lr A)^k e_0
    lrs = np.array([0.01, 0.05, 0.1, 0.18])
    steps = 7
    losses = tg.train.lr_sweep_losses(linear(3), F.mse_loss, (q3.X, q3.y), lrs, steps=steps, seed=3)
    e0 = initial_weight(3, seed=3) - q3.w_star
    expected = []
    for lr in lrs:
        e = np.linalg.matrix_power(np.eye(3) - lr * q3.A, steps) @ e0
        expected.append(0.5 * e @ q3.A @ e)
    np.testing.assert_allclose(losses, expected, rtol=1e-9, atol=1e-14)


def test_a_dataloader_gives_the_same_losses_as_the_pair(q3):
    lrs = [0.02, 0.1]
    pair = tg.train.lr_sweep_losses(linear(3), F.mse_loss, (q3.X, q3.y), lrs, steps=5)
    loader = tg.train.lr_sweep_losses(linear(3), F.mse_loss, tg.data.DataLoader(q3.X, q3.y, batch_size=7), lrs, steps=5)
    np.testing.assert_array_equal(pair, loader)


def test_diverging_runs_stop_early(q3):
    calls = []

    def counting_mse(out, y):
        calls.append(1)
        return F.mse_loss(out, y)

    losses = tg.train.lr_sweep_losses(linear(3), counting_mse, (q3.X, q3.y), [3.0 / q3.L], steps=1000)
    assert losses[0] == math.inf
    assert len(calls) < 60  # factor |1 - 3| = 2 per step: the loss passes 1e6 x initial within ~12 steps


def test_a_nan_loss_is_reported_as_nan(q3):
    losses = tg.train.lr_sweep_losses(linear(3), lambda out, y: F.mse_loss(out, y) * math.nan, (q3.X, q3.y),
                                      [0.01], steps=3)  # fmt: skip
    assert math.isnan(losses[0])


def test_y_none_calls_the_loss_with_the_output_only(q3):
    X = q3.X
    y = q3.y
    losses = tg.train.lr_sweep_losses(linear(3), lambda out: ((out - tg.Tensor(y)) ** 2).mean(), (X, None), [0.05], 4)
    reference = tg.train.lr_sweep_losses(linear(3), F.mse_loss, (X, y), [0.05], 4)
    np.testing.assert_allclose(losses, reference, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lrs": []}, ValueError, "non-empty 1-D sequence of learning rates"),
        ({"lrs": [[0.1, 0.2]]}, ValueError, r"got shape \(1, 2\)"),
        ({"lrs": [0.1, -0.2]}, ValueError, "positive and finite, got -0.2"),
        ({"lrs": [0.1, math.nan]}, ValueError, "positive and finite, got nan"),
        ({"lrs": ["a"]}, TypeError, "sequence of learning rates"),
        ({"steps": 0}, ValueError, "steps must be a positive int, got steps=0"),
        ({"steps": 2.5}, ValueError, "steps must be a positive int"),
        ({"seed": -1}, ValueError, "seed must be a non-negative int"),
        ({"make_model": "Linear"}, TypeError, "make_model must be a function"),
        ({"make_model": lambda: 3}, TypeError, r"make_model\(\) must return a model with .parameters\(\), got int"),
        ({"loss_fn": None}, TypeError, "loss_fn must be a function"),
        (
            {"loss_fn": lambda out, y: out - tg.Tensor(y)},
            TypeError,
            r"one-element Tensor, got a Tensor of shape \(50, 1\)",
        ),
        ({"data": [1, 2]}, TypeError, r"data must be a pair \(X, y\) or a tg.data.DataLoader"),
    ],
)
def test_bad_input_is_named(q3, kwargs, error, match):
    args = {"make_model": linear(3), "loss_fn": F.mse_loss, "data": (q3.X, q3.y), "lrs": [0.1], "steps": 2}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        tg.train.lr_sweep_losses(**args)


def test_mismatched_samples_are_named(q3):
    with pytest.raises(ValueError, match="same number of samples, got 50 and 49"):
        tg.train.lr_sweep_losses(linear(3), F.mse_loss, (q3.X, q3.y[:49]), [0.1], 2)


# --------------------------------------------------------------------------------------------------------
# gd_rate, gd_errors
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kappa", [1.5, 10.0, 100.0, 1000.0])
def test_gd_rate_in_two_dimensions_is_the_theoretical_rate(kappa):
    q = tg.data.make_quadratic(d=2, condition_number=kappa, seed=1)
    assert tg.train.gd_rate(q, 100) == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-6)


def test_gd_rate_for_kappa_one_is_zero():
    q = tg.data.make_quadratic(d=2, condition_number=1.0, seed=0)
    assert tg.train.gd_rate(q, 20) == pytest.approx(0.0, abs=1e-12)  # one step lands on w*


def test_gd_rate_in_more_dimensions_approaches_the_bound_from_below():
    q = tg.data.make_quadratic(d=6, condition_number=50.0, seed=0)
    theory = 49 / 51
    short, long = tg.train.gd_rate(q, 20), tg.train.gd_rate(q, 2000)
    assert short < long <= theory + 1e-12
    assert long == pytest.approx(theory, abs=2e-3)


def test_gd_errors_follow_gd_on_the_quadratic():
    q = tg.data.make_quadratic(d=3, condition_number=20.0, seed=2)
    start = q.w_star + np.array([1.0, -2.0, 0.5])
    errors = tg.train.gd_errors(q, 30, start=start)
    w = tg.Tensor(start.copy(), requires_grad=True)
    opt = tg.optim.GD([w], lr=2.0 / (q.L + q.mu))
    distances = [np.linalg.norm(w.data - q.w_star)]
    for _ in range(30):
        opt.zero_grad()
        q.loss(w).backward()
        opt.step()
        distances.append(np.linalg.norm(w.data - q.w_star))
    assert errors.shape == (31,)
    np.testing.assert_allclose(errors, distances, rtol=1e-8, atol=1e-13)


def test_a_start_along_one_eigenvector_shrinks_by_its_own_factor():
    q = tg.data.make_quadratic(d=3, condition_number=9.0, seed=0)
    eigenvalues, vectors = np.linalg.eigh(q.A)  # 1, 3, 9
    lr = 2.0 / (q.L + q.mu)
    rate = tg.train.gd_rate(q, 25, start=q.w_star + vectors[:, 1])
    assert rate == pytest.approx(abs(1 - lr * eigenvalues[1]), abs=1e-9)  # |1 - 2 * 3 / 10| = 0.4


def test_other_learning_rates_give_max_abs_one_minus_lr_lambda():
    q = tg.data.make_quadratic(d=2, condition_number=10.0, seed=0)
    errors = tg.train.gd_errors(q, 40, lr=1.0 / q.L)  # the L direction is gone after one step
    np.testing.assert_allclose(errors[2:] / errors[1:-1], 1 - 1 / 10, rtol=1e-9)
    errors = tg.train.gd_errors(q, 60, lr=2.5 / q.L)  # beyond the bound: grows by |1 - 2.5| = 1.5
    assert errors[-1] / errors[-2] == pytest.approx(1.5, rel=1e-9)
    assert tg.train.gd_rate(q, 60, lr=2.5 / q.L) > 1.4


def test_the_seed_chooses_the_start():
    q = tg.data.make_quadratic(d=4, condition_number=10.0, seed=0)
    a, b = tg.train.gd_errors(q, 3, seed=0), tg.train.gd_errors(q, 3, seed=1)
    np.testing.assert_array_equal(a, tg.train.gd_errors(q, 3, seed=0))
    assert a[0] != b[0]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda q: tg.train.gd_rate(np.eye(2), 10), TypeError, r"gd_rate: q must be a tg.data.Quadratic"),
        (lambda q: tg.train.gd_errors(q, 0), ValueError, "gd_errors: steps must be a positive int"),
        (lambda q: tg.train.gd_rate(q, 10, lr=-1.0), ValueError, "gd_rate: lr must be a positive finite number"),
        (lambda q: tg.train.gd_rate(q, 10, lr=math.inf), ValueError, "lr must be a positive finite number"),
        (lambda q: tg.train.gd_rate(q, 10, start=[1.0, 2.0, 3.0]), ValueError, r"shape \(2,\), got shape \(3,\)"),
        (lambda q: tg.train.gd_rate(q, 10, seed=-2), ValueError, "seed must be a non-negative int"),
        (lambda q: tg.train.gd_rate(q, 10, start=q.w_star), ValueError, "the start is the minimum w"),
    ],
)
def test_gd_rate_bad_input_is_named(call, error, match):
    q = tg.data.make_quadratic(d=2, condition_number=10.0, seed=0)
    with pytest.raises(error, match=match):
        call(q)
