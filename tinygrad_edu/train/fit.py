r"""``fit``: the training loop, with every concept of training dynamics as a recorded object.

One **iteration** is one optimiser step on one batch::

    optimizer.zero_grad()
    loss = loss_fn(model(X_batch), y_batch)          # forward
    loss.backward()                                  # backward: fills .grad
    g = sqrt(sum of squares of every .grad)          # recorded (before clipping)
    if grad_clip and g > grad_clip: scale every .grad by grad_clip / (g + 1e-6)
    optimizer.step()
    scheduler.step()                                 # if scheduler_interval == "iteration"

One **epoch** is one pass over the loader (``len(loader)`` iterations); at its end the epoch's training loss,
the validation loss and the metrics are recorded, and the scheduler steps (``scheduler_interval="epoch"``).
Stopping conditions are checked after every iteration and every epoch; the first that fires ends training
and becomes ``history.stop_reason``.

**Closure-based optimisers** (``GD(line_search="armijo")``, ``LBFGS``, ``Newton``, and any optimiser whose
``requires_closure`` is True) re-evaluate the loss at trial points: ``fit`` builds the closure itself (zero the
gradients, recompute the loss on the current batch, backward, return the loss) and calls
``optimizer.step(closure)``. An optimiser whose ``closure_create_graph`` is True (``Newton``) gets
``loss.backward(create_graph=True)`` in the closure, so that it can differentiate the gradient again.

**Resuming.** ``fit(..., resume=history)`` continues the run that ``history`` recorded: the epoch and
iteration counters, the gradient-evaluation count and the clock go on from it, new records are appended to
it, budgets count the whole run (``epochs=10`` ends at epoch 10), and stopping conditions and callbacks keep
their state (``state.resumed`` is True) instead of resetting it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import metrics as metrics_module
from .._validation import check_flag
from ..anomaly import AnomalyError
from ..data.loader import DataLoader, as_array
from ..optim.optimizer import Optimizer, needs_closure
from ..optim.schedules import LRScheduler
from ..tensor import Tensor
from ._statedict import load_state_of
from .callbacks import Callback
from .history import History, StopReason
from .state import TrainState
from .stopping import AnyOf, Divergence, MaxEpochs, MaxIters, StopCondition, TimeBudget

__all__ = ["fit", "global_grad_norm", "clip_grad_norm"]

MetricFn = Callable[[Any, Any], float]
_HOOKS = ("on_train_begin", "on_epoch_begin", "on_iteration_end", "on_epoch_end", "on_train_end")


def global_grad_norm(params: Iterable[Tensor]) -> float:
    r"""The global L2 norm of the gradients, :math:`\sqrt{\sum_p \sum_j g_{p,j}^2}` (parameters without a
    ``.grad`` count as zero)."""
    total = 0.0
    for p in params:
        g = p.grad
        if g is not None:
            flat = g.ravel(order="K")  # a view in memory order: no copy for the transposed (Fortran-order) grads
            total += float(np.dot(flat, flat))
    return math.sqrt(total)


def clip_grad_norm(params: Iterable[Tensor], max_norm: float) -> float:
    r"""Scale all gradients in place so that their global L2 norm is at most ``max_norm`` (PyTorch's
    ``clip_grad_norm_``): if :math:`\lVert g \rVert > c`, every :math:`g \leftarrow g \cdot c / (\lVert g \rVert +
    10^{-6})`. The direction of the step is kept; only its length is limited. Returns the norm before clipping.
    """
    params = list(params)
    norm = global_grad_norm(params)
    if norm > max_norm:
        _scale_grads(params, max_norm / (norm + 1e-6))
    return norm


def _scale_grads(params: Iterable[Tensor], factor: float) -> None:
    for p in params:
        if p.grad is not None:
            p.grad *= factor  # .grad is an array the backward pass owns: scaling in place is safe


# --------------------------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------------------------


def _optional_positive_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {name} must be a positive int or None, got {name}={value!r}")
    return int(value)


def _describe_optimizer(optimizer: Optimizer) -> str:
    search = getattr(optimizer, "line_search", None)
    return f"{type(optimizer).__name__}(line_search={search!r})" if search else type(optimizer).__name__


def _as_loader(loader: Any) -> DataLoader:
    if isinstance(loader, DataLoader):
        return loader
    if isinstance(loader, tuple) and len(loader) == 2:
        return DataLoader(loader[0], loader[1], batch_size=None, shuffle=False)
    raise TypeError(
        f"fit: loader must be a tg.data.DataLoader (or a pair (X, y) for full-batch training), got "
        f"{type(loader).__name__}; e.g. tg.data.DataLoader(X, y, batch_size=32, seed=0)"
    )


def _as_val_data(val_data: Any) -> tuple[np.ndarray, np.ndarray | None] | None:
    if val_data is None:
        return None
    if isinstance(val_data, DataLoader):
        return val_data.X, val_data.y
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise TypeError(
            f"fit: val_data must be a pair (X_val, y_val) or a DataLoader, got {type(val_data).__name__}; e.g. "
            "val_data=(X_val, y_val)"
        )
    X, y = as_array(val_data[0], "val_data X"), as_array(val_data[1], "val_data y", labels=True)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y) or len(X) == 0:
        raise ValueError(
            f"fit: val_data must hold the same positive number of samples in X and y, got shapes {X.shape} and "
            f"{y.shape}; pass val_data=(X_val, y_val) with one row of X_val per label"
        )
    return X, y


def _metric_name(fn: Any) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _resolve_metrics(metrics: Any) -> list[tuple[str, MetricFn]]:
    """Names (``"accuracy"``, looked up in ``tg.metrics``), callables ``fn(y_true, y_pred)`` or a dict."""
    if metrics is None:
        return []
    items = list(metrics.items()) if isinstance(metrics, Mapping) else [(None, m) for m in _as_list(metrics)]
    resolved: list[tuple[str, MetricFn]] = []
    for name, m in items:
        if isinstance(m, str):
            fn = getattr(metrics_module, m, None)
            if fn is None or m not in metrics_module.__all__:
                raise ValueError(
                    f"fit: unknown metric {m!r} in metrics; use a name from tg.metrics "
                    f"{sorted(metrics_module.__all__)} or a function fn(y_true, y_pred)"
                )
            resolved.append((name or m, fn))
        elif callable(m):
            resolved.append((name or _metric_name(m), m))
        else:
            raise TypeError(
                f"fit: a metric must be a name from tg.metrics or a function fn(y_true, y_pred), got {m!r} "
                f"({type(m).__name__}); e.g. metrics=['accuracy']"
            )
    names = [n for n, _ in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"fit: metric names must be unique, got metrics {names}; pass a dict {{name: fn}} to rename")
    return resolved


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _named_params(model: Any, optimizer: Optimizer) -> list[tuple[str, Tensor]]:
    """The optimiser's parameters, named by the model's dotted names where it has them."""
    opt_params = [p for group in optimizer.param_groups for p in group["params"]]
    model_names: dict[int, str] = {}
    if hasattr(model, "named_parameters"):
        model_names = {id(p): n for n, p in model.named_parameters()}
        if model_names and not any(id(p) in model_names for p in opt_params):
            raise ValueError(
                "fit: none of the optimizer's parameters belong to the model, so training would not change it. "
                "Was the model re-created after the optimizer? Build the optimizer from model.parameters()"
            )
    named, seen = [], set()
    for i, p in enumerate(opt_params):
        name = model_names.get(id(p)) or p.name or f"param{i}"
        if name in seen:
            name = f"{name}#{i}"
        seen.add(name)
        named.append((name, p))
    return named


def _has_budget(conditions: Sequence[StopCondition]) -> bool:
    for c in conditions:
        if isinstance(c, (MaxEpochs, MaxIters, TimeBudget)):
            return True
        if isinstance(c, AnyOf) and _has_budget(c.conditions):
            return True
    return False


def _run_info(optimizer: Optimizer, loader: DataLoader, settings: dict[str, Any]) -> dict[str, Any]:
    hyper = {k: v for k, v in optimizer.defaults.items() if isinstance(v, (bool, int, float, str, type(None)))}
    info = {
        "optimizer": type(optimizer).__name__,
        "hyperparameters": hyper,
        "batch_size": loader.batch_size,
        "mode": loader.mode,
        "n_samples": loader.n_samples,
        "iterations_per_epoch": len(loader),
        "shuffle": loader.shuffle,
        "drop_last": loader.drop_last,
        "seed": loader.seed,
        "n_parameters": int(sum(p.size for group in optimizer.param_groups for p in group["params"])),
    }
    info.update(settings)
    return info


def _has_modes(model: Any) -> bool:
    """Modules switch between training and evaluation behaviour with ``train()`` / ``eval()``."""
    return callable(getattr(model, "train", None)) and callable(getattr(model, "eval", None))


def _finite(a: np.ndarray) -> bool:
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


# --------------------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------------------


class _Trainer:
    """One run of :func:`fit`; split into small methods so each step of the loop reads on its own."""

    def __init__(
        self,
        state: TrainState,
        *,
        conditions: list[StopCondition],
        budget: list[StopCondition],
        divergence: Divergence,
        callbacks: list[Any],
        metrics: list[tuple[str, MetricFn]],
        record_every: int,
        progress: Any,
        grad_clip: float | None,
        scheduler_interval: str,
        train_loss_mode: str,
        own_divergence: bool,
    ) -> None:
        self.state = state
        self.conditions = [divergence, *conditions]
        self.budget = budget
        self.divergence = divergence
        self.callbacks = callbacks
        self.metrics = metrics
        self.record_every = record_every
        self.progress = progress
        self.grad_clip = grad_clip
        self.scheduler_interval = scheduler_interval
        self.full_train_loss = train_loss_mode == "full"
        self.tensors = [p for _, p in state.params]
        self.t0 = 0.0  # time.perf_counter() when training started (earlier than now by a resumed run's time)
        self.grad_evals = 0  # samples seen so far
        self.needs_closure = needs_closure(state.optimizer)
        if not own_divergence:
            # a resumed fit (or a checkpoint taken during this one) finds the check fit added through the History
            # a private attribute outside History's dataclass fields (so not in repr, asdict or saved files)
            state.history._fit_divergence = divergence  # type: ignore[attr-defined]

    # ---- hooks ------------------------------------------------------------------------------------------

    def _callbacks(self, hook: str) -> None:
        for cb in self.callbacks:
            method = getattr(cb, hook, None)
            if method is not None:
                method(self.state)

    def _check(self, event: str) -> StopReason | None:
        """Callbacks have run; ask the conditions in priority order: Divergence, the user's conditions, a stop
        requested by a callback, then the budgets given as fit(epochs=..., max_iters=...)."""
        state = self.state
        state.event = event
        for cond in self.conditions:
            if event in cond.events:
                reason = cond.check(state)
                if reason is not None:
                    return reason
        if state.requested_stop is not None:
            return state.requested_stop
        for cond in self.budget:
            if event in cond.events:
                reason = cond.check(state)
                if reason is not None:
                    return reason
        return None

    # ---- run --------------------------------------------------------------------------------------------

    def run(self) -> History:
        state, h = self.state, self.state.history
        if _has_modes(state.model):
            state.model.train()  # a model left in eval mode would train with its evaluation behaviour
        if state.resumed:  # the counters go on from the history
            state.epoch, state.iteration = h.n_epochs, h.n_iterations
        for cond in (*self.conditions, *self.budget):
            cond.on_train_begin(state)
        if self.record_every and not (h.param_iterations and h.param_iterations[-1] == state.iteration):
            self._snapshot()
        self._callbacks("on_train_begin")
        self.grad_evals = h.grad_evals[-1] if h.grad_evals else 0
        self.t0 = time.perf_counter() - _elapsed(h)
        reason = None
        try:
            while reason is None:
                reason = self._epoch()
        finally:
            if self.progress is not None:
                self.progress.close()
        h.stop_reason = reason
        state.stop_reason = reason
        if self.record_every and (not h.param_iterations or h.param_iterations[-1] != state.iteration):
            self._snapshot()
        for cond in (*self.conditions, *self.budget):
            cond.on_train_end(state)
        state.event = None
        self._callbacks("on_train_end")
        return h

    def _epoch(self) -> StopReason | None:
        state = self.state
        state.epoch += 1
        state.event = None
        self._callbacks("on_epoch_begin")
        loss_sum, n_seen = 0.0, 0
        outputs: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        keep_outputs = bool(self.metrics) and not self.full_train_loss
        reason = None
        for batch in state.loader:
            xb, yb = batch if state.loader.y is not None else (batch, None)
            value, out, size = self._iteration(xb, yb)
            loss_sum += value * size
            n_seen += size
            if keep_outputs and out is not None and yb is not None:  # fit refuses metrics without y
                outputs.append(out)
                targets.append(yb.data)
            self._callbacks("on_iteration_end")
            reason = self._check("iteration")
            if reason is not None:
                break
        self._end_epoch(loss_sum / max(n_seen, 1), outputs, targets)
        self._callbacks("on_epoch_end")
        return reason if reason is not None else self._check("epoch")

    def _iteration(self, xb: Tensor, yb: Tensor | None) -> tuple[float, np.ndarray | None, int]:
        state, h = self.state, self.state.history
        optimizer = state.optimizer
        optimizer.zero_grad()
        value, out = math.nan, None
        try:
            out = state.model(xb)
            loss = state.loss_fn(out) if yb is None else state.loss_fn(out, yb)
            _check_loss(loss)
            value = float(loss.data)
            loss.backward()
        except AnomalyError as err:  # tg.detect_anomaly(): no step; Divergence stops with the error's report
            state.anomaly = err
        if state.anomaly is None:
            norm = global_grad_norm(self.tensors)
            if self.grad_clip is not None and norm > self.grad_clip:  # clip_grad_norm, without a second norm
                _scale_grads(self.tensors, self.grad_clip / (norm + 1e-6))
        else:
            norm, out = math.nan, None
        lr = float(optimizer.param_groups[0]["lr"])
        self.divergence.before_step(state)
        size = len(xb.data)
        evaluations = 1
        if state.anomaly is None:
            evaluations += self._step(xb, yb)
            if state.scheduler is not None and self.scheduler_interval == "iteration":
                state.scheduler.step()
        self.grad_evals += size * evaluations
        state.iteration += 1
        h.loss.append(value)
        h.grad_norm.append(norm)
        h.lr.append(lr)
        h.wall_time.append(time.perf_counter() - self.t0)
        h.grad_evals.append(self.grad_evals)
        h.epoch_index.append(state.epoch)
        if self.record_every and state.iteration % self.record_every == 0:
            self._snapshot()
        return value, None if out is None else out.data, size

    def _step(self, xb: Tensor, yb: Tensor | None) -> int:
        """``optimizer.step()``, with a closure for the optimisers that need one; returns the closure's calls."""
        state = self.state
        if not self.needs_closure:
            state.optimizer.step()
            return 0
        calls = 0
        create_graph = bool(getattr(state.optimizer, "closure_create_graph", False))  # Newton: second derivatives

        def closure() -> Tensor:
            nonlocal calls
            calls += 1
            state.optimizer.zero_grad()
            out = state.model(xb)
            loss = state.loss_fn(out) if yb is None else state.loss_fn(out, yb)
            loss.backward(create_graph=create_graph)
            return loss

        try:
            state.optimizer.step(closure)
        except AnomalyError as err:  # a trial point of the line search produced a NaN/inf under detect_anomaly
            state.anomaly = err
        return calls

    def _end_epoch(self, mean_loss: float, outputs: list[np.ndarray], targets: list[np.ndarray]) -> None:
        state, h = self.state, self.state.history
        loader = state.loader
        train_out: np.ndarray | None
        if self.full_train_loss:
            train_loss, train_out = self._evaluate(loader.X, loader.y)
            train_true = loader.y
        else:
            train_loss = mean_loss
            train_out = np.concatenate(outputs) if outputs else None
            train_true = np.concatenate(targets) if targets else None
        h.train_loss.append(train_loss)
        self._record_metrics("", train_true, train_out)
        if state.val_data is not None:
            val_loss, val_out = self._evaluate(*state.val_data)
            h.val_loss.append(val_loss)
            self._record_metrics("val_", state.val_data[1], val_out)
        h.epoch_iterations.append(state.iteration)
        h.epoch_grad_evals.append(self.grad_evals)
        h.epoch_wall_time.append(time.perf_counter() - self.t0)
        if state.scheduler is not None and self.scheduler_interval == "epoch":
            state.scheduler.step()
        if self.progress is not None:
            self._update_progress()

    def _evaluate(self, X: np.ndarray, y: np.ndarray | None) -> tuple[float, np.ndarray]:
        """Loss and output in evaluation mode (``model.eval()``), back in training mode afterwards."""
        model = self.state.model
        if not _has_modes(model):
            return self.state.evaluate(X, y)
        model.eval()
        try:
            return self.state.evaluate(X, y)
        finally:
            model.train()

    def _record_metrics(self, prefix: str, y_true: np.ndarray | None, y_pred: np.ndarray | None) -> None:
        for name, fn in self.metrics:
            ok = y_true is not None and y_pred is not None and _finite(y_pred)
            value = float(fn(y_true, y_pred)) if ok else math.nan
            self.state.history.metrics[prefix + name].append(value)

    def _snapshot(self) -> None:
        h = self.state.history
        for name, p in self.state.params:
            h.params.setdefault(name, []).append(p.data.copy())
        h.param_iterations.append(self.state.iteration)

    def _update_progress(self) -> None:
        h = self.state.history
        postfix = {"loss": f"{h.train_loss[-1]:.4g}"}
        if h.val_loss:
            postfix["val_loss"] = f"{h.val_loss[-1]:.4g}"
        for name, values in h.metrics.items():
            postfix[name] = f"{values[-1]:.4g}"
        self.progress.set_postfix(postfix, refresh=False)
        self.progress.update(1)


