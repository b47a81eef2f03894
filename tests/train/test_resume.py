"""Resuming from a checkpoint is bit-identical to never stopping, for every stopping condition.

Each case trains N epochs in one go, and again as k epochs, a checkpoint, fresh objects (other initial weights,
another drawn loader seed, new conditions) loaded from it, and ``fit(..., resume=history)`` up to the same
budget. The loss trajectory, the validation losses, the parameters (bit for bit) and the stop reason (code,
message, epoch, iteration) must be identical. Every case's condition fires after the resume point, so the
state it carried across the checkpoint decides when.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.train import (
    AllOf,
    AnyOf,
    Divergence,
    EarlyStopping,
    GradNormBelow,
    LossBelow,
    MaxEpochs,
    MaxIters,
    RelativeImprovementBelow,
    TimeBudget,
)

fit_module = importlib.import_module("tinygrad_edu.train.fit")  # the module, not tg.train.fit the function
F = tg.nn.functional
N_EPOCHS, K_EPOCHS, ITERS_PER_EPOCH = 12, 4, 4
_X, _Y, _ = tg.data.make_linear_regression(96, 3, noise=0.3, bias=0.5, seed=0)
X, Y, X_VAL, Y_VAL = _X[:64], _Y[:64], _X[64:], _Y[64:]


def setup(seed: int) -> tuple[tg.nn.Linear, tg.optim.SGD, tg.data.DataLoader]:
    """A model, a stateful optimiser (momentum) and a shuffling loader whose seed is drawn from ``seed``."""
    tg.manual_seed(seed)
    model = tg.nn.Linear(3, 1, dtype=np.float64)
    opt = tg.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return model, opt, tg.data.DataLoader(X, Y, batch_size=16)


class _BlowUp(tg.train.Callback):
    """Raises the learning rate at the start of an epoch, so that training diverges there (no state: it reads
    the epoch counter, which a resumed fit continues)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_begin(self, state: Any) -> None:
        if state.epoch == self.epoch:
            state.optimizer.param_groups[0]["lr"] = 50.0


@dataclass
class Case:
    id: str
    stop: Callable[[], list[Any]]
    code: str
    budget: dict[str, int] = field(default_factory=lambda: {"epochs": N_EPOCHS})
    callbacks: Callable[[], list[Any]] = list
    fake_clock: bool = False


CASES = [
    Case("MaxEpochs", lambda: [MaxEpochs(9)], "max_epochs", budget={}),
    Case("MaxIters", lambda: [MaxIters(30)], "max_iters", budget={}),
    Case("TimeBudget", lambda: [TimeBudget(40.0)], "time_budget", fake_clock=True),
    Case("LossBelow", lambda: [LossBelow(0.16)], "loss_below"),
    Case("LossBelow-batch", lambda: [LossBelow(0.08, monitor="loss")], "loss_below"),
    Case("RelativeImprovementBelow", lambda: [RelativeImprovementBelow(0.05, window=2)], "relative_improvement_below"),
    Case("GradNormBelow", lambda: [GradNormBelow(0.2)], "grad_norm_below"),
    Case("EarlyStopping-val", lambda: [EarlyStopping(patience=3, min_delta=0.01)], "early_stopping"),
    Case(
        "EarlyStopping-restores-before-the-resume",
        lambda: [EarlyStopping(patience=7, monitor="train_loss", mode="max")],  # never improves after epoch 1
        "early_stopping",
    ),
    Case(
        "EarlyStopping-no-restore",
        lambda: [EarlyStopping(patience=6, monitor="train_loss", mode="max", restore_best=False)],
        "early_stopping",
    ),
    Case(
        "Divergence",
        lambda: [Divergence(factor=100.0, restore=True)],
        "diverged",
        callbacks=lambda: [_BlowUp(7)],
    ),
    Case("Divergence-added-by-fit", list, "diverged", callbacks=lambda: [_BlowUp(7)]),
    Case(
        "AnyOf",
        lambda: [AnyOf(EarlyStopping(patience=7, monitor="train_loss", mode="max"), LossBelow(1e-9))],
        "early_stopping",
    ),
    Case(
        "AllOf",
        lambda: [AllOf(GradNormBelow(0.45), EarlyStopping(patience=3, min_delta=0.01))],
        "grad_norm_below+early_stopping",
    ),
    Case(
        "AnyOf-in-AllOf",
        lambda: [AllOf(AnyOf(LossBelow(1e-9), GradNormBelow(0.45)), EarlyStopping(patience=3, min_delta=0.01))],
        "grad_norm_below+early_stopping",
    ),
]


