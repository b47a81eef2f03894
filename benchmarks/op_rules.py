"""Cost of each op's forward + backward on a batch large enough that the arithmetic dominates.

``op_overhead.py`` measures the engine's fixed cost per node on tiny tensors; this script measures the other
half of an op's cost: the passes over the data that its forward and its rule make. Each case builds a small
graph on a (512, 200) float64 batch (a classifier's logits, say), runs backward, and reports the median time
in microseconds. Run it before and after changing a rule in ``ops.py`` (two trees: ``PYTHONPATH=<tree>``), in
turns, on the same machine: a rule that makes one more pass over the batch shows up as tens of percent.

Usage: ``python benchmarks/op_rules.py [--repeats 30] [--only ce bce_logits ...]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.tensor import apply_op

F = tg.nn.functional
_rng = np.random.default_rng(0)
N, C = 512, 200
X = _rng.standard_normal((N, C))
TARGETS = (_rng.random((N, C)) < 0.5).astype(np.float64)
LABELS = _rng.integers(0, C, N)
PROBABILITIES = (TARGETS + 1) / (TARGETS + 1).sum(axis=1, keepdims=True)  # rows that sum to 1
W = _rng.standard_normal((64, C))

CASES: dict[str, Callable[[tg.Tensor], tg.Tensor]] = {
    "exp": lambda x: x.exp().sum(),
    "log": lambda x: x.abs().log().sum(),
    "sigmoid": lambda x: x.sigmoid().sum(),
    "tanh": lambda x: x.tanh().sum(),
    "relu": lambda x: x.relu().sum(),
    "x**3": lambda x: (x**3).sum(),
    "max(axis=1)": lambda x: x.max(axis=1).sum(),
    "logsumexp": lambda x: x.logsumexp(axis=1).sum(),
    "softmax": lambda x: (x.softmax(axis=1) * x).sum(),
    "log_softmax": lambda x: x.log_softmax(axis=1).sum(),
    "ce": lambda x: F.cross_entropy(x, LABELS),
    "ce_probabilities": lambda x: F.cross_entropy(x, PROBABILITIES),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x, TARGETS),
    "bce": lambda x: F.binary_cross_entropy(x.sigmoid(), TARGETS),
    "mse": lambda x: F.mse_loss(x, TARGETS),
    "linear": lambda x: apply_op(ops.Linear(), x, tg.Tensor(W, requires_grad=True)).sum(),
    "matmul": lambda x: (x @ tg.Tensor(W.T, requires_grad=True)).sum(),
    "getitem": lambda x: x[::2, 5:50].sum(),
    "clip": lambda x: x.clip(-1.0, 1.0).sum(),
}


def measure(case: Callable[[tg.Tensor], tg.Tensor], repeats: int) -> float:
    """Median microseconds of one forward + backward, after a warm-up."""
    times = []
    for i in range(repeats + 3):
        x = tg.Tensor(X, requires_grad=True)
        start = time.perf_counter()
        case(x).backward()
        if i >= 3:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed repetitions per case (default 30)")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), help="run these cases only")
    args = parser.parse_args(argv)
    print(f"forward + backward on a ({N}, {C}) float64 batch, median of {args.repeats} (microseconds)")
    results = {}
    for name in args.only or CASES:
        results[name] = measure(CASES[name], args.repeats)
        print(f"{name:18s} {results[name]:9.0f}")
    return results


if __name__ == "__main__":
    main()
