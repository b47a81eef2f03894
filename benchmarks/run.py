"""The benchmark suite: every workload, for every implementation available here, side by side.

Implementations: tinygrad_edu ("ours"), the numpy floor (the same arithmetic in raw numpy with the backward
pass derived by hand: what an engine with zero overhead would cost) and PyTorch (CPU, eager) when ``torch``
can be imported (it is never a dependency). Workloads (defined once, in ``_workloads.py``):

1. ``mlp_step``: one SGD step of an MLP 784-256-128-10 with softmax cross-entropy, batch 32 and 256, every
   implementation starting from identical weights and data (the first losses are checked to agree);
2. ``op_overhead``: 2,000 chained elementwise ops on a (16,) tensor, forward + backward, microseconds per op;
3. ``deep_chain``: the same chain 10^4, 10^5 and 10^6 ops deep: time per op and peak memory (one
   subprocess per depth and implementation, so that peaks do not mix);
4. ``logreg_gd``: full-batch gradient descent on logistic regression, 20,000 x 100 float64, 200 iterations;
5. ``memory``: peak RSS of 1,000 MLP training steps (also with each loss kept alive until the next step), its
   growth from step 100 to step 1,000, and the memory a graph of 20 intermediates of 8 MB holds after
   backward while its loss is alive (subprocesses);
6. ``train_loop``: one epoch through ``tg.train.fit`` (and through a plain loop over the library's objects)
   against a hand-written numpy loop.

Times are medians over many repetitions after a warm-up, the implementations timed in turns so that a slow
phase of a shared machine hits all of them: compare the ratios of one run, not absolute figures across runs.

Usage::

    python benchmarks/run.py                  # everything (a few minutes)
    python benchmarks/run.py --quick          # smaller sizes and fewer repeats (well under a minute)
    python benchmarks/run.py --only mlp_step op_overhead
    python benchmarks/run.py --runs 3 --json out.json --markdown docs/performance.md

``--threads N`` sets the threads of numpy's BLAS and of PyTorch, here and in the worker processes: 1 by
default, because on a machine that other processes share a multithreaded BLAS slows down by large, erratic
factors whenever a core is busy (``--threads 0`` keeps the libraries' defaults). ``--runs N`` repeats the
whole suite and reports the medians; ``--markdown`` writes docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import op_overhead
import train_loop
from _workloads import (
    CHAINS,
    chain_data,
    held_chain,
    initial_params,
    interleaved_medians,
    logreg_data,
    logreg_initial,
    make_data,
    numpy_logreg_step,
    numpy_mlp_step,
    tg_logreg,
    tg_logreg_step,
    tg_mlp,
    tg_mlp_step,
    tg_mlp_step_keeping_loss,
    torch_logreg,
    torch_logreg_step,
    torch_mlp,
    torch_mlp_step,
    torch_mlp_step_keeping_loss,
    torch_or_none,
)

import tinygrad_edu as tg

WORKLOADS = ("mlp_step", "op_overhead", "deep_chain", "logreg_gd", "memory", "train_loop")
IMPLS = ("ours", "numpy", "torch")


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes and repetitions of one run of the suite."""

    mlp_batches: tuple[int, ...] = (32, 256)
    mlp_repeats: int = 40  # rounds of `mlp_number` steps per implementation
    mlp_number: int = 10
    op_ops: int = 2000
    op_repeats: int = 30
    chain_depths: tuple[int, ...] = (10**4, 10**5, 10**6)
    chain_repeats: int = 3  # at least; shallow chains repeat until chain_ops_per_run ops (20 times at most)
    chain_ops_per_run: int = 2 * 10**5
    logreg_shape: tuple[int, int] = (20_000, 100)
    logreg_iters: int = 200
    logreg_repeats: int = 5
    memory_batch: int = 256
    memory_steps: int = 1000
    memory_early: int = 100  # growth is measured from this step to the last
    held_ops: int = 20  # the graph kept after backward: a chain of held_ops intermediates of held_size float64
    held_size: int = 10**6
    train_samples: int = 8192
    train_batches: tuple[int, ...] = (32, 256)
    train_repeats: int = 5


CONFIGS = {
    "full": Config(),
    "quick": Config(
        mlp_repeats=12,
        mlp_number=5,
        op_repeats=10,
        chain_depths=(10**3, 10**4, 10**5),
        chain_repeats=1,
        chain_ops_per_run=10**4,
        logreg_iters=50,
        logreg_repeats=2,
        memory_steps=300,
        memory_early=50,
        train_samples=2048,
        train_repeats=2,
    ),
    # for the test suite: every code path on tiny sizes, in a few seconds; the figures mean nothing
    "smoke": Config(
        mlp_batches=(8,),
        mlp_repeats=2,
        mlp_number=1,
        op_ops=40,
        op_repeats=2,
        chain_depths=(100, 400),
        chain_repeats=1,
        chain_ops_per_run=0,
        logreg_shape=(200, 10),
        logreg_iters=3,
        logreg_repeats=1,
        memory_batch=8,
        memory_steps=12,
        memory_early=4,
        held_ops=4,
        held_size=10**4,
        train_samples=64,
        train_batches=(32,),
        train_repeats=1,
    ),
}


