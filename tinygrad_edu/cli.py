r"""The ``tinygrad-edu`` command (also ``python -m tinygrad_edu``).

Sub-commands:

* ``demo``: the main job. GD, mini-batch SGD and SGD train the same model on the same data over three
  seeds; prints the comparison table and writes the pictures (loss curves, convergence, stability,
  trajectories over the loss contours, GD's learning-rate bound 2/lambda_max measured from the Hessian, the
  computation graph).
* ``compare``: the same experiment runner on a data set and optimisers of your choice.
* ``graph``: draw the computation graph of an expression or of a named example model's loss. Expressions
  are read by :mod:`tinygrad_edu.expression` (numbers, names, ``+ - * / **``, calls of a fixed table of
  functions, nothing else): no Python is evaluated.
* ``gradcheck``: check the backward pass of every primitive op against finite differences.
* ``curvature``: the Hessian's extreme eigenvalues of a data set's model loss (lambda_max, lambda_min, the
  condition number and GD's learning-rate bound 2/lambda_max), at initialisation and optionally after
  training with GD.

Bad arguments print one line that names the option, the value and the fix, and exit with status 2; every
value is checked before any work starts (out-of-range numbers, NaN, duplicates in lists, an ``--out`` that
cannot be written).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import data, gradcheck, nn, optim, train, viz
from ._random import manual_seed
from .expression import FUNCTIONS, ExpressionError, Limits, parse_expression
from .nn import functional as F  # noqa: N812 (PyTorch users know F)
from .tensor import Tensor

DEFAULT_OUT = "tinygrad_edu_out"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``tinygrad-edu: error: ...`` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        if message.endswith("required: EXPR-or-example"):  # argparse took an expression such as -x*y for an option
            message += "; an expression that starts with '-' goes after '--': tinygrad-edu graph -- '-x*y'"
        option = re.fullmatch(r"argument (--[\w-]+): expected one argument", message)
        if option:  # argparse took a value such as -1,2 or -1e-3 for an option
            message += f"; give a value (one that starts with '-' is written {option.group(1)}=VALUE)"
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _UsageError(Exception):
    """A bad argument value found after parsing; reported like argparse's errors (one line, status 2)."""


# --------------------------------------------------------------------------------------------------------
# argument parsing helpers: each option's values are read and range-checked by its argparse ``type``, so a
# bad value is one line that names the option (argparse adds "argument --lr:"), the value and the fix
# --------------------------------------------------------------------------------------------------------

MAX_SAMPLES = 1_000_000  # generated data sets are held in memory: beyond this, a typo costs gigabytes


def _integer(text: str, what: str, low: int, high: int | None = None, example: str = "") -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read {text!r} as an integer; {what} is an integer{example}") from None
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise argparse.ArgumentTypeError(f"{value} is out of range: {what} must be {bound}{example}")
    return value


def _positive_number(text: str, what: str, example: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read {text!r} as a number; {what} is a number{example}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text.strip()} is out of range: {what} must be a finite number > 0{example}")
    return value


def _seed(text: str) -> int:
    return _integer(text, "a seed", 0, example=", such as 0")


def _learning_rate(text: str) -> float:
    return _positive_number(text, "a learning rate", ", such as 0.1")


def _batch_size(text: str) -> int | None:
    if text.strip().lower() in ("full", "none", "all"):
        return None
    return _integer(text, "a batch size", 1, example=" (or 'full' for the full batch), such as 32")


def _optimizer(text: str) -> str:
    name = text.strip().lower()
    if name not in OPTIMIZERS:
        raise argparse.ArgumentTypeError(f"unknown optimiser {text.strip()!r}; choose from {', '.join(OPTIMIZERS)}")
    return name


def _epochs(text: str) -> int:
    return _integer(text, "the number of epochs", 1, example=", such as 30")


def _training_epochs(text: str) -> int:
    return _integer(text, "the number of training epochs", 0, 100_000, example=", such as 50 (0: no training)")


def _tolerance(text: str) -> float:
    return _positive_number(text, "a loss tolerance", ", such as 0.3")


def _samples(low: int, why: str) -> Callable[[str], int]:
    def convert(text: str) -> int:
        return _integer(text, f"the number of samples{why}", low, MAX_SAMPLES)

    return convert


