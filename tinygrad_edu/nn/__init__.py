"""Models, layers, initialisers and losses.

``tg.nn.Module`` finds parameters and sub-modules among its attributes; ``tg.nn.Linear``, ``Sequential``,
``MLP`` and the activation modules build models; ``tg.nn.init`` initialises weights; ``tg.nn.functional``
holds the activations and the loss functions (``mse_loss``, ``cross_entropy``, ...).
"""

from . import functional, init
from .layers import (
    ELU,
    GELU,
    MLP,
    SELU,
    AvgPool2d,
    Conv2d,
    Flatten,
    Hardtanh,
    Identity,
    LeakyReLU,
    Linear,
    LogSigmoid,
    LogSoftmax,
    MaxPool2d,
    Mish,
    ReLU,
    ReLU6,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .module import IncompatibleKeys, Module

__all__ = [
    "functional",
    "init",
    "Module",
    "IncompatibleKeys",
    "Linear",
    "Sequential",
    "Identity",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Flatten",
    "MLP",
    "LeakyReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Softplus",
    "LogSigmoid",
    "Hardtanh",
    "ReLU6",
    "Mish",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
]
