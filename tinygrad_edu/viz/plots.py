r"""Pictures of training (matplotlib): loss curves, convergence speed, parameter trajectories over loss
contours, learning-rate sweeps, stability across seeds and parameter updates.

Every function takes what :func:`tinygrad_edu.train.fit` and :func:`tinygrad_edu.train.compare` return
(``History`` objects, a ``Comparison``) and returns a :class:`matplotlib.figure.Figure`:

* ``fig.savefig("loss.png", dpi=120)`` writes a file; no display and no pyplot are needed, so it works
  headless (servers, CI) whatever matplotlib backend is configured.
* As the last line of a Jupyter cell the figure is shown inline, once. The figures are created without pyplot
  (so pyplot's list of open figures never grows, and nothing is shown twice), as an :class:`InlineFigure`: a
  ``Figure`` with a ``_repr_png_`` method, which Jupyter calls when no matplotlib display is set up.
* ``ax=`` draws into axes you made, e.g. with ``fig, ax = plt.subplots()``, and returns their figure; then
  pyplot manages it as usual (``plt.show()`` opens a window). Functions that draw several panels take a
  sequence of axes, one per panel.

matplotlib is imported when the first picture is drawn, never by ``import tinygrad_edu``; where it is missing
the functions raise an ``ImportError`` that says ``pip install matplotlib``.

The x axis: four clocks
-----------------------
``x="iteration"`` (optimiser steps), ``"epoch"`` (passes over the training set), ``"grad_evals"`` (per-sample
gradients computed = samples seen: one GD step costs N of them, one SGD step 1; the fair clock between batch
sizes) and ``"time"`` (wall-clock seconds: where vectorised full batches win back much of their cost).
Per-iteration values are drawn at ``history.iterations`` / ``grad_evals`` / ``wall_time``, or, for
``"epoch"``, at fractional epochs (iteration :math:`j` of :math:`m` in epoch :math:`e` at
:math:`e - 1 + j/m`); per-epoch values at the end of their epoch (``epoch_iterations`` /
``epoch_grad_evals`` / ``epoch_wall_time`` / ``epochs``).

Log scales
----------
Losses span decades: for gradient descent on a strongly convex problem the gap to the optimum shrinks
geometrically, :math:`f(\theta_k) - f^* \approx C\rho^k`, a straight line of slope :math:`\log\rho` on a
logarithmic y axis. The loss axes are logarithmic by default (``log=False`` for a linear one); values
:math:`\le 0` cannot be placed on a log axis and are left out (when no value is left, the axis stays linear,
with a warning).
"""

from __future__ import annotations

import functools
import io
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..train.compare import Comparison
from ..train.history import ITERATION_SERIES, History

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_loss_curves",
    "plot_convergence",
    "plot_trajectories",
    "plot_lr_sweep",
    "plot_stability",
    "plot_parameter_updates",
    "CLOCKS",
    "MATPLOTLIB_HINT",
]

#: The x axes every curve can be drawn against.
CLOCKS = ("iteration", "epoch", "grad_evals", "time")

MATPLOTLIB_HINT = (
    "tinygrad_edu's training plots need matplotlib, which is not installed: pip install matplotlib "
    "(it is one of tinygrad-edu's dependencies; `pip install tinygrad-edu` installs it)"
)

_CLOCK_LABEL = {
    "iteration": "iteration (optimiser steps)",
    "epoch": "epoch (passes over the training set)",
    "grad_evals": "gradient evaluations (samples seen)",
    "time": "wall-clock time (s)",
}
_CLOCK_TITLE = {
    "iteration": "per iteration",
    "epoch": "per epoch",
    "grad_evals": "per gradient evaluation",
    "time": "over wall-clock time",
}

# Applied while a function draws (matplotlib.rc_context): the user's global settings are left alone.
_STYLE = {
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
}
_RAW_ALPHA = 0.25  # the raw per-iteration losses under a moving average (SGD's noise, drawn faintly)
_SINGLE = (7.5, 4.6)  # inches; at dpi 100 a picture 750 px wide


# --------------------------------------------------------------------------------------------------------
# matplotlib, imported on first use
# --------------------------------------------------------------------------------------------------------


def _matplotlib() -> Any:
    """Import matplotlib or raise an ImportError that says how to install it."""
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError:
        raise ImportError(MATPLOTLIB_HINT) from None
    return matplotlib


_inline_figure_class: type[Figure] | None = None


def _figure_class() -> type[Figure]:
    """:class:`InlineFigure`, defined the first time a picture is drawn (matplotlib is imported then)."""
    global _inline_figure_class
    if _inline_figure_class is None:
        _matplotlib()  # ImportError with the install hint if matplotlib is missing
        from matplotlib.figure import Figure

        class InlineFigure(Figure):
            """A matplotlib ``Figure`` that Jupyter shows inline as the last value of a cell.

            Made without pyplot, it is not in pyplot's list of open figures, so Jupyter's inline backend does
            not show it at the end of the cell on its own: it is shown exactly once, when it is the cell's value
            (through matplotlib's inline formatter where one is set up, otherwise through ``_repr_png_``).
            Everything else is a plain ``Figure``: ``savefig``, ``axes``, ``suptitle``...
            """

            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", bbox_inches="tight")
                return buffer.getvalue()

        InlineFigure.__module__ = __name__  # pickle finds the class as tinygrad_edu.viz.plots.InlineFigure,
        InlineFigure.__qualname__ = "InlineFigure"  # through the module's __getattr__
        _inline_figure_class = InlineFigure
    return _inline_figure_class


def __getattr__(name: str) -> Any:
    if name == "InlineFigure":  # created lazily (see _figure_class); unpickling a figure looks it up here
        return _figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plotting(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Import matplotlib (with the install hint) and draw inside the module's rc style."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        mpl = _matplotlib()
        with mpl.rc_context(_STYLE):
            return func(*args, **kwargs)

    return wrapper


def _axes(
    ax: Any, n: int, fn: str, *, figsize: tuple[float, float], ncols: int | None = None, **subplot_kw: Any
) -> tuple[Figure, list[Axes], bool]:
    """The figure and ``n`` axes to draw into: new ones (an InlineFigure), or the ones the user passed.

    Returns (figure, axes, created)."""
    from matplotlib.axes import Axes

    if ax is None:
        fig = _figure_class()(figsize=figsize, layout="constrained")
        ncols = n if ncols is None else ncols
        grid = fig.subplots(math.ceil(n / ncols), ncols, squeeze=False, **subplot_kw)
        return fig, list(grid.ravel()[:n]), True
    if isinstance(ax, np.ndarray):  # what plt.subplots returns for several axes
        axes = list(ax.ravel())
    elif isinstance(ax, (list, tuple)):
        axes = list(ax)
    else:
        axes = [ax]
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        want = "a matplotlib Axes" if n == 1 else f"a sequence of {n} matplotlib Axes (one per panel)"
        make = "fig, ax = plt.subplots()" if n == 1 else f"fig, axes = plt.subplots(1, {n})"
        raise ValueError(f"{fn}: ax must be {want}, got {_describe(ax)}; e.g. {make}, or leave ax=None")
    return axes[0].figure.figure, axes, False  # .figure.figure: the root figure, also for axes in a SubFigure


def _describe(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}: [{', '.join(type(v).__name__ for v in value[:4])}]"
    return f"{type(value).__name__}"


def _colours(n: int) -> list[Any]:
    """Distinct colours: tab10, then tab20, then evenly spaced samples of a perceptual colour map."""
    import matplotlib

    if n <= 20:  # the colour lists of the tab10 and tab20 colour maps
        return matplotlib.color_sequences["tab10" if n <= 10 else "tab20"][:n]
    return [matplotlib.colormaps["turbo"](t) for t in np.linspace(0.05, 0.95, n)]


def _legend(fig: Figure, axis: Axes, handles: list[Any], created: bool, *, where: str = "below") -> None:
    """A legend that does not cover the data: below the axes (or on their right) where we made the figure;
    inside the user's axes at matplotlib's "best" place otherwise."""
    if not handles:
        return
    if not created:
        axis.legend(handles=handles, loc="best")
    elif where == "below":
        longest = max(len(h.get_label()) for h in handles)
        ncols = min(len(handles), 3)
        while ncols > 1 and ncols * (longest + 8) * 0.075 > 0.95 * fig.get_figwidth():
            ncols -= 1  # about 0.075 inch per character at the legend's font size, plus the line sample
        fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)
    else:  # right of the axes: constrained layout makes room for it
        axis.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)


