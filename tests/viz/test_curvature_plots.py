"""tinygrad_edu.viz.curvature: optimiser paths, the learning-rate bound, the rate against kappa, Hessian spectra.

The paths are checked for where they go (the start, Newton's one step to a quadratic's minimum, GD downhill on
Rosenbrock, one row per step); each figure for the data its lines, markers and texts carry; bad input for its
message.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.viz import curvature as vc

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rosenbrock_np(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@pytest.fixture(scope="module")
def q():
    return tg.data.make_quadratic(d=2, condition_number=20.0, seed=0)


def labelled(axis) -> dict:
    return {line.get_label(): line for line in axis.get_lines() if not line.get_label().startswith("_")}


def legend_texts(fig: Figure) -> list[str]:
    legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend() is not None)]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def test_importing_the_names_imports_no_matplotlib():
    code = (
        "import sys, tinygrad_edu as tg\n"
        "f = tg.viz.plot_lr_bound, tg.viz.plot_hessian_spectrum, tg.viz.optimizer_paths, tg.train.gd_rate\n"
        "assert 'matplotlib' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


# --------------------------------------------------------------------------------------------------------
# optimizer_paths
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rosenbrock_paths():
    return tg.viz.optimizer_paths(rosenbrock, (-1.5, 2.0), steps=40)


def test_default_paths_start_at_start_with_one_row_per_step(rosenbrock_paths):
    assert len(rosenbrock_paths) == 5
    for path in rosenbrock_paths.values():
        assert path.shape == (41, 2)
        np.testing.assert_array_equal(path[0], [-1.5, 2.0])


def test_default_learning_rates_are_one_over_lambda_max_at_the_start(rosenbrock_paths):
    H = np.array([[1902.0, 600.0], [600.0, 200.0]])  # Rosenbrock's Hessian at (-1.5, 2)
    lr = 1 / np.linalg.eigvalsh(H).max()
    labels = list(rosenbrock_paths)
    assert labels[:3] == [f"GD, η = 1/λmax = {lr:.2g}", f"momentum 0.9, η = 1/λmax = {lr:.2g}",
                          f"Nesterov 0.9, η = 1/λmax = {lr:.2g}"]  # fmt: skip
    assert labels[3:] == ["Newton (Armijo)", "L-BFGS (strong Wolfe)"]
    gd = rosenbrock_paths[labels[0]]
    g = np.array([2 * (-1.5 - 1) - 400 * -1.5 * (2.0 - 2.25), 200 * (2.0 - 2.25)])  # the gradient at the start
    np.testing.assert_allclose(gd[1], gd[0] - lr * g, rtol=1e-12)
    np.testing.assert_allclose(rosenbrock_paths[labels[1]][1], gd[1], rtol=1e-12)  # momentum's first step is GD's


def test_gd_moves_downhill_and_second_order_methods_reach_the_minimum(rosenbrock_paths):
    values = {name: rosenbrock_np(path[:, 0], path[:, 1]) for name, path in rosenbrock_paths.items()}
    gd = next(v for name, v in values.items() if name.startswith("GD"))
    assert gd[1] < gd[0] and np.all(np.diff(gd) <= 1e-12)  # below 1/lambda_max, every GD step goes down here
    assert values["Newton (Armijo)"][-1] < 1e-20
    assert values["L-BFGS (strong Wolfe)"][-1] < 1e-6
    assert gd[-1] > 1.0  # GD is still crawling along the valley after 40 steps


def test_newton_reaches_a_quadratics_minimum_in_one_step(q):
    start = q.w_star + np.array([3.0, -2.0])
    paths = tg.viz.optimizer_paths(q.loss, start, {"Newton": lambda p: tg.optim.Newton(p)}, steps=3)
    np.testing.assert_allclose(paths["Newton"][1], q.w_star, atol=1e-12)
    np.testing.assert_allclose(paths["Newton"][-1], q.w_star, atol=1e-12)


def test_lbfgs_finds_a_two_dimensional_quadratics_minimum_in_a_few_steps(q):
    start = q.w_star + np.array([3.0, -2.0])
    paths = tg.viz.optimizer_paths(q.loss, start, steps=8)
    lbfgs = paths["L-BFGS (strong Wolfe)"]
    assert np.linalg.norm(lbfgs[1] - q.w_star) < np.linalg.norm(start - q.w_star)  # it moves (max_eval=25)
    assert np.linalg.norm(lbfgs[-1] - q.w_star) < 1e-6


def test_closure_optimisers_and_plain_ones_are_each_stepped_once_per_recorded_point(q):
    calls = {"GD": 0, "armijo": 0}

    def counted(label, fn):
        def wrapped(p):
            calls[label] += 1
            return fn(p)

        return wrapped

    start = q.w_star + np.array([1.0, 1.0])
    plain = tg.viz.optimizer_paths(counted("GD", q.loss), start, {"GD": lambda p: tg.optim.GD(p, lr=0.01)}, steps=5)
    armijo = tg.viz.optimizer_paths(counted("armijo", q.loss), start,
                                    {"A": lambda p: tg.optim.GD(p, lr=1.0, line_search="armijo")}, steps=5)  # fmt: skip
    assert plain["GD"].shape == (6, 2) and calls["GD"] == 5  # one evaluation per step
    assert armijo["A"].shape == (6, 2) and calls["armijo"] > 5  # trial points are evaluated, not recorded
    w = start.copy()
    for _ in range(5):
        w = w - 0.01 * q.grad(w)
    np.testing.assert_allclose(plain["GD"][-1], w, rtol=1e-12)


def test_a_diverging_path_ends_at_its_first_non_finite_point(q):
    with np.errstate(all="ignore"):
        paths = tg.viz.optimizer_paths(q.loss, [1.0, 1.0], {"GD": lambda p: tg.optim.GD(p, lr=1e250)}, steps=50)
    path = paths["GD"]
    assert len(path) < 51
    assert np.all(np.isfinite(path[:-1])) and not np.all(np.isfinite(path[-1]))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("loss", (0.0, 0.0)), {}, TypeError, "fn must be a function of one Tensor"),
        ((rosenbrock, [[0.0, 0.0]]), {}, ValueError, r"start must have shape \(d,\)"),
        ((rosenbrock, [0.0, np.nan]), {}, ValueError, "start must be finite"),
        ((rosenbrock, (0.0, 0.0)), {"optimizers": {}}, ValueError, "optimizers is empty"),
        ((rosenbrock, (0.0, 0.0)), {"optimizers": [1]}, TypeError, "optimizers must be a dict label -> factory"),
        ((rosenbrock, (0.0, 0.0)), {"optimizers": {"GD": 0.1}}, TypeError, r"optimizers\['GD'\] must be a factory"),
        ((rosenbrock, (0.0, 0.0)), {"optimizers": {"GD": lambda p: p}}, TypeError, "must return a tg.optim optimizer"),
        ((rosenbrock, (0.0, 0.0)), {"steps": 0}, ValueError, "steps must be a positive int, got steps=0"),
        ((lambda p: p * 2, (0.0, 0.0)), {}, TypeError, r"one-element Tensor .*got a Tensor of shape \(2,\)"),
        ((lambda p: (p * 0).sum(), (0.0, 0.0)), {}, ValueError, "Hessian of fn at the start is zero"),
    ],
)
def test_optimizer_paths_bad_input_is_named(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        tg.viz.optimizer_paths(*args, **kwargs)


# --------------------------------------------------------------------------------------------------------
# plot_optimizer_paths
# --------------------------------------------------------------------------------------------------------


def test_the_contours_come_from_fn_vectorised_when_possible_pointwise_otherwise(q):
    X, Y = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4))
    grid, vectorised = vc._grid_function(rosenbrock, (3, 4))
    assert vectorised
    np.testing.assert_allclose(grid(X, Y), rosenbrock_np(X, Y), rtol=1e-12)
    grid, vectorised = vc._grid_function(q.loss, (3, 4))  # q.loss needs exactly d elements
    assert not vectorised
    np.testing.assert_allclose(grid(X, Y), q.value(np.stack([X, Y], axis=-1)), rtol=1e-12, atol=1e-12)


def test_plot_optimizer_paths_draws_each_path_labelled_with_its_final_loss(q):
    start = q.w_star + np.array([2.0, -1.5])
    optimizers = {"GD": lambda p: tg.optim.GD(p, lr=1.0 / q.L), "Newton": lambda p: tg.optim.Newton(p)}
    fn2d = lambda a, b: q.value(np.stack([a, b], axis=-1))  # noqa: E731
    fig = tg.viz.plot_optimizer_paths(q.loss, start, optimizers, steps=6, fn2d=fn2d, optimum=q.w_star)
    assert isinstance(fig, Figure)
    axis = fig.axes[0]
    lines = labelled(axis)
    paths = tg.viz.optimizer_paths(q.loss, start, optimizers, steps=6)
    f_gd = float(q.value(paths["GD"][-1]))
    gd_label = f"GD: f = {f_gd:.3g} (6 steps)"
    newton_label = f"Newton: f = {q.f_star:.3g} (6 steps)"
    assert set(lines) == {gd_label, newton_label}
    np.testing.assert_allclose(np.c_[lines[gd_label].get_xdata(), lines[gd_label].get_ydata()], paths["GD"])
    np.testing.assert_allclose(lines[newton_label].get_xydata()[1], q.w_star, atol=1e-12)
    assert len(axis.collections) >= 1  # the contour lines
    assert axis.get_title() == "Optimiser paths from one start over the loss contours"


def test_plot_optimizer_paths_derives_the_contours_and_takes_axes():
    fig, axis = plt.subplots()
    try:
        out = tg.viz.plot_optimizer_paths(rosenbrock, (-1.0, 1.5), {"GD": lambda p: tg.optim.GD(p, lr=1e-3)},
                                          steps=3, resolution=30, ax=axis, title="mine")  # fmt: skip
        assert out is fig and axis.get_title() == "mine"
        assert any(label.startswith("GD: f = ") for label in legend_texts(fig))
    finally:
        plt.close(fig)


def test_plot_optimizer_paths_needs_a_two_dimensional_start():
    with pytest.raises(ValueError, match=r"start must have shape \(2,\), a point on the contour plot"):
        tg.viz.plot_optimizer_paths(lambda p: (p * p).sum(), (1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="fn2d must be None or a function"):
        tg.viz.plot_optimizer_paths(rosenbrock, (1.0, 2.0), fn2d=3)
    with pytest.raises(ValueError, match="resolution must be None or an int >= 2"):
        tg.viz.plot_optimizer_paths(rosenbrock, (1.0, 2.0), resolution=1)


# --------------------------------------------------------------------------------------------------------
# plot_lr_bound
# --------------------------------------------------------------------------------------------------------


def test_plot_lr_bound_draws_losses_diverged_runs_the_bound_and_the_unstable_region(tmp_path):
    lrs = [0.04, 0.01, 0.02, 0.03, 0.05, 0.06]  # unsorted on purpose
    losses = [np.nan, 0.5, 0.1, 0.02, 200.0, np.inf]
    fig = tg.viz.plot_lr_bound(lrs, losses, max_stable_lr=0.04, initial_loss=10.0)
    axis = fig.axes[0]
    assert axis.get_xscale() == "log" and axis.get_yscale() == "log"
    lines = labelled(axis)
    converged = lines["loss after the GD steps"]
    np.testing.assert_array_equal(converged.get_xdata(), [0.01, 0.02, 0.03])
    np.testing.assert_array_equal(converged.get_ydata(), [0.5, 0.1, 0.02])
    crosses = lines["diverged"]  # nan, inf, and 200 > the initial loss 10
    np.testing.assert_array_equal(crosses.get_xdata(), [0.04, 0.05, 0.06])
    np.testing.assert_array_equal(crosses.get_ydata(), [0.95, 0.95, 0.95])  # the top of the axes
    assert crosses.get_marker() == "X" and crosses.get_clip_on() is False
    bound = lines["2/λmax = 0.04 (measured)"]
    np.testing.assert_array_equal(bound.get_xdata(), [0.04, 0.04])
    assert np.ptp(lines["initial loss = 10"].get_ydata()) == 0 and lines["initial loss = 10"].get_ydata()[0] == 10
    shaded = [p for p in axis.patches if p.get_label() == "η > 2/λmax: unstable"]
    assert len(shaded) == 1
    assert shaded[0].get_path().transformed(shaded[0].get_patch_transform()).vertices[:, 0].min() == 0.04
    assert any(t.get_text() == "2/λmax = 0.04" for t in axis.texts)
    assert "diverged (drawn at the top)" in legend_texts(fig)
    fig.savefig(tmp_path / "bound.png", dpi=50)
    assert (tmp_path / "bound.png").read_bytes().startswith(PNG)


def test_plot_lr_bound_with_every_run_diverged_says_so():
    fig = tg.viz.plot_lr_bound([0.1, 0.2], [np.inf, np.nan], 0.05)
    assert [t.get_text() for t in fig.axes[0].texts if "diverged" in t.get_text()] == ["every run diverged"]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([0.1, 0.2], [1.0], 0.1), {}, "same length .* got 2 learning rates and 1 losses"),
        (([], [], 0.1), {}, "lrs must be a non-empty 1-D sequence"),
        (([0.1, -0.2], [1.0, 2.0], 0.1), {}, r"positive and finite \(the x axis is logarithmic\), got -0.2"),
        (([0.1, 0.0], [1.0, 2.0], 0.1), {}, "positive and finite .*got 0.0"),
        (([0.1], [1.0], 0.0), {}, "max_stable_lr must be a positive finite number, got 0.0"),
        (([0.1], [1.0], float("inf")), {}, "max_stable_lr must be a positive finite number, got inf"),
        (([0.1], [1.0], 0.1), {"initial_loss": float("nan")}, "initial_loss must be None or a finite number"),
    ],
)
def test_plot_lr_bound_bad_input_is_named(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tg.viz.plot_lr_bound(*args, **kwargs)


# --------------------------------------------------------------------------------------------------------
# plot_rate_vs_condition
# --------------------------------------------------------------------------------------------------------


def test_plot_rate_vs_condition_draws_the_measured_rates_on_the_theoretical_curve():
    kappas = [1.0, 4.0, 30.0, 300.0]
    rates = [tg.train.gd_rate(tg.data.make_quadratic(2, k, seed=0), 40) for k in kappas]
    fig = tg.viz.plot_rate_vs_condition(kappas, rates)
    (axis,) = fig.axes
    assert axis.get_xscale() == "log"
    lines = labelled(axis)
    theory = lines["theory (κ − 1)/(κ + 1)"]
    k = np.asarray(theory.get_xdata())
    np.testing.assert_allclose(theory.get_ydata(), (k - 1) / (k + 1))
    assert k.min() == 1.0 and k.max() >= 300.0
    measured = lines["measured: GD at η = 2/(L + μ)"]
    np.testing.assert_array_equal(measured.get_xdata(), kappas)
    np.testing.assert_allclose(measured.get_ydata(), [0.0, 0.6, 29 / 31, 299 / 301], atol=1e-6)


def test_plot_rate_vs_condition_with_curves_adds_the_errors_and_their_theory():
    qs = {k: tg.data.make_quadratic(3, k, seed=0) for k in (5.0, 50.0)}
    curves = {k: tg.train.gd_errors(q, 30) for k, q in qs.items()}
    fig = tg.viz.plot_rate_vs_condition([5.0, 50.0], [tg.train.gd_rate(q, 30) for q in qs.values()], curves=curves)
    _, right = fig.axes
    assert right.get_yscale() == "log"
    lines = labelled(right)
    np.testing.assert_array_equal(lines["κ = 5"].get_ydata(), curves[5.0])
    dashed = [line for line in right.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2
    np.testing.assert_allclose(dashed[1].get_ydata(), curves[50.0][0] * (49 / 51) ** np.arange(31))
    assert np.all(curves[50.0] <= dashed[1].get_ydata() * (1 + 1e-9))  # the bound holds in any dimension


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1.0, 2.0], [0.0]), {}, "same length .* got 2 condition numbers and 1 rates"),
        (([0.5], [0.1]), {}, "condition numbers must be finite and >= 1 .*got 0.5"),
        (([2.0], [np.nan]), {}, "rates must be finite and >= 0 .*got nan"),
        (([2.0], [0.3]), {"curves": {}}, "curves must be a non-empty dict"),
        (([2.0], [0.3]), {"curves": {2.0: [1.0]}}, "at least two errors"),
        (([2.0], [0.3]), {"curves": {0.5: [1.0, 0.5]}}, "condition numbers must be >= 1, got 0.5 in curves"),
    ],
)
def test_plot_rate_vs_condition_bad_input_is_named(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tg.viz.plot_rate_vs_condition(*args, **kwargs)


def test_plot_rate_vs_condition_with_curves_needs_two_axes():
    fig, axis = plt.subplots()
    try:
        with pytest.raises(ValueError, match="a sequence of 2 matplotlib Axes"):
            tg.viz.plot_rate_vs_condition([2.0], [1 / 3], curves={2.0: [1.0, 1 / 3]}, ax=axis)
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------------------------
# plot_hessian_spectrum
# --------------------------------------------------------------------------------------------------------


def histogram_counts(patch, n_bins: int) -> np.ndarray:
    """The counts of a step-filled histogram, read back from its outline (x0, 0), (x0, c0), (x1, c0), ..."""
    return patch.get_xy()[1 : 2 * n_bins : 2, 1]


def test_plot_hessian_spectrum_marks_the_extremes_and_counts_every_eigenvalue():
    start = np.r_[np.linspace(-0.02, 0.03, 50), 4.0, 25.0]
    end = np.r_[np.linspace(-0.001, 0.002, 30), 0.0, 60.0]
    fig = tg.viz.plot_hessian_spectrum({"start": start, "end": end}, bins=40)
    axis = fig.axes[0]
    assert axis.get_xscale() == "symlog" and axis.get_yscale() == "log"
    assert axis.xaxis.get_transform().linthresh == 1e-3  # 10 ** (floor(log10(60)) - 4)
    lines = labelled(axis)
    for label, values in (("start", start), ("end", end)):
        top = lines[f"{label}: λmax = {values.max():.4g}"]
        bottom = lines[f"{label}: λmin = {values.min():.4g}"]
        assert top.get_xdata()[0] == values.max() and top.get_linestyle() == "--"
        assert bottom.get_xdata()[0] == values.min() and bottom.get_linestyle() == ":"
    hists = {p.get_label(): p for p in axis.patches}
    assert set(hists) == {"start (52 eigenvalues)", "end (32 eigenvalues)"}
    assert histogram_counts(hists["start (52 eigenvalues)"], 40).sum() == 52
    assert histogram_counts(hists["end (32 eigenvalues)"], 40).sum() == 32
    assert legend_texts(fig)[:2] == ["start (52 eigenvalues)", "end (32 eigenvalues)"]  # one row per spectrum


def test_plot_hessian_spectrum_takes_an_exact_curvature_and_a_single_array():
    q = tg.data.make_quadratic(d=4, condition_number=8.0, seed=0)
    model = tg.nn.Linear(4, 1, bias=False, dtype=np.float64)
    c = tg.train.curvature(model, tg.nn.functional.mse_loss, (q.X, q.y), method="exact")
    fig = tg.viz.plot_hessian_spectrum({"quadratic": c}, linthresh=0.5)
    lines = labelled(fig.axes[0])
    assert "quadratic: λmax = 8" in lines and "quadratic: λmin = 1" in lines
    assert fig.axes[0].xaxis.get_transform().linthresh == 0.5
    fig = tg.viz.plot_hessian_spectrum(np.array([1.0, 2.0, 2.0]))
    assert "spectrum: λmax = 2" in labelled(fig.axes[0])
    lanczos = tg.train.curvature(model, tg.nn.functional.mse_loss, (q.X, q.y))
    with pytest.raises(ValueError, match=r"method='lanczos'.* needs tg.train.curvature\(\.\.\., method='exact'\)"):
        tg.viz.plot_hessian_spectrum({"q": lanczos})


@pytest.mark.parametrize(
    ("spectra", "kwargs", "match"),
    [
        ({}, {}, "no spectra to plot"),
        ({"a": []}, {}, "the spectrum 'a' is empty"),
        ({"H": np.eye(3)}, {}, r"has shape \(3, 3\): a matrix \(the Hessian\?\); pass its eigenvalues"),
        ({"a": np.ones((2, 3))}, {}, r"1-D array of eigenvalues, got shape \(2, 3\)"),
        ({"a": [1.0, np.nan]}, {}, "non-finite eigenvalues"),
        ({"a": [1.0, 2.0]}, {"bins": 0}, "bins must be a positive number of bins"),
        ({"a": [1.0, 2.0]}, {"bins": [3.0, 1.0]}, "bin edges must be at least two finite, increasing numbers"),
        ({"a": [1.0, 2.0]}, {"linthresh": -1.0}, "linthresh must be a positive finite number"),
    ],
)
def test_plot_hessian_spectrum_bad_input_is_named(spectra, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tg.viz.plot_hessian_spectrum(spectra, **kwargs)


def test_plot_hessian_spectrum_handles_a_spectrum_of_zeros_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = tg.viz.plot_hessian_spectrum({"flat": [0.0, 0.0, 0.0]}, bins=5)
    hist = fig.axes[0].patches[0]
    assert histogram_counts(hist, 5).sum() == 3
    assert labelled(fig.axes[0])["flat: λmax = 0"].get_xdata()[0] == 0.0
