"""Cost of ``tg.train.fit``: one epoch of mini-batch SGD on an MLP 784-256-128-10 against a hand-written numpy loop.

The floor is the same training written directly in numpy: the forward pass, the softmax cross-entropy, the
backward pass derived by hand (the chain rule through Linear - ReLU - Linear - ReLU - Linear), the SGD update
in place, the loss of every batch read as a float, and the same shuffled batches (the loader's own
permutation, so that both do the same arithmetic on the same data). ``fit`` adds the autodiff graph, the
DataLoader, the optimiser object, and its per-iteration bookkeeping: the History records, the gradient
norm, the copy of the parameters that Divergence keeps to make them restorable, the stopping checks. The
column "fit, no copies" is fit with ``stop=[Divergence(keep_last_good=False)]``: the difference is what that
copy costs ("copies", as a share of fit's time). The column "library loop" is the plain
``for X, y in loader: zero_grad; loss; backward; step`` loop with the same library objects but without
``fit``: fit / library loop is what the training loop itself costs, library loop / floor what the autodiff
engine and the optimiser cost.

Data: 8,192 random float32 samples of 784 features, random labels 0-9 (the speed does not depend on what
is learned). Each timing is the median over the repeats of one full epoch, after a warm-up epoch; the four
implementations alternate, so slow drifts of the machine hit them alike. Aims: fit / floor <= 1.5 at batch 32
and <= 1.15 at batch 256.

Usage: ``python benchmarks/train_loop.py [--samples 8192] [--batch-sizes 32 256] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import NamedTuple

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


def fit_epoch(model: tg.nn.Module, loader: tg.data.DataLoader, keep_last_good: bool = True) -> tg.train.History:
    """One epoch through ``fit``; ``keep_last_good=False`` drops the copy of the parameters that the divergence
    check otherwise keeps at every step (the only setting in which the two runs differ)."""
    opt = tg.optim.SGD(model.parameters(), lr=LR)
    stop = [] if keep_last_good else [tg.train.Divergence(keep_last_good=False)]
    return tg.train.fit(model, F.cross_entropy, opt, loader, epochs=1, stop=stop, progress=False)


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


class EpochTimes(NamedTuple):
    """Median seconds of one epoch of each implementation."""

    fit: float
    fit_no_copies: float  # fit with Divergence(keep_last_good=False)
    loop: float
    floor: float


def measure(X: np.ndarray, y: np.ndarray, batch: int, repeats: int, warmup: int = 1) -> EpochTimes:
    """Median seconds of one epoch through fit() (with and without the divergence check's parameter copies),
    the plain library loop and the numpy floor, alternating."""
    tg.manual_seed(0)
    model = tg.nn.MLP(list(SIZES))
    twin_fit, twin_loop = tg.nn.MLP(list(SIZES)), tg.nn.MLP(list(SIZES))
    # one loader each, with the same seed: every epoch visits the same batches in the same order in all of them
    loader, twin_fit_loader, twin_loop_loader = (tg.data.DataLoader(X, y, batch_size=batch, seed=0) for _ in range(3))
    times: dict[str, list[float]] = {name: [] for name in EpochTimes._fields}
    for k in range(warmup + repeats):
        raw = [p.data.copy() for p in model.parameters()]  # all four start the epoch from the same parameters
        twin_fit.load_state_dict(model.state_dict())
        twin_loop.load_state_dict(model.state_dict())
        order = loader.permutation(loader.epoch)  # and visit the samples in the order fit's next epoch uses
        t0 = time.perf_counter()
        history = fit_epoch(model, loader)
        t1 = time.perf_counter()
        history_no_copies = fit_epoch(twin_fit, twin_fit_loader, keep_last_good=False)
        t2 = time.perf_counter()
        library_epoch(twin_loop, twin_loop_loader)
        t3 = time.perf_counter()
        raw_loss = numpy_epoch(raw, X, y, order, batch)
        t4 = time.perf_counter()
        if k >= warmup:
            for name, seconds in zip(EpochTimes._fields, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[name].append(seconds)
        # the same arithmetic on the same batches, up to float32 rounding: a guard against a wrong floor. (Rounding
        # can flip the sign of a pre-activation within 1e-8 of the ReLU kink, which changes that sample's
        # gradient a little: hence atol 1e-3 on the parameters rather than float32 precision.)
        for p, r in zip(model.parameters(), raw, strict=True):
            np.testing.assert_allclose(p.data, r, rtol=0, atol=1e-3)
        np.testing.assert_allclose(history.train_loss[-1], raw_loss, rtol=1e-4)
        np.testing.assert_allclose(history_no_copies.train_loss[-1], raw_loss, rtol=1e-4)
    return EpochTimes(*(statistics.median(times[name]) for name in EpochTimes._fields))


def main(argv: list[str] | None = None) -> dict[int, EpochTimes]:
    """Print the table; return {batch size: median seconds per epoch of each implementation}."""
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
        f"{'batch':>6}{'iters':>7}{'fit (ms)':>10}{'fit, no copies (ms)':>21}{'library loop (ms)':>19}"
        f"{'numpy floor (ms)':>18}{'fit/floor':>11}{'aim':>6}{'fit/loop':>10}{'copies':>8}{'loop/floor':>12}"
    )
    for b, t in results.items():
        aim = {32: "1.5", 256: "1.15"}.get(b, "-")
        iters = -(-args.samples // b)
        copies = f"{(t.fit - t.fit_no_copies) / t.fit:.0%}"
        print(
            f"{b:>6}{iters:>7}{t.fit * 1e3:>10.1f}{t.fit_no_copies * 1e3:>21.1f}{t.loop * 1e3:>19.1f}"
            f"{t.floor * 1e3:>18.1f}{t.fit / t.floor:>11.2f}{aim:>6}{t.fit / t.loop:>10.2f}{copies:>8}"
            f"{t.loop / t.floor:>12.2f}"
        )
    print("copies: the share of fit's time spent copying the parameters for Divergence(keep_last_good=True)")
    return results


if __name__ == "__main__":
    main()
