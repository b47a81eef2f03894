"""What one Hessian-vector product costs, in gradients: ``tg.hvp`` and ``tg.func.HessianOperator`` against
one forward + backward.

The Hessian is the Jacobian of the gradient, so ``H v = grad_theta <grad L(theta), v>``: a forward pass, a
backward pass that records the gradient's graph (``create_graph=True``), and a backward pass through that
graph and the function's (reverse over reverse). Theory: a small constant times a gradient, about 2 to 4,
whatever the number of parameters (``THEORY`` below counts the matrix products). Four columns per workload:

* ``gradient``: ``tg.grad(loss(params), params)``, forward + backward (the unit of the ratios);
* ``tg.hvp``: one ``tg.hvp(loss, params, v)`` from scratch: forward, backward with ``create_graph``, backward;
* ``op build``: ``HessianOperator(loss(params), params)``: forward + backward with ``create_graph`` (once);
* ``op product``: one product ``op(v)`` of an operator built once: one backward through the retained graphs,
  the incremental cost that Lanczos (``tg.train.curvature``) and conjugate gradients (``tg.optim.Newton``)
  pay per product.

Workloads: the MLP 784-256-128-10 of ``run.py`` (ReLU, softmax cross-entropy, float32, random data) at
batch 32 and 256; the moons MLP 2-32-2 of ``tinygrad-edu`` (ReLU, cross-entropy, float32, 750 standardised
training points of ``make_moons(1000, noise=0.15)``); and ``run.py``'s logistic regression, 20,000 x 100
float64 (binary cross-entropy with logits). Each loss is written as a function of its parameters with the
primitives that ``nn.Linear`` and ``nn.ReLU`` record (checked against the module at start), and the three
computations are checked against each other before timing (the same :math:`Hv`).

Times are medians over the repeats after a warm-up, the four timed in turns so that a slow phase of a shared
machine hits them alike; compare the ratios of one run, not absolute times across runs.

Usage: ``python benchmarks/hvp_cost.py [--quick] [--repeats N] [--only mlp32 moons ...] [--threads 1]
[--json FILE]``. ``--threads N`` sets the BLAS threads as ``run.py`` does (default 1; 0 keeps the default).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _workloads import SIZES, initial_params, interleaved_medians, logreg_data, logreg_initial, make_data
from run import machine_info, set_threads

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.func import HessianOperator
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)
from tinygrad_edu.tensor import apply_op

LossFn = Callable[..., tg.Tensor]

THEORY = """\
theory: reverse over reverse, H v = grad_theta <grad L(theta), v>: a small constant times a gradient, about
2-4x, whatever the number of parameters. Counting the matrix products, which dominate large layers: a
layer's gradient costs 3 (forward h W^T, then dW = G^T h and dh = G W; 2 for the first layer, which needs
no dh). tg.hvp repeats them with create_graph (the build), then backpropagates <grad, v> through the
gradient's graph (2 products for each of dW and dh: one per operand that depends on the parameters) and
through the forward's (2 more): 6 per layer, 2 for the first. So a product of an operator built once costs
1-2 gradients (1 for a linear model: logistic regression) and tg.hvp 2-3, plus the engine's cost per
recorded node, which dominates tiny models (the moons MLP): the gradient's graph has more nodes than the
function's."""


@dataclass
class Workload:
    """A scalar loss as a function of its parameters (Tensors that require grad), and the starting values."""

    name: str
    loss: LossFn
    params: list[np.ndarray]


@dataclass
class Result:
    """Median seconds of each computation, and the ratios to one gradient."""

    name: str
    n_params: int
    gradient: float
    hvp: float
    build: float
    product: float

    @property
    def hvp_ratio(self) -> float:
        return self.hvp / self.gradient

    @property
    def build_ratio(self) -> float:
        return self.build / self.gradient

    @property
    def product_ratio(self) -> float:
        return self.product / self.gradient


# --------------------------------------------------------------------------------------------------------
# the workloads: each loss a function of its parameters, written with the primitives the modules record
# --------------------------------------------------------------------------------------------------------


