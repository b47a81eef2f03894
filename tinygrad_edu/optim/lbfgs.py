r"""``LBFGS``: limited-memory BFGS, PyTorch's algorithm (two-loop recursion, optional strong-Wolfe line search).

A quasi-Newton method: it steps along :math:`d = -H g`, where :math:`H` approximates the *inverse* Hessian
and is built from the last :math:`m` steps :math:`s_i = \theta_{i+1} - \theta_i` and gradient changes
:math:`y_i = g_{i+1} - g_i`, never stored as a matrix. The arithmetic, the constants and the order of the
stopping tests are those of ``torch.optim.LBFGS`` (checked step by step in ``tests/optim/test_lbfgs.py``).

Implementation note: L-BFGS sees all parameters as one vector. The gradients are concatenated into one flat
array (``None`` counts as zeros), the direction is computed on flat arrays in the parameters' dtype, and each
parameter's slice of it is added to ``p.data`` in place.
"""

from __future__ import annotations

import copy
import math
import numbers
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from ..tensor import Tensor, no_grad
from .optimizer import Optimizer, ParamsT, check_real, checked_grad, closure_loss_value, non_negative_problem

__all__ = ["LBFGS"]

_LINE_SEARCHES = (None, "strong_wolfe")

#: A pair (s, y) enters the memory only if its curvature y's exceeds this (PyTorch's threshold): without a
#: line search nothing guarantees y's > 0, and a pair with y's <= 0 would make H indefinite.
CURVATURE_THRESHOLD = 1e-10

_CLOSURE_EXAMPLE = (
    "def closure(): opt.zero_grad(); loss = loss_fn(model(X), y); loss.backward(); return loss; then call "
    "opt.step(closure)"
)

#: A scalar of the algorithm (t, g'd, rho, gamma): a Python number, or a numpy scalar of the parameters' dtype
#: (as PyTorch keeps 0-d tensors), so that float32 parameters are updated in float32 arithmetic. ``Any``,
#: because numpy's stubs do not type arithmetic that mixes Python floats and numpy scalars.
Scalar: TypeAlias = Any


