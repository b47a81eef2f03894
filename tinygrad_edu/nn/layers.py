r"""Layers: ``Linear``, ``Sequential``, activations as modules, ``Flatten``, ``Identity`` and ``MLP``.

Models are plain compositions of these::

    linear_regression   = Linear(d, 1)                     # y = x w^T + b, trained with mse_loss
    logistic_regression = Linear(d, 1)                     # logits, trained with binary_cross_entropy_with_logits
    softmax_regression  = Linear(d, k)                     # logits, trained with cross_entropy
    mlp                 = MLP([d, 32, 32, k], activation="relu")
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .. import ops
from .._validation import check_flag, float_dtype
from ..tensor import Tensor, apply_op, get_default_dtype
from . import functional, init
from .module import Module, _short_repr

__all__ = [
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


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _positive_int(value: Any, what: str, owner: str, fix: str = "") -> int:
    """``value`` as an int >= 1 (numpy integers included, bools not), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {what} must be a positive integer, got {value!r}" + (f"; {fix}" if fix else ""))
    return int(value)


def _axis(value: Any, what: str, owner: str) -> int:
    """``value`` as an int axis (numpy integers included, bools not), else a TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: {what} must be an int (an axis index; -1 is the last axis), got {value!r} "
            f"({type(value).__name__})"
        )
    return int(value)


def _check_axis_fits(axis: int, x: Tensor, layer: str) -> None:
    """A layer's axis must exist in its input: say so with the layer, the shape and the valid range."""
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"{layer} does not fit an input of shape {x.shape} ({x.ndim} axes): axis must be in "
            f"[-{x.ndim}, {x.ndim - 1}], got {axis}; -1 is the last axis"
        )


