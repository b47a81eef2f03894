"""Regenerate the pictures embedded in the docs (``docs/images/``).

Run from the repository root: ``python docs/make_pictures.py`` (all pictures) or ``python docs/make_pictures.py
graph_neuron`` (some). The graph pictures need Graphviz's ``dot`` program, the training pictures matplotlib.
Each picture is one function in ``PICTURES`` that writes one file; the pictures are small (SVGs for graphs,
PNGs under 150 KB for training), committed with the docs.
"""

import functools
import io
import runpy
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

import tinygrad_edu as tg

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
GRAPH_EXAMPLE = ROOT / "examples" / "visualize_graph.py"
GD_VS_SGD_EXAMPLE = ROOT / "examples" / "gd_vs_sgd.py"
DPI = 90  # the training pictures: sharp enough on a screen, small files


def _graph_example() -> dict:
    """The neuron and the MLP loss of examples/visualize_graph.py: the docs show what the example draws."""
    return runpy.run_path(str(GRAPH_EXAMPLE))


def graph_neuron(out: Path) -> Path:
    neuron = _graph_example()["neuron"]()
    return tg.viz.save_graph(neuron, out / "graph_neuron.svg", show_backward_order=True)


def graph_mlp(out: Path) -> Path:
    loss = _graph_example()["mlp_loss"]()
    return tg.viz.save_graph(loss, out / "graph_mlp.svg", rankdir="TB")  # tall rather than very wide


def graph_mlp_collapsed(out: Path) -> Path:
    loss = _graph_example()["mlp_loss"]()
    return tg.viz.save_graph(loss, out / "graph_mlp_collapsed.svg", collapse_modules=True)


# ---- training pictures (docs/visualization.md, "Training pictures": the code there draws the same) ----------


@functools.cache
def _gd_vs_sgd() -> dict:
    """examples/gd_vs_sgd.py with its default settings: its three pictures, as the example draws them."""
    example = runpy.run_path(str(GD_VS_SGD_EXAMPLE))
    result = example["main"]()
    _, best_loss, _ = example["make_problem"](4000, 10, 0.5)
    return example["figures"](result, best_loss)