def _comma_list(convert: Callable[[str], Any], what: str, example: str) -> Callable[[str], list[Any]]:
    """An argparse ``type`` for a comma-separated list of distinct values, each read by ``convert``."""

    def read(text: str) -> list[Any]:
        items = [item for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {what}, got {text!r}; give {example}")
        values = [convert(item) for item in items]
        for i, value in enumerate(values):
            if value in values[:i]:
                shown = "full" if value is None else value
                raise argparse.ArgumentTypeError(f"{shown} is given twice in {text!r}; list each of the {what} once")
        return values

    read.__name__ = what  # argparse names the type in some of its own messages
    return read


def _writable_directory(option: str, path: str) -> Path:
    """Create ``path`` now, before minutes of training, so that a bad path fails at once."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _UsageError(
            f"{option}: cannot create the directory {path!r} ({_reason(err)}); give a directory you can write to"
        ) from None
    return out


def _reason(err: OSError) -> str:
    """What the operating system said, and about which path (it may be a parent of the one given)."""
    return f"{err.strerror or err}: {err.filename}" if err.filename else str(err.strerror or err)


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
                configs.append(train.Config(label, _with_lr(OPTIMIZERS[name], lr), batch_size=batch, epochs=epochs))
    return configs


def _with_lr(
    make: Callable[[list[Tensor], float], optim.Optimizer], lr: float
) -> Callable[[list[Tensor]], optim.Optimizer]:
    """``make`` with the learning rate fixed: ``optimizer(params)``, what a ``train.Config`` takes."""
    return lambda p: make(p, lr)


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


def _graph_file(root: Tensor, out: Path, stem: str, suffix: str = ".svg", **kwargs: Any) -> Path:
    """The graph as ``out/stem+suffix`` (the suffix picks the format: .svg .png .pdf .dot .gv), or as DOT text
    (with a note) when that format needs Graphviz's ``dot`` and it is not installed."""
    try:
        return Path(viz.save_graph(root, out / f"{stem}{suffix}", **kwargs))
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
    figures["lr_bound"] = _lr_bound_figure(problem)
    files = {name: _save_figure(fig, out / f"{name}.png") for name, fig in figures.items()}
    files["graph"] = _graph_file(_one_step_loss(problem), out, "graph", show_backward_order=True)
    print(f"\nwrote {len(files)} pictures to {out.resolve()} in {time.perf_counter() - start:.1f} s:")
    for path in files.values():
        print(f"  {path}")
    return files


def _lr_bound_figure(problem: train.Problem) -> Any:
    """GD's loss after 30 steps against the learning rate, with the bound 2/lambda_max that
    ``train.curvature`` measures on the demo's model: the runs diverge just past it."""
    manual_seed(0)
    c = train.curvature(problem.model(), problem.loss_fn, (problem.X, problem.y))
    print(f"measured by tg.train.curvature: lambda_max = {c.lambda_max:.6g}, kappa = {c.condition_number:.6g}")
    lrs = c.max_stable_lr * np.geomspace(0.05, 1.5, 25)
    losses = train.lr_sweep_losses(problem.model, problem.loss_fn, (problem.X, problem.y), lrs, steps=30)
    return viz.plot_lr_bound(lrs, losses, c.max_stable_lr, initial_loss=c.loss, title="GD after 30 steps")


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


def expression_loss(expression: str) -> Tensor:
    """Evaluate an expression such as ``tanh(x*w + b)`` in the expression language of
    :mod:`tinygrad_edu.expression`: every name that is not a function becomes a float64 scalar that requires
    grad (seeded values); operators ``+ - * / **``, unary minus; functions from ``expression.FUNCTIONS``.

    Raises ``_UsageError`` (one line) for anything outside the language or over its limits, and for an
    expression that depends on no variable (there would be nothing to differentiate).
    """
    try:
        parsed = parse_expression(expression)
    except ExpressionError as err:
        raise _UsageError(f"cannot draw {err}") from None
    if not parsed.variables:
        raise _UsageError(
            f"cannot draw {expression!r}: it does not depend on any variable; use a name, as in 'x**2 + 1'"
        )
    return parsed.evaluate()


# --------------------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    out = _writable_directory("--out", args.out)
    run_demo(out, seeds=args.seeds, n_samples=args.n_samples, progress=not args.no_progress)
    return 0


def _check_batch_sizes(batch_sizes: Sequence[int | None], problem: train.Problem, dataset: str) -> None:
    n_train = len(problem.X)
    too_large = [b for b in batch_sizes if b is not None and b > n_train]
    if too_large:
        raise _UsageError(
            f"--batch-size: {too_large[0]} is larger than the {n_train} training samples of {dataset}; "
            f"give at most {n_train}, or 'full'"
        )


def _cmd_compare(args: argparse.Namespace) -> int:
    configs = make_configs(args.optimizers, args.lr, args.batch_size, args.epochs)
    problem = make_problem(args.dataset, args.n_samples)
    _check_batch_sizes(args.batch_size, problem, args.dataset)
    out = _writable_directory("--out", args.out) if args.out is not None else None
    result = train.compare(
        configs, problem, seeds=args.seeds, tol=args.tol, progress=not (args.json or args.no_progress)
    )
    if args.json:
        print(json.dumps(json.loads(result.to_json()), indent=2))
    else:
        print(problem.name)
        result.print_summary()
    if out is not None:
        first = {name: result[name][0] for name in result.configs}
        written = [
            _save_figure(viz.plot_loss_curves(first, x="grad_evals", smooth=20), out / "loss_curves.png"),
            _save_figure(viz.plot_stability(result, x="grad_evals", smooth=20), out / "stability.png"),
        ]
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr if args.json else sys.stdout)
    return 0


