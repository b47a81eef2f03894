"""tinygrad_edu.viz.plots: the training pictures (matplotlib, drawn without pyplot: no display needed).

Each picture is checked for what it draws (the number of lines and collections, their data, labels, scales and
legend entries), that it saves a non-empty PNG, and that bad input fails with a message that says what to do.
"""

import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.train import History
from tinygrad_edu.viz import plots

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

F = tg.nn.functional
PNG = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------------------------------------
# small runs
# --------------------------------------------------------------------------------------------------------


def linear(d_in: int, bias: bool = True, seed: int = 0) -> tg.nn.Linear:
    tg.manual_seed(seed)
    return tg.nn.Linear(d_in, 1, bias=bias, dtype=np.float64)


def run(model, X, y, *, lr=0.1, batch_size=None, epochs=5, momentum=0.0, name=None, **kwargs) -> History:
    opt = tg.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = tg.data.DataLoader(X, y, batch_size=batch_size, seed=0)
    return tg.train.fit(model, F.mse_loss, opt, loader, epochs=epochs, progress=False, name=name, **kwargs)


@pytest.fixture(scope="module")
def data():
    X, y, _ = tg.data.make_linear_regression(64, 2, noise=0.1, bias=0.5, seed=0)
    return X, y


@pytest.fixture(scope="module")
def gd_sgd(data):
    """GD (5 iterations) and SGD with batches of 8 (8 iterations per epoch, 40 in all), both with validation
    data and parameter snapshots; SGD records the exact training loss per epoch."""
    X, y = data
    val = (X[:16], y[:16])
    gd = run(linear(2), X, y, name="GD", val_data=val, record_params=True)
    sgd = run(linear(2), X, y, batch_size=8, name="SGD", val_data=val, record_params=True, train_loss="full")
    return {"GD": gd, "SGD": sgd}


@pytest.fixture(scope="module")
def quadratic():
    return tg.data.make_quadratic(d=2, condition_number=10.0, n_samples=100, noise=0.5, seed=0)


def hand_made(name="run", loss=(4.0, 2.0, 1.0, 0.5), **fields) -> History:
    """A History written by hand, as someone with their own training loop would."""
    n = len(loss)
    h = History(name=name, loss=list(loss), grad_evals=[10 * (i + 1) for i in range(n)])
    h.wall_time = [0.1 * (i + 1) for i in range(n)]
    h.epoch_index = list(range(1, n + 1))
    for key, value in fields.items():
        setattr(h, key, value)
    return h


def legend_texts(fig: Figure) -> list[str]:
    legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend() is not None)]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def labelled(axis) -> dict:
    """Lines with a legend label, by label."""
    return {line.get_label(): line for line in axis.get_lines() if not line.get_label().startswith("_")}


def assert_png(fig: Figure, path) -> None:
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 2000


# --------------------------------------------------------------------------------------------------------
# importing, figures, Jupyter
# --------------------------------------------------------------------------------------------------------


def test_import_tinygrad_edu_imports_neither_matplotlib_nor_pyplot():
    code = (
        "import sys, numpy as np, tinygrad_edu as tg\n"
        "assert 'matplotlib' not in sys.modules\n"
        "f = tg.viz.plot_loss_curves\n"  # the plots module itself imports no matplotlib
        "assert 'matplotlib' not in sys.modules\n"
        "h = tg.train.History(name='a', loss=[3.0, 2.0, 1.0])\n"
        "fig = f(h)\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    with pytest.raises(ImportError, match="pip install matplotlib"):
        tg.viz.plot_loss_curves(hand_made())


def test_figures_are_plain_matplotlib_figures_shown_inline_and_picklable(tmp_path):
    fig = tg.viz.plot_loss_curves(hand_made())
    assert isinstance(fig, Figure) and type(fig).__name__ == "InlineFigure"
    png = fig._repr_png_()  # what Jupyter shows when the figure is the last value of a cell
    assert png.startswith(PNG) and len(png) > 2000
    copy = pickle.loads(pickle.dumps(fig))
    assert type(copy) is type(fig) and copy.axes[0].get_title() == fig.axes[0].get_title()
    assert_png(fig, tmp_path / "loss.png")


def test_the_rc_style_is_applied_while_drawing_and_the_users_settings_are_left_alone():
    before = dict(matplotlib.rcParams)
    fig = tg.viz.plot_loss_curves(hand_made())
    assert fig.axes[0].spines["top"].get_visible() is False  # the module's style
    assert dict(matplotlib.rcParams) == before


# --------------------------------------------------------------------------------------------------------
# moving average
# --------------------------------------------------------------------------------------------------------


def naive_moving_average(values, window):
    v = np.asarray(values, dtype=np.float64)
    n, half = len(v), window // 2
    if half < 1 or n < 3:
        return v.copy()
    out = []
    for i in range(n):
        h = min(half, i // 2)
        part = v[i - h : min(n, i + h + 1)]
        part = part[np.isfinite(part)]
        out.append(part.mean() if part.size else np.nan)
    return np.array(out)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 21, 200])
