r"""Convergence criteria and stopping conditions: small objects that ``fit`` checks, each with a stop reason.

``fit(..., stop=[...])`` takes any number of them; training ends at the first check where one fires, and
``history.stop_reason`` says which, why, and when. Conditions combine: ``a | b`` fires when either fires
(like listing both), ``a & b`` when both do.

=================================  =====================================================  =========================
condition                          fires when                                             checked after each
=================================  =====================================================  =========================
``MaxEpochs(n)``                   :math:`e \ge n` epochs are done                        epoch
``MaxIters(n)``                    :math:`k \ge n` iterations are done                    iteration
``LossBelow(tol)``                 :math:`L_e < \mathrm{tol}`                             epoch (or iteration [1]_)
``RelativeImprovementBelow``       :math:`(L_{e-w} - L_e) / |L_{e-w}| < \mathrm{tol}`     epoch (or iteration [1]_)
``GradNormBelow(tol)``             :math:`\lVert \nabla \ell_B(\theta_k) \rVert_2 < \mathrm{tol}`   iteration
``EarlyStopping(patience)``        no improvement > ``min_delta`` in ``patience`` epochs  epoch
``TimeBudget(seconds)``            wall time :math:`\ge` seconds                          iteration and epoch
``Divergence(factor)``             loss NaN/inf, or :math:`> \mathrm{factor}\cdot L_0`    iteration (always on)
=================================  =====================================================  =========================

.. [1] with ``monitor="loss"``, the per-iteration batch loss.

**Convergence criteria vs stopping conditions.** ``LossBelow``, ``RelativeImprovementBelow`` and
``GradNormBelow`` are *convergence criteria*: they detect that the optimisation has (nearly) reached a
minimum; :math:`\nabla f = 0` is the first-order optimality condition, and a stalled relative improvement
is the practical test when the minimal value is unknown. ``MaxEpochs``, ``MaxIters`` and ``TimeBudget`` are
*budgets*. ``EarlyStopping`` is *regularisation*: it stops when the validation loss stops improving, before
the model over-fits the training set. ``Divergence`` is a *safety* check.

Write your own by subclassing :class:`StopCondition`: set ``code`` and ``events`` and implement ``check``.

**Resuming.** Every condition has ``state_dict()`` / ``load_state_dict(state)``: what it must remember to go on
exactly as an uninterrupted run would (``EarlyStopping``'s best value, counter and best parameters,
``Divergence``'s initial loss and last good parameters, the states of a combination's conditions). The
budgets and thresholds have none: they decide from the History, which a resumed ``fit(..., resume=history)``
continues (its epoch and iteration counters and its clock). ``tg.save_checkpoint(..., stop=[...])`` saves
them and ``tg.load_checkpoint(..., stop=[...])`` loads them; a resumed fit keeps the loaded state where a new
fit would reset it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_flag
from ._statedict import checked_state, load_states, make_state
from .history import ITERATION_SERIES, StopReason

if TYPE_CHECKING:
    from .state import TrainState

__all__ = [
    "StopCondition",
    "AnyOf",
    "AllOf",
    "MaxEpochs",
    "MaxIters",
    "LossBelow",
    "RelativeImprovementBelow",
    "GradNormBelow",
    "EarlyStopping",
    "TimeBudget",
    "Divergence",
]

_MAX_MODE_HINTS = ("acc", "r2", "f1", "precision", "recall")


def _positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {name}={value!r}")
    return int(value)


def _monitor(value: Any, owner: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"{owner}: monitor must be the name of a recorded series (a str such as 'train_loss', 'val_loss' or "
            f"'val_accuracy'), got monitor={value!r} ({type(value).__name__})"
        )
    return value


def _number(value: Any, name: str, owner: str, *, positive: bool = False, allow_nan: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {name}={value!r} ({type(value).__name__})")
    if math.isnan(value) and not allow_nan:
        raise ValueError(f"{owner}: {name} must be a number, not NaN, got {name}={value!r}")
    if positive and not value > 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {name}={value!r}")
    return float(value)


def _count(value: Any, name: str, owner: str) -> int:
    """A saved counter: an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{owner}: {name} must be an int >= 0, got {name}={value!r}; pass a dict made by state_dict()")
    return int(value)


