"""Logistic regression trained by plain gradient descent on two Gaussian blobs.

    python examples/logistic_regression.py --epochs 30 --lr 0.5

The model ``Linear(2, 1)`` outputs a logit :math:`z = x w^\\top + b`; :math:`\\sigma(z)` is the probability of
class 1. The loss is the binary cross-entropy computed from the logits (stable for any :math:`z`), whose
gradient with respect to the logits is :math:`\\frac1N (\\sigma(z) - y)`. Each epoch prints the loss and the
classification metrics (accuracy, log loss, F1).
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor, metrics, nn
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)


def make_blobs(n_samples: int, separation: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two unit-variance Gaussian blobs centred at +-(separation/2)(1, 1); labels 0 and 1 (floats)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n_samples)
    centres = np.where(y[:, None] == 1, 1.0, -1.0) * separation / 2
    X = centres + rng.normal(size=(n_samples, 2))
    return X, y.astype(np.float64)


def main(
    n_samples: int = 200,
    epochs: int = 30,
    lr: float = 0.5,
    separation: float = 4.0,
    seed: int = 0,
    log_every: int = 1,
) -> dict[str, float]:
    """Train, print metrics every ``log_every`` epochs, and return the final ones (after the last step)."""
    tg.manual_seed(seed)
    X_np, y_np = make_blobs(n_samples, separation, seed)
    X, y = Tensor(X_np, dtype=np.float32), y_np.reshape(-1, 1)
    model = nn.Linear(2, 1)

    for epoch in range(1, epochs + 1):
        logits = model(X)  # (N, 1)
        loss = F.binary_cross_entropy_with_logits(logits, y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        if epoch % log_every == 0 or epoch == epochs:
            probs = logits.sigmoid()
            print(
                f"epoch {epoch:3d}  loss {loss.item():.5f}  accuracy {metrics.accuracy(y_np, probs):.3f}  "
                f"log_loss {metrics.log_loss(y_np, probs):.5f}  f1 {metrics.f1_score(y_np, probs):.3f}"
            )

    with tg.no_grad():
        probs = model(X).sigmoid()
    final = {
        "accuracy": metrics.accuracy(y_np, probs),
        "log_loss": metrics.log_loss(y_np, probs),
        "f1": metrics.f1_score(y_np, probs),
    }
    print("confusion matrix (rows: true class, columns: predicted):")
    print(metrics.confusion_matrix(y_np, probs))
    return final


def _parse_args() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--separation", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=1)
    return vars(parser.parse_args())


if __name__ == "__main__":
    main(**_parse_args())