@pytest.mark.parametrize("window", [1, 2, 3, 4, 9, 50])
def test_moving_average_matches_its_definition(n, window):
    v = np.random.default_rng(n * 100 + window).normal(size=n)
    if n > 5:
        v[2], v[n // 2] = np.inf, np.nan  # left out of the averages
    np.testing.assert_allclose(plots._moving_average(v, window), naive_moving_average(v, window), equal_nan=True)


def test_moving_average_is_centred_narrow_at_the_start_and_exact_after_a_huge_early_loss():
    v = np.arange(20.0)
    smoothed = plots._moving_average(v, 5)
    np.testing.assert_allclose(smoothed[:18], v[:18])  # centred windows of a straight line: no lag
    np.testing.assert_allclose(smoothed[18:], [(16 + 17 + 18 + 19) / 4, (17 + 18 + 19) / 3])  # the past half stays
    big = np.r_[1e12, np.full(500, 1e-6)]
    np.testing.assert_allclose(plots._moving_average(big, 50)[100:], 1e-6, rtol=1e-9)


# --------------------------------------------------------------------------------------------------------
# plot_loss_curves
# --------------------------------------------------------------------------------------------------------


def test_loss_curves_draw_one_line_per_run_and_the_validation_loss(gd_sgd, tmp_path):
    fig = tg.viz.plot_loss_curves(gd_sgd)
    (axis,) = fig.axes
    lines = labelled(axis)
    assert list(lines) == ["GD", "GD (validation)", "SGD", "SGD (validation)"]
    np.testing.assert_array_equal(lines["GD"].get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(lines["SGD"].get_ydata(), gd_sgd["SGD"].loss)
    np.testing.assert_array_equal(lines["SGD (validation)"].get_xdata(), [8, 16, 24, 32, 40])  # epoch ends
    assert lines["GD"].get_color() != lines["SGD"].get_color()
    assert lines["GD (validation)"].get_linestyle() == "--"
    assert axis.get_yscale() == "log" and axis.get_xscale() == "linear"
    assert axis.get_xlabel() == "iteration (optimiser steps)" and axis.get_ylabel() == "loss (log scale)"
    assert axis.get_title() == "Training loss per iteration"
    assert legend_texts(fig) == ["GD", "GD (validation)", "SGD", "SGD (validation)"]
    assert_png(fig, tmp_path / "loss.png")


def test_loss_curves_smooth_stochastic_runs_and_draw_their_raw_losses_faintly(gd_sgd):
    fig = tg.viz.plot_loss_curves(gd_sgd, smooth=5, val=False)
    (axis,) = fig.axes
    lines = axis.get_lines()
    assert len(lines) == 3  # GD as it is (no sampling noise), SGD raw (faint) and smoothed
    gd, raw, smoothed = lines
    np.testing.assert_array_equal(gd.get_ydata(), gd_sgd["GD"].loss)
    np.testing.assert_array_equal(raw.get_ydata(), gd_sgd["SGD"].loss)
    assert raw.get_alpha() == pytest.approx(0.25) and raw.get_label().startswith("_")
    np.testing.assert_allclose(smoothed.get_ydata(), plots._moving_average(gd_sgd["SGD"].loss, 5))
    assert smoothed.get_label() == "SGD" and smoothed.get_color() == raw.get_color()
    assert legend_texts(fig) == ["GD", "SGD", "raw batch loss per iteration", "centred moving average (5 iterations)"]


@pytest.mark.parametrize(
    ("x", "xlabel", "first_gd_x"),
    [
        ("grad_evals", "gradient evaluations (samples seen)", 64),
        ("time", "wall-clock time (s)", None),
        ("epoch", "epoch (passes over the training set)", 1),
    ],
)
def test_loss_curves_against_each_clock(gd_sgd, x, xlabel, first_gd_x):
    fig = tg.viz.plot_loss_curves(gd_sgd, x=x, val=False)
    (axis,) = fig.axes
    assert axis.get_xlabel() == xlabel
    gd = labelled(axis)["GD"]
    expected = gd_sgd["GD"].wall_time[0] if first_gd_x is None else first_gd_x
    assert gd.get_xdata()[0] == pytest.approx(expected)
    if x == "epoch":  # the per-epoch training loss, with SGD's batch losses faintly at fractional epochs
        np.testing.assert_array_equal(labelled(axis)["SGD"].get_ydata(), gd_sgd["SGD"].train_loss)
        raw = [line for line in axis.get_lines() if line.get_label().startswith("_")]
        assert len(raw) == 1
        np.testing.assert_allclose(raw[0].get_xdata()[:9], [*(np.arange(1, 9) / 8), 1.125])
        assert "training loss per epoch" in legend_texts(fig)


def test_loss_curves_options_and_names(gd_sgd):
    runs = [hand_made("run"), hand_made("run", loss=(3.0, 1.0, 0.2, 0.1))]
    fig = tg.viz.plot_loss_curves(runs, log=False, logx=True, title="mine")
    (axis,) = fig.axes
    assert list(labelled(axis)) == ["run", "run (2)"]  # repeated names stay apart in the legend
    assert axis.get_yscale() == "linear" and axis.get_xscale() == "log" and axis.get_title() == "mine"
    assert axis.get_ylabel() == "loss"
    single = tg.viz.plot_loss_curves(gd_sgd["GD"], val=False)
    assert list(labelled(single.axes[0])) == ["GD"]


def test_loss_curves_draw_into_given_axes():
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    returned = tg.viz.plot_loss_curves(hand_made(), ax=ax2)
    assert returned is fig and len(ax2.get_lines()) == 1 and not ax1.get_lines()
    assert ax2.get_legend() is not None and not fig.legends  # the legend stays in the user's axes


def test_loss_curves_on_a_log_scale_warn_when_no_loss_is_positive():
    with pytest.warns(UserWarning, match="log scale cannot show"):
        fig = tg.viz.plot_loss_curves(hand_made(loss=(-1.0, -2.0, -3.0)))
    assert fig.axes[0].get_yscale() == "linear"


def test_loss_curves_reject_bad_input(gd_sgd):
    with pytest.raises(ValueError, match=r"no histories to plot \(got an empty list\)"):
        tg.viz.plot_loss_curves([])
    with pytest.raises(ValueError, match="no histories to plot"):
        tg.viz.plot_loss_curves({})
    with pytest.raises(
        ValueError, match=r"unknown x='steps'; choose one of 'iteration', 'epoch', 'grad_evals', 'time'"
    ):
        tg.viz.plot_loss_curves(gd_sgd, x="steps")
    with pytest.raises(ValueError, match="with x='epoch' the curve is the per-epoch training loss"):
        tg.viz.plot_loss_curves(gd_sgd, x="epoch", smooth=5)
    for bad in (0, 2.5, True, "5"):
        with pytest.raises(ValueError, match="smooth must be None or a window of at least 1 iteration"):
            tg.viz.plot_loss_curves(gd_sgd, smooth=bad)
    with pytest.raises(TypeError, match=r"expected History objects .* got ndarray for 'a'"):
        tg.viz.plot_loss_curves({"a": np.ones(3)})
    with pytest.raises(TypeError, match="histories must be a History, a list of them or a dict"):
        tg.viz.plot_loss_curves("GD")
    with pytest.raises(ValueError, match="History 'empty' recorded no iterations"):
        tg.viz.plot_loss_curves(History(name="empty"))
    with pytest.raises(ValueError, match="History 'run' has 4 losses but 2 grad_evals entries"):
        tg.viz.plot_loss_curves(hand_made(grad_evals=[1, 2]), x="grad_evals")
    with pytest.raises(ValueError, match="x='epoch' draws the per-epoch training loss, and History 'run' has none"):
        tg.viz.plot_loss_curves(hand_made(), x="epoch")
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes, got str"):
        tg.viz.plot_loss_curves(gd_sgd, ax="left")


def test_a_comparison_is_pointed_to_plot_stability(data):
    X, y = data
    result = tiny_comparison(X, y)
    with pytest.raises(TypeError, match=r"plot_stability\(result\)"):
        tg.viz.plot_loss_curves(result)


# --------------------------------------------------------------------------------------------------------
# plot_convergence
# --------------------------------------------------------------------------------------------------------


def test_convergence_draws_the_gap_against_three_clocks(gd_sgd, tmp_path):
    target = 0.005
    fig = tg.viz.plot_convergence(gd_sgd, target)
    assert len(fig.axes) == 3
    assert [a.get_xlabel() for a in fig.axes] == [
        "iteration (optimiser steps)",
        "gradient evaluations (samples seen)",
        "wall-clock time (s)",
    ]
    assert all(a.get_yscale() == "log" for a in fig.axes)
    assert fig.axes[0].get_ylabel() == "loss − f*  (log scale)"
    assert fig.get_suptitle() == "Convergence: gap to the optimum, loss − f*  (f* = 0.005)"
    for axis in fig.axes:
        lines = labelled(axis)
        assert list(lines) == ["GD", "SGD"]
        np.testing.assert_allclose(lines["GD"].get_ydata(), np.array(gd_sgd["GD"].loss) - target)
        # SGD recorded the exact training loss at each epoch end: open circles
        (circles,) = [line for line in axis.get_lines() if line.get_marker() == "o"]
        np.testing.assert_allclose(circles.get_ydata(), np.array(gd_sgd["SGD"].train_loss) - target)
    np.testing.assert_array_equal(labelled(fig.axes[1])["GD"].get_xdata(), 64 * np.arange(1, 6))
    assert legend_texts(fig) == ["GD", "SGD", "exact training loss at epoch ends"]
    assert_png(fig, tmp_path / "convergence.png")


def test_convergence_on_one_clock_with_smoothing_and_given_axes(gd_sgd):
    fig = Figure()
    ax = fig.subplots()
    returned = tg.viz.plot_convergence(gd_sgd, 0.0, x="grad_evals", smooth=4, logx=True, ax=ax)
    assert returned is fig and ax.get_xscale() == "log"
    sgd = labelled(ax)["SGD"]
    np.testing.assert_allclose(sgd.get_ydata(), plots._moving_average(gd_sgd["SGD"].loss, 4))
    assert "batch losses: moving average (4 iterations)" in legend_texts(fig)
    assert ax.get_title().startswith("Convergence: gap to the optimum")
    two = tg.viz.plot_convergence(gd_sgd, 0.0, x=["iteration", "epoch"])
    assert [a.get_xlabel() for a in two.axes] == ["iteration (optimiser steps)", "epoch (passes over the training set)"]


def test_convergence_warns_when_batch_losses_fall_below_the_target(gd_sgd):
    target = float(np.median(gd_sgd["SGD"].loss))  # half of SGD's batch losses are below it
    with pytest.warns(UserWarning, match=r"of the batch losses of 'SGD' are at or below the target .* smooth="):
        tg.viz.plot_convergence(gd_sgd, target, x="iteration")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.viz.plot_convergence(gd_sgd, target, x="iteration", smooth=5)  # smoothed: the gaps are expected


def test_convergence_rejects_bad_input(gd_sgd):
    for target in (None, "0", math.inf, True):
        with pytest.raises(ValueError, match="target must be a finite number, the optimal loss f"):
            tg.viz.plot_convergence(gd_sgd, target)
    with pytest.raises(ValueError, match="x must name at least one clock"):
        tg.viz.plot_convergence(gd_sgd, 0.0, x=[])
    with pytest.raises(ValueError, match="unknown x='loss'"):
        tg.viz.plot_convergence(gd_sgd, 0.0, x=("iteration", "loss"))
    fig = Figure()
    with pytest.raises(ValueError, match=r"ax must be a sequence of 3 matplotlib Axes \(one per panel\)"):
        tg.viz.plot_convergence(gd_sgd, 0.0, ax=fig.subplots())
    with pytest.raises(ValueError, match="no histories to plot"):
        tg.viz.plot_convergence([], 0.0)


# --------------------------------------------------------------------------------------------------------
# plot_trajectories
# --------------------------------------------------------------------------------------------------------


def quadratic_fn(q):
    return lambda a, b: q.value(np.stack([a, b], axis=-1))


@pytest.fixture(scope="module")
def quadratic_runs(quadratic):
    q = quadratic
    runs = {}
    for name, momentum in (("GD", 0.0), ("momentum", 0.8)):
        runs[name] = run(linear(2, bias=False), q.X, q.y, lr=1.5 / q.L, epochs=12, momentum=momentum,
                         record_params=True)  # fmt: skip
    return runs


def test_trajectories_follow_the_parameter_snapshots_over_the_contours(quadratic, quadratic_runs, tmp_path):
    q = quadratic
    fig = tg.viz.plot_trajectories(quadratic_fn(q), quadratic_runs, optimum=q.w_star, levels=12)
    (axis,) = fig.axes
    (contours,) = axis.collections
    assert len(contours.levels) == 12 and contours.levels[0] > q.value(q.w_star) - 1e-9
    steps = np.diff(contours.levels)  # heights z_min + span * 10^(-4 + 4t): geometric above the grid's minimum
    np.testing.assert_allclose(steps[1:] / steps[:-1], 10 ** (4 / 11))
    lines = axis.get_lines()
    assert len(lines) == 2 * 3 + 1  # per path: the path, its start and its end; and the minimum
    path = np.column_stack([lines[0].get_xdata(), lines[0].get_ydata()])
    np.testing.assert_allclose(path, quadratic_runs["GD"].param_trajectory("weight")[:, 0, :])
    start, end = lines[1], lines[2]
    assert (start.get_marker(), end.get_marker()) == ("o", "*")
    np.testing.assert_allclose([start.get_xdata()[0], start.get_ydata()[0]], path[0])
    np.testing.assert_allclose([end.get_xdata()[0], end.get_ydata()[0]], path[-1])
    assert np.allclose([lines[-1].get_xdata()[0], lines[-1].get_ydata()[0]], q.w_star)
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("weight[0, 0]", "weight[0, 1]")
    assert axis.get_aspect() == 1.0
    assert legend_texts(fig) == ["GD (12 steps)", "momentum (12 steps)", "start", "end", "minimum"]
    x0, x1 = axis.get_xlim()
    y0, y1 = axis.get_ylim()
    assert x1 - x0 == pytest.approx(y1 - y0)  # a square region for the equal aspect, around all the points
    assert x0 < path[:, 0].min() and path[:, 0].max() < x1 and y0 < path[:, 1].min() and path[:, 1].max() < y1
    assert_png(fig, tmp_path / "trajectories.png")


def test_trajectories_of_two_scalar_parameters_picked_elements_and_plain_arrays(data):
    X, y = data
    h = run(linear(1), X[:, :1], y, epochs=3, record_params=True)  # weight (1, 1) and bias (1,)
    fig = tg.viz.plot_trajectories(lambda w, b: w**2 + b**2, h)
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("weight", "bias")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [b[0] for b in h.params["bias"]])
    h3 = run(linear(2), X, y, epochs=3, record_params=True)  # weight (1, 2) and bias (1,): ambiguous
    fig = tg.viz.plot_trajectories(lambda a, b: a + b, h3, params="weight", aspect="auto")
    assert fig.axes[0].get_xlabel() == "weight[0, 0]" and fig.axes[0].get_aspect() == "auto"
    fig = tg.viz.plot_trajectories(lambda a, b: a + b, h3, params=(("weight", 1), "bias"))
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("weight[0, 1]", "bias")
    # plain (k, 2) arrays from a loop of one's own: a list of arrays, a dict, one nested list
    a, b = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]), np.array([[1.0, 1.0], [0.2, 0.1]])
    fig = tg.viz.plot_trajectories(lambda x, y: x**2 + y**2, [a, b], levels=[0.1, 0.5, 1.0], xlim=(-1, 2), ylim=(-1, 2))
    assert legend_texts(fig)[:2] == ["path 1 (2 steps)", "path 2 (1 steps)"]
    assert list(fig.axes[0].collections[0].levels) == [0.1, 0.5, 1.0]
    assert fig.axes[0].get_xlim() == (-1.0, 2.0)
    assert legend_texts(tg.viz.plot_trajectories(lambda x, y: x + y, {"mine": a}))[0] == "mine (2 steps)"
    assert legend_texts(tg.viz.plot_trajectories(lambda x, y: x + y, [[0, 0], [1, 1]]))[0] == "path (1 steps)"