def _elapsed(h: History) -> float:
    """The seconds a run recorded so far (0 for a new one): a resumed run's clock goes on from there."""
    times = [*h.wall_time[-1:], *h.epoch_wall_time[-1:]]
    return max(times) if times else 0.0


def _check_loss(loss: Any) -> None:
    if not isinstance(loss, Tensor):
        raise TypeError(
            f"fit: loss_fn must return the loss as a Tensor, got {type(loss).__name__}; build it from Tensor "
            "operations, e.g. tg.nn.functional.mse_loss(pred, y)"
        )
    if loss.data.size != 1:
        raise ValueError(
            f"fit: loss_fn returned a Tensor of shape {loss.shape}; the loss must be one number: reduce it, e.g. "
            "with .mean() or reduction='mean'"
        )
    if not loss.requires_grad:
        raise RuntimeError(
            "fit: the loss does not require grad: it does not depend on any parameter with requires_grad=True "
            "(or it was computed under no_grad), so backward cannot reach the parameters"
        )


def _make_progress(total: int | None, name: str, done: int = 0) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(
            "fit(progress=True) draws a progress bar with tqdm, which is not installed: pip install tqdm "
            "(or pass progress=False)"
        ) from None
    return tqdm(total=total, initial=done, desc=name, unit="epoch", leave=True, dynamic_ncols=True)


