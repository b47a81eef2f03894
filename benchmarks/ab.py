"""Before and after in one process: an earlier tree's tinygrad_edu against this one, with the numpy floor.

Two runs of ``run.py`` minutes apart can differ by several percent on a machine that others share, which is as
much as a change is likely to save. This script imports the earlier library as a second package (a copy of
its ``tinygrad_edu`` under another name, in a temporary folder) and times the two libraries and the floor in
turns, in one process, the order rotating from round to round, so that a slow phase of the machine hits all
three: the ratio after / before is then steady to a percent or two.

Usage::

    git worktree add /tmp/before HEAD~1
    python benchmarks/ab.py /tmp/before mlp32 mlp256 logreg chain

Workloads: ``mlp32`` and ``mlp256`` (one SGD step of run.py's MLP at that batch size), ``logreg`` (one
full-batch GD iteration of run.py's logistic regression), ``chain`` (forward and backward of the 2,000-op
chain), ``fit32`` (one epoch of ``tg.train.fit`` on 8,192 samples at batch 32, as run.py's train_loop). Prints
medians: the floor in milliseconds, each library as a multiple of the floor, and after / before.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from _workloads import (
    LOGREG_LR,
    SIZES,
    chain_data,
    chain_numpy_backward,
    chain_numpy_forward,
    forward_chain,
    initial_params,
    logreg_data,
    logreg_initial,
    make_data,
    numpy_logreg_step,
    numpy_mlp_step,
)

import tinygrad_edu

Step = Callable[[], Any]


def import_before(tree: Path, where: Path) -> ModuleType:
    """The ``tinygrad_edu`` package of ``tree``, imported as ``tinygrad_edu_before`` (its imports are relative)."""
    source = tree / "tinygrad_edu"
    if not (source / "__init__.py").exists():
        raise SystemExit(f"{tree} has no tinygrad_edu package; give the root of a checkout (git worktree add ...)")
    shutil.copytree(source, where / "tinygrad_edu_before")
    sys.path.insert(0, str(where))
    import tinygrad_edu_before

    return tinygrad_edu_before


def mlp_step(tg: ModuleType, batch: int) -> Step:
    tg.manual_seed(0)
    model = tg.nn.MLP(list(SIZES))
    opt = tg.optim.SGD(model.parameters(), lr=0.01)
    X, y = make_data(batch * 8)
    batches = [(tg.Tensor(X[i * batch : (i + 1) * batch]), y[i * batch : (i + 1) * batch]) for i in range(8)]
    count = [0]

    def step() -> None:
        xb, yb = batches[count[0] % 8]
        count[0] += 1
        opt.zero_grad()
        tg.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()

    return step


def mlp_floor(batch: int) -> Step:
    params = initial_params()
    X, y = make_data(batch * 8)
    count = [0]

    def step() -> None:
        i = count[0] % 8
        count[0] += 1
        numpy_mlp_step(params, X[i * batch : (i + 1) * batch], y[i * batch : (i + 1) * batch])

    return step


def logreg_step(tg: ModuleType) -> Step:
    X, y = logreg_data()
    tg.manual_seed(0)
    model = tg.nn.Linear(X.shape[1], 1, dtype=np.float64)
    opt = tg.optim.GD(model.parameters(), lr=LOGREG_LR)
    Xt = tg.Tensor(X)

    def step() -> None:
        opt.zero_grad()
        tg.nn.functional.binary_cross_entropy_with_logits(model(Xt), y).backward()
        opt.step()

    return step


def logreg_floor() -> Step:
    X, y = logreg_data()
    params = logreg_initial(X.shape[1])
    return lambda: numpy_logreg_step(params, X, y)


def chain_step(tg: ModuleType) -> Step:
    x0, c = chain_data()

    def step() -> None:
        x = tg.Tensor(x0, requires_grad=True)
        forward_chain(x, tg.Tensor(c), tg.Tensor.tanh, 2000).sum().backward()

    return step


def chain_floor() -> Step:
    x0, c = chain_data()
    return lambda: chain_numpy_backward(chain_numpy_forward(2000, x0, c))


def fit_epoch(tg: ModuleType, batch: int) -> Step:
    X, y = make_data(8192)
    tg.manual_seed(0)
    model = tg.nn.MLP(list(SIZES))
    loader = tg.data.DataLoader(X, y, batch_size=batch, seed=0)

    def epoch() -> None:
        opt = tg.optim.SGD(model.parameters(), lr=0.01)
        tg.train.fit(model, tg.nn.functional.cross_entropy, opt, loader, epochs=1, progress=False)

    return epoch


def epoch_floor(batch: int) -> Step:
    X, y = make_data(8192)
    params = initial_params()

    def epoch() -> None:
        for i in range(0, len(X), batch):
            numpy_mlp_step(params, X[i : i + batch], y[i : i + batch])

    return epoch


def steps(workload: str, before: ModuleType) -> dict[str, Step]:
    """The three implementations of ``workload``: "after" (this tree), "before" and "floor"."""
    if workload in ("mlp32", "mlp256"):
        batch = int(workload[3:])
        return {"after": mlp_step(tinygrad_edu, batch), "before": mlp_step(before, batch), "floor": mlp_floor(batch)}
    if workload == "fit32":
        return {"after": fit_epoch(tinygrad_edu, 32), "before": fit_epoch(before, 32), "floor": epoch_floor(32)}
    if workload == "logreg":
        return {"after": logreg_step(tinygrad_edu), "before": logreg_step(before), "floor": logreg_floor()}
    if workload == "chain":
        return {"after": chain_step(tinygrad_edu), "before": chain_step(before), "floor": chain_floor()}
    raise SystemExit(f"unknown workload {workload!r}; choose from {', '.join(REPEATS)}")


#: timed rounds per workload (about 10 to 30 seconds each on one core)
REPEATS = {"mlp32": 1500, "mlp256": 300, "logreg": 200, "chain": 150, "fit32": 7}


def compare(fns: dict[str, Step], repeats: int, warmup: int = 5) -> dict[str, float]:
    """Median seconds of each function, timed in turns with the order rotating every round."""
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for k in range(warmup + repeats):
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            fns[name]()
            elapsed = time.perf_counter() - start
            if k >= warmup:
                times[name].append(elapsed)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="root of the earlier checkout (it holds tinygrad_edu/)")
    parser.add_argument("workloads", nargs="+", choices=list(REPEATS), help="what to time")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of rounds (default 1)")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as where:
        before = import_before(args.before, Path(where))
        for workload in args.workloads:
            m = compare(steps(workload, before), max(1, int(REPEATS[workload] * args.scale)))
            results[workload] = m
            print(
                f"{workload}: floor {m['floor'] * 1e3:.3f} ms | before {m['before'] / m['floor']:.3f}x | "
                f"after {m['after'] / m['floor']:.3f}x | after / before {m['after'] / m['before']:.3f}"
            )
    return results


if __name__ == "__main__":
    main()
