r"""Pictures of curvature (matplotlib): how the Hessian of the loss shapes what optimisers do.

Near a minimum :math:`w^*` every smooth loss is a quadratic, :math:`f(w) \approx f^* + \tfrac12
(w - w^*)^\top H (w - w^*)`, and gradient descent acts on the error :math:`e_t = w_t - w^*` as the matrix
:math:`I - \eta H`: along the eigenvector :math:`u_i` of :math:`H` (eigenvalue :math:`\lambda_i`) each step
multiplies the error by :math:`1 - \eta\lambda_i`. Everything below follows from that one line.

* :func:`plot_lr_bound`: GD is stable iff :math:`|1 - \eta\lambda_i| < 1` for every :math:`i`, i.e.
  :math:`\eta < 2/\lambda_{\max}`; the measured bound against the loss after :math:`k` steps of GD at many
  learning rates (:func:`tinygrad_edu.train.lr_sweep_losses`).
* :func:`plot_rate_vs_condition`: at the best constant step :math:`\eta = 2/(L + \mu)` the error shrinks by
  :math:`(\kappa - 1)/(\kappa + 1)` per step, :math:`\kappa = L/\mu = \lambda_{\max}/\lambda_{\min}`; measured
  rates (:func:`tinygrad_edu.train.gd_rate`) on the theoretical curve.
* :func:`plot_optimizer_paths`: GD, momentum, Nesterov, Newton and L-BFGS from one starting point over the
  contour lines of a two-parameter loss: GD zig-zags across a narrow valley, momentum smooths the zig-zag,
  Newton rescales every direction by its curvature and L-BFGS learns to do the same.
* :func:`plot_hessian_spectrum`: histograms of the Hessian's eigenvalues (``tg.train.curvature(...,
  method="exact").eigenvalues``): a bulk near zero and a few large outliers, which set :math:`\lambda_{\max}`.

Every function returns a :class:`matplotlib.figure.Figure` (as the training pictures of
:mod:`tinygrad_edu.viz.plots` do: ``ax=`` draws into your axes; matplotlib is imported on first use).
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..func import hessian
from ..optim.gd import GD
from ..optim.lbfgs import LBFGS
from ..optim.newton import Newton
from ..optim.optimizer import Optimizer, needs_closure
from ..optim.sgd import SGD
from ..tensor import Tensor, enable_grad, no_grad
from ..train.curvature import Curvature
from .plots import _axes, _colours, _legend, _plain_log_tick, _plotting, _readable_log_ticks, plot_trajectories

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "optimizer_paths",
    "plot_optimizer_paths",
    "plot_lr_bound",
    "plot_rate_vs_condition",
    "plot_hessian_spectrum",
]

_SINGLE = (7.5, 4.6)  # inches, as in plots.py
_DIVERGED = "#d62728"

OptimizerFactory = Callable[[list[Tensor]], Optimizer]


# --------------------------------------------------------------------------------------------------------
# optimiser paths
# --------------------------------------------------------------------------------------------------------


def _check_fn(fn: Any, name: str) -> None:
    if not callable(fn):
        raise TypeError(
            f"{name}: fn must be a function of one Tensor of shape (d,) that returns the loss as a one-element "
            f"Tensor, e.g. lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2; got {type(fn).__name__}"
        )


def _start(start: Any, name: str, d: int | None = None) -> np.ndarray:
    try:
        point = np.asarray(getattr(start, "data", start), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: start must be a point, an array of numbers, got {type(start).__name__}") from None
    want = "(d,)" if d is None else f"({d},)"
    if point.ndim != 1 or point.size == 0 or (d is not None and point.size != d):
        what = "a point on the contour plot: (x, y)" if d == 2 else "a flat point"
        raise ValueError(f"{name}: start must have shape {want}, {what}; got shape {point.shape}")
    if not np.all(np.isfinite(point)):
        raise ValueError(f"{name}: start must be finite, got {point}")
    return point


def _value(fn: Callable[[Tensor], Any], p: Tensor, name: str) -> Tensor:
    loss = fn(p)
    if not isinstance(loss, Tensor) or loss.size != 1:
        got = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else type(loss).__name__
        raise TypeError(
            f"{name}: fn must return the loss as a one-element Tensor (it is differentiated), got {got}; build it "
            "from the Tensor it receives with Tensor operations"
        )
    return loss


def _default_optimizers(fn: Callable[[Tensor], Any], start: np.ndarray, name: str) -> dict[str, OptimizerFactory]:
    """GD, momentum, Nesterov at eta = 1/lambda_max of the Hessian at the start; Newton; L-BFGS (one iteration
    per step)."""
    H = np.asarray(hessian(lambda p: _value(fn, p, name), Tensor(start.copy())), dtype=np.float64)
    H = H.reshape(start.size, start.size)
    eigenvalues = np.linalg.eigvalsh(0.5 * (H + H.T))
    scale = float(np.max(np.abs(eigenvalues)))
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(
            f"{name}: the Hessian of fn at the start is {'zero' if scale == 0 else 'not finite'}, so the default "
            "learning rates (1/lambda_max) are undefined; pass optimizers={label: factory} yourself"
        )
    lr = 1.0 / scale
    eta = f"η = 1/λmax = {lr:.2g}"
    return {
        f"GD, {eta}": lambda p: GD(p, lr=lr),
        f"momentum 0.9, {eta}": lambda p: SGD(p, lr=lr, momentum=0.9),
        f"Nesterov 0.9, {eta}": lambda p: SGD(p, lr=lr, momentum=0.9, nesterov=True),
        "Newton (Armijo)": lambda p: Newton(p),
        "L-BFGS (strong Wolfe)": lambda p: LBFGS(p, max_iter=1, max_eval=25, history_size=10,
                                                 line_search_fn="strong_wolfe"),
    }  # fmt: skip


def optimizer_paths(
    fn: Callable[[Tensor], Tensor],
    start: Sequence[float] | np.ndarray,
    optimizers: Mapping[str, OptimizerFactory] | None = None,
    steps: int = 100,
) -> dict[str, np.ndarray]:
    r"""Run several optimisers from the same point on ``fn`` and record where each step goes.

    Parameters
    ----------
    fn : callable
        ``fn(p)``: the loss as a one-element Tensor, for a Tensor ``p`` of shape ``(d,)``, written with Tensor
        operations (it is differentiated, twice for Newton), e.g. Rosenbrock
        ``lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2`` or a quadratic ``q.loss``.
    start : array of shape (d,)
        The starting point, the same for every optimiser (each gets its own float64 copy).
    optimizers : dict of str to callable, optional
        ``label -> factory``: ``factory([p])`` returns an optimiser for the parameter ``p``, e.g.
        ``lambda params: tg.optim.SGD(params, lr=1e-3, momentum=0.9)``. Default (with :math:`\lambda_{\max}`,
        the largest absolute eigenvalue of the Hessian ``tg.hessian(fn, start)`` at the start):

        * **GD** at :math:`\eta = 1/\lambda_{\max}`: half the stability limit :math:`2/\lambda_{\max}`, so the
          stiffest direction is damped in one step (:math:`1 - \eta\lambda_{\max} = 0`) and the others shrink by
          :math:`1 - \lambda_i/\lambda_{\max}`, slowest along the flattest direction: :math:`1 - 1/\kappa`.
        * **momentum 0.9** (heavy ball, ``SGD(momentum=0.9)``) and **Nesterov 0.9** at the same :math:`\eta`:
          along flat directions the velocity adds up to steps of about :math:`\eta/(1 - 0.9) = 10\eta`, while the
          heavy ball stays stable for :math:`\eta < 2(1 + \beta)/\lambda_{\max}`, far above :math:`1/\lambda_{\max}`.
        * **Newton** (``tg.optim.Newton``: full step with Armijo backtracking, the exact Hessian): the step
          :math:`-H^{-1}g` multiplies the error along *every* eigenvector by :math:`1 - \lambda_i/\lambda_i = 0`
          on a quadratic; its path does not depend on the conditioning (see the Notes).
        * **L-BFGS** (``tg.optim.LBFGS(max_iter=1, max_eval=25, history_size=10,
          line_search_fn="strong_wolfe")``): one iteration per recorded step.

    steps : int, default 100
        ``optimizer.step`` calls per optimiser.

    Returns
    -------
    dict of str to ndarray of shape (k + 1, d)
        Per label, the starting point and the point after each ``step`` call: ``k = steps`` rows after the
        first, fewer when the parameters became non-finite (the path then ends at the first non-finite point).

    Notes
    -----
    **One point per** ``step`` **call.** Every optimiser is driven through one closure, as ``tg.train.fit``
    does: it zeroes the gradients, evaluates ``fn`` and calls ``loss.backward()``, with
    ``create_graph=True`` for optimisers that differentiate the gradient again (``closure_create_graph``, set by
    Newton). Optimisers that need the closure (``requires_closure``: Newton, L-BFGS, GD with a line search) get
    it passed to ``step``; the others have it called first, then ``step()``. Line searches evaluate the loss at
    trial points that are not recorded: a recorded step of Newton or L-BFGS can cost several evaluations of
    ``fn``. ``LBFGS(max_iter=20)`` (PyTorch's default) would run up to 20 iterations per ``step``: the default
    here takes one (``max_iter=1``), so that its path shows every iteration. ``max_eval=25`` is needed with
    it: the default budget ``max_iter * 5 // 4 = 1`` closure call is spent on the starting point and leaves the
    line search none, so ``LBFGS(max_iter=1, line_search_fn="strong_wolfe")`` never moves (as in PyTorch).

    **Why Newton is invariant to conditioning.** Change variables :math:`w = Mv` with any invertible
    :math:`M`: the gradient becomes :math:`M^\top g` and the Hessian :math:`M^\top H M`, so the Newton step in
    :math:`v`, :math:`-(M^\top H M)^{-1} M^\top g = -M^{-1} H^{-1} g`, is the Newton step in :math:`w` mapped
    back. Stretching one axis by 100 (making :math:`\kappa` 10,000 times larger) changes nothing about
    Newton's path, while GD's step :math:`-\eta g` is not invariant: its speed is set by :math:`\kappa`.

    **Why L-BFGS approximates it.** Newton needs :math:`H` (:math:`n^2` numbers, :math:`n^3` to solve).
    Each step tells L-BFGS how the gradient changed along the step, :math:`y_k = g_{k+1} - g_k \approx H s_k`
    (exactly, on a quadratic): a measurement of :math:`H` along :math:`s_k`. It keeps the last :math:`m` pairs
    :math:`(s_k, y_k)` and applies the inverse-Hessian approximation that agrees with all of them (the secant
    conditions :math:`H_k^{-1} y_k = s_k`). On a :math:`d`-dimensional quadratic with exact line searches it
    finds the minimum in at most :math:`d` iterations; on Rosenbrock its path bends like Newton's after a few
    steps, at the cost of gradients only.
    """
    name = "optimizer_paths"
    _check_fn(fn, name)
    point = _start(start, name)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"{name}: steps must be a positive int, got steps={steps!r}")
    if optimizers is None:
        optimizers = _default_optimizers(fn, point, name)
    elif not isinstance(optimizers, Mapping):
        raise TypeError(
            f"{name}: optimizers must be a dict label -> factory (params -> optimizer), e.g. "
            f"{{'GD': lambda p: tg.optim.GD(p, lr=1e-3)}}, got {type(optimizers).__name__}"
        )
    if not optimizers:
        raise ValueError(f"{name}: optimizers is empty; pass at least one label -> factory, or None for the defaults")
    paths = {}
    for label, factory in optimizers.items():
        if not callable(factory):
            raise TypeError(
                f"{name}: optimizers[{label!r}] must be a factory params -> optimizer, e.g. lambda p: "
                f"tg.optim.GD(p, lr=1e-3), got {type(factory).__name__}"
            )
        paths[str(label)] = _path(fn, point, factory, int(steps), str(label), name)
    return paths


def _path(fn: Callable[[Tensor], Any], start: np.ndarray, factory: OptimizerFactory, steps: int, label: str,
          name: str) -> np.ndarray:  # fmt: skip
    p = Tensor(start.copy(), requires_grad=True)
    opt = factory([p])
    if not isinstance(opt, Optimizer):
        raise TypeError(
            f"{name}: optimizers[{label!r}]([p]) must return a tg.optim optimizer, got {type(opt).__name__}"
        )
    wants_closure = needs_closure(opt)
    create_graph = bool(getattr(opt, "closure_create_graph", False))

    def closure() -> Tensor:
        opt.zero_grad()
        with enable_grad():
            loss = _value(fn, p, name)
        loss.backward(create_graph=create_graph)
        return loss

    points = [p.data.copy()]
    for _ in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):
            if wants_closure:
                opt.step(closure)
            else:
                closure()
                opt.step()
        points.append(p.data.copy())
        if not np.all(np.isfinite(points[-1])):
            break
    return np.array(points, dtype=np.float64)


def _grid_function(fn: Callable[[Tensor], Any], shape: tuple[int, int]) -> tuple[Callable[..., np.ndarray], bool]:
    """``fn2d(X, Y)`` from ``fn``, and whether it is vectorised.

    ``fn`` is first tried on the whole grid at once, as one Tensor of shape ``(2, *X.shape)`` (Rosenbrock written
    with ``p[0]``, ``p[1]`` and elementwise operations works so); this is checked against point-by-point values
    on a small probe grid. Otherwise each grid point is evaluated on its own (slow: use a coarser grid)."""

    def pointwise(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        with no_grad():
            values = [float(fn(Tensor(np.array([x, y]))).item()) for x, y in zip(X.ravel(), Y.ravel(), strict=True)]
        return np.array(values).reshape(X.shape)

    def vectorised(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        with no_grad():
            Z = fn(Tensor(np.stack([X, Y]).astype(np.float64)))
        return np.asarray(getattr(Z, "data", Z), dtype=np.float64)

    X, Y = np.meshgrid(np.linspace(-1.3, 0.7, shape[1]), np.linspace(-0.6, 1.1, shape[0]))
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            Z = vectorised(X, Y)
            works = Z.shape == X.shape and np.allclose(Z, pointwise(X, Y), rtol=1e-9, atol=1e-12, equal_nan=True)
    except Exception:  # anything: the point-by-point evaluation is the fallback
        works = False
    return (vectorised if works else pointwise), works


@_plotting
def plot_optimizer_paths(
    fn: Callable[[Tensor], Tensor],
    start: Sequence[float] | np.ndarray,
    optimizers: Mapping[str, OptimizerFactory] | None = None,
    steps: int = 100,
    fn2d: Callable[[np.ndarray, np.ndarray], Any] | None = None,
    *,
    optimum: Sequence[float] | None = None,
    levels: int | Sequence[float] = 20,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    resolution: int | None = None,
    aspect: str = "equal",
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""GD, momentum, Nesterov, Newton and L-BFGS from the same start, over the contour lines of the loss.

    The paths come from :func:`optimizer_paths` (see it for the default optimisers, their learning rates and
    what one recorded step is) and are drawn by :func:`~tinygrad_edu.viz.plot_trajectories`. In a narrow
    valley (an ill-conditioned quadratic, Rosenbrock) GD's step :math:`-\eta g` is perpendicular to the
    contour lines and mostly points across the valley: with :math:`\eta \le 2/\lambda_{\max}` it can only
    creep along the floor, by :math:`1 - \eta\lambda_{\min}` per step. Momentum accumulates the consistent
    component along the floor and cancels the zig-zag; Newton's step :math:`-H^{-1}g` rescales each
    eigen-direction by its curvature and heads for the minimum (in one step on a quadratic); L-BFGS, which
    estimates :math:`H^{-1}` from the last steps' gradient changes, follows after a few steps. (GD zig-zags
    across the valley when :math:`\eta` is close to :math:`2/\lambda_{\max}`, where
    :math:`1 - \eta\lambda_{\max}` is close to :math:`-1`; at the default :math:`\eta = 1/\lambda_{\max}` it
    drops to the valley floor and creeps along it.)

    Parameters
    ----------
    fn : callable
        The loss of a Tensor ``p`` of shape ``(2,)``, as a one-element Tensor (see :func:`optimizer_paths`).
    start : (float, float)
        The common starting point.
    optimizers : dict of str to callable, optional
        ``label -> factory``; default: GD, momentum, Nesterov, Newton and L-BFGS (see :func:`optimizer_paths`).
    steps : int, default 100
        Steps per optimiser.
    fn2d : callable, optional
        ``fn2d(X, Y) -> Z``, the loss in numpy on the grid arrays of the contour plot (see
        :func:`~tinygrad_edu.viz.plot_trajectories`). By default it is derived from ``fn``: evaluated on the whole
        grid at once when ``fn`` works elementwise on a Tensor of shape ``(2, rows, columns)`` (as Rosenbrock
        written with ``p[0]`` and ``p[1]`` does), point by point otherwise (at a coarser default resolution).
    optimum : (float, float), optional
        Marks the minimum, e.g. ``(1, 1)`` for Rosenbrock or ``q.w_star``.
    levels, xlim, ylim, aspect
        As in :func:`~tinygrad_edu.viz.plot_trajectories`.
    resolution : int, optional
        Grid points per axis: default 200, or 60 when ``fn`` has to be evaluated point by point.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The legend labels each path with its optimiser, its number of steps and the final loss.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> rosenbrock = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    >>> fig = tg.viz.plot_optimizer_paths(rosenbrock, start=(-1.5, 2.0), steps=50, optimum=(1, 1))
    >>> len(fig.axes[0].get_legend_handles_labels()[1])       # 5 optimisers
    5
    """
    name = "plot_optimizer_paths"
    _check_fn(fn, name)
    point = _start(start, name, d=2)
    if fn2d is not None and not callable(fn2d):
        raise TypeError(f"{name}: fn2d must be None or a function (X, Y) -> Z on grid arrays, got {fn2d!r}")
    if resolution is not None and (
        isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution < 2
    ):
        raise ValueError(f"{name}: resolution must be None or an int >= 2 (grid points per axis), got {resolution!r}")
    paths = optimizer_paths(fn, point, optimizers, steps)
    grid: Callable[..., Any]
    if fn2d is None:
        grid, vectorised = _grid_function(fn, (3, 4))
        default_resolution = 200 if vectorised else 60
    else:
        grid, default_resolution = fn2d, 200
    labelled = {}
    for label, path in paths.items():
        end = path[-1]
        with no_grad():
            final = float(fn(Tensor(end.copy())).item()) if np.all(np.isfinite(end)) else math.nan
        labelled[f"{label}: f = {final:.3g}"] = path
    return plot_trajectories(
        grid, labelled, levels=levels, optimum=optimum, xlim=xlim, ylim=ylim,
        resolution=default_resolution if resolution is None else int(resolution), aspect=aspect, ax=ax,
        title=title if title is not None else "Optimiser paths from one start over the loss contours",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------------------
# the learning-rate bound
# --------------------------------------------------------------------------------------------------------


def _vector(values: Any, what: str, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {what} must be a sequence of numbers, got {type(values).__name__}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: {what} must be a non-empty 1-D sequence of numbers, got shape {arr.shape}")
    return arr


def _positive_number(value: Any, what: str, name: str, example: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (math.isfinite(value) and float(value) > 0)
    ):
        raise ValueError(f"{name}: {what} must be a positive finite number, got {value!r}; {example}")
    return float(value)


@_plotting
def plot_lr_bound(
    lrs: Sequence[float] | np.ndarray,
    losses: Sequence[float] | np.ndarray,
    max_stable_lr: float,
    *,
    initial_loss: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""The loss after :math:`k` steps of GD against the learning rate, and the measured bound
    :math:`2/\lambda_{\max}` where GD stops converging.

    Along the eigenvector :math:`u_i` of the Hessian (eigenvalue :math:`\lambda_i`) one GD step multiplies the
    error by :math:`1 - \eta\lambda_i`. For :math:`\eta < 2/\lambda_{\max}` every factor is below 1 in size and
    the loss after :math:`k` steps falls as :math:`\eta` grows (the flat directions move faster); at
    :math:`\eta = 2/\lambda_{\max}` the factor along :math:`u_{\max}` reaches :math:`-1` (the error flips sign
    and keeps its size), and beyond it grows by :math:`|1 - \eta\lambda_{\max}|^k`: the loss explodes. The
    picture puts the cliff of the sweep next to the bound measured from the Hessian alone
    (:func:`tinygrad_edu.train.curvature`), before any training. On a quadratic they agree exactly; on a
    network the bound is local (the Hessian at the start), and training can also move to sharper or flatter
    regions.

    Parameters
    ----------
    lrs : sequence of float
        The learning rates (positive), e.g. ``np.geomspace(0.05, 3, 25) * c.max_stable_lr``.
    losses : sequence of float
        The loss after the same number of GD steps at each learning rate, e.g. from
        :func:`tinygrad_edu.train.lr_sweep_losses`; ``inf``/``nan`` for runs that diverged.
    max_stable_lr : float
        :math:`2/\lambda_{\max}`, e.g. ``tg.train.curvature(model, loss_fn, (X, y)).max_stable_lr``: drawn as
        a labelled vertical line, with :math:`\eta > 2/\lambda_{\max}` shaded.
    initial_loss : float, optional
        The loss before training: drawn as a dotted horizontal line, and a finite loss above it also counts as
        diverged (it got worse).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Both axes logarithmic. Runs that diverged (non-finite loss, or above ``initial_loss``) are red crosses
        clipped to the top edge of the plot, at their learning rate.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> fig = tg.viz.plot_lr_bound([0.01, 0.02, 0.03, 0.05], [0.5, 0.1, 0.02, np.inf], max_stable_lr=0.04)
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    name = "plot_lr_bound"
    x = _vector(lrs, "lrs", name)
    y = _vector(losses, "losses", name)
    if x.shape != y.shape:
        raise ValueError(
            f"{name}: lrs and losses must have the same length (one final loss per learning rate), got {x.size} "
            f"learning rates and {y.size} losses"
        )
    bad = x[~(np.isfinite(x) & (x > 0))]
    if bad.size:
        raise ValueError(
            f"{name}: learning rates must be positive and finite (the x axis is logarithmic), got {float(bad[0])!r}"
        )
    bound = _positive_number(max_stable_lr, "max_stable_lr", name, "e.g. tg.train.curvature(...).max_stable_lr")
    if initial_loss is not None and (
        isinstance(initial_loss, bool) or not isinstance(initial_loss, numbers.Real) or not math.isfinite(initial_loss)
    ):
        raise ValueError(f"{name}: initial_loss must be None or a finite number, got {initial_loss!r}")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    diverged = ~np.isfinite(y)
    if initial_loss is not None:
        diverged |= np.isfinite(y) & (y > float(initial_loss))
    fig, (axis,), created = _axes(ax, 1, name, figsize=_SINGLE)
    top = blended_transform_factory(axis.transData, axis.transAxes)  # x in data, y in axes fraction
    ok = ~diverged
    axis.set_xscale("log")
    if ok.any():
        axis.plot(x[ok], y[ok], color="#1f77b4", lw=1.8, marker="o", ms=5, label="loss after the GD steps", zorder=3)
    if diverged.any():
        axis.plot(x[diverged], np.full(int(diverged.sum()), 0.95), ls="none", marker="X", ms=11, color=_DIVERGED,
                  mec="black", mew=0.6, transform=top, clip_on=False, zorder=5, label="diverged")  # fmt: skip
    positive = y[ok & (y > 0)]
    if positive.size:
        axis.set_yscale("log", nonpositive="mask")
        lo, hi = float(positive.min()), float(positive.max())
        if initial_loss is not None and initial_loss > 0:
            hi = max(hi, float(initial_loss))
        pad = (hi / lo) ** 0.1 if hi > lo else 3.0
        axis.set_ylim(lo / pad, hi * pad**2.5)  # room at the top for the crosses
    elif not ok.any():
        axis.set_yticks([])
        axis.text(0.5, 0.5, "every run diverged", transform=axis.transAxes, ha="center", color="#b91c1c")
    lo_x, hi_x = min(float(x.min()), bound), max(float(x.max()), bound)
    pad_x = (hi_x / lo_x) ** 0.06 if hi_x > lo_x else 2.0
    axis.set_xlim(lo_x / pad_x, hi_x * pad_x)
    axis.axvspan(bound, hi_x * pad_x * 10, color=_DIVERGED, alpha=0.08, lw=0, zorder=0,
                 label="η > 2/λmax: unstable")  # fmt: skip
    axis.axvline(bound, color="0.15", ls="--", lw=1.4, label=f"2/λmax = {bound:.4g} (measured)", zorder=4)
    axis.text(bound * 1.04, 0.04, f"2/λmax = {bound:.3g}", transform=top, color="0.15", fontsize=10, va="bottom")
    if initial_loss is not None:
        axis.axhline(float(initial_loss), color="0.45", ls=":", lw=1.3, label=f"initial loss = {initial_loss:.3g}")
    axis.set_xlabel("learning rate η (log scale)")
    axis.set_ylabel("loss after k steps" + (" (log scale)" if axis.get_yscale() == "log" else ""))
    axis.set_title(title if title is not None else "The learning-rate bound: GD diverges beyond 2/λmax")
    handles, labels = axis.get_legend_handles_labels()
    if diverged.any():  # the legend's sample of the crosses, without their axes-fraction position
        handles[labels.index("diverged")] = Line2D([], [], ls="none", marker="X", ms=10, color=_DIVERGED, mec="black",
                                                   mew=0.6, label="diverged (drawn at the top)")  # fmt: skip
    _legend(fig, axis, handles, created)
    _readable_log_ticks(axis)
    _readable_log_x_ticks(axis)
    return fig


def _readable_log_x_ticks(axis: Axes) -> None:
    """Plain numbers at 1, 2 and 5 times powers of ten on a log x axis that spans less than two decades (where
    matplotlib would label every minor tick, 3×10⁻³ next to 4×10⁻³, and the labels collide)."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = axis.get_xlim()
    if not 0 < lo < hi < 100 * lo:
        return
    plain = FuncFormatter(functools.partial(_plain_log_tick, shown=(1, 2, 5)))
    axis.xaxis.set_major_formatter(plain)
    axis.xaxis.set_minor_formatter(plain)


# --------------------------------------------------------------------------------------------------------
# the rate against the condition number
# --------------------------------------------------------------------------------------------------------


def _theory(kappa: np.ndarray) -> np.ndarray:
    return (kappa - 1.0) / (kappa + 1.0)


@_plotting
def plot_rate_vs_condition(
    kappas: Sequence[float] | np.ndarray,
    rates: Sequence[float] | np.ndarray,
    *,
    curves: Mapping[float, Sequence[float] | np.ndarray] | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
) -> Figure:
    r"""GD's measured convergence rate at its best constant step against the condition number, on the
    theoretical curve :math:`(\kappa - 1)/(\kappa + 1)`.

    On a quadratic with Hessian eigenvalues in :math:`[\mu, L]`, GD multiplies the error along eigenvector
    :math:`i` by :math:`1 - \eta\lambda_i` per step, so the error shrinks by
    :math:`\rho(\eta) = \max(|1 - \eta\mu|, |1 - \eta L|)`. The best constant step balances the two ends,
    :math:`1 - \eta\mu = \eta L - 1`, at :math:`\eta = 2/(L + \mu)`, where

    .. math:: \rho^* = \frac{L - \mu}{L + \mu} = \frac{\kappa - 1}{\kappa + 1} \approx 1 - \frac{2}{\kappa},
              \qquad \kappa = L/\mu .

    The number of steps to shrink the error by a factor :math:`e` is :math:`-1/\ln\rho^* \approx \kappa/2`:
    linear in the condition number, which is why conditioning (feature scaling, preconditioning, second-order
    methods) matters so much.

    Parameters
    ----------
    kappas : sequence of float
        Condition numbers, each :math:`\ge 1` (the x axis is logarithmic).
    rates : sequence of float
        The measured per-step factor at each, e.g. ``tg.train.gd_rate(tg.data.make_quadratic(2, k), 100)``.
    curves : dict of float to sequence of float, optional
        ``kappa -> [||w_t - w*|| for t = 0..T]`` (e.g. ``tg.train.gd_errors(q, T)``): adds a second panel of
        these errors against :math:`t` (log y), each with the theoretical
        :math:`\lVert w_0 - w^*\rVert\,((\kappa-1)/(\kappa+1))^t` dashed.
    ax : matplotlib Axes (two, with ``curves``), optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> kappas = [1.0, 3.0, 10.0, 100.0]
    >>> rates = [tg.train.gd_rate(tg.data.make_quadratic(2, k, seed=0), 30) for k in kappas]
    >>> fig = tg.viz.plot_rate_vs_condition(kappas, rates)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    name = "plot_rate_vs_condition"
    k = _vector(kappas, "kappas", name)
    r = _vector(rates, "rates", name)
    if k.shape != r.shape:
        raise ValueError(
            f"{name}: kappas and rates must have the same length (one measured rate per condition number), got "
            f"{k.size} condition numbers and {r.size} rates"
        )
    if not np.all(np.isfinite(k) & (k >= 1)):
        bad = float(k[~(np.isfinite(k) & (k >= 1))][0])
        raise ValueError(f"{name}: condition numbers must be finite and >= 1 (kappa = L/mu), got {bad!r}")
    if not np.all(np.isfinite(r) & (r >= 0)):
        bad = float(r[~(np.isfinite(r) & (r >= 0))][0])
        raise ValueError(f"{name}: rates must be finite and >= 0 (a per-step factor ||e_t+1|| / ||e_t||), got {bad!r}")
    panels: list[tuple[float, np.ndarray]] = []
    if curves is not None:
        if not isinstance(curves, Mapping) or not curves:
            raise ValueError(
                f"{name}: curves must be a non-empty dict kappa -> errors ||w_t - w*|| (e.g. tg.train.gd_errors(q, "
                f"50)), got {curves!r}"[:300]
            )
        for kappa, errors in curves.items():
            kv = _positive_number(kappa, "each key of curves (a condition number)", name, "e.g. {10.0: errors}")
            if kv < 1:
                raise ValueError(f"{name}: condition numbers must be >= 1, got {kappa!r} in curves")
            e = _vector(errors, f"curves[{kappa!r}]", name)
            if e.size < 2 or not (math.isfinite(e[0]) and e[0] > 0):
                raise ValueError(
                    f"{name}: curves[{kappa!r}] must hold at least two errors ||w_t - w*||, the first positive and "
                    f"finite; got {e.size} values starting with {e[0]!r}"
                )
            panels.append((kv, e))
    n = 2 if panels else 1
    fig, axes, created = _axes(ax, n, name, figsize=_SINGLE if n == 1 else (12.0, 4.6))
    axis = axes[0]
    lo, hi = float(k.min()), float(k.max())
    dense = np.geomspace(lo, hi * 1.0001, 200) if hi > lo else np.geomspace(lo, lo * 10, 50)
    axis.plot(dense, _theory(dense), color="0.2", lw=1.6, label="theory (κ − 1)/(κ + 1)", zorder=2)
    axis.plot(k, r, ls="none", marker="o", ms=7, mfc="#ff7f0e", mec="black", mew=0.7,
              label="measured: GD at η = 2/(L + μ)", zorder=3)  # fmt: skip
    axis.set_xscale("log")
    axis.set_ylim(-0.03, 1.05)
    axis.axhline(1.0, color="0.6", lw=0.8, ls=":")
    axis.set_xlabel("condition number κ = L/μ (log scale)")
    axis.set_ylabel("per-step factor ‖e_t+1‖ / ‖e_t‖")
    if panels:
        right = axes[1]
        for (kappa, e), colour in zip(panels, _colours(len(panels)), strict=True):
            t = np.arange(e.size)
            right.plot(t, e, color=colour, lw=3.0, alpha=0.8, label=f"κ = {kappa:g}")
            with np.errstate(under="ignore"):
                right.plot(t, e[0] * _theory(np.array(kappa)) ** t, color="black", lw=1.1, ls="--", zorder=3)
        right.set_yscale("log", nonpositive="mask")
        right.set_xlabel("step t")
        right.set_ylabel("‖w_t − w*‖ (log scale)")
        right.set_title("‖w_t − w*‖; dashed: theory ‖e₀‖((κ − 1)/(κ + 1))ᵗ", fontsize=11, fontweight="normal")
        axis.set_title("rate at the best step", fontsize=11, fontweight="normal")
        fig.suptitle(title if title is not None else "Gradient descent slows down with the condition number")
        if created:
            right.legend(loc="lower left")  # the curves start top left and fall to the right
        else:
            _legend(fig, right, right.get_legend_handles_labels()[0], created)
    else:
        axis.set_title(title if title is not None else "Gradient descent slows down with the condition number")
    _legend(fig, axis, axis.get_legend_handles_labels()[0], created)
    return fig


# --------------------------------------------------------------------------------------------------------
# Hessian spectra
# --------------------------------------------------------------------------------------------------------


def _spectrum(label: str, value: Any, name: str) -> np.ndarray:
    if isinstance(value, Curvature):
        if value.method != "exact" or value.eigenvalues is None:
            raise ValueError(
                f"{name}: the Curvature for {label!r} was computed with method={value.method!r}, which finds only "
                "the extreme eigenvalues; the whole spectrum needs tg.train.curvature(..., method='exact')"
            )
        value = value.eigenvalues
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: the spectrum {label!r} must be an array of eigenvalues or a Curvature, got {type(value).__name__}"
        ) from None
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
        raise ValueError(
            f"{name}: the spectrum {label!r} has shape {arr.shape}: a matrix (the Hessian?); pass its eigenvalues, "
            "np.linalg.eigvalsh(H), or tg.train.curvature(..., method='exact').eigenvalues"
        )
    if arr.ndim != 1:
        raise ValueError(f"{name}: the spectrum {label!r} must be a 1-D array of eigenvalues, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: the spectrum {label!r} is empty (no eigenvalues)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: the spectrum {label!r} has non-finite eigenvalues (nan or inf)")
    return arr


_LINSCALE = 1.0 / (1.0 - 1.0 / 10.0)  # matplotlib's symlog, base 10, linscale 1: the linear part's length in decades


def _symlog(x: np.ndarray, linthresh: float) -> np.ndarray:
    """Where matplotlib's symlog axis (base 10, ``linscale=1``) puts ``x``: linear inside ``±linthresh``, log10
    outside, continuous at the threshold. Bins evenly spaced in this coordinate look evenly spaced on the axis."""
    a = np.abs(x)
    return np.where(a <= linthresh, x / linthresh * _LINSCALE,
                    np.sign(x) * (_LINSCALE + np.log10(np.maximum(a, linthresh) / linthresh)))  # fmt: skip


def _symlog_inverse(t: np.ndarray, linthresh: float) -> np.ndarray:
    a = np.abs(t)
    return np.where(a <= _LINSCALE, t * linthresh / _LINSCALE,
                    np.sign(t) * linthresh * 10.0 ** np.maximum(a - _LINSCALE, 0.0))  # fmt: skip


@_plotting
def plot_hessian_spectrum(
    spectra: Mapping[str, Any] | Sequence[float] | np.ndarray | Curvature,
    *,
    bins: int | Sequence[float] = 60,
    linthresh: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    r"""Histograms of the eigenvalues of the Hessian of the loss, with :math:`\lambda_{\max}` and
    :math:`\lambda_{\min}` of each marked.

    The Hessian of a trained network typically has a **bulk** of eigenvalues near zero (directions in which
    the loss hardly changes, many of them slightly negative away from a minimum) and a few large
    **outliers** (about one per class in classification). The outliers alone set :math:`\lambda_{\max}`, hence
    the largest stable learning rate :math:`2/\lambda_{\max}`; the bulk sets how slowly GD moves in the flat
    directions. Comparing the spectrum at initialisation and after training shows how training changes the
    curvature (typically :math:`\lambda_{\max}` grows early on, up to about :math:`2/\eta`: the edge of
    stability).

    Parameters
    ----------
    spectra : dict of str to array or Curvature; or one array or Curvature
        The eigenvalues per label, e.g. ``{"start": c0.eigenvalues, "end": c1.eigenvalues}`` with
        ``c = tg.train.curvature(model, loss_fn, (X, y), method="exact")`` (a Curvature from ``method="exact"``
        may be passed itself).
    bins : int or sequence of float, default 60
        The number of bins, evenly spaced on the symmetric-log axis over the range of all spectra (the same bins
        for every spectrum, so their counts compare), or the bin edges.
    linthresh : float, optional
        The symmetric-log axis is linear on :math:`[-\text{linthresh}, \text{linthresh}]` and logarithmic
        outside. Default: :math:`10^{\lfloor \log_{10} \max|\lambda| \rfloor - 4}`, four decades below the
        largest magnitude, so that the outliers and the bulk near zero both show.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        x: eigenvalue (symlog), y: count (log). Per spectrum a filled step histogram, a dashed vertical line at
        its :math:`\lambda_{\max}` and a dotted one at its :math:`\lambda_{\min}`, in its colour, with their values
        in the legend.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> eigenvalues = np.r_[np.linspace(-0.01, 0.02, 40), 5.0, 30.0]
    >>> fig = tg.viz.plot_hessian_spectrum({"start": eigenvalues})
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('symlog', 'log')
    """
    name = "plot_hessian_spectrum"
    if isinstance(spectra, Mapping):
        if not spectra:
            raise ValueError(
                f"{name}: no spectra to plot (got an empty dict); pass {{label: eigenvalues}}, e.g. "
                "{'start': tg.train.curvature(model, loss_fn, (X, y), method='exact').eigenvalues}"
            )
        items = [(str(label), _spectrum(str(label), value, name)) for label, value in spectra.items()]
    else:
        items = [("spectrum", _spectrum("spectrum", spectra, name))]
    everything = np.concatenate([values for _, values in items])
    biggest = float(np.max(np.abs(everything)))
    if linthresh is None:
        thresh = 10.0 ** (math.floor(math.log10(biggest)) - 4) if biggest > 0 else 1.0
    else:
        thresh = _positive_number(linthresh, "linthresh", name, "e.g. linthresh=1e-3")
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"{name}: bins must be a positive number of bins or a sequence of edges, got {bins}")
        lo, hi = _symlog(np.array([everything.min(), everything.max()]), thresh)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        edges = _symlog_inverse(np.linspace(lo, hi, int(bins) + 1), thresh)
        edges[0], edges[-1] = min(edges[0], everything.min()), max(edges[-1], everything.max())
    else:
        edges = _vector(bins, "bins (the bin edges)", name)
        if edges.size < 2 or not np.all(np.diff(edges) > 0) or not np.all(np.isfinite(edges)):
            raise ValueError(f"{name}: bin edges must be at least two finite, increasing numbers, got {edges}")
    fig, (axis,), created = _axes(ax, 1, name, figsize=_SINGLE)
    axis.axvline(0.0, color="0.6", lw=0.8, zorder=0)
    histograms, maxima, minima = [], [], []
    for (label, values), colour in zip(items, _colours(len(items)), strict=True):
        *_, patches = axis.hist(values, bins=edges.tolist(), histtype="stepfilled", color=colour, alpha=0.3, ec=colour,
                                lw=1.4, log=True, label=f"{label} ({values.size} eigenvalues)")  # fmt: skip
        histograms.append(patches[0] if isinstance(patches, list) else patches)
        lmax, lmin = float(values.max()), float(values.min())
        maxima.append(axis.axvline(lmax, color=colour, ls="--", lw=1.6, label=f"{label}: λmax = {lmax:.4g}"))
        minima.append(axis.axvline(lmin, color=colour, ls=":", lw=1.6, label=f"{label}: λmin = {lmin:.4g}"))
    axis.set_xscale("symlog", linthresh=thresh, linscale=1.0)
    axis.set_yscale("log")
    axis.set_ylim(bottom=0.7)
    axis.set_xlabel(f"eigenvalue λ (symmetric log scale, linear within ±{thresh:.0e})")
    axis.set_ylabel("count (log scale)")
    axis.set_title(title if title is not None else "Hessian spectrum: a bulk near zero and a few outliers")
    # by kind, so that a legend of three columns (filled column by column) has one row per spectrum
    _legend(fig, axis, [*histograms, *maxima, *minima], created)
    return fig