def test_trajectories_reject_bad_input(data, quadratic, quadratic_runs):
    X, y = data
    f = quadratic_fn(quadratic)
    with pytest.raises(
        ValueError, match=r"has no parameter snapshots: train with tg.train.fit\(..., record_params=True\)"
    ):
        tg.viz.plot_trajectories(f, run(linear(2, bias=False), X, y, epochs=1))
    three = run(linear(3, bias=False), np.c_[X, X[:, :1]], y, epochs=1, record_params=True)
    with pytest.raises(ValueError, match=r"parameter 'weight' of History .* has 3 elements \(shape \(1, 3\)\), but a "):
        tg.viz.plot_trajectories(f, three)  # the only parameter is 3-D: not on a 2-D contour plot
    with pytest.raises(ValueError, match=r"which two numbers of History .* are x and y\? It recorded weight \(1, 2\)"):
        tg.viz.plot_trajectories(f, run(linear(2), X, y, epochs=1, record_params=True))
    with pytest.raises(ValueError, match="has no parameter 'w'; recorded: weight"):
        tg.viz.plot_trajectories(f, quadratic_runs, params="w")
    with pytest.raises(ValueError, match="index 5 is out of range for parameter 'weight' with 2 elements"):
        tg.viz.plot_trajectories(f, quadratic_runs, params=(("weight", 0), ("weight", 5)))
    with pytest.raises(ValueError, match=r"params entries must be 'name' or \('name', flat_index\)"):
        tg.viz.plot_trajectories(f, quadratic_runs, params=(("weight", "0"), "weight"))
    with pytest.raises(ValueError, match=r"a path must be an array of shape \(k, 2\), .* got shape \(4, 3\)"):
        tg.viz.plot_trajectories(f, [np.zeros((4, 3))])
    with pytest.raises(
        ValueError, match=r"fn2d\(X, Y\) must return an array of the grid's shape \(200, 200\), got shape \(\)"
    ):
        tg.viz.plot_trajectories(lambda a, b: float(np.sum(a)), quadratic_runs)
    with pytest.raises(TypeError, match=r"fn2d must work elementwise on numpy arrays \(np.exp, not math.exp\)"):
        tg.viz.plot_trajectories(lambda a, b: math.exp(a) + b, quadratic_runs)
    with pytest.raises(TypeError, match="fn2d must be a function"):
        tg.viz.plot_trajectories(None, quadratic_runs)
    with pytest.raises(ValueError, match="no trajectories to plot"):
        tg.viz.plot_trajectories(f, [])
    with pytest.raises(ValueError, match=r"optimum must be a point \(x, y\)"):
        tg.viz.plot_trajectories(f, quadratic_runs, optimum=(1, 2, 3))
    with pytest.raises(ValueError, match=r"xlim must be a pair \(low, high\) with low < high"):
        tg.viz.plot_trajectories(f, quadratic_runs, xlim=(1, 0))
    with pytest.raises(ValueError, match="levels must be at least 2"):
        tg.viz.plot_trajectories(f, quadratic_runs, levels=1)