class Linear(Module):
    r"""Affine map :math:`y = x W^\top + b` applied to the last axis of ``x``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the last axis of the input and of the output.
    bias : bool, default True
        Learn the offset :math:`b`; without it ``self.bias`` is ``None``.
    dtype : numpy dtype, optional
        Of the parameters; by default ``tg.get_default_dtype()`` (float32 unless changed).

    Attributes
    ----------
    weight : Tensor, shape (out_features, in_features)
        PyTorch's layout: row :math:`j` holds the weights of output :math:`j`.
    bias : Tensor of shape (out_features,), or None

    Notes
    -----
    **Initialisation** (PyTorch's default): every entry of ``weight`` and ``bias`` is drawn from
    :math:`U(-k, k)` with :math:`k = 1/\sqrt{\mathrm{in\_features}}`, which is ``init.kaiming_uniform_(w,
    a=math.sqrt(5))``. The draws come from the generator seeded by ``tg.manual_seed``.

    **Gradients** for a batch :math:`X` (N, in) and upstream :math:`G = \partial L / \partial Y` (N, out):
    :math:`\partial L/\partial W = G^\top X` (that is :math:`(X^\top G)^\top`, transposed because of the
    (out, in) layout), :math:`\partial L/\partial b = \sum_n G_n` (the bias is broadcast over the batch), and
    :math:`\partial L/\partial X = G W`. One graph node computes all of this: the fused primitive
    :class:`tinygrad_edu.ops.Linear`, equal to ``x @ W.T + b`` from MatMul, Transpose and Add, but faster.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> _ = tg.manual_seed(0)
    >>> layer = tg.nn.Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    >>> layer(tg.Tensor.ones(5, 3)).shape
    (5, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear", "it is X.shape[-1], the input's size")
        self.out_features = _positive_int(out_features, "out_features", "Linear", "it is the size of each output")
        bias = check_flag(bias, "bias", "Linear")
        dtype = get_default_dtype() if dtype is None else float_dtype(dtype, "Linear")
        self.weight = Tensor.zeros(self.out_features, self.in_features, dtype=dtype, requires_grad=True)
        self.bias = Tensor.zeros(self.out_features, dtype=dtype, requires_grad=True) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values: :math:`U(-1/\\sqrt{\\mathrm{in}}, 1/\\sqrt{\\mathrm{in}})` for both."""
        bound = 1.0 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        shape = x.data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}) needs inputs whose "
                f"last axis has {self.in_features} features, got shape {x.shape}"
                + ("; a batch of N scalars is x.reshape(-1, 1)" if self.in_features == 1 and x.ndim == 1 else "")
            )
        if self.bias is None:
            return apply_op(ops.Linear(), x, self.weight)
        return apply_op(ops.Linear(), x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Indexable (``seq[0]``, ``seq[-1]``, ``seq[1:]`` gives a Sequential sharing the layers), iterable and
    sized. The layers are attributes named ``"0"``, ``"1"``, ... so parameters are named ``"0.weight"``.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> model = tg.nn.Sequential(tg.nn.Linear(2, 4), tg.nn.ReLU(), tg.nn.Linear(4, 1))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    >>> len(model), type(model[1]).__name__
    (3, 'ReLU')
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self._length = 0
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns ``self``."""
        if not isinstance(module, Module):
            raise TypeError(
                f"Sequential takes Modules, got {_describe_non_module(module)} at position {self._length}"
                f"{_module_hint(module)}"
            )
        setattr(self, str(self._length), module)
        self._length += 1
        return self

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def _layers(self) -> list[Module]:
        """The layers in order: the attributes "0", "1", ..., read from the instance's dict (a generator of
        getattr calls made the forward of an MLP 8-8-8-4 3,600 instructions dearer, callgrind)."""
        attributes = self.__dict__
        return [attributes[str(i)] for i in range(self._length)]

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self)
        if isinstance(index, slice):
            return Sequential(*layers[index])
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(
                f"Sequential indices must be ints or slices, got {index!r} ({type(index).__name__}); the layers "
                "are numbered 0, 1, ... (seq[0], seq[-1], seq[1:])"
            )
        try:
            return layers[index]
        except IndexError:
            n = self._length
            valid = f"valid indices are 0..{n - 1} or -{n}..-1" if n else "it is empty"
            raise IndexError(f"index {index} is out of range for a Sequential of {n} modules; {valid}") from None

    def forward(self, x: Any) -> Any:
        for module in self._layers():
            x = module(x)
        return x


def _describe_non_module(value: Any) -> str:
    """What was passed instead of a Module, by type and (for functions and classes) name."""
    if isinstance(value, (list, tuple)):  # its repr is the layers themselves, long and beside the point
        return type(value).__name__
    if isinstance(value, type):
        return f"the class {value.__name__}"
    name = getattr(value, "__name__", None)
    if callable(value) and name is not None:
        return f"{type(value).__name__} {name!r}"
    return f"{type(value).__name__} {_short_repr(value, 40)}"


def _module_hint(value: Any) -> str:
    """How to turn a common non-Module (a list, a class, a function) into what Sequential and MLP take."""
    if isinstance(value, (list, tuple)):
        return "; unpack a list with Sequential(*layers)"
    if isinstance(value, type) and issubclass(value, Module):
        return f"; create an instance: {value.__name__}()"
    if callable(value):
        return "; use a layer Module instead of a function, e.g. tg.nn.ReLU() for F.relu"
    return "; pass layers such as tg.nn.Linear(2, 3) or tg.nn.ReLU()"


class Identity(Module):
    """:math:`y = x` (a placeholder, e.g. "no activation")."""

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x)


class ReLU(Module):
    r""":math:`\max(x, 0)` elementwise; :math:`\mathrm{relu}'(0) = 0`."""

    def forward(self, x: Any) -> Tensor:
        return functional.relu(x)


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})` elementwise; :math:`\sigma' = \sigma(1 - \sigma)`."""

    def forward(self, x: Any) -> Tensor:
        return functional.sigmoid(x)


class Tanh(Module):
    r""":math:`\tanh x` elementwise; :math:`\tanh' = 1 - \tanh^2`."""

    def forward(self, x: Any) -> Tensor:
        return functional.tanh(x)


# issue 18: activations --------------------------------------------------------------------------------------


class LeakyReLU(Module):
    r""":math:`x` for :math:`x > 0`, else ``negative_slope`` :math:`\cdot x` (default 0.01), also its slope at 0."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        functional.leaky_relu(0.0, negative_slope)  # checks the parameter now, not at the first call
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return functional.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha(e^x - 1)` (default :math:`\alpha = 1`)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        functional.elu(0.0, alpha)
        self.alpha = alpha

    def forward(self, x: Any) -> Tensor:
        return functional.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    r""":math:`\lambda\,\mathrm{elu}(x, \alpha)` with PyTorch's constants."""

    def forward(self, x: Any) -> Tensor:
        return functional.selu(x)