def _readable_log_ticks(axis: Axes) -> None:
    """Plain numbers (0.3, 0.5, 1, 2) instead of 3×10⁻¹ on a log y axis that spans less than two decades."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = axis.get_ylim()
    if axis.get_yscale() != "log" or not 0 < lo < hi < 100 * lo:
        return
    shown = None if hi < 10 * lo else (1, 2, 3, 5)  # leading digits labelled: all within a decade
    plain = FuncFormatter(functools.partial(_plain_log_tick, shown=shown))  # a partial: figures stay picklable
    axis.yaxis.set_major_formatter(plain)
    axis.yaxis.set_minor_formatter(plain)


def _plain_log_tick(value: float, _position: Any, shown: tuple[int, ...] | None) -> str:
    if value <= 0:
        return ""
    digit = round(value / 10 ** math.floor(math.log10(value) + 1e-9))
    return f"{value:.3g}" if shown is None or digit in shown else ""


def _fit_ylim(axis: Axes, curves: Sequence[np.ndarray]) -> None:
    """Limit the y axis to the main curves, so that the faint raw batch losses (whose spread for batch size 1
    covers many decades) do not squeeze them."""
    values = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in curves]) if curves else np.array([])
    values = values[np.isfinite(values)]
    if axis.get_yscale() == "log":
        values = values[values > 0]
    if values.size == 0:
        return
    lo, hi = float(values.min()), float(values.max())
    if axis.get_yscale() == "log":
        pad = (hi / lo) ** 0.08 if hi > lo else 2.0
        axis.set_ylim(lo / pad, hi * pad)
    else:
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
        axis.set_ylim(lo - pad, hi + pad)


def _set_log_y(axis: Axes, values: Sequence[np.ndarray], fn: str, what: str, log: bool) -> None:
    """Logarithmic y axis when asked for and possible; warn (and stay linear) when nothing is positive."""
    if not log:
        return
    pieces = [v[np.isfinite(v)] for v in values]
    finite = np.concatenate(pieces) if pieces else np.array([])
    if finite.size and not (finite > 0).any():
        warnings.warn(
            f"{fn}: every {what} is <= 0, which a log scale cannot show; drawn on a linear scale (pass log=False "
            "to silence this)",
            stacklevel=4,
        )
        return
    axis.set_yscale("log", nonpositive="mask")


# --------------------------------------------------------------------------------------------------------
# reading Histories
# --------------------------------------------------------------------------------------------------------


def _check_clock(x: Any, fn: str, name: str = "x") -> str:
    if not isinstance(x, str) or x not in CLOCKS:
        raise ValueError(f"{fn}: unknown {name}={x!r}; choose one of {', '.join(repr(c) for c in CLOCKS)}")
    return x


def _check_smooth(smooth: Any, fn: str) -> int:
    """The moving-average window (0: no smoothing)."""
    if smooth is None:
        return 0
    if isinstance(smooth, bool) or not isinstance(smooth, numbers.Integral) or smooth < 1:
        raise ValueError(f"{fn}: smooth must be None or a window of at least 1 iteration (an int), got {smooth!r}")
    window = int(smooth)
    return window if window > 1 else 0


def _named_histories(histories: Any, fn: str) -> list[tuple[str, History]]:
    """(label, History) pairs from a History, a sequence of them or a dict label -> History."""
    if isinstance(histories, Comparison):
        raise TypeError(
            f"{fn}: got a Comparison (several seeds per configuration): plot_stability(result) draws the mean and "
            f"spread over seeds; to draw one seed per configuration pass {{name: result[name][0] for name in "
            f"result.configs}}"
        )
    items: list[tuple[Any, Any]]  # (label, value): labels made str and values checked to be Histories below
    if isinstance(histories, History):
        items = [(histories.name, histories)]
    elif isinstance(histories, Mapping):
        items = [(str(k), v) for k, v in histories.items()]
    elif isinstance(histories, (list, tuple)):
        items = [(getattr(h, "name", None), h) for h in histories]
    else:
        raise TypeError(
            f"{fn}: histories must be a History, a list of them or a dict name -> History, got "
            f"{type(histories).__name__}"
        )
    if not items:
        raise ValueError(
            f"{fn}: no histories to plot (got an empty {type(histories).__name__}); pass a History from "
            "tg.train.fit, a list of them or a dict name -> History"
        )
    for label, h in items:
        if not isinstance(h, History):
            what = f" for {label!r}" if isinstance(histories, Mapping) else ""
            raise TypeError(f"{fn}: expected History objects (from tg.train.fit), got {type(h).__name__}{what}")
    return _unique_labels(items)


def _unique_labels(items: list[tuple[Any, Any]]) -> list[tuple[str, Any]]:
    """Make labels unique for the legend: a repeated "run" becomes "run (2)"."""
    seen: dict[str, int] = {}
    out = []
    for label, value in items:
        label = str(label)
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label} ({seen[label]})", value))
    return out


def _needs_iterations(name: str, h: History, fn: str) -> None:
    if h.n_iterations == 0:
        raise ValueError(f"{fn}: History {name!r} recorded no iterations, so there is no curve to draw")


def _stochastic(h: History) -> bool:
    """Whether the run's per-iteration losses are batch losses with sampling noise (not a full batch)."""
    mode = h.info.get("mode")
    if mode is not None:
        return mode != "full batch"
    if len(h.epoch_index) == h.n_iterations and h.n_iterations:
        return len(set(h.epoch_index)) < h.n_iterations  # some epoch has several iterations
    return True


def _iteration_x(name: str, h: History, clock: str, fn: str) -> np.ndarray:
    """Where the per-iteration values go on the x axis."""
    n = h.n_iterations
    if clock == "iteration":
        return h.iterations.astype(np.float64)
    field = {"grad_evals": "grad_evals", "time": "wall_time", "epoch": "epoch_index"}[clock]
    values = np.asarray(getattr(h, field), dtype=np.float64)
    if len(values) != n:
        raise ValueError(
            f"{fn}: History {name!r} has {n} losses but {len(values)} {field} entries; x={clock!r} needs one per "
            "iteration (tg.train.fit records them)"
        )
    if clock != "epoch":
        return values
    # iteration j (1..m) of epoch e sits at e - 1 + j/m, so that the last iteration of an epoch is at e
    epochs = values.astype(np.int64)
    m = h.info.get("iterations_per_epoch") or max(np.bincount(epochs).max(), 1)
    starts = np.r_[0, np.flatnonzero(np.diff(epochs)) + 1]
    position = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    return epochs - 1 + position / m


def _epoch_x(name: str, h: History, clock: str, n_values: int, fn: str) -> np.ndarray:
    """Where per-epoch values go on the x axis: the end of their epoch."""
    if clock == "epoch":
        return np.arange(1, n_values + 1, dtype=np.float64)
    field = {"iteration": "epoch_iterations", "grad_evals": "epoch_grad_evals", "time": "epoch_wall_time"}[clock]
    values = np.asarray(getattr(h, field), dtype=np.float64)
    if len(values) < n_values:
        raise ValueError(
            f"{fn}: History {name!r} has {n_values} per-epoch values but {len(values)} {field} entries; x={clock!r} "
            "needs one per epoch (tg.train.fit records them)"
        )
    return values[:n_values]