def fit(
    model: Callable[[Tensor], Tensor],
    loss_fn: Callable[..., Tensor],
    optimizer: Optimizer,
    loader: DataLoader | tuple[Any, Any],
    *,
    epochs: int | None = None,
    max_iters: int | None = None,
    val_data: tuple[Any, Any] | DataLoader | None = None,
    metrics: Sequence[str | MetricFn] | Mapping[str, MetricFn] = (),
    stop: StopCondition | Sequence[StopCondition] = (),
    callbacks: Callback | Sequence[Callback] = (),
    record_params: bool | int = False,
    progress: bool = True,
    grad_clip: float | None = None,
    scheduler: LRScheduler | None = None,
    scheduler_interval: str = "epoch",
    train_loss: str = "mean",
    name: str | None = None,
    resume: History | None = None,
) -> History:
    r"""Train ``model`` by minimising ``loss_fn`` with ``optimizer`` over the batches of ``loader``.

    Parameters
    ----------
    model : Module or callable
        ``model(X_batch)`` returns the predictions (a Tensor).
    loss_fn : callable
        ``loss_fn(predictions, y_batch)`` (or ``loss_fn(predictions)`` for a loader without targets) returns
        the loss, a one-element Tensor, e.g. ``tg.nn.functional.mse_loss`` or ``cross_entropy``.
    optimizer : Optimizer
        Built over the model's parameters, e.g. ``tg.optim.SGD(model.parameters(), lr=0.1)``. An optimiser whose
        step needs a closure (``GD(line_search="armijo")``) gets one from ``fit``: it recomputes the loss on the
        current batch and its gradient; each call counts in ``history.grad_evals``.
    loader : DataLoader or (X, y)
        The training batches; its ``batch_size`` decides between GD (full batch), SGD (1) and mini-batch SGD.
        A pair ``(X, y)`` means the full batch.
    epochs : int, optional
        Stop after this many epochs (adds ``MaxEpochs(epochs)``).
    max_iters : int, optional
        Stop after this many iterations (adds ``MaxIters(max_iters)``). At least one budget is required:
        ``epochs``, ``max_iters``, or a ``MaxEpochs``/``MaxIters``/``TimeBudget`` in ``stop``.
    val_data : (X_val, y_val) or DataLoader, optional
        Evaluated (one forward pass, no graph) at the end of every epoch: ``history.val_loss`` and
        ``val_<metric>``.
    metrics : sequence of names or functions, or dict of name to function
        ``fn(y_true, y_pred) -> float`` with numpy arrays (the model's raw output as ``y_pred``), e.g.
        ``("accuracy",)`` from ``tg.metrics``; recorded per epoch on the training data (like ``train_loss``)
        and on ``val_data``.
    stop : StopCondition or sequence of them
        Convergence criteria and stopping conditions (``tg.train.LossBelow(1e-3)``, ``EarlyStopping()``...);
        training ends at the first that fires. ``Divergence()`` is always added unless you pass your own.
    callbacks : Callback or sequence of them
        Hooks run at train begin/end, epoch begin/end and after each iteration (see
        :class:`~tinygrad_edu.train.Callback`).
    record_params : bool or int, default False
        Record parameter snapshots (``history.params``): ``True`` after every iteration, ``k`` every ``k``
        iterations; the initial and the final parameters are always included.
    progress : bool, default True
        A ``tqdm.auto`` progress bar (a widget in Jupyter), one tick per epoch, with the loss, validation loss
        and metrics in its postfix. ``False`` prints nothing at all.
    grad_clip : float, optional
        Clip the global gradient norm to this value before each step (see :func:`clip_grad_norm`);
        ``history.grad_norm`` records the norm before clipping. Not with a closure-based optimiser.
    scheduler : LRScheduler, optional
        A learning-rate schedule over ``optimizer``, stepped after every epoch or every iteration.
    scheduler_interval : {"epoch", "iteration"}, default "epoch"
    train_loss : {"mean", "full"}, default "mean"
        What ``history.train_loss`` records per epoch: the batch-size-weighted mean of the epoch's batch
        losses (free), or the loss over the whole training set at the end of the epoch (one extra forward
        pass, the exact objective; use it to compare optimisers).
    name : str, optional
        The run's label (``history.name``), shown in the progress bar and in comparisons.
    resume : History, optional
        Continue the run this History recorded (e.g. ``checkpoint["history"]`` from :func:`tg.load_checkpoint
        <tinygrad_edu.serialization.load_checkpoint>`), with the same data, metrics, ``val_data`` and
        ``train_loss``: the epoch and iteration counters, the gradient-evaluation count and the clock go on from
        it, new records are appended to it (it is returned), ``epochs`` and ``max_iters`` count the whole run,
        and stopping conditions and callbacks keep their state (``state.resumed``). The Divergence check that
        ``fit`` adds goes on with the state ``save_checkpoint`` stored in the History.

    Returns
    -------
    History
        Per-iteration and per-epoch records, parameter snapshots, and ``stop_reason``.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> X, y, w_true = tg.data.make_linear_regression(200, 3, noise=0.0, seed=0)
    >>> _ = tg.manual_seed(0)
    >>> model = tg.nn.Linear(3, 1, dtype=X.dtype)
    >>> history = tg.train.fit(model, tg.nn.functional.mse_loss, tg.optim.GD(model.parameters(), lr=0.3),
    ...                        tg.data.DataLoader(X, y), epochs=500, stop=[tg.train.LossBelow(1e-10)],
    ...                        progress=False)
    >>> history.stop_reason.code, history.n_iterations < 500
    ('loss_below', True)
    >>> bool(abs(model.weight.data - w_true).max() < 1e-4)
    True
    """
    _check_callables(model, loss_fn, optimizer)
    loader = _as_loader(loader)
    epochs = _optional_positive_int(epochs, "epochs")
    max_iters = _optional_positive_int(max_iters, "max_iters")
    conditions = as_conditions(stop)
    if epochs is None and max_iters is None and not _has_budget(conditions):
        raise ValueError(
            "fit needs a budget, or training might never end: pass epochs=..., max_iters=..., or a MaxEpochs, "
            "MaxIters or TimeBudget condition in stop=[...]"
        )
    divergence = next((c for c in conditions if isinstance(c, Divergence)), None)
    conditions = [c for c in conditions if c is not divergence]
    own_divergence = divergence is not None
    budget: list[StopCondition] = [MaxIters(max_iters)] if max_iters else []
    budget += [MaxEpochs(epochs)] if epochs else []
    callback_list = as_callbacks(callbacks)
    record_every = _record_every(record_params)
    _check_settings(optimizer, progress, grad_clip, scheduler, scheduler_interval, train_loss, name)
    val = _as_val_data(val_data)
    metric_fns = _resolve_metrics(metrics)
    if metric_fns and loader.y is None:
        raise ValueError(
            f"fit: metrics {[n for n, _ in metric_fns]} compare predictions with targets, but the loader has no y; "
            "pass DataLoader(X, y) or drop metrics"
        )

    run_name = name if name is not None else f"{type(optimizer).__name__}, {loader.mode} (batch {loader.batch_size})"
    settings = {"epochs": epochs, "max_iters": max_iters, "grad_clip": grad_clip, "train_loss": train_loss}
    settings["scheduler"] = None if scheduler is None else repr(scheduler)
    settings["scheduler_interval"] = scheduler_interval
    info = _run_info(optimizer, loader, settings)
    if resume is None:
        history = History(name=run_name, train_loss_mode=train_loss, info=info)
        for metric_name, _ in metric_fns:
            history.metrics[metric_name] = []
            if val is not None:
                history.metrics["val_" + metric_name] = []
    else:
        history = _resumable(resume, train_loss, metric_fns, val)
        history.info.update(info)
        if name is not None:
            history.name = name
        divergence = divergence or _resumed_divergence(history)
    state = TrainState(
        model=model,
        loss_fn=loss_fn,
        optimizer=optimizer,
        loader=loader,
        history=history,
        params=_named_params(model, optimizer),
        val_data=val,
        scheduler=scheduler,
        resumed=resume is not None,
    )
    done = history.n_epochs
    total = epochs if epochs else (math.ceil(max_iters / len(loader)) if max_iters else None)
    trainer = _Trainer(
        state,
        conditions=conditions,
        budget=budget,
        divergence=divergence or Divergence(),
        callbacks=callback_list,
        metrics=metric_fns,
        record_every=record_every,
        progress=_make_progress(total, run_name, done) if progress else None,
        grad_clip=None if grad_clip is None else float(grad_clip),
        scheduler_interval=scheduler_interval,
        train_loss_mode=train_loss,
        own_divergence=own_divergence,
    )
    return trainer.run()


