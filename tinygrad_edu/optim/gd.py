r"""``GD``: plain gradient descent, optionally with an Armijo backtracking line search."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import no_grad
from .optimizer import Optimizer, ParamsT, check_non_negative, check_real, checked_grad, closure_loss_value

__all__ = ["GD"]

_LINE_SEARCHES = (None, "armijo")
_CLOSURE_EXAMPLE = "def closure(): opt.zero_grad(); loss = f(); loss.backward(); return loss"


class GD(Optimizer):
    r"""Gradient descent: :math:`\theta_{k+1} = \theta_k - \eta\, \nabla f(\theta_k)`.

    **GD vs SGD.** The formula is the same as :class:`~tinygrad_edu.optim.SGD` without momentum; what
    differs is the *data* the gradient is computed on. Gradient descent is meant for the full-batch
    gradient :math:`\nabla f(\theta) = \frac1n \sum_{i=1}^n \nabla \ell_i(\theta)`, which is exact, so the
    loss decreases at every step for a small enough :math:`\eta` and a line search makes sense. Stochastic
    gradient descent uses a mini-batch (or one sample): an unbiased but noisy estimate, so the loss
    fluctuates and convergence needs a decaying learning rate (see ``InverseTimeLR``). ``GD`` does not check
    which data you used; the name documents the intent.

    Parameters
    ----------
    params : iterable of Tensors or of parameter-group dicts
        The parameters to optimise.
    lr : float
        The step size :math:`\eta` (with a line search: the first step tried at every iteration).
    line_search : None or "armijo", default None
        ``"armijo"``: backtracking line search. ``step`` then needs a closure that recomputes the loss and
        its gradient. Starting from :math:`t = \eta`, the step is shrunk, :math:`t \leftarrow \beta t`,
        until the Armijo (sufficient decrease) condition holds:

        .. math:: f(\theta - t\, g) \le f(\theta) - c\, t\, \lVert g \rVert^2, \qquad g = \nabla f(\theta).

        With several groups, each group's trial step is its own ``lr`` times a shared factor :math:`s`, and
        the condition uses :math:`\sum_{\text{groups}} s\,\eta_j \lVert g_j \rVert^2`.
    c : float, default 1e-4
        The sufficient-decrease constant, in (0, 1).
    shrink : float, default 0.5
        The backtracking factor :math:`\beta`, in (0, 1).
    max_backtracks : int, default 50
        Give up after this many shrinks: the parameters are left unchanged and a ``RuntimeWarning`` is
        issued (usually a wrong gradient, or a loss that differs between calls).

    State
    -----
    With a line search, ``state[p]["step_size"]`` is the accepted step :math:`t` of the last ``step`` and
    ``state[p]["backtracks"]`` the number of shrinks it took (each costs one closure call).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([3.0], requires_grad=True)
    >>> opt = tg.optim.GD([x], lr=0.25)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (x * x).sum().backward()     # f(x) = x^2, f'(x) = 2x
    ...     opt.step()                   # x <- x - 0.25 * 2x = x / 2
    >>> x
    Tensor([0.75], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float,
        line_search: str | None = None,
        *,
        c: float = 1e-4,
        shrink: float = 0.5,
        max_backtracks: int = 50,
    ) -> None:
        if line_search not in _LINE_SEARCHES:
            raise ValueError(
                f"line_search must be None or 'armijo', got line_search={line_search!r}; pass line_search='armijo' "
                "for backtracking, or None for fixed steps"
            )
        if not 0.0 < check_real("c", c) < 1.0:
            raise ValueError(
                f"c (the Armijo sufficient-decrease constant) must be in (0, 1), got c={c!r}; pass e.g. c=1e-4"
            )
        if not 0.0 < check_real("shrink", shrink) < 1.0:
            raise ValueError(
                f"shrink (the backtracking factor) must be in (0, 1), got shrink={shrink!r}; pass e.g. shrink=0.5"
            )
        if isinstance(max_backtracks, bool) or not isinstance(max_backtracks, int) or max_backtracks < 1:
            raise ValueError(
                f"max_backtracks must be a positive int, got max_backtracks={max_backtracks!r}; pass e.g. "
                "max_backtracks=50"
            )
        self.line_search = line_search
        self.c = float(c)
        self.shrink = float(shrink)
        self.max_backtracks = max_backtracks
        super().__init__(params, {"lr": lr})

    def _check_hyperparameters(self, hp: Any) -> None:
        check_non_negative("lr", hp["lr"])

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One gradient-descent step; with ``line_search="armijo"`` the closure is required.

        Returns the closure's loss at the parameters before the step (``None`` without a closure).
        """
        if self.line_search == "armijo":
            if closure is None:
                raise ValueError(
                    "GD(line_search='armijo').step() needs a closure that re-evaluates the loss, e.g. "
                    + _CLOSURE_EXAMPLE
                )
            return self._armijo_step(closure)
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            for p in group["params"]:
                if p.grad is not None:
                    self._subtract_scaled(p.data, checked_grad(p), lr)
        return loss

    def _armijo_step(self, closure: Callable[[], Any]) -> Any:
        loss = self._evaluate(closure)
        f0 = _loss_value(loss)
        # the start point and its gradient: the closure overwrites .grad at every trial point
        start = [
            (p, float(group["lr"]), p.data.copy(), checked_grad(p).copy())
            for group in self.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        # minus the directional derivative along the step direction d = -(lr_j g_j) at s = 1
        decrease = sum(lr * float(np.vdot(g, g)) for _, lr, _, g in start)
        s, backtracks = 1.0, 0
        while True:
            for p, lr, theta0, g in start:
                np.subtract(theta0, (s * lr) * g, out=p.data)
            f_trial = _loss_value(self._evaluate(closure))
            if f_trial <= f0 - self.c * s * decrease:  # False for NaN, so a NaN trial backtracks
                break
            if backtracks == self.max_backtracks:
                self._give_up(start, f0, s, f_trial)
                s = 0.0
                break
            s *= self.shrink
            backtracks += 1
        for p, lr, _, _ in start:
            self.state[p]["step_size"] = s * lr
            self.state[p]["backtracks"] = backtracks
        return loss

    def _give_up(self, start: list[tuple[Any, ...]], f0: float, s: float, f_trial: float) -> None:
        warnings.warn(
            f"Armijo line search found no step with sufficient decrease after {self.max_backtracks} "
            f"backtracks from f={f0!r} (last trial step {s:.3g} x lr, f={f_trial!r}); the parameters are left "
            "unchanged. Check the gradient, and that the closure's loss is deterministic.",
            RuntimeWarning,
            stacklevel=5,  # _give_up, _armijo_step, step, the no_grad wrapper, the caller
        )
        for p, _, theta0, _ in start:
            p.data[...] = theta0


def _loss_value(loss: Any) -> float:
    return closure_loss_value(loss, _CLOSURE_EXAMPLE)