def _moving_average(values: Any, window: int) -> np.ndarray:
    """Moving average over ``window`` values (centred; narrower near the start, future half cut near the end).

    At index ``i`` the window reaches ``h = min(window // 2, i // 2)`` values to each side: narrower near the
    start, where the loss falls fastest and the larger earlier values would otherwise dominate the mean (an
    arithmetic mean over a stretch where the loss spans a decade is a mean of its largest values); near the end
    it keeps its past half and loses what is cut off of its future half. Non-finite values are left out.
    """
    v = np.asarray(values, dtype=np.float64)
    n = v.size
    half = window // 2
    if half < 1 or n < 3:
        return v.copy()
    ok = np.isfinite(v)
    vz = np.where(ok, v, 0.0)
    sums, counts = np.empty(n), np.empty(n)
    full = 2 * half + 1
    middle = range(2 * half, n - half)  # the full, centred window fits
    if len(middle):
        # direct sums (np.convolve), not differences of a cumulative sum: a loss of 1e12 early on must not wipe
        # out the digits of a loss of 1e-6 later
        kernel = np.ones(full)
        sums[middle.start : middle.stop] = np.convolve(vz, kernel, mode="valid")[half : half + len(middle)]
        counts[middle.start : middle.stop] = np.convolve(ok.astype(np.float64), kernel, mode="valid")[
            half : half + len(middle)
        ]
    for i in (*range(min(2 * half, n)), *range(max(n - half, 2 * half), n)):
        h = min(half, i // 2)
        window_slice = slice(i - h, min(n, i + h + 1))
        sums[i], counts[i] = vz[window_slice].sum(), ok[window_slice].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / counts
    out[counts == 0] = np.nan
    return out


def _raw_and_smooth_handles(window: int, *, epoch: bool = False) -> list[Any]:
    """Grey legend entries that explain the faint raw curves and the solid smoothed (or per-epoch) ones."""
    from matplotlib.lines import Line2D

    solid = "training loss per epoch" if epoch else f"centred moving average ({window} iterations)"
    return [
        Line2D([], [], color="0.45", lw=0.8, alpha=0.5, label="raw batch loss per iteration"),
        Line2D([], [], color="0.45", lw=2.0, label=solid),
    ]


# --------------------------------------------------------------------------------------------------------
# loss curves
# --------------------------------------------------------------------------------------------------------


@_plotting
def plot_loss_curves(
    histories: History | Sequence[History] | Mapping[str, History],
    x: str = "iteration",
    *,
    log: bool = True,
    smooth: int | None = None,
    val: bool = True,
    logx: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Loss curves of several runs on one plot.

    Parameters
    ----------
    histories : History, list of History, or dict of str to History
        The runs; their labels are the dict keys, otherwise ``History.name`` (repeated names get " (2)", ...).
    x : {"iteration", "epoch", "grad_evals", "time"}
        The clock on the x axis (see the module docstring).

        * ``"iteration"``, ``"grad_evals"``, ``"time"``: the per-iteration batch loss ``history.loss``. A
          stochastic run's curve (mini-batches, batch 1) is noisy: each point is the loss of a different batch.
        * ``"epoch"``: the per-epoch training loss ``history.train_loss`` (lines with markers), with a
          stochastic run's per-iteration batch losses drawn faintly behind it at fractional epochs.
    log : bool, default True
        Logarithmic loss axis (a straight line there is geometric convergence).
    smooth : int, optional
        A centred moving average over ``smooth`` iterations for stochastic runs: the raw batch losses are then
        drawn faintly and the average solid on top (full-batch runs have no sampling noise and are drawn as
        they are). Not with ``x="epoch"``, whose curve already averages each epoch.
    val : bool, default True
        Also draw the validation loss (dashed, same colour, at the end of each epoch) where it was recorded.
    logx : bool, default False
        Logarithmic x axis: runs whose lengths differ by orders of magnitude (GD and SGD counted in gradient
        evaluations) all stay visible.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    title : str, optional
        Defaults to "Training loss" and the clock.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import tinygrad_edu as tg
    >>> X, y, _ = tg.data.make_linear_regression(64, 2, noise=0.1, seed=0)
    >>> runs = {}
    >>> for name, batch in (("GD", None), ("SGD, batch 8", 8)):
    ...     _ = tg.manual_seed(0)
    ...     model = tg.nn.Linear(2, 1)
    ...     opt = tg.optim.SGD(model.parameters(), lr=0.1)
    ...     runs[name] = tg.train.fit(model, tg.nn.functional.mse_loss, opt,
    ...                               tg.data.DataLoader(X, y, batch_size=batch, seed=0), epochs=5, progress=False)
    >>> fig = tg.viz.plot_loss_curves(runs, x="grad_evals", smooth=4)
    >>> fig.axes[0].get_yscale(), fig.axes[0].get_xlabel()
    ('log', 'gradient evaluations (samples seen)')
    """
    fn = "plot_loss_curves"
    clock = _check_clock(x, fn)
    window = _check_smooth(smooth, fn)
    if window and clock == "epoch":
        raise ValueError(
            f"{fn}: smooth={smooth} averages per-iteration losses, but with x='epoch' the curve is the per-epoch "
            "training loss (already an average over the epoch's batches): drop smooth=, or choose x='iteration', "
            "'grad_evals' or 'time'"
        )
    runs = _named_histories(histories, fn)
    for name, h in runs:
        _needs_iterations(name, h, fn)
        if clock == "epoch" and not h.train_loss:
            raise ValueError(f"{fn}: x='epoch' draws the per-epoch training loss, and History {name!r} has none")
    fig, (axis,), created = _axes(ax, 1, fn, figsize=_SINGLE)
    main: list[np.ndarray] = []  # the curves that set the y range (not the faint raw batch losses)
    faint = False
    for (name, h), colour in zip(runs, _colours(len(runs)), strict=True):
        xs, ys = _iteration_x(name, h, clock, fn), np.asarray(h.loss, dtype=np.float64)
        noisy = _stochastic(h)
        if clock == "epoch":
            if noisy:
                axis.plot(xs, ys, color=colour, lw=0.7, alpha=_RAW_ALPHA)
                faint = True
            ey = np.asarray(h.train_loss, dtype=np.float64)
            ex = _epoch_x(name, h, clock, len(ey), fn)
            axis.plot(ex, ey, color=colour, lw=2.0, marker="o" if len(ey) <= 50 else None, ms=4, label=name)
            main.append(ey)
        elif window and noisy:
            axis.plot(xs, ys, color=colour, lw=0.7, alpha=_RAW_ALPHA)
            smoothed = _moving_average(ys, window)
            axis.plot(xs, smoothed, color=colour, lw=2.0, label=name)
            main.append(smoothed)
            faint = True
        else:
            axis.plot(xs, ys, color=colour, lw=1.0 if noisy else 2.0, label=name)
            main.append(ys)
        if val and h.val_loss:
            vy = np.asarray(h.val_loss, dtype=np.float64)
            vx = _epoch_x(name, h, clock, len(vy), fn)
            marker = "s" if len(vy) <= 50 else None
            axis.plot(vx, vy, color=colour, lw=1.6, ls="--", marker=marker, ms=3.5, label=f"{name} (validation)")
            main.append(vy)
    _set_log_y(axis, main, fn, "loss", log)
    if faint:
        _fit_ylim(axis, main)
    if logx:
        axis.set_xscale("log")
    axis.set_xlabel(_CLOCK_LABEL[clock])
    axis.set_ylabel("loss (log scale)" if axis.get_yscale() == "log" else "loss")
    axis.set_title(title if title is not None else f"Training loss {_CLOCK_TITLE[clock]}")
    handles, _ = axis.get_legend_handles_labels()
    if faint:
        handles += _raw_and_smooth_handles(window, epoch=clock == "epoch")
    _legend(fig, axis, handles, created)
    _readable_log_ticks(axis)
    return fig


# --------------------------------------------------------------------------------------------------------
# convergence speed
# --------------------------------------------------------------------------------------------------------


@_plotting
def plot_convergence(
    histories: History | Sequence[History] | Mapping[str, History],
    target: float,
    *,
    x: str | Sequence[str] = ("iteration", "grad_evals", "time"),
    smooth: int | None = None,
    logx: bool = False,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
) -> Figure:
    r"""The gap to a known optimum, :math:`f(\theta_k) - f^*` on a log scale, against one or more clocks.

    This is the picture of convergence *speed*: on a log axis geometric convergence is a straight line, and
    drawing the same runs against iterations, gradient evaluations and wall time side by side shows why
    "which is faster, GD or SGD?" depends on the clock. Per iteration, full-batch GD wins (every step uses the
    exact gradient); per gradient evaluation, SGD wins by far early on (N of its steps cost what one GD step
    costs) but stalls at its noise floor; wall time sits in between, because one vectorised full-batch step
    costs much less than N single-sample steps.

    Parameters
    ----------
    histories : History, list of History, or dict of str to History
        The runs (labels as in :func:`plot_loss_curves`).
    target : float
        :math:`f^*`, the optimal value of the loss being minimised (the training loss), e.g. the least-squares
        loss, ``Quadratic.residual`` for the least-squares form of ``tg.data.make_quadratic`` (whose mean
        squared error is :math:`f(w) - f^* + r`), or 0 for Rosenbrock.
    x : str or sequence of str, default ("iteration", "grad_evals", "time")
        One clock (one panel; ``ax`` may be given) or several (one panel each, side by side, sharing the y
        axis): ``"iteration"``, ``"epoch"``, ``"grad_evals"``, ``"time"``.
    smooth : int, optional
        Average stochastic runs' batch losses over a centred window of this many iterations (see
        :func:`plot_loss_curves`) before taking the gap.
    logx : bool, default False
        Logarithmic x axes, for runs whose lengths differ by orders of magnitude.
    ax : Axes, or a sequence of one Axes per clock, optional
    title : str, optional
        The title of the figure (one panel: of the axes). Defaults to "Convergence: loss − f*, f* = ...".

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The curve is the per-iteration loss ``history.loss``; for a full batch that *is* the training loss, for a
    mini-batch it is a noisy estimate of it, which near the optimum can fall below :math:`f^*` (one batch can
    fit better than the optimum of all of them). Such points have no place on a log axis and are left out (a
    warning says so when more than 5 % of a stochastic run's points are): ``smooth=`` averages the batches
    first. Where a stochastic run also recorded the exact training loss at the end of each epoch
    (``fit(train_loss="full")``, which :func:`~tinygrad_edu.train.compare` uses), those gaps are drawn as open
    circles.
    """
    fn = "plot_convergence"
    clocks = [x] if isinstance(x, str) else list(x) if isinstance(x, (list, tuple)) else [x]
    if not clocks:
        raise ValueError(f"{fn}: x must name at least one clock out of {', '.join(repr(c) for c in CLOCKS)}")
    clocks = [_check_clock(c, fn) for c in clocks]
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or not math.isfinite(target):
        raise ValueError(f"{fn}: target must be a finite number, the optimal loss f*, got {target!r}")
    target = float(target)
    window = _check_smooth(smooth, fn)
    runs = _named_histories(histories, fn)
    for name, h in runs:
        _needs_iterations(name, h, fn)
    n = len(clocks)
    fig, axes, created = _axes(ax, n, fn, figsize=(_SINGLE[0], _SINGLE[1]) if n == 1 else (4.4 * n, 4.4), sharey=True)
    colours = _colours(len(runs))
    for name, h in runs:
        gap = np.asarray(h.loss, dtype=np.float64) - target
        below = float(np.mean(gap[np.isfinite(gap)] <= 0)) if np.isfinite(gap).any() else 0.0
        if not window and _stochastic(h) and below > 0.05:
            warnings.warn(
                f"{fn}: {below:.0%} of the batch losses of {name!r} are at or below the target {target:g} (one batch "
                "can fit better than the optimum of the whole training set); a log axis cannot show them, so its "
                "curve has gaps: pass smooth=... to average the batch losses first",
                stacklevel=3,
            )
    smoothed = exact = False
    for axis, clock in zip(axes, clocks, strict=True):
        gaps: list[np.ndarray] = []
        for (name, h), colour in zip(runs, colours, strict=True):
            xs = _iteration_x(name, h, clock, fn)
            loss = np.asarray(h.loss, dtype=np.float64)
            noisy = _stochastic(h)
            if window and noisy:
                loss = _moving_average(loss, window)
                smoothed = True
            gap = loss - target
            axis.plot(xs, gap, color=colour, lw=1.0 if noisy and not window else 2.0, label=name)
            gaps.append(gap)
            if noisy and h.train_loss_mode == "full" and h.train_loss:
                ey = np.asarray(h.train_loss, dtype=np.float64) - target
                ex = _epoch_x(name, h, clock, len(ey), fn)
                axis.plot(ex, ey, ls="none", marker="o", ms=6, mfc="white", mec=colour, mew=1.6, zorder=3)
                exact = True
        _set_log_y(axis, gaps, fn, "loss - target", True)
        if logx:
            axis.set_xscale("log")
        axis.set_xlabel(_CLOCK_LABEL[clock])
        if n > 1:
            axis.set_title(f"against {_CLOCK_LABEL[clock].split(' (')[0]}", fontweight="normal", fontsize=11)
    axes[0].set_ylabel("loss − f*  (log scale)")
    default_title = f"Convergence: gap to the optimum, loss − f*  (f* = {target:.4g})"
    if n == 1:
        axes[0].set_title(title if title is not None else default_title)
    else:
        fig.suptitle(title if title is not None else default_title)
    from matplotlib.lines import Line2D

    handles, _ = axes[0].get_legend_handles_labels()
    if smoothed:
        label = f"batch losses: moving average ({window} iterations)"
        handles.append(Line2D([], [], color="0.45", lw=2.0, label=label))
    if exact:
        handles.append(
            Line2D([], [], ls="none", marker="o", ms=6, mfc="white", mec="0.3", mew=1.6,
                   label="exact training loss at epoch ends"),
        )  # fmt: skip
    _legend(fig, axes[0], handles, created)
    _readable_log_ticks(axes[0])
    return fig


# --------------------------------------------------------------------------------------------------------
# trajectories
# --------------------------------------------------------------------------------------------------------

ParamSpec = str | tuple[Any, Any] | None


def _history_path(name: str, h: History, params: ParamSpec, fn: str) -> tuple[np.ndarray, tuple[str, str]]:
    """The (k, 2) path of a History's parameter snapshots, and the axis labels."""
    if not h.params:
        raise ValueError(
            f"{fn}: History {name!r} has no parameter snapshots: train with tg.train.fit(..., record_params=True)"
        )
    shapes = {p: np.shape(snaps[0]) for p, snaps in h.params.items()}
    sizes = {p: int(np.prod(s)) for p, s in shapes.items()}
    recorded = ", ".join(f"{p} {s}" for p, s in shapes.items())
    how = (
        "pass params='name' for a parameter with 2 elements, params=('a', 'b') for two one-element parameters, "
        "or params=(('weight', 0), ('weight', 1)) to pick elements (flat index)"
    )
    if params is None:
        if len(sizes) == 1:
            params = next(iter(sizes))  # checked below: it must have 2 elements
        elif len(sizes) == 2 and all(s == 1 for s in sizes.values()):
            x_name, y_name = sizes
            params = (x_name, y_name)
        else:
            raise ValueError(f"{fn}: which two numbers of History {name!r} are x and y? It recorded {recorded}; {how}")
    if isinstance(params, str):
        if params not in sizes:
            raise ValueError(f"{fn}: History {name!r} has no parameter {params!r}; recorded: {recorded}")
        if sizes[params] != 2:
            raise ValueError(
                f"{fn}: parameter {params!r} of History {name!r} has {sizes[params]} elements (shape "
                f"{shapes[params]}), but a trajectory on a 2-D contour plot needs 2 numbers per snapshot; {how}"
            )
        picks = [(params, 0), (params, 1)]
    elif isinstance(params, (tuple, list)) and len(params) == 2:
        picks = []
        for item in params:
            if isinstance(item, str):
                if item in sizes and sizes[item] != 1:
                    raise ValueError(
                        f"{fn}: parameter {item!r} of History {name!r} has {sizes[item]} elements (shape "
                        f"{shapes[item]}); name a one-element parameter or pick an element: ({item!r}, index)"
                    )
                picks.append((item, 0))
            elif (
                isinstance(item, (tuple, list))
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], numbers.Integral)
            ):
                picks.append((item[0], int(item[1])))
            else:
                raise ValueError(f"{fn}: params entries must be 'name' or ('name', flat_index), got {item!r}; {how}")
        for p, i in picks:
            if p not in sizes:
                raise ValueError(f"{fn}: History {name!r} has no parameter {p!r}; recorded: {recorded}")
            if not -sizes[p] <= i < sizes[p]:
                raise ValueError(f"{fn}: index {i} is out of range for parameter {p!r} with {sizes[p]} elements")
    else:
        raise ValueError(f"{fn}: params must be None, 'name' or a pair of them, got {params!r}; {how}")
    columns = [np.array([np.ravel(s)[i] for s in h.params[p]], dtype=np.float64) for p, i in picks]
    x_label, y_label = (_element_label(p, i % sizes[p], shapes[p]) for p, i in picks)  # picks holds 2 entries
    return np.stack(columns, axis=1), (x_label, y_label)


