"""Each stopping condition fires when, and only when, it should, with the right reason.

The problems are deterministic (full-batch GD on a quadratic, float64), so a reference run without the
condition gives the exact series the condition sees, and the expected stopping point follows from it.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from train_helpers import F, gd_on_quadratic, linear_model, quadratic, regression

import tinygrad_edu as tg
from tinygrad_edu.train import (
    AllOf,
    AnyOf,
    Divergence,
    EarlyStopping,
    GradNormBelow,
    LambdaCallback,
    LossBelow,
    MaxEpochs,
    MaxIters,
    RelativeImprovementBelow,
    StopCondition,
    TimeBudget,
    fit,
)

Q = quadratic(n=200, kappa=10.0)
LR = 1.0 / Q.L


@pytest.fixture(scope="module")
def reference():
    """60 epochs of GD with lr = 1/L, nothing but the budget: the series every condition below reads."""
    return gd_on_quadratic(Q, LR, epochs=60)[1]


def first(values, predicate, start=0):
    """1-based position of the first value (from index ``start``) satisfying ``predicate``."""
    return next(i + 1 for i in range(start, len(values)) if predicate(i))


# ---- budgets ----------------------------------------------------------------------------------------------


def test_max_epochs_as_a_condition_and_as_fit_epochs(reference):
    _, h = gd_on_quadratic(Q, LR, stop=[MaxEpochs(4)])
    assert (h.stop_reason.code, h.stop_reason.epoch, h.n_epochs) == ("max_epochs", 4, 4)
    assert h.stop_reason.message == "reached the maximum of 4 epochs"
    assert reference.stop_reason.code == "max_epochs" and reference.n_epochs == 60
    assert reference.loss[:4] == h.loss  # stopping changes nothing before it fires


def test_max_iters_stops_mid_epoch_and_closes_the_partial_epoch():
    X, y, _ = regression(n=30)
    model = linear_model(3)
    opt = tg.optim.SGD(model.parameters(), lr=0.01)
    h = fit(model, F.mse_loss, opt, tg.data.DataLoader(X, y, batch_size=10, seed=0), max_iters=7, progress=False)
    assert (h.stop_reason.code, h.stop_reason.epoch, h.stop_reason.iteration) == ("max_iters", 3, 7)
    assert h.n_iterations == 7 and h.epoch_iterations == [3, 6, 7] and h.epoch_grad_evals == [30, 60, 70]
    assert h.stop_reason.message == "reached the maximum of 7 iterations"


def test_time_budget_fires_at_the_first_check_past_the_budget():
    slow = LambdaCallback(on_epoch_begin=lambda state: time.sleep(0.01))  # inside the timed iterations
    _, h = gd_on_quadratic(Q, LR, epochs=1000, stop=[TimeBudget(0.05)], callbacks=[slow])
    assert h.stop_reason.code == "time_budget" and "0.05 s is used up" in h.stop_reason.message
    # one iteration per epoch: the checks before the one that fired were the previous epoch's end
    assert h.wall_time[-1] >= 0.05 and h.epoch_wall_time[-2] < 0.05
    _, h = gd_on_quadratic(Q, LR, epochs=3, stop=[TimeBudget(60.0)])
    assert h.stop_reason.code == "max_epochs"


# ---- convergence criteria ---------------------------------------------------------------------------------


def test_loss_below_fires_at_the_first_epoch_under_tol(reference):
    L = reference.train_loss
    tol = (L[19] + L[20]) / 2  # between epochs 20 and 21: the first epoch under it is 21
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[LossBelow(tol)])
    assert (h.stop_reason.code, h.stop_reason.epoch, h.stop_reason.iteration) == ("loss_below", 21, 21)
    assert h.stop_reason.message == f"train_loss {L[20]:.6g} < tol {tol:.6g}"
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[LossBelow(min(L) - 1e-9)])  # never reached
    assert h.stop_reason.code == "max_epochs"


def test_loss_below_on_the_batch_loss_is_checked_every_iteration():
    X, y, _ = regression(n=40)
    kwargs = {"epochs": 30, "progress": False}
    ref = fit(
        m := linear_model(3),
        F.mse_loss,
        tg.optim.SGD(m.parameters(), lr=0.05),
        tg.data.DataLoader(X, y, batch_size=4, seed=0),
        **kwargs,
    )
    tol = 0.05
    expected = first(ref.loss, lambda i: ref.loss[i] < tol)
    h = fit(
        m := linear_model(3),
        F.mse_loss,
        tg.optim.SGD(m.parameters(), lr=0.05),
        tg.data.DataLoader(X, y, batch_size=4, seed=0),
        stop=[LossBelow(tol, monitor="loss")],
        **kwargs,
    )
    assert h.stop_reason.code == "loss_below" and h.stop_reason.iteration == expected == h.n_iterations
    assert h.stop_reason.message.startswith("loss ")


def test_relative_improvement_below_fires_when_progress_stalls(reference):
    L, w, tol = reference.train_loss, 3, 1e-3
    expected = first(L, lambda i: (L[i - w] - L[i]) / abs(L[i - w]) < tol, start=w)
    assert 5 < expected < 60
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[RelativeImprovementBelow(tol, window=w)])
    assert (h.stop_reason.code, h.stop_reason.epoch) == ("relative_improvement_below", expected)
    assert "over the last 3 epochs, below tol 0.001" in h.stop_reason.message
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[RelativeImprovementBelow(-1.0, window=w)])
    assert h.stop_reason.code == "max_epochs"  # a loss that goes down always improves by more than -100 %


def test_relative_improvement_below_fires_when_the_loss_goes_up():
    _, h = gd_on_quadratic(Q, 2.05 / Q.L, epochs=60, stop=[RelativeImprovementBelow(0.0, window=1)])
    assert h.stop_reason.code == "relative_improvement_below" and "improved by -" in h.stop_reason.message


def test_grad_norm_below_fires_at_the_first_small_gradient(reference):
    g, tol = reference.grad_norm, 1e-2
    expected = first(g, lambda i: g[i] < tol)
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[GradNormBelow(tol)])
    assert (h.stop_reason.code, h.stop_reason.iteration) == ("grad_norm_below", expected)
    assert h.grad_norm[-1] < tol <= h.grad_norm[-2]
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[GradNormBelow(min(g) / 2)])
    assert h.stop_reason.code == "max_epochs"


# ---- early stopping ---------------------------------------------------------------------------------------


def early_stopping_run(stop, epochs=60):
    """1-D regression y = 2 x trained from w0 < 1 by GD; the validation data says y = x, so the validation loss
    falls while w approaches 1 and rises once w passes it on its way to 2."""
    X, y = np.ones((4, 1)), np.full((4, 1), 2.0)
    val = (np.ones((2, 1)), np.ones((2, 1)))
    model = linear_model(1, bias=False)
    model.weight.data[...] = -1.0
    opt = tg.optim.GD(model.parameters(), lr=0.05)
    h = fit(
        model,
        F.mse_loss,
        opt,
        tg.data.DataLoader(X, y),
        epochs=epochs,
        val_data=val,
        stop=stop,
        record_params=True,
        progress=False,
    )
    return model, h


def test_early_stopping_waits_patience_epochs_and_restores_the_best():
    _, ref = early_stopping_run(stop=[])
    best = int(np.argmin(ref.val_loss)) + 1
    assert 3 < best < 50
    model, h = early_stopping_run(stop=[EarlyStopping(patience=4)])
    assert (h.stop_reason.code, h.stop_reason.epoch) == ("early_stopping", best + 4)
    assert h.stop_reason.message == (
        f"val_loss did not improve by more than min_delta=0 for 4 epochs (best {min(ref.val_loss):.6g} at epoch {best})"
    )
    np.testing.assert_array_equal(model.weight.data, h.params["weight"][best])  # snapshot after `best` steps
    assert h.events == [
        f"EarlyStopping restored the parameters of epoch {best} (best val_loss {min(ref.val_loss):.6g})"
    ]


def test_early_stopping_without_restoring_and_when_it_never_fires():
    model, h = early_stopping_run(stop=[EarlyStopping(patience=4, restore_best=False)])
    np.testing.assert_array_equal(model.weight.data, h.params["weight"][-1])
    assert h.events == []
    _, h = early_stopping_run(stop=[EarlyStopping(patience=100)], epochs=30)
    assert h.stop_reason.code == "max_epochs"


def expected_stop(values, patience, min_delta=0.0, mode="min"):
    """The documented rule, re-implemented: the epoch at which EarlyStopping must fire (None if never)."""
    best, wait = values[0], 0
    for epoch, v in enumerate(values[1:], start=2):
        if (v < best - min_delta) if mode == "min" else (v > best + min_delta):
            best, wait = v, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return None


def test_early_stopping_min_delta_and_max_mode():
    _, ref = early_stopping_run(stop=[])
    step = ref.val_loss[0] - ref.val_loss[1]  # the largest one-epoch improvement, the first
    expected = expected_stop(ref.val_loss, patience=2, min_delta=1.5 * step)
    assert expected is not None and expected < expected_stop(ref.val_loss, patience=2)
    _, h = early_stopping_run(stop=[EarlyStopping(patience=2, min_delta=1.5 * step)])
    assert (h.stop_reason.code, h.stop_reason.epoch) == ("early_stopping", expected)
    stop = EarlyStopping(patience=3, monitor="train_loss", mode="max")  # maximising a falling loss
    _, h = early_stopping_run(stop=[stop])
    assert (h.stop_reason.epoch, stop.best_epoch) == (4, 1)
    assert EarlyStopping(monitor="val_accuracy").resolved_mode == "max"
    assert EarlyStopping(monitor="val_loss").resolved_mode == "min"


def test_conditions_reset_between_runs():
    stop = EarlyStopping(patience=4)
    _, h1 = early_stopping_run(stop=[stop])
    _, h2 = early_stopping_run(stop=[stop])
    assert h1.stop_reason == h2.stop_reason and h1.loss == h2.loss


# ---- divergence -------------------------------------------------------------------------------------------


def test_gd_with_lr_above_2_over_L_diverges_and_is_reported():
    lr = 2.2 / Q.L  # |1 - lr L| = 1.2 > 1: the error along the top eigenvector grows by 1.2 per step
    model, h = gd_on_quadratic(Q, lr, epochs=500, record_params=True)
    r = h.stop_reason
    assert r.code == "diverged" and "lr > 2/L" in r.message and "exceeds factor=10000" in r.message
    threshold = 1e4 * h.loss[0]
    assert h.loss[-1] > threshold >= h.loss[-2]  # fired at the first loss over the threshold, not later
    assert r.iteration == h.n_iterations < 500
    k = h.last_good_iteration
    assert k == r.iteration - 2
    np.testing.assert_array_equal(h.last_good_params["weight"], h.params["weight"][k])
    model.load_state_dict(h.last_good_params)  # restorable, as documented
    loss = F.mse_loss(model(Q.X), Q.y).item()
    assert loss == pytest.approx(h.loss[k], rel=1e-12) and loss <= threshold


def test_gd_with_lr_below_2_over_L_does_not_diverge():
    _, h = gd_on_quadratic(Q, 1.95 / Q.L, epochs=300)
    assert h.stop_reason.code == "max_epochs" and h.last_good_params is None


def test_divergence_restore_true_puts_the_last_good_parameters_back():
    model, h = gd_on_quadratic(Q, 2.5 / Q.L, epochs=500, stop=[Divergence(restore=True)])
    np.testing.assert_array_equal(model.weight.data, h.last_good_params["weight"])
    assert h.events == [f"Divergence restored the parameters after {h.last_good_iteration} steps"]


def test_a_nan_loss_stops_at_once():
    def poison(state):
        if state.iteration == 3:
            state.model.weight.data[0, 0] = np.nan

    _, h = gd_on_quadratic(Q, LR, epochs=50, callbacks=[LambdaCallback(on_iteration_end=poison)], record_params=True)
    assert h.stop_reason.code == "diverged" and h.stop_reason.iteration == 4
    assert h.stop_reason.message.startswith("the loss is nan at iteration 4")
    assert math.isnan(h.loss[-1]) and math.isnan(h.train_loss[-1])
    assert h.last_good_iteration == 2
    np.testing.assert_array_equal(h.last_good_params["weight"], h.params["weight"][2])


def test_mini_batch_divergence_is_confirmed_on_the_training_set():
    X, y, _ = regression(n=40)
    model = linear_model(3)
    h = fit(
        model,
        F.mse_loss,
        tg.optim.SGD(model.parameters(), lr=1.5),
        tg.data.DataLoader(X, y, batch_size=4, seed=0),
        epochs=50,
        progress=False,
    )
    assert h.stop_reason.code == "diverged"
    assert h.stop_reason.message.startswith("the training-set loss") or "is inf" in h.stop_reason.message


def test_one_large_sample_loss_is_not_divergence():
    """Batches of one sample: the first loss is tiny, one later sample's loss is 1e12 times larger. The screen
    fires, the whole-set check (loss unchanged, lr = 0) says no: training goes on."""
    X = np.ones((20, 1))
    y = np.full((20, 1), 1e-3)
    y[7] = 1e3
    model = linear_model(1, bias=False)
    model.weight.data[...] = 0.0
    h = fit(
        model,
        F.mse_loss,
        tg.optim.SGD(model.parameters(), lr=0.0),
        tg.data.DataLoader(X, y, batch_size=1, seed=0),
        epochs=2,
        progress=False,
    )
    assert max(h.loss) / h.loss[0] > 1e4
    assert h.stop_reason.code == "max_epochs"


def test_divergence_settings_are_validated():
    with pytest.raises(ValueError, match="factor must be > 1"):
        Divergence(factor=0.5)
    with pytest.raises(ValueError, match="restore=True needs keep_last_good=True"):
        Divergence(keep_last_good=False, restore=True)
    _, h = gd_on_quadratic(Q, 2.5 / Q.L, epochs=500, stop=[Divergence(factor=10.0, keep_last_good=False)])
    assert h.stop_reason.code == "diverged" and h.last_good_params is None
    assert h.loss[-1] > 10 * h.loss[0] >= h.loss[-2]


# ---- combinations and priorities ----------------------------------------------------------------------------


def test_any_of_reports_the_first_condition_that_fires(reference):
    L = reference.train_loss
    tol = (L[9] + L[10]) / 2  # first under it: epoch 11
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[LossBelow(tol) | MaxIters(30)])
    assert (h.stop_reason.code, h.stop_reason.epoch) == ("loss_below", 11)
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[LossBelow(tol) | MaxIters(5)])
    assert (h.stop_reason.code, h.stop_reason.iteration) == ("max_iters", 5)
    combined = LossBelow(1.0) | MaxIters(5) | GradNormBelow(1.0)
    assert isinstance(combined, AnyOf) and len(combined.conditions) == 3


def test_all_of_fires_when_every_condition_holds(reference):
    L, g = reference.train_loss, reference.grad_norm
    loss_tol = (L[9] + L[10]) / 2  # holds from epoch 11
    grad_tol = (g[19] + g[20]) / 2  # holds from iteration 21
    _, h = gd_on_quadratic(Q, LR, epochs=60, stop=[LossBelow(loss_tol) & GradNormBelow(grad_tol)])
    # the loss criterion said "stop" at the end of epoch 11 and still does; the gradient joins at iteration 21
    assert (h.stop_reason.code, h.stop_reason.iteration) == ("loss_below+grad_norm_below", 21)
    assert h.stop_reason.message.startswith("all of: train_loss")
    assert isinstance(LossBelow(1.0) & GradNormBelow(1.0), AllOf)


def test_user_conditions_take_priority_over_the_epochs_budget(reference):
    L = reference.train_loss
    tol = (L[9] + L[10]) / 2
    _, h = gd_on_quadratic(Q, LR, epochs=11, stop=[LossBelow(tol)])  # both fire at the end of epoch 11
    assert h.stop_reason.code == "loss_below"


def test_custom_condition_and_errors():
    class Never(StopCondition):
        pass

    with pytest.raises(NotImplementedError, match="Never must implement check"):
        gd_on_quadratic(Q, LR, epochs=2, stop=[Never()])
    with pytest.raises(TypeError, match="AnyOf combines StopConditions"):
        AnyOf(LossBelow(1.0), 3)
    with pytest.raises(ValueError, match="MaxEpochs: n must be a positive int"):
        MaxEpochs(0)
    with pytest.raises(ValueError, match="GradNormBelow: tol must be > 0"):
        GradNormBelow(0.0)
    with pytest.raises(ValueError, match="EarlyStopping monitors a per-epoch series"):
        EarlyStopping(monitor="loss")
    assert repr(LossBelow(0.5)) == "LossBelow(tol=0.5, monitor='train_loss')"
    assert repr(LossBelow(0.5) | MaxIters(3)) == "(LossBelow(tol=0.5, monitor='train_loss') | MaxIters(n=3))"