# --------------------------------------------------------------------------------------------------------
# plot_lr_sweep
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gd_sweep(quadratic):
    """GD on the quadratic at learning rates from far too small to beyond 2/L (where it diverges)."""
    q = quadratic
    sweep = {}
    for factor in (0.05, 0.3, 1.0, 1.9, 2.5):
        lr = factor / q.L
        model = linear(2, bias=False)
        sweep[lr] = tg.train.fit(model, F.mse_loss, tg.optim.GD(model.parameters(), lr=lr),
                                 tg.data.DataLoader(q.X, q.y), epochs=60, progress=False)  # fmt: skip
    return sweep


def test_lr_sweep_marks_the_best_rate_and_the_diverged_runs(gd_sweep, quadratic, tmp_path):
    q = quadratic
    lrs = sorted(gd_sweep)
    assert gd_sweep[lrs[-1]].stop_reason.code == "diverged"
    fig = tg.viz.plot_lr_sweep(gd_sweep, reference={"2/L": q.max_stable_lr})
    (axis,) = fig.axes
    assert axis.get_xscale() == "log" and axis.get_yscale() == "log"
    assert axis.get_xlabel() == "learning rate η (log scale)"
    main = [line for line in axis.get_lines() if line.get_label().startswith("final loss")]
    assert len(main) == 1
    np.testing.assert_allclose(main[0].get_xdata(), lrs[:-1])  # the diverged run has no finite loss to plot
    np.testing.assert_allclose(main[0].get_ydata(), [gd_sweep[lr].train_loss[-1] for lr in lrs[:-1]])
    best = min(lrs[:-1], key=lambda lr: gd_sweep[lr].train_loss[-1])
    assert main[0].get_label() == f"final loss (best η = {best:.3g})"
    (crosses,) = [line for line in axis.get_lines() if line.get_marker() == "X"]
    np.testing.assert_allclose(crosses.get_xdata(), [lrs[-1]])
    assert legend_texts(fig) == [main[0].get_label(), f"2/L = {q.max_stable_lr:g}", "diverged", "best η"]
    assert [t.get_text() for t in axis.texts] == ["diverges", "too small: slow"]
    assert len(axis.patches) == 1  # the shaded region where it diverges
    assert_png(fig, tmp_path / "sweep.png")