def _element_label(param: str, flat: int, shape: tuple[int, ...]) -> str:
    if int(np.prod(shape)) == 1:
        return param
    index = np.unravel_index(flat, shape)
    return f"{param}[{', '.join(str(int(i)) for i in index)}]"


def _as_path(name: str, value: Any, fn: str) -> np.ndarray:
    try:
        path = np.asarray(getattr(value, "data", value), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{fn}: a trajectory must be a History or an array of shape (k, 2), got {type(value).__name__} for {name!r}"
        ) from None
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        raise ValueError(
            f"{fn}: a path must be an array of shape (k, 2), one row (x, y) per step, got shape {path.shape} for "
            f"{name!r}"
        )
    return path


def _named_paths(histories: Any, params: ParamSpec, fn: str) -> tuple[list[tuple[str, np.ndarray]], tuple[str, str]]:
    if isinstance(histories, (History, np.ndarray)):
        items: list[tuple[Any, Any]] = [(getattr(histories, "name", "path"), histories)]
    elif isinstance(histories, Mapping):
        items = [(str(k), v) for k, v in histories.items()]
    elif isinstance(histories, (list, tuple)):
        if histories and all(isinstance(h, (History, np.ndarray)) for h in histories):
            items = [(h.name if isinstance(h, History) else f"path {i + 1}", h) for i, h in enumerate(histories)]
        elif histories:
            items = [("path", histories)]  # one path given as a nested list of (x, y) points
        else:
            items = []
    else:
        raise TypeError(
            f"{fn}: histories must be a History, a (k, 2) array, a list of them or a dict name -> History or array, "
            f"got {type(histories).__name__}"
        )
    if not items:
        raise ValueError(f"{fn}: no trajectories to plot (got an empty {type(histories).__name__})")
    paths, labels = [], None
    for label, value in _unique_labels(items):
        if isinstance(value, History):
            path, axis_labels = _history_path(label, value, params, fn)
            labels = labels or axis_labels
        else:
            path = _as_path(label, value, fn)
        paths.append((label, path))
    return paths, labels or ("x", "y")


