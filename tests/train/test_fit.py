"""fit: the loop does what a hand-written loop does, records what History promises, and validates its input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from train_helpers import F, gd_on_quadratic, linear_model, quadratic, regression

import tinygrad_edu as tg
from tinygrad_edu.train import Callback, LambdaCallback, fit


def sgd_run(epochs=3, batch_size=8, lr=0.05, **kwargs):
    X, y, _ = regression()
    model = linear_model(3)
    opt = tg.optim.SGD(model.parameters(), lr=lr)
    loader = tg.data.DataLoader(X, y, batch_size=batch_size, seed=1)
    kwargs.setdefault("progress", False)
    return model, fit(model, F.mse_loss, opt, loader, epochs=epochs, **kwargs), (X, y)


# ---- the loop equals the hand-written one ------------------------------------------------------------------


def test_fit_takes_exactly_the_steps_of_a_hand_written_loop():
    model, h, (X, y) = sgd_run(epochs=3, batch_size=8)
    ref = linear_model(3)
    opt = tg.optim.SGD(ref.parameters(), lr=0.05)
    loader = tg.data.DataLoader(X, y, batch_size=8, seed=1)
    losses, norms = [], []
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.mse_loss(ref(xb), yb)
            loss.backward()
            losses.append(loss.item())
            norms.append(math.sqrt(sum(float((p.grad**2).sum()) for p in ref.parameters())))
            opt.step()
    np.testing.assert_array_equal(model.weight.data, ref.weight.data)
    np.testing.assert_array_equal(model.bias.data, ref.bias.data)
    assert h.loss == losses
    np.testing.assert_allclose(h.grad_norm, norms, rtol=1e-12)


def test_iteration_and_epoch_bookkeeping():
    _, h, _ = sgd_run(epochs=3, batch_size=8)  # 50 samples: batches of 8 x 6 and 2
    assert h.n_iterations == 21 and h.n_epochs == 3
    assert h.epoch_index == [1] * 7 + [2] * 7 + [3] * 7
    assert h.grad_evals[:8] == [8, 16, 24, 32, 40, 48, 50, 58]
    assert h.epoch_iterations == [7, 14, 21] and h.epoch_grad_evals == [50, 100, 150]
    assert h.lr == [0.05] * 21
    assert all(np.diff(h.wall_time) >= 0) and h.epoch_wall_time[-1] >= h.wall_time[-1]
    assert h.iterations.tolist() == list(range(1, 22)) and h.epochs.tolist() == [1, 2, 3]
    assert h.stop_reason.code == "max_epochs" and (h.stop_reason.epoch, h.stop_reason.iteration) == (3, 21)
    assert h.info["batch_size"] == 8 and h.info["optimizer"] == "SGD" and h.info["iterations_per_epoch"] == 7
    assert h.name == "SGD, mini-batch (batch 8)"


def test_train_loss_mean_is_the_batch_size_weighted_mean_of_the_epoch():
    _, h, _ = sgd_run(epochs=2, batch_size=8)
    sizes = np.diff([0, *h.grad_evals])
    for e in (1, 2):
        idx = [i for i, k in enumerate(h.epoch_index) if k == e]
        expected = np.dot(np.array(h.loss)[idx], sizes[idx]) / sizes[idx].sum()
        assert h.train_loss[e - 1] == pytest.approx(expected, rel=1e-12)
    assert h.train_loss_mode == "mean"


def test_train_loss_full_is_the_training_set_loss_at_the_epoch_end():
    model, h, (X, y) = sgd_run(epochs=2, batch_size=8, train_loss="full")
    assert h.train_loss[-1] == pytest.approx(F.mse_loss(model(X), y).item(), rel=1e-12)
    assert h.train_loss_mode == "full"


def test_validation_loss_and_metrics_are_those_of_the_final_parameters():
    X, Xv, y, yv = tg.data.train_test_split(*regression(n=80)[:2], test_size=30, seed=0)
    model = linear_model(3)
    h = fit(
        model,
        F.mse_loss,
        tg.optim.GD(model.parameters(), lr=0.1),
        tg.data.DataLoader(X, y),
        epochs=4,
        val_data=(Xv, yv),
        metrics=["r2_score", tg.metrics.mae],
        train_loss="full",
        progress=False,
    )
    pred, pred_v = model(X).data, model(Xv).data
    assert h.val_loss[-1] == pytest.approx(float(np.mean((pred_v - yv) ** 2)), rel=1e-12)
    assert set(h.metrics) == {"r2_score", "val_r2_score", "mae", "val_mae"}
    assert h.metrics["r2_score"][-1] == pytest.approx(tg.metrics.r2_score(y, pred), rel=1e-12)
    assert h.metrics["val_mae"][-1] == pytest.approx(tg.metrics.mae(yv, pred_v), rel=1e-12)
    assert all(len(v) == 4 for v in h.metrics.values()) and len(h.val_loss) == 4


def test_running_metrics_use_each_batch_output():
    X, y = tg.data.make_blobs(40, centers=3, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Linear(2, 3, dtype=np.float64)
    # lr = 0: the parameters never change, so the running (mean) statistics equal the full-pass ones
    h = fit(
        model,
        F.cross_entropy,
        tg.optim.SGD(model.parameters(), lr=0.0),
        tg.data.DataLoader(X, y, batch_size=7, seed=0),
        epochs=1,
        metrics={"acc": tg.metrics.accuracy},
        progress=False,
    )
    logits = model(X).data
    assert h.metrics["acc"] == [tg.metrics.accuracy(y, logits)]
    assert h.train_loss[0] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-12)


def test_fit_trains_in_training_mode_and_evaluates_in_evaluation_mode():
    modes = []

    class Spy(tg.nn.Linear):
        def forward(self, x):
            modes.append(self.training)
            return super().forward(x)

    X, y, _ = regression(n=10)
    tg.manual_seed(0)
    model = Spy(3, 1, dtype=np.float64).eval()
    fit(model, F.mse_loss, tg.optim.GD(model.parameters(), lr=0.1), (X, y), epochs=2, val_data=(X, y), progress=False)
    assert modes == [True, False, True, False] and model.training  # step, validation; step, validation


def test_a_pair_is_a_full_batch_loader_and_a_loader_without_targets_works():
    X, y, _ = regression()
    model = linear_model(3)
    h = fit(model, F.mse_loss, tg.optim.GD(model.parameters(), lr=0.1), (X, y), epochs=2, progress=False)
    assert h.n_iterations == 2 and h.grad_evals == [50, 100]
    q = quadratic()
    w = tg.Tensor(np.zeros(2), requires_grad=True)  # minimise f(w) directly: the "model" ignores its input
    h = fit(
        lambda _: w,
        q.loss,
        tg.optim.GD([w], lr=1 / q.L),
        tg.data.DataLoader(np.zeros((1, 1))),
        epochs=300,
        stop=[tg.train.GradNormBelow(1e-10)],
        progress=False,
    )
    np.testing.assert_allclose(w.data, q.w_star, atol=1e-9)
    assert h.stop_reason.code == "grad_norm_below"


# ---- scheduler, clipping, snapshots -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"),
    [("iteration", [0.4 * 0.5**k for k in range(6)]), ("epoch", [0.4] * 3 + [0.2] * 3)],
)
def test_scheduler_steps_per_iteration_or_per_epoch(interval, expected):
    X, y, _ = regression(n=30)
    model = linear_model(3)
    opt = tg.optim.SGD(model.parameters(), lr=0.4)
    sched = tg.optim.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(
        model,
        F.mse_loss,
        opt,
        tg.data.DataLoader(X, y, batch_size=10, seed=0),
        epochs=2,
        scheduler=sched,
        scheduler_interval=interval,
        progress=False,
    )
    np.testing.assert_allclose(h.lr, expected, rtol=1e-15)


def test_gradient_clipping_limits_the_step_and_records_the_norm_before_clipping():
    q = quadratic()
    w0 = linear_model(2, bias=False).weight.data.copy()
    model, h = gd_on_quadratic(q, lr=0.01, epochs=1, grad_clip=0.5)
    g = 2 * (q.X.T @ (q.X @ w0[0] - q.y[:, 0])) / len(q.X)  # the gradient of mse at w0, by hand
    assert h.grad_norm[0] == pytest.approx(np.linalg.norm(g), rel=1e-12) and h.grad_norm[0] > 0.5
    step = w0[0] - model.weight.data[0]
    assert np.linalg.norm(step) == pytest.approx(0.01 * 0.5, rel=1e-5)  # lr * clip (up to the 1e-6 guard)
    np.testing.assert_allclose(step / np.linalg.norm(step), g / np.linalg.norm(g), rtol=1e-12)  # direction kept


def test_clip_grad_norm_and_global_grad_norm():
    a = tg.Tensor(np.zeros(2), requires_grad=True)
    b = tg.Tensor(np.zeros((2, 2)), requires_grad=True)
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([[0.0, 4.0], [0.0, 0.0]]).T  # a transposed (Fortran) array
    assert tg.train.global_grad_norm([a, b]) == 5.0
    assert tg.train.clip_grad_norm([a, b], max_norm=10.0) == 5.0 and a.grad[0] == 3.0  # below: unchanged
    tg.train.clip_grad_norm([a, b], max_norm=1.0)
    assert tg.train.global_grad_norm([a, b]) == pytest.approx(1.0, rel=1e-5)


def test_parameter_snapshots_every_k_iterations_with_the_initial_and_final_ones():
    q = quadratic()
    w0 = linear_model(2, bias=False).weight.data.copy()
    model, h = gd_on_quadratic(q, lr=0.05, epochs=10, record_params=4)
    assert h.param_iterations == [0, 4, 8, 10]
    traj = h.param_trajectory("weight")
    assert traj.shape == (4, 1, 2)
    np.testing.assert_array_equal(traj[0], w0)
    np.testing.assert_array_equal(traj[-1], model.weight.data)
    _, h_all = gd_on_quadratic(q, lr=0.05, epochs=3, record_params=True)
    assert h_all.param_iterations == [0, 1, 2, 3]
    with pytest.raises(KeyError, match="no snapshots of parameter 'bias'"):
        h_all.param_trajectory("bias")


def test_parameter_names_without_a_module():
    w = tg.Tensor(np.ones(2), requires_grad=True, name="w")
    v = tg.Tensor(np.ones(2), requires_grad=True)
    X = np.ones((4, 2))
    h = fit(
        lambda xb: xb @ w + xb @ v,
        lambda out: (out**2).mean(),
        tg.optim.GD([w, v], lr=0.01),
        tg.data.DataLoader(X),
        epochs=1,
        record_params=True,
        progress=False,
    )
    assert sorted(h.params) == ["param1", "w"]


# ---- progress -------------------------------------------------------------------------------------------------


def test_progress_false_prints_nothing(capfd):
    sgd_run(epochs=2, progress=False, val_data=regression(n=10, seed=3)[:2])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_bar_shows_epochs_and_the_loss(capfd):
    sgd_run(epochs=2, progress=True, name="my run")
    out, err = capfd.readouterr()
    assert out == ""
    assert "my run" in err and "2/2" in err and "loss=" in err and "epoch" in err


# ---- callbacks --------------------------------------------------------------------------------------------


class Recorder(Callback):
    def __init__(self, tag, log):
        self.tag, self.log = tag, log

    def _note(self, hook, state):
        self.log.append((self.tag, hook, state.epoch, state.iteration))

    def on_train_begin(self, state):
        self._note("train_begin", state)

    def on_epoch_begin(self, state):
        self._note("epoch_begin", state)

    def on_iteration_end(self, state):
        self._note("iteration_end", state)

    def on_epoch_end(self, state):
        assert state.history.n_epochs == state.epoch  # the epoch's record is already there
        self._note("epoch_end", state)

    def on_train_end(self, state):
        assert state.history.stop_reason is not None
        self._note("train_end", state)


def test_callbacks_run_in_order_at_every_point():
    log = []
    X, y, _ = regression(n=20)
    model = linear_model(3)
    fit(
        model,
        F.mse_loss,
        tg.optim.SGD(model.parameters(), lr=0.01),
        tg.data.DataLoader(X, y, batch_size=10, seed=0),
        epochs=2,
        callbacks=[Recorder("A", log), Recorder("B", log)],
        progress=False,
    )
    expected = [
        ("train_begin", 0, 0),
        ("epoch_begin", 1, 0),
        ("iteration_end", 1, 1),
        ("iteration_end", 1, 2),
        ("epoch_end", 1, 2),
        ("epoch_begin", 2, 2),
        ("iteration_end", 2, 3),
        ("iteration_end", 2, 4),
        ("epoch_end", 2, 4),
        ("train_end", 2, 4),
    ]
    assert log == [(tag, *event) for event in expected for tag in ("A", "B")]


def test_a_callback_can_stop_training_mid_epoch():
    def stop_at_5(state):
        if state.iteration == 5:
            state.request_stop("enough")

    _, h, _ = sgd_run(epochs=10, batch_size=8, callbacks=LambdaCallback(on_iteration_end=stop_at_5))
    assert (h.stop_reason.code, h.stop_reason.message) == ("callback", "enough")
    assert (h.stop_reason.epoch, h.stop_reason.iteration) == (1, 5)
    assert h.n_iterations == 5 and h.n_epochs == 1 and h.epoch_iterations == [5]  # the partial epoch is closed


def test_lambda_callback_and_print_progress(capsys):
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        LambdaCallback(on_epoch_end=3)
    with pytest.raises(ValueError, match="every must be a positive int"):
        tg.train.PrintProgress(every=0)
    sgd_run(epochs=5, callbacks=[tg.train.PrintProgress(every=2)], metrics=["r2_score"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines[:3]] == ["2", "4", "5"]
    assert " r2_score " in lines[0] and lines[-1].startswith("stopped: max_epochs")


# ---- validation -------------------------------------------------------------------------------------------


def _fit_args():
    X, y, _ = regression(n=10)
    model = linear_model(3)
    return model, F.mse_loss, tg.optim.SGD(model.parameters(), lr=0.1), tg.data.DataLoader(X, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, r"fit needs a budget, or training might never end: pass epochs=\.\.\., max_iters=\.\.\."),
        ({"epochs": 0}, ValueError, "epochs must be a positive int or None, got epochs=0"),
        ({"epochs": 1, "scheduler_interval": "batch"}, ValueError, "scheduler_interval must be 'epoch' or 'iteration'"),
        ({"epochs": 1, "train_loss": "last"}, ValueError, "train_loss must be 'mean' or 'full'"),
        ({"epochs": 1, "grad_clip": -1.0}, ValueError, "grad_clip must be None or a positive number"),
        ({"epochs": 1, "metrics": ["acuracy"]}, ValueError, "unknown metric 'acuracy'"),
        ({"epochs": 1, "metrics": [3]}, TypeError, "a metric must be a name from tg.metrics"),
        ({"epochs": 1, "stop": [3]}, TypeError, "stop must hold StopConditions"),
        ({"epochs": 1, "callbacks": [object()]}, TypeError, "a callback needs at least one of the hooks"),
        ({"epochs": 1, "val_data": np.zeros(3)}, TypeError, r"val_data must be a pair \(X_val, y_val\)"),
        ({"epochs": 1, "val_data": (np.zeros((3, 3)), np.zeros(2))}, ValueError, r"shapes \(3, 3\) and \(2,\)"),
        (
            {"epochs": 1, "stop": [tg.train.EarlyStopping()]},
            ValueError,
            r"EarlyStopping monitors 'val_loss', which this run does not record "
            r"\(validation series need fit\(\.\.\., val_data=",
        ),
        (
            {"epochs": 1, "stop": [tg.train.LossBelow(0.1, monitor="trian_loss")]},
            ValueError,
            "LossBelow monitors 'trian_loss'",
        ),
        ({"epochs": 1, "record_params": -1}, ValueError, "record_params must be a positive int"),
    ],
)
def test_fit_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        fit(*_fit_args(), progress=False, **kwargs)


def test_fit_type_errors_and_mismatches():
    model, loss_fn, opt, loader = _fit_args()
    with pytest.raises(TypeError, match=r"loader must be a tg\.data\.DataLoader"):
        fit(model, loss_fn, opt, [1, 2], epochs=1)
    with pytest.raises(TypeError, match=r"optimizer must be a tg\.optim Optimizer"):
        fit(model, loss_fn, "sgd", loader, epochs=1)
    other = linear_model(3)
    with pytest.raises(ValueError, match="none of the optimizer's parameters belong to the model"):
        fit(other, loss_fn, opt, loader, epochs=1, progress=False)
    other_opt = tg.optim.SGD(other.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler must be built over the same optimizer"):
        fit(model, loss_fn, opt, loader, epochs=1, scheduler=tg.optim.StepLR(other_opt, 1), progress=False)
    with pytest.raises(
        ValueError, match=r"metrics \[.mse.\] compare predictions with targets, but the loader has no y"
    ):
        fit(model, lambda out: out.mean(), opt, tg.data.DataLoader(np.zeros((4, 3))), epochs=1, metrics=["mse"])


@pytest.mark.parametrize(
    ("loss_fn", "error", "match"),
    [
        (lambda out, y: 1.0, TypeError, "loss_fn must return the loss as a Tensor, got float"),
        (
            lambda out, y: out - tg.Tensor(y),
            ValueError,
            r"returned a Tensor of shape \(10, 1\); the loss must be one number",
        ),
        (lambda out, y: tg.Tensor(0.0), RuntimeError, "the loss does not require grad"),
    ],
)
def test_fit_explains_a_bad_loss(loss_fn, error, match):
    model, _, opt, loader = _fit_args()
    with pytest.raises(error, match=match):
        fit(model, loss_fn, opt, loader, epochs=1, progress=False)


# ---- closure-based optimisers: fit builds the closure ----------------------------------------------------------


def test_fit_builds_the_closure_for_an_armijo_line_search_and_steps_like_a_hand_written_loop():
    X, y, _ = regression()
    model = linear_model(3)
    opt = tg.optim.GD(model.parameters(), lr=4.0, line_search="armijo")  # lr too large: it must backtrack
    h = fit(model, F.mse_loss, opt, (X, y), epochs=5, progress=False)

    ref = linear_model(3)
    ref_opt = tg.optim.GD(ref.parameters(), lr=4.0, line_search="armijo")
    Xt, yt = tg.Tensor(X), tg.Tensor(y)
    losses, calls = [], 0

    def closure():
        nonlocal calls
        calls += 1
        ref_opt.zero_grad()
        loss = F.mse_loss(ref(Xt), yt)
        loss.backward()
        return loss

    for _ in range(5):
        losses.append(float(ref_opt.step(closure).data))
    assert h.loss == losses  # fit's recorded loss is the loss at the parameters before each step
    assert model.weight.data.tobytes() == ref.weight.data.tobytes()
    assert model.bias.data.tobytes() == ref.bias.data.tobytes()
    assert opt.state[model.weight]["backtracks"] == ref_opt.state[ref.weight]["backtracks"]
    assert calls > 2 * 5  # the start point and at least one shrunk trial per step
    # every closure call is one more full-batch gradient evaluation, besides fit's own
    assert h.grad_evals[-1] == len(X) * (5 + calls)
    assert h.loss[-1] < h.loss[0]


def test_fit_refuses_gradient_clipping_with_a_line_search_up_front():
    X, y, _ = regression()
    model = linear_model(3)
    opt = tg.optim.GD(model.parameters(), lr=0.1, line_search="armijo")
    before = model.weight.data.copy()
    with pytest.raises(ValueError) as info:
        fit(model, F.mse_loss, opt, (X, y), epochs=1, grad_clip=1.0, progress=False)
    message = str(info.value)
    assert "grad_clip=1.0 cannot be combined with GD(line_search='armijo')" in message
    assert "pass grad_clip=None" in message
    np.testing.assert_array_equal(model.weight.data, before)