def test_lr_sweep_accepts_pairs_seeds_named_sweeps_and_a_comparison(data):
    fig = tg.viz.plot_lr_sweep([(0.01, 1.0), (0.1, 0.2), (1.0, math.inf)])
    (crosses,) = [line for line in fig.axes[0].get_lines() if line.get_marker() == "X"]
    np.testing.assert_allclose(crosses.get_xdata(), [1.0])
    fig = tg.viz.plot_lr_sweep({0.01: [1.0, 3.0], 0.1: [0.5, 0.7]})  # seeds: dots and their mean
    (main,) = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("final loss")]
    np.testing.assert_allclose(main.get_ydata(), [2.0, 0.6])
    assert sum(len(line.get_xdata()) for line in fig.axes[0].get_lines() if line.get_alpha() == 0.45) == 4
    fig = tg.viz.plot_lr_sweep({"GD": {0.1: 0.5, 0.2: 0.4}, "SGD": [(0.1, 0.6), (0.2, 0.3)]}, log=False)
    assert [label for label in legend_texts(fig)] == ["GD (best η = 0.2)", "SGD (best η = 0.2)"]
    assert fig.axes[0].get_yscale() == "linear" and not fig.axes[0].texts  # no region names for several sweeps
    X, y = data
    result = tiny_comparison(X, y)  # configurations "lr 0.05" and "lr 0.2", two seeds each
    fig = tg.viz.plot_lr_sweep(result)
    (main,) = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("final loss")]
    np.testing.assert_allclose(main.get_xdata(), [0.05, 0.2])
    expected = [np.mean([h.train_loss[-1] for h in result[name]]) for name in result.configs]
    np.testing.assert_allclose(main.get_ydata(), expected)