@dataclasses.dataclass
class Row:
    """One line of the table: a measurement of each implementation (None where it did not run), the ratios,
    and the issue's target for this line, if it has one."""

    workload: str
    case: str
    unit: str
    ours: float
    numpy: float | None = None
    torch: float | None = None
    vs_numpy: float | None = None
    vs_torch: float | None = None
    #: the target: (what is compared, limit). "numpy"/"torch": ours / that <= limit; "flat": ``measured``
    #: (a ratio of depths) <= limit; "growth": ``ours`` (MB) <= limit; "info": ``measured`` shown, no target
    check: tuple[str, float] | None = None
    measured: float | None = None  # for "flat": time per op at the deepest chain / at the shallowest
    #: for "flat": the numpy floor's own ratio, for context (a memory system that is slower for large working
    #: sets, at times, on a shared machine, makes the floor's deep chains slower per op as well)
    reference: float | None = None
    target: str = ""
    met: bool | None = None

    def __post_init__(self) -> None:
        self.vs_numpy = self.ours / self.numpy if self.numpy else None
        self.vs_torch = self.ours / self.torch if self.torch else None
        self.judge()

    def judge(self) -> None:
        """Describe the target and whether it is met (again after the medians of several runs are taken)."""
        if self.check is None:
            return
        kind, limit = self.check
        if kind in ("numpy", "torch"):
            value = self.vs_numpy if kind == "numpy" else self.vs_torch
            self.target = f"<= {limit:g}x {'numpy' if kind == 'numpy' else 'PyTorch'}"
        elif kind == "flat":
            value = self.measured
            floor = "" if self.reference is None else f"; numpy floor {self.reference:.2f}x"
            self.target = f"flat: {value:.2f}x the shallowest (<= {limit:g}{floor})"
        elif kind == "info":  # a ratio worth showing, without a target
            self.target = f"({self.measured:.2f}x the shallowest)"
            return
        else:
            value = self.ours
            self.target = f"flat: <= {limit:g} MB"
        self.met = None if value is None else value <= limit


def _per_impl(values: dict[Any, float]) -> tuple[float | None, ...]:
    """(ours, numpy, torch) from a dict keyed by implementation, None where one is missing."""
    return tuple(values.get(impl) for impl in IMPLS)


