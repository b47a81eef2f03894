"""Linear regression trained by plain gradient descent: a model, a loss, a hand-written loop with ``.grad``.

    python examples/linear_regression.py --epochs 30 --lr 0.2

The data is synthetic, :math:`y = X w^* + b^* + \\varepsilon`. The model is ``Linear(d, 1)``, the loss the mean
squared error :math:`L = \\frac1N \\sum_n (\\hat y_n - y_n)^2`, whose gradient with respect to the predictions
is :math:`\\frac2N (\\hat y - y)`; ``loss.backward()`` carries it to the weight and the bias, and each step
moves them against their gradient, :math:`\\theta \\leftarrow \\theta - \\eta\\, \\partial L / \\partial \\theta`.
Every epoch prints the loss and two regression metrics (RMSE, R^2); the end compares the result with the
closed-form least-squares solution.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor, metrics, nn
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)


def make_data(n_samples: int, n_features: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard-normal features, a random true weight vector, bias 0.5 and Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    w_true = rng.normal(size=n_features)
    y = X @ w_true + 0.5 + noise * rng.normal(size=n_samples)
    return X, y.reshape(-1, 1), w_true


def main(
    n_samples: int = 200,
    n_features: int = 3,
    epochs: int = 30,
    lr: float = 0.2,
    noise: float = 0.1,
    seed: int = 0,
    log_every: int = 1,
) -> dict[str, float]:
    """Train, print metrics every ``log_every`` epochs, and return the final ones (after the last step)."""
    tg.manual_seed(seed)
    X_np, y_np, w_true = make_data(n_samples, n_features, noise, seed)
    X, y = Tensor(X_np, dtype=np.float32), Tensor(y_np, dtype=np.float32)
    model = nn.Linear(n_features, 1)

    for epoch in range(1, epochs + 1):
        pred = model(X)  # (N, 1)
        loss = F.mse_loss(pred, y)
        model.zero_grad()  # backward accumulates into .grad: clear it first
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad  # the GD step: plain numpy, outside the graph
        if epoch % log_every == 0 or epoch == epochs:
            print(
                f"epoch {epoch:3d}  loss {loss.item():.5f}  rmse {metrics.rmse(y, pred):.4f}  "
                f"r2 {metrics.r2_score(y, pred):.4f}"
            )

    with tg.no_grad():
        pred = model(X)
    final = {"mse": metrics.mse(y, pred), "rmse": metrics.rmse(y, pred), "r2": metrics.r2_score(y, pred)}
    # The optimum in closed form: least squares on [X, 1].
    A = np.hstack([X_np, np.ones((n_samples, 1))])
    theta, *_ = np.linalg.lstsq(A, y_np, rcond=None)
    final["max_param_error_vs_lstsq"] = float(
        np.abs(np.append(model.weight.data.ravel(), model.bias.data) - theta.ravel()).max()
    )
    print(f"learned w {np.round(model.weight.data.ravel(), 3)}, b {model.bias.data.round(3)}")
    print(f"true    w {np.round(w_true, 3)}, b [0.5]")
    print(
        f"least squares: rmse {metrics.rmse(y_np, A @ theta):.4f}; max |theta_gd - theta_ls| "
        f"{final['max_param_error_vs_lstsq']:.2e}"
    )
    return final


def _parse_args() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200)
    parser.add_argument("--n-features", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=1)
    return vars(parser.parse_args())


if __name__ == "__main__":
    main(**_parse_args())