def _check_callables(model: Any, loss_fn: Any, optimizer: Any) -> None:
    if not callable(model):
        raise TypeError(
            f"fit: model must be callable (a Module or a function of the batch), got model={model!r} "
            f"({type(model).__name__}); e.g. tg.nn.Linear(3, 1)"
        )
    if not callable(loss_fn):
        raise TypeError(
            f"fit: loss_fn must be a function (predictions, targets) -> loss Tensor, got loss_fn={loss_fn!r}; e.g. "
            "tg.nn.functional.mse_loss"
        )
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"fit: optimizer must be a tg.optim Optimizer, got optimizer={optimizer!r} ({type(optimizer).__name__}); "
            "e.g. tg.optim.SGD(model.parameters(), lr=0.1)"
        )


def as_conditions(stop: Any, function: str = "fit") -> list[StopCondition]:
    """``fit``'s ``stop=`` (one condition, a sequence or None) as a list, each checked; ``function`` names the
    caller in the message (``save_checkpoint`` and ``load_checkpoint`` take the same argument)."""
    conditions = _as_list(stop)
    for i, c in enumerate(conditions):
        if not isinstance(c, StopCondition):
            raise TypeError(
                f"{function}: stop must hold StopConditions (what you pass to fit(stop=...)), got {c!r} "
                f"({type(c).__name__}) at stop[{i}]; e.g. stop=[tg.train.LossBelow(1e-3)]"
            )
    return conditions


