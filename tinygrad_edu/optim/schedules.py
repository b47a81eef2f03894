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

**Checked at every step.** The constructor (which applies :math:`t = 0`), every ``step()`` and
``load_state_dict`` check each learning rate they are about to set with the optimisers' own rule (finite and
:math:`\ge 0`): a ``LambdaLR`` factor that returns NaN, a negative number or something that is not a number,
or an ``ExponentialLR`` with ``gamma > 1`` that overflows, raises ``ValueError`` (``TypeError`` for a
non-number) naming the schedule, the step :math:`t`, the group, the value and the fix, and leaves the
learning rates and :math:`t` as they were. ``lr_at(t)`` computes without checking (to plot any schedule).
"""

from __future__ import annotations

import bisect
import copy
import math
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .optimizer import Optimizer, check_non_negative, check_real, non_negative_problem

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "LambdaLR",
]


def _check_positive_int(name: str, value: Any, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {name}={value!r}; pass e.g. {name}={example}")
    return value


def _check_positive(name: str, value: Any) -> float:
    v = check_real(name, value)
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be > 0, got {name}={value!r}; pass a finite number > 0, e.g. {name}=0.5")
    return v


def _check_optimizer(optimizer: Any, cls: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"a schedule needs a tinygrad_edu Optimizer, got {type(optimizer).__name__} ({reprlib.repr(optimizer)}); "
            f"pass the optimiser first, e.g. {cls}(opt, ...)"
        )
    return optimizer


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

    #: What to change when a computed learning rate is refused (each schedule says it for its own constants).
    _fix = "check the schedule's constants and the optimiser's learning rates"

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = _check_optimizer(optimizer, type(self).__name__)
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
        """Advance the schedule by one and set the groups' learning rates.

        Raises
        ------
        ValueError
            If a learning rate at the new step would be NaN, infinite or negative (the optimisers refuse such
            an lr); nothing changes then.
        """
        lrs = self._checked_lrs(self.last_epoch + 1)
        self.last_epoch += 1
        self._set(lrs)

    def get_last_lr(self) -> list[float]:
        """The learning rates (one per group) the last ``step()`` (or the constructor) set."""
        return list(self._last_lr)

    def _apply(self) -> None:
        self._set(self._checked_lrs(self.last_epoch))

    def _set(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = lrs

    def _checked_lrs(self, t: int) -> list[float]:
        """``lr_at(t)``, each checked with the optimisers' rule for ``lr`` (finite, >= 0)."""
        lrs = []
        for i, base_lr in enumerate(self.base_lrs):
            try:
                lr = self._lr(base_lr, i, t)
            except OverflowError:  # a float power past 1e308 raises where a product would give inf
                lr = math.inf
            problem = non_negative_problem(lr)
            if problem is not None:
                # an invalid base lr (set by hand or loaded) is the cause, whatever the schedule's constants
                bad_base = non_negative_problem(base_lr) is not None
                fix = (
                    "set the group's lr to a finite number >= 0 before creating the schedule" if bad_base else self._fix
                )
                raise ValueError(
                    f"{type(self).__name__}: step t={t} would set parameter group {i}'s lr to {lr!r} "
                    f"({self._explain(base_lr, i, t)}), but lr {problem} (the optimisers refuse it); {fix}"
                )
            lrs.append(lr)
        return lrs

    def _explain(self, base_lr: float, group_index: int, t: int) -> str:
        """How the refused lr was computed, for the message."""
        return f"from the base lr {base_lr!r}"

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position (everything but the optimiser)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` and set the groups' learning rates for the restored step.

        The dict must come from a schedule of the same class over an optimiser with as many groups; it is
        checked (keys, ``base_lrs``, ``last_epoch`` and the learning rates it gives) before anything changes.
        """
        cls = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{cls}.load_state_dict expects the dict made by {cls}.state_dict(), got "
                f"{type(state_dict).__name__} {reprlib.repr(state_dict)}; pass scheduler.state_dict()"
            )
        expected = set(self.state_dict())
        unknown, missing = set(state_dict) - expected, expected - set(state_dict)
        if unknown or missing:
            detail = f"unexpected keys {sorted(map(str, unknown))}" if unknown else f"missing keys {sorted(missing)}"
            raise ValueError(
                f"{detail} in the state dict of a {cls} (it needs {sorted(expected)}); was it saved by another "
                f"schedule? Load the state dict of a {cls} made by {cls}.state_dict()"
            )
        self._check_saved_position(state_dict)
        before = copy.deepcopy(self.state_dict())
        self.__dict__.update(copy.deepcopy(dict(state_dict)))
        try:
            self._apply()
        except (TypeError, ValueError):
            self.__dict__.update(before)  # a refused state leaves the schedule as it was
            raise

    def _check_saved_position(self, state_dict: Mapping[str, Any]) -> None:
        cls, n_groups = type(self).__name__, len(self.optimizer.param_groups)
        base_lrs, t = state_dict["base_lrs"], state_dict["last_epoch"]
        if not isinstance(base_lrs, Sequence) or len(base_lrs) != n_groups:
            raise ValueError(
                f"the state dict's base_lrs={reprlib.repr(base_lrs)} must list one learning rate per parameter group, "
                f"and the optimiser has {n_groups}; load the state of a {cls} over the same groups"
            )
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(
                f"the state dict's last_epoch must be a non-negative int (the number of step() calls), got "
                f"last_epoch={t!r}; pass a dict made by {cls}.state_dict()"
            )

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
        self.step_size = _check_positive_int("step_size", step_size, 10)
        self.gamma = _check_positive("gamma", gamma)
        super().__init__(optimizer)

    _fix = "use gamma <= 1 (a decay), or fewer steps"

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)

    def _explain(self, base_lr: float, group_index: int, t: int) -> str:
        return f"base lr {base_lr!r} x gamma**{t // self.step_size} with gamma={self.gamma!r}"


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
        fix = "pass a list of step numbers, e.g. milestones=[30, 80]"
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise TypeError(f"milestones must be a list of non-negative ints, got milestones={milestones!r}; {fix}")
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, int) or m < 0:
                raise ValueError(f"milestones must be non-negative ints, got milestones={milestones!r}; {fix}")
        self.milestones = sorted(milestones)
        self.gamma = _check_positive("gamma", gamma)
        super().__init__(optimizer)

    _fix = "use gamma <= 1 (a decay), or fewer milestones"

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)

    def _explain(self, base_lr: float, group_index: int, t: int) -> str:
        k = bisect.bisect_right(self.milestones, t)
        return f"base lr {base_lr!r} x gamma**{k} with gamma={self.gamma!r}"


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

    _fix = "use gamma <= 1 (a decay), or fewer steps"

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self.gamma**t

    def _explain(self, base_lr: float, group_index: int, t: int) -> str:
        return f"base lr {base_lr!r} x gamma**{t} with gamma={self.gamma!r}"


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
        self.T_max = _check_positive_int("T_max", T_max, 100)
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
        n_groups = len(_check_optimizer(optimizer, "LambdaLR").param_groups)
        # whatever was passed, one entry per group; checked to be functions below
        lambdas: list[Any] = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n_groups
        if isinstance(lr_lambda, (list, tuple)) and len(lambdas) != n_groups:
            raise ValueError(
                f"lr_lambda is a list of {len(lambdas)} functions but the optimiser has {n_groups} groups; pass one "
                "function for all groups, or one per group"
            )
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(
                    f"lr_lambda must be a function of the step t (or a list of them), got {fn!r}; pass e.g. "
                    "lr_lambda=lambda t: 0.95**t"
                )
        self.lr_lambdas: list[Callable[[int], float]] = lambdas
        super().__init__(optimizer)

    _fix = "make lr_lambda return a finite factor >= 0 for every step t"

    def _lr(self, base_lr: float, group_index: int, t: int) -> float:
        return base_lr * self._factor(group_index, t)

    def _factor(self, group_index: int, t: int) -> float:
        """``lr_lambda(t)`` for the group, as a float; something that is not a number raises ``TypeError``."""
        factor = self.lr_lambdas[group_index](t)
        if not isinstance(factor, (bool, str, bytes)):
            try:  # floats, ints, numpy scalars and 0-d arrays, one-element Tensors
                return float(factor)
            except (TypeError, ValueError):
                pass
        raise TypeError(
            f"LambdaLR: lr_lambda({t}) for parameter group {group_index} returned {reprlib.repr(factor)} "
            f"({type(factor).__name__}), not a number; {self._fix}"
        )

    def _explain(self, base_lr: float, group_index: int, t: int) -> str:
        return f"base lr {base_lr!r} x lr_lambda({t}) = {base_lr!r} x {self._factor(group_index, t)!r}"
