r"""``History``: everything a training run recorded, and ``StopReason``: why it ended.

A History is plain data (lists of Python numbers, numpy arrays for parameter snapshots), so it can be
plotted, compared, saved as JSON and loaded back (``to_json`` / ``from_json``), or turned into a pandas
DataFrame (``to_dataframe``, if pandas is installed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["History", "StopReason", "Milestone", "ITERATION_SERIES"]

#: Names of the per-iteration series (everything else a monitor can name is per epoch).
ITERATION_SERIES = ("loss", "grad_norm", "lr", "wall_time", "grad_evals")

_ITERATION_FIELDS = ("loss", "grad_norm", "lr", "wall_time", "grad_evals", "epoch_index")
_EPOCH_FIELDS = ("train_loss", "val_loss", "epoch_iterations", "epoch_grad_evals", "epoch_wall_time")
_FORMAT = "tinygrad_edu.History/1"


@dataclass(frozen=True)
class StopReason:
    """Why training stopped, and when.

    Attributes
    ----------
    code : str
        A short identifier: ``"max_epochs"``, ``"max_iters"``, ``"loss_below"``, ``"relative_improvement_below"``,
        ``"grad_norm_below"``, ``"early_stopping"``, ``"time_budget"``, ``"diverged"``, ``"callback"`` (a callback
        called ``state.request_stop``), or ``"a+b"`` when an ``AllOf`` of conditions fired.
    message : str
        A sentence for humans, with the values that triggered it.
    epoch : int
        The epoch (counted from 1) during which, or at whose end, it fired.
    iteration : int
        The number of iterations (optimiser steps) completed when it fired.
    """

    code: str
    message: str
    epoch: int
    iteration: int

    def __str__(self) -> str:
        return f"{self.code} (epoch {self.epoch}, iteration {self.iteration}): {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "epoch": self.epoch, "iteration": self.iteration}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StopReason:
        return cls(str(d["code"]), str(d["message"]), int(d["epoch"]), int(d["iteration"]))


@dataclass(frozen=True)
class Milestone:
    """When a run first reached a target (see :meth:`History.first_reaching`): the epoch (from 1), the number
    of iterations and of gradient evaluations (samples seen) up to that point, the wall time in seconds, and
    the monitored value there."""

    epoch: int
    iteration: int
    grad_evals: int
    wall_time: float
    value: float


@dataclass(eq=False)
class History:
    r"""What :func:`tinygrad_edu.train.fit` recorded during one training run.

    **Per iteration** (one entry per optimiser step; ``len(h.loss) == h.n_iterations``; entry ``i`` belongs to
    iteration ``i + 1``):

    ``loss`` : list of float
        The batch loss :math:`\ell_B(\theta_{i})` computed in the iteration, at the parameters *before* its step
        (the value whose gradient drove the step). For a full batch this is the training loss.
    ``grad_norm`` : list of float
        :math:`\lVert g \rVert_2 = \sqrt{\sum_{p} \sum_j (\partial \ell_B / \partial p_j)^2}`, the global L2 norm
        of the batch gradient over all parameters of the optimiser, *before* gradient clipping.
    ``lr`` : list of float
        The learning rate the step used (``optimizer.param_groups[0]["lr"]``, after any schedule).
    ``wall_time`` : list of float
        Seconds since training began (``time.perf_counter``), at the end of the iteration.
    ``grad_evals`` : list of int
        Cumulative gradient evaluations of per-sample losses = samples seen, after the iteration. This is the
        fair clock to compare GD (N per step) with SGD (1 per step) and mini-batches (k per step).
    ``epoch_index`` : list of int
        The epoch (counted from 1) the iteration belongs to.

    **Per epoch** (one entry per epoch; the last epoch may be partial if a condition stopped training in its
    middle; ``len(h.train_loss) == h.n_epochs``):

    ``train_loss`` : list of float
        With ``train_loss_mode == "mean"`` (``fit``'s default): the mean of the epoch's batch losses weighted by
        batch size, i.e. each sample's loss at the parameters of the moment it was used (free to compute, but
        it lags behind the parameters at the end of the epoch). With ``"full"``: the loss over the whole
        training set at the parameters at the end of the epoch (one extra forward pass; the exact objective).
    ``val_loss`` : list of float
        The loss on ``val_data`` at the end of the epoch; empty without validation data.
    ``metrics`` : dict of str to list of float
        Per-epoch metric values, ``"accuracy"`` on the training data (computed like ``train_loss``) and
        ``"val_accuracy"`` on the validation data, for every metric passed to ``fit``.
    ``epoch_iterations`` : list of int
        Iterations completed at the end of each epoch (cumulative).
    ``epoch_grad_evals`` : list of int
        Gradient evaluations at the end of each epoch (cumulative).
    ``epoch_wall_time`` : list of float
        Seconds since training began at the end of each epoch, including its evaluation.

    **Parameter snapshots** (only with ``fit(record_params=...)``):

    ``params`` : dict of str to list of ndarray
        Dotted parameter name (``"layers.0.weight"``) -> copies of its values, one per snapshot.
    ``param_iterations`` : list of int
        The iteration each snapshot was taken after; the first is 0, the initial parameters.

    **Outcome**:

    ``stop_reason`` : StopReason or None
        Which condition ended training, with its message, epoch and iteration.
    ``last_good_params`` : dict of str to ndarray, or None
        Set when training diverged: the last parameters whose loss passed the divergence check (from before
        the step that led to the non-finite or exploding loss). Restore them with
        ``model.load_state_dict(history.last_good_params)`` (for a Module; the keys are its dotted names).
    ``last_good_iteration`` : int or None
        How many steps had been taken at ``last_good_params``.
    ``events`` : list of str
        Notable things that happened, in order (e.g. "EarlyStopping restored the parameters of epoch 7").

    **Labels**: ``name`` (the run's label, e.g. "SGD (batch 32), seed 0"), ``train_loss_mode`` ("mean" or
    "full") and ``info`` (a JSON-serialisable dict of settings: optimiser, learning rate, batch size, ...).

    **Resuming**: ``fit_state`` (dict or None) is what ``fit(..., resume=history)`` needs besides the objects you
    pass it: the state of the ``Divergence`` check that ``fit`` added itself (None when you passed your own, or
    before the run ended). The epoch and iteration counters, the gradient-evaluation count and the clock go on
    from the recorded series.
    """

    name: str = "run"
    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    grad_evals: list[int] = field(default_factory=list)
    epoch_index: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    epoch_iterations: list[int] = field(default_factory=list)
    epoch_grad_evals: list[int] = field(default_factory=list)
    epoch_wall_time: list[float] = field(default_factory=list)
    params: dict[str, list[np.ndarray]] = field(default_factory=dict)
    param_iterations: list[int] = field(default_factory=list)
    stop_reason: StopReason | None = None
    last_good_params: dict[str, np.ndarray] | None = None
    last_good_iteration: int | None = None
    events: list[str] = field(default_factory=list)
    train_loss_mode: str = "mean"
    info: dict[str, Any] = field(default_factory=dict)
    fit_state: dict[str, Any] | None = None

    # ---- sizes and axes ---------------------------------------------------------------------------------

    @property
    def n_iterations(self) -> int:
        """Iterations (optimiser steps) run."""
        return len(self.loss)

    @property
    def n_epochs(self) -> int:
        """Epochs run (the last one may be partial)."""
        return len(self.train_loss)

    @property
    def iterations(self) -> np.ndarray:
        """``1 .. n_iterations``: the x axis of the per-iteration series."""
        return np.arange(1, self.n_iterations + 1)

    @property
    def epochs(self) -> np.ndarray:
        """``1 .. n_epochs``: the x axis of the per-epoch series."""
        return np.arange(1, self.n_epochs + 1)

    # ---- reading --------------------------------------------------------------------------------------

    def series(self, name: str) -> list[float]:
        """A recorded series by name: ``"loss"``, ``"grad_norm"``, ``"lr"``, ``"wall_time"``, ``"grad_evals"``
        (per iteration), ``"train_loss"``, ``"val_loss"`` or a metric name such as ``"val_accuracy"`` (per
        epoch)."""
        if name in ITERATION_SERIES or name in ("train_loss", "val_loss"):
            return getattr(self, name)
        if name in self.metrics:
            return self.metrics[name]
        raise KeyError(
            f"History has no series {name!r}; pass one of the available names {self.available_series()} (metrics "
            "need fit(..., metrics=[...]), val_loss needs val_data)"
        )

    def available_series(self) -> list[str]:
        """The names :meth:`series` accepts for this run."""
        names = [*ITERATION_SERIES, "train_loss"]
        if self.val_loss:
            names.append("val_loss")
        return names + list(self.metrics)

    @property
    def initial_loss(self) -> float | None:
        """The loss of the first iteration (at the initial parameters), or None before any iteration."""
        return self.loss[0] if self.loss else None

    @property
    def final_train_loss(self) -> float | None:
        """The last epoch's ``train_loss`` (None before the first epoch ends)."""
        return self.train_loss[-1] if self.train_loss else None

    @property
    def final_val_loss(self) -> float | None:
        """The last epoch's ``val_loss`` (None without validation data)."""
        return self.val_loss[-1] if self.val_loss else None

    def last_epoch_losses(self) -> list[float]:
        """The batch losses of the last epoch's iterations (how much the loss fluctuates at the end)."""
        if not self.epoch_index:
            return []
        last = self.epoch_index[-1]
        return [v for v, e in zip(self.loss, self.epoch_index, strict=True) if e == last]

    def first_reaching(self, tol: float, monitor: str = "train_loss", mode: str = "min") -> Milestone | None:
        """The first point where ``monitor`` was ``<= tol`` (``>= tol`` with ``mode="max"``), or None.

        For a per-epoch monitor the milestone is the end of that epoch; for a per-iteration one (``"loss"``) it
        is that iteration. The milestone says how many iterations, gradient evaluations and seconds it took.
        """
        if mode not in ("min", "max"):
            raise ValueError(f"first_reaching: mode must be 'min' or 'max', got mode={mode!r}")
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"first_reaching: tol must be a number (the target value of {monitor!r}), got tol={tol!r} "
                f"({type(tol).__name__}); e.g. history.first_reaching(0.01)"
            )
        values = self.series(monitor)
        per_iteration = monitor in ITERATION_SERIES
        for i, v in enumerate(values):
            if not (v <= tol if mode == "min" else v >= tol):
                continue
            if per_iteration:
                return Milestone(self.epoch_index[i], i + 1, self.grad_evals[i], self.wall_time[i], float(v))
            return Milestone(
                i + 1, self.epoch_iterations[i], self.epoch_grad_evals[i], self.epoch_wall_time[i], float(v)
            )
        return None

    def param_trajectory(self, name: str) -> np.ndarray:
        """The snapshots of parameter ``name`` stacked: shape (n_snapshots, *param.shape), with
        ``param_iterations`` as the matching x axis."""
        if name not in self.params:
            hint = "; train with fit(..., record_params=True)" if not self.params else ""
            raise KeyError(f"no snapshots of parameter {name!r}; recorded: {sorted(self.params)}{hint}")
        return np.stack(self.params[name])

    def __repr__(self) -> str:
        stop = f", stop={self.stop_reason.code!r}" if self.stop_reason else ""
        final = f", final_train_loss={self.final_train_loss:.6g}" if self.train_loss else ""
        return (
            f"History(name={self.name!r}, epochs={self.n_epochs}, iterations={self.n_iterations}, "
            f"grad_evals={self.grad_evals[-1] if self.grad_evals else 0}{final}{stop})"
        )

    # ---- serialisation ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (arrays become ``{"dtype", "shape", "data"}``); :meth:`from_dict` inverts it."""
        d: dict[str, Any] = {"format": _FORMAT, "name": self.name, "train_loss_mode": self.train_loss_mode}
        for key in (*_ITERATION_FIELDS, *_EPOCH_FIELDS, "param_iterations", "events"):
            d[key] = list(getattr(self, key))
        d["metrics"] = {k: list(v) for k, v in self.metrics.items()}
        d["params"] = {k: [_encode_array(a) for a in v] for k, v in self.params.items()}
        d["stop_reason"] = None if self.stop_reason is None else self.stop_reason.to_dict()
        d["last_good_params"] = (
            None if self.last_good_params is None else {k: _encode_array(a) for k, a in self.last_good_params.items()}
        )
        d["last_good_iteration"] = self.last_good_iteration
        d["info"] = _jsonable(self.info)
        d["fit_state"] = _encode_tree(self.fit_state)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Rebuild a History from :meth:`to_dict`'s output."""
        if not isinstance(d, dict):
            raise TypeError(
                f"History.from_dict: d must be a dict made by History.to_dict(), got {type(d).__name__}; for a JSON "
                "string use History.from_json"
            )
        if d.get("format") != _FORMAT:
            raise ValueError(
                f"History.from_dict: not a History dict (format {d.get('format')!r}, expected {_FORMAT!r}); pass a "
                "dict made by History.to_dict()"
            )
        h = cls(name=d["name"], train_loss_mode=d["train_loss_mode"], info=dict(d["info"]))
        for key in (*_ITERATION_FIELDS, *_EPOCH_FIELDS, "param_iterations", "events"):
            setattr(h, key, list(d[key]))
        h.metrics = {k: list(v) for k, v in d["metrics"].items()}
        h.params = {k: [_decode_array(a) for a in v] for k, v in d["params"].items()}
        h.stop_reason = None if d["stop_reason"] is None else StopReason.from_dict(d["stop_reason"])
        lg = d["last_good_params"]
        h.last_good_params = None if lg is None else {k: _decode_array(a) for k, a in lg.items()}
        h.last_good_iteration = d["last_good_iteration"]
        h.fit_state = _decode_tree(d.get("fit_state"))  # absent from dicts written before it existed
        return h

    def to_json(self, indent: int | None = None) -> str:
        """The History as a JSON string. Non-finite numbers (a diverged loss) are written as ``NaN`` /
        ``Infinity``, as Python's ``json`` module does (and reads back)."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> History:
        """Rebuild a History from :meth:`to_json`'s output."""
        if not isinstance(text, (str, bytes, bytearray)):
            raise TypeError(
                f"History.from_json: text must be the JSON string made by History.to_json(), got {type(text).__name__}"
            )
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as err:
            raise ValueError(
                f"History.from_json: text is not valid JSON ({err}); pass the string made by History.to_json()"
            ) from None
        return cls.from_dict(d)

    def to_dataframe(self, level: str = "iteration") -> Any:
        """The per-iteration (``level="iteration"``) or per-epoch (``level="epoch"``) series as a pandas
        DataFrame, one row per iteration or epoch. Needs pandas (``pip install pandas``)."""
        if level not in ("iteration", "epoch"):
            raise ValueError(f"to_dataframe: level must be 'iteration' or 'epoch', got level={level!r}")
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "History.to_dataframe needs pandas, which is optional: pip install pandas "
                "(or use history.to_dict(), which needs nothing)"
            ) from None
        if level == "iteration":
            cols = {"iteration": self.iterations, "epoch": self.epoch_index}
            cols.update({k: getattr(self, k) for k in ITERATION_SERIES})
            return pd.DataFrame(cols)
        if level == "epoch":
            cols = {"epoch": self.epochs, "iterations": self.epoch_iterations, "grad_evals": self.epoch_grad_evals}
            cols.update({"wall_time": self.epoch_wall_time, "train_loss": self.train_loss})
            if self.val_loss:
                cols["val_loss"] = self.val_loss
            cols.update(self.metrics)
            return pd.DataFrame(cols)
        raise ValueError(f"to_dataframe: level must be 'iteration' or 'epoch', got level={level!r}")


def _encode_array(a: np.ndarray) -> dict[str, Any]:
    return {"dtype": a.dtype.str, "shape": list(a.shape), "data": a.ravel().tolist()}


def _decode_array(d: dict[str, Any]) -> np.ndarray:
    return np.asarray(d["data"], dtype=np.dtype(d["dtype"])).reshape(d["shape"])


def _encode_tree(value: Any) -> Any:
    """Nested dicts and lists with numpy arrays in them, as JSON types (an array becomes ``{"__array__": ...}``)."""
    if isinstance(value, np.ndarray):
        return {"__array__": _encode_array(value)}
    if isinstance(value, dict):
        return {str(k): _encode_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_tree(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode_tree(value: Any) -> Any:
    """The inverse of :func:`_encode_tree`."""
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return _decode_array(value["__array__"])
        return {k: _decode_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_tree(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    """``info`` values as JSON types (numpy scalars become Python numbers; anything else its repr)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
