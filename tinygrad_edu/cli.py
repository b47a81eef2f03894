r"""The ``tinygrad-edu`` command (also ``python -m tinygrad_edu``).

Sub-commands:

* ``demo``: the main job. GD, mini-batch SGD and SGD train the same model on the same data over three
  seeds; prints the comparison table and writes the pictures (loss curves, convergence, stability,
  trajectories over the loss contours, the computation graph).
* ``compare``: the same experiment runner on a data set and optimisers of your choice.
* ``graph``: draw the computation graph of an expression or of a named example model's loss.
* ``gradcheck``: check the backward pass of every primitive op against finite differences.

Bad arguments print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import numpy as np

from . import data, gradcheck, nn, optim, train, viz
from ._random import manual_seed
from .nn import functional as F  # noqa: N812 (PyTorch users know F)
from .tensor import Tensor

DEFAULT_OUT = "tinygrad_edu_out"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``tinygrad-edu: error: ...`` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _UsageError(Exception):
    """A bad argument value found after parsing; reported like argparse's errors (one line, status 2)."""


# --------------------------------------------------------------------------------------------------------
# argument parsing helpers
# --------------------------------------------------------------------------------------------------------


def _comma_list(text: str, convert: Callable[[str], Any], what: str) -> list[Any]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise _UsageError(f"{what}: expected a comma-separated list, got {text!r}")
    try:
        return [convert(item) for item in items]
    except ValueError:
        raise _UsageError(f"{what}: cannot read {text!r}") from None


def _batch_size(text: str) -> int | None:
    if text.lower() in ("full", "none", "all"):
        return None
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or not math.isfinite(value):
        raise ValueError(text)
    return value


# --------------------------------------------------------------------------------------------------------
# problems
# --------------------------------------------------------------------------------------------------------

CLASSIFICATION = ("moons", "circles", "spirals", "blobs", "iris")
DATASETS = (*CLASSIFICATION, "linear", "quadratic")


def _classification_data(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if name == "iris":
        X, y = data.load_iris()
        return X, y
    makers: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "moons": lambda: data.make_moons(n, noise=0.15, seed=seed),
        "circles": lambda: data.make_circles(n, noise=0.08, seed=seed),
        "spirals": lambda: data.make_spirals(n, n_classes=3, noise=0.1, seed=seed),
        "blobs": lambda: data.make_blobs(n, centers=3, seed=seed),
    }
    return makers[name]()


def make_problem(name: str, n_samples: int = 1000, seed: int = 0) -> train.Problem:
    """The named data set as a :class:`tinygrad_edu.train.Problem` (model, loss, 25 % validation split).

    Classification sets train an MLP with one hidden layer of 32 ReLU units and softmax cross-entropy;
    ``linear`` trains linear regression (MSE); ``quadratic`` is the demo's two-parameter least-squares problem.
    """
    if name in CLASSIFICATION:
        X, y = _classification_data(name, n_samples, seed)
        X_tr, X_val, y_tr, y_val = data.train_test_split(X, y, test_size=0.25, seed=seed)
        X_tr, X_val = (x.astype(np.float32) for x in data.standardize(X_tr, X_val))
        n_classes = int(np.max(y)) + 1
        sizes = [X.shape[1], 32, n_classes]
        return train.Problem(
            model=lambda: nn.MLP(sizes),
            loss_fn=F.cross_entropy,
            X=X_tr,
            y=y_tr,
            val_data=(X_val, y_val),
            metrics=["accuracy"],
            name=f"{name}: MLP {'-'.join(map(str, sizes))}, {len(X_tr)} training samples",
        )
    if name == "linear":
        X, y, _ = data.make_linear_regression(n_samples, n_features=5, noise=0.3, seed=seed)
        X_tr, X_val, y_tr, y_val = data.train_test_split(X, y, test_size=0.25, seed=seed)
        return train.Problem(
            model=lambda: nn.Linear(X.shape[1], 1, dtype=np.float64),
            loss_fn=F.mse_loss,
            X=X_tr,
            y=y_tr.reshape(-1, 1),
            val_data=(X_val, y_val.reshape(-1, 1)),
            metrics=["r2_score"],
            name=f"linear regression, {X.shape[1]} features, {len(X_tr)} training samples",
        )
    if name == "quadratic":
        return quadratic_problem(n_samples, seed)[0]
    raise _UsageError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")


