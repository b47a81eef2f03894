"""A small convolutional network on handwritten digits, next to an MLP and logistic regression.

    python examples/cnn_digits.py            # about half a minute on 2 cores
    python examples/cnn_digits.py --quick    # a few epochs, for the tests

The data are ``tg.data.load_digits()``: 1797 images of 8x8 pixels (0..16, scaled here to [0, 1]), split
75/25 stratified by digit. Three models, each trained with ``tg.train.fit`` and Adam on mini-batches of 32,
from the same seed:

* logistic (softmax) regression: ``Linear(64, 10)`` on the 64 pixels;
* an MLP: ``Linear(64, 64) -> ReLU -> Linear(64, 10)``;
* a LeNet-style CNN: ``Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10)``:
  eight 3x3 filters slid over the image (same size out, 8x8, thanks to the padding), the maximum of each 2x2
  block (4x4 left), and a linear read-out of the 8 x 4 x 4 = 128 numbers.

The CNN has fewer parameters than the MLP and, on this split (seeds 0, 1 and 2 tried), the best test
accuracy, about 98%: its filters are shared across positions (a stroke detector is useful anywhere in the
image) and pooling tolerates small shifts. One table is printed: model, parameters, test accuracy, seconds.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)


def models() -> dict[str, Callable[[], nn.Module]]:
    """The three models, as factories (each built right after ``tg.manual_seed``)."""
    return {
        "logistic regression": lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 10)),
        "MLP 64-64-10": lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)),
        "CNN conv3x3(8)-pool-linear": lambda: nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 4 * 4, 10),
        ),
    }


def test_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with tg.no_grad():
        return tg.metrics.accuracy(y, model(tg.Tensor(X)).numpy().argmax(axis=1))


def main(epochs: int = 30, lr: float = 0.01, batch_size: int = 32, seed: int = 0) -> list[dict[str, Any]]:
    """Train the three models; print and return one row per model (name, params, accuracy, seconds)."""
    X, y = tg.data.load_digits(as_images=True, dtype=np.float32)
    X = X / np.float32(16.0)
    X_tr, X_te, y_tr, y_te = tg.data.train_test_split(X, y, test_size=0.25, seed=seed, stratify=True)
    rows = []
    for name, build in models().items():
        tg.manual_seed(seed)
        model = build()
        start = time.perf_counter()
        tg.train.fit(
            model,
            F.cross_entropy,
            tg.optim.Adam(model.parameters(), lr=lr),
            tg.data.DataLoader(X_tr, y_tr, batch_size=batch_size, seed=seed),
            epochs=epochs,
            progress=False,
        )
        seconds = time.perf_counter() - start
        params = sum(p.size for p in model.parameters())
        rows.append({"model": name, "params": params, "accuracy": test_accuracy(model, X_te, y_te), "seconds": seconds})
    print(f"digits 8x8: {len(y_tr)} train / {len(y_te)} test images, Adam lr={lr}, batch {batch_size}, {epochs} epochs")
    print(f"{'model':28s} {'params':>7s} {'test accuracy':>14s} {'seconds':>8s}")
    for row in rows:
        print(f"{row['model']:28s} {row['params']:7d} {row['accuracy']:14.4f} {row['seconds']:8.1f}")
    return rows


def _parse_args() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="3 epochs: checks that it runs and learns")
    args = vars(parser.parse_args())
    if args.pop("quick"):
        args["epochs"] = 3
    return args


if __name__ == "__main__":
    main(**_parse_args())
