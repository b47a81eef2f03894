"""The engine's fixed cost per training step, phase by phase: an MLP so small that the arithmetic is nearly free.

``mlp_step`` compares a whole step with the numpy floor; this script shows where the difference that does not
scale with the batch goes. It times every phase of ``tg_mlp_step`` (zero_grad, forward, loss, backward, step)
for a tiny MLP (default 8-8-8-4 on 4 samples) and for the suite's MLP (784-256-128-10, batch 32), next to
the hand-written numpy step on the same parameters and data. With the tiny MLP, ``ours - numpy`` is the
price of the Python bookkeeping alone (modules, graph nodes, the backward engine, the optimiser's loop);
with the real one, whatever remains is the cost that grows with the arrays.

Usage: ``python benchmarks/overhead.py [--steps 3000]``. Prints microseconds per step (medians).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _workloads import numpy_mlp_step

import tinygrad_edu as tg
from tinygrad_edu.nn import functional

PHASES = ("zero_grad", "forward", "loss", "backward", "step")
CASES = {"tiny MLP 8-8-8-4, batch 4": ([8, 8, 8, 4], 4), "MLP 784-256-128-10, batch 32": ([784, 256, 128, 10], 32)}


def measure(sizes: list[int], batch: int, steps: int) -> dict[str, float]:
    """Median microseconds per step of each phase of ours, their sum, and the numpy floor's whole step."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    tg.manual_seed(0)
    model = tg.nn.MLP(sizes)
    opt = tg.optim.SGD(model.parameters(), lr=0.01)
    params = [p.data.copy() for p in model.parameters()]
    xb = tg.Tensor(X)
    times: dict[str, list[float]] = {name: [] for name in (*PHASES, "numpy floor")}
    clock = time.perf_counter
    for k in range(steps + steps // 10):  # the first tenth is warm-up
        t0 = clock()
        opt.zero_grad()
        t1 = clock()
        logits = model(xb)
        t2 = clock()
        loss = functional.cross_entropy(logits, y)
        t3 = clock()
        loss.backward()
        t4 = clock()
        opt.step()
        t5 = clock()
        numpy_mlp_step(params, X, y)
        t6 = clock()
        if k >= steps // 10:
            marks = (t0, t1, t2, t3, t4, t5, t6)
            for i, name in enumerate((*PHASES, "numpy floor")):
                times[name].append(marks[i + 1] - marks[i])
    result = {name: statistics.median(t) * 1e6 for name, t in times.items()}
    result["ours (sum of phases)"] = sum(result[name] for name in PHASES)
    return result


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="timed steps per case (default 3000)")
    args = parser.parse_args(argv)
    results = {case: measure(sizes, batch, args.steps) for case, (sizes, batch) in CASES.items()}
    for case, r in results.items():
        ours, floor = r["ours (sum of phases)"], r["numpy floor"]
        print(f"{case}: microseconds per step (medians of {args.steps} steps)")
        for name in PHASES:
            print(f"  {name:<12}{r[name]:>10.1f}")
        print(f"  {'ours':<12}{ours:>10.1f}")
        print(f"  {'numpy floor':<12}{floor:>10.1f}   ours - floor: {ours - floor:.1f} us, ratio {ours / floor:.2f}")
    return results


if __name__ == "__main__":
    main()