GRAPH_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")


def _graph_out(text: str) -> Path:
    """The argparse ``type`` of ``graph --out``: a file name with a suffix we can write."""
    out = Path(text)
    if out.suffix.lower() not in GRAPH_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no graph file suffix; end it in .svg, .png, .pdf or .dot (.gv), as in graph.svg"
        )
    return out


def _cmd_graph(args: argparse.Namespace) -> int:
    target, out = args.target, args.out
    root = GRAPH_EXAMPLES[target]() if target in GRAPH_EXAMPLES else expression_loss(target)
    root.backward()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        path = _graph_file(root, out.parent, out.stem, out.suffix, show_backward_order=True)
    except OSError as err:
        raise _UsageError(
            f"--out: cannot write {str(out)!r} ({_reason(err)}); give a file name in a directory you can write to"
        ) from None
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


CURVATURE_METHODS = ("lanczos", "power", "exact")


def run_curvature(dataset: str, n_samples: int, seed: int, method: str, epochs: int) -> dict[str, Any]:
    """The curvature of ``dataset``'s model loss at initialisation (seeded) and, with ``epochs > 0``, after that
    many epochs of full-batch GD at the safe step 1/lambda_max (half the bound)."""
    problem = make_problem(dataset, n_samples, seed)
    manual_seed(seed)
    model = problem.model()
    data_pair = (problem.X, problem.y)
    start = train.curvature(model, problem.loss_fn, data_pair, method=method, seed=seed)
    report: dict[str, Any] = {"dataset": dataset, "problem": problem.name, "seed": seed, "initial": start.to_dict()}
    if epochs > 0:
        lr = 1.0 / start.lambda_max if start.lambda_max > 0 else 0.1
        opt = optim.GD(model.parameters(), lr=lr)
        history = train.fit(model, problem.loss_fn, opt, data_pair, epochs=epochs, progress=False)
        end = train.curvature(model, problem.loss_fn, data_pair, method=method, seed=seed)
        report["training"] = {"optimizer": "GD", "lr": lr, "epochs": epochs, "final_loss": float(history.loss[-1])}
        report["trained"] = end.to_dict()
    return report


def _print_curvature(report: dict[str, Any]) -> None:
    print(report["problem"])
    sections = [("at initialisation", report["initial"])]
    if "trained" in report:
        t = report["training"]
        sections.append((f"after {t['epochs']} epochs of full-batch GD at lr {t['lr']:.4g}", report["trained"]))
    for title, c in sections:
        kappa = c["condition_number"]
        print(f"\n{title} (loss {c['loss']:.6g}; {c['n_params']} parameters, {c['hvps']} Hessian-vector products):")
        print(f"  lambda_max = {c['lambda_max']:.6g}")
        print(f"  lambda_min = {c['lambda_min']:.6g}")
        print(f"  kappa      = {kappa:.6g}" + ("" if math.isfinite(kappa) else "  (the loss is not convex here)"))
        bound = c["max_stable_lr"]
        print(f"  lr bound   = 2/lambda_max = {bound:.6g}: GD with a larger learning rate is unstable at these weights")