def quadratic_problem(n_samples: int, seed: int = 0, kappa: float = 10.0) -> tuple[train.Problem, data.Quadratic]:
    """Least squares with two weights and condition number ``kappa``: small enough to draw the loss surface."""
    q = data.make_quadratic(d=2, condition_number=kappa, n_samples=n_samples, noise=1.0, seed=seed)
    problem = train.Problem(
        model=lambda: _StartAway(q),
        loss_fn=F.mse_loss,
        X=q.X,
        y=q.y,
        name=f"least squares in two weights (condition number {kappa:g}), {n_samples} samples",
    )
    return problem, q


class _StartAway(nn.Module):
    """``y = x w^T`` with ``w`` starting at a seeded point on a circle of radius 3 around the optimum, so
    that every run has a visible path over the contours."""

    def __init__(self, q: data.Quadratic) -> None:
        super().__init__()
        angle = float(Tensor.uniform(1, low=0.0, high=2 * np.pi).item())
        start = q.w_star + 3.0 * np.array([np.cos(angle), np.sin(angle)])
        self.weight = Tensor(start.reshape(1, 2), requires_grad=True)

    def forward(self, x: Any) -> Tensor:
        return x @ self.weight.T


OPTIMIZERS: dict[str, Callable[[list[Tensor], float], optim.Optimizer]] = {
    "gd": lambda p, lr: optim.GD(p, lr=lr),
    "sgd": lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda p, lr: optim.Adam(p, lr=lr),
    "adamw": lambda p, lr: optim.AdamW(p, lr=lr),
    "rmsprop": lambda p, lr: optim.RMSprop(p, lr=lr),
    "adagrad": lambda p, lr: optim.Adagrad(p, lr=lr),
}


def make_configs(
    optimizers: Sequence[str], lrs: Sequence[float], batch_sizes: Sequence[int | None], epochs: int
) -> list[train.Config]:
    """One configuration per optimiser, learning rate and batch size. ``gd`` always uses the full batch
    (that is what distinguishes it from SGD); the others run at every batch size given."""
    configs = []
    for name in optimizers:
        if name not in OPTIMIZERS:
            raise _UsageError(f"unknown optimiser {name!r}; choose from {', '.join(OPTIMIZERS)}")
        for lr in lrs:
            for batch in [None] if name == "gd" else batch_sizes:
                batch_text = "full batch" if batch is None else f"batch {batch}"
                label = f"{name.upper() if name in ('gd', 'sgd') else name} ({batch_text}"
                label += f", lr {lr:g})" if len(lrs) > 1 else ")"
                configs.append(
                    train.Config(label, lambda p, f=OPTIMIZERS[name], lr=lr: f(p, lr), batch_size=batch, epochs=epochs)
                )
    return configs


# --------------------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------------------


def demo_configs(L: float, n_samples: int) -> list[train.Config]:
    """GD with a step of 1/L; mini-batch SGD (32) with the same constant step; SGD (batch 1) with a
    Robbins-Monro schedule: the same budget of five passes over the data for the two stochastic ones."""
    return [
        train.Config("GD (full batch)", lambda p: optim.GD(p, lr=1.0 / L), batch_size=None, epochs=60),
        train.Config("mini-batch SGD (32)", lambda p: optim.SGD(p, lr=1.0 / L), batch_size=32, epochs=5),
        train.Config(
            "SGD (batch 1)",
            lambda p: optim.SGD(p, lr=0.5 / L),
            batch_size=1,
            epochs=5,
            scheduler=lambda o: optim.InverseTimeLR(o, decay=20.0 / n_samples),
            scheduler_interval="iteration",
        ),
    ]


