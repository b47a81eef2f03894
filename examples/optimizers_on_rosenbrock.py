"""Gradient descent, heavy-ball momentum, Nesterov momentum and Adam on the Rosenbrock function.

    f(x, y) = (1 - x)^2 + 100 (y - x^2)^2,    minimum f(1, 1) = 0, start (-1.5, 2)

The minimum lies at the bottom of a long, curved, flat-bottomed valley: across the valley the curvature is
about 1000, along it about 0.5 (condition number ~ 2500 near the minimum). Plain gradient descent must keep
its step below 2/1000 to stay stable across the valley, and then crawls along it; momentum accumulates speed
along the valley floor while the oscillations across it cancel; Adam rescales each coordinate. With a
constant learning rate Adam does not settle: its steps stay about lr long however small the gradient, so it
hovers near the minimum (decay the lr with a schedule to finish the job).

Run: ``python examples/optimizers_on_rosenbrock.py [--max-iters 20000] [--tol 1e-6]``. Prints, per optimiser,
the first iteration at which f < tol and the final distance to (1, 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg

START = (-1.5, 2.0)
MINIMUM = np.array([1.0, 1.0])

# Learning rates: GD's is about the largest that is stable at the start (2 / curvature ~ 2 / 1900); with
# momentum 0.95 the steps add up to ~ lr / (1 - 0.95) = 20 lr along the valley, so lr is halved for safety.
OPTIMISERS: dict[str, Callable[[list[tg.Tensor]], tg.optim.Optimizer]] = {
    "GD (lr=1e-3)": lambda p: tg.optim.GD(p, lr=1e-3),
    "SGD+momentum (lr=5e-4, m=0.95)": lambda p: tg.optim.SGD(p, lr=5e-4, momentum=0.95),
    "Nesterov (lr=5e-4, m=0.95)": lambda p: tg.optim.SGD(p, lr=5e-4, momentum=0.95, nesterov=True),
    "Adam (lr=2e-2)": lambda p: tg.optim.Adam(p, lr=2e-2),
}


def rosenbrock(p: tg.Tensor) -> tg.Tensor:
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def minimise(make_opt: Callable[[list[tg.Tensor]], tg.optim.Optimizer], max_iters: int, tol: float) -> dict:
    """Run ``max_iters`` steps from START; record the first iteration with f < tol and the final error."""
    p = tg.Tensor(np.array(START), requires_grad=True)  # float64
    opt = make_opt([p])
    reached = None
    for k in range(max_iters):
        opt.zero_grad()
        f = rosenbrock(p)
        if reached is None and f.item() < tol:
            reached = k
        f.backward()
        opt.step()
    return {
        "iterations_to_tol": reached,
        "final_f": rosenbrock(p).item(),
        "final_error": float(np.linalg.norm(p.data - MINIMUM)),
        "final_point": p.data.copy(),
    }


def main(max_iters: int = 20_000, tol: float = 1e-6) -> dict[str, dict]:
    """Compare the optimisers; return {name: result} (see :func:`minimise`) and print a table."""
    results = {name: minimise(make, max_iters, tol) for name, make in OPTIMISERS.items()}
    print(f"Rosenbrock from {START}, {max_iters} iterations each")
    print(f"{'optimiser':<32} {f'iterations to f < {tol:g}':>26} {'final |x - (1, 1)|':>20} {'final f':>10}")
    for name, r in results.items():
        reached = r["iterations_to_tol"] if r["iterations_to_tol"] is not None else f"not within {max_iters}"
        print(f"{name:<32} {reached!s:>26} {r['final_error']:>20.3e} {r['final_f']:>10.2e}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iters", type=int, default=20_000)
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args()
    main(args.max_iters, args.tol)
