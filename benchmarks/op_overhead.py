"""Per-op cost of the engine: a chain of small elementwise ops, forward + backward.

The chain (``_workloads.forward_chain``) cycles through four ops on a (16,) float32 tensor, h <- h * c,
h <- h + c, h <- tanh(h), h <- h - 0.01, so the arithmetic is negligible and what is measured is the engine's
own overhead: building graph nodes, the topological sort and the backward calls. Three floors run the same
chain:

* numpy forward only: the arithmetic alone;
* numpy forward + hand-written backward: what an engine with zero overhead would cost;
* PyTorch (CPU, eager), when it is installed (it is never a dependency).

Usage: ``python benchmarks/op_overhead.py [--ops 2000] [--repeats 30]``. Prints microseconds per op
(medians over the repeats, after a warm-up, the implementations timed in turns) and the ratios to the floors.
``benchmarks/run.py`` runs the same measurement as its ``op_overhead`` workload.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from _workloads import CHAIN_SIZE, chain_data, chain_numpy_forward_only, chain_step, interleaved_medians, torch_or_none

LABELS = {
    "numpy forward only": None,
    "numpy forward + hand backward": "numpy",
    "tinygrad_edu forward + backward": "ours",
    "pytorch forward + backward": "torch",
}


def measure(n_ops: int = 2000, repeats: int = 30) -> dict[str, float]:
    """Microseconds per op (forward + backward) of each implementation, keyed by the labels above."""
    x0, c = chain_data()
    fns: dict[str, Callable[[], object]] = {}
    for label, impl in LABELS.items():
        if impl == "torch" and torch_or_none() is None:
            continue
        if impl is None:
            fns[label] = lambda: chain_numpy_forward_only(n_ops, x0, c)
        else:
            fns[label] = lambda impl=impl: chain_step(impl, n_ops, x0, c)
    seconds = interleaved_medians(fns, repeats)
    return {label: s / n_ops * 1e6 for label, s in seconds.items()}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="ops in the chain (default 2000)")
    parser.add_argument("--repeats", type=int, default=30, help="timed repetitions (default 30)")
    args = parser.parse_args(argv)

    results = measure(args.ops, args.repeats)
    ours = results["tinygrad_edu forward + backward"]
    print(f"chain of {args.ops} elementwise ops on a ({CHAIN_SIZE},) float32 tensor; median of {args.repeats} runs")
    print(f"{'implementation':<34}{'us/op':>10}{'ours / this':>14}")
    for label, us in results.items():
        print(f"{label:<34}{us:>10.2f}{ours / us:>14.2f}")
    return results


if __name__ == "__main__":
    main()
