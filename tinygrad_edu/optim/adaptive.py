r"""Adaptive optimisers: ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad`` (PyTorch's equations and defaults).

They scale each coordinate's step by a running estimate of the size of its gradient, so a coordinate with
large gradients takes smaller steps and one with small gradients larger steps: a diagonal, data-driven
preconditioner. In all of them the square, square root and division are elementwise, and
:math:`g_t = \nabla_\theta \ell(\theta_{t-1})` is the gradient at step :math:`t = 1, 2, \dots`.

Implementation note: the updates work in place on the state buffers and on two reusable work arrays (see
``Optimizer._scratch``), so a step costs about as much as the same update written by hand in numpy.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._validation import check_flag
from ..tensor import Tensor, no_grad
from .optimizer import (
    Optimizer,
    ParamsT,
    check_non_negative,
    check_unit_interval,
    checked_grad,
    decayed_grad,
)

__all__ = ["Adam", "AdamW", "RMSprop", "Adagrad"]


_BETAS_FIX = "pass e.g. betas=(0.9, 0.999)"


def _check_betas(betas: Any) -> None:
    if not isinstance(betas, Sequence) or isinstance(betas, str) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got betas={betas!r}; {_BETAS_FIX}")
    for i, beta in enumerate(betas):
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
            raise TypeError(f"betas[{i}] must be a real number, got betas={tuple(betas)!r}; {_BETAS_FIX}")
        if beta < 0.0 or not beta < 1.0:  # not in [0, 1), NaN included; numbers.Real promises only < and <=
            raise ValueError(f"betas[{i}] must be in [0, 1), got betas={tuple(betas)!r}; {_BETAS_FIX}")


class _Adaptive(Optimizer):
    """Shared loop: evaluate the closure, then ``_update`` each parameter that has a gradient."""

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step for every parameter with a ``.grad``; returns the closure's loss, if given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            hp = self._group_hyperparameters(group)
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, checked_grad(p), self.state[p], *hp)
        return loss

    def _group_hyperparameters(self, group: dict[str, Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def _update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], *hp: Any) -> None:
        raise NotImplementedError


class Adam(_Adaptive):
    r"""Adam (Kingma & Ba, 2015), with PyTorch's update and defaults.

    .. math::

        g_t &\leftarrow -g_t \ \text{if maximize}; \qquad g_t \leftarrow g_t + \lambda\,\theta_{t-1}
            \ \text{(L2 weight decay, if } \lambda > 0\text{)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2
            \qquad (m_0 = v_0 = 0) \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \ \text{if amsgrad, else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\;
            \frac{m_t}{\sqrt{\hat v_t}\,/\sqrt{1 - \beta_2^t} + \epsilon}

    :math:`m_t` and :math:`v_t` estimate the mean and the uncentred variance of the gradient; dividing by
    :math:`1 - \beta^t` corrects their bias towards the zero start. Far from a minimum every coordinate
    moves by about :math:`\eta` per step, whatever the gradient's scale. Note where :math:`\epsilon` goes
    (after the bias correction of :math:`\sqrt{v_t}`), as in PyTorch.

    Parameters
    ----------
    params : iterable of Tensors or of parameter-group dicts
    lr : float, default 1e-3
        :math:`\eta`.
    betas : (float, float), default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, keeps the division finite.
    weight_decay : float, default 0
        :math:`\lambda`, an L2 penalty added to the gradient (see :class:`AdamW` for the decoupled form).
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t` (Reddi et al., 2018), so the effective step never grows.
    maximize : bool, default False
        Ascend instead of descend.

    State
    -----
    ``state[p]``: ``"step"`` (t), ``"exp_avg"`` (:math:`m_t`), ``"exp_avg_sq"`` (:math:`v_t`) and, with
    amsgrad, ``"max_exp_avg_sq"`` (:math:`\hat v_t`).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> w = tg.Tensor([1.0, -1.0], requires_grad=True)
    >>> opt = tg.optim.Adam([w], lr=0.1)
    >>> (100 * w * w).sum().backward()   # huge gradient [200, -200] ...
    >>> _ = opt.step()
    >>> w                                # ... yet each coordinate moves by lr = 0.1
    Tensor([ 0.9, -0.9], requires_grad=True)
    """

    _decoupled = False

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hp: Any) -> None:
        check_non_negative("lr", hp["lr"])
        _check_betas(hp["betas"])
        check_non_negative("eps", hp["eps"])
        check_non_negative("weight_decay", hp["weight_decay"])
        check_flag(hp["amsgrad"], "amsgrad")
        check_flag(hp["maximize"], "maximize")

    def _group_hyperparameters(self, group: dict[str, Any]) -> tuple[Any, ...]:
        beta1, beta2 = (float(b) for b in group["betas"])
        return (
            float(group["lr"]),
            beta1,
            beta2,
            float(group["eps"]),
            float(group["weight_decay"]),
            bool(group["amsgrad"]),
            bool(group["maximize"]),
        )

    def _update(
        self,
        p: Tensor,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float,
        amsgrad: bool,
        maximize: bool,
    ) -> None:
        theta = p.data
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(theta), exp_avg_sq=np.zeros_like(theta))
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(theta)
        state["step"] += 1
        t = state["step"]
        if self._decoupled:
            g = decayed_grad(g, theta, 0.0, maximize, out=self._scratch(theta, 0))
            if weight_decay != 0.0:
                theta *= 1.0 - lr * weight_decay
        else:
            g = decayed_grad(g, theta, weight_decay, maximize, out=self._scratch(theta, 0))
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = np.multiply(g, 1.0 - beta1, out=self._scratch(theta, 1))
        m *= beta1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v *= beta2
        v += tmp
        if amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        # tmp <- sqrt(v_hat) / sqrt(1 - beta2^t) + eps, then the step (lr / (1 - beta1^t)) m / tmp
        np.sqrt(v, out=tmp)
        tmp /= (1.0 - beta2**t) ** 0.5
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - beta1**t)
        theta -= tmp


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), PyTorch's ``AdamW``.

    The weight decay shrinks the parameters directly instead of entering the gradient, so it is not rescaled
    by the adaptive denominator (with Adam's L2 form, coordinates with large gradients are barely decayed):

    .. math::

        \theta_{t-1} &\leftarrow (1 - \eta\lambda)\, \theta_{t-1} \\
        &\text{then Adam's update (see } \texttt{Adam}\text{) with } g_t \text{ unchanged by } \lambda.

    Same parameters and state as :class:`Adam`; ``weight_decay`` defaults to ``1e-2`` as in PyTorch.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> w = tg.Tensor([2.0], requires_grad=True)
    >>> opt = tg.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = np.zeros(1, dtype=np.float32)  # no gradient: only the decay acts, w <- (1 - 0.05) w
    >>> _ = opt.step()
    >>> w
    Tensor([1.9], requires_grad=True)
    """

    _decoupled = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(_Adaptive):
    r"""RMSprop (Hinton, 2012), with PyTorch's update and defaults.

    .. math::

        g_t &\leftarrow -g_t \ \text{if maximize}; \qquad g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2 \qquad (v_0 = 0) \\
        \bar g_t &= \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t, \quad
            d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \quad \text{if centered, else} \quad
            d_t = \sqrt{v_t} + \epsilon \\
        b_t &= \mu\, b_{t-1} + g_t / d_t \quad (b_0 = 0), \quad \theta_t = \theta_{t-1} - \eta\, b_t
            \quad \text{if } \mu > 0, \ \text{else} \quad \theta_t = \theta_{t-1} - \eta\, g_t / d_t

    ``centered`` divides by an estimate of the gradient's standard deviation instead of its root mean square.
    Unlike Adam there is no bias correction, so the first steps are large (:math:`v_1 = (1-\alpha) g_1^2`).

    Parameters
    ----------
    params : iterable of Tensors or of parameter-group dicts
    lr : float, default 1e-2
        :math:`\eta`.
    alpha : float, default 0.99
        :math:`\alpha \in [0, 1)`, the smoothing constant.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`.
    weight_decay : float, default 0
        :math:`\lambda`, an L2 penalty added to the gradient.
    momentum : float, default 0
        :math:`\mu \in [0, 1)`.
    centered : bool, default False
    maximize : bool, default False

    State
    -----
    ``state[p]``: ``"step"``, ``"square_avg"`` (:math:`v_t`), ``"momentum_buffer"`` (:math:`b_t`, with momentum)
    and ``"grad_avg"`` (:math:`\bar g_t`, when centered).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hp: Any) -> None:
        check_non_negative("lr", hp["lr"])
        check_unit_interval("alpha", hp["alpha"])
        check_non_negative("eps", hp["eps"])
        check_non_negative("weight_decay", hp["weight_decay"])
        check_unit_interval("momentum", hp["momentum"])
        check_flag(hp["centered"], "centered")
        check_flag(hp["maximize"], "maximize")

    def _group_hyperparameters(self, group: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("lr", "alpha", "eps", "weight_decay", "momentum")
        return (*(float(group[k]) for k in keys), bool(group["centered"]), bool(group["maximize"]))

    def _update(
        self,
        p: Tensor,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        alpha: float,
        eps: float,
        weight_decay: float,
        momentum: float,
        centered: bool,
        maximize: bool,
    ) -> None:
        theta = p.data
        if not state:
            state.update(step=0, square_avg=np.zeros_like(theta))
        state["step"] += 1
        g = decayed_grad(g, theta, weight_decay, maximize, out=self._scratch(theta, 0))
        v = state["square_avg"]
        tmp = np.multiply(g, g, out=self._scratch(theta, 1))
        tmp *= 1.0 - alpha
        v *= alpha
        v += tmp
        if centered:
            g_avg = state.get("grad_avg")
            if g_avg is None:
                g_avg = state["grad_avg"] = np.zeros_like(theta)
            g_avg *= alpha
            g_avg += np.multiply(g, 1.0 - alpha, out=tmp)
            np.multiply(g_avg, g_avg, out=tmp)
            np.subtract(v, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)  # g_t / d_t
        if momentum > 0.0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.zeros_like(theta)
            buf *= momentum
            buf += tmp
            np.multiply(buf, lr, out=tmp)
        else:
            tmp *= lr
        theta -= tmp


class Adagrad(_Adaptive):
    r"""Adagrad (Duchi et al., 2011), with PyTorch's update and defaults.

    .. math::

        g_t &\leftarrow -g_t \ \text{if maximize}; \qquad g_t \leftarrow g_t + \lambda\,\theta_{t-1} \\
        \tilde\eta_t &= \frac{\eta}{1 + (t - 1)\,\delta} \qquad \text{(lr decay } \delta\text{)} \\
        s_t &= s_{t-1} + g_t^2 \qquad (s_0 = \text{initial\_accumulator\_value}) \\
        \theta_t &= \theta_{t-1} - \tilde\eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}

    The accumulated sum only grows, so each coordinate's step shrinks like :math:`1/\sqrt t` for gradients of
    steady size: good for sparse features, too aggressive for long non-convex training (RMSprop and Adam
    replace the sum by a moving average).

    Parameters
    ----------
    params : iterable of Tensors or of parameter-group dicts
    lr : float, default 1e-2
        :math:`\eta`.
    lr_decay : float, default 0
        :math:`\delta \ge 0`.
    weight_decay : float, default 0
        :math:`\lambda`, an L2 penalty added to the gradient.
    initial_accumulator_value : float, default 0
        :math:`s_0 \ge 0`.
    eps : float, default 1e-10
        :math:`\epsilon \ge 0`.
    maximize : bool, default False

    State
    -----
    ``state[p]``: ``"step"`` (t) and ``"sum"`` (:math:`s_t`).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hp: Any) -> None:
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_non_negative(key, hp[key])
        check_flag(hp["maximize"], "maximize")

    def _group_hyperparameters(self, group: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
        return (*(float(group[k]) for k in keys), bool(group["maximize"]))

    def _update(
        self,
        p: Tensor,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        lr_decay: float,
        weight_decay: float,
        initial_accumulator_value: float,
        eps: float,
        maximize: bool,
    ) -> None:
        theta = p.data
        if not state:
            state.update(step=0, sum=np.full_like(theta, initial_accumulator_value))
        state["step"] += 1
        g = decayed_grad(g, theta, weight_decay, maximize, out=self._scratch(theta, 0))
        clr = lr / (1.0 + (state["step"] - 1) * lr_decay)
        s = state["sum"]
        tmp = np.multiply(g, g, out=self._scratch(theta, 1))
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        theta -= tmp
