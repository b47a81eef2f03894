"""The benchmark workloads, each defined once, for every implementation: tinygrad_edu ("ours"), the numpy
floor (the same arithmetic written by hand in numpy, with the backward pass derived by hand) and PyTorch
(CPU, eager; only when it is installed, it is never a dependency).

``benchmarks/run.py`` runs them all side by side; the older single-purpose scripts (``op_overhead.py``,
``train_loop.py``) import their workloads from here, so every workload has exactly one definition.

Each workload is a small set of functions with the same signature per implementation, so that the harness
can time them alternately (slow drifts of a shared machine then hit every implementation alike):

* ``mlp_*``: one SGD step of an MLP 784-256-128-10 with softmax cross-entropy;
* ``chain_*``: a chain of small elementwise ops (the engine's per-op overhead, and deep graphs);
* ``logreg_*``: full-batch gradient descent on logistic regression.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)


def torch_or_none() -> Any:
    """The ``torch`` module, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# --------------------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------------------


def median_seconds(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    return interleaved_medians({"fn": fn}, repeats, warmup=warmup)["fn"]


def interleaved_medians(
    fns: dict[str, Callable[[], Any]], repeats: int, number: int = 1, warmup: int = 1
) -> dict[str, float]:
    """Median seconds per call of each function, timing them in turns.

    One round times ``number`` consecutive calls of every function (the order rotates from round to round);
    ``warmup`` untimed rounds come first. Alternating means that a slow phase of the machine (another
    process, frequency scaling) hits every implementation, so ratios measured in one run stay meaningful
    even when absolute figures drift.
    """
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for k in range(warmup + repeats):
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            fn = fns[name]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            elapsed = time.perf_counter() - start
            if k >= warmup:
                times[name].append(elapsed / number)
    return {name: statistics.median(t) for name, t in times.items()}


# --------------------------------------------------------------------------------------------------------
# MLP 784-256-128-10, softmax cross-entropy, one SGD step
# --------------------------------------------------------------------------------------------------------

SIZES = (784, 256, 128, 10)
LR = 0.01


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random float32 samples of 784 features and random labels 0-9 (the speed of a step does not
    depend on what is learned)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, SIZES[0])).astype(np.float32), rng.integers(0, SIZES[-1], n)


def initial_params(seed: int = 0) -> list[np.ndarray]:
    """The MLP's initial parameters ``[W1, b1, W2, b2, W3, b3]`` (PyTorch's layout and initialisation, drawn
    by tinygrad_edu): every implementation starts from copies of these."""
    tg.manual_seed(seed)
    return [p.data.copy() for p in tg.nn.MLP(list(SIZES)).parameters()]


def numpy_mlp_step(params: list[np.ndarray], xb: np.ndarray, yb: np.ndarray, lr: float = LR) -> float:
    """One SGD step on relu(relu(x W1^T + b1) W2^T + b2) W3^T + b3 with softmax cross-entropy, in place;
    returns the batch loss. The numpy floor: what a careful programmer writes without autodiff.

    Backward, with G = dL/dlogits = (softmax(z3) - onehot(y)) / B:
    dW3 = G^T h2, db3 = sum_n G; G2 = (G W3) * [z2 > 0]; dW2 = G2^T h1, ...; dW1 = G1^T x.
    """
    W1, b1, W2, b2, W3, b3 = params
    rows = np.arange(len(yb))
    z1 = xb @ W1.T
    z1 += b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ W2.T
    z2 += b2
    h2 = np.maximum(z2, 0)
    z3 = h2 @ W3.T
    z3 += b3
    shifted = z3 - z3.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(sum_exp[:, 0]) - shifted[rows, yb]))
    g3 = exp / sum_exp
    g3[rows, yb] -= 1
    g3 /= len(yb)
    g2 = g3 @ W3
    g2 *= z2 > 0
    g1 = g2 @ W2
    g1 *= z1 > 0
    for p, g in (
        (W3, g3.T @ h2),
        (b3, g3.sum(0)),
        (W2, g2.T @ h1),
        (b2, g2.sum(0)),
        (W1, g1.T @ xb),
        (b1, g1.sum(0)),
    ):
        g *= lr
        p -= g
    return loss


def tg_mlp(params: list[np.ndarray], lr: float = LR) -> tuple[tg.nn.Module, tg.optim.Optimizer]:
    """tinygrad_edu's MLP and SGD optimiser, starting from copies of ``params``."""
    model = tg.nn.MLP(list(SIZES))
    for p, value in zip(model.parameters(), params, strict=True):
        p.data[...] = value
    return model, tg.optim.SGD(model.parameters(), lr=lr)


def tg_mlp_step(model: tg.nn.Module, opt: tg.optim.Optimizer, xb: tg.Tensor, yb: np.ndarray) -> float:
    """One step as a user writes it: zero_grad, forward, loss, backward, step; returns the batch loss."""
    opt.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    return float(loss.data)