class GELU(Module):
    r""":math:`x\Phi(x)` (``approximate="none"``) or its tanh approximation (``approximate="tanh"``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        functional.gelu(0.0, approximate)
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return functional.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    r""":math:`x\sigma(x)` (swish)."""

    def forward(self, x: Any) -> Tensor:
        return functional.silu(x)


class Softplus(Module):
    r""":math:`\frac1\beta\ln(1 + e^{\beta x})`, linear where :math:`\beta x >` ``threshold`` (defaults 1 and 20)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        functional.softplus(0.0, beta, threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Any) -> Tensor:
        return functional.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    r""":math:`\ln\sigma(x)`, stable."""

    def forward(self, x: Any) -> Tensor:
        return functional.logsigmoid(x)


class Hardtanh(Module):
    r""":math:`x` clipped to ``[min_val, max_val]`` (defaults -1 and 1); gradient 0 at both ends."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        functional.hardtanh(0.0, min_val, max_val)
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x: Any) -> Tensor:
        return functional.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    r""":math:`\min(\max(x, 0), 6)`; gradient 0 at 0 and at 6."""

    def forward(self, x: Any) -> Tensor:
        return functional.relu6(x)


class Mish(Module):
    r""":math:`x\tanh(\mathrm{softplus}(x))`."""

    def forward(self, x: Any) -> Tensor:
        return functional.mish(x)


class Softmax(Module):
    r""":math:`e^{x_i} / \sum_j e^{x_j}` along ``axis`` (default the last: one distribution per row).

    For training use ``cross_entropy`` on the logits instead of softmax followed by a log: it is fused and
    stable.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = _axis(axis, "axis", "Softmax")

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        _check_axis_fits(self.axis, x, f"Softmax(axis={self.axis})")
        return functional.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    r""":math:`x_i - \log \sum_j e^{x_j}` along ``axis`` (pairs with ``nll_loss``)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = _axis(axis, "axis", "LogSoftmax")

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        _check_axis_fits(self.axis, x, f"LogSoftmax(axis={self.axis})")
        return functional.log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Flatten(Module):
    """Merge the axes ``start_axis`` .. ``end_axis`` (inclusive) into one: (N, 28, 28) -> (N, 784).

    By default every axis but the first (the batch axis) is merged.
    """

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis = _axis(start_axis, "start_axis", "Flatten")
        self.end_axis = _axis(end_axis, "end_axis", "Flatten")

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        ndim = max(x.ndim, 1)
        start, end = self.start_axis, self.end_axis
        if not (-ndim <= start < ndim and -ndim <= end < ndim) or start % ndim > end % ndim:
            raise ValueError(
                f"Flatten(start_axis={start}, end_axis={end}) does not fit an input of shape {x.shape} "
                f"({x.ndim} axes): need start_axis <= end_axis, both in [-{ndim}, {ndim - 1}]"
            )
        start, end = start % ndim, end % ndim
        shape = x.shape
        return x.reshape(*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


_ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "identity": Identity,
    # issue 18's activations, with PyTorch's defaults (pass the class or a lambda for other parameters)
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SiLU,
    "softplus": Softplus,
    "hardtanh": Hardtanh,
    "relu6": ReLU6,
    "mish": Mish,
}


def _activation_factory(
    spec: str | Callable[[], Module] | None, owner: str, what: str = "activation"
) -> Callable[[], Module] | None:
    """A zero-argument factory of activation modules from a name, a Module class or a factory (None: none).

    ``what`` is the argument's name in messages (``activation`` or ``output_activation``).
    """
    if isinstance(spec, str):
        if spec not in _ACTIVATIONS:
            hint = (
                "; for probabilities use output_activation=tg.nn.Softmax, or better return logits and train with "
                "cross_entropy"
                if spec.replace("_", "") in ("softmax", "logsoftmax")
                else ""
            )
            raise ValueError(f"{owner}: unknown {what} {spec!r}; choose one of {sorted(_ACTIVATIONS)}{hint}")
        return _ACTIVATIONS[spec]
    if isinstance(spec, Module):  # an instance would be shared by every position: ask for its class
        raise TypeError(
            f"{owner}: {what} must be a name, a Module class or None, got the instance {spec!r}; pass the class "
            f"tg.nn.{type(spec).__name__} (without parentheses) so that each layer gets its own"
        )
    if spec is not None and not callable(spec):
        raise TypeError(
            f"{owner}: {what} must be a name, a Module class or None, got {spec!r}; e.g. 'relu' or tg.nn.Tanh"
        )
    return spec


def _make_activation(factory: Callable[[], Module], owner: str) -> Module:
    try:
        module = factory()
    except TypeError as err:  # a function of x such as F.relu, called with no argument
        raise TypeError(
            f"{owner}: activation {_describe_non_module(factory)} cannot be called without arguments ({err}); pass a "
            "Module class such as tg.nn.ReLU or a name such as 'relu', not a function of x like F.relu"
        ) from err
    if not isinstance(module, Module):
        raise TypeError(
            f"{owner}: activation factory {factory!r} returned {type(module).__name__}, not a Module; it must "
            "return a new Module each call, e.g. lambda: tg.nn.ReLU()"
        )
    return module


class MLP(Module):
    """Multi-layer perceptron: ``Linear`` layers of the given ``sizes`` with an activation between them.

    ``MLP([2, 16, 16, 3])`` is ``Linear(2, 16), act, Linear(16, 16), act, Linear(16, 3)``, held in
    ``self.layers`` (a ``Sequential``), so its parameters are ``layers.0.weight``, ``layers.0.bias``,
    ``layers.2.weight`` ... The output layer has no activation unless ``output_activation`` is given (return
    logits and use a ``*_with_logits`` or ``cross_entropy`` loss).

    Parameters
    ----------
    sizes : sequence of int
        ``[in_features, hidden_1, ..., out_features]``, at least two.
    activation : str, Module class or None, default "relu"
        ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"``, ``"leaky_relu"``, ``"elu"``, ``"selu"``, ``"gelu"``,
        ``"silu"``, ``"softplus"``, ``"hardtanh"``, ``"relu6"``, ``"mish"`` (PyTorch's defaults), a Module class
        such as ``tg.nn.Tanh`` (or any zero-argument callable returning a Module, e.g.
        ``lambda: tg.nn.LeakyReLU(0.2)``), or None for no activation (a deep linear model).
    bias : bool, default True
        Bias in every Linear layer.
    output_activation : same choices as ``activation``, default None
        Appended after the last Linear layer.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> mlp = tg.nn.MLP([2, 8, 1], activation="tanh")
    >>> mlp
    MLP(
      (layers): Sequential(
        (0): Linear(in_features=2, out_features=8, bias=True)
        (1): Tanh()
        (2): Linear(in_features=8, out_features=1, bias=True)
      )
    )
    >>> mlp.num_parameters()          # 2*8 + 8 + 8*1 + 1
    33
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Callable[[], Module] | None = "relu",
        bias: bool = True,
        output_activation: str | Callable[[], Module] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
            raise TypeError(
                f"MLP: sizes must be a sequence of ints [in_features, hidden..., out_features], got {sizes!r}; "
                "e.g. MLP([2, 16, 1])"
            )
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(
                f"MLP needs at least two sizes [in_features, out_features], got {sizes}; e.g. MLP([2, 16, 1])"
            )
        sizes = [
            _positive_int(size, "every size", "MLP", f"sizes[{i}] is {size!r} in sizes={sizes}; a layer needs 1+ units")
            for i, size in enumerate(sizes)
        ]
        bias = check_flag(bias, "bias", "MLP")
        hidden = _activation_factory(activation, "MLP")  # checked even if there is no hidden layer
        output = _activation_factory(output_activation, "MLP", "output_activation")
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(fan_in, fan_out, bias=bias))
            factory = hidden if i < len(sizes) - 2 else output
            if factory is not None:
                layers.append(_make_activation(factory, "MLP"))  # a fresh instance per position
        self.sizes = sizes
        self.layers = Sequential(*layers)

    def forward(self, x: Any) -> Tensor:
        return self.layers(x)


