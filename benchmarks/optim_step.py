"""Cost of ``optimizer.step()``: 1M float32 parameters in 10 tensors, each optimiser against a raw numpy loop.

The raw loop is the same update written directly on numpy arrays (state in plain lists, no parameter groups,
no Tensor, no hyper-parameter lookups, no validation), with the same in-place operations and reused work
arrays a careful numpy programmer would use: the strongest baseline. The ratio therefore measures what the
library adds on top of the arithmetic; the aim is <= 1.2x.

Usage: ``python benchmarks/optim_step.py [--params 1000000] [--tensors 10] [--repeats 40]``. Each timing is
the median over the repeats of one full step (all tensors), after a warm-up; the library and the raw loop
alternate, so slow drifts of the machine hit both alike.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg

LR, MOMENTUM, WD, EPS = 1e-3, 0.9, 1e-4, 1e-8
B1, B2, ALPHA = 0.9, 0.999, 0.99

# ---- the raw numpy updates -------------------------------------------------------------------------------
# One function per optimiser: (params, grads, state, step t) -> None. ``state`` is a plain dict of lists of
# arrays; "w0"/"w1" are two work arrays allocated once, the in-place idiom that avoids a fresh temporary per
# operation (and that the library uses too).


def _zeros(st, key, ps):
    """State buffers, created on the first step (``setdefault`` would build the default at every call)."""
    if key not in st:
        st[key] = [np.zeros_like(p) for p in ps]
    return st[key]


def _work(st, like):
    if "w0" not in st:
        st["w0"], st["w1"] = np.empty_like(like), np.empty_like(like)
    return st["w0"], st["w1"]


def raw_sgd(ps, gs, st, t):
    for p, g in zip(ps, gs, strict=True):
        _, w = _work(st, p)
        np.multiply(g, LR, out=w)
        p -= w


def raw_sgd_momentum(ps, gs, st, t):
    bufs = st.setdefault("buf", [None] * len(ps))
    for i, (p, g) in enumerate(zip(ps, gs, strict=True)):
        _, w = _work(st, p)
        if bufs[i] is None:
            bufs[i] = g.copy()
        else:
            bufs[i] *= MOMENTUM
            bufs[i] += g
        np.multiply(bufs[i], LR, out=w)
        p -= w


def raw_sgd_nesterov_wd(ps, gs, st, t):
    bufs = st.setdefault("buf", [None] * len(ps))
    for i, (p, g) in enumerate(zip(ps, gs, strict=True)):
        d, w = _work(st, p)
        np.multiply(p, WD, out=d)
        d += g
        if bufs[i] is None:
            bufs[i] = d.copy()
        else:
            bufs[i] *= MOMENTUM
            bufs[i] += d
        np.multiply(bufs[i], MOMENTUM, out=w)
        w += d
        w *= LR
        p -= w


def _raw_adam(ps, gs, st, t, decoupled, amsgrad=False):
    ms = _zeros(st, "m", ps)
    vs = _zeros(st, "v", ps)
    vmax = _zeros(st, "vmax", ps)
    bc1, bc2 = 1 - B1**t, 1 - B2**t
    for p, g, m, v, vm in zip(ps, gs, ms, vs, vmax, strict=True):
        _, w = _work(st, p)
        if decoupled:
            p *= 1 - LR * 0.01
        np.multiply(g, 1 - B1, out=w)
        m *= B1
        m += w
        np.multiply(g, g, out=w)
        w *= 1 - B2
        v *= B2
        v += w
        if amsgrad:
            np.maximum(vm, v, out=vm)
            v = vm
        np.sqrt(v, out=w)
        w /= bc2**0.5
        w += EPS
        np.divide(m, w, out=w)
        w *= LR / bc1
        p -= w


def raw_adam(ps, gs, st, t):
    _raw_adam(ps, gs, st, t, decoupled=False)


def raw_adam_amsgrad(ps, gs, st, t):
    _raw_adam(ps, gs, st, t, decoupled=False, amsgrad=True)


def raw_adamw(ps, gs, st, t):
    _raw_adam(ps, gs, st, t, decoupled=True)


def raw_rmsprop(ps, gs, st, t):
    vs = _zeros(st, "v", ps)
    for p, g, v in zip(ps, gs, vs, strict=True):
        _, w = _work(st, p)
        np.multiply(g, g, out=w)
        w *= 1 - ALPHA
        v *= ALPHA
        v += w
        np.sqrt(v, out=w)
        w += EPS
        np.divide(g, w, out=w)
        w *= LR
        p -= w


def raw_rmsprop_centered_momentum(ps, gs, st, t):
    vs = _zeros(st, "v", ps)
    gas = _zeros(st, "ga", ps)
    bufs = _zeros(st, "buf", ps)
    for p, g, v, ga, buf in zip(ps, gs, vs, gas, bufs, strict=True):
        _, w = _work(st, p)
        np.multiply(g, g, out=w)
        w *= 1 - ALPHA
        v *= ALPHA
        v += w
        ga *= ALPHA
        ga += np.multiply(g, 1 - ALPHA, out=w)
        np.multiply(ga, ga, out=w)
        np.subtract(v, w, out=w)
        np.sqrt(w, out=w)
        w += EPS
        np.divide(g, w, out=w)
        buf *= MOMENTUM
        buf += w
        np.multiply(buf, LR, out=w)
        p -= w


def raw_adagrad(ps, gs, st, t):
    sums = _zeros(st, "sum", ps)
    for p, g, s in zip(ps, gs, sums, strict=True):
        _, w = _work(st, p)
        np.multiply(g, g, out=w)
        s += w
        np.sqrt(s, out=w)
        w += 1e-10
        np.divide(g, w, out=w)
        w *= LR
        p -= w


CASES: dict[str, tuple[Callable[[list[tg.Tensor]], tg.optim.Optimizer], Callable]] = {
    "GD": (lambda p: tg.optim.GD(p, lr=LR), raw_sgd),
    "SGD": (lambda p: tg.optim.SGD(p, lr=LR), raw_sgd),
    "SGD momentum": (lambda p: tg.optim.SGD(p, lr=LR, momentum=MOMENTUM), raw_sgd_momentum),
    "SGD nesterov + wd": (
        lambda p: tg.optim.SGD(p, lr=LR, momentum=MOMENTUM, nesterov=True, weight_decay=WD),
        raw_sgd_nesterov_wd,
    ),
    "Adam": (lambda p: tg.optim.Adam(p, lr=LR), raw_adam),
    "Adam amsgrad": (lambda p: tg.optim.Adam(p, lr=LR, amsgrad=True), raw_adam_amsgrad),
    "AdamW": (lambda p: tg.optim.AdamW(p, lr=LR), raw_adamw),
    "RMSprop": (lambda p: tg.optim.RMSprop(p, lr=LR), raw_rmsprop),
    "RMSprop centered + momentum": (
        lambda p: tg.optim.RMSprop(p, lr=LR, centered=True, momentum=MOMENTUM),
        raw_rmsprop_centered_momentum,
    ),
    "Adagrad": (lambda p: tg.optim.Adagrad(p, lr=LR), raw_adagrad),
}


def measure(make_opt, raw_update, n_params: int, n_tensors: int, repeats: int, warmup: int = 3) -> tuple[float, float]:
    """Median seconds of one step of the library and of the raw loop, alternating."""
    rng = np.random.default_rng(0)
    size = n_params // n_tensors
    init = [rng.standard_normal(size).astype(np.float32) for _ in range(n_tensors)]
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(n_tensors)]
    params = [tg.Tensor(a, requires_grad=True) for a in init]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    opt = make_opt(params)
    raw_params, raw_state = [a.copy() for a in init], {}
    ours, raw = [], []
    for k in range(warmup + repeats):
        start = time.perf_counter()
        opt.step()
        middle = time.perf_counter()
        raw_update(raw_params, grads, raw_state, k + 1)
        end = time.perf_counter()
        if k >= warmup:
            ours.append(middle - start)
            raw.append(end - middle)
    # the two did the same arithmetic: a cheap guard against benchmarking a wrong baseline
    np.testing.assert_allclose(params[0].data, raw_params[0], rtol=1e-4, atol=1e-5)
    return statistics.median(ours), statistics.median(raw)


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=1_000_000, help="total parameters (default 1e6)")
    parser.add_argument("--tensors", type=int, default=10, help="number of tensors (default 10)")
    parser.add_argument("--repeats", type=int, default=40, help="timed steps (default 40)")
    args = parser.parse_args(argv)

    results = {name: measure(make, raw, args.params, args.tensors, args.repeats) for name, (make, raw) in CASES.items()}
    print(
        f"optimizer.step() on {args.params:,} float32 parameters in {args.tensors} tensors; "
        f"median of {args.repeats} steps after warm-up"
    )
    print(f"{'optimiser':<30}{'tinygrad_edu (ms)':>19}{'numpy loop (ms)':>17}{'ratio':>8}")
    for name, (ours, raw) in results.items():
        print(f"{name:<30}{ours * 1e3:>19.3f}{raw * 1e3:>17.3f}{ours / raw:>8.2f}")
    return results


if __name__ == "__main__":
    main()