def tg_mlp_step_keeping_loss(model: tg.nn.Module, opt: tg.optim.Optimizer, xb: tg.Tensor, yb: np.ndarray) -> tg.Tensor:
    """:func:`tg_mlp_step` returning the loss tensor itself, for a loop that keeps ``loss`` until the next
    step (``for ...: loss = ...; loss.backward(); ...; print(loss)``): its graph outlives the backward pass."""
    opt.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    return loss


def torch_mlp(params: list[np.ndarray], lr: float = LR) -> tuple[Any, Any]:  # pragma: no cover - optional
    """PyTorch's ``nn.Sequential`` MLP and ``optim.SGD``, starting from copies of ``params``."""
    torch = torch_or_none()
    nn = torch.nn
    d0, d1, d2, d3 = SIZES
    model = nn.Sequential(nn.Linear(d0, d1), nn.ReLU(), nn.Linear(d1, d2), nn.ReLU(), nn.Linear(d2, d3))
    with torch.no_grad():
        for p, value in zip(model.parameters(), params, strict=True):
            p.copy_(torch.from_numpy(value))
    return model, torch.optim.SGD(model.parameters(), lr=lr)


def torch_mlp_step(model: Any, opt: Any, xb: Any, yb: Any) -> float:  # pragma: no cover - optional
    opt.zero_grad()
    loss = torch_or_none().nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    return loss.item()


def torch_mlp_step_keeping_loss(model: Any, opt: Any, xb: Any, yb: Any) -> Any:  # pragma: no cover - optional
    opt.zero_grad()
    loss = torch_or_none().nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    return loss


# --------------------------------------------------------------------------------------------------------
# a graph of large intermediates: what stays in memory after backward while the output is alive
# --------------------------------------------------------------------------------------------------------


def held_chain(impl: str, n_ops: int, size: int) -> tuple[Any, ...]:
    """Forward and backward of a chain of ``n_ops`` elementwise ops on a (size,) float64 vector (alternately
    h * 1.0001 and tanh h: each intermediate is 8 MB for size 10^6); returns what a user holds afterwards
    (the input, its gradient and the loss), so that the caller can measure what else stays in memory."""
    x0 = np.random.default_rng(0).uniform(-1, 1, size)
    if impl == "numpy":  # the floor: the hand-written backward frees its saved tanh outputs as it goes
        saved, h = [], x0
        for i in range(n_ops):
            h = h * 1.0001 if i % 2 == 0 else np.tanh(h)
            if i % 2:
                saved.append(h)
        loss, g = h.sum(), np.ones(size)
        for i in reversed(range(n_ops)):
            g = g * 1.0001 if i % 2 == 0 else g * (1 - saved.pop() ** 2)
        return x0, g, loss
    if impl == "ours":
        x, tanh = tg.Tensor(x0, requires_grad=True), tg.Tensor.tanh
    else:
        torch = torch_or_none()
        x, tanh = torch.tensor(x0, requires_grad=True), torch.tanh
    h = x
    for i in range(n_ops):
        h = h * 1.0001 if i % 2 == 0 else tanh(h)
    loss = h.sum()
    del h
    loss.backward()
    return x, x.grad, loss


# --------------------------------------------------------------------------------------------------------
# chains of small elementwise ops: the per-op cost of the engine, and deep graphs
# --------------------------------------------------------------------------------------------------------

CHAIN_SIZE = 16


def chain_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The chain's start value ``x0`` and constant ``c``, (16,) float32 each."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(CHAIN_SIZE).astype(np.float32), rng.uniform(0.9, 1.1, CHAIN_SIZE).astype(np.float32)


def forward_chain(h: Any, c: Any, tanh: Callable[[Any], Any], n_ops: int) -> Any:
    """The chain, written once for every implementation (they differ only in ``tanh``): it cycles through
    h <- h * c, h <- h + c, h <- tanh(h), h <- h - 0.01, so the arithmetic is negligible and what is measured
    is the engine's own overhead: building graph nodes, ordering them, the backward calls."""
    for i in range(n_ops):
        k = i % 4
        if k == 0:
            h = h * c
        elif k == 1:
            h = h + c
        elif k == 2:
            h = tanh(h)
        else:
            h = h - 0.01
    return h


# Each implementation: forward(n_ops, x0, c) -> state, backward(state) -> None. Timing the two halves
# separately shows where a deep graph's time goes; op_overhead times them together.


def chain_numpy_forward_only(n_ops: int, x0: np.ndarray, c: np.ndarray) -> None:
    """The arithmetic alone: no gradient at all."""
    forward_chain(x0, c, np.tanh, n_ops).sum()


def chain_numpy_forward(n_ops: int, x0: np.ndarray, c: np.ndarray) -> tuple[int, np.ndarray, list[np.ndarray]]:
    """Forward keeping exactly what the derivatives need (the tanh outputs)."""
    saved: list[np.ndarray] = []

    def tanh_saving_output(h: np.ndarray) -> np.ndarray:
        t = np.tanh(h)
        saved.append(t)
        return t

    forward_chain(x0, c, tanh_saving_output, n_ops).sum()
    return n_ops, c, saved


