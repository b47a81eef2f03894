r"""Parameter initialisers: fill a Tensor in place, PyTorch style (``init.xavier_uniform_(layer.weight)``).

Every initialiser draws from the library's generator, so ``tg.manual_seed(s)`` makes them repeatable. They
write into ``tensor.data`` directly and record no graph; the tensor's shape, dtype and ``requires_grad``
stay as they were, and the tensor is returned.

Why the scales: for :math:`y = W x` with independent zero-mean entries, :math:`\mathrm{Var}(y_i) =
\mathrm{fan\_in} \cdot \mathrm{Var}(W) \cdot \mathrm{Var}(x)`. Keeping activations (forward) and gradients
(backward, where :math:`\mathrm{fan\_out}` plays the role of :math:`\mathrm{fan\_in}`) at a constant
variance through many layers gives:

* ``xavier_uniform_`` / ``xavier_normal_`` (Glorot & Bengio, 2010), a compromise between both passes:
  :math:`\mathrm{Var}(W) = g^2 \cdot 2 / (\mathrm{fan\_in} + \mathrm{fan\_out})`, sampled as
  :math:`U(-a, a)` with :math:`a = g \sqrt{6 / (\mathrm{fan\_in} + \mathrm{fan\_out})}` or as
  :math:`N(0, \sigma^2)` with :math:`\sigma = g \sqrt{2 / (\mathrm{fan\_in} + \mathrm{fan\_out})}`;
* ``kaiming_uniform_`` / ``kaiming_normal_`` (He et al., 2015): :math:`\mathrm{Var}(W) = g^2 /
  \mathrm{fan}`, sampled as :math:`U(-b, b)` with :math:`b = g \sqrt{3 / \mathrm{fan}}` or as
  :math:`N(0, \sigma^2)` with :math:`\sigma = g / \sqrt{\mathrm{fan}}`;

where :math:`g` is :func:`calculate_gain` of the nonlinearity (:math:`\sqrt 2` for ReLU, because ReLU zeroes
half of the variance) and ``fan`` is ``fan_in`` (``mode="fan_in"``, preserves the forward variance) or
``fan_out``. A uniform :math:`U(-a, a)` has variance :math:`a^2 / 3`, hence the :math:`\sqrt 3` and
:math:`\sqrt 6`.

For a weight of shape ``(out, in)`` (``Linear``'s), ``fan_in = in`` and ``fan_out = out``; for more axes the
trailing ones form a receptive field that multiplies both (PyTorch's convention).
"""

from __future__ import annotations

import math

import numpy as np

from .._random import generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "fan_in_and_fan_out",
    "zeros_",
    "ones_",
    "constant_",
    "uniform_",
    "normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "glorot_uniform_",
    "glorot_normal_",
    "he_uniform_",
    "he_normal_",
]

_LINEAR_LIKE = ("linear", "identity", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The gain :math:`g` that restores unit variance after a nonlinearity (PyTorch's table).

    ``linear``, ``identity``, ``sigmoid``: 1; ``tanh``: 5/3; ``relu``: :math:`\sqrt 2`;
    ``leaky_relu`` with negative slope :math:`a` (``param``, default 0.01): :math:`\sqrt{2 / (1 + a^2)}`.

    Examples
    --------
    >>> round(calculate_gain("relu"), 6)
    1.414214
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    choices = [*_LINEAR_LIKE, "tanh", "relu", "leaky_relu"]
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}; choose one of {choices}")


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` = ``(out, in, *receptive_field)``.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions: a bias or a vector has no fan-in/fan-out pair.
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan-in and fan-out need a weight with at least 2 dimensions (out, in), got shape {shape}; "
            "initialise a bias or a vector with uniform_, normal_ or zeros_ instead"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _check_tensor(tensor: Tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn} fills a Tensor in place, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{fn} needs a floating-point tensor, got dtype {tensor.dtype}")


def _fill(tensor: Tensor, values: np.ndarray | float) -> Tensor:
    """Write ``values`` into the tensor's array (no graph, same array object, same dtype)."""
    tensor.data[...] = values
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the usual start for biases, and for linear or logistic regression, whose loss is
    convex so any start reaches the optimum)."""
    _check_tensor(tensor, "zeros_")
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    _check_tensor(tensor, "ones_")
    return _fill(tensor, 1.0)


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill with ``value``."""
    _check_tensor(tensor, "constant_")
    return _fill(tensor, float(value))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    r"""Fill with samples of :math:`U(a, b)` (mean :math:`(a+b)/2`, variance :math:`(b-a)^2/12`)."""
    _check_tensor(tensor, "uniform_")
    if not a < b:
        raise ValueError(f"uniform_ needs a < b, got a={a}, b={b}")
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    r"""Fill with samples of :math:`N(\mathrm{mean}, \mathrm{std}^2)`."""
    _check_tensor(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_ needs std >= 0, got std={std}")
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r"""Glorot/Xavier uniform: :math:`U(-a, a)` with :math:`a = g \sqrt{6 / (\mathrm{fan\_in} +
    \mathrm{fan\_out})}`, variance :math:`2 g^2 / (\mathrm{fan\_in} + \mathrm{fan\_out})`."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))  # max: empty weights
    return _fill(tensor, generator().uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r"""Glorot/Xavier normal: :math:`N(0, \sigma^2)` with :math:`\sigma = g \sqrt{2 / (\mathrm{fan\_in} +
    \mathrm{fan\_out})}`."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    std = gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return _fill(tensor, generator().normal(0.0, std, tensor.shape))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(max(fan, 1))  # max: empty weights


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    r"""He/Kaiming uniform: :math:`U(-b, b)` with :math:`b = g \sqrt{3 / \mathrm{fan}}`, variance
    :math:`g^2 / \mathrm{fan}`.

    Parameters
    ----------
    a : float, default 0
        Negative slope of the leaky ReLU that follows (0: plain ReLU, :math:`g = \sqrt 2`).
    mode : {"fan_in", "fan_out"}
        ``fan_in`` keeps the variance of activations in the forward pass, ``fan_out`` of gradients in the
        backward pass.
    nonlinearity : str, default "leaky_relu"
        See :func:`calculate_gain`. ``Linear``'s default init is ``kaiming_uniform_(w, a=math.sqrt(5))``,
        i.e. :math:`b = 1/\sqrt{\mathrm{fan\_in}}`.
    """
    _check_tensor(tensor, "kaiming_uniform_")
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _fill(tensor, generator().uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    r"""He/Kaiming normal: :math:`N(0, \sigma^2)` with :math:`\sigma = g / \sqrt{\mathrm{fan}}`
    (:math:`\sqrt{2 / \mathrm{fan\_in}}` for ReLU). Parameters as :func:`kaiming_uniform_`."""
    _check_tensor(tensor, "kaiming_normal_")
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return _fill(tensor, generator().normal(0.0, std, tensor.shape))


# The names used in Keras and in many courses.
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