# --------------------------------------------------------------------------------------------------------
# issue 18: convolution and pooling layers (NCHW, PyTorch's arguments)
# --------------------------------------------------------------------------------------------------------


class Conv2d(Module):
    r"""2-D convolution layer: :func:`tinygrad_edu.nn.functional.conv2d` with a learned weight and bias.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input (axis 1 of (N, C, H, W)) and of the output.
    kernel_size : int or (int, int)
    stride, padding, dilation : int or (int, int), default 1, 0, 1
    bias : bool, default True
    dtype : numpy dtype, optional
        Of the parameters; by default ``tg.get_default_dtype()``.

    Attributes
    ----------
    weight : Tensor, shape (out_channels, in_channels, kh, kw)
    bias : Tensor of shape (out_channels,), or None

    Notes
    -----
    **Initialisation** (PyTorch's default, as :class:`Linear`): ``init.kaiming_uniform_(weight,
    a=math.sqrt(5))``, i.e. :math:`U(-k, k)` with :math:`k = 1/\sqrt{\mathrm{fan\_in}}`,
    :math:`\mathrm{fan\_in} = C k_h k_w`, and the bias from the same :math:`U(-k, k)`.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> _ = tg.manual_seed(0)
    >>> conv = tg.nn.Conv2d(1, 6, 5)
    >>> conv
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
    >>> conv(tg.Tensor.zeros(2, 1, 28, 28)).shape
    (2, 6, 24, 24)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = _positive_int(in_channels, "in_channels", "Conv2d", "it is x.shape[1], the input's channels")
        self.out_channels = _positive_int(out_channels, "out_channels", "Conv2d", "it is the number of filters")
        self.kernel_size = ops.pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = ops.pair(stride, "stride", "Conv2d")
        self.padding = ops.pair(padding, "padding", "Conv2d", minimum=0)
        self.dilation = ops.pair(dilation, "dilation", "Conv2d")
        bias = check_flag(bias, "bias", "Conv2d")
        dtype = get_default_dtype() if dtype is None else float_dtype(dtype, "Conv2d")
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Tensor.zeros(*shape, dtype=dtype, requires_grad=True)
        self.bias = Tensor.zeros(self.out_channels, dtype=dtype, requires_grad=True) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values: :math:`U(-1/\\sqrt{\\mathrm{fan\\_in}}, 1/\\sqrt{\\mathrm{fan\\_in}})`."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.fan_in_and_fan_out(self.weight.shape)
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if x.ndim in (3, 4) and x.shape[-3] != self.in_channels:
            raise ValueError(
                f"{self.__class__.__name__}({self.extra_repr()}) needs inputs (N, {self.in_channels}, H, W) with "
                f"{self.in_channels} channel(s) on axis 1, got shape {x.shape}"
            )
        return functional.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    """Max pooling layer: :func:`tinygrad_edu.nn.functional.max_pool2d` (``stride`` defaults to the kernel size).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> tg.nn.MaxPool2d(2)
    MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1))
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
    ) -> None:
        super().__init__()
        op = ops.MaxPool2d(kernel_size, stride, padding, dilation)  # validates the arguments now, not at forward
        self.kernel_size, self.stride, self.padding, self.dilation = op.kernel_size, *op.geometry

    def forward(self, x: Any) -> Tensor:
        return functional.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"


class AvgPool2d(Module):
    """Average pooling layer: :func:`tinygrad_edu.nn.functional.avg_pool2d` (``stride`` defaults to the kernel
    size; zero padding counts in the mean).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> tg.nn.AvgPool2d(2)
    AvgPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.kernel_size = ops.pair(kernel_size, "kernel_size", "AvgPool2d")
        self.stride = self.kernel_size if stride is None else ops.pair(stride, "stride", "AvgPool2d")
        self.padding = ops.pair(padding, "padding", "AvgPool2d", minimum=0)
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise ValueError(
                f"AvgPool2d: padding {self.padding} must be at most half the kernel size {self.kernel_size} "
                "(as in PyTorch)"
            )

    def forward(self, x: Any) -> Tensor:
        return functional.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
