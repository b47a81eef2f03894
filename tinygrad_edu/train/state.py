"""``TrainState``: what callbacks and stopping conditions see of a running ``fit``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..anomaly import AnomalyError, set_detect_anomaly
from ..tensor import Tensor, no_grad
from .history import ITERATION_SERIES, History, StopReason

__all__ = ["TrainState"]


class TrainState:
    """The live state of a training run, passed to every callback and stopping condition.

    Attributes
    ----------
    model, loss_fn, optimizer, loader, scheduler
        What ``fit`` was called with.
    history : History
        Everything recorded so far (see :class:`~tinygrad_edu.train.History`).
    params : list of (str, Tensor)
        The optimiser's parameters with their dotted names (the model's names where the model is a Module).
    epoch : int
        The current epoch, counted from 1 (0 before the first one starts).
    iteration : int
        Iterations (optimiser steps) completed so far.
    event : str or None
        ``"iteration"`` at the end of an iteration, ``"epoch"`` at the end of an epoch (when stopping
        conditions are checked), None otherwise.
    stop_reason : StopReason or None
        The reason training ended (set just before the ``on_train_end`` hooks run).
    requested_stop : StopReason or None
        Set by :meth:`request_stop`; training ends at the next check.
    anomaly : AnomalyError or None
        Set when anomaly detection (``tg.detect_anomaly()``) stopped an iteration's forward or backward pass
        with a NaN/inf; ``Divergence`` then ends training with the error's report as its stop reason.
    resumed : bool
        True when this fit continues an earlier run (``fit(..., resume=history)``): ``epoch`` and ``iteration``
        start where it ended, and stopping conditions and callbacks keep their (loaded) state instead of
        resetting it in ``on_train_begin``.
    """

    def __init__(
        self,
        *,
        model: Any,
        loss_fn: Callable[..., Tensor],
        optimizer: Any,
        loader: Any,
        history: History,
        params: Sequence[tuple[str, Tensor]],
        val_data: tuple[np.ndarray, np.ndarray | None] | None = None,
        scheduler: Any = None,
        resumed: bool = False,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.loader = loader
        self.history = history
        self.params = list(params)
        self.val_data = val_data
        self.scheduler = scheduler
        self.epoch = 0
        self.iteration = 0
        self.event: str | None = None
        self.stop_reason: StopReason | None = None
        self.requested_stop: StopReason | None = None
        self.anomaly: AnomalyError | None = None
        self.resumed = resumed

    # ---- stopping ---------------------------------------------------------------------------------------

    def request_stop(self, message: str, code: str = "callback") -> None:
        """Ask ``fit`` to stop after the current iteration (or epoch, when called from ``on_epoch_end``).

        The History's ``stop_reason`` gets ``code`` and ``message``, and the epoch and iteration of the call.
        """
        if not isinstance(code, str) or not code:
            raise TypeError(
                f"request_stop: code must be a non-empty str (the stop reason's short name), got code={code!r}; e.g. "
                "state.request_stop('target reached', code='target')"
            )
        if self.requested_stop is None:
            self.requested_stop = StopReason(code, str(message), self.epoch, self.iteration)

    def reason(self, code: str, message: str) -> StopReason:
        """A :class:`StopReason` stamped with the current epoch and iteration."""
        return StopReason(code, message, self.epoch, self.iteration)

    def available_monitors(self) -> list[str]:
        """The series names this run records (what a condition's ``monitor`` may be), known from the start."""
        names = [*ITERATION_SERIES, "train_loss"]
        if self.val_data is not None:
            names.append("val_loss")
        return names + list(self.history.metrics)

    # ---- parameters -------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of the current parameter values, by dotted name."""
        return {name: p.data.copy() for name, p in self.params}

    def restore(self, snapshot: dict[str, np.ndarray]) -> None:
        """Copy a :meth:`snapshot` back into the parameters, in place (the optimiser keeps its references).

        The snapshot must hold every parameter's name with an array of its shape; otherwise ``ValueError``
        (naming the parameter) and no parameter changes.
        """
        if not isinstance(snapshot, dict):
            raise TypeError(
                f"restore: snapshot must be a dict of parameter name -> array, as state.snapshot() makes, got "
                f"{type(snapshot).__name__}"
            )
        for name, p in self.params:
            if name not in snapshot:
                raise ValueError(
                    f"restore: the snapshot has no parameter {name!r} (it has {sorted(snapshot)}); pass a dict made "
                    "by state.snapshot() for this model"
                )
            shape = np.shape(snapshot[name])
            if shape != p.data.shape:
                raise ValueError(
                    f"restore: parameter {name!r} has shape {p.data.shape}, the snapshot's value has shape {shape}; "
                    "pass a dict made by state.snapshot() for this model"
                )
        for name, p in self.params:
            np.copyto(p.data, snapshot[name])

    # ---- evaluation -------------------------------------------------------------------------------------

    def evaluate(self, X: np.ndarray, y: np.ndarray | None) -> tuple[float, np.ndarray]:
        """``(loss, model output)`` on ``X``, ``y`` in one forward pass, without recording a graph.

        Anomaly detection is paused here: evaluations (validation loss, metrics, whole-set losses) record
        NaN/inf values as they are, also after a training step diverged.
        """
        with no_grad(), set_detect_anomaly(False):
            out = self.model(Tensor._make(X, None, None))
            loss = self.loss_fn(out) if y is None else self.loss_fn(out, Tensor._make(y, None, None))
        return float(loss.data), np.asarray(out.data)

    def training_loss(self) -> float:
        """The loss over the whole training set at the current parameters (one forward pass)."""
        return self.evaluate(self.loader.X, self.loader.y)[0]