def test_lr_sweep_where_every_run_diverged(tmp_path):
    fig = tg.viz.plot_lr_sweep({0.1: math.inf, 1.0: math.nan})
    (crosses,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(crosses.get_xdata(), [0.1, 1.0])
    assert "every run diverged" in [t.get_text() for t in fig.axes[0].texts]
    assert_png(fig, tmp_path / "diverged.png")


def test_lr_sweep_rejects_bad_input():
    with pytest.raises(ValueError, match=r"no results to plot \(an empty dict\)"):
        tg.viz.plot_lr_sweep({})
    with pytest.raises(
        ValueError, match=r"learning rates must be positive numbers \(the x axis is logarithmic\), got -0.1"
    ):
        tg.viz.plot_lr_sweep({-0.1: 1.0})
    with pytest.raises(TypeError, match=r"the result for lr=0\.1 must be a History, a final loss"):
        tg.viz.plot_lr_sweep({0.1: "low"})
    with pytest.raises(TypeError, match=r"a list of results must hold pairs \(lr, History or final loss\)"):
        tg.viz.plot_lr_sweep([0.1, 0.2])
    with pytest.raises(TypeError, match="results must be a dict lr -> History / final loss"):
        tg.viz.plot_lr_sweep(0.1)
    with pytest.raises(ValueError, match=r"does not say its learning rate .* pass a dict \{lr: History\}"):
        tg.viz.plot_lr_sweep(_comparison_without_lr())
    with pytest.raises(ValueError, match=r"no result for lr=0\.1"):
        tg.viz.plot_lr_sweep({0.1: []})


def _comparison_without_lr():
    h = hand_made()
    return tg.train.Comparison(configs=["a"], seeds=(0,), histories={"a": [h]}, records=[], summary=[])


# --------------------------------------------------------------------------------------------------------
# plot_stability
# --------------------------------------------------------------------------------------------------------


def tiny_comparison(X, y):
    problem = tg.train.Problem(model=lambda: tg.nn.Linear(2, 1, dtype=np.float64), loss_fn=F.mse_loss, X=X, y=y)
    configs = [
        tg.train.Config("lr 0.05", lambda p: tg.optim.SGD(p, lr=0.05), batch_size=8, epochs=3),
        tg.train.Config("lr 0.2", lambda p: tg.optim.SGD(p, lr=0.2), batch_size=8, epochs=3),
    ]
    return tg.train.compare(configs, problem, seeds=(0, 1))


def test_stability_draws_the_mean_and_a_band_of_one_std_across_seeds(data, tmp_path):
    X, y = data
    result = tiny_comparison(X, y)
    fig = tg.viz.plot_stability(result)
    (axis,) = fig.axes
    assert list(labelled(axis)) == ["lr 0.05", "lr 0.2"]
    assert len(axis.collections) == 2  # one band per configuration
    losses = np.array([h.loss for h in result["lr 0.05"]])
    mean, std = losses.mean(axis=0), losses.std(axis=0, ddof=1)
    np.testing.assert_allclose(labelled(axis)["lr 0.05"].get_ydata(), mean)
    band = axis.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx((mean + std).max())
    assert axis.get_title() == "Stability across seeds: mean ± 1 standard deviation over 2 seeds"
    assert axis.get_yscale() == "log" and axis.get_ylabel() == "batch loss (log scale)"
    assert_png(fig, tmp_path / "stability.png")


def test_stability_of_per_epoch_series_smoothed_curves_and_dicts(data):
    X, y = data
    result = tiny_comparison(X, y)
    fig = tg.viz.plot_stability(result, x="epoch", series="train_loss")
    line = labelled(fig.axes[0])["lr 0.2"]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), np.mean([h.train_loss for h in result["lr 0.2"]], axis=0))
    assert fig.axes[0].get_ylabel() == "training loss (log scale)"
    fig = tg.viz.plot_stability(result, x="grad_evals", smooth=3)
    smoothed = np.mean([plots._moving_average(h.loss, 3) for h in result["lr 0.2"]], axis=0)
    np.testing.assert_allclose(labelled(fig.axes[0])["lr 0.2"].get_ydata(), smoothed)
    runs = {"short": [hand_made(loss=(4.0, 2.0, 1.0)), hand_made(loss=(3.0, 1.0, 0.5, 0.25))], "one": hand_made()}
    fig = tg.viz.plot_stability(runs, log=False)
    lines = labelled(fig.axes[0])
    np.testing.assert_allclose(lines["short"].get_ydata(), [3.5, 1.5, 0.75])  # cut to the shortest run
    assert "one (1 seed: no band)" in lines