class _FakeTime:
    """``time.perf_counter`` that advances one second per call: both runs see the same clock."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def perf_counter(self) -> float:
        return float(next(self._ticks))


def _fit(objects: tuple[Any, ...], case: Case, stop: list[Any], callbacks: list[Any], **kwargs: Any) -> Any:
    model, opt, loader = objects
    return tg.train.fit(
        model,
        F.mse_loss,
        opt,
        loader,
        val_data=(X_VAL, Y_VAL),
        stop=stop,
        callbacks=callbacks,
        progress=False,
        **kwargs,
    )


def _straight(case: Case) -> tuple[Any, tg.train.History]:
    objects = setup(0)
    return objects, _fit(objects, case, case.stop(), case.callbacks(), **case.budget)


def _resumed(case: Case, path: Any) -> tuple[Any, tg.train.History, tg.train.History]:
    objects = setup(0)
    model, opt, loader = objects
    stop, callbacks = case.stop(), case.callbacks()
    first = _fit(objects, case, stop, callbacks, epochs=K_EPOCHS)
    assert first.stop_reason.code == "max_epochs"  # every case fires after the resume point
    tg.save_checkpoint(path, model=model, optimizer=opt, loader=loader, history=first, stop=stop, callbacks=callbacks)

    fresh = setup(123)  # a new session: other weights, another drawn loader seed, new conditions
    model2, opt2, loader2 = fresh
    stop2, callbacks2 = case.stop(), case.callbacks()
    ckpt = tg.load_checkpoint(path, model=model2, optimizer=opt2, loader=loader2, stop=stop2, callbacks=callbacks2)
    budget = case.budget or {}
    second = _fit(fresh, case, stop2, callbacks2, resume=ckpt["history"], **budget)
    return fresh, first, second


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_resumed_run_stops_exactly_where_the_uninterrupted_one_does(case, tmp_path, monkeypatch):
    if case.fake_clock:
        monkeypatch.setattr(fit_module, "time", _FakeTime())
    (model, _, _), straight = _straight(case)
    if case.fake_clock:
        monkeypatch.setattr(fit_module, "time", _FakeTime())
    (model2, _, _), _, resumed = _resumed(case, tmp_path / "ckpt.npz")

    assert straight.stop_reason.code == case.code
    assert straight.stop_reason.epoch > K_EPOCHS  # the condition fired after the resume point
    assert resumed.stop_reason == straight.stop_reason  # code, message, epoch and iteration
    assert resumed.loss == straight.loss
    assert resumed.grad_norm == straight.grad_norm
    assert resumed.train_loss == straight.train_loss
    assert resumed.val_loss == straight.val_loss
    assert resumed.grad_evals == straight.grad_evals
    assert resumed.epoch_index == straight.epoch_index
    for p, q in zip(model.parameters(), model2.parameters(), strict=True):
        assert p.data.tobytes() == q.data.tobytes()
    if case.fake_clock:
        assert resumed.wall_time == straight.wall_time
    if case.code == "diverged":
        assert resumed.last_good_iteration == straight.last_good_iteration is not None
        for name, value in straight.last_good_params.items():
            assert resumed.last_good_params[name].tobytes() == value.tobytes()


def test_early_stopping_puts_back_the_parameters_it_replaced_when_the_first_fit_ended(tmp_path):
    """Without that, the resumed run would go on from the best epoch, not from where training was."""
    case = CASES[[c.id for c in CASES].index("EarlyStopping-restores-before-the-resume")]
    _, first, resumed = _resumed(case, tmp_path / "ckpt.npz")
    assert "EarlyStopping restored the parameters of epoch 1" in first.events[0]
    put_back = [e for e in resumed.events if "put back the parameters of epoch 4" in e]
    assert len(put_back) == 1


def test_the_checkpoint_holds_each_conditions_state(tmp_path):
    stop = [EarlyStopping(patience=7, monitor="train_loss", mode="max"), AllOf(GradNormBelow(1e-9), MaxEpochs(50))]
    objects = setup(0)
    history = _fit(objects, CASES[0], stop, [], epochs=3)
    tg.save_checkpoint(tmp_path / "c.npz", history=history, stop=stop, callbacks=[tg.train.PrintProgress()])
    ckpt = tg.load(tmp_path / "c.npz")
    early, both = ckpt["stop"]
    assert early["type"] == "EarlyStopping" and early["best_epoch"] == 1 and early["wait"] == 2
    assert early["best"] == history.train_loss[0]
    assert set(early["replaced_params"]) == {"weight", "bias"}  # the restore at the end of the fit replaced them
    assert both["type"] == "AllOf" and [c["type"] for c in both["conditions"]] == ["GradNormBelow", "MaxEpochs"]
    assert len(both["latest"]) == 2 and both["latest"][1] is None and both["latest"][0] is None
    assert ckpt["callbacks"] == [{"type": "PrintProgress"}]
    divergence = ckpt["history"].fit_state["divergence"]  # the check fit added
    assert divergence["type"] == "Divergence" and divergence["copies"] == 3 * ITERS_PER_EPOCH
    assert divergence["first_batch_loss"] == history.loss[0]


def test_a_checkpoint_taken_at_an_epoch_start_in_a_callback_resumes_identically(tmp_path):
    """Mid-run checkpoints: at ``on_epoch_begin`` the previous epoch's checks are done, so the state is whole."""
    path = tmp_path / "mid.npz"

    def make(objects: tuple[Any, ...], stop: list[Any]) -> tg.train.LambdaCallback:
        model, opt, loader = objects

        def save(state: Any) -> None:
            if state.epoch == K_EPOCHS + 1:
                tg.save_checkpoint(path, model=model, optimizer=opt, loader=loader, history=state.history, stop=stop)

        return tg.train.LambdaCallback(on_epoch_begin=save)

    objects, stop = setup(0), [EarlyStopping(patience=3, min_delta=0.01)]
    straight = _fit(objects, CASES[0], stop, [make(objects, stop)], epochs=N_EPOCHS)
    fresh, stop2 = setup(5), [EarlyStopping(patience=3, min_delta=0.01)]
    ckpt = tg.load_checkpoint(path, model=fresh[0], optimizer=fresh[1], loader=fresh[2], stop=stop2)
    assert ckpt["history"].n_epochs == K_EPOCHS
    resumed = _fit(fresh, CASES[0], stop2, [], epochs=N_EPOCHS, resume=ckpt["history"])
    assert resumed.stop_reason == straight.stop_reason and resumed.stop_reason.epoch > K_EPOCHS
    assert resumed.loss == straight.loss
    assert fresh[0].weight.data.tobytes() == objects[0].weight.data.tobytes()