def _grid_limits(
    paths: list[np.ndarray], optimum: np.ndarray | None, xlim: Any, ylim: Any, equal: bool
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The plotted region: every path and the optimum, with a margin (made square for an equal aspect)."""
    parts = [p[np.isfinite(p).all(axis=1)] for p in paths]
    points = np.concatenate(parts + ([] if optimum is None else [optimum[None]]))
    if not len(points):
        raise ValueError("plot_trajectories: no finite point to plot (every path is NaN or infinite)")
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, span = (lo + hi) / 2, hi - lo
    span = np.where(span > 0, span, np.maximum(np.abs(centre), 1.0))
    if equal:
        span[:] = span.max()
    span *= 1.3  # a margin of 15 % on each side
    limits = [(float(c - s / 2), float(c + s / 2)) for c, s in zip(centre, span, strict=True)]
    return (tuple(xlim) if xlim is not None else limits[0]), (tuple(ylim) if ylim is not None else limits[1])


def _levels(Z: np.ndarray, levels: Any, fn: str) -> np.ndarray:
    if isinstance(levels, numbers.Integral) and not isinstance(levels, bool):
        if levels < 2:
            raise ValueError(f"{fn}: levels must be at least 2 (a number of contour lines) or a sequence, got {levels}")
        finite = Z[np.isfinite(Z)]
        if finite.size == 0:
            raise ValueError(f"{fn}: fn2d returned no finite value on the grid")
        zmin, zmax = float(finite.min()), float(finite.max())
        span = zmax - zmin
        if span <= 0:
            return np.array([zmin])
        # geometrically spaced heights above the minimum: the valley floor and the steep walls both get lines
        return zmin + span * np.geomspace(1e-4, 1.0, int(levels))
    try:
        values = np.sort(np.asarray(levels, dtype=np.float64).ravel())
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: levels must be an int or a sequence of numbers, got {levels!r}") from None
    if values.size == 0:
        raise ValueError(f"{fn}: levels is empty")
    return values


@_plotting
def plot_trajectories(
    fn2d: Callable[[np.ndarray, np.ndarray], Any],
    histories: Any,
    *,
    levels: int | Sequence[float] = 20,
    params: ParamSpec = None,
    optimum: Sequence[float] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    resolution: int = 200,
    aspect: str = "equal",
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Parameter paths of several optimisers over the contour lines of a two-parameter loss.

    The geometry of optimisation in one picture: gradient descent steps are perpendicular to the contour
    lines (the gradient is normal to the level sets), so in a narrow valley (an ill-conditioned quadratic,
    Rosenbrock) they zig-zag across it; momentum smooths the zig-zag and speeds along the floor; SGD wanders
    around the minimum. Each path starts at a white-filled circle and ends at a star.

    Parameters
    ----------
    fn2d : callable
        ``fn2d(X, Y) -> Z``: the loss on a grid; ``X`` and ``Y`` are 2-D arrays (``np.meshgrid``) and ``Z`` must
        have their shape, so write it with numpy operations, e.g. Rosenbrock
        ``lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2``, a ``tg.data.Quadratic`` ``q`` with ``d=2``
        ``lambda a, b: q.value(np.stack([a, b], axis=-1))``, or the mean squared error of a line
        ``lambda w, b: ((w[..., None] * x + b[..., None] - y) ** 2).mean(axis=-1)``.
    histories : History, (k, 2) array, a list of them, or a dict of str to History or array
        The paths. A History gives the parameter snapshots recorded by ``fit(..., record_params=True)`` (the
        first is the starting point); an array gives the points ``(x, y)`` of your own loop, one row per
        step.
    levels : int or sequence of float, default 20
        An int: that many contour lines at heights :math:`z_{\min} + (z_{\max} - z_{\min})\,10^{-4 + 4t}`,
        :math:`t \in [0, 1]`, i.e. geometrically spaced above the grid's minimum, because loss landscapes span
        decades (evenly spaced lines would crowd on the steep walls and leave the valley floor empty). A
        sequence: the heights themselves.
    params : str, or a pair of str or (str, int), optional
        Which recorded numbers of a History are x and y:

        * ``None`` (default): the only parameter, if it has 2 elements (``Linear(2, 1, bias=False)``'s weight),
          or the two parameters, if there are two with one element each (``Linear(1, 1)``: weight, bias);
        * ``"weight"``: the parameter with that name, which must have 2 elements;
        * ``("weight", "bias")``: two one-element parameters, x first;
        * ``(("weight", 0), ("weight", 1))``: elements picked by flat index (``np.ravel`` order).
    optimum : (float, float), optional
        Marks the minimum with a black cross, e.g. ``(1, 1)`` for Rosenbrock or ``q.w_star``.
    xlim, ylim : (float, float), optional
        The region to draw; by default every path and the optimum with a margin.
    resolution : int, default 200
        Grid points per axis at which ``fn2d`` is evaluated.
    aspect : {"equal", "auto"}, default "equal"
        ``"equal"``: one unit is as long on both axes, so right angles look right (the gradient's
        perpendicularity to the contours is visible); ``"auto"`` fills the axes.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fn = "plot_trajectories"
    if not callable(fn2d):
        raise TypeError(f"{fn}: fn2d must be a function (X, Y) -> Z evaluated on grid arrays, got {fn2d!r}")
    if aspect not in ("equal", "auto"):
        raise ValueError(f"{fn}: aspect must be 'equal' or 'auto', got {aspect!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution < 2:
        raise ValueError(f"{fn}: resolution must be an int >= 2 (grid points per axis), got {resolution!r}")
    paths, (xlabel, ylabel) = _named_paths(histories, params, fn)
    opt = None
    if optimum is not None:
        opt = np.asarray(optimum, dtype=np.float64).ravel()
        if opt.shape != (2,):
            raise ValueError(f"{fn}: optimum must be a point (x, y), got {optimum!r}")
    for limits, name in ((xlim, "xlim"), (ylim, "ylim")):
        if limits is not None and (np.shape(limits) != (2,) or not limits[0] < limits[1]):
            raise ValueError(f"{fn}: {name} must be a pair (low, high) with low < high, got {limits!r}")
    (x0, x1), (y0, y1) = _grid_limits([p for _, p in paths], opt, xlim, ylim, aspect == "equal")
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    try:
        Z = fn2d(X, Y)
    except Exception as exc:
        raise TypeError(
            f"{fn}: fn2d(X, Y) failed on grid arrays of shape {X.shape} ({type(exc).__name__}: {exc}); fn2d must "
            "work elementwise on numpy arrays (np.exp, not math.exp), or wrap a function of two numbers with "
            "np.vectorize"
        ) from exc
    Z = np.asarray(getattr(Z, "data", Z), dtype=np.float64)
    if Z.shape != X.shape:
        raise ValueError(
            f"{fn}: fn2d(X, Y) must return an array of the grid's shape {X.shape}, got shape {Z.shape}; write it with "
            "numpy operations that act elementwise on X and Y"
        )
    fig, (axis,), created = _axes(ax, 1, fn, figsize=(7.0, 6.6))
    contour = axis.contour(X, Y, Z, levels=_levels(Z, levels, fn), cmap="Greys_r", linewidths=0.8, alpha=0.75)
    contour.set_zorder(1)
    colours = _colours(len(paths))
    for i, ((name, path), colour) in enumerate(zip(paths, colours, strict=True)):
        dense = len(path) > 150
        width = 1.3 + 1.5 * (len(paths) - 1 - i) / max(len(paths) - 1, 1)  # earlier paths wider: overlaps show
        axis.plot(
            path[:, 0], path[:, 1], color=colour, lw=width, marker=None if dense else ".", ms=5,
            label=f"{name} ({len(path) - 1} steps)", zorder=3,
        )  # fmt: skip
        finite = path[np.isfinite(path).all(axis=1)]
        axis.plot(*finite[0], ls="none", marker="o", ms=10, mfc="white", mec=colour, mew=2.2, zorder=4)
        axis.plot(*finite[-1], ls="none", marker="*", ms=16, color=colour, mec="black", mew=0.7, zorder=5)
    from matplotlib.lines import Line2D

    handles, _ = axis.get_legend_handles_labels()
    handles += [
        Line2D([], [], ls="none", marker="o", ms=9, mfc="white", mec="0.2", mew=2, label="start"),
        Line2D([], [], ls="none", marker="*", ms=14, color="0.5", mec="black", mew=0.7, label="end"),
    ]
    if opt is not None:
        axis.plot(*opt, ls="none", marker="P", ms=12, color="black", mec="white", mew=1.0, zorder=3.5)
        handles.append(Line2D([], [], ls="none", marker="P", ms=11, color="black", mec="white", label="minimum"))
    axis.set_xlim(x0, x1)
    axis.set_ylim(y0, y1)
    axis.set_aspect(aspect)
    axis.grid(False)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title if title is not None else "Parameter trajectories over the loss contours")
    _legend(fig, axis, handles, created)
    return fig


# --------------------------------------------------------------------------------------------------------
# learning-rate sweep
# --------------------------------------------------------------------------------------------------------


def _final_loss(value: Any, where: str, fn: str) -> tuple[float, bool]:
    """(final loss, diverged) of a History or a number."""
    if isinstance(value, History):
        if value.train_loss:
            final = float(value.train_loss[-1])
        elif value.loss:
            final = float(value.loss[-1])
        else:
            raise ValueError(f"{fn}: the History for {where} recorded nothing (no iterations)")
        diverged = (value.stop_reason is not None and value.stop_reason.code == "diverged") or not math.isfinite(final)
        return final, diverged
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value), not math.isfinite(float(value))
    raise TypeError(
        f"{fn}: the result for {where} must be a History, a final loss (a number) or a list of them (one per "
        f"seed), got {type(value).__name__}"
    )


def _lr_of(h: History, fn: str) -> float:
    lr = h.info.get("hyperparameters", {}).get("lr")
    if lr is None:
        raise ValueError(
            f"{fn}: History {h.name!r} does not say its learning rate (history.info['hyperparameters']['lr']); "
            "pass a dict {lr: History} instead"
        )
    return float(lr)


def _sweep_points(sweep: Any, fn: str) -> dict[float, list[tuple[float, bool]]]:
    """lr -> [(final loss, diverged) per seed] from one sweep in any accepted form."""
    if isinstance(sweep, Comparison):
        pairs = [(_lr_of(h, fn), h) for name in sweep.configs for h in sweep.histories[name]]
    elif isinstance(sweep, Mapping):
        pairs = list(sweep.items())
    elif isinstance(sweep, (list, tuple)):
        pairs = []
        for item in sweep:
            if not (isinstance(item, (list, tuple)) and len(item) == 2):
                raise TypeError(
                    f"{fn}: a list of results must hold pairs (lr, History or final loss), got {type(item).__name__} "
                    f"{item!r}"[:200]
                )
            pairs.append(tuple(item))
    else:
        raise TypeError(
            f"{fn}: results must be a dict lr -> History / final loss, a list of (lr, History / final loss) pairs, "
            f"a Comparison, or a dict name -> one of those; got {type(sweep).__name__}"
        )
    points: dict[float, list[tuple[float, bool]]] = {}
    for lr, value in pairs:
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"{fn}: learning rates must be positive numbers (the x axis is logarithmic), got {lr!r}")
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values:
            raise ValueError(f"{fn}: no result for lr={lr:g} (an empty list)")
        points.setdefault(float(lr), []).extend(_final_loss(v, f"lr={lr:g}", fn) for v in values)
    if not points:
        raise ValueError(f"{fn}: no results to plot (an empty {type(sweep).__name__})")
    return dict(sorted(points.items()))


def _named_sweeps(results: Any, fn: str) -> list[tuple[str | None, dict[float, list[tuple[float, bool]]]]]:
    named = (
        isinstance(results, Mapping)
        and len(results) > 0
        and all(isinstance(k, str) for k in results)
        and all(isinstance(v, (Mapping, list, tuple, Comparison)) for v in results.values())
    )
    if named:
        return [(name, _sweep_points(sweep, fn)) for name, sweep in results.items()]
    return [(None, _sweep_points(results, fn))]


@_plotting
def plot_lr_sweep(
    results: Any,
    *,
    log: bool = True,
    reference: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Final loss against the learning rate (log x): too small is slow, too large diverges, the good range
    lies in between.

    Parameters
    ----------
    results
        One sweep, or several named sweeps on one plot. A sweep is any of:

        * a dict ``{lr: History}`` or ``{lr: final_loss}``; a value may also be a list of them (one per seed:
          each seed is a dot, the line joins their means);
        * a list of pairs ``[(lr, History or final_loss), ...]`` (repeated learning rates are seeds);
        * a :class:`~tinygrad_edu.train.Comparison` whose configurations differ in the learning rate (read from
          ``history.info["hyperparameters"]["lr"]``, which ``fit`` records).

        Several sweeps: a dict ``{name: sweep}``, e.g. ``{"GD": {...}, "SGD, batch 8": {...}}``.
        A History's final loss is its last ``train_loss`` (its last batch loss if it recorded no epoch); it
        counts as **diverged** when training stopped for divergence (``stop_reason.code == "diverged"``) or its
        final loss is not finite. A number counts as diverged when it is not finite (``inf``, ``nan``).
    log : bool, default True
        Logarithmic loss axis.
    reference : dict of str to float, optional
        Learning rates to mark with a labelled vertical line, e.g. ``{"2/L": q.max_stable_lr}``, the stability
        limit of gradient descent on a quadratic.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Diverged runs have no finite loss to plot: they are red crosses along the top edge of the plot, at their
    learning rate. With a single sweep, the region from the first learning rate at which every run diverged
    is shaded red, and the best learning rate (the lowest mean final loss) is starred and named in the legend.
    """
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    fn = "plot_lr_sweep"
    sweeps = _named_sweeps(results, fn)
    if reference is not None and not isinstance(reference, Mapping):
        raise TypeError(f"{fn}: reference must be a dict label -> learning rate, e.g. {{'2/L': 0.04}}, got {reference}")
    for label, lr in (reference or {}).items():
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and lr > 0):
            raise ValueError(
                f"{fn}: reference[{label!r}] must be a positive learning rate (the x axis is logarithmic), got "
                f"{lr!r}; e.g. reference={{'2/L': q.max_stable_lr}}"
            )
    fig, (axis,), created = _axes(ax, 1, fn, figsize=_SINGLE)
    top = blended_transform_factory(axis.transData, axis.transAxes)  # x in data, y in axes fraction
    colours = _colours(len(sweeps))
    finals: list[np.ndarray] = []
    any_diverged = False
    all_lrs: list[float] = []
    for (name, points), colour in zip(sweeps, colours, strict=True):
        lrs, means, diverged_lrs = [], [], []
        for lr, runs in points.items():
            ok = [f for f, d in runs if not d]
            if len(ok) < len(runs):
                diverged_lrs.append(lr)
            if ok:
                lrs.append(lr)
                means.append(float(np.mean(ok)))
                if len(runs) > 1:
                    axis.plot([lr] * len(ok), ok, ls="none", marker="o", ms=3.5, color=colour, alpha=0.45)
        all_lrs += list(points)
        label = name or "final loss"
        if lrs:
            best = int(np.argmin(means))
            label += f" (best η = {lrs[best]:.3g})"
            axis.plot(lrs, means, color=colour, lw=1.8, marker="o", ms=6, label=label, zorder=3)
            axis.plot(lrs[best], means[best], ls="none", marker="*", ms=18, color=colour, mec="black", zorder=4)
            finals.append(np.asarray(means))
        if diverged_lrs:
            any_diverged = True
            axis.plot(
                diverged_lrs, [0.95] * len(diverged_lrs), ls="none", marker="X", ms=11, color="#d62728",
                mec="black", mew=0.6, transform=top, clip_on=False, zorder=5,
            )  # fmt: skip
        if len(sweeps) == 1:
            _shade_regions(axis, top, points, lrs, means)
    axis.set_xscale("log")
    if finals:
        _set_log_y(axis, finals, fn, "final loss", log)
    else:  # nothing finite to plot: the crosses alone
        axis.set_yticks([])
        axis.text(0.5, 0.5, "every run diverged", transform=axis.transAxes, ha="center", color="#b91c1c")
    for label, lr in (reference or {}).items():
        axis.axvline(float(lr), color="0.25", ls="--", lw=1.2, label=f"{label} = {float(lr):g}")
    handles, _ = axis.get_legend_handles_labels()
    if any_diverged:
        handles.append(
            Line2D([], [], ls="none", marker="X", ms=10, color="#d62728", mec="black", mew=0.6, label="diverged")
        )
    if len(sweeps) == 1 and finals:
        handles.append(Line2D([], [], ls="none", marker="*", ms=14, color="0.6", mec="black", label="best η"))
    axis.set_xlabel("learning rate η (log scale)")
    axis.set_ylabel("final training loss" + (" (log scale)" if axis.get_yscale() == "log" else ""))
    axis.set_title(title if title is not None else "Learning-rate sweep: final loss against η")
    lo, hi = min(all_lrs), max(all_lrs)
    pad = (hi / lo) ** 0.06 if hi > lo else 2.0
    axis.set_xlim(lo / pad, hi * pad)
    _legend(fig, axis, handles, created)
    _readable_log_ticks(axis)
    return fig


