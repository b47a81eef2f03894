"""Cost of ``tg.train.fit``: one epoch of mini-batch SGD on an MLP 784-256-128-10 against a hand-written numpy loop.

The floor is the same training written directly in numpy: the forward pass, the softmax cross-entropy, the
backward pass derived by hand (the chain rule through Linear - ReLU - Linear - ReLU - Linear), the SGD update
in place, the loss of every batch read as a float, and the same shuffled batches (the loader's own
permutation, so that both do the same arithmetic on the same data). ``fit`` adds the autodiff graph, the
DataLoader, the optimiser object, and its per-iteration bookkeeping: the History records, the gradient
norm, the copy of the parameters that Divergence keeps to make them restorable, the stopping checks. A third
column, "library loop", is the plain ``for X, y in loader: zero_grad; loss; backward; step`` loop with the
same library objects but without ``fit``: fit / library loop is what the training loop itself costs, library
loop / floor what the autodiff engine and the optimiser cost.

Data: 8,192 random float32 samples of 784 features, random labels 0-9 (the speed does not depend on what
is learned). Each timing is the median over the repeats of one full epoch, after a warm-up epoch; fit and the
numpy loop alternate, so slow drifts of the machine hit both alike. Aims: fit / floor <= 1.5 at batch 32 and
<= 1.15 at batch 256.

Usage: ``python benchmarks/train_loop.py [--samples 8192] [--batch-sizes 32 256] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _workloads import LR, SIZES, make_data, numpy_mlp_step

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)

# ---- the floor: numpy with hand-derived backprop ----------------------------------------------------------


def numpy_epoch(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, order: np.ndarray, batch: int) -> float:
    """One epoch of ``_workloads.numpy_mlp_step`` (SGD, in place) over the batches of ``order``; returns the
    mean of the batch losses."""
    total = 0.0
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        total += numpy_mlp_step(params, X[idx], y[idx], LR)
    return total / -(-len(order) // batch)


# ---- the library ------------------------------------------------------------------------------------------


def fit_epoch(model: tg.nn.Module, loader: tg.data.DataLoader) -> tg.train.History:
    opt = tg.optim.SGD(model.parameters(), lr=LR)
    return tg.train.fit(model, F.cross_entropy, opt, loader, epochs=1, progress=False)


def library_epoch(model: tg.nn.Module, loader: tg.data.DataLoader) -> float:
    """The same epoch as a plain loop over the library's objects, without fit; returns the mean batch loss."""
    opt = tg.optim.SGD(model.parameters(), lr=LR)
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        total += float(loss.data)
    return total / len(loader)


def measure(X: np.ndarray, y: np.ndarray, batch: int, repeats: int, warmup: int = 1) -> tuple[float, float, float]:
    """Median seconds of one epoch through fit(), the plain library loop and the numpy floor, alternating."""
    tg.manual_seed(0)
    model = tg.nn.MLP(list(SIZES))
    twin = tg.nn.MLP(list(SIZES))
    loader = tg.data.DataLoader(X, y, batch_size=batch, seed=0)
    twin_loader = tg.data.DataLoader(X, y, batch_size=batch, seed=0)
    ours, loop, floor = [], [], []
    for k in range(warmup + repeats):
        raw = [p.data.copy() for p in model.parameters()]  # all three start the epoch from the same parameters
        twin.load_state_dict(model.state_dict())
        order = loader.permutation(loader.epoch)  # and visit the samples in the order fit's next epoch uses
        t0 = time.perf_counter()
        history = fit_epoch(model, loader)
        t1 = time.perf_counter()
        library_epoch(twin, twin_loader)
        t2 = time.perf_counter()
        raw_loss = numpy_epoch(raw, X, y, order, batch)
        t3 = time.perf_counter()
        if k >= warmup:
            ours.append(t1 - t0)
            loop.append(t2 - t1)
            floor.append(t3 - t2)
        # the same arithmetic on the same batches, up to float32 rounding: a guard against a wrong floor. (Rounding
        # can flip the sign of a pre-activation within 1e-8 of the ReLU kink, which changes that sample's
        # gradient a little: hence atol 1e-3 on the parameters rather than float32 precision.)
        for p, r in zip(model.parameters(), raw, strict=True):
            np.testing.assert_allclose(p.data, r, rtol=0, atol=1e-3)
        np.testing.assert_allclose(history.train_loss[-1], raw_loss, rtol=1e-4)
    return statistics.median(ours), statistics.median(loop), statistics.median(floor)


def main(argv: list[str] | None = None) -> dict[int, tuple[float, float, float]]:
    """Print the table; return {batch size: (fit, library loop, numpy floor) median seconds per epoch}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--repeats", type=int, default=7, help="timed epochs per batch size (default 7)")
    args = parser.parse_args(argv)

    X, y = make_data(args.samples)
    results = {b: measure(X, y, b, args.repeats) for b in args.batch_sizes}
    print(
        f"one epoch of SGD, MLP {'-'.join(map(str, SIZES))}, {args.samples:,} float32 samples; "
        f"median of {args.repeats} epochs after warm-up"
    )
    print(
        f"{'batch':>6}{'iters':>7}{'fit (ms)':>10}{'library loop (ms)':>19}{'numpy floor (ms)':>18}"
        f"{'fit/floor':>11}{'aim':>6}{'fit/loop':>10}{'loop/floor':>12}"
    )
    for b, (ours, loop, floor) in results.items():
        aim = {32: "1.5", 256: "1.15"}.get(b, "-")
        iters = -(-args.samples // b)
        print(
            f"{b:>6}{iters:>7}{ours * 1e3:>10.1f}{loop * 1e3:>19.1f}{floor * 1e3:>18.1f}"
            f"{ours / floor:>11.2f}{aim:>6}{ours / loop:>10.2f}{loop / floor:>12.2f}"
        )
    return results


if __name__ == "__main__":
    main()
