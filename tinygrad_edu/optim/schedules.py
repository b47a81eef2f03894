r"""Learning-rate schedules: ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``InverseTimeLR``,
``CosineAnnealingLR``, ``LambdaLR``.

A schedule sets every parameter group's ``"lr"`` to a function of the number of times ``step()`` was
called, :math:`\eta_t = f(\eta_0, t)`, where :math:`\eta_0` is the group's learning rate when the
schedule was created (``base_lrs``). Call ``scheduler.step()`` after ``optimizer.step()``, once per epoch or
once per iteration, whichever unit you chose for the schedule's constants::

    for epoch in range(epochs):
        for X, y in loader:
            ...; optimizer.step()
        scheduler.step()

The values are PyTorch's, computed in closed form from :math:`t` (PyTorch updates most of them recursively
from the current lr; the numbers agree to rounding). Consequently a schedule here owns the learning rate:
changing ``group["lr"]`` by hand lasts until the next ``scheduler.step()``, and two schedules on one
optimiser do not compose (use one ``LambdaLR`` with the product instead).
"""

from __future__ import annotations

import bisect
import copy
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .optimizer import Optimizer, check_non_negative, check_real

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "LambdaLR",
]


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {name}={value!r}")
    return value


def _check_positive(name: str, value: Any) -> float:
    if not check_real(name, value) > 0.0:
        raise ValueError(f"{name} must be > 0, got {name}={value!r}")
    return float(value)