class LBFGS(Optimizer):
    r"""L-BFGS, with exactly PyTorch's algorithm, defaults and interface (``torch.optim.LBFGS``).

    **The quasi-Newton idea.** Newton's method steps along :math:`-\nabla^2 f(\theta)^{-1} g`; BFGS replaces
    the inverse Hessian by a matrix :math:`H` that agrees with what the last step revealed about curvature,
    the **secant condition**

    .. math:: H_{k+1}\, y_k = s_k, \qquad s_k = \theta_{k+1} - \theta_k, \quad y_k = g_{k+1} - g_k,

    (for a quadratic with Hessian :math:`A`, :math:`y_k = A s_k` exactly). The BFGS update is the closest
    matrix to :math:`H_k` that satisfies it and stays symmetric positive definite (which needs
    :math:`y_k^\top s_k > 0`):

    .. math:: H_{k+1} = (I - \rho_k s_k y_k^\top)\, H_k\, (I - \rho_k y_k s_k^\top) + \rho_k s_k s_k^\top,
              \qquad \rho_k = \frac{1}{y_k^\top s_k}.

    **Limited memory.** L-BFGS applies only the last :math:`m` updates (``history_size``) to the scaled
    identity :math:`H^0 = \gamma I`, :math:`\gamma = \frac{s^\top y}{y^\top y}` of the newest pair, and never
    forms :math:`H`: the **two-loop recursion** computes :math:`r = H q` in :math:`O(mn)`:

    .. math::

        &\text{for } i = k-1, \dots, k-m: \quad \alpha_i = \rho_i\, s_i^\top q, \quad q \leftarrow q - \alpha_i y_i \\
        &r \leftarrow \gamma\, q \\
        &\text{for } i = k-m, \dots, k-1: \quad \beta_i = \rho_i\, y_i^\top r, \quad
         r \leftarrow r + (\alpha_i - \beta_i)\, s_i

    and the direction is :math:`d = H(-g)`. A pair enters the memory only if :math:`y^\top s > 10^{-10}`.

    **One** ``step(closure)`` runs up to ``max_iter`` iterations (each: direction, step length, move), and
    calls the closure once at the start and once per trial point. The step length is :math:`t = \eta`
    (``lr``), except on the very first iteration, where the direction is the unscaled :math:`-g` and
    :math:`t = \min(1, 1/\lVert g \rVert_1)\,\eta`. With ``line_search_fn="strong_wolfe"``, :math:`t` is
    instead searched (by bracketing and cubic interpolation) to satisfy the **strong Wolfe conditions**,
    with :math:`\phi(t) = f(\theta + t d)`:

    .. math:: \phi(t) \le \phi(0) + c_1\, t\, \phi'(0) \quad \text{(sufficient decrease)}, \qquad
              |\phi'(t)| \le c_2\, |\phi'(0)| \quad \text{(curvature)},

    :math:`c_1 = 10^{-4}`, :math:`c_2 = 0.9`; the curvature condition guarantees :math:`y^\top s > 0`.
    The step ends, in this order, after ``max_iter`` iterations, after ``max_eval`` closure calls, when
    :math:`\max_i |g_i| \le` ``tolerance_grad``, when :math:`\max_i |t d_i| \le` ``tolerance_change``, or when
    the loss changed by less than ``tolerance_change``; before moving, it also ends when the direction is not
    a descent direction (:math:`g^\top d > -` ``tolerance_change``).

    **When to use it.** Full-batch, smooth, deterministic problems of moderate size (logistic regression,
    small networks fitted to all the data, physics-style fitting): it converges in far fewer iterations than
    gradient descent on ill-conditioned problems. It is not made for mini-batches: the pairs
    :math:`(s, y)` then mix curvature with noise (PyTorch's warning holds too: it keeps
    ``2 * history_size`` vectors of the size of all parameters).

    Parameters
    ----------
    params : iterable of Tensors (or one parameter-group dict)
        The parameters to optimise. Only one parameter group is supported (as in PyTorch): the memory is one
        set of vectors over all parameters.
    lr : float, default 1
        :math:`\eta`, the step length tried (the quasi-Newton direction is already scaled, so 1 is natural).
    max_iter : int, default 20
        The most iterations per ``step``.
    max_eval : int or None, default None
        The most closure calls per ``step``; ``None`` means ``max_iter * 5 // 4``. So ``max_iter=1`` (one
        iteration per ``step``, to record every point) allows one call, which the start uses up: the line
        search then has no trial left and the step length collapses, as in PyTorch. Pass e.g. ``max_eval=25``
        with it.
    tolerance_grad : float, default 1e-7
        Stop when the largest absolute gradient entry is at most this.
    tolerance_change : float, default 1e-9
        Stop when the step or the change of the loss is smaller than this.
    history_size : int, default 100
        :math:`m`, the number of pairs :math:`(s, y)` kept.
    line_search_fn : None or "strong_wolfe", default None
        ``None``: fixed step lengths as above; ``"strong_wolfe"``: the line search (each trial point costs a
        closure call; at most ``max_eval`` minus the calls made so far).

    State
    -----
    As in PyTorch, the state lives in ``state[first parameter]``: ``"func_evals"`` and ``"n_iter"`` (closure
    calls and iterations over all steps), ``"d"`` (the last direction, flat), ``"t"`` (its step length),
    ``"old_dirs"`` (the :math:`y_i`), ``"old_stps"`` (the :math:`s_i`), ``"ro"`` (the :math:`\rho_i`),
    ``"H_diag"`` (:math:`\gamma`), ``"prev_flat_grad"`` and ``"prev_loss"``. ``state_dict()`` saves it (also
    through ``tg.save``), and a loaded optimiser continues exactly where the saved one stopped.

    Notes
    -----
    ``step`` requires a closure (which zeroes the gradients, computes the loss, calls ``backward()`` and
    returns the loss) and returns the loss of its *first* call, at the parameters before the step.
    ``requires_closure`` is True, so ``tg.train.fit`` builds that closure itself. A closure that does not
    call ``backward()`` leaves every ``.grad`` at ``None``, which counts as a zero gradient: the step then ends
    at once, as in PyTorch. The line search's bracket tolerance is PyTorch's fixed ``1e-9`` (PyTorch does not
    pass ``tolerance_change`` to it), and its trial budget is ``max_eval`` minus the calls made so far (not
    25).

    Examples
    --------
    >>> import numpy as np
    >>> import tinygrad_edu as tg
    >>> w = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    >>> opt = tg.optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2     # Rosenbrock
    ...     loss.backward()
    ...     return loss
    >>> for _ in range(2):
    ...     loss = opt.step(closure)       # each step: up to max_iter=20 iterations
    >>> np.round(w.data, 4)                # the minimum is at (1, 1)
    array([1., 1.])
    """

    #: ``step`` needs a closure: ``tg.train.fit`` reads this and builds one.
    requires_closure = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            _check_positive_int("max_iter", max_iter, 20)  # before it is used to compute max_eval
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        problem = non_negative_problem(check_real("lr", hp["lr"]))
        if problem is not None:
            raise ValueError(
                f"lr {problem}, got lr={hp['lr']!r}; pass e.g. lr=1 (PyTorch's default: the quasi-Newton "
                "direction is already scaled)"
            )
        _check_positive_int("max_iter", hp["max_iter"], 20)
        _check_positive_int("max_eval", hp["max_eval"], 25)
        _check_tolerance("tolerance_grad", hp["tolerance_grad"], 1e-7)
        _check_tolerance("tolerance_change", hp["tolerance_change"], 1e-9)
        _check_positive_int("history_size", hp["history_size"], 100)
        if hp["line_search_fn"] not in _LINE_SEARCHES:
            raise ValueError(
                f"line_search_fn must be None or 'strong_wolfe', got line_search_fn={hp['line_search_fn']!r}; pass "
                "line_search_fn='strong_wolfe' for a line search (strong Wolfe conditions), or None for fixed steps"
            )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add the (only) parameter group: L-BFGS supports one, as in PyTorch.

        Raises
        ------
        ValueError
            If the optimiser already has its group.
        """
        if self.param_groups:
            raise ValueError(
                "LBFGS supports a single parameter group (as PyTorch's does): its memory of steps and gradient "
                "changes is one set of vectors over all parameters, with one set of hyper-parameters. Pass all "
                "the parameters in one list, e.g. LBFGS(model.parameters()) or LBFGS([w, b])"
            )
        super().add_param_group(param_group)

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # ---- the flat view of the parameters -------------------------------------------------------------------

    def _flat_dtype(self) -> np.dtype:
        return np.result_type(*(p.data.dtype for p in self._params))

    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients as one new flat array (a parameter without ``.grad`` contributes zeros)."""
        parts = [
            np.zeros(p.data.size, dtype=p.data.dtype) if p.grad is None else checked_grad(p).reshape(-1)
            for p in self._params
        ]
        return np.concatenate(parts, dtype=self._flat_dtype())  # a copy: the closure may refill .grad in place

    def _add_to_params(self, t: Scalar, d: np.ndarray) -> None:
        r""":math:`\theta \leftarrow \theta + t\, d`, each parameter's slice of ``d`` added to ``p.data`` in place."""
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += (d[offset : offset + n] * t).reshape(p.data.shape)
            offset += n

    def _copy_params(self) -> list[np.ndarray]:
        return [p.data.copy() for p in self._params]

    def _set_params(self, values: list[np.ndarray]) -> None:
        for p, value in zip(self._params, values, strict=True):
            p.data[...] = value  # in place: every reference to the parameter's array sees it

    # ---- the step ------------------------------------------------------------------------------------------

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to ``max_iter`` L-BFGS iterations; return the loss of the closure's first call.

        Parameters
        ----------
        closure : callable
            Re-evaluates the model: zero the gradients, compute the loss, call ``backward()``, return the loss
            (a one-element Tensor or a number). Required. It runs with gradient recording on.
        """
        if closure is None:
            raise ValueError(
                "LBFGS.step() needs a closure that re-evaluates the loss and its gradient (L-BFGS evaluates them "
                f"several times per step), e.g. {_CLOSURE_EXAMPLE}"
            )
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]

        # the state is global; it is kept under the first parameter, as in PyTorch
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = _loss_value(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if _is_stationary(flat_grad, tolerance_grad):
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the direction
            if state["n_iter"] == 1:  # the very first iteration: steepest descent, an empty memory
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                assert d is not None and t is not None and prev_flat_grad is not None  # set by earlier iterations
                assert old_dirs is not None and old_stps is not None and ro is not None and H_diag is not None
                H_diag = _remember_pair(flat_grad - prev_flat_grad, d * t, old_dirs, old_stps, ro, H_diag, history_size)
                d = _two_loop(-flat_grad, old_dirs, old_stps, ro, H_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # ---- the step length
            t = _first_step_length(flat_grad, lr) if state["n_iter"] == 1 else lr
            gtd = np.dot(flat_grad, d)  # the directional derivative phi'(0)
            if gtd > -tolerance_change:  # not (enough of) a descent direction: moving would not help
                break

            # ---- the move
            if line_search_fn == "strong_wolfe":
                budget = max_eval - current_evals
                loss, flat_grad, t, evals = self._strong_wolfe_step(closure, t, d, loss, flat_grad, gtd, budget)
            else:
                loss, flat_grad, evals = self._fixed_step(closure, t, d, loss, flat_grad, n_iter == max_iter)
            current_evals += evals
            state["func_evals"] += evals

            # ---- stop? (PyTorch's tests, in its order)
            if n_iter == max_iter or current_evals >= max_eval:
                break
            if _is_stationary(flat_grad, tolerance_grad):
                break
            if np.abs(d * t).max() <= tolerance_change:  # the step no longer moves the parameters
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss no longer changes
                break

        state.update(
            d=d,
            t=t,
            old_dirs=old_dirs,
            old_stps=old_stps,
            ro=ro,
            H_diag=H_diag,
            prev_flat_grad=prev_flat_grad,
            prev_loss=prev_loss,
        )
        return orig_loss

    def _fixed_step(
        self, closure: Callable[[], Any], t: Scalar, d: np.ndarray, loss: float, flat_grad: np.ndarray, last: bool
    ) -> tuple[float, np.ndarray, int]:
        """Move the parameters by t d; return the loss and gradient there, and the closure calls made (0 or 1).

        After the ``last`` iteration the new point is not evaluated (the next step's first call does it, and in
        a stochastic setting it would be wasted, as PyTorch's comment says): the old loss and gradient are
        returned.
        """
        self._add_to_params(t, d)
        if last:
            return loss, flat_grad, 0
        return _loss_value(self._evaluate(closure)), self._gather_flat_grad(), 1

    def _strong_wolfe_step(
        self,
        closure: Callable[[], Any],
        t: Scalar,
        d: np.ndarray,
        loss: float,
        flat_grad: np.ndarray,
        gtd: Scalar,
        max_ls: int,
    ) -> tuple[float, np.ndarray, Scalar, int]:
        """Search t along d (strong Wolfe), move the parameters by t d; return the loss and gradient there, t and
        the closure calls made."""
        start_params = self._copy_params()

        def phi(trial_t: Scalar) -> tuple[float, np.ndarray]:
            """f and its gradient at theta + trial_t d; the parameters are put back afterwards."""
            self._add_to_params(trial_t, d)
            try:
                return _loss_value(self._evaluate(closure)), self._gather_flat_grad()
            finally:
                self._set_params(start_params)

        best, evals = _strong_wolfe(phi, d, _Trial(0, loss, flat_grad, gtd), t, max_ls=max_ls)
        self._add_to_params(best.t, d)
        return best.f, best.g, best.t, evals

    # ---- saving and resuming -------------------------------------------------------------------------------

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (copies); everything is checked before anything changes.

        L-BFGS's state is flat (vectors over all parameters, kept under the first parameter), so its arrays
        are checked against the total number of elements, not against the first parameter's shape, and cast
        to the parameters' dtype.

        Raises
        ------
        TypeError, ValueError
            As :meth:`Optimizer.load_state_dict`, and if the saved vectors do not have the length of all the
            parameters together, or state is saved under another parameter than the first.
        """
        saved_groups, saved_state = self._check_saved_layout(state_dict)
        restored = self._restore_flat_state(saved_groups[0], saved_state) if saved_state else None
        super().load_state_dict({**state_dict, "state": {}})  # the groups, checked by the base class
        if restored is not None:
            self.state[self._params[0]] = restored

    def _restore_flat_state(self, saved_group: Mapping[str, Any], saved_state: Mapping[Any, Any]) -> dict[str, Any]:
        saved_params = saved_group["params"]
        if len(saved_params) != len(self._params):
            raise ValueError(
                f"parameter group 0 has {len(self._params)} parameter(s) but the state dict's group has "
                f"{len(saved_params)}; build the optimiser over the same parameters as the saved one"
            )
        first = saved_params[0]
        others = sorted(map(str, set(saved_state) - {first}))
        if others:
            raise ValueError(
                f"the state dict has state for parameter index(es) {others}, but LBFGS keeps its state under the "
                f"first parameter only (index {first!r}); load a state dict made by LBFGS.state_dict()"
            )
        values = saved_state[first]
        if not isinstance(values, Mapping):
            raise TypeError(
                f"the state dict's state for parameter {first!r} must be a dict, got {type(values).__name__} "
                f"({reprlib.repr(values)}); pass a dict made by LBFGS.state_dict()"
            )
        n, dtype = sum(p.data.size for p in self._params), self._flat_dtype()
        return {key: _restore_flat_value(value, key, n, dtype) for key, value in values.items()}


# ------------------------------------------------------------------------------------------------------------
# the pieces of the algorithm, on flat arrays
# ------------------------------------------------------------------------------------------------------------


def _is_stationary(flat_grad: np.ndarray, tolerance_grad: float) -> bool:
    r"""First-order optimality: :math:`\max_i |g_i| \le` ``tolerance_grad``."""
    return bool(np.abs(flat_grad).max() <= tolerance_grad)


def _first_step_length(flat_grad: np.ndarray, lr: float) -> Scalar:
    r""":math:`t = \min(1, 1/\lVert g \rVert_1)\,\eta`: the first direction is the raw :math:`-g`, whose length
    says nothing about the distance to the minimum, so the first step moves at most :math:`\eta` in l1 norm."""
    with np.errstate(over="ignore"):  # a |g|_1 so tiny that 1/|g|_1 overflows gives t = lr, as in PyTorch
        return min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr


def _remember_pair(
    y: np.ndarray,
    s: np.ndarray,
    old_dirs: list[np.ndarray],
    old_stps: list[np.ndarray],
    ro: list[Scalar],
    H_diag: Scalar,
    history_size: int,
) -> Scalar:
    r"""Add the pair :math:`(s, y)` to the memory if its curvature :math:`y^\top s` is positive enough; return
    the new :math:`\gamma = \frac{y^\top s}{y^\top y}` (``H_diag``, the old one if the pair was skipped).

    The lists are updated in place; the oldest pair is dropped once ``history_size`` pairs are kept.
    """
    ys = np.dot(y, s)
    if not ys > CURVATURE_THRESHOLD:  # a pair with y's <= 0 would make H indefinite: skip it
        return H_diag
    if len(old_dirs) == history_size:
        del old_dirs[0], old_stps[0], ro[0]
    old_dirs.append(y)
    old_stps.append(s)
    ro.append(1.0 / ys)
    # gamma scales H^0 = gamma I to the curvature along the newest pair (a Rayleigh quotient of the
    # inverse Hessian), so that t = 1 is usually accepted
    return ys / np.dot(y, y)


def _two_loop(
    q: np.ndarray, old_dirs: list[np.ndarray], old_stps: list[np.ndarray], ro: list[Scalar], H_diag: Scalar
) -> np.ndarray:
    r""":math:`H q` by the two-loop recursion (``q`` is overwritten; ``old_dirs`` are the :math:`y_i`,
    ``old_stps`` the :math:`s_i`, oldest first).

    .. math::

        &\alpha_i = \rho_i\, s_i^\top q, \quad q \leftarrow q - \alpha_i y_i \quad (i \text{ newest to oldest}) \\
        &r = \gamma\, q \\
        &\beta_i = \rho_i\, y_i^\top r, \quad r \leftarrow r + (\alpha_i - \beta_i)\, s_i \quad
         (i \text{ oldest to newest})

    which applies the BFGS update of every pair in turn to :math:`H^0 = \gamma I` without forming a matrix.
    """
    alphas: list[Scalar] = [0.0] * len(old_dirs)
    for i in reversed(range(len(old_dirs))):
        alphas[i] = np.dot(old_stps[i], q) * ro[i]
        q -= old_dirs[i] * alphas[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        beta = np.dot(old_dirs[i], r) * ro[i]
        r += old_stps[i] * (alphas[i] - beta)
    return r


# ------------------------------------------------------------------------------------------------------------
# the strong-Wolfe line search (PyTorch's port of minFunc's lswolfe)
# ------------------------------------------------------------------------------------------------------------


class _Trial(NamedTuple):
    """A point of the line search: the step length t, phi(t) = f(theta + t d), the gradient there, phi'(t)."""

    t: Scalar
    f: float
    g: np.ndarray
    gtd: Scalar


def _strong_wolfe(
    phi: Callable[[Scalar], tuple[float, np.ndarray]],
    d: np.ndarray,
    start: _Trial,
    t: Scalar,
    *,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[_Trial, int]:
    r"""A step length along ``d`` that satisfies the strong Wolfe conditions, and the closure calls it took.

    .. math:: \phi(t) \le \phi(0) + c_1 t\, \phi'(0), \qquad |\phi'(t)| \le -c_2\, \phi'(0)

    (``start`` is the point :math:`t = 0`, with :math:`\phi'(0) < 0`). First a **bracketing** phase
    extrapolates from ``t`` until an interval is known to contain such a point (or one is found), then a
    **zoom** phase shrinks that interval by cubic interpolation. At most ``1 + max_ls`` evaluations; if they
    run out, the best point found is returned (it may be ``t = 0``: no move).
    """
    evals = 0

    def trial(trial_t: Scalar) -> _Trial:
        nonlocal evals
        f, g = phi(trial_t)
        evals += 1
        return _Trial(trial_t, f, g, np.dot(g, d))

    bracket, ls_iter = _bracket(trial, start, t, c1, c2, max_ls)
    if len(bracket) == 1:  # the first phase found a point satisfying both conditions
        return bracket[0], evals
    best = _zoom(trial, start, bracket, ls_iter, float(np.abs(d).max()), c1, c2, tolerance_change, max_ls)
    return best, evals


def _too_high(new: _Trial, start: _Trial, c1: float) -> bool:
    """The sufficient-decrease (Armijo) condition fails. Written as PyTorch's test, ``f > ...``, so that a NaN
    loss does *not* count as too high, as there."""
    return bool(new.f > start.f + c1 * new.t * start.gtd)


def _curvature_condition(new: _Trial, start: _Trial, c2: float) -> bool:
    return bool(abs(new.gtd) <= -c2 * start.gtd)


def _bracket(
    trial: Callable[[Scalar], _Trial], start: _Trial, t: Scalar, c1: float, c2: float, max_ls: int
) -> tuple[list[_Trial], int]:
    """The bracketing phase: ``[point]`` if a point satisfies both Wolfe conditions, else an interval
    ``[a, b]`` that contains one; and the number of extrapolations made."""
    prev, new = start, trial(t)
    ls_iter = 0
    while ls_iter < max_ls:
        # too far (the loss went up, or above the previous trial): a Wolfe point lies between prev and new
        if _too_high(new, start, c1) or (ls_iter > 1 and new.f >= prev.f):
            return [prev, new], ls_iter
        if _curvature_condition(new, start, c2):
            return [new], ls_iter
        if new.gtd >= 0:  # the slope turned positive: a minimum of phi lies between prev and new
            return [prev, new], ls_iter
        # still descending steeply: extrapolate to the minimiser of the cubic through prev and new,
        # kept in [t + 0.01 (t - t_prev), 10 t]
        bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10)
        prev, new = new, trial(_cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, bounds))
        ls_iter += 1
    return [start, new], ls_iter  # out of evaluations: [0, t], from which the lower point is returned


def _zoom(
    trial: Callable[[Scalar], _Trial],
    start: _Trial,
    bracket: list[_Trial],
    ls_iter: int,
    d_norm: float,
    c1: float,
    c2: float,
    tolerance_change: float,
    max_ls: int,
) -> _Trial:
    """The zoom phase: shrink ``bracket`` (it contains a strong-Wolfe point) by cubic interpolation until a point
    satisfies both conditions, the interval is shorter than ``tolerance_change`` (in parameter space), or the
    evaluations run out; return the point with the lowest loss."""
    low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
    insufficient_progress = False
    while ls_iter < max_ls:
        if abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change:
            break
        a, b = bracket
        t = _cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        t, insufficient_progress = _away_from_the_ends(t, a.t, b.t, insufficient_progress)
        new = trial(t)
        ls_iter += 1
        if _too_high(new, start, c1) or new.f >= bracket[low].f:
            bracket[high] = new  # too high: it becomes the far end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if _curvature_condition(new, start, c2):
            bracket[low] = new
            break
        if new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the slope points away from the old high end: keep the side with the minimum
        bracket[low] = new
    return bracket[low]


def _away_from_the_ends(t: Scalar, a: Scalar, b: Scalar, insufficient_progress: bool) -> tuple[Scalar, bool]:
    """Keep the new trial ``t`` 10% of the interval away from its ends when the interpolation lands (twice in
    a row, or outside) next to one: otherwise the interval could shrink by tiny amounts forever."""
    lo, hi = min(a, b), max(a, b)
    eps = 0.1 * (hi - lo)
    if min(hi - t, t - lo) >= eps:
        return t, False
    if not (insufficient_progress or t >= hi or t <= lo):
        return t, True
    return (hi - eps if abs(t - hi) < abs(t - lo) else lo + eps), False


def _cubic_interpolate(
    x1: Scalar,
    f1: float,
    g1: Scalar,
    x2: Scalar,
    f2: float,
    g2: Scalar,
    bounds: tuple[Scalar, Scalar] | None = None,
) -> Scalar:
    r"""The minimiser of the cubic with values ``f1, f2`` and slopes ``g1, g2`` at ``x1, x2``, clipped to
    ``bounds`` (default: between ``x1`` and ``x2``); their midpoint if the cubic has no minimum.

    .. math:: d_1 = g_1 + g_2 - 3\,\frac{f_1 - f_2}{x_1 - x_2}, \quad d_2 = \sqrt{d_1^2 - g_1 g_2}, \quad
              x^* = x_2 - (x_2 - x_1)\,\frac{g_2 + d_2 - d_1}{g_2 - g_1 + 2 d_2} \quad (x_1 \le x_2).
    """
    if bounds is None:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    else:
        lo, hi = bounds
    with np.errstate(all="ignore"):  # infinite or NaN trial losses propagate (and lose the comparisons) silently
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1**2 - g1 * g2
        if not d2_square >= 0:
            return (lo + hi) / 2.0
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            x_min = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            x_min = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x_min, lo), hi)


