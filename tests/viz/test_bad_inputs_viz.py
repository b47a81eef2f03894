"""Bad-input campaign for ``tg.viz``: the graph pictures (``draw_graph``, ``save_graph``, ``retain_grads``,
``backward_order``) and every training plot.

Each error must name the argument, the value given and the fix (see ``tests/bad_input.py``). The plots run on
matplotlib's Agg backend (no display); no case renders with Graphviz's ``dot``.
"""

import math

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg
from tinygrad_edu.train import History
from tinygrad_edu.train.compare import Comparison
from tinygrad_edu.viz import (
    backward_order,
    draw_graph,
    plot_convergence,
    plot_loss_curves,
    plot_lr_sweep,
    plot_parameter_updates,
    plot_stability,
    plot_trajectories,
    retain_grads,
    save_graph,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def loss() -> tg.Tensor:
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    return (w * w).sum()


def run(name: str = "run") -> History:
    """A hand-made two-iteration, two-epoch History (full batch), without parameter snapshots."""
    return History(
        name=name, loss=[1.0, 0.5], grad_norm=[1.0, 0.5], lr=[0.1, 0.1], wall_time=[0.1, 0.2],
        grad_evals=[10, 20], epoch_index=[1, 2], train_loss=[1.0, 0.5], epoch_iterations=[1, 2],
        epoch_grad_evals=[10, 20], epoch_wall_time=[0.1, 0.2], info={"mode": "full batch"},
    )  # fmt: skip


def snapshots() -> History:
    """A History with two snapshots of one 3-element parameter ``w``."""
    h = run("snap")
    h.params = {"w": [np.zeros(3), np.ones(3)]}
    h.param_iterations = [0, 1]
    return h


def comparison() -> Comparison:
    return Comparison(configs=["GD"], seeds=(0,), histories={"GD": [run("GD")]}, records=[], summary=[])


PATH = np.array([[0.0, 0.0], [1.0, 1.0]])
BOWL = lambda a, b: a**2 + b**2  # noqa: E731


CASES: list[BadInput] = [
    # ---- draw_graph and friends -----------------------------------------------------------------------------
    BadInput(
        "draw_graph/ndarray",
        lambda: draw_graph(np.ones(2)),
        TypeError,
        ["draw_graph needs a Tensor", "got ndarray array([1., 1.])", "pass the Tensor itself, not loss.item()"],
    ),
    BadInput(
        "draw_graph/float",
        lambda: draw_graph(loss().item()),
        TypeError,
        ["draw_graph needs a Tensor", "got float 5.0", "not loss.item(), loss.data or loss.numpy()"],
    ),
    BadInput(
        "draw_graph/a-model",
        lambda: draw_graph(tg.nn.Linear(2, 1)),
        TypeError,
        ["draw_graph needs a Tensor", "got Linear", "draw_graph(model(x))"],
    ),
    BadInput(
        "draw_graph/a-list",
        lambda: draw_graph([loss(), loss()]),
        TypeError,
        ["draw_graph needs a Tensor", "got list", "draw one Tensor at a time"],
    ),
    BadInput(
        "draw_graph/rankdir",
        lambda: draw_graph(loss(), rankdir="lr"),
        ValueError,
        ["draw_graph: rankdir must be one of ('LR', 'RL', 'TB', 'BT')", "got 'lr'", "e.g. 'LR' or 'TB'"],
    ),
    BadInput(
        "draw_graph/zero-max-nodes",
        lambda: draw_graph(loss(), max_nodes=0),
        ValueError,
        ["draw_graph: max_nodes must be a positive integer or None", "got 0", "None draws every node"],
    ),
    BadInput(
        "draw_graph/float-max-nodes",
        lambda: draw_graph(loss(), max_nodes=2.5),
        ValueError,
        ["max_nodes must be a positive integer or None", "got 2.5"],
    ),
    BadInput(
        "draw_graph/collapse-without-trace",
        lambda: draw_graph(loss(), collapse_modules=True),
        ValueError,
        [
            "collapse_modules=True found no recorded nn.Module call",
            "with tg.viz.trace_modules()",
            "collapse_modules=False",
        ],
    ),
    BadInput(
        "save_graph/ndarray",
        lambda: save_graph(np.ones(2), "g.dot"),
        TypeError,
        ["save_graph needs a Tensor", "got ndarray", "pass the Tensor itself"],
    ),
    BadInput(
        "save_graph/format",
        lambda: save_graph(loss(), "g.jpg", format="jpg"),
        ValueError,
        [
            "save_graph: format must be one of ('svg', 'png', 'pdf', 'dot')",
            "got 'jpg'",
            "leave format=None to take it from the path's suffix",
        ],
    ),
    BadInput(
        "save_graph/upper-case-format",
        lambda: save_graph(loss(), "g.dot", format="DOT"),
        ValueError,
        ["format must be one of", "got 'DOT'"],
    ),
    BadInput(
        "save_graph/None-path",
        lambda: save_graph(loss(), None),
        TypeError,
        ["save_graph: path must be a file name (str or pathlib.Path)", "got None", "save_graph(loss, 'graph.svg')"],
    ),
    BadInput(
        "save_graph/missing-folder",
        lambda: save_graph(loss(), "no/such/folder/g.dot", format="dot"),
        ValueError,
        [
            "save_graph: the folder of path 'no/such/folder/g.dot' does not exist",
            "os.makedirs('no/such/folder', exist_ok=True)",
        ],
    ),
    BadInput(
        "save_graph/a-folder",
        lambda: save_graph(loss(), ".", format="dot"),
        ValueError,
        ["save_graph: path must be a file, got the folder '.'", "e.g. 'graph.svg'"],
    ),
    BadInput(
        "save_graph/draw-options-for-a-digraph",
        lambda: save_graph(draw_graph(loss()), "g.dot", legend=False),
        TypeError,
        ["save_graph: ['legend'] apply when drawing a Tensor", "not to a drawn Digraph"],
    ),
    BadInput(
        "retain_grads/int",
        lambda: retain_grads(3),
        TypeError,
        ["retain_grads needs a Tensor", "got int 3", "pass the Tensor itself"],
    ),
    BadInput(
        "backward_order/a-list",
        lambda: backward_order([loss()]),
        TypeError,
        ["backward_order needs a Tensor", "got list", "draw one Tensor at a time"],
    ),
    # ---- plot_loss_curves -----------------------------------------------------------------------------------
    BadInput(
        "plot_loss_curves/ndarray",
        lambda: plot_loss_curves(np.ones(3)),
        TypeError,
        ["plot_loss_curves: histories must be a History, a list of them or a dict name -> History", "got ndarray"],
    ),
    BadInput(
        "plot_loss_curves/a-Comparison",
        lambda: plot_loss_curves(comparison()),
        TypeError,
        ["plot_loss_curves: got a Comparison", "plot_stability(result)", "{name: result[name][0] for name"],
    ),
    BadInput(
        "plot_loss_curves/list-with-a-number",
        lambda: plot_loss_curves([run(), 3]),
        TypeError,
        ["plot_loss_curves: expected History objects (from tg.train.fit)", "got int"],
    ),
    BadInput(
        "plot_loss_curves/dict-of-lists",
        lambda: plot_loss_curves({"a": [1.0]}),
        TypeError,
        ["expected History objects", "got list for 'a'"],
    ),
    BadInput(
        "plot_loss_curves/empty",
        lambda: plot_loss_curves([]),
        ValueError,
        ["plot_loss_curves: no histories to plot (got an empty list)", "pass a History from tg.train.fit"],
    ),
    BadInput(
        "plot_loss_curves/unknown-clock",
        lambda: plot_loss_curves(run(), x="iterations"),
        ValueError,
        ["plot_loss_curves: unknown x='iterations'", "choose one of 'iteration', 'epoch', 'grad_evals', 'time'"],
    ),
    BadInput(
        "plot_loss_curves/zero-smooth",
        lambda: plot_loss_curves(run(), smooth=0),
        ValueError,
        ["smooth must be None or a window of at least 1 iteration (an int)", "got 0"],
    ),
    BadInput(
        "plot_loss_curves/float-smooth",
        lambda: plot_loss_curves(run(), smooth=2.5),
        ValueError,
        ["smooth must be None or a window", "got 2.5"],
    ),
    BadInput(
        "plot_loss_curves/smooth-per-epoch",
        lambda: plot_loss_curves(run(), x="epoch", smooth=3),
        ValueError,
        ["smooth=3 averages per-iteration losses", "with x='epoch'", "drop smooth=, or choose x='iteration'"],
    ),
    BadInput(
        "plot_loss_curves/no-iterations",
        lambda: plot_loss_curves(History(name="empty")),
        ValueError,
        ["History 'empty' recorded no iterations", "no curve to draw"],
    ),
    BadInput(
        "plot_loss_curves/epoch-without-train-loss",
        lambda: plot_loss_curves(History(name="r", loss=[1.0], epoch_index=[1]), x="epoch"),
        ValueError,
        ["x='epoch' draws the per-epoch training loss", "History 'r' has none"],
    ),
    BadInput(
        "plot_loss_curves/bad-ax",
        lambda: plot_loss_curves(run(), ax="left"),
        ValueError,
        ["plot_loss_curves: ax must be a matplotlib Axes", "got str", "fig, ax = plt.subplots()"],
    ),
    # ---- plot_convergence -----------------------------------------------------------------------------------
    BadInput(
        "plot_convergence/nan-target",
        lambda: plot_convergence(run(), math.nan),
        ValueError,
        ["plot_convergence: target must be a finite number, the optimal loss f*", "got nan"],
    ),
    BadInput(
        "plot_convergence/str-target",
        lambda: plot_convergence(run(), "0"),
        ValueError,
        ["target must be a finite number", "got '0'"],
    ),
    BadInput(
        "plot_convergence/no-clock",
        lambda: plot_convergence(run(), 0.0, x=[]),
        ValueError,
        ["plot_convergence: x must name at least one clock", "'iteration', 'epoch', 'grad_evals', 'time'"],
    ),
    BadInput(
        "plot_convergence/unknown-clock",
        lambda: plot_convergence(run(), 0.0, x=["iteration", "epochs"]),
        ValueError,
        ["plot_convergence: unknown x='epochs'", "choose one of 'iteration'"],
    ),
    BadInput(
        "plot_convergence/int-clock",
        lambda: plot_convergence(run(), 0.0, x=3),
        ValueError,
        ["unknown x=3", "choose one of"],
    ),
    BadInput(
        "plot_convergence/axes-count",
        lambda: plot_convergence(run(), 0.0, ax=3),
        ValueError,
        ["ax must be a sequence of 3 matplotlib Axes (one per panel)", "got int", "plt.subplots(1, 3)"],
    ),
    BadInput(
        "plot_convergence/negative-smooth",
        lambda: plot_convergence(run(), 0.0, smooth=-1),
        ValueError,
        ["plot_convergence: smooth must be None or a window", "got -1"],
    ),
    BadInput(
        "plot_convergence/None",
        lambda: plot_convergence(None, 0.0),
        TypeError,
        ["plot_convergence: histories must be a History", "got NoneType"],
    ),
    # ---- plot_trajectories ----------------------------------------------------------------------------------
    BadInput(
        "plot_trajectories/not-callable",
        lambda: plot_trajectories(3, PATH),
        TypeError,
        ["plot_trajectories: fn2d must be a function (X, Y) -> Z", "got 3"],
    ),
    BadInput(
        "plot_trajectories/scalar-function",
        lambda: plot_trajectories(lambda a, b: math.exp(a), PATH),
        TypeError,
        ["fn2d(X, Y) failed on grid arrays of shape (200, 200)", "np.exp, not math.exp", "np.vectorize"],
    ),
    BadInput(
        "plot_trajectories/constant-function",
        lambda: plot_trajectories(lambda a, b: 1.0, PATH),
        ValueError,
        [
            "fn2d(X, Y) must return an array of the grid's shape (200, 200)",
            "got shape ()",
            "numpy operations that act elementwise",
        ],
    ),
    BadInput(
        "plot_trajectories/None",
        lambda: plot_trajectories(BOWL, None),
        TypeError,
        ["plot_trajectories: histories must be a History, a (k, 2) array", "got NoneType"],
    ),
    BadInput(
        "plot_trajectories/3-column-path",
        lambda: plot_trajectories(BOWL, np.zeros((3, 3))),
        ValueError,
        ["a path must be an array of shape (k, 2), one row (x, y) per step", "got shape (3, 3)"],
    ),
    BadInput(
        "plot_trajectories/empty",
        lambda: plot_trajectories(BOWL, []),
        ValueError,
        ["plot_trajectories: no trajectories to plot", "got an empty list"],
    ),
    BadInput(
        "plot_trajectories/no-snapshots",
        lambda: plot_trajectories(BOWL, run()),
        ValueError,
        ["History 'run' has no parameter snapshots", "tg.train.fit(..., record_params=True)"],
    ),
    BadInput(
        "plot_trajectories/3-element-parameter",
        lambda: plot_trajectories(BOWL, snapshots()),
        ValueError,
        ["parameter 'w' of History 'snap' has 3 elements (shape (3,))", "params=(('weight', 0), ('weight', 1))"],
    ),
    BadInput(
        "plot_trajectories/unknown-parameter",
        lambda: plot_trajectories(BOWL, snapshots(), params="v"),
        ValueError,
        ["History 'snap' has no parameter 'v'", "recorded: w (3,)"],
    ),
    BadInput(
        "plot_trajectories/index-out-of-range",
        lambda: plot_trajectories(BOWL, snapshots(), params=(("w", 0), ("w", 5))),
        ValueError,
        ["index 5 is out of range for parameter 'w'", "with 3 elements"],
    ),
    BadInput(
        "plot_trajectories/int-params",
        lambda: plot_trajectories(BOWL, snapshots(), params=5),
        ValueError,
        ["params must be None, 'name' or a pair of them", "got 5", "pass params='name'"],
    ),
    BadInput(
        "plot_trajectories/one-level",
        lambda: plot_trajectories(BOWL, PATH, levels=1),
        ValueError,
        ["levels must be at least 2 (a number of contour lines) or a sequence", "got 1"],
    ),
    BadInput(
        "plot_trajectories/str-levels",
        lambda: plot_trajectories(BOWL, PATH, levels="many"),
        ValueError,
        ["levels must be an int or a sequence of numbers", "got 'many'"],
    ),
    BadInput(
        "plot_trajectories/resolution",
        lambda: plot_trajectories(BOWL, PATH, resolution=1),
        ValueError,
        ["resolution must be an int >= 2 (grid points per axis)", "got 1"],
    ),
    BadInput(
        "plot_trajectories/aspect",
        lambda: plot_trajectories(BOWL, PATH, aspect="square"),
        ValueError,
        ["aspect must be 'equal' or 'auto'", "got 'square'"],
    ),
    BadInput(
        "plot_trajectories/3d-optimum",
        lambda: plot_trajectories(BOWL, PATH, optimum=(1, 2, 3)),
        ValueError,
        ["optimum must be a point (x, y)", "got (1, 2, 3)"],
    ),
    BadInput(
        "plot_trajectories/reversed-xlim",
        lambda: plot_trajectories(BOWL, PATH, xlim=(1, 0)),
        ValueError,
        ["xlim must be a pair (low, high) with low < high", "got (1, 0)"],
    ),
    BadInput(
        "plot_trajectories/str-ylim",
        lambda: plot_trajectories(BOWL, PATH, ylim="ab"),
        ValueError,
        ["ylim must be a pair (low, high) with low < high", "got 'ab'"],
    ),
    BadInput(
        "plot_trajectories/nan-path",
        lambda: plot_trajectories(BOWL, np.full((2, 2), np.nan)),
        ValueError,
        ["plot_trajectories: no finite point to plot", "every path is NaN or infinite"],
    ),
    # ---- plot_lr_sweep --------------------------------------------------------------------------------------
    BadInput(
        "plot_lr_sweep/negative-lr",
        lambda: plot_lr_sweep({-0.1: 1.0}),
        ValueError,
        ["plot_lr_sweep: learning rates must be positive numbers (the x axis is logarithmic)", "got -0.1"],
    ),
    BadInput(
        "plot_lr_sweep/empty",
        lambda: plot_lr_sweep({}),
        ValueError,
        ["plot_lr_sweep: no results to plot", "an empty dict"],
    ),
    BadInput(
        "plot_lr_sweep/str-result",
        lambda: plot_lr_sweep({0.1: "low"}),
        TypeError,
        ["the result for lr=0.1 must be a History, a final loss (a number) or a list of them", "got str"],
    ),
    BadInput(
        "plot_lr_sweep/list-of-numbers",
        lambda: plot_lr_sweep([0.1, 0.2]),
        TypeError,
        ["a list of results must hold pairs (lr, History or final loss)", "got float 0.1"],
    ),
    BadInput(
        "plot_lr_sweep/int",
        lambda: plot_lr_sweep(3),
        TypeError,
        ["results must be a dict lr -> History / final loss", "got int"],
    ),
    BadInput(
        "plot_lr_sweep/empty-seeds",
        lambda: plot_lr_sweep({0.1: []}),
        ValueError,
        ["no result for lr=0.1", "an empty list"],
    ),
    BadInput(
        "plot_lr_sweep/empty-history",
        lambda: plot_lr_sweep({0.1: History(name="e")}),
        ValueError,
        ["the History for lr=0.1 recorded nothing", "no iterations"],
    ),
    BadInput(
        "plot_lr_sweep/history-without-lr",
        lambda: plot_lr_sweep(comparison()),
        ValueError,
        ["History 'GD' does not say its learning rate", "pass a dict {lr: History} instead"],
    ),
    BadInput(
        "plot_lr_sweep/number-reference",
        lambda: plot_lr_sweep({0.1: 1.0}, reference=0.1),
        TypeError,
        ["reference must be a dict label -> learning rate", "e.g. {'2/L': 0.04}", "got 0.1"],
    ),
    BadInput(
        "plot_lr_sweep/str-reference-value",
        lambda: plot_lr_sweep({0.1: 1.0}, reference={"2/L": "b"}),
        ValueError,
        [
            "plot_lr_sweep: reference['2/L'] must be a positive learning rate",
            "got 'b'",
            "reference={'2/L': q.max_stable_lr}",
        ],
    ),
    BadInput(
        "plot_lr_sweep/negative-reference",
        lambda: plot_lr_sweep({0.1: 1.0}, reference={"2/L": -1}),
        ValueError,
        ["reference['2/L'] must be a positive learning rate (the x axis is logarithmic)", "got -1"],
    ),
    # ---- plot_stability -------------------------------------------------------------------------------------
    BadInput(
        "plot_stability/a-list",
        lambda: plot_stability([run()]),
        TypeError,
        [
            "plot_stability: expected the Comparison returned by tg.train.compare, or a dict name -> list of History",
            "got list",
        ],
    ),
    BadInput(
        "plot_stability/empty",
        lambda: plot_stability({}),
        ValueError,
        ["plot_stability: no configurations to plot", "got an empty dict"],
    ),
    BadInput(
        "plot_stability/no-runs",
        lambda: plot_stability({"GD": []}),
        ValueError,
        ["plot_stability: configuration 'GD' has no runs", "a list of one History per seed"],
    ),
    BadInput(
        "plot_stability/not-a-history",
        lambda: plot_stability({"GD": [1.0]}),
        TypeError,
        ["configuration 'GD' holds a float, not a History", "the Histories that tg.train.fit returned"],
    ),
    BadInput(
        "plot_stability/unknown-series",
        lambda: plot_stability({"GD": [run()]}, series="losss"),
        ValueError,
        ["History 'run' has no series 'losss'", "available: ['loss', 'grad_norm'"],
    ),
    BadInput(
        "plot_stability/empty-series",
        lambda: plot_stability({"GD": [run()]}, series="val_loss"),
        ValueError,
        ["History 'run' recorded no 'val_loss' values", "tg.train.fit(..., val_data=...)"],
    ),
    BadInput(
        "plot_stability/smooth-per-epoch",
        lambda: plot_stability({"GD": [run()]}, series="train_loss", smooth=3),
        ValueError,
        ["smooth= applies to per-iteration series such as 'loss'", "'train_loss' is per epoch"],
    ),
    BadInput(
        "plot_stability/unknown-clock",
        lambda: plot_stability({"GD": [run()]}, x="iters"),
        ValueError,
        ["plot_stability: unknown x='iters'", "choose one of 'iteration'"],
    ),
    BadInput(
        "plot_stability/zero-smooth",
        lambda: plot_stability(comparison(), smooth=0),
        ValueError,
        ["plot_stability: smooth must be None or a window", "got 0"],
    ),
    # ---- plot_parameter_updates -----------------------------------------------------------------------------
    BadInput(
        "plot_parameter_updates/a-dict",
        lambda: plot_parameter_updates({"a": run()}),
        TypeError,
        ["plot_parameter_updates: expected a History (from tg.train.fit)", "got dict"],
    ),
    BadInput(
        "plot_parameter_updates/no-snapshots",
        lambda: plot_parameter_updates(run()),
        ValueError,
        ["History 'run' has no parameter snapshots", "tg.train.fit(..., record_params=True)"],
    ),
    BadInput(
        "plot_parameter_updates/unknown-name",
        lambda: plot_parameter_updates(snapshots(), names="v"),
        ValueError,
        ["History 'snap' has no parameter(s) ['v']", "recorded: ['w']"],
    ),
    BadInput(
        "plot_parameter_updates/int-names",
        lambda: plot_parameter_updates(snapshots(), names=5),
        TypeError,
        [
            "plot_parameter_updates: names must be a parameter name, a list of them or None (all)",
            "got 5",
            "recorded: ['w']",
        ],
    ),
    BadInput(
        "plot_parameter_updates/empty-names",
        lambda: plot_parameter_updates(snapshots(), names=[]),
        ValueError,
        ["plot_parameter_updates: names is empty", "recorded parameters: ['w']"],
    ),
    BadInput(
        "plot_parameter_updates/zero-max-elements",
        lambda: plot_parameter_updates(snapshots(), max_elements=0),
        ValueError,
        ["max_elements must be a positive int", "got 0"],
    ),
    BadInput(
        "plot_parameter_updates/one-snapshot",
        lambda: plot_parameter_updates(History(name="one", params={"w": [np.zeros(2)]})),
        ValueError,
        ["History 'one' has 1 snapshot(s)", "record_params=True"],
    ),
    BadInput(
        "plot_parameter_updates/bad-ax",
        lambda: plot_parameter_updates(snapshots(), ax=3),
        ValueError,
        ["ax must be a sequence of 2 matplotlib Axes (one per panel)", "got int"],
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
