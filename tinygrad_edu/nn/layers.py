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
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import ops
from ..tensor import Tensor, apply_op, get_default_dtype
from . import functional, init
from .module import Module

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
]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _positive_int(value: Any, what: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {what} must be a positive integer, got {value!r}")
    return value


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
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = Tensor.zeros(out_features, in_features, dtype=dtype, requires_grad=True)
        self.bias = Tensor.zeros(out_features, dtype=dtype, requires_grad=True) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values: :math:`U(-1/\\sqrt{\\mathrm{in}}, 1/\\sqrt{\\mathrm{in}})` for both."""
        bound = 1.0 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
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
            hint = "; unpack a list with Sequential(*layers)" if isinstance(module, (list, tuple)) else ""
            raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {self._length}{hint}")
        setattr(self, str(self._length), module)
        self._length += 1
        return self

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Module]:
        return (getattr(self, str(i)) for i in range(self._length))

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self)
        if isinstance(index, slice):
            return Sequential(*layers[index])
        try:
            return layers[index]
        except IndexError:
            raise IndexError(f"index {index} is out of range for a Sequential of {self._length} modules") from None

    def forward(self, x: Any) -> Any:
        for module in self:
            x = module(x)
        return x


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


class Softmax(Module):
    r""":math:`e^{x_i} / \sum_j e^{x_j}` along ``axis`` (default the last: one distribution per row).

    For training use ``cross_entropy`` on the logits instead of softmax followed by a log: it is fused and
    stable.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Tensor:
        return functional.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    r""":math:`x_i - \log \sum_j e^{x_j}` along ``axis`` (pairs with ``nll_loss``)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Tensor:
        return functional.log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Flatten(Module):
    """Merge the axes ``start_axis`` .. ``end_axis`` (inclusive) into one: (N, 28, 28) -> (N, 784).

    By default every axis but the first (the batch axis) is merged.
    """

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis, self.end_axis = start_axis, end_axis

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
}


def _activation_factory(spec: str | Callable[[], Module] | None, owner: str) -> Callable[[], Module] | None:
    """A zero-argument factory of activation modules from a name, a Module class or a factory (None: none)."""
    if isinstance(spec, str):
        if spec not in _ACTIVATIONS:
            raise ValueError(f"{owner}: unknown activation {spec!r}; choose one of {sorted(_ACTIVATIONS)}")
        return _ACTIVATIONS[spec]
    if spec is not None and not callable(spec):
        raise TypeError(f"{owner}: activation must be a name, a Module class or None, got {spec!r}")
    return spec


def _make_activation(factory: Callable[[], Module], owner: str) -> Module:
    module = factory()
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: activation factory {factory!r} returned {type(module).__name__}, not a Module")
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
        ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"``, a Module class such as ``tg.nn.Tanh`` (or any
        zero-argument callable returning a Module), or None for no activation (a deep linear model).
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
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least two sizes [in_features, out_features], got {sizes}")
        for size in sizes:
            _positive_int(size, "every size", "MLP")
        hidden = _activation_factory(activation, "MLP")  # checked even if there is no hidden layer
        output = _activation_factory(output_activation, "MLP")
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
