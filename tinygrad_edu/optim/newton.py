r"""``Newton``: damped Newton's method with a backtracking line search, exact or Hessian-free.

Newton's method minimises the local quadratic model
:math:`m(d) = f(\theta) + g^\top d + \tfrac12 d^\top H d` at every step: its minimiser solves the **Newton
system** :math:`H d = -g`. On a quadratic one full step lands on the minimum; near a minimum with a positive
definite Hessian the error roughly squares at every step (quadratic convergence), whatever the condition
number. Far from it the model can be poor, hence the two safeguards of **damped** Newton:

* a backtracking (Armijo) line search on the step length :math:`t \in \{1, \tfrac12, \tfrac14, \dots\}`, so
  that every step decreases the loss (Boyd and Vandenberghe's damped phase); near the minimum :math:`t = 1`
  is accepted and the quadratic phase begins;
* a shift :math:`H + \tau I` when :math:`H` is not positive definite (at a saddle, or far from a minimum),
  making :math:`d` a descent direction (Nocedal and Wright's Cholesky with added multiple of the identity).

The system is solved exactly (the Hessian from :math:`n` Hessian-vector products, then Cholesky) for small
problems, or **Hessian-free** by conjugate gradients on Hessian-vector products, which never forms :math:`H`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..func import HessianOperator
from ..tensor import Tensor, no_grad
from .optimizer import Optimizer, ParamsT, check_non_negative, closure_loss_value

__all__ = ["Newton"]

_SOLVERS = ("auto", "exact", "cg")
_CLOSURE_EXAMPLE = (
    "def closure(): opt.zero_grad(); loss = f(); loss.backward(create_graph=True); return loss (or return the loss "
    "without backward)"
)
_LINE_SEARCHES = (None, "armijo")


class Newton(Optimizer):
    r"""Damped Newton's method: :math:`\theta \leftarrow \theta + t\,\eta\, d` with
    :math:`(H + \tau I)\, d = -g`, the step length :math:`t` chosen by backtracking.

    Parameters
    ----------
    params : iterable of Tensors
        The parameters (one group).
    lr : float, default 1.0
        :math:`\eta`, the largest step (1 is Newton's own step).
    damping : float, default 0.0
        A constant :math:`\tau_0 \ge 0` added to the Hessian's diagonal (Levenberg); more is added when
        :math:`H + \tau_0 I` is not positive definite.
    line_search : None or "armijo", default "armijo"
        Backtracking: halve :math:`t` (``shrink``) until
        :math:`f(\theta + t\eta d) \le f(\theta) + c\, t\eta\, g^\top d` (at most ``max_backtracks`` times).
        ``None`` takes the full step :math:`\eta d`.
    solver : {"auto", "exact", "cg"}, default "auto"
        ``"exact"``: the Hessian from :math:`n` Hessian-vector products and a Cholesky solve; ``"cg"``:
        conjugate gradients on Hessian-vector products (Hessian-free); ``"auto"``: exact for
        :math:`n \le` ``max_exact`` parameters, else CG.
    max_exact : int, default 500
        The largest problem ``"auto"`` solves exactly.
    cg_max_iter : int, optional
        Conjugate-gradient iterations per step (default :math:`n`, where CG is exact in exact arithmetic).
    cg_tol : float, optional
        CG stops when :math:`\lVert Hd + g\rVert \le` ``cg_tol`` :math:`\lVert g\rVert`. Default: the forcing
        term :math:`\min(\tfrac12, \lVert g\rVert)`, which keeps Newton's quadratic convergence while solving
        loosely far from the minimum (Nocedal and Wright, Theorem 7.2).
    c, shrink, max_backtracks : float, float, int
        The Armijo constant, the backtracking factor and the most halvings.
    tolerance_grad : float, default 1e-10
        No step when :math:`\max_i |g_i| \le` ``tolerance_grad`` (already at a stationary point).

    Notes
    -----
    ``step(closure)`` needs the gradient *with its graph*, to differentiate it again: the closure computes the
    loss and either returns it without calling ``backward``, or calls ``loss.backward(create_graph=True)``
    (``tg.train.fit`` does the latter: ``closure_create_graph`` is True). Trial points of the line search call
    the closure again. After the step every ``.grad`` is a numpy array again (of the last evaluation).

    ``state[params[0]]`` records the last step: ``"n_iter"``, ``"func_evals"``, ``"step_size"`` (:math:`t\eta`),
    ``"backtracks"``, ``"shift"`` (:math:`\tau`), ``"solver"``, ``"cg_iterations"``, ``"hvps"``,
    ``"newton_decrement"`` (:math:`\lambda^2 = -g^\top d`; :math:`\lambda^2/2` estimates
    :math:`f - f^*` near the minimum) and ``"grad_norm"``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> q = tg.data.make_quadratic(d=4, condition_number=1000.0, seed=0)
    >>> w = tg.Tensor(np.zeros(4), requires_grad=True)
    >>> opt = tg.optim.Newton([w])
    >>> def closure():
    ...     opt.zero_grad()
    ...     return 0.5 * (w * (tg.Tensor(q.A) @ w)).sum() - (tg.Tensor(q.b) * w).sum()
    >>> _ = opt.step(closure)                  # one step to the minimum of a quadratic, whatever kappa
    >>> bool(np.allclose(w.data, q.w_star))
    True
    """

    requires_closure = True
    closure_create_graph = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        damping: float = 0.0,
        line_search: str | None = "armijo",
        solver: str = "auto",
        *,
        max_exact: int = 500,
        cg_max_iter: int | None = None,
        cg_tol: float | None = None,
        c: float = 1e-4,
        shrink: float = 0.5,
        max_backtracks: int = 30,
        tolerance_grad: float = 1e-10,
    ) -> None:
        if line_search not in _LINE_SEARCHES:
            raise ValueError(f"Newton: line_search must be None or 'armijo', got line_search={line_search!r}")
        if solver not in _SOLVERS:
            raise ValueError(f"Newton: solver must be 'auto', 'exact' or 'cg', got solver={solver!r}")
        _positive_int(max_exact, "max_exact")
        if cg_max_iter is not None:
            _positive_int(cg_max_iter, "cg_max_iter")
        _positive_int(max_backtracks, "max_backtracks", minimum=0)
        if cg_tol is not None:
            _open_unit("cg_tol", cg_tol, "e.g. cg_tol=1e-8, or None for the forcing term min(0.5, |g|)")
        _open_unit("c", c, "e.g. c=1e-4")
        _open_unit("shrink", shrink, "e.g. shrink=0.5")
        check_non_negative("tolerance_grad", tolerance_grad)
        self.line_search = line_search
        self.solver = solver
        self.max_exact = int(max_exact)
        self.cg_max_iter = None if cg_max_iter is None else int(cg_max_iter)
        self.cg_tol = None if cg_tol is None else float(cg_tol)
        self.c, self.shrink, self.max_backtracks = float(c), float(shrink), int(max_backtracks)
        self.tolerance_grad = float(tolerance_grad)
        super().__init__(params, {"lr": lr, "damping": damping})
        if len(self.param_groups) != 1:
            raise ValueError(
                f"Newton takes one parameter group (its step couples all parameters through the Hessian), got "
                f"{len(self.param_groups)}; pass the parameters as one list"
            )

    def _check_hyperparameters(self, hp: Any) -> None:
        check_non_negative("lr", hp["lr"])
        check_non_negative("damping", hp["damping"])

    @property
    def _params(self) -> list[Tensor]:
        return list(self.param_groups[0]["params"])

    # ---- the step ---------------------------------------------------------------------------------------

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One damped Newton step; the closure is required (see the class notes). Returns its first loss."""
        if closure is None:
            raise ValueError(f"Newton.step() needs a closure that re-evaluates the loss, e.g. {_CLOSURE_EXAMPLE}")
        params, group = self._params, self.param_groups[0]
        state = self.state[params[0]]
        state.setdefault("n_iter", 0)
        state.setdefault("func_evals", 0)
        loss = self._evaluate(closure)
        state["func_evals"] += 1
        if not isinstance(loss, Tensor) or loss.size != 1:
            got = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else type(loss).__name__
            raise TypeError(
                f"Newton: the closure must return the loss as a one-element Tensor, got {got} (Newton "
                "differentiates it twice, so a number is not enough)"
            )
        op = self._hessian_operator(loss, params)
        g = op.gradient
        state.update(grad_norm=float(np.linalg.norm(g)), hvps=0, cg_iterations=0, backtracks=0, step_size=0.0)
        if not np.all(np.isfinite(g)) or float(np.max(np.abs(g), initial=0.0)) <= self.tolerance_grad:
            state.update(newton_decrement=0.0 if np.all(np.isfinite(g)) else math.nan, shift=0.0, solver="none")
            self._plain_grads(params)
            return loss
        d = self._direction(op, g, float(group["damping"]), state)
        state["hvps"] = op.calls
        slope = float(g @ d)
        state["newton_decrement"] = -slope
        del op  # frees the gradient's graph before the trial evaluations
        self._move(closure, params, d, slope, float(group["lr"]), _loss_value(loss), state)
        state["n_iter"] += 1
        self._plain_grads(params)
        return loss

    def _hessian_operator(self, loss: Any, params: list[Tensor]) -> HessianOperator:
        grads = [p.grad for p in params]
        if all(isinstance(gr, Tensor) for gr in grads):  # backward(create_graph=True) in the closure
            return HessianOperator(loss, params, grads=grads, where="Newton")
        if loss.requires_grad:  # the closure left backward to us (any arrays in .grad are from before)
            try:
                return HessianOperator(loss, params, where="Newton")
            except RuntimeError as err:  # the closure's plain backward() freed the graph
                cause: Exception | None = err
        else:
            cause = None
        raise RuntimeError(
            "Newton needs the gradient with its graph, to differentiate it again: in the closure call "
            "loss.backward(create_graph=True) (after opt.zero_grad()), or return the loss without calling "
            "backward; a plain loss.backward() frees the graph"
        ) from cause

    def _direction(self, op: HessianOperator, g: np.ndarray, damping: float, state: dict[str, Any]) -> np.ndarray:
        """The Newton direction :math:`d` with :math:`(H + \\tau I) d = -g`, a descent direction."""
        exact = self.solver == "exact" or (self.solver == "auto" and op.n <= self.max_exact)
        if exact:
            d, shift = _exact_direction(op, g, damping)
            state.update(solver="exact", shift=shift)
        else:
            tol = self.cg_tol if self.cg_tol is not None else min(0.5, float(np.linalg.norm(g)))
            max_iter = self.cg_max_iter if self.cg_max_iter is not None else op.n
            d, iterations = _conjugate_gradient(lambda v: op(v) + damping * v, g, tol, max_iter)
            state.update(solver="cg", shift=damping, cg_iterations=iterations)
        if not float(g @ d) < 0:  # rounding, or a CG that stopped at once: fall back to steepest descent
            d = -g
        return d

    def _move(
        self,
        closure: Callable[[], Any],
        params: list[Tensor],
        d: np.ndarray,
        slope: float,
        lr: float,
        f0: float,
        state: dict[str, Any],
    ) -> None:
        start = [p.data.copy() for p in params]
        if self.line_search is None:
            _set(params, start, lr * d)
            state["step_size"] = lr
            return
        t, backtracks = 1.0, 0
        while True:
            _set(params, start, t * lr * d)
            for p in params:
                p.grad = None  # a trial closure may accumulate
            f_trial = _loss_value(self._evaluate(closure))
            state["func_evals"] += 1
            if f_trial <= f0 + self.c * t * lr * slope:  # False for NaN: a NaN trial point backtracks
                break
            if backtracks == self.max_backtracks:
                warnings.warn(
                    f"Newton's line search found no decrease after {backtracks} backtracks from f={f0!r} (last "
                    f"trial f={f_trial!r}); the parameters are left unchanged",
                    RuntimeWarning,
                    stacklevel=4,
                )
                _set(params, start, 0.0 * d)
                t = 0.0
                break
            t *= self.shrink
            backtracks += 1
        state.update(step_size=t * lr, backtracks=backtracks)

    @staticmethod
    def _plain_grads(params: list[Tensor]) -> None:
        """``.grad`` back to numpy arrays (the closure's ``create_graph`` made them Tensors with a graph)."""
        for p in params:
            if isinstance(p.grad, Tensor):
                p.grad = np.array(p.grad.data, dtype=p.data.dtype, copy=True)


# --------------------------------------------------------------------------------------------------------
# the two solvers and helpers
# --------------------------------------------------------------------------------------------------------


def _exact_direction(op: HessianOperator, g: np.ndarray, damping: float) -> tuple[np.ndarray, float]:
    r"""Solve :math:`(H + \tau I) d = -g` by Cholesky with the smallest :math:`\tau \ge` ``damping`` (doubling from
    :math:`10^{-3}\max|H_{ii}|`) that makes the matrix positive definite (Nocedal and Wright, Algorithm 3.3)."""
    n = op.n
    H = op.matrix()
    beta = 1e-3 * max(float(np.max(np.abs(np.diag(H)))), 1e-8)
    tau = damping if float(np.min(np.diag(H))) + damping > 0 else max(damping, beta - float(np.min(np.diag(H))))
    while True:
        try:
            factor = np.linalg.cholesky(H + tau * np.eye(n))
            break
        except np.linalg.LinAlgError:
            tau = max(2.0 * tau, beta)
    d = -np.linalg.solve(factor.T, np.linalg.solve(factor, g))
    return d, tau


def _conjugate_gradient(
    matvec: Callable[[np.ndarray], np.ndarray], g: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, int]:
    r"""Truncated conjugate gradients for :math:`A d = -g` from :math:`d = 0` (Nocedal and Wright, Algorithm
    7.1): stops when :math:`\lVert r\rVert \le` ``tol`` :math:`\lVert g\rVert`, or at negative curvature
    :math:`p^\top A p \le 0` (returning the iterate so far, or :math:`-g` at the first iteration)."""
    d = np.zeros_like(g)
    r = g.copy()  # residual A d + g
    p = -r
    threshold = tol * float(np.linalg.norm(g))
    for k in range(max_iter):
        Ap = matvec(p)
        curvature = float(p @ Ap)
        if curvature <= 0:
            return (-g if k == 0 else d), k + 1
        alpha = float(r @ r) / curvature
        d = d + alpha * p
        r_new = r + alpha * Ap
        if float(np.linalg.norm(r_new)) <= threshold:
            return d, k + 1
        beta = float(r_new @ r_new) / float(r @ r)
        p = -r_new + beta * p
        r = r_new
    return d, max_iter


def _set(params: list[Tensor], start: list[np.ndarray], delta: np.ndarray) -> None:
    """``p.data = start + delta`` for each parameter's slice of the flat ``delta``, in place."""
    offset = 0
    for p, p0 in zip(params, start, strict=True):
        piece = delta[offset : offset + p.size].reshape(p.shape)
        np.add(p0, piece, out=p.data, casting="unsafe")
        offset += p.size


def _loss_value(loss: Any) -> float:
    return closure_loss_value(loss, _CLOSURE_EXAMPLE)


def _positive_int(value: Any, name: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"Newton: {name} must be an int >= {minimum}, got {name}={value!r}")


def _open_unit(name: str, value: Any, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"Newton: {name} must be a number in (0, 1), got {name}={value!r}; {example}")
