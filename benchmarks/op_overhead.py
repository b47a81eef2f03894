"""Per-op cost of the engine: a chain of small elementwise ops, forward + backward.

The chain cycles through four ops on a (16,) float32 tensor, h <- h * c, h <- h + c, h <- tanh(h),
h <- h - 0.01, so the arithmetic is negligible and what is measured is the engine's own overhead:
building graph nodes, the topological sort and the backward calls. Three floors run the same chain:

* numpy forward only: the arithmetic alone;
* numpy forward + hand-written backward: what an engine with zero overhead would cost;
* PyTorch (CPU, eager), when it is installed (it is never a dependency).

Usage: ``python benchmarks/op_overhead.py [--ops 2000] [--repeats 30]``. Prints microseconds per op
(medians over the repeats, after a warm-up) and the ratios to the floors.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg

SIZE = 16


def forward_chain(h: Any, c: Any, tanh: Callable[[Any], Any], n_ops: int) -> Any:
    """The benchmark's chain, written once for every implementation (they differ only in ``tanh``)."""
    for i in range(n_ops):
        k = i % 4
        if k == 0:
            h = h * c
        elif k == 1:
            h = h + c
        elif k == 2:
            h = tanh(h)
        else:
            h = h - 0.01
    return h


def chain_tinygrad(n_ops: int, x0: np.ndarray, c: np.ndarray) -> None:
    x = tg.Tensor(x0, requires_grad=True)
    forward_chain(x, tg.Tensor(c), tg.Tensor.tanh, n_ops).sum().backward()


def chain_numpy_forward(n_ops: int, x0: np.ndarray, c: np.ndarray) -> None:
    forward_chain(x0, c, np.tanh, n_ops).sum()


def chain_numpy_backward(n_ops: int, x0: np.ndarray, c: np.ndarray) -> None:
    """Forward keeping what the derivatives need, then the chain rule written out by hand."""
    saved = []

    def tanh_saving_output(h: np.ndarray) -> np.ndarray:
        t = np.tanh(h)
        saved.append(t)
        return t

    forward_chain(x0, c, tanh_saving_output, n_ops).sum()
    g = np.ones_like(x0)
    for i in reversed(range(n_ops)):
        k = i % 4
        if k == 0:
            g = g * c
        elif k == 2:
            t = saved.pop()
            g = g * (1 - t * t)


def chain_torch(n_ops: int, x0: np.ndarray, c: np.ndarray) -> None:  # pragma: no cover - optional
    import torch

    x = torch.tensor(x0, requires_grad=True)
    forward_chain(x, torch.tensor(c), torch.tanh, n_ops).sum().backward()


def median_seconds(fn: Callable[[], None], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="ops in the chain (default 2000)")
    parser.add_argument("--repeats", type=int, default=30, help="timed repetitions (default 30)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(SIZE).astype(np.float32)
    c = rng.uniform(0.9, 1.1, SIZE).astype(np.float32)
    candidates: dict[str, Callable[[int, np.ndarray, np.ndarray], None]] = {
        "numpy forward only": chain_numpy_forward,
        "numpy forward + hand backward": chain_numpy_backward,
        "tinygrad_edu forward + backward": chain_tinygrad,
    }
    try:
        import torch  # noqa: F401

        candidates["pytorch forward + backward"] = chain_torch
    except ImportError:
        pass

    results = {
        label: median_seconds(lambda f=f: f(args.ops, x0, c), args.repeats) / args.ops * 1e6
        for label, f in candidates.items()
    }
    ours = results["tinygrad_edu forward + backward"]
    print(f"chain of {args.ops} elementwise ops on a ({SIZE},) float32 tensor; median of {args.repeats} runs")
    print(f"{'implementation':<34}{'us/op':>10}{'ours / this':>14}")
    for label, us in results.items():
        print(f"{label:<34}{us:>10.2f}{ours / us:>14.2f}")
    return results


if __name__ == "__main__":
    main()
