r"""``curvature``: the extreme eigenvalues of the Hessian of a model's loss, and what they say about training.

At parameters :math:`\theta`, the Hessian :math:`H = \nabla^2 L(\theta)` of the training loss describes the
loss locally as a quadratic, :math:`L(\theta + d) \approx L(\theta) + g^\top d + \tfrac12 d^\top H d`. Along an
eigenvector :math:`u_i` (eigenvalue :math:`\lambda_i`) one gradient-descent step multiplies the distance to
the minimum of that quadratic by :math:`1 - \eta\lambda_i`, so

* GD is stable only if :math:`|1 - \eta\lambda_i| < 1` for every :math:`i`, i.e. :math:`\eta < 2/\lambda_{\max}`
  (the **learning-rate bound**);
* with the best constant step :math:`\eta = 2/(\lambda_{\max} + \lambda_{\min})` the error shrinks by
  :math:`(\kappa - 1)/(\kappa + 1)` per step, :math:`\kappa = \lambda_{\max}/\lambda_{\min}` (the **condition
  number**): an ill-conditioned problem is slow for any learning rate.

:func:`curvature` measures :math:`\lambda_{\max}`, :math:`\lambda_{\min}`, :math:`\kappa` and :math:`2/\lambda_{\max}`
for your own model at its current parameters, with Hessian-vector products (:func:`tinygrad_edu.hvp`'s reverse
over reverse) and never the Hessian itself (unless you ask for ``method="exact"``):

* ``"lanczos"`` (default): the Lanczos iteration builds an orthonormal basis :math:`Q_k` of the Krylov space
  :math:`\{v, Hv, \dots, H^{k-1}v\}` in which :math:`T_k = Q_k^\top H Q_k` is tridiagonal; the extreme
  eigenvalues of :math:`T_k` (Ritz values) converge to those of :math:`H` after a few dozen products, both ends
  at once. Exact after :math:`k = n` steps.
* ``"power"``: power iteration :math:`v \leftarrow Hv/\lVert Hv \rVert` converges to the eigenvalue of largest
  magnitude at the rate :math:`|\lambda_2/\lambda_1|` per product; then the same on the shifted
  :math:`H - \lambda_1 I` gives the other end of the spectrum. The textbook method: simple, slow when
  eigenvalues cluster.
* ``"exact"``: the whole Hessian from :math:`n` products with the unit vectors, and ``numpy.linalg.eigh``: the
  full spectrum (``result.eigenvalues``), for models with up to a few thousand parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..data.loader import DataLoader, as_array
from ..func import HessianOperator
from ..tensor import Tensor, enable_grad

__all__ = ["Curvature", "curvature"]

_METHODS = ("lanczos", "power", "exact")
_MAX_EXACT = 5000  # parameters: the exact Hessian needs n HVPs and n^2 floats


@dataclass
class Curvature:
    r"""What :func:`curvature` measured: the extreme eigenvalues of the Hessian of the loss and what follows.

    Attributes
    ----------
    lambda_max, lambda_min : float
        The largest and smallest eigenvalue of the Hessian (:math:`\lambda_{\min} < 0` at a saddle or a
        non-convex point).
    loss : float
        The loss at the parameters where the Hessian was taken.
    n_params : int
        The number of parameters :math:`n` (the Hessian is :math:`n \times n`).
    method : str
        ``"lanczos"``, ``"power"`` or ``"exact"``.
    hvps : int
        Hessian-vector products used (each costs a few gradients; ``benchmarks/hvp_cost.py``).
    converged : bool
        Whether the iteration met its tolerance (always True for ``"exact"``).
    eigenvalues : ndarray or None
        ``"exact"``: all eigenvalues, ascending. ``"lanczos"``: the Ritz values (approximations, best at the
        ends of the spectrum). ``"power"``: None.
    estimates : ndarray
        The estimate of :math:`\lambda_{\max}` after each product (``"power"``, ``"lanczos"``): how it converged.
    top_eigenvector : ndarray
        A unit eigenvector of :math:`\lambda_{\max}`, flat over the parameters in order.
    hessian : ndarray or None
        The Hessian itself, for ``"exact"``.
    """

    lambda_max: float
    lambda_min: float
    loss: float
    n_params: int
    method: str
    hvps: int
    converged: bool
    eigenvalues: np.ndarray | None = field(default=None, repr=False)
    estimates: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    top_eigenvector: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    hessian: np.ndarray | None = field(default=None, repr=False)

    @property
    def condition_number(self) -> float:
        r""":math:`\kappa = \lambda_{\max}/\lambda_{\min}`; ``inf`` unless the Hessian is positive definite."""
        if self.lambda_min <= 0 or self.lambda_max <= 0:
            return math.inf
        return self.lambda_max / self.lambda_min

    @property
    def max_stable_lr(self) -> float:
        r""":math:`2/\lambda_{\max}`: GD with a larger constant learning rate diverges from here (on the local
        quadratic model); ``inf`` when :math:`\lambda_{\max} \le 0` (no positive curvature)."""
        return 2.0 / self.lambda_max if self.lambda_max > 0 else math.inf

    @property
    def best_lr(self) -> float:
        r""":math:`2/(\lambda_{\max} + \lambda_{\min})`: the constant step with the fastest worst-case rate
        :math:`(\kappa-1)/(\kappa+1)` on a quadratic (positive definite Hessians only; else ``nan``)."""
        if self.lambda_min <= 0 or self.lambda_max <= 0:
            return math.nan
        return 2.0 / (self.lambda_max + self.lambda_min)

    @property
    def rate(self) -> float:
        r""":math:`(\kappa - 1)/(\kappa + 1)`: GD's error factor per step at :attr:`best_lr` (``nan`` unless
        the Hessian is positive definite)."""
        kappa = self.condition_number
        return (kappa - 1) / (kappa + 1) if math.isfinite(kappa) else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The numbers as plain Python values (what ``tinygrad-edu curvature --json`` prints)."""
        keys = ("lambda_max", "lambda_min", "loss", "n_params", "method", "hvps", "converged")
        out = {k: v for k, v in asdict(self).items() if k in keys}
        out.update(condition_number=self.condition_number, max_stable_lr=self.max_stable_lr, best_lr=self.best_lr)
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in out.items()}

    def summary(self) -> str:
        """A few lines for people: the eigenvalues, kappa and the learning-rate bound."""
        lines = [
            f"Hessian of the loss ({self.n_params} parameters, loss {self.loss:.6g}), {self.method}: "
            f"{self.hvps} Hessian-vector products{'' if self.converged else ', NOT converged'}",
            f"  lambda_max = {self.lambda_max:.6g}",
            f"  lambda_min = {self.lambda_min:.6g}",
            f"  kappa      = {self.condition_number:.6g}" + ("" if self.lambda_min > 0 else "  (not convex here)"),
            f"  GD is stable for lr < 2/lambda_max = {self.max_stable_lr:.6g}",
        ]
        if math.isfinite(self.best_lr):
            lines.append(f"  best constant lr 2/(lambda_max + lambda_min) = {self.best_lr:.6g}, rate {self.rate:.6g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------------------------------------
# the eigen-solvers (on any symmetric operator on flat vectors)
# --------------------------------------------------------------------------------------------------------


def _unit(n: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


def _power(
    matvec: Callable[[np.ndarray], np.ndarray], v: np.ndarray, max_iter: int, tol: float
) -> tuple[float, np.ndarray, list[float], bool]:
    r"""Power iteration: :math:`v \leftarrow Av/\lVert Av\rVert`, :math:`\lambda = v^\top A v` (the Rayleigh
    quotient). Converged when the residual :math:`\lVert Av - \lambda v\rVert \le` ``tol`` :math:`\cdot|\lambda|`,
    which bounds the eigenvalue's error by about ``tol**2`` relative. Returns (lambda, v, estimates, converged)."""
    estimates: list[float] = []
    lam = 0.0
    for _ in range(max_iter):
        w = matvec(v)
        lam = float(v @ w)
        estimates.append(lam)
        residual = float(np.linalg.norm(w - lam * v))
        norm = float(np.linalg.norm(w))
        if norm == 0.0:  # v is in the null space: the dominant eigenvalue of this start is 0
            return 0.0, v, estimates, True
        if residual <= tol * abs(lam):
            return lam, v, estimates, True
        v = w / norm
    return lam, v, estimates, False


def _power_both_ends(
    matvec: Callable[[np.ndarray], np.ndarray], n: int, rng: np.random.Generator, max_iter: int, tol: float
) -> dict[str, Any]:
    """Power iteration for the dominant eigenvalue, then on the shifted operator for the other end."""
    lam1, v1, estimates, ok1 = _power(matvec, _unit(n, rng), max_iter, tol)
    shifted_lam, v2, _, ok2 = _power(lambda v: matvec(v) - lam1 * v, _unit(n, rng), max_iter, tol)
    lam2 = shifted_lam + lam1
    top = v1 if lam1 >= lam2 else v2
    return {
        "lambda_max": max(lam1, lam2),
        "lambda_min": min(lam1, lam2),
        "converged": ok1 and ok2,
        "estimates": np.array(estimates),
        "top": top,
        "eigenvalues": None,
    }


def _lanczos(
    matvec: Callable[[np.ndarray], np.ndarray], n: int, rng: np.random.Generator, max_iter: int, tol: float
) -> dict[str, Any]:
    r"""Lanczos with full reorthogonalisation: after :math:`k` steps :math:`AQ_k = Q_k T_k + \beta_k q_{k+1}e_k^\top`.
    A Ritz pair :math:`(\theta, Q_k s)` has residual :math:`|\beta_k s_k|`; both extreme pairs must be below
    ``tol`` :math:`\cdot \max(|\theta|, 10^{-3} \max|\theta|)`, their own size (the smaller end of an
    ill-conditioned spectrum needs it) unless it is nearly 0. Stops early when the Krylov space is exhausted
    (:math:`\beta_k = 0`)."""
    q = _unit(n, rng)
    Q = [q]
    alphas: list[float] = []
    betas: list[float] = []
    estimates: list[float] = []
    converged = False
    theta = np.zeros(1)
    S = np.ones((1, 1))
    for k in range(min(max_iter, n)):
        w = matvec(Q[-1])
        alphas.append(float(Q[-1] @ w))
        basis = np.array(Q)
        for _ in range(2):  # twice is enough (Kahan's "twice is enough") to keep Q orthonormal in floating point
            w = w - basis.T @ (basis @ w)
        beta = float(np.linalg.norm(w))
        T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        theta, S = np.linalg.eigh(T)
        estimates.append(float(theta[-1]))
        scale = max(float(np.max(np.abs(theta))), np.finfo(float).tiny)
        exhausted = beta <= 1e-12 * scale
        residuals = beta * np.abs(S[-1, [0, -1]])
        # each end relative to itself (tol is a relative residual), but no finer than 1e-3 of the spectrum's
        # scale: an eigenvalue near 0 (a flat direction) would otherwise keep the iteration going to max_iter
        if exhausted or k + 1 == n or np.all(residuals <= tol * np.maximum(np.abs(theta[[0, -1]]), 1e-3 * scale)):
            converged = True
            break
        betas.append(beta)
        Q.append(w / beta)
    top = np.array(Q[: len(alphas)]).T @ S[:, -1]
    return {
        "lambda_max": float(theta[-1]),
        "lambda_min": float(theta[0]),
        "converged": converged,
        "estimates": np.array(estimates),
        "top": top / np.linalg.norm(top),
        "eigenvalues": theta,
    }


def _exact(op: HessianOperator) -> dict[str, Any]:
    H = op.matrix()
    eigenvalues, vectors = np.linalg.eigh(H)
    return {
        "lambda_max": float(eigenvalues[-1]),
        "lambda_min": float(eigenvalues[0]),
        "converged": True,
        "estimates": np.zeros(0),
        "top": vectors[:, -1],
        "eigenvalues": eigenvalues,
        "hessian": H,
    }


# --------------------------------------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------------------------------------


def full_data(data: Any, fn: str) -> tuple[Tensor, Tensor | None]:
    """The whole data set as Tensors, from a pair (X, y) (y may be None) or a DataLoader (all of its data: the
    full-batch loss); shared by :func:`curvature` and ``lr_sweep_losses``. ``fn`` names the caller in errors."""
    if isinstance(data, DataLoader):
        X, y = data.X, data.y
    elif isinstance(data, tuple) and len(data) == 2:
        X = as_array(data[0], f"{fn}: X")
        y = None if data[1] is None else as_array(data[1], f"{fn}: y", labels=True)
    else:
        raise TypeError(
            f"{fn}: data must be a pair (X, y) or a tg.data.DataLoader (its whole data set is used: the full-batch "
            f"loss), got {type(data).__name__}"
        )
    if y is not None and len(y) != len(X):
        raise ValueError(f"{fn}: X and y must have the same number of samples, got {len(X)} and {len(y)}")
    return Tensor(X), None if y is None else Tensor(y)


def _params(model: Any, params: Any) -> list[Tensor]:
    if params is None:
        if not hasattr(model, "parameters"):
            raise TypeError(
                f"curvature: model must be a tg.nn.Module (or have .parameters()), got {type(model).__name__}; "
                "or pass params=[...] explicitly"
            )
        params = model.parameters()
    found = [params] if isinstance(params, Tensor) else list(params)
    found = [p for p in found if isinstance(p, Tensor) and p.requires_grad]
    if not found:
        raise ValueError("curvature: the model has no parameters that require grad; there is no Hessian to measure")
    return found


def curvature(
    model: Any,
    loss_fn: Callable[..., Tensor],
    data: Any,
    *,
    method: str = "lanczos",
    max_iter: int | None = None,
    tol: float = 1e-6,
    seed: int = 0,
    params: Sequence[Tensor] | None = None,
) -> Curvature:
    r"""The extreme eigenvalues of the Hessian of the full-batch loss at the model's current parameters, the
    condition number and the learning-rate bound :math:`2/\lambda_{\max}` of gradient descent.

    Parameters
    ----------
    model : callable with ``.parameters()``
        E.g. a ``tg.nn.Module``. Its parameters are not changed.
    loss_fn : callable
        ``loss_fn(model(X), y)`` (or ``loss_fn(model(X))`` when ``y`` is None) returns the scalar loss.
    data : (X, y) or DataLoader
        The data; a DataLoader contributes its whole data set at once (the loss GD minimises).
    method : {"lanczos", "power", "exact"}, default "lanczos"
        See the module docstring.
    max_iter : int, optional
        Hessian-vector products per eigenvalue: default ``min(n, 100)`` for Lanczos, 1000 for power iteration.
    tol : float, default 1e-6
        Relative residual :math:`\lVert Hv - \lambda v\rVert / |\lambda|` at which an eigenvalue counts as
        converged; the eigenvalue itself is then accurate to about ``tol**2`` (relative, in float64).
    seed : int, default 0
        Seeds the random start vector.
    params : sequence of Tensors, optional
        The parameters to take the Hessian over (default ``model.parameters()``).

    Returns
    -------
    Curvature
        ``lambda_max``, ``lambda_min``, ``condition_number``, ``max_stable_lr``, ``best_lr`` and more.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> q = tg.data.make_quadratic(d=3, condition_number=50.0, seed=0)   # Hessian of the MSE below: q.A
    >>> model = tg.nn.Linear(3, 1, bias=False, dtype=np.float64)
    >>> c = tg.train.curvature(model, tg.nn.functional.mse_loss, (q.X, q.y))
    >>> round(c.lambda_max, 9), round(c.lambda_min, 9), round(c.max_stable_lr, 9)
    (50.0, 1.0, 0.04)
    """
    if method not in _METHODS:
        raise ValueError(f"curvature: method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    if max_iter is not None and (
        isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1
    ):
        raise ValueError(f"curvature: max_iter must be a positive int or None, got {max_iter!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (tol > 0 and math.isfinite(tol)):
        raise ValueError(f"curvature: tol must be a finite number > 0, got {tol!r} (e.g. tol=1e-6)")
    if not callable(loss_fn):
        raise TypeError(f"curvature: loss_fn must be a function (output, y) -> loss, got {type(loss_fn).__name__}")
    X, y = full_data(data, "curvature")
    found = _params(model, params)

    with enable_grad():
        out = model(X)
        op = HessianOperator(loss_fn(out) if y is None else loss_fn(out, y), found, where="curvature")
    if method == "exact" and op.n > _MAX_EXACT:
        raise ValueError(
            f"curvature: method='exact' forms the {op.n}x{op.n} Hessian ({op.n} Hessian-vector products); above "
            f"{_MAX_EXACT} parameters use method='lanczos'"
        )
    rng = np.random.default_rng(seed)
    if method == "exact":
        found_eigs = _exact(op)
    elif method == "power":
        found_eigs = _power_both_ends(op, op.n, rng, 1000 if max_iter is None else int(max_iter), tol)
    else:
        found_eigs = _lanczos(op, op.n, rng, min(op.n, 100) if max_iter is None else int(max_iter), tol)
    return Curvature(
        lambda_max=found_eigs["lambda_max"],
        lambda_min=found_eigs["lambda_min"],
        loss=op.loss,
        n_params=op.n,
        method=method,
        hvps=op.calls,
        converged=found_eigs["converged"],
        eigenvalues=found_eigs["eigenvalues"],
        estimates=found_eigs["estimates"],
        top_eigenvector=found_eigs["top"],
        hessian=found_eigs.get("hessian"),
    )