def _params_or_none(value: Any, name: str, owner: str) -> dict[str, np.ndarray] | None:
    """A saved parameter snapshot (name -> array) or None, copied."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(a, np.ndarray) for a in value.values()):
        raise TypeError(
            f"{owner}: {name} must be None or a dict of parameter name -> numpy array, got {type(value).__name__}; "
            "pass a dict made by state_dict()"
        )
    return {k: a.copy() for k, a in value.items()}


def _check_snapshot(snapshot: dict[str, np.ndarray], state: TrainState, what: str) -> None:
    """Refuse a loaded parameter snapshot that does not fit this run's parameters (names and shapes)."""
    names = [name for name, _ in state.params]
    if sorted(snapshot) != sorted(names):
        raise ValueError(
            f"{what} are for the parameters {sorted(snapshot)}, but this run trains {sorted(names)}; load the state "
            "saved for this model"
        )
    for name, p in state.params:
        if snapshot[name].shape != p.data.shape:
            raise ValueError(
                f"{what}: parameter {name!r} has shape {snapshot[name].shape} there but {p.data.shape} in the model; "
                "load the state saved for this model"
            )


def _events_for(monitor: str) -> frozenset[str]:
    return frozenset({"iteration"}) if monitor in ITERATION_SERIES else frozenset({"epoch"})


def _check_monitor(monitor: str, owner: str, state: TrainState) -> None:
    """Raise at the start of training if ``monitor`` will never be recorded (a typo, or no val_data)."""
    available = state.available_monitors()
    if monitor in available:
        return
    hint = ""
    if monitor.startswith("val_"):
        hint = " (validation series need fit(..., val_data=(X_val, y_val)))"
    elif monitor not in ("train_loss", "val_loss"):
        hint = " (metrics need fit(..., metrics=[...]))"
    raise ValueError(f"{owner} monitors {monitor!r}, which this run does not record{hint}; available: {available}")


def _fmt(value: float) -> str:
    return f"{value:.6g}"