def _save(fig, path: Path, dpi: int = DPI) -> Path:
    """Save as a PNG with a palette of 256 colours (Pillow comes with matplotlib): a third of the bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    Image.open(buffer).convert("RGB").quantize(colors=256).save(path, optimize=True)
    return path


def gd_vs_sgd_loss_curves(out: Path) -> Path:
    return _save(_gd_vs_sgd()["loss_curves"], out / "gd_vs_sgd_loss_curves.png")


def gd_vs_sgd_convergence(out: Path) -> Path:
    return _save(_gd_vs_sgd()["convergence"], out / "gd_vs_sgd_convergence.png")


def gd_vs_sgd_stability(out: Path) -> Path:
    return _save(_gd_vs_sgd()["stability"], out / "gd_vs_sgd_stability.png")


def trajectories_quadratic(out: Path) -> Path:
    F = tg.nn.functional
    q = tg.data.make_quadratic(d=2, condition_number=10.0, n_samples=200, noise=0.5, seed=0)
    start = q.w_star + np.array([2.0, -2.5])
    runs = {}
    for name, make, batch_size, epochs in (
        ("GD, η = 1.8/L", lambda p: tg.optim.GD(p, lr=1.8 / q.L), None, 25),
        ("momentum 0.5, η = 0.5/L", lambda p: tg.optim.SGD(p, lr=0.5 / q.L, momentum=0.5), None, 25),
        ("SGD, batch 10, η = 0.5/L", lambda p: tg.optim.SGD(p, lr=0.5 / q.L), 10, 2),
    ):
        model = tg.nn.Linear(2, 1, bias=False, dtype=np.float64)
        model.weight.data[0] = start  # the same starting point for all
        loader = tg.data.DataLoader(q.X, q.y, batch_size=batch_size, seed=0)
        runs[name] = tg.train.fit(model, F.mse_loss, make(model.parameters()), loader, epochs=epochs,
                                  record_params=True, progress=False)  # fmt: skip
    loss = lambda a, b: q.value(np.stack([a, b], axis=-1))  # noqa: E731
    fig = tg.viz.plot_trajectories(loss, runs, optimum=q.w_star)
    return _save(fig, out / "trajectories_quadratic.png")


def trajectories_rosenbrock(out: Path) -> Path:
    def rosenbrock(p):
        x, y = p[0], p[1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    optimisers = {
        "GD, η = 1e-3": lambda p: tg.optim.GD(p, lr=1e-3),
        "momentum 0.95, η = 5e-4": lambda p: tg.optim.SGD(p, lr=5e-4, momentum=0.95),
        "Adam, η = 0.02": lambda p: tg.optim.Adam(p, lr=0.02),
    }
    paths = {}
    for name, make in optimisers.items():
        p = tg.Tensor(np.array([-1.5, 2.0]), requires_grad=True)
        opt = make([p])
        points = [p.data.copy()]
        for _ in range(2000):
            opt.zero_grad()
            rosenbrock(p).backward()
            opt.step()
            points.append(p.data.copy())
        paths[name] = np.array(points)  # (2001, 2): one row (x, y) per step
    fig = tg.viz.plot_trajectories(lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, paths, optimum=(1, 1),
                                   xlim=(-2, 2), ylim=(-1, 3), levels=12)  # fmt: skip
    return _save(fig, out / "trajectories_rosenbrock.png")


def lr_sweep(out: Path) -> Path:
    F = tg.nn.functional
    q = tg.data.make_quadratic(d=2, condition_number=10.0, n_samples=200, noise=0.5, seed=0)
    sweep = {}
    for lr in np.geomspace(0.01, 3.0, 12) / q.L:  # from far too small to beyond the stability limit 2/L
        tg.manual_seed(0)
        model = tg.nn.Linear(2, 1, bias=False, dtype=np.float64)
        opt = tg.optim.GD(model.parameters(), lr=float(lr))
        sweep[float(lr)] = tg.train.fit(model, F.mse_loss, opt, tg.data.DataLoader(q.X, q.y), epochs=30,
                                        progress=False)  # fmt: skip
    fig = tg.viz.plot_lr_sweep(sweep, reference={"2/L": q.max_stable_lr})
    return _save(fig, out / "lr_sweep.png")


def parameter_updates(out: Path) -> Path:
    F = tg.nn.functional
    X, y, _ = tg.data.make_linear_regression(200, 3, noise=0.1, bias=0.5, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 1, dtype=np.float64)
    opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    h = tg.train.fit(model, F.mse_loss, opt, tg.data.DataLoader(X, y), epochs=80, record_params=True,
                     progress=False, name="Linear(3, 1), GD with momentum 0.9")  # fmt: skip
    return _save(tg.viz.plot_parameter_updates(h), out / "parameter_updates.png")


# ---- curvature pictures (docs/visualization.md, "Curvature": the code there draws the same) ----------------

CURVATURE_DPI = 100


def _rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def curvature_paths_rosenbrock(out: Path) -> Path:
    fig = tg.viz.plot_optimizer_paths(_rosenbrock, start=(-1.5, 2.0), steps=100, optimum=(1, 1), levels=15)
    return _save(fig, out / "curvature_paths_rosenbrock.png", dpi=CURVATURE_DPI)


def curvature_paths_quadratic(out: Path) -> Path:
    q = tg.data.make_quadratic(d=2, condition_number=50.0, seed=0)
    fig = tg.viz.plot_optimizer_paths(q.loss, q.w_star + np.array([2.0, -1.5]), steps=30, optimum=q.w_star,
                                      fn2d=lambda a, b: q.value(np.stack([a, b], axis=-1)))  # fmt: skip
    return _save(fig, out / "curvature_paths_quadratic.png", dpi=CURVATURE_DPI)


def _tanh_regression() -> tuple:
    X, y, _ = tg.data.make_linear_regression(200, 3, noise=0.1, seed=0)

    def make_model():
        return tg.nn.Sequential(tg.nn.Linear(3, 16, dtype=np.float64), tg.nn.Tanh(),
                                tg.nn.Linear(16, 1, dtype=np.float64))  # fmt: skip

    return X, y, make_model


def curvature_lr_bound(out: Path) -> Path:
    F = tg.nn.functional
    X, y, make_model = _tanh_regression()
    tg.manual_seed(0)
    model = make_model()
    c = tg.train.curvature(model, F.mse_loss, (X, y))
    with tg.no_grad():
        initial = F.mse_loss(model(tg.Tensor(X)), tg.Tensor(y)).item()
    lrs = np.geomspace(0.1, 3.0, 20) * c.max_stable_lr
    losses = tg.train.lr_sweep_losses(make_model, F.mse_loss, (X, y), lrs, steps=100, seed=0)
    fig = tg.viz.plot_lr_bound(lrs, losses, c.max_stable_lr, initial_loss=initial)
    return _save(fig, out / "curvature_lr_bound.png", dpi=CURVATURE_DPI)


def curvature_rate(out: Path) -> Path:
    kappas = np.geomspace(1.0, 1000.0, 13)
    rates = [tg.train.gd_rate(tg.data.make_quadratic(d=2, condition_number=k, seed=0), steps=100) for k in kappas]
    curves = {k: tg.train.gd_errors(tg.data.make_quadratic(d=10, condition_number=k, seed=0), steps=60)
              for k in (3.0, 10.0, 100.0)}  # fmt: skip
    fig = tg.viz.plot_rate_vs_condition(kappas, rates, curves=curves)
    return _save(fig, out / "curvature_rate.png", dpi=CURVATURE_DPI)


def curvature_spectrum(out: Path) -> Path:
    F = tg.nn.functional
    X, y = tg.data.make_moons(200, noise=0.1, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(2, 16, dtype=np.float64), tg.nn.Tanh(),
                             tg.nn.Linear(16, 2, dtype=np.float64))  # fmt: skip
    start = tg.train.curvature(model, F.cross_entropy, (X, y), method="exact")
    tg.train.fit(model, F.cross_entropy, tg.optim.GD(model.parameters(), lr=1.0), tg.data.DataLoader(X, y),
                 epochs=300, progress=False)  # fmt: skip
    end = tg.train.curvature(model, F.cross_entropy, (X, y), method="exact")
    fig = tg.viz.plot_hessian_spectrum({"at initialisation": start, "after 300 GD steps": end})
    return _save(fig, out / "curvature_spectrum.png", dpi=CURVATURE_DPI)


PICTURES: dict[str, Callable[[Path], Path]] = {
    "graph_neuron": graph_neuron,
    "graph_mlp": graph_mlp,
    "graph_mlp_collapsed": graph_mlp_collapsed,
    "gd_vs_sgd_loss_curves": gd_vs_sgd_loss_curves,
    "gd_vs_sgd_convergence": gd_vs_sgd_convergence,
    "gd_vs_sgd_stability": gd_vs_sgd_stability,
    "trajectories_quadratic": trajectories_quadratic,
    "trajectories_rosenbrock": trajectories_rosenbrock,
    "lr_sweep": lr_sweep,
    "parameter_updates": parameter_updates,
    "curvature_paths_rosenbrock": curvature_paths_rosenbrock,
    "curvature_paths_quadratic": curvature_paths_quadratic,
    "curvature_lr_bound": curvature_lr_bound,
    "curvature_rate": curvature_rate,
    "curvature_spectrum": curvature_spectrum,
}


def main(names: list[str] | None = None, out: Path = IMAGES) -> list[Path]:
    unknown = sorted(set(names or []) - set(PICTURES))
    if unknown:
        raise SystemExit(f"unknown picture(s) {unknown}; choose from {sorted(PICTURES)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(PICTURES):
        path = PICTURES[name](out)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size / 1024:.0f} KB")
        written.append(path)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