def as_callbacks(callbacks: Any, function: str = "fit") -> list[Any]:
    """``fit``'s ``callbacks=`` as a list, each with at least one hook; ``function`` names the caller."""
    callback_list = _as_list(callbacks)
    for i, cb in enumerate(callback_list):
        if not any(callable(getattr(cb, hook, None)) for hook in _HOOKS):
            raise TypeError(
                f"{function}: callbacks must hold callback objects (what you pass to fit(callbacks=...)), got "
                f"{cb!r} at callbacks[{i}]; a callback needs at least one of the hooks {_HOOKS}, and this one "
                f"({type(cb).__name__}) in callbacks has none: subclass tg.train.Callback or use "
                "tg.train.LambdaCallback(on_epoch_end=...)"
            )
    return callback_list


def _record_every(record_params: Any) -> int:
    if isinstance(record_params, bool) or record_params is None:
        return 1 if record_params else 0
    if isinstance(record_params, (int, np.integer)):
        return _optional_positive_int(record_params, "record_params") or 0
    raise TypeError(
        f"fit: record_params must be True, False or a positive int (every k iterations), got "
        f"record_params={record_params!r} ({type(record_params).__name__})"
    )


def _check_settings(
    optimizer: Optimizer,
    progress: Any,
    grad_clip: Any,
    scheduler: Any,
    scheduler_interval: Any,
    train_loss: Any,
    name: Any,
) -> None:
    """The keyword arguments that are checked on their own (the others need the loader or the data)."""
    check_flag(progress, "progress", "fit")
    ok = isinstance(grad_clip, (int, float, np.integer, np.floating)) and not isinstance(grad_clip, bool)
    if grad_clip is not None and not (ok and grad_clip > 0):
        raise ValueError(
            f"fit: grad_clip must be None or a positive number (a maximal norm), got grad_clip={grad_clip!r}; e.g. "
            "grad_clip=1.0"
        )
    if grad_clip is not None and needs_closure(optimizer):
        raise ValueError(
            f"fit: grad_clip={grad_clip!r} cannot be combined with {_describe_optimizer(optimizer)}: its step "
            "recomputes the gradient through a closure, so a clipped gradient would not be the one it steps along; "
            "pass grad_clip=None, or an optimiser without a line search"
        )
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError(
            f"fit: the scheduler must be built over the same optimizer, got scheduler={scheduler!r} over another "
            "one; e.g. tg.optim.StepLR(optimizer, 10)"
        )
    if scheduler_interval not in ("epoch", "iteration"):
        raise ValueError(
            f"fit: scheduler_interval must be 'epoch' or 'iteration', got scheduler_interval={scheduler_interval!r}"
        )
    if train_loss not in ("mean", "full"):
        raise ValueError(f"fit: train_loss must be 'mean' or 'full', got train_loss={train_loss!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"fit: name must be a str (the run's label) or None, got name={name!r} ({type(name).__name__})")


def _resumable(history: Any, train_loss: str, metric_fns: list[tuple[str, MetricFn]], val: Any) -> History:
    """The History that ``fit(..., resume=history)`` appends to, after checking that it fits this call."""
    if not isinstance(history, History):
        raise TypeError(
            f"fit: resume must be the History of the run to continue (e.g. checkpoint['history'] from "
            f"tg.load_checkpoint), got resume={history!r} ({type(history).__name__})"
        )
    if history.train_loss_mode != train_loss:
        raise ValueError(
            f"fit: resume=history was recorded with train_loss={history.train_loss_mode!r}, this call has "
            f"train_loss={train_loss!r}; pass train_loss={history.train_loss_mode!r} to continue it"
        )
    expected = [n for n, _ in metric_fns] + (["val_" + n for n, _ in metric_fns] if val is not None else [])
    if sorted(history.metrics) != sorted(expected):
        raise ValueError(
            f"fit: resume=history records the metrics {sorted(history.metrics)}, this call would record "
            f"{sorted(expected)}; pass the same metrics (and val_data) as the run you continue"
        )
    if history.n_epochs and bool(history.val_loss) != (val is not None):
        had = "had val_data" if history.val_loss else "had no val_data"
        raise ValueError(
            f"fit: resume=history {had}, this call {'has none' if val is None else 'has some'}; pass the same "
            "val_data as the run you continue"
        )
    return history


def _resumed_divergence(history: History) -> Divergence | None:
    """The Divergence check that fit added to the run being resumed: the same object in the same session, or
    a new one with the state that ``save_checkpoint`` stored in ``history.fit_state``."""
    live = getattr(history, "_fit_divergence", None)
    if isinstance(live, Divergence):
        return live
    saved = (history.fit_state or {}).get("divergence")
    if saved is None:
        return None
    divergence = Divergence()
    try:
        load_state_of(divergence, saved)
    except (TypeError, ValueError) as err:
        raise type(err)(f"fit: resume=history holds a Divergence state that cannot be loaded: {err}") from err
    return divergence