def _finite_or_null(value: Any) -> Any:
    """JSON has no infinity: kappa and the lr bound are null where they are undefined (a Hessian that is not
    positive definite, or no positive curvature)."""
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cmd_curvature(args: argparse.Namespace) -> int:
    report = run_curvature(args.dataset, args.n_samples, args.seed, args.method, args.epochs)
    if args.json:
        print(json.dumps(_finite_or_null(report), indent=2))
    else:
        _print_curvature(report)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinygrad-edu", description="Learn, see and verify the mathematics of ML optimisation.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    seeds = _comma_list(_seed, "seeds", "integers >= 0 such as 0,1,2")

    p = sub.add_parser("demo", help="GD vs mini-batch SGD vs SGD over 3 seeds: table and pictures")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"directory for the pictures (default ./{DEFAULT_OUT})")
    p.add_argument("--seeds", type=seeds, default="0,1,2", help="comma-separated seeds >= 0 (default 0,1,2)")
    p.add_argument(
        "--n-samples",
        type=_samples(32, " of the demo (its mini-batch is 32)"),
        default="2000",
        help=f"training samples, 32 to {MAX_SAMPLES} (default 2000)",
    )
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
        "--optimizers",
        type=_comma_list(_optimizer, "optimisers", f"names from {','.join(OPTIMIZERS)} such as gd,sgd"),
        default="gd,sgd",
        help=f"comma-separated, from {','.join(OPTIMIZERS)} (default gd,sgd)",
    )
    p.add_argument(
        "--lr",
        type=_comma_list(_learning_rate, "learning rates", "numbers > 0 such as 0.1 or 0.01,0.1"),
        default="0.1",
        help="learning rate(s) > 0, comma-separated (default 0.1)",
    )
    p.add_argument(
        "--batch-size",
        type=_comma_list(_batch_size, "batch sizes", "integers >= 1 or 'full', such as 1,32,full"),
        default="32",
        help="batch size(s) for the stochastic optimisers: ints >= 1 or 'full' (default 32)",
    )
    p.add_argument("--epochs", type=_epochs, default="30", help="epochs per run, >= 1 (default 30)")
    p.add_argument("--seeds", type=seeds, default="0,1,2", help="comma-separated seeds >= 0 (default 0,1,2)")
    p.add_argument(
        "--n-samples",
        type=_samples(10, " of a generated data set"),
        default="1000",
        help=f"samples for the generated data sets, 10 to {MAX_SAMPLES} (default 1000)",
    )
    p.add_argument("--tol", type=_tolerance, default=None, help="loss tolerance > 0: report the cost to reach it")
    p.add_argument("--out", default=None, help="also write loss_curves.png and stability.png into this directory")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "graph",
        help="draw the computation graph of an expression or an example model's loss",
        description=f"TARGET is an example ({', '.join(GRAPH_EXAMPLES)}) or an expression such as 'tanh(x*w + b)' "
        "whose names become float64 scalars that require grad. The expression language: numbers, names, "
        f"+ - * / **, unary - and +, parentheses, and calls of {', '.join(FUNCTIONS)}; at most "
        f"{Limits().max_length} characters, {Limits().max_depth} levels of nesting and constant exponents "
        f"within ±{Limits().max_exponent:g}. Nothing else of Python (no attributes, strings, keywords, "
        "subscripts, lambdas). An expression that starts with '-' goes after '--': graph -- '-x*y'.",
    )
    p.add_argument("target", metavar="EXPR-or-example")
    p.add_argument(
        "--out",
        type=_graph_out,
        default="graph.svg",
        help="output file: .svg (default graph.svg), .png, .pdf (these need Graphviz) or .dot",
    )
    p.set_defaults(func=_cmd_graph)

    p = sub.add_parser("gradcheck", help="check every primitive op's backward against finite differences")
    p.add_argument("--seed", type=_seed, default="0", help="seed of the random inputs, >= 0 (default 0)")
    p.set_defaults(func=_cmd_gradcheck)

    p = sub.add_parser(
        "curvature",
        help="lambda_max, lambda_min, kappa and GD's lr bound 2/lambda_max of a data set's model",
        description="The extreme eigenvalues of the Hessian of the training loss (from Hessian-vector "
        "products), the condition number and the largest stable learning rate of gradient descent, for the "
        "model that compare trains on the data set; with --epochs, again after training with GD.",
    )
    p.add_argument("--dataset", default="moons", choices=DATASETS, help="data set (default moons)")
    p.add_argument("--method", default="lanczos", choices=CURVATURE_METHODS, help="eigen-solver (default lanczos)")
    p.add_argument(
        "--n-samples",
        type=_samples(10, " of a generated data set"),
        default="1000",
        help=f"samples for the generated data sets, 10 to {MAX_SAMPLES} (default 1000)",
    )
    p.add_argument("--seed", type=_seed, default="0", help="seed of the data and the weights, >= 0 (default 0)")
    p.add_argument(
        "--epochs",
        type=_training_epochs,
        default="0",
        help="also train this many epochs of full-batch GD at lr 1/lambda_max and measure again (default 0)",
    )
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.set_defaults(func=_cmd_curvature)
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
