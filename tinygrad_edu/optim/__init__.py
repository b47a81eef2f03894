r"""Optimisers and learning-rate schedules, with PyTorch's update equations, defaults and interface.

>>> import tinygrad_edu as tg
>>> w = tg.Tensor([4.0], requires_grad=True)
>>> opt = tg.optim.SGD([w], lr=0.1, momentum=0.9)
>>> sched = tg.optim.StepLR(opt, step_size=10, gamma=0.5)
>>> for _ in range(100):
...     opt.zero_grad()
...     loss = ((w - 1.0) ** 2).sum()     # minimum at w = 1
...     loss.backward()
...     opt.step()
...     sched.step()
>>> round(w.item(), 4)
1.0

Every optimiser's docstring gives its update in math; ``docs/optimizers.md`` explains when to use which.
"""

from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .gd import GD
from .lbfgs import LBFGS
from .newton import Newton
from .optimizer import Optimizer
from .schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
)
from .sgd import SGD

__all__ = [
    "Optimizer",
    "GD",
    "Newton",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "LBFGS",
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "InverseTimeLR",
    "CosineAnnealingLR",
    "LambdaLR",
]
