r"""GD vs SGD vs mini-batch SGD: the same model on the same data, three seeds each, one comparison table.

    python examples/gd_vs_sgd.py [--n-samples 4000] [--seeds 0 1 2] [--out pictures/]

The problem is linear regression with correlated features, ``tg.data.make_quadratic``: the mean squared error
of ``Linear(d, 1, bias=False)`` on its data ``X, y`` has Hessian :math:`A` with condition number
:math:`\kappa = L/\mu = 50`, and its minimum (least squares) is known, so the tolerance is "within 5 % of the
best possible training loss". Three ways to spend gradient evaluations:

* **GD** (full batch), :math:`\eta = 1.9/L`: one exact gradient per step, N per-sample gradients each; the
  loss falls at every step, but it needs on the order of :math:`\kappa` steps.
* **SGD** (batch 1): one sample per step, N steps per epoch; a Robbins-Monro schedule
  (``InverseTimeLR``, :math:`\eta_t = \eta_0 / (1 + d\,t)`) shrinks its noise over time.
* **mini-batch SGD** (batch 32), :math:`\eta = 1/L`, constant: fast progress, then a noise floor.

Every run starts from the same initial weights for a given seed (``tg.manual_seed``), and the loaders shuffle
with that seed. The table reports, per configuration, mean +- std over seeds of the final training and
validation loss and R^2, the cost to reach the tolerance in *gradient evaluations* (samples seen: the fair
clock between GD and SGD) and in seconds (where vectorised full batches win back a lot), and the stability
(the std across seeds of the last epoch's loss).

With ``--out DIR`` (``main(out_dir=...)``) it also draws the comparison into ``DIR`` as PNG files (matplotlib):
``loss_curves.png`` (the loss of seed 0 of each configuration against gradient evaluations, SGD's noise faint
under a moving average), ``convergence.png`` (the gap to the least-squares loss against iterations, gradient
evaluations and wall time) and ``stability.png`` (the mean loss over the seeds with a band of +-1 std).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)

KAPPA = 50.0


def make_problem(n_samples: int, n_features: int, noise: float, seed: int = 0) -> tuple[tg.train.Problem, float, float]:
    """The regression problem with a 20 % validation split; returns it, the least-squares training loss and L."""
    q = tg.data.make_quadratic(d=n_features, condition_number=KAPPA, n_samples=n_samples, noise=noise, seed=seed)
    X_train, X_val, y_train, y_val = tg.data.train_test_split(q.X, q.y, test_size=0.2, seed=seed)
    w_ls, *_ = np.linalg.lstsq(X_train, y_train[:, 0], rcond=None)
    best_loss = float(np.mean((X_train @ w_ls - y_train[:, 0]) ** 2))
    problem = tg.train.Problem(
        model=lambda: tg.nn.Linear(n_features, 1, bias=False, dtype=np.float64),
        loss_fn=F.mse_loss,
        X=X_train,
        y=y_train,
        val_data=(X_val, y_val),
        metrics=["r2_score"],
        name=f"linear regression (kappa {KAPPA:g}), {len(X_train):,} training samples, {n_features} features",
    )
    return problem, best_loss, q.L


def configs(L: float, epochs_gd: int, epochs_sgd: int, epochs_minibatch: int) -> list[tg.train.Config]:
    return [
        tg.train.Config("GD (full batch)", lambda p: tg.optim.GD(p, lr=1.9 / L), batch_size=None, epochs=epochs_gd),
        tg.train.Config(
            "SGD (batch 1)",
            lambda p: tg.optim.SGD(p, lr=0.003),
            batch_size=1,
            epochs=epochs_sgd,
            scheduler=lambda opt: tg.optim.InverseTimeLR(opt, decay=5e-4),
            scheduler_interval="iteration",
        ),
        tg.train.Config(
            "mini-batch SGD (batch 32)", lambda p: tg.optim.SGD(p, lr=1.0 / L), batch_size=32, epochs=epochs_minibatch
        ),
    ]


def figures(result: tg.train.Comparison, best_loss: float) -> dict[str, Any]:
    """The pictures of a comparison: {file stem: matplotlib Figure}."""
    seed0 = {name: result[name][0] for name in result.configs}  # one run per configuration
    return {
        "loss_curves": tg.viz.plot_loss_curves(seed0, x="grad_evals", smooth=100, val=False, logx=True),
        "convergence": tg.viz.plot_convergence(seed0, best_loss, smooth=100, logx=True),
        "stability": tg.viz.plot_stability(result, x="grad_evals", smooth=100, logx=True),
    }


def save_figures(result: tg.train.Comparison, best_loss: float, out_dir: str | Path) -> list[Path]:
    """Write :func:`figures` as PNG files into ``out_dir`` (created if needed); return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, fig in figures(result, best_loss).items():
        path = out / f"{stem}.png"
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths


def main(
    n_samples: int = 4000,
    n_features: int = 10,
    noise: float = 0.5,
    seeds: Sequence[int] = (0, 1, 2),
    epochs_gd: int = 150,
    epochs_sgd: int = 2,
    epochs_minibatch: int = 10,
    tol_factor: float = 1.05,
    out_dir: str | Path | None = None,
) -> tg.train.Comparison:
    """Run the comparison, print the table and the headline, and return the Comparison; with ``out_dir``, also
    save the pictures there (:func:`save_figures`)."""
    problem, best_loss, L = make_problem(n_samples, n_features, noise)
    tol = tol_factor * best_loss
    result = tg.train.compare(configs(L, epochs_gd, epochs_sgd, epochs_minibatch), problem, seeds=seeds, tol=tol)
    result.print_summary()
    print(f"\nleast-squares training loss {best_loss:.4f}; tolerance {tol:.4f} ({tol_factor:g} x that)")
    gd, *others = result.summary
    for row in others:
        if row["grad_evals_to_tol"] is not None and gd["grad_evals_to_tol"] is not None:
            ratio = gd["grad_evals_to_tol"] / row["grad_evals_to_tol"]
            print(
                f"{row['config']}: {row['grad_evals_to_tol']:,.0f} gradient evaluations to the tolerance, "
                f"{ratio:.1f}x fewer than GD's {gd['grad_evals_to_tol']:,.0f}"
            )
    if out_dir is not None:
        for path in save_figures(result, best_loss, out_dir):
            print(f"wrote {path}")
    return result


def _parse_args() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--n-features", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs-gd", type=int, default=150)
    parser.add_argument("--epochs-sgd", type=int, default=2)
    parser.add_argument("--epochs-minibatch", type=int, default=10)
    parser.add_argument("--tol-factor", type=float, default=1.05)
    parser.add_argument("--out", dest="out_dir", default=None, help="save the pictures as PNG files in this folder")
    return vars(parser.parse_args())


if __name__ == "__main__":
    main(**_parse_args())
