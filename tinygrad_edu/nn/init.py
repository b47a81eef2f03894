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
import numbers
from typing import Any

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
    return _gain(nonlinearity, param, "calculate_gain", "param")


def _gain(nonlinearity: Any, param: Any, fn: str, param_name: str) -> float:
    """:func:`calculate_gain` with errors that name the calling function and its argument for ``param``."""
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _finite(param, param_name, fn, "the negative slope of the leaky ReLU")
        return math.sqrt(2.0 / (1.0 + slope**2))
    choices = [*_LINEAR_LIKE, "tanh", "relu", "leaky_relu"]
    raise ValueError(f"{fn}: unknown nonlinearity {nonlinearity!r}; choose one of {choices}")


def _finite(value: Any, name: str, fn: str, meaning: str = "") -> float:
    """``value`` as a finite float, else an error naming ``fn`` and ``name`` (a NaN would fill the tensor)."""
    what = f" ({meaning})" if meaning else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name}{what} must be a number, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value):
        raise ValueError(f"{fn}: {name}{what} must be finite, got {value!r}; NaN or inf would fill the tensor")
    return float(value)


def _gain_factor(gain: Any, fn: str) -> float:
    """The ``gain`` of the Xavier initialisers: finite and >= 0 (a standard deviation is scaled by it)."""
    gain = _finite(gain, "gain", fn)
    if gain < 0:
        raise ValueError(f"{fn}: gain must be >= 0, got {gain!r}; see calculate_gain(), e.g. 5/3 for tanh")
    return gain


def fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` = ``(out, in, *receptive_field)``.

    Raises
    ------
    ValueError
        For fewer than 2 dimensions: a bias or a vector has no fan-in/fan-out pair.
    TypeError
        ``shape`` is not a tuple of ints (e.g. the tensor itself: pass ``tensor.shape``).
    """
    return _fans(shape, "fan_in_and_fan_out")


def _fans(shape: Any, fn: str) -> tuple[int, int]:
    """:func:`fan_in_and_fan_out` with errors that name the calling function."""
    if isinstance(shape, (Tensor, np.ndarray)):
        raise TypeError(f"{fn}: shape must be a tuple of ints, got a {type(shape).__name__}; pass tensor.shape")
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{fn}: shape must be a tuple of ints such as (out, in), got {shape!r}") from None
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) >= 0 for n in shape):
        raise TypeError(f"{fn}: shape must be a tuple of ints >= 0 such as (out, in), got {shape!r}")
    if len(shape) < 2:
        raise ValueError(
            f"{fn}: fan-in and fan-out need a weight with at least 2 dimensions (out, in), got shape {shape}; "
            "initialise a bias or a vector with uniform_, normal_ or zeros_ instead"
        )
    receptive = math.prod(shape[2:])
    return int(shape[1] * receptive), int(shape[0] * receptive)


def _check_tensor(tensor: Tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"{fn} fills a Tensor in place, got {type(tensor).__name__}; pass a parameter such as layer.weight"
        )
    if tensor.dtype.kind != "f":
        raise TypeError(
            f"{fn} needs a floating-point tensor, got dtype {tensor.dtype}; create the parameter with a float "
            "dtype, e.g. Tensor.zeros(3, 2, requires_grad=True)"
        )


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
    return _fill(tensor, _finite(value, "value", "constant_"))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    r"""Fill with samples of :math:`U(a, b)` (mean :math:`(a+b)/2`, variance :math:`(b-a)^2/12`)."""
    _check_tensor(tensor, "uniform_")
    a, b = _finite(a, "a", "uniform_", "the lower bound"), _finite(b, "b", "uniform_", "the upper bound")
    if not a < b:
        raise ValueError(f"uniform_ needs a < b, got a={a:g}, b={b:g}; pass the lower bound first")
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    r"""Fill with samples of :math:`N(\mathrm{mean}, \mathrm{std}^2)`."""
    _check_tensor(tensor, "normal_")
    mean, std = _finite(mean, "mean", "normal_"), _finite(std, "std", "normal_")
    if std < 0:
        raise ValueError(f"normal_ needs std >= 0, got std={std:g}; the spread is the absolute value, e.g. std=0.01")
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r"""Glorot/Xavier uniform: :math:`U(-a, a)` with :math:`a = g \sqrt{6 / (\mathrm{fan\_in} +
    \mathrm{fan\_out})}`, variance :math:`2 g^2 / (\mathrm{fan\_in} + \mathrm{fan\_out})`."""
    _check_tensor(tensor, "xavier_uniform_")
    gain = _gain_factor(gain, "xavier_uniform_")
    fan_in, fan_out = _fans(tensor.shape, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))  # max: empty weights
    return _fill(tensor, generator().uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r"""Glorot/Xavier normal: :math:`N(0, \sigma^2)` with :math:`\sigma = g \sqrt{2 / (\mathrm{fan\_in} +
    \mathrm{fan\_out})}`."""
    _check_tensor(tensor, "xavier_normal_")
    gain = _gain_factor(gain, "xavier_normal_")
    fan_in, fan_out = _fans(tensor.shape, "xavier_normal_")
    std = gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return _fill(tensor, generator().normal(0.0, std, tensor.shape))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, fn: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor.shape, fn)
    fan = fan_in if mode == "fan_in" else fan_out
    return _gain(nonlinearity, a, fn, "a") / math.sqrt(max(fan, 1))  # max: empty weights


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
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill(tensor, generator().uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    r"""He/Kaiming normal: :math:`N(0, \sigma^2)` with :math:`\sigma = g / \sqrt{\mathrm{fan}}`
    (:math:`\sqrt{2 / \mathrm{fan\_in}}` for ReLU). Parameters as :func:`kaiming_uniform_`."""
    _check_tensor(tensor, "kaiming_normal_")
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return _fill(tensor, generator().normal(0.0, std, tensor.shape))


# The names used in Keras and in many courses.
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
