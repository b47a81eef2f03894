"""History: JSON round trip, reading helpers, DataFrames (pandas optional)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from train_helpers import F, gd_on_quadratic, linear_model, quadratic, regression

import tinygrad_edu as tg
from tinygrad_edu.train import History, StopReason


@pytest.fixture(scope="module")
def rich_history():
    """A run that fills every field: validation, metrics, snapshots, events, float32 parameters."""
    X, Xv, y, yv = tg.data.train_test_split(*regression(n=50)[:2], test_size=10, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 1)  # float32 parameters: the dtype must survive the round trip
    h = tg.train.fit(
        model,
        F.mse_loss,
        tg.optim.SGD(model.parameters(), lr=0.05),
        tg.data.DataLoader(X, y, batch_size=16, seed=0),
        epochs=6,
        val_data=(Xv, yv),
        metrics=["r2_score"],
        stop=[tg.train.EarlyStopping(patience=2)],
        record_params=2,
        progress=False,
        name="sgd run",
    )
    h.events.append("a note")
    return h


def test_json_round_trip_is_exact(rich_history):
    h = rich_history
    text = h.to_json()
    back = History.from_json(text)
    assert back.to_json() == text
    assert back.name == "sgd run" and back.stop_reason == h.stop_reason and back.events == h.events
    assert back.loss == h.loss and back.metrics == h.metrics and back.param_iterations == h.param_iterations
    for name, snaps in h.params.items():
        assert [a.dtype for a in back.params[name]] == [np.dtype(np.float32)] * len(snaps)
        for a, b in zip(snaps, back.params[name], strict=True):
            np.testing.assert_array_equal(a, b)
    assert json.loads(text)["info"]["optimizer"] == "SGD"


def test_json_round_trip_of_a_diverged_run_keeps_nan_inf_and_last_good_params():
    _, h = gd_on_quadratic(quadratic(), 3.0 / 10.0, epochs=500)
    h.loss.append(float("inf"))
    h.grad_norm.append(float("nan"))
    back = History.from_json(h.to_json(indent=2))
    assert back.loss[-1] == float("inf") and np.isnan(back.grad_norm[-1])
    assert back.stop_reason.code == "diverged" and back.last_good_iteration == h.last_good_iteration
    np.testing.assert_array_equal(back.last_good_params["weight"], h.last_good_params["weight"])


def test_from_dict_rejects_other_data():
    with pytest.raises(ValueError, match="not a History dict"):
        History.from_dict({"loss": []})


def test_reading_helpers(rich_history):
    h = rich_history
    assert h.initial_loss == h.loss[0] and h.final_train_loss == h.train_loss[-1] and h.final_val_loss == h.val_loss[-1]
    assert h.series("val_r2_score") is h.metrics["val_r2_score"] and h.series("grad_norm") is h.grad_norm
    assert h.available_series() == [
        "loss",
        "grad_norm",
        "lr",
        "wall_time",
        "grad_evals",
        "train_loss",
        "val_loss",
        "r2_score",
        "val_r2_score",
    ]
    with pytest.raises(KeyError, match="History has no series 'accuracy'"):
        h.series("accuracy")
    assert h.last_epoch_losses() == h.loss[-3:]  # 40 samples in batches of 16: 3 iterations per epoch
    assert "sgd run" in repr(h) and "stop=" in repr(h)


def test_first_reaching_reports_epoch_iteration_evaluations_and_time():
    q = quadratic()
    _, h = gd_on_quadratic(q, 1 / q.L, epochs=40)
    tol = (h.train_loss[9] + h.train_loss[10]) / 2
    m = h.first_reaching(tol)
    assert (m.epoch, m.iteration, m.grad_evals) == (11, 11, 11 * 200) and m.value == h.train_loss[10]
    assert m.wall_time == h.epoch_wall_time[10]
    assert h.first_reaching(-1.0) is None
    m = h.first_reaching(h.loss[5], monitor="loss")  # per-iteration monitor: that iteration
    assert (m.iteration, m.grad_evals) == (6, 1200)
    assert h.first_reaching(h.loss[0] + 1, monitor="loss", mode="max") is None
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        h.first_reaching(0.1, mode="up")


def test_an_empty_history():
    h = History()
    assert h.n_iterations == h.n_epochs == 0 and h.initial_loss is None and h.final_train_loss is None
    assert h.last_epoch_losses() == [] and h.first_reaching(1.0) is None
    assert History.from_json(h.to_json()).to_dict() == h.to_dict()


def test_stop_reason_text_and_dict():
    r = StopReason("loss_below", "train_loss 0.01 < tol 0.1", 3, 12)
    assert str(r) == "loss_below (epoch 3, iteration 12): train_loss 0.01 < tol 0.1"
    assert StopReason.from_dict(r.to_dict()) == r


def test_to_dataframe(rich_history):
    pd = pytest.importorskip("pandas")
    it = rich_history.to_dataframe()
    assert list(it.columns) == ["iteration", "epoch", "loss", "grad_norm", "lr", "wall_time", "grad_evals"]
    assert len(it) == rich_history.n_iterations
    ep = rich_history.to_dataframe("epoch")
    assert {"train_loss", "val_loss", "r2_score", "val_r2_score"} <= set(ep.columns)
    assert isinstance(ep, pd.DataFrame) and len(ep) == rich_history.n_epochs
    with pytest.raises(ValueError, match="level must be 'iteration' or 'epoch'"):
        rich_history.to_dataframe("batch")


def test_to_dataframe_without_pandas_says_what_to_install(rich_history, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    with pytest.raises(ImportError, match="needs pandas, which is optional: pip install pandas"):
        rich_history.to_dataframe()


def test_info_is_json_safe():
    model = linear_model(3)
    X, y, _ = regression(n=10)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    h = tg.train.fit(model, F.mse_loss, opt, (X, y), epochs=1, scheduler=tg.optim.StepLR(opt, 2), progress=False)
    h.info["array"] = np.float32(1.5)
    h.info["object"] = object
    d = json.loads(h.to_json())["info"]
    assert d["array"] == 1.5 and d["object"].startswith("<class") and d["scheduler"].startswith("StepLR(")


def test_fit_state_survives_json_with_its_arrays_exact(tmp_path):
    X, y, _ = tg.data.make_linear_regression(20, 2, noise=0.1, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Linear(2, 1, dtype=X.dtype)
    h = tg.train.fit(
        model,
        tg.nn.functional.mse_loss,
        tg.optim.SGD(model.parameters(), lr=0.1),
        tg.data.DataLoader(X, y, batch_size=5, seed=0),
        epochs=2,
        progress=False,
    )
    assert h.fit_state is None  # filled by save_checkpoint, from the Divergence check fit added
    tg.save_checkpoint(tmp_path / "c.npz", history=h)
    saved = tg.load(tmp_path / "c.npz")["history"]
    state = saved.fit_state["divergence"]
    assert state["copies"] == 8 and state["first_batch_loss"] == h.loss[0]
    assert set(state["initial_params"]) == {"weight", "bias"}  # mini-batches: the whole-set reference may be needed
    back = History.from_json(saved.to_json())
    for before, after in zip(state["last_steps"], back.fit_state["divergence"]["last_steps"], strict=True):
        for name, value in before.items():
            assert after[name].dtype == value.dtype and after[name].tobytes() == value.tobytes()
    assert History.from_dict({k: v for k, v in h.to_dict().items() if k != "fit_state"}).fit_state is None
