r"""``compare``: run several training configurations on one problem over several seeds; tidy results.

A fair comparison of optimisers or batch sizes needs (1) the same problem, (2) several seeds, because one
run of SGD is one draw of a random process, and (3) the right clock: *gradient evaluations* (samples seen)
rather than iterations, since one GD iteration costs N per-sample gradients and one SGD iteration costs 1.

>>> import tinygrad_edu as tg
>>> X, y, _ = tg.data.make_linear_regression(200, 2, noise=0.1, seed=0)
>>> problem = tg.train.Problem(model=lambda: tg.nn.Linear(2, 1, dtype=X.dtype),
...                            loss_fn=tg.nn.functional.mse_loss, X=X, y=y)
>>> configs = [tg.train.Config("GD", lambda p: tg.optim.GD(p, lr=0.05), batch_size=None, epochs=100),
...            tg.train.Config("SGD, batch 10", lambda p: tg.optim.SGD(p, lr=0.05), batch_size=10, epochs=5)]
>>> result = tg.train.compare(configs, problem, seeds=(0, 1), tol=0.02)
>>> [(row["config"], row["reached"]) for row in result.summary]
[('GD', '2/2'), ('SGD, batch 10', '2/2')]
>>> s = {row["config"]: row for row in result.summary}
>>> s["SGD, batch 10"]["grad_evals_to_tol"] < s["GD"]["grad_evals_to_tol"]
True
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from .._random import manual_seed
from ..data.loader import DataLoader
from ..optim.optimizer import Optimizer
from ..optim.schedules import LRScheduler
from .fit import fit
from .history import History
from .stopping import StopCondition

__all__ = ["Config", "Problem", "Comparison", "compare"]


@dataclass
class Config:
    """One training configuration to compare: how to optimise (the problem says what).

    Parameters
    ----------
    name : str
        The label in tables and plots, e.g. ``"SGD, batch 1"``.
    optimizer : callable
        ``optimizer(params) -> Optimizer``, e.g. ``lambda p: tg.optim.SGD(p, lr=0.01)``.
    batch_size : int or None
        ``None`` = full batch (GD), ``1`` = SGD, ``k`` = mini-batch.
    epochs, max_iters : int, optional
        Budgets, as in :func:`fit`.
    scheduler : callable, optional
        ``scheduler(optimizer) -> LRScheduler``, e.g. ``lambda o: tg.optim.InverseTimeLR(o, decay=0.01)``.
    scheduler_interval : {"epoch", "iteration"}
    stop : sequence of StopCondition
        Reused across seeds (conditions reset at the start of each run).
    grad_clip : float, optional
    shuffle, drop_last : bool
        Passed to the DataLoader (seeded with the run's seed).
    train_loss : {"full", "mean"}, default "full"
        ``"full"`` records the whole-training-set loss at each epoch end, so that all configurations are
        judged on the same objective at comparable points.
    """

    name: str
    optimizer: Callable[[list[Any]], Optimizer]
    batch_size: int | None = None
    epochs: int | None = None
    max_iters: int | None = None
    scheduler: Callable[[Optimizer], LRScheduler] | None = None
    scheduler_interval: str = "epoch"
    stop: Sequence[StopCondition] = ()
    grad_clip: float | None = None
    shuffle: bool = True
    drop_last: bool = False
    train_loss: str = "full"


@dataclass
class Problem:
    """What to learn: a model factory, a loss, training data, optional validation data and metrics.

    ``model()`` is called after ``tg.manual_seed(seed)``, so the initial parameters depend on the seed only.
    """

    model: Callable[[], Any]
    loss_fn: Callable[..., Any]
    X: Any
    y: Any = None
    val_data: tuple[Any, Any] | None = None
    metrics: Sequence[Any] | Mapping[str, Any] = ()
    name: str = "problem"


def _mean_std(values: Sequence[float | None]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value), ignoring None."""
    v = np.array([x for x in values if x is not None], dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _record(config: Config, seed: int, h: History, tol: float | None, monitor: str) -> dict[str, Any]:
    last = np.array(h.last_epoch_losses(), dtype=np.float64)
    row: dict[str, Any] = {
        "config": config.name,
        "seed": seed,
        "batch_size": h.info.get("batch_size"),
        "epochs": h.n_epochs,
        "iterations": h.n_iterations,
        "grad_evals": h.grad_evals[-1] if h.grad_evals else 0,
        "wall_time": h.epoch_wall_time[-1] if h.epoch_wall_time else 0.0,
        "stop": h.stop_reason.code if h.stop_reason else None,
        "final_train_loss": h.final_train_loss,
        "final_val_loss": h.final_val_loss,
        "last_epoch_loss": float(last.mean()) if last.size else None,
        "last_epoch_loss_std": float(last.std()) if last.size else None,
    }
    for name, values in h.metrics.items():
        row[f"final_{name}"] = values[-1] if values else None
    if tol is not None:
        if monitor not in h.available_series():
            raise ValueError(
                f"compare: monitor={monitor!r} is not recorded by configuration {config.name!r}; pass one of "
                f"{h.available_series()}"
            )
        m = h.first_reaching(tol, monitor)
        row.update(
            reached=m is not None,
            epochs_to_tol=None if m is None else m.epoch,
            iterations_to_tol=None if m is None else m.iteration,
            grad_evals_to_tol=None if m is None else m.grad_evals,
            time_to_tol=None if m is None else m.wall_time,
        )
    return row


def _summary_row(name: str, rows: list[dict[str, Any]], tol: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"config": name, "runs": len(rows)}
    numeric = [
        "final_train_loss",
        "final_val_loss",
        *[k for k in rows[0] if k.startswith("final_") and "loss" not in k],
    ]
    for key in numeric:
        if any(r.get(key) is not None for r in rows):
            out[f"{key}_mean"], out[f"{key}_std"] = _mean_std([r.get(key) for r in rows])
    for key in ("epochs", "iterations", "grad_evals", "wall_time"):
        out[f"{key}_mean"] = _mean_std([r[key] for r in rows])[0]
    if tol is not None:
        reached = [r for r in rows if r["reached"]]
        out["reached"] = f"{len(reached)}/{len(rows)}"
        for key in ("epochs_to_tol", "iterations_to_tol", "grad_evals_to_tol", "time_to_tol"):
            out[key] = _mean_std([r[key] for r in reached])[0] if reached else None
    out["stop_reasons"] = dict(Counter(r["stop"] for r in rows))
    # stability: how much the end result depends on the seed; noise: how much the loss moves within an epoch
    out["stability"] = _mean_std([r["last_epoch_loss"] for r in rows])[1]
    out["noise"] = _mean_std([r["last_epoch_loss_std"] for r in rows])[0]
    return out


@dataclass
class Comparison:
    r"""The result of :func:`compare`.

    Attributes
    ----------
    configs : list of str
        Configuration names, in the order given.
    seeds : tuple of int
    histories : dict of str to list of History
        Per configuration, the History of each seed (in seed order): everything needed to plot loss curves,
        their spread over seeds, or trajectories.
    records : list of dict
        Tidy data, one row per (configuration, seed): ``config, seed, batch_size, epochs, iterations,
        grad_evals, wall_time, stop, final_train_loss, final_val_loss, final_<metric>..., last_epoch_loss``
        (the mean batch loss of the last epoch), ``last_epoch_loss_std`` (its standard deviation within the
        epoch) and, with ``tol``, ``reached, epochs_to_tol, iterations_to_tol, grad_evals_to_tol, time_to_tol``.
    summary : list of dict
        One row per configuration: ``<value>_mean`` and ``<value>_std`` over seeds (sample standard deviation)
        for the final losses and metrics; mean epochs, iterations, gradient evaluations and wall time; with
        ``tol``, ``reached`` ("k/n" seeds) and the mean cost to reach it over the seeds that did;
        ``stop_reasons`` (code -> count); ``stability`` (the standard deviation across seeds of the last
        epoch's mean loss: how reproducible the end result is) and ``noise`` (the within-epoch standard
        deviation of the batch losses in the last epoch, averaged over seeds: how much the loss fluctuates).
    tol, monitor
        The loss tolerance and the series it was checked on (``"train_loss"``: the whole training set at
        each epoch end).
    """

    configs: list[str]
    seeds: tuple[int, ...]
    histories: dict[str, list[History]]
    records: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    tol: float | None = None
    monitor: str = "train_loss"
    problem: str = "problem"
    metric_names: list[str] = field(default_factory=list)

    def __getitem__(self, config: str) -> list[History]:
        """The per-seed histories of one configuration."""
        return self.histories[config]

    def format_summary(self) -> str:
        """The summary as a plain-text table (what :meth:`print_summary` prints)."""
        has_val = any("final_val_loss_mean" in row for row in self.summary)
        headers = ["config", "train loss", *(["val loss"] if has_val else []), *self.metric_names, "epochs", "iters"]
        if self.tol is not None:
            headers += ["reached", "grad evals to tol", "time to tol (s)"]
        headers += ["stability", "stop"]
        table = [headers] + [self._row_cells(row, has_val) for row in self.summary]
        widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in table
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        title = f"{self.problem}: {len(self.seeds)} seeds {list(self.seeds)}; mean ± std over seeds"
        if self.tol is not None:
            title += f"; tol: {self.monitor} <= {self.tol:g}"
        return "\n".join([title, *lines])

    def _row_cells(self, row: dict[str, Any], has_val: bool) -> list[str]:
        def pm(key: str) -> str:
            if f"{key}_mean" not in row:
                return "-"
            return f"{row[f'{key}_mean']:.4g} ± {row[f'{key}_std']:.2g}"

        cells = [row["config"], pm("final_train_loss"), *([pm("final_val_loss")] if has_val else [])]
        cells += [pm(f"final_{name}") for name in self.metric_names]
        cells += [f"{row['epochs_mean']:.4g}", f"{row['iterations_mean']:.5g}"]
        if self.tol is not None:
            ge, t = row["grad_evals_to_tol"], row["time_to_tol"]
            cells += [row["reached"], "-" if ge is None else f"{ge:,.0f}", "-" if t is None else f"{t:.3g}"]
        cells += [f"{row['stability']:.2g}", ", ".join(f"{k} x{v}" for k, v in row["stop_reasons"].items())]
        return cells

    def print_summary(self, file: TextIO | None = None) -> None:
        """Print the summary table."""
        print(self.format_summary(), file=file or sys.stdout)

    def to_dict(self) -> dict[str, Any]:
        """Records, summary and every History as JSON-serialisable data."""
        return {
            "problem": self.problem,
            "configs": self.configs,
            "seeds": list(self.seeds),
            "tol": self.tol,
            "monitor": self.monitor,
            "metric_names": self.metric_names,
            "records": self.records,
            "summary": self.summary,
            "histories": {k: [h.to_dict() for h in v] for k, v in self.histories.items()},
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_dataframe(self, which: str = "records") -> Any:
        """``records`` (tidy, one row per run) or ``summary`` as a pandas DataFrame (needs pandas)."""
        if which not in ("records", "summary"):
            raise ValueError(f"Comparison.to_dataframe: which must be 'records' or 'summary', got which={which!r}")
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Comparison.to_dataframe needs pandas (optional): pip install pandas") from None
        return pd.DataFrame(self.records if which == "records" else self.summary)


def _as_configs(configs: Any) -> list[Config]:
    if isinstance(configs, Mapping):
        configs = [Config(name=name, **dict(kwargs)) for name, kwargs in configs.items()]
    configs = list(configs)
    if not configs:
        raise ValueError(
            "compare needs at least one Config, got configs=[]; e.g. [tg.train.Config('GD', lambda p: "
            "tg.optim.GD(p, lr=0.1), epochs=50)]"
        )
    for c in configs:
        if not isinstance(c, Config):
            raise TypeError(
                f"compare: configs must be tg.train.Config objects (or a dict name -> kwargs), got {c!r} "
                f"({type(c).__name__}); e.g. tg.train.Config('GD', lambda p: tg.optim.GD(p, lr=0.1), epochs=50)"
            )
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"compare: configuration names must be unique, got names {names} ({duplicates} repeated); give each "
            "Config its own name"
        )
    return configs


def _as_seeds(seeds: Any) -> tuple[int, ...]:
    if isinstance(seeds, (int, np.integer)):
        raise TypeError(f"compare: seeds must be a sequence of ints, got seeds={seeds!r}; e.g. seeds=({seeds},)")
    values = tuple(seeds)
    for s in values:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"compare: seeds must hold ints, got {s!r} ({type(s).__name__}) in seeds={seeds!r}")
    if not values:
        raise ValueError("compare needs at least one seed, got seeds=(); e.g. seeds=(0, 1, 2)")
    return tuple(int(s) for s in values)


def _run_one(config: Config, problem: Problem, seed: int, record_params: bool | int, progress: bool) -> History:
    manual_seed(seed)
    model = problem.model()
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    optimizer = config.optimizer(params)
    loader = DataLoader(
        problem.X,
        problem.y,
        batch_size=config.batch_size,
        shuffle=config.shuffle,
        drop_last=config.drop_last,
        seed=seed,
    )
    history = fit(
        model,
        problem.loss_fn,
        optimizer,
        loader,
        epochs=config.epochs,
        max_iters=config.max_iters,
        val_data=problem.val_data,
        metrics=problem.metrics,
        stop=list(config.stop),
        record_params=record_params,
        progress=progress,
        grad_clip=config.grad_clip,
        scheduler=None if config.scheduler is None else config.scheduler(optimizer),
        scheduler_interval=config.scheduler_interval,
        train_loss=config.train_loss,
        name=f"{config.name}, seed {seed}",
    )
    history.info.update(config=config.name, seed=seed)
    return history


def compare(
    configs: Sequence[Config] | Mapping[str, Mapping[str, Any]],
    problem: Problem | Callable[[int], Problem],
    seeds: Sequence[int] = (0, 1, 2),
    *,
    tol: float | None = None,
    monitor: str = "train_loss",
    record_params: bool | int = False,
    progress: bool = False,
) -> Comparison:
    """Train every configuration on ``problem`` once per seed and summarise.

    Parameters
    ----------
    configs : sequence of Config, or dict of name to Config keyword arguments
    problem : Problem, or a function ``seed -> Problem``
        A fixed problem (only the initialisation and the batch order change with the seed), or a new
        problem per seed (e.g. freshly sampled data).
    seeds : sequence of int
        For each seed: ``tg.manual_seed(seed)``, then the model is built, and the DataLoader shuffles with
        ``seed``: every configuration starts from the same parameters for a given seed.
    tol : float, optional
        A loss tolerance: the cost (epochs, iterations, gradient evaluations, seconds) to first reach
        ``monitor <= tol`` is recorded.
    monitor : str, default "train_loss"
    record_params : bool or int
        Passed to :func:`fit` (parameter snapshots for trajectory plots).
    progress : bool, default False
        A progress bar per run.

    Returns
    -------
    Comparison
        ``records`` (tidy), ``summary`` (per configuration), ``histories`` (per configuration and seed) and
        ``print_summary()``.
    """
    config_list = _as_configs(configs)
    seeds = _as_seeds(seeds)
    histories: dict[str, list[History]] = {c.name: [] for c in config_list}
    records: list[dict[str, Any]] = []
    problem_name, metric_names = "problem", []
    for config in config_list:
        for seed in seeds:
            prob = problem if isinstance(problem, Problem) or not callable(problem) else problem(seed)
            if not isinstance(prob, Problem):
                raise TypeError(
                    f"compare: problem must be a tg.train.Problem or a function seed -> Problem, got {prob!r} "
                    f"({type(prob).__name__}); e.g. tg.train.Problem(model=lambda: tg.nn.Linear(2, 1), "
                    "loss_fn=tg.nn.functional.mse_loss, X=X, y=y)"
                )
            problem_name = prob.name
            h = _run_one(config, prob, seed, record_params, progress)
            metric_names = [k for k in h.metrics if not k.startswith("val_")]
            histories[config.name].append(h)
            records.append(_record(config, seed, h, tol, monitor))
    summary = [_summary_row(c.name, [r for r in records if r["config"] == c.name], tol) for c in config_list]
    shown = [m for m in metric_names if any(f"final_val_{m}_mean" in row for row in summary)] or metric_names
    metric_cols = [f"val_{m}" if any(f"final_val_{m}_mean" in row for row in summary) else m for m in shown]
    return Comparison(
        configs=[c.name for c in config_list],
        seeds=seeds,
        histories=histories,
        records=records,
        summary=summary,
        tol=tol,
        monitor=monitor,
        problem=problem_name,
        metric_names=metric_cols,
    )