def test_stability_rejects_bad_input(data):
    with pytest.raises(TypeError, match=r"expected the Comparison returned by tg\.train\.compare, or a dict name"):
        tg.viz.plot_stability([hand_made()])
    with pytest.raises(ValueError, match="no configurations to plot"):
        tg.viz.plot_stability({})
    with pytest.raises(ValueError, match="configuration 'a' has no runs"):
        tg.viz.plot_stability({"a": []})
    with pytest.raises(ValueError, match=r"History 'run' has no series 'accuracy'; available: \['loss'"):
        tg.viz.plot_stability({"a": [hand_made()]}, series="accuracy")
    with pytest.raises(ValueError, match="smooth= applies to per-iteration series such as 'loss'; 'train_loss' is per"):
        tg.viz.plot_stability({"a": [hand_made()]}, series="train_loss", smooth=3)
    with pytest.raises(ValueError, match="unknown x='seconds'"):
        tg.viz.plot_stability({"a": [hand_made()]}, x="seconds")


# --------------------------------------------------------------------------------------------------------
# plot_parameter_updates
# --------------------------------------------------------------------------------------------------------


def test_parameter_updates_show_values_and_update_sizes(gd_sgd, tmp_path):
    h = gd_sgd["GD"]  # plain gradient descent: the whole update is exactly lr * |g|
    fig = tg.viz.plot_parameter_updates(h)
    top, bottom = fig.axes
    assert list(labelled(top)) == ["weight[0, 0]", "weight[0, 1]", "bias"]
    np.testing.assert_allclose(labelled(top)["weight[0, 1]"].get_ydata(), h.param_trajectory("weight")[:, 0, 1])
    np.testing.assert_array_equal(labelled(top)["bias"].get_xdata(), h.param_iterations)
    lines = labelled(bottom)
    assert list(lines) == ["weight", "bias", "η·‖g‖ (whole gradient)"]
    weight_steps = np.linalg.norm(np.diff(h.param_trajectory("weight").reshape(6, -1), axis=0), axis=1)
    np.testing.assert_allclose(lines["weight"].get_ydata(), weight_steps)
    total = np.hypot(lines["weight"].get_ydata(), lines["bias"].get_ydata())
    np.testing.assert_allclose(lines["η·‖g‖ (whole gradient)"].get_ydata(), total)  # theta_k = theta_k-1 - lr g
    assert bottom.get_yscale() == "log" and bottom.get_xlabel() == "iteration"
    assert bottom.get_ylabel() == r"$\|\theta_k - \theta_{k-1}\|$ (log scale)"
    assert fig.get_suptitle() == "Parameter updates: GD"
    assert_png(fig, tmp_path / "updates.png")


