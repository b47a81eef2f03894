r"""The learning-rate bound :math:`\eta < 2/\lambda_{\max}` and the rate :math:`(\kappa-1)/(\kappa+1)` of gradient
descent, measured: the data behind the pictures of ``tinygrad_edu.viz.curvature``.

Gradient descent on a quadratic
-------------------------------
Near a minimum :math:`w^*` the loss is a quadratic, :math:`f(w) \approx f^* + \tfrac12 (w - w^*)^\top H (w - w^*)`,
whose gradient is :math:`H(w - w^*)`. One step of gradient descent, :math:`w_{t+1} = w_t - \eta \nabla f(w_t)`,
acts on the error :math:`e_t = w_t - w^*` as a matrix:

.. math:: e_{t+1} = (I - \eta H)\, e_t, \qquad\text{so}\qquad e_t = (I - \eta H)^t e_0 .

Along an eigenvector :math:`u_i` of :math:`H` (eigenvalue :math:`\lambda_i`) the error is multiplied by
:math:`1 - \eta\lambda_i` at every step, independently of the other directions. Hence:

* **the bound**: GD converges iff :math:`|1 - \eta\lambda_i| < 1` for all :math:`i`, i.e.
  :math:`0 < \eta < 2/\lambda_{\max}`. Beyond it the component along :math:`u_{\max}` flips sign and grows by
  :math:`|1 - \eta\lambda_{\max}| > 1` per step: the loss explodes geometrically. :func:`lr_sweep_losses`
  shows it on any model: the final loss against :math:`\eta` falls off a cliff at :math:`2/\lambda_{\max}`.
* **the rate**: the slowest direction sets the speed, :math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|
  = \max(|1 - \eta\mu|, |1 - \eta L|)` with :math:`\mu = \lambda_{\min}`, :math:`L = \lambda_{\max}`. It is
  smallest where the two are equal, :math:`1 - \eta\mu = \eta L - 1`:

  .. math:: \eta^* = \frac{2}{L + \mu}, \qquad \rho^* = \frac{L - \mu}{L + \mu} = \frac{\kappa - 1}{\kappa + 1},
            \qquad \kappa = \frac{L}{\mu}.

  No constant step does better: for :math:`\kappa = 100`, :math:`\rho^* = 0.98`, about
  :math:`(\kappa+1)/2 \approx 50` steps per factor :math:`e` of error. :func:`gd_rate` measures it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._random import manual_seed
from ..data.datasets import Quadratic
from ..optim.gd import GD
from ..tensor import Tensor, enable_grad, no_grad
from .curvature import full_data

__all__ = ["lr_sweep_losses", "gd_rate", "gd_errors"]

#: A run counts as diverged once its loss exceeds this multiple of its initial loss.
DIVERGENCE_FACTOR = 1e6


def _positive_int(value: Any, name: str, fn: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive int, got {name}={value!r}")
    return int(value)


def _learning_rates(lrs: Any, fn: str) -> np.ndarray:
    """``lrs`` as a non-empty 1-D float64 array of positive finite numbers, else an error naming the culprit."""
    try:
        arr = np.asarray(lrs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: lrs must be a sequence of learning rates (numbers), got {type(lrs).__name__}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{fn}: lrs must be a non-empty 1-D sequence of learning rates, got shape {arr.shape}")
    bad = arr[~(np.isfinite(arr) & (arr > 0))]
    if bad.size:
        raise ValueError(
            f"{fn}: learning rates must be positive and finite, got {float(bad[0])!r} in lrs; e.g. "
            "lrs=np.geomspace(0.01, 3.0, 20) * max_stable_lr"
        )
    return arr


def lr_sweep_losses(
    make_model: Callable[[], Any],
    loss_fn: Callable[..., Tensor],
    data: Any,
    lrs: Sequence[float] | np.ndarray,
    steps: int,
    seed: int = 0,
) -> np.ndarray:
    r"""The loss after ``steps`` steps of full-batch gradient descent, for each learning rate.

    What :func:`tinygrad_edu.viz.plot_lr_bound` draws against the measured bound :math:`2/\lambda_{\max}`
    (from :func:`tinygrad_edu.train.curvature`): along the top eigenvector of the Hessian one GD step
    multiplies the error by :math:`1 - \eta\lambda_{\max}`, so below :math:`2/\lambda_{\max}` the final loss
    decreases as :math:`\eta` grows, and above it the run blows up.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a fresh model (a ``tg.nn.Module``, or anything with ``.parameters()`` that is
        called on ``X``). It is called after ``tg.manual_seed(seed)`` for every learning rate, so that every
        run starts from the same initial parameters.
    loss_fn : callable
        ``loss_fn(model(X), y)`` (``loss_fn(model(X))`` when ``y`` is None) returns the scalar loss, e.g.
        ``tg.nn.functional.mse_loss``.
    data : (X, y) or DataLoader
        The training set; every step uses all of it (a DataLoader contributes its whole data set).
    lrs : sequence of float
        The learning rates, each positive.
    steps : int
        Gradient-descent steps per learning rate (``tg.optim.GD``).
    seed : int, default 0
        Passed to ``tg.manual_seed`` before each ``make_model()``.

    Returns
    -------
    ndarray of shape (len(lrs),)
        The full-batch loss at the parameters after the last step, in the order of ``lrs``. A run that
        **diverged** stops early and reports a non-finite value: ``nan`` if its loss became NaN, ``inf`` if it
        became infinite or exceeded ``1e6`` times its initial loss (``np.isfinite`` tells them apart from the
        runs that finished).

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> q = tg.data.make_quadratic(d=2, condition_number=10.0, seed=0)   # the MSE below has Hessian q.A
    >>> make = lambda: tg.nn.Linear(2, 1, bias=False, dtype=np.float64)
    >>> losses = tg.train.lr_sweep_losses(make, tg.nn.functional.mse_loss, (q.X, q.y),
    ...                                   [0.95 * q.max_stable_lr, 1.05 * q.max_stable_lr], steps=200)
    >>> bool(np.isfinite(losses[0])), bool(np.isfinite(losses[1]))
    (True, False)
    """
    fn = "lr_sweep_losses"
    if not callable(make_model):
        raise TypeError(
            f"{fn}: make_model must be a function that returns a new model, e.g. lambda: tg.nn.Linear(2, 1), got "
            f"{type(make_model).__name__}"
        )
    if not callable(loss_fn):
        raise TypeError(f"{fn}: loss_fn must be a function (output, y) -> loss, got {type(loss_fn).__name__}")
    rates = _learning_rates(lrs, fn)
    steps = _positive_int(steps, "steps", fn)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{fn}: seed must be a non-negative int, got seed={seed!r}")
    X, y = full_data(data, fn)

    def loss_of(model: Any) -> Tensor:
        out = model(X)
        loss = loss_fn(out) if y is None else loss_fn(out, y)
        if not isinstance(loss, Tensor) or loss.size != 1:
            got = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else type(loss).__name__
            raise TypeError(f"{fn}: loss_fn must return the loss as a one-element Tensor, got {got}")
        return loss

    finals = np.empty(len(rates))
    for i, lr in enumerate(rates):
        manual_seed(int(seed))
        model = make_model()
        if not hasattr(model, "parameters"):
            raise TypeError(f"{fn}: make_model() must return a model with .parameters(), got {type(model).__name__}")
        opt = GD(model.parameters(), lr=float(lr))
        with no_grad():
            initial = float(loss_of(model).item())
        limit = DIVERGENCE_FACTOR * initial if initial > 0 else math.inf
        finals[i] = _run(model, opt, loss_of, steps, limit)
    return finals


def _run(model: Any, opt: GD, loss_of: Callable[[Any], Tensor], steps: int, limit: float) -> float:
    """``steps`` GD steps; the final loss, or inf/nan as soon as the loss diverges."""
    for _ in range(steps):
        opt.zero_grad()
        with enable_grad():
            loss = loss_of(model)
        value = float(loss.item())
        if not value <= limit:  # NaN, inf, or past the divergence limit
            return value if math.isnan(value) else math.inf
        loss.backward()
        opt.step()
    with no_grad():
        value = float(loss_of(model).item())
    return value if value <= limit or math.isnan(value) else math.inf


def _quadratic(q: Any, fn: str) -> Quadratic:
    if not isinstance(q, Quadratic):
        raise TypeError(
            f"{fn}: q must be a tg.data.Quadratic (from tg.data.make_quadratic), got {type(q).__name__}; e.g. "
            "q = tg.data.make_quadratic(d=2, condition_number=10.0, seed=0)"
        )
    return q


def gd_errors(
    q: Quadratic,
    steps: int,
    *,
    lr: float | None = None,
    seed: int = 0,
    start: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    r"""The distances :math:`\lVert w_t - w^* \rVert`, :math:`t = 0..` ``steps``, of gradient descent on a quadratic.

    Parameters
    ----------
    q : Quadratic
        :math:`f(w) = \tfrac12 w^\top A w - b^\top w` from :func:`tinygrad_edu.data.make_quadratic`.
    steps : int
        The number of GD steps.
    lr : float, optional
        The constant learning rate; default :math:`2/(L + \mu)`, the best one.
    seed : int, default 0
        Seeds the start :math:`w_0 = w^* + z`, :math:`z \sim \mathcal N(0, I)` (almost surely with a component
        along every eigenvector of :math:`A`).
    start : array of shape (d,), optional
        :math:`w_0` itself, instead of the seeded start.

    Returns
    -------
    ndarray of shape (steps + 1,)

    Notes
    -----
    Since :math:`\nabla f(w) = Aw - b = A(w - w^*)`, the GD step :math:`w_{t+1} = w_t - \eta \nabla f(w_t)` is,
    for the error :math:`e_t = w_t - w^*`, exactly :math:`e_{t+1} = e_t - \eta A e_t`: the iteration runs in
    that form, so that errors far below the float64 resolution of :math:`w^*` (about
    :math:`10^{-16}\lVert w^*\rVert`, where :math:`w_t - w^*` would be all rounding) are still measured.
    """
    return _errors(q, steps, lr, seed, start, "gd_errors")


def _errors(q: Any, steps: Any, lr: Any, seed: Any, start: Any, fn: str) -> np.ndarray:
    q = _quadratic(q, fn)
    steps = _positive_int(steps, "steps", fn)
    A = np.asarray(q.A, dtype=np.float64)
    w_star = np.asarray(q.w_star, dtype=np.float64)
    if lr is None:
        eta = 2.0 / (q.L + q.mu)
    elif isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and float(lr) > 0):
        raise ValueError(f"{fn}: lr must be a positive finite number (or None for 2/(L + mu)), got lr={lr!r}")
    else:
        eta = float(lr)
    if start is None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"{fn}: seed must be a non-negative int, got seed={seed!r}")
        e = np.random.default_rng(int(seed)).standard_normal(q.d)
    else:
        w0 = np.asarray(getattr(start, "data", start), dtype=np.float64)
        if w0.shape != (q.d,) or not np.all(np.isfinite(w0)):
            raise ValueError(f"{fn}: start must be a finite point of shape ({q.d},), got shape {w0.shape}")
        e = w0 - w_star
    errors = np.empty(steps + 1)
    errors[0] = np.linalg.norm(e)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            e = e - eta * (A @ e)
            errors[t] = np.linalg.norm(e)
    return errors


def gd_rate(
    q: Quadratic,
    steps: int,
    *,
    lr: float | None = None,
    seed: int = 0,
    start: Sequence[float] | np.ndarray | None = None,
) -> float:
    r"""The measured convergence rate of gradient descent on a quadratic: the geometric mean of the per-step
    factors :math:`\lVert w_{t+1} - w^*\rVert / \lVert w_t - w^*\rVert` over ``steps`` steps,

    .. math:: \hat\rho = \left(\frac{\lVert w_T - w^* \rVert}{\lVert w_0 - w^* \rVert}\right)^{1/T}.

    At the default step :math:`\eta = 2/(L + \mu)` theory says :math:`\hat\rho \to (\kappa - 1)/(\kappa + 1)`
    (see the module docstring). In two dimensions the two eigen-directions shrink by :math:`1 - \eta\mu =
    (\kappa-1)/(\kappa+1)` and :math:`1 - \eta L = -(\kappa-1)/(\kappa+1)`, equal in size, so every step
    shrinks the error by exactly that factor (from a start with a component along both). In more dimensions
    the middle eigenvalues shrink faster, and :math:`\hat\rho` approaches the bound from below as ``steps``
    grows.

    Parameters
    ----------
    q : Quadratic
        From :func:`tinygrad_edu.data.make_quadratic`.
    steps : int
        :math:`T`, the number of GD steps.
    lr, seed, start
        As in :func:`gd_errors` (default ``lr``: :math:`2/(L + \mu)`).

    Returns
    -------
    float
        :math:`\hat\rho` (0 when the error vanished, e.g. for :math:`\kappa = 1`; above 1 when GD diverges).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> q = tg.data.make_quadratic(d=2, condition_number=10.0, seed=0)
    >>> round(tg.train.gd_rate(q, steps=50), 10), round(9 / 11, 10)      # (kappa - 1) / (kappa + 1)
    (0.8181818182, 0.8181818182)
    """
    errors = _errors(q, steps, lr, seed, start, "gd_rate")
    if errors[0] == 0:
        raise ValueError("gd_rate: the start is the minimum w* itself; there is no error to shrink")
    last = errors[-1]
    if last == 0:
        return 0.0
    if not math.isfinite(last):
        return math.inf
    return float(np.exp((np.log(last) - np.log(errors[0])) / (len(errors) - 1)))