def median_rows(runs: list[list[Row]]) -> list[Row]:
    """Row by row, the medians over several runs of the suite: of each implementation's figure and of each
    ratio (the ratios measured within each run, where drifts of the machine cancel out)."""

    def median(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return float(np.median(known)) if known else None

    combined = []
    for same in zip(*runs, strict=True):
        row = dataclasses.replace(same[0])
        for field in ("ours", "numpy", "torch", "vs_numpy", "vs_torch", "measured", "reference"):
            setattr(row, field, median([getattr(r, field) for r in same]))
        row.judge()
        combined.append(row)
    return combined


# --------------------------------------------------------------------------------------------------------
# the machine
# --------------------------------------------------------------------------------------------------------


def _openblas() -> Any:
    """The OpenBLAS library numpy loaded (its exported names carry a prefix/suffix in numpy's wheels)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:
        return None
    for path in paths:
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def _blas_function(lib: Any, stem: str) -> Any:
    """OpenBLAS's ``openblas_<stem>`` under the names numpy's wheels export it with, or None."""
    for name in (f"openblas_{stem}", f"scipy_openblas_{stem}64_", f"openblas_{stem}64_", f"scipy_openblas_{stem}"):
        fn = getattr(lib, name, None) if lib is not None else None
        if fn is not None:
            return fn
    return None


def _blas_call(lib: Any, stem: str, restype: Any = ctypes.c_int) -> Any:
    fn = _blas_function(lib, stem)
    if fn is None:
        return None
    fn.restype = restype
    return fn()


def set_threads(n: int) -> None:
    """Use ``n`` threads in numpy's BLAS and in PyTorch, here and in the worker processes (environment)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    fn = _blas_function(_openblas(), "set_num_threads")
    if fn is not None:
        fn(n)
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(n)


def machine_info() -> dict[str, Any]:
    """What the figures depend on: CPU, Python, numpy's BLAS and its thread count, torch's threads."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas: dict[str, Any] = {}
    with contextlib.suppress(Exception):  # older numpy only prints its config
        blas = dict(np.show_config(mode="dicts")["Build Dependencies"]["blas"])
    lib = _openblas()
    config = _blas_call(lib, "get_config", ctypes.c_char_p)
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "numpy": np.__version__,
        "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        "blas_config": config.decode() if config else blas.get("openblas configuration", "?"),
        "blas_threads": _blas_call(lib, "get_num_threads"),
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS") if k in os.environ},
        "torch": None,
    }
    torch = torch_or_none()
    if torch is not None:
        info["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    return info


# --------------------------------------------------------------------------------------------------------
# subprocess workers: memory is measured in a fresh process per implementation, so that peaks do not mix
# --------------------------------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS: now, VmHWM: the peak), in MB."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024  # kB


def _rss_mb() -> float:
    """The current resident set size, in MB."""
    return _status_mb("VmRSS")


def _reset_peak_rss() -> None:
    """Start measuring the peak from now: the peak RSS (VmHWM) is reset to the current RSS (Linux >= 4.0).
    (Not ``getrusage``: its ru_maxrss survives fork and exec, so a worker would report its parent's peak.)"""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_rss_mb() -> float:
    """The peak resident set size since the last reset (or since the process started), in MB."""
    return _status_mb("VmHWM")


def _mlp_stepper(impl: str, batch: int, n_batches: int = 8, keep_loss: bool = False) -> Callable[[], Any]:
    """A function doing one SGD step of ``impl`` per call, cycling through ``n_batches`` fixed batches; every
    implementation starts from the same parameters and sees the same batches in the same order. With
    ``keep_loss`` the step returns the loss tensor (whose graph the caller keeps until the next step)."""
    X, y = make_data(batch * n_batches, seed=1)
    params = initial_params()
    slices = [slice(i * batch, (i + 1) * batch) for i in range(n_batches)]
    if impl == "numpy":
        batches = [(X[s], y[s]) for s in slices]
        step, state = numpy_mlp_step, ([p.copy() for p in params],)
    elif impl == "ours":
        batches = [(tg.Tensor(X[s]), y[s]) for s in slices]
        step, state = tg_mlp_step_keeping_loss if keep_loss else tg_mlp_step, tg_mlp(params)
    else:
        torch = torch_or_none()
        batches = [(torch.from_numpy(X[s]), torch.from_numpy(y[s])) for s in slices]
        step, state = torch_mlp_step_keeping_loss if keep_loss else torch_mlp_step, torch_mlp(params)
    counter = iter(range(10**12))

    def one_step() -> float:
        xb, yb = batches[next(counter) % n_batches]
        return step(*state, xb, yb)

    return one_step


def worker_memory(impl: str, batch: int, steps: int, early: int, keep_loss: bool = False) -> dict[str, float]:
    step = _mlp_stepper(impl, batch, keep_loss=keep_loss)
    rss0 = _rss_mb()
    _reset_peak_rss()
    rss_early = 0.0
    kept = None
    for k in range(1, steps + 1):
        kept = step()  # with keep_loss, the previous step's loss (and what its graph holds) lives until here
        if k == early:
            rss_early = _rss_mb()
    last = _rss_mb()
    del kept
    return {"rss0": rss0, "peak": _peak_rss_mb(), "early": rss_early, "last": last}


def worker_chain(impl: str, depth: int, repeats: int) -> dict[str, float]:
    forward, backward = CHAINS[impl]
    x0, c = chain_data()
    rss0 = _rss_mb()
    _reset_peak_rss()
    fwd, bwd = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state = forward(depth, x0, c)
        t1 = time.perf_counter()
        backward(state)
        t2 = time.perf_counter()
        del state
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
    return {"rss0": rss0, "peak": _peak_rss_mb(), "forward": float(np.median(fwd)), "backward": float(np.median(bwd))}


def worker_held(impl: str, n_ops: int, size: int) -> dict[str, float]:
    """RSS held after backward while the loss, the input and its gradient are alive, above the RSS before."""
    rss0 = _rss_mb()
    kept = held_chain(impl, n_ops, size)
    held = _rss_mb() - rss0
    del kept
    return {"held": held}


WORKERS = {"memory": worker_memory, "chain": worker_chain, "held": worker_held}


def in_subprocess(kind: str, **kwargs: Any) -> dict[str, float]:
    """Run a worker in a fresh interpreter (this script) and return what it measured."""
    spec = json.dumps({"kind": kind, **kwargs})
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", spec], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def import_rss() -> dict[str, float]:
    """RSS right after the imports each implementation needs, each in a fresh interpreter."""
    code = {
        "numpy": "import numpy",
        "ours": "import numpy, tinygrad_edu",
        "torch": "import numpy, torch",
    }
    out = {}
    for impl, imports in code.items():
        if impl == "torch" and torch_or_none() is None:
            continue
        probe = (
            f"{imports}\nimport os\nprint(int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE'))"
        )
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        out[impl] = int(proc.stdout.split()[-1]) / 2**20
    return out


# --------------------------------------------------------------------------------------------------------
# the workloads
# --------------------------------------------------------------------------------------------------------


def available_impls() -> list[str]:
    return [i for i in IMPLS if i != "torch" or torch_or_none() is not None]


def bench_mlp_step(cfg: Config) -> list[Row]:
    rows = []
    for batch in cfg.mlp_batches:
        steppers = {impl: _mlp_stepper(impl, batch) for impl in available_impls()}
        first = {impl: step() for impl, step in steppers.items()}  # from identical weights, on the same batch
        if not all(np.isclose(loss, first["numpy"], rtol=1e-4) for loss in first.values()):
            raise AssertionError(f"mlp_step: first losses differ: {first}; the comparison would not be fair")
        seconds = interleaved_medians(steppers, cfg.mlp_repeats, number=cfg.mlp_number, warmup=2)
        ms = _per_impl({i: s * 1e3 for i, s in seconds.items()})
        limit = 1.05 if batch >= 256 else 1.15
        rows.append(Row("mlp_step", f"batch {batch}", "ms / step", *ms, check=("numpy", limit)))
    return rows


def bench_op_overhead(cfg: Config) -> list[Row]:
    by_label = op_overhead.measure(cfg.op_ops, cfg.op_repeats)
    us = {impl: by_label[label] for label, impl in op_overhead.LABELS.items() if label in by_label}
    forward_only = us.pop(None)
    case = f"{cfg.op_ops} ops, fwd + bwd (numpy forward alone: {forward_only:.2f})"
    return [Row("op_overhead", case, "us / op", *_per_impl(us), check=("torch", 0.45))]


def bench_deep_chain(cfg: Config) -> list[Row]:
    rows = []
    per_op: dict[int, float] = {}
    backward_per_op: dict[int, dict[str, float]] = {}
    for depth in cfg.chain_depths:
        repeats = max(cfg.chain_repeats, min(20, cfg.chain_ops_per_run // depth))  # shallow chains: more repeats
        r = {i: in_subprocess("chain", impl=i, depth=depth, repeats=repeats) for i in available_impls()}
        both = {impl: (m["forward"] + m["backward"]) / depth * 1e6 for impl, m in r.items()}
        per_op[depth] = both["ours"]
        label = f"10^{round(np.log10(depth))}" if depth == 10 ** round(np.log10(depth)) else f"{depth:,}"
        rows.append(Row("deep_chain", f"{label} ops, fwd + bwd", "us / op", *_per_impl(both)))
        backward = {impl: m["backward"] / depth * 1e6 for impl, m in r.items()}
        backward_per_op[depth] = backward
        rows.append(Row("deep_chain", f"{label} ops, backward only", "us / op", *_per_impl(backward)))
        # (max with 0: the kernel updates the peak lazily, so for tiny graphs it can read a little below rss0)
        peak = {impl: max(m["peak"] - m["rss0"], 0.0) for impl, m in r.items()}
        rows.append(Row("deep_chain", f"{label} ops, peak memory", "MB", *_per_impl(peak)))
    # backpropagating must cost the same per op at every depth: the deepest chain against the shallowest. (The
    # forward pass, which builds the graph, gets slower per op in deep graphs: Python's cyclic garbage collector
    # walks all live objects in its full collections, for PyTorch's graphs too. Shown, not judged.)
    deepest, shallowest = max(per_op), min(per_op)
    flat = {impl: backward_per_op[deepest][impl] / backward_per_op[shallowest][impl] for impl in ("ours", "numpy")}
    rows[-2] = dataclasses.replace(rows[-2], check=("flat", 1.25), measured=flat["ours"], reference=flat["numpy"])
    rows[-3] = dataclasses.replace(rows[-3], check=("info", 0.0), measured=per_op[deepest] / per_op[shallowest])
    return rows


def bench_logreg(cfg: Config) -> list[Row]:
    n, d = cfg.logreg_shape
    X, y = logreg_data(n, d)
    params = logreg_initial(d)
    setups: dict[str, tuple[Callable[..., float], tuple[Any, ...]]] = {
        "numpy": (numpy_logreg_step, ([p.copy() for p in params], X, y)),
        "ours": (tg_logreg_step, tg_logreg(params, X, y)),
    }
    if torch_or_none() is not None:
        setups["torch"] = (torch_logreg_step, torch_logreg(params, X, y))
    first = {impl: step(*args) for impl, (step, args) in setups.items()}
    if not all(np.isclose(v, first["numpy"], rtol=1e-10) for v in first.values()):
        raise AssertionError(f"logreg_gd: first losses differ: {first}")

    def run(step: Callable[..., float], args: tuple[Any, ...]) -> Callable[[], None]:
        def iterations() -> None:
            for _ in range(cfg.logreg_iters):
                step(*args)

        return iterations

    seconds = interleaved_medians({impl: run(*s) for impl, s in setups.items()}, cfg.logreg_repeats)
    ms = {impl: s / cfg.logreg_iters * 1e3 for impl, s in seconds.items()}
    case = f"{n:,} x {d} float64, {cfg.logreg_iters} iterations"
    return [Row("logreg_gd", case, "ms / iteration", *_per_impl(ms), check=("numpy", 1.05))]


def bench_memory(cfg: Config) -> list[Row]:
    imports = import_rss()
    r = {
        impl: in_subprocess("memory", impl=impl, batch=cfg.memory_batch, steps=cfg.memory_steps, early=cfg.memory_early)
        for impl in available_impls()
    }
    case = f"MLP, batch {cfg.memory_batch}, {cfg.memory_steps:,} steps"
    peak = Row(
        "memory", f"{case}: peak RSS", "MB", *_per_impl({i: m["peak"] for i, m in r.items()}), check=("numpy", 1.3)
    )
    above = {i: m["peak"] - m["rss0"] for i, m in r.items()}
    growth = Row(
        "memory",
        f"{case}: growth from step {cfg.memory_early} to {cfg.memory_steps}",
        "MB",
        *_per_impl({i: m["last"] - m["early"] for i, m in r.items()}),
        check=("growth", 1.0),
    )
    kept = {
        impl: in_subprocess(
            "memory", impl=impl, batch=cfg.memory_batch, steps=cfg.memory_steps, early=cfg.memory_early, keep_loss=True
        )
        for impl in available_impls()
    }
    kept_above = {i: m["peak"] - m["rss0"] for i, m in kept.items()}
    held = {impl: in_subprocess("held", impl=impl, n_ops=cfg.held_ops, size=cfg.held_size)["held"] for impl in r}
    mb = cfg.held_size * 8 / 1e6
    return [
        Row("memory", "RSS right after the imports", "MB", *_per_impl(imports)),
        peak,
        Row("memory", f"{case}: peak above the RSS before training", "MB", *_per_impl(above)),
        Row(
            "memory",
            f"{case}, each loss kept until the next step: peak above the RSS before training",
            "MB",
            *_per_impl(kept_above),
            check=("numpy", 1.3),
        ),
        Row(
            "memory",
            f"after backward, loss alive: {cfg.held_ops} intermediates of {mb:g} MB, held above the RSS before",
            "MB",
            *_per_impl({i: max(v, 0.0) for i, v in held.items()}),
        ),
        growth,
    ]


def bench_train_loop(cfg: Config) -> list[Row]:
    X, y = make_data(cfg.train_samples)
    rows = []
    for batch in cfg.train_batches:
        t = train_loop.measure(X, y, batch, cfg.train_repeats)
        case = f"{cfg.train_samples:,} samples, batch {batch}"
        rows.append(Row("train_loop", f"{case}: fit()", "ms / epoch", t.fit * 1e3, t.floor * 1e3))
        no_copies = f"{case}: fit(), Divergence(keep_last_good=False)"
        rows.append(Row("train_loop", no_copies, "ms / epoch", t.fit_no_copies * 1e3, t.floor * 1e3))
        rows.append(Row("train_loop", f"{case}: plain library loop", "ms / epoch", t.loop * 1e3, t.floor * 1e3))
    return rows


BENCHES: dict[str, Callable[[Config], list[Row]]] = {
    "mlp_step": bench_mlp_step,
    "op_overhead": bench_op_overhead,
    "deep_chain": bench_deep_chain,
    "logreg_gd": bench_logreg,
    "memory": bench_memory,
    "train_loop": bench_train_loop,
}


# --------------------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if value != 0 and abs(value) < 10 ** -(digits - 1):
        return f"{value:.1e}"
    return f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}".rstrip("0").rstrip(".")


def table(rows: list[Row]) -> list[list[str]]:
    header = ["workload", "case", "unit", "ours", "numpy floor", "PyTorch", "ours / numpy", "ours / PyTorch", "target"]
    lines = [header]
    for r in rows:
        met = "" if r.met is None else (" (met)" if r.met else " (NOT met)")
        lines.append(
            [
                r.workload,
                r.case,
                r.unit,
                _fmt(r.ours),
                _fmt(r.numpy),
                _fmt(r.torch),
                _fmt(r.vs_numpy, 2),
                _fmt(r.vs_torch, 2),
                (r.target + met) if r.target else "",
            ]
        )
    return lines


def print_table(rows: list[Row], info: dict[str, Any]) -> None:
    if info.get("title"):
        print(f"== {info['title']}")
    print(f"machine: {info['cpu']}, {info['usable_cpus']} usable CPU(s)")
    print(f"python {info['python']}, numpy {info['numpy']}")
    print(f"BLAS: {info['blas']}: {info['blas_config']}; threads: {info['blas_threads']} {info['thread_env'] or ''}")
    print(f"torch: {info['torch'] or 'not installed (no PyTorch column)'}")
    lines = table(rows)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for k, line in enumerate(lines):
        cells = [
            cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells))
        if k == 0:
            print("  ".join("-" * w for w in widths))


MARKDOWN_INTRO = """\
# Performance

<!-- generated by benchmarks/run.py (its --markdown option): edit the script, not this page -->

How fast is tinygrad_edu next to the arithmetic it does? Every workload below runs in three
implementations, side by side, in one run of the suite:

- **ours**: tinygrad_edu, written the way a user writes it (`model(x)`, a loss, `loss.backward()`,
  `opt.step()`);
- **numpy floor**: the same arithmetic in raw numpy, with the backward pass derived by hand and the updates
  in place: what an autodiff engine with zero overhead would cost;
- **PyTorch**: CPU, eager mode, when `torch` can be imported (it is never a dependency of tinygrad_edu).

The ratio columns are what to read: `ours / numpy` is the price of automatic differentiation (1.00 would be
free), `ours / PyTorch` compares with a production engine. Times are medians over many repetitions after a
warm-up, with the implementations timed in turns, so that a slow phase of a shared machine hits all of
them; absolute figures on a busy machine drift by 30% or more between runs, ratios much less. With
`--runs N` the suite runs N times and every figure and ratio is the median of the N runs.

Run it, and regenerate this page (the table, the machine description and the text), with

```bash
python benchmarks/run.py --quick                       # smaller sizes, well under a minute
python benchmarks/run.py --runs 3 --markdown docs/performance.md
```

using an interpreter where `torch` is importable to fill the PyTorch column. The suite gives numpy's BLAS
and PyTorch one thread each (`--threads 0` keeps their defaults): on a machine that other processes share, a
multithreaded BLAS slows down by large and erratic factors whenever a core is busy. With one thread the
matrix products take longer, which makes the engine's fixed costs a smaller share of a step: ratios to the
floor measured with more threads are higher.
"""

MARKDOWN_MEANINGS = """\
## What each number means

- **mlp_step**: one SGD step (zero_grad, forward, softmax cross-entropy, backward, update) of an MLP
  784-256-128-10 with ReLU, float32, on batches of 32 and 256 samples; milliseconds per step. All
  implementations start from identical weights and see the same batches; the suite stops if their first
  losses disagree. At batch 256 the matrix products dominate and the ratio shows whether the engine adds
  copies or passes over the data; at batch 32 the per-op bookkeeping in Python starts to show. Targets
  (issue 23): at most 1.05x the floor at batch 256, 1.15x at batch 32.
- **op_overhead**: a chain of 2,000 elementwise ops (`h * c`, `h + c`, `tanh h`, `h - 0.01`, in turn) on a
  (16,) float32 tensor, forward and backward; microseconds per op. The arithmetic is negligible (the case
  column gives the numpy forward pass alone), so this is the engine's own cost per graph node: building it,
  ordering the graph, calling the backward. Target (issue 23): at most 0.45x PyTorch's cost.
- **deep_chain**: the same chain 10<sup>4</sup>, 10<sup>5</sup> and 10<sup>6</sup> ops deep, each depth and
  implementation in a fresh process. Backpropagation must cost the same per op at every depth (target: the
  deepest chain at most 1.25x the shallowest, backward only; the numpy floor's own ratio is shown next to it,
  since on a shared machine memory can be slower for large working sets at times, which makes the floor's
  deep chains slower per op too). Forward + backward is shown too: building a deep graph gets slower per op
  because Python's cyclic garbage collector walks every live object in its full collections (three per op
  here; PyTorch's Python tensors are walked as well). Peak memory is the
  process's peak RSS minus its RSS before the chain was built; it grows linearly with depth, since the graph
  keeps one node per op (the op, its output tensor, its saved arrays) until it is released.
- **logreg_gd**: full-batch gradient descent for logistic regression on 20,000 x 100 float64 samples
  (`Linear(100, 1)`, `binary_cross_entropy_with_logits`, `optim.GD`); milliseconds per iteration over 200
  iterations. Each iteration reads the 16 MB design matrix twice (forward and gradient), so the floor is
  memory-bound. Target (issue 23): at most 1.05x the floor.
- **memory**: peak resident memory (RSS) of a process doing 1,000 MLP training steps at batch 256, one fresh
  process per implementation. Every worker imports numpy and tinygrad_edu (the PyTorch worker also torch);
  "RSS right after the imports" shows what each import costs alone. "peak above the RSS before training" is
  what training itself holds at its peak (activations, gradients, temporaries); "growth" is the RSS after the
  last step minus the RSS after step 100: a leak would show there. "each loss kept until the next step" runs
  the loop that users write (`loss` lives on until the next iteration reassigns it), so the previous step's
  graph is alive during the next step's forward and backward passes; backward frees the activations it no
  longer needs, so that graph holds next to nothing. "after backward, loss alive" builds a chain of 20
  elementwise ops on a vector of 10<sup>6</sup> float64 (8 MB per intermediate), runs backward, and measures
  the RSS held while the input, its gradient and the loss are alive (the floor keeps the input and its
  gradient, 16 MB). PyTorch's RSS there stays the same after everything is deleted (its allocator keeps the
  freed memory in the process), so that figure does not show what its graph holds. Targets: peak at most 1.3x
  the floor's, growth at most 1 MB.
- **train_loop**: one epoch of mini-batch SGD on 8,192 samples through `tg.train.fit` (which also records
  the loss, the gradient norm and the learning rate of every iteration, and copies the parameters for the
  divergence check), through `fit` without that copy (`stop=[Divergence(keep_last_good=False)]`), and through
  a plain `for xb, yb in loader` loop with the library's objects, against the same epoch in raw numpy (same
  batches, same order). No target: it shows what `fit`'s bookkeeping costs, and what the copy costs.
"""


MARKDOWN_GAPS = """\
## Where the remaining gaps come from

Profiles taken on 2026-12-07 for issue 23, on the machine described above (one BLAS thread). The commands
are given so that you can repeat them. Instruction counts come from `valgrind --tool=callgrind` with
`PYTHONHASHSEED=0` under `setarch -R`, as the difference between two numbers of repetitions; unlike times,
they do not move with the load of a shared machine.

- **The two tables above, and their noise.** They were measured one after the other, the library before and
  after issue 23 under the same benchmark scripts. Between two runs of the suite, the same code moves by
  several percent on this machine: logistic regression, whose instruction count per iteration is the same in
  both (7,241,288 before, 7,222,834 after, the floor 6,808,028), reads 0.99x in one table and 1.09x in the
  other. Timed in one process instead, the two libraries and the floor in turns (`python benchmarks/ab.py
  <earlier tree> mlp32 mlp256 logreg chain`, which imports the earlier library beside this one), after /
  before was 0.94 and 0.95 for the MLP step at batch 32, 0.98 and 0.99 at batch 256, 0.94 twice for the op
  chain, from 0.97 to 1.01 in five runs for logistic regression, and from 0.86 to 0.99 in four runs for an
  epoch of `fit` at batch 32 (`fit32`; the tables read 1.33x before and 1.40x after). Read differences of a
  few percent between the two tables as noise.
- **mlp_step.** What the step costs beyond the floor is interpreter work, and the caches make it dearer.
  - *Instructions*, one step at batch 32: 7,466,419 before issue 23, 7,282,613 after, the floor 6,894,480
    (1.083x -> 1.056x). A tiny MLP 8-8-8-4 at batch 4, where the arithmetic is nearly free: 776,614 -> 694,429
    against the floor's 369,205. What went: the operators and unary methods build their node without the
    op's class call or the general operand conversion (`tensor._operate`, `tensor._unary`); `apply_op` spells
    out `nn.Linear`'s three tensors (12,500 -> 7,100 instructions per call); `Module.__call__` calls
    `forward(x)` directly; `cross_entropy` checks its labels with two reductions.
  - *Why the time gap is larger than the instruction gap*: the interpreter's own data do not stay in the
    caches while 800 KB weight matrices stream through them. Timed per layer inside the step at batch 32,
    an `nn.Linear` call took 9.3 microseconds more than its numpy arithmetic, for about 22,000 instructions
    of Python (before this issue), where a chain of small ops runs about 5,700 instructions per microsecond.
    So each instruction saved on the path of a step counts about twice.
  - *Ruled out by measurement*: the garbage collector (`gc.callbacks` count no collection at all in 2,000
    steps at batch 32 or 256: a step frees what it allocates, so `gc.freeze` has nothing to save); page faults
    (`getrusage`: none per step, in both implementations); the layout of the products (the floor's
    `X @ W1.T` and ours take the same time on the same arrays); the optimiser's update, once it takes one
    temporary per parameter (cache-sized blocks, the earlier code, made the step about 3% slower).
  - *Tried and not kept*: BLAS's fused scaled add (`saxpy` from numpy's bundled OpenBLAS through `ctypes`)
    for the update: 1.267x against 1.288x for the plain update at batch 32 in one A/B run, not worth a
    dependency on the symbol names of one BLAS build, and it rounds differently (one rounding instead of two).
  - *For scale*: PyTorch is slower than tinygrad_edu on this step at both batch sizes (the last column).
- **op_overhead.** About 32,200 instructions per op of the chain after issue 23 (33,800 before: a 200-op
  chain, forward and backward, 6,754,276 -> 6,433,531 instructions; the forward alone 3,077,144 ->
  2,759,084). numpy's own calls take about 8,600 of them: forward 3,600 for `h * c`, `h + c` or `tanh h` and
  6,500 for `h - 0.01` (a Python scalar costs numpy a conversion), backward 3,600 for `g * c` and 13,500 for
  tanh's `g * (1 - t * t)`. The engine's backward spends per node about 3,100 on the walk that counts
  consumers, 5,900 in its loop, 1,800 releasing what the rule needed and 2,600 in the rule's Python around
  numpy (an `Add` chain, whose rule does no arithmetic, takes 13,400 instructions per node backward). 0.45x of
  PyTorch's 8.5 to 9.5 microseconds per op here is 3.8 to 4.3 microseconds, about 22,000 instructions: the
  Python around numpy would have to halve again, which the engine in Python cannot do without giving up what
  each node records (its op, its inputs, its saved values) for `create_graph`, graph pictures and anomaly
  detection. That target is not met; the per-op time is 0.66x PyTorch's in the table above (0.71x before).
- **deep_chain.** The engine's backward does the same work per op at every depth, because its walk keeps no
  entry per node: `tg.engine.consumer_counts` lists only the nodes with two or more consumers (none in a
  chain) and marks the nodes it has reached with a stamp of its own. A dictionary entry per node cost, in the
  engine's redesign (issue 16) before this was settled, 80 MB at 10<sup>6</sup> ops and 12 to 15% of
  backward's time at 2x10<sup>5</sup>; earlier still, counts in a dictionary keyed by `id(node)` made backward
  take 1.9 microseconds per op at 10<sup>4</sup> ops against 2.7 at 10<sup>6</sup>. What the ratio measures
  still moves with the machine, because 10<sup>6</sup> nodes (480 MB) do not fit in any cache. On 2026-11-26
  one full run of the suite gave 1.31x, with the numpy floor's own backward at 1.24x in that run; `python
  benchmarks/run.py --only deep_chain --runs 3` minutes later gave 1.06x, and that day's table 0.93x (the
  floor 1.04x); on 2026-12-07 a table gave 0.85x (the floor 1.08x), one 0.98x (the floor 1.03x), and the
  two above 1.13x (the floor 1.16x, after issue 23) and 0.73x (the floor 1.06x, before it).
  The forward pass gets slower per op in deep graphs (the fwd + bwd rows): the garbage collector's full
  collections walk every live node, which PyTorch's graphs pay for too. Timed in turns in one process on
  2026-12-07, the chain's forward took 4.13, 3.64 and 4.04 microseconds per op at 2,000 ops with the collector
  on, off, and after `gc.freeze()` (which exempts everything alive before the graph), and 4.32, 2.29 and 3.74
  at 10<sup>5</sup> ops. Each op makes four objects that the collector tracks (the tensor, the op, the tuples
  of its inputs and of their values). A script that builds one very deep graph can call `gc.freeze()` after
  its set-up; a training step needs nothing (no collection runs during one, above).
- **logreg_gd.** Per iteration the step makes the floor's passes over the data: the loss's backward computes
  `g * (sigmoid(z) - y)` inside the new sigmoid array (`ops.BinaryCrossEntropyWithLogits.sigmoid_minus_target`)
  instead of allocating two more arrays of the batch's size, and the check that the targets lie in [0, 1]
  takes two reductions instead of four passes. The instructions per iteration are 6% above the floor's
  (above); the rest is the noise discussed first.
"""


def load_baseline(path: Path, rows: list[Row]) -> tuple[list[Row], str]:
    """The rows of an earlier run written with ``--json`` (typically of an earlier commit, run with
    ``PYTHONPATH=<its tree>``), judged against this run's targets, and the command that produced them."""
    payload = json.loads(path.read_text())
    checks = {(r.workload, i): r.check for i, r in enumerate(rows)}
    before = []
    for i, fields in enumerate(payload["rows"]):
        row = _row(fields)
        row.check = checks.get((row.workload, i), row.check)
        row.judge()
        before.append(row)
    return before, payload.get("command", "")


MARKDOWN_CONV = """\
## Convolution and pooling (issue 18)

`python benchmarks/conv.py` times one training step's work for LeNet-sized layers: `(layer(x) * G).sum()`
and its backward pass (the gradients of the input, the weight and the bias), float32, batch 64, against
PyTorch's CPU kernels, the two timed in turns, one BLAS thread (and one PyTorch thread) each. Measured on
2026-12-07 at 16:56 UTC with `python benchmarks/conv.py --repeats 40 --col2im` on the shared 2-core VM
described above (AMD EPYC, numpy 2.4.6, PyTorch 2.13.0+cpu), while other jobs kept its load average at 3.7:

- conv 1->6 5x5 on 28x28 (LeNet's first layer): 30.8 ms, PyTorch 25.4 ms, ratio 1.21
- conv 6->16 5x5 on 12x12 (LeNet's second layer): 9.7 ms, PyTorch 7.5 ms, ratio 1.29
- conv 8->8 3x3 padding 1 on 8x8: 6.6 ms, PyTorch 1.9 ms, ratio 3.51
- max_pool 2x2 on 6x24x24: 9.8 ms, PyTorch 6.2 ms, ratio 1.57
- avg_pool 2x2 on 6x24x24: 4.8 ms, PyTorch 6.3 ms, ratio 0.77

The issue's target, within 2x of PyTorch for LeNet's layers, is met (1.2x and 1.3x in this run; 0.7x to 1.6x
in four runs of this code that day, all on the loaded machine). The small 3x3 layer on 8x8 images (the one
`examples/cnn_digits.py` trains) is not: 1.6x to 3.5x in the same runs. There the windows are short (rows of 8
pixels), so the im2col copy and col2im's slice-adds run numpy's inner loops over 8 numbers at a time. A
prototype that keeps the batch axis last in the forward pass too (columns (C kh kw, OH OW N), one 2-D product
and a transpose of the output) took 1.0 ms instead of 1.8 ms for that layer's arithmetic, but 9.1 instead of
7.8 ms for LeNet's first layer; it is not in the library.

What the table's absolute figures include: on this VM, allocating and freeing arrays of megabytes costs as
much as the arithmetic. LeNet's first layer makes a 3.7 MB array of columns for the forward pass and another
for the gradient; run with glibc's `MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000`
(the memory kept by the process instead of mapped and unmapped at every step) the same layer took 5.3 to
8.9 ms instead of 12 to 31 ms, 0.6x to 1.0x PyTorch's time.

col2im (the gradient of im2col, adding each column entry back where it came from) as one strided slice-add
per kernel offset took 0.60 ms on LeNet's first layer, `np.add.at` on flat indices 7.6 ms; with the batch
axis last each slice-add runs over contiguous rows, which halved the input gradient of LeNet's second layer
(2.3 to 1.0 ms) against the batch-first layout. The weight gradient as a batched product summed over the batch
took half the time of `np.einsum("nol,nkl->ok", ...)`.
"""


def _markdown_table(rows: list[Row]) -> list[str]:
    lines = table(rows)
    md = ["| " + " | ".join(lines[0]) + " |", "| " + " | ".join(["---"] * 3 + ["---:"] * 5 + ["---"]) + " |"]
    md.extend("| " + " | ".join(line) + " |" for line in lines[1:])
    return md


def markdown(
    rows: list[Row],
    info: dict[str, Any],
    command: str,
    minutes: float,
    baseline: tuple[list[Row], str, str] | None = None,
) -> str:
    md = [MARKDOWN_INTRO, "## Results", ""]
    md.append(f"Measured {info['date']} with `{command}` ({minutes:.0f} minutes):")
    md.append("")
    md.append(f"- machine: {info['cpu']}, {info['usable_cpus']} usable CPU(s)")
    md.append(f"- Python {info['python'].split(' (')[0]}, numpy {info['numpy']}")
    md.append(f"- BLAS: {info['blas']} (`{info['blas_config']}`), {info['blas_threads']} thread(s)")
    md.append(f"- PyTorch: {info['torch'] or 'not installed (no PyTorch column)'}")
    md.append("")
    md.extend(_markdown_table(rows))
    md.append("")
    if baseline is not None:
        before, before_command, label = baseline
        md.append(f"### Before: {label}")
        md.append("")
        md.append(
            f"The same suite on the same machine just before, with the library of {label} (`{before_command}`, run "
            "with `PYTHONPATH` set to that commit's tree; the benchmark scripts are this commit's, so the "
            "workloads are identical):"
        )
        md.append("")
        md.extend(_markdown_table(before))
        md.append("")
    md.append(MARKDOWN_MEANINGS)
    md.append(MARKDOWN_GAPS)
    md.append(MARKDOWN_CONV)
    return "\n".join(md)


# --------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------


def run(config: Config, workloads: list[str], progress: bool = True) -> list[Row]:
    rows = []
    for name in workloads:
        t0 = time.perf_counter()
        rows.extend(BENCHES[name](config))
        if progress:
            print(f"[{name}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (well under a minute)")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tiny sizes for the tests
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS), help="run these workloads")
    parser.add_argument("--runs", type=int, default=1, help="run the suite N times; report the medians (default 1)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for numpy's BLAS and for PyTorch (default 1; 0 keeps the libraries' own defaults)",
    )
    parser.add_argument("--json", type=Path, help="also write the results (and the machine) as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the results page (docs/performance.md) here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a --json file of an earlier run (e.g. of the previous commit): shown as a 'before' table in --markdown",
    )
    parser.add_argument("--baseline-label", default="the previous commit", help="what --baseline measured")
    parser.add_argument(
        "--from-json",
        type=Path,
        help="measure nothing: print (and with --markdown, write the page for) the results saved by --json",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one measurement in this process
    args = parser.parse_args(argv)

    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(WORKERS[spec.pop("kind")](**spec)))
        return []

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        rows = [_row(fields) for fields in saved["rows"]]
        print_table(rows, saved["machine"])
        if args.markdown:
            _write_markdown(args, rows, saved["machine"], saved["command"], saved.get("minutes", 0.0))
        return rows

    config = CONFIGS["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.threads > 0:
        set_threads(args.threads)
    info = machine_info()
    t0 = time.perf_counter()
    runs = []
    for k in range(args.runs):
        if args.runs > 1:
            print(f"[run {k + 1} of {args.runs}]", file=sys.stderr, flush=True)
        runs.append(run(config, args.only))
    rows = median_rows(runs) if args.runs > 1 else runs[0]
    minutes = (time.perf_counter() - t0) / 60
    print_table(rows, info)
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "") + (" --smoke" if args.smoke else "")
    if args.threads != 1:
        command += f" --threads {args.threads}"
    if args.runs > 1:
        command += f" --runs {args.runs}"
    if args.only != list(WORKLOADS):
        command += " --only " + " ".join(args.only)
    if args.json:
        payload = {"machine": info, "config": dataclasses.asdict(config), "command": command, "runs": args.runs}
        payload["minutes"] = minutes
        payload["rows"] = [dataclasses.asdict(r) for r in rows]
        args.json.write_text(json.dumps(payload, indent=2))
    if args.markdown:
        _write_markdown(args, rows, info, command, minutes)
    return rows


def _row(fields: dict[str, Any]) -> Row:
    """A Row from its JSON form (``check`` comes back as a list). The ratios are the saved ones: with
    ``--runs N`` they are the medians of each run's ratios, not the ratio of the median figures."""
    fields = dict(fields)
    if fields.get("check"):
        fields["check"] = tuple(fields["check"])
    row = Row(**fields)
    row.vs_numpy, row.vs_torch = fields.get("vs_numpy"), fields.get("vs_torch")
    row.judge()
    return row


def _write_markdown(
    args: argparse.Namespace, rows: list[Row], info: dict[str, Any], command: str, minutes: float
) -> None:
    baseline = None
    if args.baseline:
        before, before_command = load_baseline(args.baseline, rows)
        print_table(before, {**info, "title": f"before: {args.baseline_label}"})
        baseline = (before, before_command, args.baseline_label)
    args.markdown.write_text(markdown(rows, info, command, minutes, baseline))


if __name__ == "__main__":
    main()
