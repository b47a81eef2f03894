"""Convolution and pooling: forward + backward of LeNet-sized layers against PyTorch's CPU kernels.

Each case builds ``loss = (layer(x) * G).sum()`` (G a fixed random upstream gradient) and runs backward,
which computes the gradients of the input and of the weight and bias: one training step's work for that
layer. The table gives the median milliseconds of tinygrad_edu (im2col on ``sliding_window_view`` and one
matrix product forward; the transposed products and col2im backward) and of PyTorch (when installed), and
their ratio; the issue's target is a ratio of at most 2 for the convolutions. float32, as a model trains.

``--col2im`` also times the two ways of writing col2im (the adjoint of im2col): one strided slice-add per
kernel offset (what ``ops.col2im`` does) and ``np.add.at`` on flat indices.

Usage: ``python benchmarks/conv.py [--quick] [--repeats 20] [--threads 1] [--col2im]``. ``--threads N``
sets the BLAS (and PyTorch) threads as ``run.py`` does (default 1; 0 keeps the libraries' defaults).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _workloads import interleaved_medians
from run import machine_info, set_threads, torch_or_none

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)

# (name, input shape, weight shape or pooling kernel, padding): LeNet-5's layers on MNIST-sized images
CASES: list[tuple[str, tuple[int, ...], Any, int]] = [
    ("conv 1->6 5x5 on 28x28", (64, 1, 28, 28), (6, 1, 5, 5), 0),
    ("conv 6->16 5x5 on 12x12", (64, 6, 12, 12), (16, 6, 5, 5), 0),
    ("conv 8->8 3x3 pad 1 on 8x8", (64, 8, 8, 8), (8, 8, 3, 3), 1),
    ("max_pool 2x2 on 6x24x24", (64, 6, 24, 24), 2, 0),
    ("avg_pool 2x2 on 6x24x24", (64, 6, 24, 24), 2, 0),
]


def _median_ms(step: Callable[[], None], repeats: int) -> float:
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def ours(name: str, x_shape: tuple[int, ...], spec: Any, padding: int, rng: np.random.Generator) -> Callable[[], None]:
    x = rng.standard_normal(x_shape).astype(np.float32)
    if name.startswith("conv"):
        w = rng.standard_normal(spec).astype(np.float32) * 0.1
        b = np.zeros(spec[0], np.float32)
        G = rng.standard_normal(F.conv2d(tg.Tensor(x), tg.Tensor(w), padding=padding).shape).astype(np.float32)

        def step() -> None:
            X, W, B = (tg.Tensor(a, requires_grad=True) for a in (x, w, b))
            (F.conv2d(X, W, B, padding=padding) * tg.Tensor(G)).sum().backward()

        return step
    pool = F.max_pool2d if name.startswith("max") else F.avg_pool2d
    G = rng.standard_normal(pool(tg.Tensor(x), spec).shape).astype(np.float32)

    def pool_step() -> None:
        X = tg.Tensor(x, requires_grad=True)
        (pool(X, spec) * tg.Tensor(G)).sum().backward()

    return pool_step


def theirs(torch: Any, name: str, x_shape: tuple[int, ...], spec: Any, padding: int, rng: np.random.Generator):
    x = torch.tensor(rng.standard_normal(x_shape).astype(np.float32))
    tf = torch.nn.functional
    if name.startswith("conv"):
        w = torch.tensor(rng.standard_normal(spec).astype(np.float32) * 0.1)
        b = torch.zeros(spec[0])
        G = torch.randn(tf.conv2d(x, w, padding=padding).shape)

        def step() -> None:
            X, W, B = (t.clone().requires_grad_() for t in (x, w, b))
            (tf.conv2d(X, W, B, padding=padding) * G).sum().backward()

        return step
    pool = tf.max_pool2d if name.startswith("max") else tf.avg_pool2d
    G = torch.randn(pool(x, spec).shape)

    def pool_step() -> None:
        X = x.clone().requires_grad_()
        (pool(X, spec) * G).sum().backward()

    return pool_step


def time_col2im(repeats: int) -> dict[str, float]:
    """col2im of LeNet's first layer's column gradient: slice-adds per kernel offset vs np.add.at."""
    rng = np.random.default_rng(0)
    x_shape, kernel, one, zero = (64, 1, 28, 28), (5, 5), (1, 1), (0, 0)
    cols = rng.standard_normal((25, 24 * 24, 64)).astype(np.float32)  # batch last, as ops.col2im takes them
    index = ops.im2col(np.arange(np.prod(x_shape)).reshape(x_shape), kernel, one, zero, one)  # where each came from
    index = index.transpose(1, 2, 0)

    def add_at() -> None:
        full = np.zeros(int(np.prod(x_shape)), np.float32)
        np.add.at(full, index.ravel(), cols.ravel())

    def slices() -> None:
        ops.col2im(cols, x_shape, kernel, one, zero, one)

    full = np.zeros(int(np.prod(x_shape)), np.float32)
    np.add.at(full, index.ravel(), cols.ravel())
    assert np.allclose(full.reshape(x_shape), ops.col2im(cols, x_shape, kernel, one, zero, one), atol=1e-4)
    return {"slice-add per kernel offset": _median_ms(slices, repeats), "np.add.at": _median_ms(add_at, repeats)}


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float | None]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed repetitions per case (default 20)")
    parser.add_argument("--quick", action="store_true", help="batch 4 and 2 repeats: checks that it runs")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/PyTorch threads (default 1; 0: defaults)")
    parser.add_argument("--col2im", action="store_true", help="also time col2im: slice-adds vs np.add.at")
    args = parser.parse_args(argv)
    if args.threads > 0:
        set_threads(args.threads)
    repeats = 2 if args.quick else args.repeats
    torch = torch_or_none()
    info = machine_info()
    print(f"BLAS threads: {info['blas_threads']}; {info['cpu']} ({info['usable_cpus']} usable CPUs)")
    print(f"forward + backward (input, weight and bias gradients), float32, median of {repeats}, in turns (ms)")
    print(f"{'case':34s} {'tinygrad_edu':>12s} {'PyTorch':>9s} {'ratio':>6s}")
    results: dict[str, tuple[float, float | None]] = {}
    for name, x_shape, spec, padding in CASES:
        if args.quick:
            x_shape = (4, *x_shape[1:])
        label = f"{name} (batch {x_shape[0]})"
        steps = {"ours": ours(name, x_shape, spec, padding, np.random.default_rng(0))}
        if torch is not None:
            steps["torch"] = theirs(torch, name, x_shape, spec, padding, np.random.default_rng(0))
        medians = interleaved_medians(steps, repeats)  # in turns: a busy phase of the machine hits both
        ms, ref = medians["ours"] * 1e3, (medians["torch"] * 1e3 if "torch" in medians else None)
        results[label] = (ms, ref)
        ratio = f"{ms / ref:6.2f}" if ref else "     -"
        print(f"{label:34s} {ms:12.3f} {ref if ref is not None else float('nan'):9.3f} {ratio}")
    if args.col2im:
        for way, ms in time_col2im(repeats).items():
            print(f"col2im (25, 576, 64) -> (64, 1, 28, 28), {way}: {ms:.3f} ms")
    return results


if __name__ == "__main__":
    main()
