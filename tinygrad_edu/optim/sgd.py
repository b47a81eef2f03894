r"""``SGD``: stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import check_flag
from ..tensor import no_grad
from .optimizer import (
    Optimizer,
    ParamsT,
    check_non_negative,
    check_unit_interval,
    checked_grad,
    decayed_grad,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, with exactly PyTorch's update.

    At step :math:`t` with gradient :math:`g_t = \nabla_\theta \ell(\theta_{t-1})` (computed on whatever
    batch you backpropagated: one sample, a mini-batch, or all the data):

    .. math::

        g_t &\leftarrow -g_t \quad \text{if maximize} \\
        g_t &\leftarrow g_t + \lambda\, \theta_{t-1} \quad \text{(weight decay } \lambda\text{, an L2 penalty)} \\
        b_t &= \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases}
            \quad \text{(momentum } \mu > 0\text{, dampening } \tau\text{)} \\
        g_t &\leftarrow \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise} \end{cases} \\
        \theta_t &= \theta_{t-1} - \eta\, g_t

    Without momentum this is plain gradient descent on the batch gradient. With it, :math:`b_t` is a
    (non-normalised) exponential moving average of past gradients, the *heavy ball*: directions where the
    gradient keeps its sign build up speed, directions where it oscillates cancel out, which is what helps
    on ill-conditioned problems. Note the first buffer is the gradient itself (no dampening on step 1).

    Parameters
    ----------
    params : iterable of Tensors or of parameter-group dicts
        The parameters to optimise.
    lr : float
        The learning rate :math:`\eta \ge 0`.
    momentum : float, default 0
        :math:`\mu \in [0, 1)`.
    dampening : float, default 0
        :math:`\tau \in [0, 1]`, scales down the new gradient in the buffer.
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening = 0``): look ahead along the buffer.
    weight_decay : float, default 0
        :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda\theta` before momentum.
    maximize : bool, default False
        Ascend instead of descend.

    Notes
    -----
    ``nesterov``, ``weight_decay`` and ``maximize`` are keyword-only: PyTorch's positional order differs
    (``SGD(params, lr, momentum, dampening, weight_decay, nesterov)``), so a positional call could
    otherwise mean different things in the two libraries.

    State
    -----
    ``state[p]["momentum_buffer"]``: :math:`b_t` (only with ``momentum > 0``).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = tg.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     w.sum().backward()           # the gradient is [1, 1] at every step
    ...     opt.step()
    >>> opt.state[w]["momentum_buffer"]  # b1 = g = 1, b2 = 0.9 * 1 + 1
    array([1.9, 1.9], dtype=float32)
    >>> w                                # w0 - 0.1 * (1 + 1.9)
    Tensor([ 0.71, -2.29], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        *,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hp: Any) -> None:
        check_non_negative("lr", hp["lr"])
        check_unit_interval("momentum", hp["momentum"])
        check_unit_interval("dampening", hp["dampening"], closed=True)
        check_non_negative("weight_decay", hp["weight_decay"])
        check_flag(hp["nesterov"], "nesterov")
        check_flag(hp["maximize"], "maximize")
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={hp['momentum']!r}, dampening={hp['dampening']!r}; set momentum=0.9 and dampening=0, "
                "or nesterov=False"
            )

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD step for every parameter with a ``.grad``; returns the closure's loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            nesterov, maximize = bool(group["nesterov"]), bool(group["maximize"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                theta = p.data
                g = checked_grad(p)
                if weight_decay != 0.0 or maximize:  # (a work array only where it is needed)
                    g = decayed_grad(g, theta, weight_decay, maximize, out=self._scratch(theta, 0))
                if momentum != 0.0:
                    g = self._momentum(self.state[p], g, self._scratch(theta, 1), momentum, dampening, nesterov)
                self._subtract_scaled(theta, g, lr)
        return loss

    @staticmethod
    def _momentum(
        state: dict[str, Any], g: np.ndarray, tmp: np.ndarray, momentum: float, dampening: float, nesterov: bool
    ) -> np.ndarray:
        """Update the buffer b and return the step direction (b, or g + m b with Nesterov, in ``tmp``)."""
        buf = state.get("momentum_buffer")
        if buf is None:
            # a copy: g may be the caller's .grad, which must not change when the buffer does
            buf = state["momentum_buffer"] = np.array(g, copy=True)
        else:
            buf *= momentum
            if dampening == 0.0:
                buf += g
            else:
                buf += np.multiply(g, 1.0 - dampening, out=tmp)
        if not nesterov:
            return buf
        np.multiply(buf, momentum, out=tmp)
        tmp += g
        return tmp