def _save_figure(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    return path


def _graph_file(root: Tensor, out: Path, stem: str, **kwargs: Any) -> Path:
    """The graph as SVG, or as DOT text (with a note) when Graphviz's ``dot`` is not installed."""
    try:
        return Path(viz.save_graph(root, out / f"{stem}.svg", **kwargs))
    except viz.GraphvizNotFoundError:
        path = Path(viz.save_graph(root, out / f"{stem}.dot", **kwargs))
        print(
            f"note: Graphviz's `dot` is not installed, so the graph is written as DOT text ({path.name}). "
            f"{viz.INSTALL_HINT}"
        )
        return path


def run_demo(
    out_dir: str | Path = DEFAULT_OUT, seeds: Sequence[int] = (0, 1, 2), n_samples: int = 2000, progress: bool = True
) -> dict[str, Path]:
    """Run the demo and write its pictures into ``out_dir``; return {picture name: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problem, q = quadratic_problem(n_samples)
    print(f"tinygrad_edu demo: GD vs mini-batch SGD vs SGD on {problem.name}, seeds {list(seeds)}")
    print(f"L = {q.L:g} (GD is stable for lr < 2/L = {2 / q.L:g}), optimum loss = {q.residual:.4f}\n")
    start = time.perf_counter()
    result = train.compare(
        demo_configs(q.L, n_samples), problem, seeds=seeds, tol=q.residual + 0.01, record_params=True, progress=progress
    )
    print()
    result.print_summary()
    first = {name: result[name][0] for name in result.configs}  # one run (the first seed) per configuration

    def surface(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
        """The training MSE on a grid of weights: f(w) - f* + r, the quadratic form of the data."""
        d1, d2 = w1 - q.w_star[0], w2 - q.w_star[1]
        A = q.A
        return 0.5 * (A[0, 0] * d1 * d1 + 2 * A[0, 1] * d1 * d2 + A[1, 1] * d2 * d2) + q.residual

    figures = {
        "loss_curves": viz.plot_loss_curves(first, x="grad_evals", smooth=50, logx=True),
        "convergence": viz.plot_convergence(first, q.residual, smooth=50, logx=True),
        "stability": viz.plot_stability(result, x="grad_evals", smooth=50, logx=True),
        "trajectories": viz.plot_trajectories(surface, first, params="weight", optimum=q.w_star),
    }
    files = {name: _save_figure(fig, out / f"{name}.png") for name, fig in figures.items()}
    files["graph"] = _graph_file(_one_step_loss(problem), out, "graph", show_backward_order=True)
    print(f"\nwrote {len(files)} pictures to {out.resolve()} in {time.perf_counter() - start:.1f} s:")
    for path in files.values():
        print(f"  {path}")
    return files


def _one_step_loss(problem: train.Problem) -> Tensor:
    """The loss of the demo's model on four samples, after backward: the graph that training repeats."""
    manual_seed(0)
    model = problem.model()
    model.weight.name = "weight"
    x = Tensor(np.asarray(problem.X)[:4], name="x (4 samples)")
    target = Tensor(np.asarray(problem.y)[:4], name="y")
    loss = ((model(x) - target) ** 2).mean()
    loss.backward()
    return loss


# --------------------------------------------------------------------------------------------------------
# graph
# --------------------------------------------------------------------------------------------------------


def _example_neuron() -> Tensor:
    """micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b)."""
    x1, x2 = Tensor(2.0, requires_grad=True, name="x1"), Tensor(0.0, requires_grad=True, name="x2")
    w1, w2 = Tensor(-3.0, requires_grad=True, name="w1"), Tensor(1.0, requires_grad=True, name="w2")
    b = Tensor(6.8813735870195432, requires_grad=True, name="b")
    return (x1 * w1 + x2 * w2 + b).tanh()


def _example_model(kind: str) -> Tensor:
    manual_seed(0)
    if kind == "linear":
        X, y, _ = data.make_linear_regression(8, n_features=3, noise=0.1, seed=0)
        model: nn.Module = nn.Linear(3, 1, dtype=np.float64)
        return F.mse_loss(model(X), y.reshape(-1, 1))
    if kind == "logistic":
        X, y = data.make_blobs(8, centers=2, seed=0)
        model = nn.Linear(2, 1, dtype=np.float64)
        return F.binary_cross_entropy_with_logits(model(X), y.reshape(-1, 1).astype(np.float64))
    X, y = data.make_moons(8, noise=0.1, seed=0)
    model = nn.MLP([2, 8, 2])
    return F.cross_entropy(model(X), y)


GRAPH_EXAMPLES: dict[str, Callable[[], Tensor]] = {
    "neuron": _example_neuron,
    "linear": lambda: _example_model("linear"),
    "logistic": lambda: _example_model("logistic"),
    "mlp": lambda: _example_model("mlp"),
}


class _Variables(dict):
    """Names in an expression: known functions, or new scalar leaves (seeded values) that require grad."""

    FUNCTIONS: ClassVar[dict[str, Any]] = {
        name: getattr(Tensor, name)
        for name in ("exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "maximum", "minimum")
    }

    def __init__(self) -> None:
        super().__init__(self.FUNCTIONS)
        self.rng = np.random.default_rng(0)

    def __missing__(self, name: str) -> Tensor:
        if not name.isidentifier() or name.startswith("_"):
            raise KeyError(name)
        value = Tensor(round(float(self.rng.uniform(-2, 2)), 2), dtype=np.float64, requires_grad=True, name=name)
        self[name] = value
        return value


def expression_loss(expression: str) -> Tensor:
    """Evaluate an arithmetic expression such as ``tanh(x*w + b)``: every unknown name becomes a scalar
    that requires grad; functions: exp log sqrt abs relu sigmoid tanh maximum minimum; operators + - * / **."""
    allowed = set(string.ascii_letters + string.digits + "_+-*/().,@ ")
    if "__" in expression:
        raise _UsageError(f"cannot draw {expression!r}: names with double underscores are not allowed")
    if not expression.strip() or set(expression) - allowed:
        bad = "".join(sorted(set(expression) - allowed)) or "an empty expression"
        raise _UsageError(
            f"cannot draw {expression!r}: only names, numbers, + - * / ** ( ) and , are allowed (got {bad})"
        )
    try:
        result = eval(expression, {"__builtins__": {}}, _Variables())  # restricted characters and names
    except Exception as err:
        raise _UsageError(f"cannot evaluate {expression!r}: {err}") from None
    if not isinstance(result, Tensor) or not result.requires_grad:
        raise _UsageError(f"{expression!r} does not depend on any variable")
    return result if result.size == 1 else result.sum()


# --------------------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    seeds = _comma_list(args.seeds, int, "--seeds")
    run_demo(args.out, seeds=seeds, n_samples=args.n_samples, progress=not args.no_progress)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    optimizers = _comma_list(args.optimizers, str.lower, "--optimizers")
    lrs = _comma_list(args.lr, _positive_float, "--lr")
    batch_sizes = _comma_list(args.batch_size, _batch_size, "--batch-size")
    seeds = _comma_list(args.seeds, int, "--seeds")
    if args.epochs < 1:
        raise _UsageError(f"--epochs must be >= 1, got {args.epochs}")
    configs = make_configs(optimizers, lrs, batch_sizes, args.epochs)
    problem = make_problem(args.dataset, args.n_samples)
    result = train.compare(configs, problem, seeds=seeds, tol=args.tol, progress=not (args.json or args.no_progress))
    if args.json:
        print(json.dumps(json.loads(result.to_json()), indent=2))
    else:
        print(problem.name)
        result.print_summary()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        first = {name: result[name][0] for name in result.configs}
        written = [
            _save_figure(viz.plot_loss_curves(first, x="grad_evals", smooth=20), out / "loss_curves.png"),
            _save_figure(viz.plot_stability(result, x="grad_evals", smooth=20), out / "stability.png"),
        ]
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr if args.json else sys.stdout)
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    target = args.target
    root = GRAPH_EXAMPLES[target]() if target in GRAPH_EXAMPLES else expression_loss(target)
    if not root.requires_grad:
        raise _UsageError(f"{target!r} does not depend on anything that requires grad")
    root.backward()
    out = Path(args.out) if args.out else Path("graph.svg")
    if out.suffix.lower() not in (".svg", ".png", ".pdf", ".dot", ".gv"):
        raise _UsageError(f"--out must end in .svg, .png, .pdf or .dot, got {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".dot", ".gv"):
        path = viz.save_graph(root, out, show_backward_order=True)
    else:
        path = _graph_file(root, out.parent, out.stem, show_backward_order=True, format=out.suffix[1:].lower())
    print(f"wrote {path}")
    return 0


def _cmd_gradcheck(args: argparse.Namespace) -> int:
    results = gradcheck.check_primitives(seed=args.seed)
    width = max(len(r.expression) for r in results)
    print(f"{'op':<30}{'checked expression':<{width + 2}}{'max abs err':>12}{'max rel err':>12}  result")
    for r in results:
        verdict = "ok" if r.passed else "FAIL"
        print(f"{r.op:<30}{r.expression:<{width + 2}}{r.max_abs_error:>12.2e}{r.max_rel_error:>12.2e}  {verdict}")
    failed = [r.op for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinygrad-edu", description="Learn, see and verify the mathematics of ML optimisation.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("demo", help="GD vs mini-batch SGD vs SGD over 3 seeds: table and pictures")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"directory for the pictures (default ./{DEFAULT_OUT})")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--n-samples", type=int, default=2000, help="training samples (default 2000)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "compare",
        help="run optimisers / batch sizes / learning rates over seeds on a data set",
        description="One configuration per optimiser x learning rate x batch size (gd always uses the full "
        "batch). Prints mean +- std over seeds of the final losses and metrics, and the stability.",
    )
    p.add_argument("--dataset", default="moons", choices=DATASETS, help="data set (default moons)")
    p.add_argument(
        "--optimizers", default="gd,sgd", help=f"comma-separated, from {','.join(OPTIMIZERS)} (default gd,sgd)"
    )
    p.add_argument("--lr", default="0.1", help="learning rate(s), comma-separated (default 0.1)")
    p.add_argument(
        "--batch-size", default="32", help="batch size(s) for the stochastic optimisers: ints or 'full' (default 32)"
    )
    p.add_argument("--epochs", type=int, default=30, help="epochs per run (default 30)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--n-samples", type=int, default=1000, help="samples for the generated data sets (default 1000)")
    p.add_argument("--tol", type=float, default=None, help="loss tolerance: report the cost to reach it")
    p.add_argument("--out", default=None, help="also write loss_curves.png and stability.png into this directory")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "graph",
        help="draw the computation graph of an expression or an example model's loss",
        description=f"TARGET is an example ({', '.join(GRAPH_EXAMPLES)}) or an expression such as 'tanh(x*w + b)' "
        "whose names become scalars that require grad.",
    )
    p.add_argument("target", metavar="EXPR-or-example")
    p.add_argument("--out", default=None, help="output file: .svg (default graph.svg), .png, .pdf or .dot")
    p.set_defaults(func=_cmd_graph)

    p = sub.add_parser("gradcheck", help="check every primitive op's backward against finite differences")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.set_defaults(func=_cmd_gradcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 1 failed check, 2 bad arguments)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except _UsageError as err:
        print(f"tinygrad-edu {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