def chain_numpy_backward(state: tuple[int, np.ndarray, list[np.ndarray]]) -> np.ndarray:
    """The chain rule written out by hand: d(h c) = c, d(h + c) = 1, d tanh h = 1 - tanh^2 h, d(h - s) = 1."""
    n_ops, c, saved = state
    g = np.ones(CHAIN_SIZE, dtype=np.float32)
    for i in reversed(range(n_ops)):
        k = i % 4
        if k == 0:
            g = g * c
        elif k == 2:
            t = saved.pop()
            g = g * (1 - t * t)
    return g


def chain_tg_forward(n_ops: int, x0: np.ndarray, c: np.ndarray) -> tuple[tg.Tensor, tg.Tensor]:
    x = tg.Tensor(x0, requires_grad=True)
    return x, forward_chain(x, tg.Tensor(c), tg.Tensor.tanh, n_ops).sum()


def chain_tg_backward(state: tuple[tg.Tensor, tg.Tensor]) -> np.ndarray:
    x, out = state
    out.backward()
    return x.grad


def chain_torch_forward(n_ops: int, x0: np.ndarray, c: np.ndarray) -> tuple[Any, Any]:  # pragma: no cover
    torch = torch_or_none()
    x = torch.tensor(x0, requires_grad=True)
    return x, forward_chain(x, torch.tensor(c), torch.tanh, n_ops).sum()


def chain_torch_backward(state: tuple[Any, Any]) -> np.ndarray:  # pragma: no cover - optional
    x, out = state
    out.backward()
    return x.grad.numpy()


#: implementation -> (forward, backward); "numpy" is the floor: forward + hand-written backward.
CHAINS: dict[str, tuple[Callable[..., Any], Callable[[Any], Any]]] = {
    "ours": (chain_tg_forward, chain_tg_backward),
    "numpy": (chain_numpy_forward, chain_numpy_backward),
    "torch": (chain_torch_forward, chain_torch_backward),
}


def chain_step(impl: str, n_ops: int, x0: np.ndarray, c: np.ndarray) -> Any:
    """Forward and backward of the chain with one implementation; returns the gradient of ``x0``."""
    forward, backward = CHAINS[impl]
    return backward(forward(n_ops, x0, c))


# --------------------------------------------------------------------------------------------------------
# logistic regression, full-batch gradient descent (float64)
# --------------------------------------------------------------------------------------------------------

LOGREG_LR = 0.5


def logreg_data(n: int = 20_000, d: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, d) float64 and labels ``y`` (n, 1) in {0, 1} from a noisy linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = (X @ w + rng.standard_normal(n) > 0).astype(np.float64)[:, None]
    return X, y


def logreg_initial(d: int = 100, seed: int = 0) -> list[np.ndarray]:
    """Initial ``[W (1, d), b (1,)]``, float64, as ``Linear(d, 1)`` draws them."""
    tg.manual_seed(seed)
    return [p.data.copy() for p in tg.nn.Linear(d, 1, dtype=np.float64).parameters()]


def numpy_logreg_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float = LOGREG_LR) -> float:
    """One gradient-descent step, by hand; returns the loss. With z = X W^T + b and sigma the sigmoid:
    L = mean(max(z, 0) - z y + log(1 + e^-|z|)), dL/dz = (sigma(z) - y) / n, dW = (dL/dz)^T X, db = sum dL/dz.
    """
    W, b = params
    z = X @ W.T
    z += b
    e = np.exp(-np.abs(z))  # shared by the stable loss and the stable sigmoid
    loss = float(np.mean(np.maximum(z, 0) - z * y + np.log1p(e)))
    g = np.where(z >= 0, 1.0, e) / (1 + e)  # sigma(z), without overflow
    g -= y
    g /= len(X)
    W -= lr * (g.T @ X)
    b -= lr * g.sum(0)
    return loss


def tg_logreg(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float = LOGREG_LR) -> tuple[Any, ...]:
    model = tg.nn.Linear(X.shape[1], 1, dtype=np.float64)
    for p, value in zip(model.parameters(), params, strict=True):
        p.data[...] = value
    return model, tg.optim.GD(model.parameters(), lr=lr), tg.Tensor(X), y


def tg_logreg_step(model: Any, opt: Any, X: tg.Tensor, y: np.ndarray) -> float:
    opt.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(X), y)
    loss.backward()
    opt.step()
    return float(loss.data)


def torch_logreg(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float = LOGREG_LR) -> tuple[Any, ...]:
    torch = torch_or_none()  # pragma: no cover - optional
    model = torch.nn.Linear(X.shape[1], 1, dtype=torch.float64)
    with torch.no_grad():
        for p, value in zip(model.parameters(), params, strict=True):
            p.copy_(torch.from_numpy(value))
    return model, torch.optim.SGD(model.parameters(), lr=lr), torch.from_numpy(X), torch.from_numpy(y)


def torch_logreg_step(model: Any, opt: Any, X: Any, y: Any) -> float:  # pragma: no cover - optional
    opt.zero_grad()
    loss = torch_or_none().nn.functional.binary_cross_entropy_with_logits(model(X), y)
    loss.backward()
    opt.step()
    return loss.item()