# ------------------------------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------------------------------


def _loss_value(loss: Any) -> float:
    return closure_loss_value(loss, _CLOSURE_EXAMPLE)


def _check_positive_int(name: str, value: Any, example: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {name}={value!r}; pass e.g. {name}={example}")


def _check_tolerance(name: str, value: Any, example: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} ({type(value).__name__}); pass e.g. {name}={example!r}"
        )
    if not 0.0 <= float(value) < math.inf:  # NaN fails too
        raise ValueError(
            f"{name} must be a finite number >= 0, got {name}={value!r}; pass e.g. {name}={example!r} (PyTorch's "
            "default)"
        )


def _restore_flat_value(value: Any, key: str, n: int, dtype: np.dtype) -> Any:
    """A saved state value as a fresh copy: flat arrays (alone or in lists) of length ``n`` and numpy scalars
    cast to ``dtype``, anything else (counts, Python floats) copied."""
    if isinstance(value, list | tuple):
        return [_restore_flat_value(v, key, n, dtype) for v in value]
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.shape != (n,):
            raise ValueError(
                f"state {key!r} has shape {value.shape} but LBFGS's vectors have one entry per element of all the "
                f"parameters, shape ({n},); load a state dict saved by an LBFGS over the same parameters"
            )
        return np.array(value, dtype=dtype, copy=True)
    if isinstance(value, np.ndarray | np.floating):  # 0-d: rho, gamma, t
        return dtype.type(value)
    return copy.deepcopy(value)