class LRScheduler:
    r"""Base class: sets ``group["lr"] = lr_at(t)`` for every group; ``t`` counts the ``step()`` calls.

    Creating a schedule applies :math:`t = 0` (for all but ``LambdaLR`` that leaves the lr as it is).

    Attributes
    ----------
    optimizer : Optimizer
        The optimiser whose learning rates are set.
    base_lrs : list of float
        Each group's learning rate when the schedule was created, :math:`\eta_0`.
    last_epoch : int
        :math:`t`, the number of ``step()`` calls so far (PyTorch's name; it counts epochs or iterations,
        whichever you step per).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule needs a tinygrad_edu Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs: list[float] = [float(group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr: list[float] = []
        self._apply()

    def lr_at(self, t: int) -> list[float]:
        """The learning rate of each group after ``t`` calls of ``step()`` (handy for plotting the schedule)."""
        return [self._lr(base_lr, i, t) for i, base_lr in enumerate(self.base_lrs)]

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        """The schedule's formula: the lr of group ``group_index`` at step ``t``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _lr(base_lr, group_index, t)")

    def step(self) -> None:
        """Advance the schedule by one and set the groups' learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rates (one per group) the last ``step()`` (or the constructor) set."""
        return list(self._last_lr)

    def _apply(self) -> None:
        lrs = self.lr_at(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = lrs

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position (everything but the optimiser)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` and set the groups' learning rates for the restored step."""
        unknown = set(state_dict) - set(self.__dict__)
        if unknown:
            raise ValueError(f"unexpected keys {sorted(unknown)} in the state dict of a {type(self).__name__}")
        self.__dict__.update(copy.deepcopy(state_dict))
        self._apply()

    _not_saved: tuple[str, ...] = ("optimizer",)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.state_dict().items() if not k.startswith("_"))
        return f"{type(self).__name__}({settings})"


class StepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every ``step_size`` steps:
    :math:`\eta_t = \eta_0\, \gamma^{\lfloor t / \mathrm{step\_size} \rfloor}`.

    >>> import tinygrad_edu as tg
    >>> opt = tg.optim.SGD([tg.Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> [sched.lr_at(t)[0] for t in range(6)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_positive_int("step_size", step_size)
        self.gamma = _check_positive("gamma", gamma)
        super().__init__(optimizer)

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at each milestone: :math:`\eta_t = \eta_0\, \gamma^{\#\{m_i \le t\}}`.

    A milestone listed twice multiplies twice, as in PyTorch.

    >>> import tinygrad_edu as tg
    >>> opt = tg.optim.SGD([tg.Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
    >>> [round(sched.lr_at(t)[0], 6) for t in range(5)]
    [1.0, 0.1, 0.1, 0.01, 0.01]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1) -> None:
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, int) or m < 0:
                raise ValueError(f"milestones must be non-negative ints, got milestones={milestones!r}")
        self.milestones = sorted(milestones)
        self.gamma = _check_positive("gamma", gamma)
        super().__init__(optimizer)

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at every step: :math:`\eta_t = \eta_0\, \gamma^t`.

    >>> import tinygrad_edu as tg
    >>> opt = tg.optim.SGD([tg.Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr(), opt.param_groups[0]["lr"]
    ([0.25], 0.25)
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _check_positive("gamma", gamma)
        super().__init__(optimizer)

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self.gamma**t


class InverseTimeLR(LRScheduler):
    r"""Inverse-time decay, :math:`\eta_t = \eta_0 / (1 + \text{decay}\cdot t)^{p}` (``p = power``, default 1).

    With :math:`1/2 < p \le 1` the steps satisfy the Robbins-Monro conditions

    .. math:: \sum_{t} \eta_t = \infty, \qquad \sum_t \eta_t^2 < \infty,

    under which SGD with unbiased, bounded-variance gradients converges to the minimiser of a strongly
    convex objective: the steps are large enough in total to get anywhere, and the injected noise
    (variance :math:`\propto \sum \eta_t^2`) stays finite. With a constant lr, SGD only reaches a noise
    ball whose size is proportional to the lr. Not in PyTorch (it is ``LambdaLR`` with this formula).

    >>> import tinygrad_edu as tg
    >>> opt = tg.optim.SGD([tg.Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.InverseTimeLR(opt, decay=1.0)
    >>> [sched.lr_at(t)[0] for t in range(4)]
    [1.0, 0.5, 0.3333333333333333, 0.25]
    """

    def __init__(self, optimizer: Optimizer, decay: float, power: float = 1.0) -> None:
        check_non_negative("decay", decay)
        self.decay = float(decay)
        self.power = _check_positive("power", power)
        super().__init__(optimizer)

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr / (1.0 + self.decay * t) ** self.power


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from :math:`\eta_0` to ``eta_min`` over ``T_max`` steps:

    .. math:: \eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min}) \left(1 + \cos\frac{\pi t}{T_{\max}}\right).

    As in PyTorch, stepping past ``T_max`` follows the same cosine back up (period ``2 T_max``); set
    ``T_max`` to the total number of steps you will take.

    >>> import tinygrad_edu as tg
    >>> opt = tg.optim.SGD([tg.Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> sched = tg.optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    >>> [round(sched.lr_at(t)[0], 4) for t in range(5)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_positive_int("T_max", T_max)
        check_non_negative("eta_min", eta_min)
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * t / self.T_max)) / 2.0


class LambdaLR(LRScheduler):
    r"""A schedule of your own: :math:`\eta_t = \eta_0 \cdot \lambda(t)`, one function or one per group.

    Unlike the others, ``lr_lambda(0)`` applies from the start, as in PyTorch. The functions are not part of
    :meth:`state_dict` (they cannot be saved reliably): re-create the schedule with the same functions, then
    load the state dict.

    >>> import tinygrad_edu as tg
    >>> opt = tg.optim.SGD([tg.Tensor([0.0], requires_grad=True)], lr=0.1)
    >>> warmup = tg.optim.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 3))   # linear warm-up over 3 steps
    >>> [round(warmup.lr_at(t)[0], 4) for t in range(4)]
    [0.0333, 0.0667, 0.1, 0.1]
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]
    ) -> None:
        n_groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n_groups
        if isinstance(lr_lambda, (list, tuple)) and len(lambdas) != n_groups:
            raise ValueError(f"lr_lambda is a list of {len(lambdas)} functions but the optimiser has {n_groups} groups")
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be a function of the step t (or a list of them), got {fn!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * float(self.lr_lambdas[group_index](t))
