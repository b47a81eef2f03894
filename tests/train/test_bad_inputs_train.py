"""Bad-input campaign for ``tg.train``: ``fit``'s arguments, every stopping condition's and callback's constructor
and ``load_state_dict``, ``compare`` and ``Config``, the History methods and the TrainState methods users call.
Each message names the argument, the value the user gave, and the fix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg
from tinygrad_edu.train import (
    AllOf,
    AnyOf,
    Callback,
    Config,
    Divergence,
    EarlyStopping,
    GradNormBelow,
    History,
    LambdaCallback,
    LossBelow,
    MaxEpochs,
    MaxIters,
    PrintProgress,
    Problem,
    RelativeImprovementBelow,
    TimeBudget,
    TrainState,
    compare,
    fit,
)

F = tg.nn.functional
X, Y, _ = tg.data.make_linear_regression(10, 3, noise=0.1, seed=0)


def _objects() -> tuple[tg.nn.Linear, tg.optim.SGD, tg.data.DataLoader]:
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 1, dtype=np.float64)
    return model, tg.optim.SGD(model.parameters(), lr=0.1), tg.data.DataLoader(X, Y)


def _fit(**kwargs: Any) -> History:
    """``fit`` on a small regression with the given keywords (``epochs=1`` and ``progress=False`` unless given)."""
    model, opt, loader = _objects()
    args: dict[str, Any] = {"model": model, "loss_fn": F.mse_loss, "optimizer": opt, "loader": loader}
    positional = [kwargs.pop(k, args[k]) for k in ("model", "loss_fn", "optimizer", "loader")]
    kwargs.setdefault("progress", False)
    if "epochs" not in kwargs and "max_iters" not in kwargs:
        kwargs["epochs"] = 1
    return fit(*positional, **kwargs)


def _no_budget() -> History:
    model, opt, loader = _objects()
    return fit(model, F.mse_loss, opt, loader, progress=False)


def _fit_with_other_optimizer() -> History:
    model, _, loader = _objects()
    other = tg.nn.Linear(3, 1, dtype=np.float64)
    return fit(model, F.mse_loss, tg.optim.SGD(other.parameters(), lr=0.1), loader, epochs=1, progress=False)


def _fit_with_other_scheduler() -> History:
    model, opt, loader = _objects()
    other = tg.optim.SGD(tg.nn.Linear(3, 1).parameters(), lr=0.1)
    return fit(model, F.mse_loss, opt, loader, epochs=1, scheduler=tg.optim.StepLR(other, 10), progress=False)


def _fit_armijo_with_clipping() -> History:
    model, _, loader = _objects()
    opt = tg.optim.GD(model.parameters(), lr=0.1, line_search="armijo")
    return fit(model, F.mse_loss, opt, loader, epochs=1, grad_clip=1.0, progress=False)


def _history(**kwargs: Any) -> History:
    return _fit(epochs=2, **kwargs)


def _resume_with(**kwargs: Any) -> History:
    first = _history()
    return _fit(epochs=3, resume=first, **kwargs)


def _resume_early_stopping_of_another_model() -> History:
    early = EarlyStopping(monitor="train_loss")
    state = early.state_dict()
    state["best_params"] = {"w": np.zeros(2)}
    early.load_state_dict(state)
    return _fit(epochs=3, stop=[early], resume=_history())


def _train_state() -> TrainState:
    model, opt, loader = _objects()
    params = list(model.named_parameters())
    return TrainState(model=model, loss_fn=F.mse_loss, optimizer=opt, loader=loader, history=History(), params=params)


def _early_state(**changes: Any) -> dict[str, Any]:
    state = EarlyStopping().state_dict()
    state.update(changes)
    return state


def _without(state: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != key}


PROBLEM = Problem(model=lambda: tg.nn.Linear(3, 1, dtype=np.float64), loss_fn=F.mse_loss, X=X, y=Y)
GD_CONFIG = Config("GD", lambda p: tg.optim.GD(p, lr=0.1), epochs=2)

CASES: list[BadInput] = [
    # ---- fit: the four positional arguments
    BadInput(
        "fit/model-not-callable",
        lambda: _fit(model=3),
        TypeError,
        ("fit: model must be callable", "model=3", "e.g. tg.nn.Linear(3, 1)"),
    ),
    BadInput(
        "fit/loss-fn-a-name",
        lambda: _fit(loss_fn="mse"),
        TypeError,
        ("loss_fn must be a function", "loss_fn='mse'", "tg.nn.functional.mse_loss"),
    ),
    BadInput(
        "fit/optimizer-a-name",
        lambda: _fit(optimizer="sgd"),
        TypeError,
        ("optimizer must be a tg.optim Optimizer", "optimizer='sgd'", "tg.optim.SGD(model.parameters(), lr=0.1)"),
    ),
    BadInput(
        "fit/loader-a-list",
        lambda: _fit(loader=[1, 2]),
        TypeError,
        ("loader must be a tg.data.DataLoader", "got list", "tg.data.DataLoader(X, y, batch_size=32, seed=0)"),
    ),
    BadInput(
        "fit/optimizer-of-another-model",
        _fit_with_other_optimizer,
        ValueError,
        ("none of the optimizer's parameters belong to the model", "Build the optimizer from model.parameters()"),
    ),
    # ---- fit: budgets
    BadInput(
        "fit/no-budget",
        _no_budget,
        ValueError,
        ("fit needs a budget", "pass epochs=..., max_iters=...", "TimeBudget condition in stop=[...]"),
    ),
    BadInput("fit/epochs-0", lambda: _fit(epochs=0), ValueError, ("epochs must be a positive int", "epochs=0")),
    BadInput("fit/epochs-float", lambda: _fit(epochs=2.5), ValueError, ("epochs must be a positive int", "epochs=2.5")),
    BadInput("fit/max-iters-negative", lambda: _fit(max_iters=-1), ValueError, ("max_iters must be a positive", "=-1")),
    # ---- fit: data, metrics
    BadInput(
        "fit/val-data-an-array",
        lambda: _fit(val_data=np.zeros(3)),
        TypeError,
        ("val_data must be a pair (X_val, y_val)", "got ndarray", "val_data=(X_val, y_val)"),
    ),
    BadInput(
        "fit/val-data-lengths",
        lambda: _fit(val_data=(np.zeros((3, 3)), np.zeros(2))),
        ValueError,
        ("val_data must hold the same", "shapes (3, 3) and (2,)", "one row of X_val per label"),
    ),
    BadInput(
        "fit/metric-typo",
        lambda: _fit(metrics=["acuracy"]),
        ValueError,
        ("unknown metric 'acuracy' in metrics", "use a name from tg.metrics", "'accuracy'"),
    ),
    BadInput(
        "fit/metric-a-number",
        lambda: _fit(metrics=[3]),
        TypeError,
        ("a metric must be a name from tg.metrics", "got 3 (int)", "metrics=['accuracy']"),
    ),
    BadInput(
        "fit/metric-twice",
        lambda: _fit(metrics=["mse", "mse"]),
        ValueError,
        ("metric names must be unique", "['mse', 'mse']", "pass a dict {name: fn} to rename"),
    ),
    BadInput(
        "fit/metrics-without-targets",
        lambda: _fit(loader=tg.data.DataLoader(X), loss_fn=lambda out: out.mean(), metrics=["mse"]),
        ValueError,
        ("metrics ['mse'] compare predictions with targets", "the loader has no y", "pass DataLoader(X, y)"),
    ),
    # ---- fit: stop and callbacks
    BadInput(
        "fit/stop-a-number",
        lambda: _fit(stop=[3]),
        TypeError,
        ("stop must hold StopConditions", "got 3 (int)", "stop=[tg.train.LossBelow(1e-3)]"),
    ),
    BadInput(
        "fit/stop-monitor-typo",
        lambda: _fit(stop=[LossBelow(0.1, monitor="trian_loss")]),
        ValueError,
        ("LossBelow monitors 'trian_loss'", "which this run does not record", "available: ['loss'"),
    ),
    BadInput(
        "fit/early-stopping-without-val-data",
        lambda: _fit(stop=[EarlyStopping()]),
        ValueError,
        ("EarlyStopping monitors 'val_loss'", "fit(..., val_data=(X_val, y_val))"),
    ),
    BadInput(
        "fit/callback-without-hooks",
        lambda: _fit(callbacks=[object()]),
        TypeError,
        ("a callback needs at least one of the hooks", "(object) in callbacks", "subclass tg.train.Callback"),
    ),
    # ---- fit: settings
    BadInput(
        "fit/record-params-negative",
        lambda: _fit(record_params=-1),
        ValueError,
        ("record_params must be a positive int", "record_params=-1"),
    ),
    BadInput(
        "fit/record-params-a-str",
        lambda: _fit(record_params="yes"),
        TypeError,
        ("record_params must be True, False or a positive int", "record_params='yes'"),
    ),
    BadInput(
        "fit/progress-a-str",
        lambda: _fit(progress="no"),
        TypeError,
        ("progress must be True or False", "progress='no'"),
    ),
    BadInput(
        "fit/grad-clip-negative",
        lambda: _fit(grad_clip=-1.0),
        ValueError,
        ("grad_clip must be None or a positive number", "grad_clip=-1.0", "e.g. grad_clip=1.0"),
    ),
    BadInput(
        "fit/grad-clip-a-str",
        lambda: _fit(grad_clip="1"),
        ValueError,
        ("grad_clip must be None or a positive number", "grad_clip='1'", "e.g. grad_clip=1.0"),
    ),
    BadInput(
        "fit/grad-clip-with-armijo",
        _fit_armijo_with_clipping,
        ValueError,
        ("grad_clip=1.0 cannot be combined with GD(line_search='armijo')", "pass grad_clip=None"),
    ),
    BadInput(
        "fit/scheduler-of-another-optimizer",
        _fit_with_other_scheduler,
        ValueError,
        ("scheduler must be built over the same optimizer", "scheduler=StepLR(", "tg.optim.StepLR(optimizer, 10)"),
    ),
    BadInput(
        "fit/scheduler-interval",
        lambda: _fit(scheduler_interval="batch"),
        ValueError,
        ("scheduler_interval must be 'epoch' or 'iteration'", "scheduler_interval='batch'"),
    ),
    BadInput(
        "fit/train-loss", lambda: _fit(train_loss="last"), ValueError, ("train_loss must be 'mean' or 'full'", "'last'")
    ),
    BadInput("fit/name-a-number", lambda: _fit(name=3), TypeError, ("name must be a str", "name=3")),
    # ---- fit: the loss function's result
    BadInput(
        "fit/loss-a-float",
        lambda: _fit(loss_fn=lambda out, y: 1.0),
        TypeError,
        ("loss_fn must return the loss as a Tensor", "got float", "e.g. tg.nn.functional.mse_loss(pred, y)"),
    ),
    BadInput(
        "fit/loss-not-reduced",
        lambda: _fit(loss_fn=lambda out, y: out - y),
        ValueError,
        ("loss_fn returned a Tensor of shape (10, 1)", "reduce it, e.g. with .mean()"),
    ),
    BadInput(
        "fit/loss-without-grad",
        lambda: _fit(loss_fn=lambda out, y: tg.Tensor(0.0)),
        RuntimeError,
        ("the loss does not require grad", "computed under no_grad"),
    ),
    # ---- fit: resume
    BadInput(
        "fit/resume-a-number",
        lambda: _fit(resume=3),
        TypeError,
        ("resume must be the History of the run to continue", "resume=3", "checkpoint['history']"),
    ),
    BadInput(
        "fit/resume-other-train-loss",
        lambda: _resume_with(train_loss="full"),
        ValueError,
        ("resume=history was recorded with train_loss='mean'", "train_loss='full'", "pass train_loss='mean'"),
    ),
    BadInput(
        "fit/resume-other-metrics",
        lambda: _resume_with(metrics=["mae"]),
        ValueError,
        ("resume=history records the metrics []", "['mae']", "pass the same metrics"),
    ),
    BadInput(
        "fit/resume-with-a-state-of-another-model",
        _resume_early_stopping_of_another_model,
        ValueError,
        ("the loaded best_params are for the parameters ['w']", "['bias', 'weight']", "load the state saved"),
    ),
    # ---- stopping conditions: constructors
    BadInput("MaxEpochs/zero", lambda: MaxEpochs(0), ValueError, ("MaxEpochs: n must be a positive int", "n=0")),
    BadInput("MaxEpochs/float", lambda: MaxEpochs(2.5), ValueError, ("n must be a positive int", "n=2.5")),
    BadInput("MaxIters/negative", lambda: MaxIters(-3), ValueError, ("MaxIters: n must be a positive int", "n=-3")),
    BadInput("TimeBudget/zero", lambda: TimeBudget(0), ValueError, ("TimeBudget: seconds must be > 0", "seconds=0")),
    BadInput(
        "TimeBudget/a-str",
        lambda: TimeBudget("10"),
        TypeError,
        ("TimeBudget: seconds must be a number", "seconds='10' (str)"),
    ),
    BadInput("LossBelow/a-str", lambda: LossBelow("a"), TypeError, ("LossBelow: tol must be a number", "tol='a'")),
    BadInput("LossBelow/nan", lambda: LossBelow(math.nan), ValueError, ("tol must be a number, not NaN", "tol=nan")),
    BadInput(
        "LossBelow/monitor-a-number",
        lambda: LossBelow(0.1, monitor=3),
        TypeError,
        ("LossBelow: monitor must be the name of a recorded series", "monitor=3", "'train_loss'"),
    ),
    BadInput(
        "RelativeImprovementBelow/window-0",
        lambda: RelativeImprovementBelow(1e-3, window=0),
        ValueError,
        ("RelativeImprovementBelow: window must be a positive int", "window=0"),
    ),
    BadInput(
        "GradNormBelow/zero", lambda: GradNormBelow(0.0), ValueError, ("GradNormBelow: tol must be > 0", "tol=0.0")
    ),
    BadInput(
        "EarlyStopping/patience-negative",
        lambda: EarlyStopping(patience=-1),
        ValueError,
        ("EarlyStopping: patience must be an int >= 0", "patience=-1"),
    ),
    BadInput(
        "EarlyStopping/mode",
        lambda: EarlyStopping(mode="mx"),
        ValueError,
        ("EarlyStopping: mode must be 'auto', 'min' or 'max'", "mode='mx'"),
    ),
    BadInput(
        "EarlyStopping/per-iteration-monitor",
        lambda: EarlyStopping(monitor="loss"),
        ValueError,
        ("EarlyStopping monitors a per-epoch series", "monitor='loss'", "use monitor='val_loss'"),
    ),
    BadInput(
        "EarlyStopping/min-delta-a-str",
        lambda: EarlyStopping(min_delta="x"),
        TypeError,
        ("EarlyStopping: min_delta must be a number", "min_delta='x'"),
    ),
    BadInput(
        "EarlyStopping/restore-best-a-str",
        lambda: EarlyStopping(restore_best="yes"),
        TypeError,
        ("EarlyStopping: restore_best must be True or False", "restore_best='yes'"),
    ),
    BadInput(
        "Divergence/factor-1",
        lambda: Divergence(factor=1),
        ValueError,
        ("Divergence: factor must be > 1", "factor=1", "e.g. 1e4"),
    ),
    BadInput(
        "Divergence/restore-without-copies",
        lambda: Divergence(keep_last_good=False, restore=True),
        ValueError,
        ("restore=True needs keep_last_good=True", "keep_last_good=False", "pass keep_last_good=True or restore=False"),
    ),
    BadInput(
        "Divergence/keep-last-good-a-str",
        lambda: Divergence(keep_last_good="no"),
        TypeError,
        ("Divergence: keep_last_good must be True or False", "keep_last_good='no'"),
    ),
    BadInput(
        "AnyOf/empty",
        lambda: AnyOf(),
        ValueError,
        ("AnyOf needs at least one condition", "got none", "AnyOf(tg.train.LossBelow(1e-3)"),
    ),
    BadInput(
        "AllOf/a-str",
        lambda: AllOf(LossBelow(0.1), "x"),
        TypeError,
        ("AllOf combines StopConditions", "got 'x' (str)", "tg.train.LossBelow(1e-3)"),
    ),
    BadInput(
        "StopCondition/or-a-number",
        lambda: LossBelow(0.1) | 3,
        TypeError,
        ("AnyOf combines StopConditions", "got 3 (int)"),
    ),
    # ---- stopping conditions: load_state_dict
    BadInput(
        "EarlyStopping.load_state_dict/another-class",
        lambda: EarlyStopping().load_state_dict(LossBelow(0.1).state_dict()),
        ValueError,
        ("EarlyStopping.load_state_dict: the state was saved by 'LossBelow'", "load each object's own state"),
    ),
    BadInput(
        "EarlyStopping.load_state_dict/missing-key",
        lambda: EarlyStopping().load_state_dict(_without(_early_state(), "wait")),
        ValueError,
        ("the state lacks the key(s) ['wait']", "pass a dict made by EarlyStopping.state_dict()"),
    ),
    BadInput(
        "EarlyStopping.load_state_dict/not-a-dict",
        lambda: EarlyStopping().load_state_dict([1]),
        TypeError,
        ("state must be a dict made by EarlyStopping.state_dict()", "got [1] (list)"),
    ),
    BadInput(
        "EarlyStopping.load_state_dict/negative-wait",
        lambda: EarlyStopping().load_state_dict(_early_state(wait=-2)),
        ValueError,
        ("wait must be an int >= 0", "wait=-2", "pass a dict made by state_dict()"),
    ),
    BadInput(
        "EarlyStopping.load_state_dict/best-params-a-list",
        lambda: EarlyStopping().load_state_dict(_early_state(best_params=[1.0])),
        TypeError,
        ("best_params must be None or a dict of parameter name -> numpy array", "got list"),
    ),
    BadInput(
        "Divergence.load_state_dict/last-steps",
        lambda: Divergence().load_state_dict({**Divergence().state_dict(), "last_steps": [{}]}),
        ValueError,
        ("last_steps must be a list of 0 or 2 parameter snapshots", "of length 1", "pass a dict made by state_dict()"),
    ),
    BadInput(
        "Divergence.load_state_dict/loss-a-str",
        lambda: Divergence().load_state_dict({**Divergence().state_dict(), "first_batch_loss": "x"}),
        TypeError,
        ("first_batch_loss must be a number", "first_batch_loss='x'"),
    ),
    BadInput(
        "AnyOf.load_state_dict/other-children",
        lambda: AnyOf(LossBelow(0.1), MaxEpochs(3)).load_state_dict(AnyOf(LossBelow(0.1)).state_dict()),
        ValueError,
        ("saved states are for 1 object(s) ['LossBelow']", "but 2 were given", "pass the same objects"),
    ),
    BadInput(
        "AllOf.load_state_dict/latest",
        lambda: AllOf(LossBelow(0.1)).load_state_dict({**AllOf(LossBelow(0.1)).state_dict(), "latest": []}),
        ValueError,
        ("'latest' must hold one answer per condition (1)", "got []", "pass a dict made by AllOf.state_dict()"),
    ),
    # ---- callbacks
    BadInput(
        "PrintProgress/every-0",
        lambda: PrintProgress(every=0),
        ValueError,
        ("PrintProgress: every must be a positive int", "every=0"),
    ),
    BadInput(
        "PrintProgress/file-a-path",
        lambda: PrintProgress(file="log.txt"),
        TypeError,
        ("PrintProgress: file must be a text stream", "file='log.txt'", "(sys.stdout, an open file)"),
    ),
    BadInput(
        "LambdaCallback/not-a-function",
        lambda: LambdaCallback(on_epoch_end=3),
        TypeError,
        ("on_epoch_end must be a function of the state", "on_epoch_end=3", "LambdaCallback(on_epoch_end=lambda"),
    ),
    BadInput(
        "Callback.load_state_dict/another-class",
        lambda: Callback().load_state_dict(PrintProgress().state_dict()),
        ValueError,
        ("Callback.load_state_dict: the state was saved by 'PrintProgress'", "load each object's own state"),
    ),
    # ---- compare, Config, Problem
    BadInput(
        "compare/no-configs",
        lambda: compare([], PROBLEM),
        ValueError,
        ("compare needs at least one Config", "configs=[]", "tg.train.Config('GD'"),
    ),
    BadInput(
        "compare/config-a-str",
        lambda: compare(["GD"], PROBLEM),
        TypeError,
        ("configs must be tg.train.Config objects", "got 'GD' (str)", "tg.train.Config('GD'"),
    ),
    BadInput(
        "compare/duplicate-names",
        lambda: compare([GD_CONFIG, GD_CONFIG], PROBLEM),
        ValueError,
        ("configuration names must be unique", "['GD'] repeated", "give each Config its own name"),
    ),
    BadInput(
        "compare/seeds-an-int",
        lambda: compare([GD_CONFIG], PROBLEM, seeds=3),
        TypeError,
        ("seeds must be a sequence of ints", "seeds=3", "seeds=(3,)"),
    ),
    BadInput(
        "compare/seed-a-str",
        lambda: compare([GD_CONFIG], PROBLEM, seeds=("a",)),
        TypeError,
        ("seeds must hold ints", "got 'a' (str)"),
    ),
    BadInput(
        "compare/no-seeds",
        lambda: compare([GD_CONFIG], PROBLEM, seeds=()),
        ValueError,
        ("compare needs at least one seed", "seeds=()", "seeds=(0, 1, 2)"),
    ),
    BadInput(
        "compare/problem-a-dict",
        lambda: compare([GD_CONFIG], {"X": X}),
        TypeError,
        ("problem must be a tg.train.Problem", "(dict)", "tg.train.Problem(model=lambda"),
    ),
    BadInput(
        "compare/monitor-typo",
        lambda: compare([GD_CONFIG], PROBLEM, seeds=(0,), tol=0.1, monitor="val_los"),
        ValueError,
        ("compare: monitor='val_los' is not recorded", "pass one of ['loss'"),
    ),
    # ---- History
    BadInput(
        "History.series/unknown",
        lambda: _history().series("accuracy"),
        KeyError,
        ("History has no series 'accuracy'", "pass one of the available names", "metrics need fit(..., metrics=[...])"),
    ),
    BadInput(
        "History.first_reaching/mode",
        lambda: _history().first_reaching(0.1, mode="down"),
        ValueError,
        ("first_reaching: mode must be 'min' or 'max'", "mode='down'"),
    ),
    BadInput(
        "History.first_reaching/tol-a-str",
        lambda: _history().first_reaching("0.1"),
        TypeError,
        ("first_reaching: tol must be a number", "tol='0.1'", "history.first_reaching(0.01)"),
    ),
    BadInput(
        "History.param_trajectory/unrecorded",
        lambda: _history().param_trajectory("weight"),
        KeyError,
        ("no snapshots of parameter 'weight'", "train with fit(..., record_params=True)"),
    ),
    BadInput(
        "History.to_dataframe/level",
        lambda: _history().to_dataframe(level="batch"),
        ValueError,
        ("to_dataframe: level must be 'iteration' or 'epoch'", "level='batch'"),
    ),
    BadInput(
        "History.from_dict/a-str",
        lambda: History.from_dict("{}"),
        TypeError,
        ("History.from_dict: d must be a dict made by History.to_dict()", "got str", "use History.from_json"),
    ),
    BadInput(
        "History.from_dict/other-format",
        lambda: History.from_dict({"format": "x"}),
        ValueError,
        ("not a History dict (format 'x'", "pass a dict made by History.to_dict()"),
    ),
    BadInput(
        "History.from_json/not-json",
        lambda: History.from_json("nope"),
        ValueError,
        ("History.from_json: text is not valid JSON", "Expecting value", "pass the string made by History.to_json()"),
    ),
    BadInput(
        "History.from_json/a-dict",
        lambda: History.from_json({}),
        TypeError,
        ("History.from_json: text must be the JSON string", "got dict"),
    ),
    # ---- TrainState (what callbacks call)
    BadInput(
        "TrainState.request_stop/code-a-number",
        lambda: _train_state().request_stop("done", code=3),
        TypeError,
        ("request_stop: code must be a non-empty str", "code=3", "state.request_stop('target reached', code='target')"),
    ),
    BadInput(
        "TrainState.restore/missing-parameter",
        lambda: _train_state().restore({"weight": np.zeros((1, 3))}),
        ValueError,
        (
            "restore: the snapshot has no parameter 'bias'",
            "(it has ['weight'])",
            "pass a dict made by state.snapshot()",
        ),
    ),
    BadInput(
        "TrainState.restore/wrong-shape",
        lambda: _train_state().restore({"weight": np.zeros((3, 1)), "bias": np.zeros(1)}),
        ValueError,
        ("parameter 'weight' has shape (1, 3), the snapshot's value has shape (3, 1)", "state.snapshot()"),
    ),
    BadInput(
        "TrainState.restore/not-a-dict",
        lambda: _train_state().restore([np.zeros(3)]),
        TypeError,
        ("restore: snapshot must be a dict of parameter name -> array", "got list"),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