def mlp_loss(X: np.ndarray, labels: np.ndarray) -> LossFn:
    """``cross_entropy(MLP(X), labels)`` as a function of ``W1, b1, W2, b2, ...`` (ReLU between the layers)."""
    xb = tg.Tensor(X)

    def loss(*params: tg.Tensor) -> tg.Tensor:
        h = xb
        for i in range(0, len(params), 2):
            h = apply_op(ops.Linear(), h, params[i], params[i + 1])
            if i + 2 < len(params):
                h = h.relu()
        return F.cross_entropy(h, labels)

    return loss


def logreg_loss(X: np.ndarray, y: np.ndarray) -> LossFn:
    """Binary cross-entropy with logits of ``X W^T + b`` as a function of ``W, b``."""
    Xt = tg.Tensor(X)

    def loss(W: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
        return F.binary_cross_entropy_with_logits(apply_op(ops.Linear(), Xt, W, b), y)

    return loss


def moons_data() -> tuple[np.ndarray, np.ndarray]:
    """The training split of ``tinygrad-edu``'s moons problem: 750 standardised float32 points, labels 0/1."""
    X, y = tg.data.make_moons(1000, noise=0.15, seed=0)
    X_tr, X_val, y_tr, _ = tg.data.train_test_split(X, y, test_size=0.25, seed=0)
    X_tr, _ = tg.data.standardize(X_tr, X_val)
    return X_tr.astype(np.float32), y_tr


def _check_against_module(model: tg.nn.Module, loss: LossFn, X: np.ndarray, y: np.ndarray, bce: bool) -> None:
    """The functional loss is the module's loss: the benchmark times what users run."""
    params = [tg.Tensor(p.data) for p in model.parameters()]
    out = model(tg.Tensor(X))
    expected = F.binary_cross_entropy_with_logits(out, y) if bce else F.cross_entropy(out, y)
    rtol = 1e-5 if X.dtype == np.float32 else 1e-12
    if not np.isclose(loss(*params).item(), expected.item(), rtol=rtol):
        raise AssertionError("the functional loss differs from the module's: the benchmark would time another loss")


def workloads() -> dict[str, Workload]:
    """Every workload, by its short name (``--only``)."""
    found: dict[str, Workload] = {}
    for batch in (32, 256):
        X, labels = make_data(batch)
        params = initial_params()
        model = tg.nn.MLP(list(SIZES))
        for p, value in zip(model.parameters(), params, strict=True):
            p.data[...] = value
        loss = mlp_loss(X, labels)
        _check_against_module(model, loss, X, labels, bce=False)
        name = f"MLP {'-'.join(map(str, SIZES))}, batch {batch}, float32"
        found[f"mlp{batch}"] = Workload(name, loss, params)

    X, labels = moons_data()
    tg.manual_seed(0)
    model = tg.nn.MLP([2, 32, 2])
    loss = mlp_loss(X, labels)
    _check_against_module(model, loss, X, labels, bce=False)
    found["moons"] = Workload(
        f"moons MLP 2-32-2, {len(X)} points, float32", loss, [p.data.copy() for p in model.parameters()]
    )

    X, y = logreg_data()
    params = logreg_initial(X.shape[1])
    model = tg.nn.Linear(X.shape[1], 1, dtype=np.float64)
    for p, value in zip(model.parameters(), params, strict=True):
        p.data[...] = value
    loss = logreg_loss(X, y)
    _check_against_module(model, loss, X, y, bce=True)
    found["logreg"] = Workload(f"logistic regression {X.shape[0]:,} x {X.shape[1]}, float64", loss, params)
    return found


# --------------------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------------------


def _check_same_product(w: Workload, leaves: list[tg.Tensor], vs: list[np.ndarray]) -> None:
    """``tg.hvp`` and ``HessianOperator`` compute the same Hv (and a nonzero one): a guard against timing a
    product that is not there."""
    _, by_hvp = tg.hvp(w.loss, tuple(leaves), tuple(vs))
    op = HessianOperator(w.loss(*leaves), leaves)
    by_op = op(np.concatenate([v.ravel() for v in vs]))
    flat = np.concatenate([np.asarray(h, np.float64).ravel() for h in by_hvp])
    scale = float(np.abs(flat).max())
    tol = 1e-3 if leaves[0].dtype == np.float32 else 1e-9
    if not (scale > 0 and np.allclose(flat, by_op, rtol=tol, atol=tol * scale)):
        raise AssertionError(f"{w.name}: tg.hvp and HessianOperator disagree (or Hv = 0); the timings would mislead")


def measure(w: Workload, repeats: int, warmup: int = 2) -> Result:
    """Median seconds of a gradient, a ``tg.hvp``, building a ``HessianOperator`` and one of its products."""
    leaves = [tg.Tensor(p, requires_grad=True) for p in w.params]
    rng = np.random.default_rng(0)
    vs = [rng.standard_normal(p.shape).astype(p.dtype) for p in w.params]
    v_flat = np.concatenate([v.ravel() for v in vs])
    _check_same_product(w, leaves, vs)
    op = HessianOperator(w.loss(*leaves), leaves)  # built once: the products below reuse its graph

    fns = {
        "gradient": lambda: tg.grad(w.loss(*leaves), leaves),
        "hvp": lambda: tg.hvp(w.loss, tuple(leaves), tuple(vs)),
        "build": lambda: HessianOperator(w.loss(*leaves), leaves),
        "product": lambda: op(v_flat),
    }
    t = interleaved_medians(fns, repeats, warmup=warmup)
    n_params = sum(p.size for p in w.params)
    return Result(w.name, n_params, t["gradient"], t["hvp"], t["build"], t["product"])


REPEATS = {"mlp32": 200, "mlp256": 60, "moons": 300, "logreg": 50}


def main(argv: list[str] | None = None) -> dict[str, Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats per workload (a smoke test; seconds)")
    parser.add_argument("--repeats", type=int, help="timed repeats per workload (default: 50-300 by workload)")
    parser.add_argument("--only", nargs="+", choices=sorted(REPEATS), help="run these workloads only")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads for numpy's BLAS (default 1; 0 keeps the library's default)"
    )
    parser.add_argument("--json", type=Path, help="also write the results (and the machine) as JSON here")
    args = parser.parse_args(argv)
    if args.threads > 0:
        set_threads(args.threads)

    every = workloads()
    names = [n for n in REPEATS if n in (args.only or REPEATS)]
    results: dict[str, Result] = {}
    header = f"{'workload':<44}{'params':>9}{'gradient':>10}{'tg.hvp':>9}{'op build':>10}{'op product':>12}"
    header += f"{'hvp/grad':>10}{'build/grad':>12}{'product/grad':>14}"
    info = machine_info()
    print("One Hessian-vector product against one gradient (forward + backward); milliseconds, medians")
    print(f"BLAS threads: {info['blas_threads']}; {info['cpu']} ({info['usable_cpus']} usable CPUs)")
    print(header)
    for name in names:
        repeats = args.repeats or (3 if args.quick else REPEATS[name])
        r = measure(every[name], repeats, warmup=1 if args.quick else 2)
        results[name] = r
        print(
            f"{r.name:<44}{r.n_params:>9,}{r.gradient * 1e3:>10.3f}{r.hvp * 1e3:>9.3f}{r.build * 1e3:>10.3f}"
            f"{r.product * 1e3:>12.3f}{r.hvp_ratio:>10.2f}{r.build_ratio:>12.2f}{r.product_ratio:>14.2f}"
        )
    print()
    print(THEORY)
    if args.json:
        rows = [
            {**asdict(r), "hvp_ratio": r.hvp_ratio, "build_ratio": r.build_ratio, "product_ratio": r.product_ratio}
            for r in results.values()
        ]
        assert all(math.isfinite(v) for row in rows for v in row.values() if isinstance(v, float))
        payload: dict[str, Any] = {
            "machine": info,
            "argv": sys.argv[1:] if argv is None else argv,
            "unit": "seconds",
            "rows": rows,
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return results


if __name__ == "__main__":
    main()