def test_parameter_updates_options(data):
    X, y = data
    h = run(linear(2), X, y, epochs=6, momentum=0.9, record_params=2, name="momentum")
    fig = tg.viz.plot_parameter_updates(h, names="weight", max_elements=1, relative=True)
    top, bottom = fig.axes
    assert list(labelled(top)) == ["‖weight‖  (2 elements)"]
    assert list(labelled(bottom)) == ["weight"]  # relative sizes: no lr * |g| reference
    traj = h.param_trajectory("weight").reshape(len(h.param_iterations), -1)
    expected = np.linalg.norm(np.diff(traj, axis=0), axis=1) / np.linalg.norm(traj[:-1], axis=1)
    np.testing.assert_allclose(labelled(bottom)["weight"].get_ydata(), expected)
    assert bottom.get_ylabel() == r"$\|\theta_k - \theta_{k-2}\|$ / $\|\theta\|$ (log scale)"
    fig = Figure()
    axes = fig.subplots(2, 1)
    assert tg.viz.plot_parameter_updates(h, ["bias"], ax=axes, log=False) is fig
    assert axes[1].get_yscale() == "linear" and axes[0].get_title() == "Parameter updates: momentum"


def test_parameter_updates_reject_bad_input(gd_sgd, data):
    X, y = data
    with pytest.raises(
        ValueError, match=r"has no parameter snapshots: train with tg.train.fit\(..., record_params=True\)"
    ):
        tg.viz.plot_parameter_updates(run(linear(2), X, y, epochs=1))
    with pytest.raises(ValueError, match=r"History 'GD' has no parameter\(s\) \['w'\]; recorded: \['weight', 'bias'\]"):
        tg.viz.plot_parameter_updates(gd_sgd["GD"], names=["w"])
    with pytest.raises(TypeError, match="expected a History"):
        tg.viz.plot_parameter_updates(gd_sgd)
    with pytest.raises(ValueError, match=r"ax must be a sequence of 2 matplotlib Axes"):
        tg.viz.plot_parameter_updates(gd_sgd["GD"], ax=Figure().subplots())
    one = History(name="one", loss=[1.0], params={"w": [np.zeros(2)]}, param_iterations=[0])
    with pytest.raises(ValueError, match="has 1 snapshot"):
        tg.viz.plot_parameter_updates(one)