def test_resuming_in_the_same_session_continues_the_same_objects():
    objects, stop = setup(0), [EarlyStopping(patience=3, min_delta=0.01)]
    straight = _fit(objects, CASES[0], stop, [], epochs=N_EPOCHS)
    objects2, stop2 = setup(0), [EarlyStopping(patience=3, min_delta=0.01)]
    first = _fit(objects2, CASES[0], stop2, [], epochs=K_EPOCHS)
    resumed = _fit(objects2, CASES[0], stop2, [], epochs=N_EPOCHS, resume=first)
    assert resumed is first  # appended to
    assert resumed.stop_reason == straight.stop_reason and resumed.loss == straight.loss


def test_without_resume_a_fit_starts_a_new_run_and_resets_the_conditions():
    objects, stop = setup(0), [EarlyStopping(patience=30, monitor="train_loss", mode="max")]
    _fit(objects, CASES[0], stop, [], epochs=3)
    assert stop[0].wait == 2
    again = _fit(objects, CASES[0], stop, [], epochs=2)
    assert again.n_epochs == 2 and stop[0].wait == 1 and stop[0].best_epoch == 1
    assert again.stop_reason.epoch == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"train_loss": "full"}, ValueError, "resume=history was recorded with train_loss='mean'"),
        ({"metrics": ["mse"]}, ValueError, "resume=history records the metrics []"),
        ({"val_data": None}, ValueError, "resume=history had val_data, this call has none"),
    ],
)
def test_a_resume_that_does_not_fit_the_history_is_refused(kwargs, error, says):
    objects = setup(0)
    first = _fit(objects, CASES[0], [], [], epochs=1)
    model, opt, loader = objects
    args = {"val_data": (X_VAL, Y_VAL), "progress": False, "epochs": 2, "resume": first, **kwargs}
    with pytest.raises(error) as info:
        tg.train.fit(model, F.mse_loss, opt, loader, **args)
    assert says in str(info.value)
    assert first.n_epochs == 1  # nothing was appended
