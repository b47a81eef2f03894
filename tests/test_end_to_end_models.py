"""End to end: models trained by a few lines of plain gradient descent (no optimiser module) reach the
known answers: accuracy 1.0 on separable data, the least-squares solution for linear regression."""

import itertools

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor, metrics, nn
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)


def gd_step(model, loss, lr):
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad


def separable_set(n, seed):
    """Points labelled by the side of a line, keeping only those at distance >= 0.3 from it (a margin)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(4 * n, 2))
    w, b = np.array([1.5, -1.0]), 0.3
    score = (X @ w + b) / np.linalg.norm(w)
    keep = np.abs(score) >= 0.3
    return X[keep][:n], (score[keep][:n] > 0).astype(np.float64)


def test_logistic_regression_by_plain_gd_reaches_accuracy_one():
    tg.manual_seed(0)
    X, y = separable_set(200, seed=0)
    model = nn.Linear(2, 1, dtype=np.float64)
    losses = []
    for _ in range(300):
        logits = model(X)
        loss = F.binary_cross_entropy_with_logits(logits, y.reshape(-1, 1))
        gd_step(model, loss, lr=1.0)
        losses.append(loss.item())
    with tg.no_grad():
        probs = model(X).sigmoid()
    assert metrics.accuracy(y, probs) == 1.0
    assert losses[-1] < losses[0] / 5
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(losses))  # convex, small step: monotone


def test_linear_regression_by_plain_gd_reaches_the_least_squares_solution():
    tg.manual_seed(0)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) - 1.0 + 0.3 * rng.normal(size=100)
    model = nn.Linear(4, 1, dtype=np.float64)
    for _ in range(400):
        gd_step(model, F.mse_loss(model(X), y.reshape(-1, 1)), lr=0.2)
    A = np.hstack([X, np.ones((100, 1))])
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(model.weight.data.ravel(), theta[:4], atol=1e-4, rtol=0)
    np.testing.assert_allclose(model.bias.data, theta[4:], atol=1e-4, rtol=0)
    with tg.no_grad():
        assert abs(metrics.mse(y, model(X)) - np.mean((A @ theta - y) ** 2)) < 1e-8


def test_softmax_regression_by_plain_gd_separates_three_blobs():
    tg.manual_seed(0)
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 4.0], [-4.0, -2.0], [4.0, -2.0]])
    labels = rng.integers(0, 3, size=150)
    X = centres[labels] + rng.normal(size=(150, 2)) * 0.7
    model = nn.Linear(2, 3, dtype=np.float64)
    for _ in range(100):
        gd_step(model, F.cross_entropy(model(X), labels), lr=0.5)
    with tg.no_grad():
        logits = model(X)
    assert metrics.accuracy(labels, logits) == 1.0
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, logits), np.diag(np.bincount(labels)))


def test_mlp_by_plain_gd_learns_xor():
    tg.manual_seed(0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    model = nn.MLP([2, 8, 1], activation="tanh")
    Xt = Tensor(X, dtype=np.float32)
    for _ in range(500):
        loss = F.binary_cross_entropy_with_logits(model(Xt), y.reshape(-1, 1).astype(np.float32))
        gd_step(model, loss, lr=0.5)
    with tg.no_grad():
        probs = model(Xt).sigmoid()
    assert metrics.accuracy(y, probs) == 1.0
    assert loss.item() < 0.1