def _shade_regions(axis: Axes, top: Any, points: dict, lrs: list[float], means: list[float]) -> None:
    """Name the regions of a single sweep: too small (left of the best), diverging (shaded red, from halfway on
    the log axis between the last learning rate below it that converged and the first at which every run
    diverged)."""
    all_diverged = [lr for lr, runs in points.items() if all(d for _, d in runs)]
    if all_diverged:
        first_bad = all_diverged[0]
        converged_below = [lr for lr in lrs if lr < first_bad]
        edge = math.sqrt(first_bad * converged_below[-1]) if converged_below else first_bad / 100
        axis.axvspan(edge, max(points) * 100, color="#d62728", alpha=0.08, lw=0, zorder=0)
        if converged_below:
            axis.text(edge * 1.08, 0.04, "diverges", transform=top, color="#b91c1c", fontsize=10, va="bottom")
    if lrs and int(np.argmin(means)) > 0:
        axis.text(min(points) * 1.05, 0.04, "too small: slow", transform=top, color="0.3", fontsize=10, va="bottom")


# --------------------------------------------------------------------------------------------------------
# stability across seeds
# --------------------------------------------------------------------------------------------------------


def _seed_groups(results: Any, fn: str) -> list[tuple[str, list[History]]]:
    if isinstance(results, Comparison):
        groups = [(name, list(results.histories[name])) for name in results.configs]
    elif isinstance(results, Mapping):
        groups = [(str(k), [v] if isinstance(v, History) else list(v)) for k, v in results.items()]
    else:
        raise TypeError(
            f"{fn}: expected the Comparison returned by tg.train.compare, or a dict name -> list of History (one "
            f"per seed), got {type(results).__name__}"
        )
    if not groups:
        raise ValueError(f"{fn}: no configurations to plot (got an empty {type(results).__name__})")
    for name, hs in groups:
        if not hs:
            raise ValueError(f"{fn}: configuration {name!r} has no runs; give it a list of one History per seed")
        for h in hs:
            if not isinstance(h, History):
                raise TypeError(
                    f"{fn}: configuration {name!r} holds a {type(h).__name__}, not a History; pass the Histories "
                    "that tg.train.fit returned, one per seed"
                )
    return groups