class StopCondition:
    """Base class of the stopping conditions.

    Subclasses set ``code`` (the short name in the stop reason) and ``events`` (``{"iteration"}`` and/or
    ``{"epoch"}``: when ``fit`` calls :meth:`check`) and implement :meth:`check`, which returns a
    :class:`StopReason` (via ``state.reason(self.code, message)``) to stop, or None to go on. Conditions that
    keep state reset it in :meth:`on_train_begin`, so that one object can serve several runs, except when
    ``state.resumed`` is True (``fit(..., resume=history)`` continues a run); they save and load that state with
    :meth:`state_dict` and :meth:`load_state_dict`.
    """

    code: str = "custom"
    events: frozenset[str] = frozenset({"iteration", "epoch"})

    def on_train_begin(self, state: TrainState) -> None:
        """Validate against the run (e.g. that the monitored series exists) and reset, unless ``state.resumed``."""

    def state_dict(self) -> dict[str, Any]:
        """What this condition must remember for a resumed run to stop exactly where an uninterrupted one
        would: ``{"type": class name, ...}``. The base class remembers nothing; override both methods (and keep
        the state in :meth:`on_train_begin` when ``state.resumed``) in a condition that keeps state."""
        return make_state(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output. A state of another class, or one without its keys, is refused
        with a ``ValueError`` that names the problem, before anything changes."""
        checked_state(self, state, ())

    def check(self, state: TrainState) -> StopReason | None:
        """Return a StopReason to stop training now, None to continue."""
        raise NotImplementedError(f"{type(self).__name__} must implement check(state)")

    def on_train_end(self, state: TrainState) -> None:
        """After training (e.g. restore parameters)."""

    def __or__(self, other: StopCondition) -> AnyOf:
        return AnyOf(self, other)

    def __and__(self, other: StopCondition) -> AllOf:
        return AllOf(self, other)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "events")
        return f"{type(self).__name__}({settings})"


class _Combination(StopCondition):
    def __init__(self, *conditions: StopCondition) -> None:
        flat: list[StopCondition] = []
        for c in conditions:
            if not isinstance(c, StopCondition):
                raise TypeError(
                    f"{type(self).__name__} combines StopConditions, got {c!r} ({type(c).__name__}); pass objects "
                    "such as tg.train.LossBelow(1e-3)"
                )
            flat.extend(c.conditions if type(c) is type(self) else [c])  # (a | b) | c is AnyOf(a, b, c)
        if not flat:
            raise ValueError(
                f"{type(self).__name__} needs at least one condition, got none; e.g. "
                f"{type(self).__name__}(tg.train.LossBelow(1e-3), tg.train.MaxEpochs(100))"
            )
        self.conditions: list[StopCondition] = flat
        self.events = frozenset().union(*(c.events for c in flat))

    def on_train_begin(self, state: TrainState) -> None:
        for c in self.conditions:
            c.on_train_begin(state)

    def on_train_end(self, state: TrainState) -> None:
        for c in self.conditions:
            c.on_train_end(state)

    def state_dict(self) -> dict[str, Any]:
        """``{"type": ..., "conditions": [each condition's state_dict()]}``."""
        return make_state(self, conditions=[c.state_dict() for c in self.conditions])

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load each condition's state (all or none)."""
        state = checked_state(self, state, ("conditions",))
        load_states(self.conditions, state["conditions"], f"{type(self).__name__}.load_state_dict: conditions")

    def __repr__(self) -> str:
        sep = " | " if isinstance(self, AnyOf) else " & "
        return "(" + sep.join(repr(c) for c in self.conditions) + ")"


class AnyOf(_Combination):
    """Fires when any of its conditions fires (the first one's reason is reported); ``a | b``."""

    def check(self, state: TrainState) -> StopReason | None:
        for c in self.conditions:
            if state.event in c.events:
                reason = c.check(state)
                if reason is not None:
                    return reason
        return None


class AllOf(_Combination):
    """Fires when all of its conditions fire; ``a & b``, e.g. ``LossBelow(0.1) & GradNormBelow(1e-3)``.

    Each condition is asked at its own events; the combination fires at the first check where every
    condition's most recent answer is "stop". Its code joins the codes with ``+``.
    """

    def __init__(self, *conditions: StopCondition) -> None:
        super().__init__(*conditions)
        self._latest: list[StopReason | None] = [None] * len(self.conditions)

    def on_train_begin(self, state: TrainState) -> None:
        super().on_train_begin(state)
        if not state.resumed:
            self._latest = [None] * len(self.conditions)

    def state_dict(self) -> dict[str, Any]:
        """The conditions' states and the most recent answer of each (a StopReason or None)."""
        return {**super().state_dict(), "latest": list(self._latest)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        checked = checked_state(self, state, ("conditions", "latest"))
        latest = checked["latest"]
        if not isinstance(latest, (list, tuple)) or len(latest) != len(self.conditions):
            raise ValueError(
                f"AllOf.load_state_dict: 'latest' must hold one answer per condition ({len(self.conditions)}), got "
                f"{latest!r}; pass a dict made by AllOf.state_dict()"
            )
        if not all(r is None or isinstance(r, StopReason) for r in latest):
            raise TypeError(f"AllOf.load_state_dict: 'latest' must hold StopReasons or None, got {latest!r}")
        super().load_state_dict(state)
        self._latest = list(latest)

    def check(self, state: TrainState) -> StopReason | None:
        for i, c in enumerate(self.conditions):
            if state.event in c.events:
                self._latest[i] = c.check(state)
        if any(r is None for r in self._latest):
            return None
        reasons = [r for r in self._latest if r is not None]
        return state.reason("+".join(r.code for r in reasons), "all of: " + "; ".join(r.message for r in reasons))


# --------------------------------------------------------------------------------------------------------
# budgets
# --------------------------------------------------------------------------------------------------------


class MaxEpochs(StopCondition):
    """Stop after ``n`` epochs (``fit(epochs=n)`` adds this)."""

    code = "max_epochs"
    events = frozenset({"epoch"})

    def __init__(self, n: int) -> None:
        self.n = _positive_int(n, "n", "MaxEpochs")

    def check(self, state: TrainState) -> StopReason | None:
        if state.epoch >= self.n:
            return state.reason(self.code, f"reached the maximum of {self.n} epochs")
        return None


class MaxIters(StopCondition):
    """Stop after ``n`` iterations, i.e. optimiser steps (``fit(max_iters=n)`` adds this)."""

    code = "max_iters"
    events = frozenset({"iteration"})

    def __init__(self, n: int) -> None:
        self.n = _positive_int(n, "n", "MaxIters")

    def check(self, state: TrainState) -> StopReason | None:
        if state.iteration >= self.n:
            return state.reason(self.code, f"reached the maximum of {self.n} iterations")
        return None


class TimeBudget(StopCondition):
    """Stop once ``seconds`` of wall time have passed since training began (checked after every iteration and
    epoch, so the run may overshoot by one iteration or one evaluation)."""

    code = "time_budget"
    events = frozenset({"iteration", "epoch"})

    def __init__(self, seconds: float) -> None:
        self.seconds = _number(seconds, "seconds", "TimeBudget", positive=True)

    def check(self, state: TrainState) -> StopReason | None:
        h = state.history
        elapsed = h.epoch_wall_time[-1] if state.event == "epoch" else h.wall_time[-1]
        if elapsed >= self.seconds:
            return state.reason(self.code, f"the time budget of {_fmt(self.seconds)} s is used up ({elapsed:.3f} s)")
        return None


# --------------------------------------------------------------------------------------------------------
# convergence criteria
# --------------------------------------------------------------------------------------------------------


class LossBelow(StopCondition):
    r"""Stop when the monitored loss drops below ``tol``: :math:`L < \mathrm{tol}`.

    Parameters
    ----------
    tol : float
    monitor : str, default "train_loss"
        ``"train_loss"`` (checked at each epoch end), ``"val_loss"``, a metric, or ``"loss"`` (the batch loss,
        checked after each iteration: for mini-batches a noisy estimate that one lucky batch can pass).
    """

    code = "loss_below"

    def __init__(self, tol: float, monitor: str = "train_loss") -> None:
        self.tol = _number(tol, "tol", "LossBelow")
        self.monitor = _monitor(monitor, "LossBelow")
        self.events = _events_for(monitor)

    def on_train_begin(self, state: TrainState) -> None:
        _check_monitor(self.monitor, "LossBelow", state)

    def check(self, state: TrainState) -> StopReason | None:
        value = state.history.series(self.monitor)[-1]
        if value < self.tol:
            return state.reason(self.code, f"{self.monitor} {_fmt(value)} < tol {_fmt(self.tol)}")
        return None


class RelativeImprovementBelow(StopCondition):
    r"""Stop when the loss has stalled: its relative decrease over the last ``window`` epochs is below ``tol``,

    .. math:: \frac{L_{e-w} - L_e}{|L_{e-w}|} < \mathrm{tol}.

    A practical convergence test when the minimal loss is unknown (unlike ``LossBelow``). It also fires when
    the loss went *up* over the window (no progress). Checked from epoch :math:`w + 1` on.

    Parameters
    ----------
    tol : float
        E.g. ``1e-4``: less than 0.01 % progress in ``window`` epochs.
    window : int, default 5
        :math:`w`; a larger window is less fooled by the noise of SGD.
    monitor : str, default "train_loss"
        Any series; ``"loss"`` compares batch losses ``window`` iterations apart.
    """

    code = "relative_improvement_below"

    def __init__(self, tol: float, window: int = 5, monitor: str = "train_loss") -> None:
        self.tol = _number(tol, "tol", "RelativeImprovementBelow")
        self.window = _positive_int(window, "window", "RelativeImprovementBelow")
        self.monitor = _monitor(monitor, "RelativeImprovementBelow")
        self.events = _events_for(monitor)

    def on_train_begin(self, state: TrainState) -> None:
        _check_monitor(self.monitor, "RelativeImprovementBelow", state)

    def check(self, state: TrainState) -> StopReason | None:
        values = state.history.series(self.monitor)
        if len(values) <= self.window:
            return None
        before, now = values[-1 - self.window], values[-1]
        if not (math.isfinite(before) and math.isfinite(now)):
            return None  # a non-finite loss is Divergence's business
        improvement = (before - now) / max(abs(before), 1e-300)
        if improvement < self.tol:
            unit = "iterations" if self.monitor in ITERATION_SERIES else "epochs"
            return state.reason(
                self.code,
                f"{self.monitor} improved by {improvement:.3g} (relative, from {_fmt(before)} to {_fmt(now)}) over "
                f"the last {self.window} {unit}, below tol {_fmt(self.tol)}",
            )
        return None


class GradNormBelow(StopCondition):
    r"""Stop when the gradient norm is below ``tol``: :math:`\lVert \nabla \ell_B(\theta) \rVert_2 < \mathrm{tol}`,
    the first-order optimality condition :math:`\nabla f(\theta) = 0` up to ``tol``.

    Meant for full-batch training: with mini-batches the batch gradient is noisy and stays away from zero
    even at the minimiser (unless every sample is fitted exactly).
    """

    code = "grad_norm_below"
    events = frozenset({"iteration"})

    def __init__(self, tol: float) -> None:
        self.tol = _number(tol, "tol", "GradNormBelow", positive=True)

    def check(self, state: TrainState) -> StopReason | None:
        g = state.history.grad_norm[-1]
        if g < self.tol:
            return state.reason(self.code, f"gradient norm {_fmt(g)} < tol {_fmt(self.tol)}")
        return None


# --------------------------------------------------------------------------------------------------------
# early stopping
# --------------------------------------------------------------------------------------------------------


class EarlyStopping(StopCondition):
    r"""Stop when the monitored value has not improved for ``patience`` epochs; optionally restore the best
    parameters.

    An epoch *improves* when its value beats the best so far by more than ``min_delta``:
    :math:`v_e < v_{\text{best}} - \delta` (mode "min") or :math:`v_e > v_{\text{best}} + \delta` (mode "max").
    Training stops at the end of the ``patience``-th epoch in a row without improvement.

    Parameters
    ----------
    patience : int, default 5
    min_delta : float, default 0.0
    monitor : str, default "val_loss"
        Needs ``val_data`` in ``fit``; ``"train_loss"`` or a metric (``"val_accuracy"``) also work.
    mode : {"auto", "min", "max"}, default "auto"
        "auto" maximises accuracy-like metrics (names containing acc, r2, f1, precision, recall) and
        minimises everything else.
    restore_best : bool, default True
        At the end of training, whatever stopped it, copy the parameters of the best epoch back into the
        model (an event is added to ``history.events``). The best parameters are copied at every
        improvement.

    Attributes
    ----------
    best : float;  best_epoch : int;  wait : int (epochs since the last improvement)

    Notes
    -----
    Its state (:meth:`state_dict`) is ``best``, ``best_epoch``, ``wait``, the best parameters, and the
    parameters that the end-of-training restore replaced. A resumed fit (``fit(..., resume=history)``) puts
    those back first (and says so in ``history.events``), so that training goes on from where it was, not
    from the best epoch, exactly as an uninterrupted run would.
    """

    code = "early_stopping"
    events = frozenset({"epoch"})

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        monitor: str = "val_loss",
        mode: str = "auto",
        restore_best: bool = True,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0 (epochs), got patience={patience!r}")
        self.patience = int(patience)
        self.min_delta = abs(_number(min_delta, "min_delta", "EarlyStopping"))
        if _monitor(monitor, "EarlyStopping") in ITERATION_SERIES:
            raise ValueError(
                f"EarlyStopping monitors a per-epoch series, got monitor={monitor!r} (a per-iteration series); use "
                "monitor='val_loss', 'train_loss' or a metric such as 'val_accuracy'"
            )
        self.monitor = monitor
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got mode={mode!r}")
        self.mode = mode
        self.restore_best = check_flag(restore_best, "restore_best", "EarlyStopping")
        self._reset()

    def _reset(self) -> None:
        self.best = math.nan
        self.best_epoch = 0
        self.wait = 0
        self._best_params: dict[str, np.ndarray] | None = None
        self._replaced: dict[str, np.ndarray] | None = None  # the parameters the end-of-training restore replaced

    _STATE_KEYS = ("best", "best_epoch", "wait", "best_params", "replaced_params")

    def state_dict(self) -> dict[str, Any]:
        """``best``, ``best_epoch``, ``wait``, ``best_params`` (with ``restore_best``) and ``replaced_params``
        (the parameters at the end of training that the restore replaced; None if it restored nothing)."""
        return make_state(
            self,
            best=self.best,
            best_epoch=self.best_epoch,
            wait=self.wait,
            best_params=self._best_params,
            replaced_params=self._replaced,
        )

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = checked_state(self, state, self._STATE_KEYS)
        best = _number(state["best"], "best", "EarlyStopping.load_state_dict", allow_nan=True)
        best_epoch = _count(state["best_epoch"], "best_epoch", "EarlyStopping.load_state_dict")
        wait = _count(state["wait"], "wait", "EarlyStopping.load_state_dict")
        best_params = _params_or_none(state["best_params"], "best_params", "EarlyStopping.load_state_dict")
        replaced = _params_or_none(state["replaced_params"], "replaced_params", "EarlyStopping.load_state_dict")
        self.best, self.best_epoch, self.wait = best, best_epoch, wait
        self._best_params, self._replaced = best_params, replaced

    @property
    def resolved_mode(self) -> str:
        """ "min" or "max" ("auto" resolved from the monitor's name)."""
        if self.mode != "auto":
            return self.mode
        return "max" if any(h in self.monitor for h in _MAX_MODE_HINTS) else "min"

    def on_train_begin(self, state: TrainState) -> None:
        _check_monitor(self.monitor, "EarlyStopping", state)
        if not state.resumed:
            self._reset()
            return
        for what, snapshot in (("best_params", self._best_params), ("replaced_params", self._replaced)):
            if snapshot is not None:
                _check_snapshot(snapshot, state, f"EarlyStopping: the loaded {what}")
        if self._replaced is not None:
            # the previous fit ended by restoring the best epoch; an uninterrupted run would have gone on
            state.restore(self._replaced)
            self._replaced = None
            state.history.events.append(
                f"EarlyStopping put back the parameters of epoch {state.epoch} (replaced by the best epoch's at the "
                "end of the previous fit) to resume training"
            )

    def _improved(self, value: float) -> bool:
        if math.isnan(self.best):
            return not math.isnan(value)
        if self.resolved_mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def check(self, state: TrainState) -> StopReason | None:
        value = state.history.series(self.monitor)[-1]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best:
                self._best_params = state.snapshot()
            return None
        self.wait += 1
        if self.wait >= self.patience:
            return state.reason(
                self.code,
                f"{self.monitor} did not improve by more than min_delta={_fmt(self.min_delta)} for {self.wait} "
                f"epochs (best {_fmt(self.best)} at epoch {self.best_epoch})",
            )
        return None

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best and self._best_params is not None and self.best_epoch != state.history.n_epochs:
            self._replaced = state.snapshot()  # a resumed fit goes on from these
            state.restore(self._best_params)
            state.history.events.append(
                f"EarlyStopping restored the parameters of epoch {self.best_epoch} "
                f"(best {self.monitor} {_fmt(self.best)})"
            )


# --------------------------------------------------------------------------------------------------------
# divergence
# --------------------------------------------------------------------------------------------------------


class Divergence(StopCondition):
    r"""Stop when training blows up: a NaN or infinite loss, or a loss above ``factor`` times the initial one.

    Always on: ``fit`` adds ``Divergence()`` unless you pass one (to change its settings). The classic cause
    is a learning rate that is too large: on a quadratic with largest Hessian eigenvalue :math:`L`, gradient
    descent multiplies the error along that eigenvector by :math:`|1 - \eta L|` per step, which exceeds 1
    (divergence) exactly when :math:`\eta > 2/L`.

    **The test.** :math:`L_0` is the loss at the initial parameters. With a full batch each iteration's loss is
    the training loss and is compared with ``factor`` :math:`\cdot |L_0|` directly. With mini-batches a single
    batch's loss is a noisy estimate (one sample can have a large loss for good reasons), so a batch loss
    above ``factor`` times the first batch's loss only triggers a confirmation: the loss over the whole
    training set at the current parameters is compared with ``factor`` times the whole-set loss at the
    initial parameters. NaN or infinite losses stop at once. If :math:`L_0 = 0` only non-finite losses count.

    **With anomaly detection** (``with tg.detect_anomaly(): fit(...)``) the first NaN or inf in an iteration's
    forward or backward pass ends training at once, before the step, with the anomaly report (the op, its
    input shapes, your line that created it) in the stop reason's message.

    **Restoring.** With ``keep_last_good=True`` (the default) the parameters before each step are kept (one
    copy per step), and on divergence ``history.last_good_params`` receives the last parameters whose loss
    passed this check, ``history.last_good_iteration`` their step count. Restore them with
    ``model.load_state_dict(history.last_good_params)``, or let ``restore=True`` do it when training stops.

    Parameters
    ----------
    factor : float, default 1e4
    keep_last_good : bool, default True
        Copy the parameters before every step, so that they can be restored. The copy is a pass over every
        parameter: for a model with many parameters trained on small batches it is a noticeable share of an
        iteration (14 % of ``fit``'s time for an MLP 784-256-128-10 at batch 32, see
        ``benchmarks/train_loop.py``); ``False`` skips it and keeps the check.
    restore : bool, default False
        Copy the last good parameters back into the model when it diverges.
    """

    code = "diverged"
    events = frozenset({"iteration"})

    def __init__(self, factor: float = 1e4, keep_last_good: bool = True, restore: bool = False) -> None:
        self.factor = _number(factor, "factor", "Divergence", positive=True)
        if self.factor <= 1:
            raise ValueError(
                f"Divergence: factor must be > 1 (a multiple of the initial loss, e.g. 1e4), got factor={factor!r}"
            )
        self.keep_last_good = check_flag(keep_last_good, "keep_last_good", "Divergence")
        self.restore = check_flag(restore, "restore", "Divergence")
        if self.restore and not self.keep_last_good:
            raise ValueError(
                "Divergence: restore=True needs keep_last_good=True (the copies to restore from), got "
                "keep_last_good=False; pass keep_last_good=True or restore=False"
            )
        self._reset()
        self._full_batch = False
        self._fired = False

    def _reset(self) -> None:
        """The state of a run that has not started."""
        self._buffers: list[dict[str, np.ndarray]] = []  # the parameters before the last two steps
        self._initial: dict[str, np.ndarray] | None = None  # for the whole-set reference, only if ever needed
        self._first_batch_loss: float | None = None
        self._full_initial: float | None = None
        self._copies = 0  # before_step calls: fit makes one per step (a Divergence nested in AnyOf gets none)

    _STATE_KEYS = ("first_batch_loss", "full_initial", "initial_params", "last_steps", "copies")

    def state_dict(self) -> dict[str, Any]:
        """``first_batch_loss`` and ``full_initial`` (the reference losses, None until known), ``initial_params``
        (only while the whole-set reference may still be needed), ``last_steps`` (the parameters before the last
        two steps, with ``keep_last_good``) and ``copies`` (how many steps were copied)."""
        needs_initial = not self._full_batch and self._full_initial is None
        return make_state(
            self,
            first_batch_loss=self._first_batch_loss,
            full_initial=self._full_initial,
            initial_params=self._initial if needs_initial else None,
            last_steps=self._buffers if self._copies else [],
            copies=self._copies,
        )

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = checked_state(self, state, self._STATE_KEYS)
        owner = "Divergence.load_state_dict"
        first, full = state["first_batch_loss"], state["full_initial"]
        first = None if first is None else _number(first, "first_batch_loss", owner)
        full = None if full is None else _number(full, "full_initial", owner)
        initial = _params_or_none(state["initial_params"], "initial_params", owner)
        steps = state["last_steps"]
        if not isinstance(steps, (list, tuple)) or len(steps) not in (0, 2):
            raise ValueError(
                f"{owner}: last_steps must be a list of 0 or 2 parameter snapshots, got {type(steps).__name__} of "
                f"length {len(steps) if isinstance(steps, (list, tuple)) else '?'}; pass a dict made by state_dict()"
            )
        buffers = [_params_or_none(b, "last_steps[i]", owner) or {} for b in steps]
        copies = _count(state["copies"], "copies", owner)
        self._first_batch_loss, self._full_initial, self._initial = first, full, initial
        self._buffers, self._copies = buffers, copies

    def on_train_begin(self, state: TrainState) -> None:
        self._full_batch = bool(getattr(state.loader, "full_batch", False))
        self._fired = False
        if not state.resumed:
            self._reset()
        unknown_reference = not self._full_batch and self._full_initial is None
        if self._initial is None and (self._first_batch_loss is None or unknown_reference):
            self._initial = state.snapshot()  # a new run, or a resumed one without a loaded state
        elif self._initial is not None:
            _check_snapshot(self._initial, state, "Divergence: the loaded initial_params")
        if not self.keep_last_good:
            self._buffers = []
            return
        if self._buffers:
            for i, buf in enumerate(self._buffers):
                _check_snapshot(buf, state, f"Divergence: the loaded last_steps[{i}]")
        else:
            self._buffers = [{name: np.empty_like(p.data) for name, p in state.params} for _ in range(2)]
            self._copies = 0

    def before_step(self, state: TrainState) -> None:
        """Keep a copy of the parameters about to be stepped (``fit`` calls this before every step)."""
        if self.keep_last_good:
            buf = self._buffers[(state.iteration + 1) % 2]
            for name, p in state.params:
                np.copyto(buf[name], p.data)
            self._copies += 1

    def check(self, state: TrainState) -> StopReason | None:
        if state.anomaly is not None:  # tg.detect_anomaly() found the op and the line that made the first NaN/inf
            return self._fire(state, f"anomaly detection stopped iteration {state.iteration}: {state.anomaly}")
        loss = state.history.loss[-1]
        if not math.isfinite(loss):
            return self._fire(state, f"the loss is {loss} at iteration {state.iteration}")
        if self._first_batch_loss is None:
            self._first_batch_loss = loss
            return None
        if self._full_batch:
            threshold = self.factor * abs(self._first_batch_loss)
            if 0 < threshold < loss:
                return self._fire(state, self._too_large("the loss", loss, self._first_batch_loss))
            return None
        # mini-batches: a cheap screen on the batch loss, confirmed on the whole training set
        screen = self.factor * abs(self._first_batch_loss if self._full_initial is None else self._full_initial)
        if screen > 0 and loss <= screen:
            return None
        if screen == 0 and self._full_initial is not None:
            return None  # the initial training loss is 0: only non-finite losses count
        if self._full_initial is None:
            self._full_initial = self._loss_at_initial_params(state)
        current = state.training_loss()
        threshold = self.factor * abs(self._full_initial)
        if not math.isfinite(current) or 0 < threshold < current:
            return self._fire(state, self._too_large("the training-set loss", current, self._full_initial))
        return None

    def _loss_at_initial_params(self, state: TrainState) -> float:
        # on_train_begin takes the snapshot whenever the whole-set reference loss is still unknown
        assert self._initial is not None, "Divergence: on_train_begin was not called"
        current = state.snapshot()
        state.restore(self._initial)
        try:
            return state.training_loss()
        finally:
            state.restore(current)

    def _too_large(self, what: str, value: float, initial: float) -> str:
        return (
            f"{what} {_fmt(value)} exceeds factor={_fmt(self.factor)} x its initial value {_fmt(initial)}; "
            "the learning rate is probably too large (for gradient descent on a quadratic: lr > 2/L)"
        )

    def _fire(self, state: TrainState, message: str) -> StopReason:
        if self.keep_last_good and state.iteration >= 2 and self._copies >= 2:
            # the step just taken started from the parameters in buffer iteration % 2, whose loss is the bad one;
            # the step before it started from the last parameters whose loss passed
            good = self._buffers[(state.iteration - 1) % 2]
            state.history.last_good_params = {name: good[name].copy() for name, _ in state.params}
            state.history.last_good_iteration = state.iteration - 2
            message += f"; the parameters after {state.iteration - 2} steps are in history.last_good_params"
        elif self.keep_last_good and state.iteration < 2:
            message += "; already the initial loss failed the check: look at the data, the model and the loss"
        self._fired = True
        return state.reason(self.code, message)

    def on_train_end(self, state: TrainState) -> None:
        if self._fired and self.restore and state.history.last_good_params is not None:
            state.restore(state.history.last_good_params)
            state.history.events.append(
                f"Divergence restored the parameters after {state.history.last_good_iteration} steps"
            )
