"""Callbacks: code that ``fit`` runs at fixed points of training.

``fit`` calls, in this order::

    on_train_begin
    for each epoch:
        on_epoch_begin
        for each iteration:  (step)  on_iteration_end
        (epoch statistics recorded)  on_epoch_end
    on_train_end             (after the stop reason is set and any parameters are restored)

Every hook receives the :class:`~tinygrad_edu.train.TrainState`: ``state.history`` holds everything
recorded so far, ``state.model`` / ``state.optimizer`` can be read or changed, and
``state.request_stop(message)`` ends training after the current iteration (or epoch), with stop reason
``"callback"``. Callbacks run in the order given; at each iteration and epoch end, they run before the
stopping conditions are checked.

**Resuming.** ``fit(..., resume=history)`` continues a run: ``state.resumed`` is True in every hook, and
``on_train_begin`` is called again. Every callback has ``state_dict()`` / ``load_state_dict(state)`` for
``tg.save_checkpoint(..., callbacks=[...])`` / ``tg.load_checkpoint(..., callbacks=[...])``; the built-in ones
keep nothing between hooks, so their state is empty. A callback of yours that counts or remembers something
overrides both methods (and keeps its state in ``on_train_begin`` when ``state.resumed``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from ._statedict import checked_state, make_state

if TYPE_CHECKING:
    from .state import TrainState

__all__ = ["Callback", "LambdaCallback", "PrintProgress"]

Hook = Callable[["TrainState"], Any]


class Callback:
    """Base class: override the hooks you need (each does nothing by default).

    Examples
    --------
    >>> import numpy as np
    >>> import tinygrad_edu as tg
    >>> class StopWhenLossIsSmall(tg.train.Callback):
    ...     def on_iteration_end(self, state):
    ...         if state.history.loss[-1] < 0.5:
    ...             state.request_stop(f"loss {state.history.loss[-1]:.3f} < 0.5")
    >>> w = tg.nn.Linear(1, 1)
    >>> X, y = np.ones((4, 1)), np.full((4, 1), 2.0)
    >>> h = tg.train.fit(w, tg.nn.functional.mse_loss, tg.optim.GD(w.parameters(), lr=0.1),
    ...                  tg.data.DataLoader(X, y), epochs=100, callbacks=[StopWhenLossIsSmall()], progress=False)
    >>> h.stop_reason.code
    'callback'
    """

    def on_train_begin(self, state: TrainState) -> None:
        """Before the first iteration (after the stopping conditions were reset)."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Before the first iteration of each epoch (``state.epoch`` is the new epoch's number)."""

    def on_iteration_end(self, state: TrainState) -> None:
        """After each optimiser step and its per-iteration record."""

    def on_epoch_end(self, state: TrainState) -> None:
        """After each epoch's statistics (train/val loss, metrics) were recorded."""

    def on_train_end(self, state: TrainState) -> None:
        """Once, at the end; ``state.history.stop_reason`` is set."""

    def state_dict(self) -> dict[str, Any]:
        """What this callback must remember for a resumed run to go on identically: ``{"type": class name}``
        here; override it (and :meth:`load_state_dict`) in a callback that keeps state."""
        return make_state(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output; a state of another class is refused (``ValueError``)."""
        checked_state(self, state, ())


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda state: ...)``.

    Its own state is empty: the functions are code, which a checkpoint does not hold. If they keep state (a
    counter in a closure), save it yourself, e.g. as an extra entry of ``tg.save_checkpoint(..., counter=n)``.
    """

    def __init__(
        self,
        on_train_begin: Hook | None = None,
        on_epoch_begin: Hook | None = None,
        on_iteration_end: Hook | None = None,
        on_epoch_end: Hook | None = None,
        on_train_end: Hook | None = None,
    ) -> None:
        hooks = {
            "on_train_begin": on_train_begin,
            "on_epoch_begin": on_epoch_begin,
            "on_iteration_end": on_iteration_end,
            "on_epoch_end": on_epoch_end,
            "on_train_end": on_train_end,
        }
        for name, fn in hooks.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(
                        f"LambdaCallback: {name} must be a function of the state or None, got {name}={fn!r}; e.g. "
                        f"LambdaCallback({name}=lambda state: print(state.epoch))"
                    )
                setattr(self, name, fn)  # an instance attribute shadows the no-op method


class PrintProgress(Callback):
    """Print one line per ``every`` epochs (and the last): epoch, iterations, losses, metrics.

    A plain-text alternative to the progress bar (use it with ``progress=False``), e.g. in logs::

        epoch   3  iters     96  loss 0.41237  val_loss 0.44120  val_accuracy 0.8700

    Its state is empty: it prints what the History holds.
    """

    def __init__(self, every: int = 1, file: TextIO | None = None) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"PrintProgress: every must be a positive int (print every k epochs), got every={every!r}")
        if file is not None and not callable(getattr(file, "write", None)):
            raise TypeError(
                f"PrintProgress: file must be a text stream with a write method (sys.stdout, an open file) or None, "
                f"got file={file!r} ({type(file).__name__})"
            )
        self.every = every
        self.file = file

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch % self.every == 0:
            self._print(state)

    def on_train_end(self, state: TrainState) -> None:
        if state.history.n_epochs and state.history.n_epochs % self.every:
            self._print(state)  # the last epoch, if the cadence skipped it
        if state.history.stop_reason is not None:
            print(f"stopped: {state.history.stop_reason}", file=self.file or sys.stdout)

    def _print(self, state: TrainState) -> None:
        h = state.history
        parts = [f"epoch {h.n_epochs:3d}", f"iters {h.epoch_iterations[-1]:6d}", f"loss {h.train_loss[-1]:.5g}"]
        if h.val_loss:
            parts.append(f"val_loss {h.val_loss[-1]:.5g}")
        parts += [f"{name} {values[-1]:.4f}" for name, values in h.metrics.items()]
        print("  ".join(parts), file=self.file or sys.stdout)