@_plotting
def plot_stability(
    compare_results: Comparison | Mapping[str, Sequence[History]],
    x: str = "iteration",
    *,
    series: str = "loss",
    smooth: int | None = None,
    log: bool = True,
    logx: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Mean loss curve per configuration, with a band of :math:`\pm 1` standard deviation across seeds.

    One run of SGD is one draw of a random process (the initial parameters and the batch order depend on the
    seed). The band shows how much the curve depends on that draw: full-batch GD's band closes as every seed
    converges to the same minimum; SGD's stays open at its noise floor.

    Parameters
    ----------
    compare_results : Comparison, or dict of str to list of History
        What :func:`tinygrad_edu.train.compare` returns (``result.histories``: per configuration, one History
        per seed), or the same as a dict for runs of your own.
    x : {"iteration", "epoch", "grad_evals", "time"}
        The clock (see the module docstring). With ``"time"`` the x positions are averaged over the seeds.
    series : str, default "loss"
        What to average: ``"loss"`` (per iteration, the batch loss), ``"train_loss"`` / ``"val_loss"`` (per
        epoch; :func:`~tinygrad_edu.train.compare` records the exact training loss), or any other name
        ``History.series`` knows (``"grad_norm"``, a metric such as ``"val_accuracy"``).
    smooth : int, optional
        For a per-iteration series: each run is first smoothed with a centred moving average over this many
        iterations (then the band shows how the *trend* varies across seeds, not the batch-to-batch noise).
    log : bool, default True
    logx : bool, default False
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    At each point, mean and sample standard deviation (``ddof=1``, as in ``Comparison.summary``) of the values
    of the seeds. Runs of one configuration that stopped at different times are cut to the shortest. On a log
    scale a band whose lower edge :math:`\mu - \sigma` is :math:`\le 0` reaches down to the bottom of the plot.
    """
    fn = "plot_stability"
    clock = _check_clock(x, fn)
    window = _check_smooth(smooth, fn)
    groups = _seed_groups(compare_results, fn)
    per_iteration = series in ITERATION_SERIES
    if window and not per_iteration:
        raise ValueError(f"{fn}: smooth= applies to per-iteration series such as 'loss'; {series!r} is per epoch")
    fig, (axis,), created = _axes(ax, 1, fn, figsize=_SINGLE)
    drawn: list[np.ndarray] = []
    for (name, hs), colour in zip(groups, _colours(len(groups)), strict=True):
        xs_list, ys_list = [], []
        for h in hs:
            try:
                ys = np.asarray(h.series(series), dtype=np.float64)
            except KeyError:
                raise ValueError(
                    f"{fn}: History {h.name!r} has no series {series!r}; available: {h.available_series()}"
                ) from None
            if ys.size == 0:
                raise ValueError(
                    f"{fn}: History {h.name!r} recorded no {series!r} values; choose another series (available: "
                    f"{h.available_series()}) or record it (val_loss needs tg.train.fit(..., val_data=...))"
                )
            if per_iteration:
                xs = _iteration_x(h.name, h, clock, fn)
                ys = _moving_average(ys, window) if window and _stochastic(h) else ys
            else:
                xs = _epoch_x(h.name, h, clock, len(ys), fn)
            xs_list.append(xs)
            ys_list.append(ys)
        n = min(len(ys) for ys in ys_list)
        Y = np.stack([ys[:n] for ys in ys_list])
        xs = np.mean([xs[:n] for xs in xs_list], axis=0)
        mean = Y.mean(axis=0)
        std = Y.std(axis=0, ddof=1) if len(Y) > 1 else np.zeros(n)
        axis.fill_between(xs, mean - std, mean + std, color=colour, alpha=0.22, lw=0)
        axis.plot(xs, mean, color=colour, lw=2.0, label=name if len(Y) > 1 else f"{name} (1 seed: no band)")
        drawn.append(mean)
    what = "loss" if series in ("loss", "train_loss", "val_loss") else series
    _set_log_y(axis, drawn, fn, what, log)
    if axis.get_yscale() == "log":
        axis.set_yscale("log", nonpositive="clip")  # a band down to <= 0 reaches the bottom of the plot
    if logx:
        axis.set_xscale("log")
    axis.set_xlabel(_CLOCK_LABEL[clock])
    names = {"loss": "batch loss", "train_loss": "training loss", "val_loss": "validation loss"}
    axis.set_ylabel(names.get(series, series) + (" (log scale)" if axis.get_yscale() == "log" else ""))
    counts = {len(hs) for _, hs in groups}
    seeds = f" over {counts.pop()} seeds" if len(counts) == 1 else " over the seeds"
    axis.set_title(title if title is not None else f"Stability across seeds: mean ± 1 standard deviation{seeds}")
    _legend(fig, axis, axis.get_legend_handles_labels()[0], created)
    _readable_log_ticks(axis)
    return fig


# --------------------------------------------------------------------------------------------------------
# parameter updates
# --------------------------------------------------------------------------------------------------------


@_plotting
def plot_parameter_updates(
    history: History,
    names: str | Sequence[str] | None = None,
    *,
    max_elements: int = 6,
    relative: bool = False,
    log: bool = True,
    ax: Sequence[Axes] | None = None,
    title: str | None = None,
) -> Figure:
    r"""Parameter values and update sizes per iteration, from the snapshots of ``fit(record_params=True)``.

    Two panels over the iterations at which snapshots were taken:

    * **values**: each element of a parameter with at most ``max_elements`` elements (``weight[0, 1]``), or the
      norm :math:`\lVert\theta\rVert_2` of a larger one;
    * **update sizes**: :math:`\lVert \theta_k - \theta_{k-1} \rVert_2` per parameter between consecutive
      snapshots (log scale: they shrink geometrically when training converges), or, with ``relative=True``,
      :math:`\lVert \Delta\theta \rVert / \lVert \theta \rVert` (about :math:`10^{-3}` per step is a common
      rule of thumb for neural networks). When every iteration was recorded, the dashed grey line is
      :math:`\eta_k \lVert g_k \rVert`, the learning rate times the norm of the whole gradient: plain GD and SGD
      move the parameters exactly that far in total (:math:`\theta_{k} = \theta_{k-1} - \eta g`), so the gap
      between it and the updates shows what momentum or Adam add.

    Parameters
    ----------
    history : History
        With parameter snapshots (``fit(..., record_params=True)``; ``record_params=k`` records every k
        iterations, and the update is then over k iterations).
    names : str or sequence of str, optional
        The parameters to draw (dotted names such as ``"layers.0.weight"``); all recorded ones by default.
    max_elements : int, default 6
        Parameters with more elements are drawn as their norm in the values panel.
    relative : bool, default False
        Update sizes relative to the parameter's norm before the update.
    log : bool, default True
        Logarithmic axis for the update sizes.
    ax : a sequence of two matplotlib Axes (values, updates), optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fn = "plot_parameter_updates"
    if not isinstance(history, History):
        raise TypeError(f"{fn}: expected a History (from tg.train.fit), got {type(history).__name__}")
    if not history.params:
        raise ValueError(
            f"{fn}: History {history.name!r} has no parameter snapshots: train with tg.train.fit(..., "
            "record_params=True)"
        )
    recorded = list(history.params)
    if names is not None and not isinstance(names, (str, list, tuple)):
        raise TypeError(
            f"{fn}: names must be a parameter name, a list of them or None (all), got {names!r}; recorded: {recorded}"
        )
    chosen = recorded if names is None else [names] if isinstance(names, str) else list(names)
    if not chosen:
        raise ValueError(f"{fn}: names is empty; recorded parameters: {recorded}")
    unknown = [n for n in chosen if n not in history.params]
    if unknown:
        raise ValueError(f"{fn}: History {history.name!r} has no parameter(s) {unknown}; recorded: {recorded}")
    if isinstance(max_elements, bool) or not isinstance(max_elements, numbers.Integral) or max_elements < 1:
        raise ValueError(f"{fn}: max_elements must be a positive int, got {max_elements!r}")
    its = np.asarray(history.param_iterations, dtype=np.float64)
    n_snap = len(history.params[chosen[0]])
    if n_snap < 2:
        raise ValueError(
            f"{fn}: History {history.name!r} has {n_snap} snapshot(s); updates need at least two: train at least "
            "one step with tg.train.fit(..., record_params=True)"
        )
    if len(its) != n_snap:
        its = np.arange(n_snap, dtype=np.float64)  # hand-made History without param_iterations
    fig, (top, bottom), created = _axes(ax, 2, fn, figsize=(8.6, 6.4), ncols=1, sharex=True)
    trajectories = {n: history.param_trajectory(n).reshape(n_snap, -1).astype(np.float64) for n in chosen}
    styles = ["-", "--", ":", "-.", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (1, 3))]  # the elements of one parameter
    updates: list[np.ndarray] = []
    for (name, traj), colour in zip(trajectories.items(), _colours(len(chosen)), strict=True):
        shape = np.shape(history.params[name][0])
        if traj.shape[1] <= max_elements:
            for i in range(traj.shape[1]):
                style = styles[i % len(styles)]
                top.plot(its, traj[:, i], color=colour, ls=style, lw=1.7, label=_element_label(name, i, shape))
        else:
            top.plot(its, np.linalg.norm(traj, axis=1), color=colour, lw=1.7,
                     label=f"‖{name}‖  ({traj.shape[1]} elements)")  # fmt: skip
        step = np.linalg.norm(np.diff(traj, axis=0), axis=1)
        if relative:
            with np.errstate(divide="ignore", invalid="ignore"):
                step = step / np.linalg.norm(traj[:-1], axis=1)
        bottom.plot(its[1:], step, color=colour, lw=1.6, marker="." if len(step) <= 60 else None, label=f"{name}")
        updates.append(step)
    every = np.diff(its)
    if not relative and len(every) and np.all(every == 1) and len(history.lr) >= int(its[-1]) > 0:
        k = its[1:].astype(np.int64) - 1  # the step that produced snapshot k used lr[k - 1] and grad_norm[k - 1]
        if len(history.grad_norm) > k.max():
            reference = np.asarray(history.lr)[k] * np.asarray(history.grad_norm)[k]
            bottom.plot(its[1:], reference, color="0.35", ls="--", lw=1.3, label="η·‖g‖ (whole gradient)")
    _set_log_y(bottom, updates, fn, "update size", log)
    spacing = int(every[0]) if len(every) and np.all(every == every[0]) else None
    previous = "k-1" if spacing in (None, 1) else f"k-{spacing}"
    top.set_ylabel("parameter value")
    scale = " (log scale)" if bottom.get_yscale() == "log" else ""
    size = rf"$\|\theta_k - \theta_{{{previous}}}\|$" + (r" / $\|\theta\|$" if relative else "")
    bottom.set_ylabel(size + scale)
    bottom.set_xlabel("iteration")
    top.set_title("values", fontsize=11, fontweight="normal", loc="left")
    bottom.set_title("update sizes" + (" relative to ‖θ‖" if relative else ""), fontsize=11, fontweight="normal",
                     loc="left")  # fmt: skip
    heading = title if title is not None else f"Parameter updates: {history.name}"
    if created:
        fig.suptitle(heading)
    else:
        top.set_title(heading)
    for axis, where in ((top, "right upper"), (bottom, "right lower")):
        _legend(fig, axis, axis.get_legend_handles_labels()[0], created, where=where)
    return fig
