"""``Module``: the base class of models. It finds its parameters by itself.

A model is a plain Python class whose attributes hold its parameters (Tensors with ``requires_grad=True``)
and its sub-models (other Modules)::

    class LinearRegression(Module):
        def __init__(self, d):
            super().__init__()
            self.w = Tensor.zeros(d, requires_grad=True)
            self.b = Tensor.zeros(1, requires_grad=True)

        def forward(self, x):
            return x @ self.w + self.b

No registration call is needed: ``parameters()`` walks the attributes. Each parameter's ``Tensor.name`` is
set to its dotted path ("layers.0.weight"), so graphs and error messages can show which weight is which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .._validation import check_flag
from ..tensor import Tensor

__all__ = ["Module", "IncompatibleKeys"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _is_parameter(value: Any) -> bool:
    """Leaf Tensors that require grad. Computed tensors (``w * 0.1`` with ``w`` requiring grad) are results
    of the graph, never trained themselves, so an attribute caching one is not a parameter."""
    return isinstance(value, Tensor) and value.requires_grad and value.is_leaf


def _short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages about arbitrary objects."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _members(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """``(dotted name, value)`` for the Modules and Tensors in an attribute, looking inside lists, tuples and
    dicts (at any depth): ``self.layers = [a, b]`` gives ``("layers.0", a)`` and ``("layers.1", b)``."""
    if isinstance(value, (Module, Tensor)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _members(f"{name}.{i}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _members(f"{name}.{key}", item)


class Module:
    """Base class of models and layers.

    Subclass it, assign parameters and sub-modules as attributes in ``__init__``, and write ``forward``.
    Calling the module calls ``forward``.

    Discovery rules
    ---------------
    * A **parameter** is an attribute that is a leaf Tensor with ``requires_grad=True``. A tensor with
      ``requires_grad=False`` is a constant; a computed tensor (``Tensor.randn(3, requires_grad=True) * 0.1``
      is one: it is the output of a multiplication) is not a parameter either. Write
      ``(Tensor.randn(3) * 0.1).requires_grad_()`` to scale an initial value.
    * A **child** is an attribute that is a Module.
    * Both are also found inside lists, tuples and dicts held by attributes, at any depth, named by index or
      key: ``self.blocks = [Linear(2, 2), Linear(2, 2)]`` gives ``blocks.0.weight``, ``blocks.1.weight`` ...
    * Order: the module's own parameters first, then each child's, depth first, in attribute order. A
      parameter shared by two modules is listed once, under its first name.
    * Names: each parameter's ``Tensor.name`` is its dotted path from the outermost module. It is set when
      the parameter (or a module holding it) is assigned as an attribute, and refreshed whenever
      ``parameters()``/``named_parameters()``/``state_dict()`` is called on a module that is nobody's
      attribute (the outermost one).

    Attributes
    ----------
    training : bool
        True after ``train()`` (the default), False after ``eval()``. Layers whose behaviour differs between
        training and evaluation read it.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> class Affine(tg.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = tg.Tensor([2.0], requires_grad=True)
    ...         self.shift = tg.Tensor([0.5], requires_grad=True)
    ...     def forward(self, x):
    ...         return x * self.scale + self.shift
    >>> model = Affine()
    >>> [name for name, _ in model.named_parameters()]
    ['scale', 'shift']
    >>> model(tg.Tensor([1.0, 2.0]))
    Tensor([2.5, 4.5], grad_fn=<Add>)
    """

    # Class-level defaults: a subclass that forgets super().__init__() still works.
    training: bool = True
    _is_child: bool = False

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output. Subclasses must override it."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define `def forward(self, x): ...` in the class "
            "(calling the module calls forward)"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs:  # model(x), spelled out: CPython 3.11's *args call is its slow path
            return self.forward(args[0])
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        # Name what was just attached, relative to this module; the outermost module's discovery later
        # prefixes the full path if this module is itself an attribute of another one.
        for dotted, member in _members(name, value):
            if isinstance(member, Module):
                object.__setattr__(member, "_is_child", True)
                for sub, param in member._named_parameters(rename=False):
                    param.name = f"{dotted}.{sub}"
            elif _is_parameter(member):
                member.name = dotted

    # ---- structure -------------------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct sub-modules, each once."""
        seen: set[int] = set()
        for attr, value in list(vars(self).items()):
            for name, member in _members(attr, value):
                if isinstance(member, Module) and id(member) not in seen:
                    seen.add(id(member))
                    yield name, member

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (name ``""``) and all its descendants, depth first."""
        memo: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            if id(module) in memo:  # shared or cyclic references: visit once
                continue
            memo.add(id(module))
            yield prefix, module
            kids = [(f"{prefix}.{name}" if prefix else name, child) for name, child in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and all its descendants, depth first."""
        for _, module in self.named_modules():
            yield module

    def _named_parameters(self, rename: bool) -> list[tuple[str, Tensor]]:
        found: list[tuple[str, Tensor]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for attr, value in list(vars(module).items()):
                for name, member in _members(attr, value):
                    if _is_parameter(member) and id(member) not in seen:
                        seen.add(id(member))
                        found.append((f"{prefix}.{name}" if prefix else name, member))
        if rename:
            for name, param in found:
                param.name = name
        return found

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, parameter)`` pairs, e.g. ``("layers.0.weight", <Tensor>)``.

        Called on the outermost module, it also sets each parameter's ``Tensor.name`` to that dotted name.
        """
        return iter(self._named_parameters(rename=not self._is_child))

    def parameters(self) -> Iterator[Tensor]:
        """The parameters (leaf Tensors with ``requires_grad=True``), each once: what an optimiser updates."""
        return iter([param for _, param in self._named_parameters(rename=not self._is_child)])

    def num_parameters(self) -> int:
        """The number of scalar parameters: :math:`\\sum_p \\mathrm{size}(p)`."""
        return sum(param.size for param in self.parameters())

    # ---- training helpers ------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters before the next backward pass (which accumulates).

        Parameters
        ----------
        set_to_none : bool, default True
            Set ``.grad`` to ``None`` (PyTorch's default); ``False`` fills it with zeros instead.
        """
        set_to_none = check_flag(set_to_none, "set_to_none", "Module.zero_grad")
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = np.zeros_like(param.data)

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` on this module and all descendants; returns ``self``.

        Raises
        ------
        TypeError
            ``mode`` is not a bool (``train("False")`` would otherwise switch training *on*).
        """
        mode = check_flag(mode, "mode", "Module.train")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``; returns ``self``."""
        return self.train(False)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every descendant and then on this module (e.g. a custom initialiser)."""
        if not callable(fn):
            raise TypeError(
                f"Module.apply: fn must be a function of one module, got {_short_repr(fn)}; e.g. "
                "model.apply(lambda m: tg.nn.init.zeros_(m.bias) if isinstance(m, tg.nn.Linear) else None)"
            )
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ---- saving and loading ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values, keyed by dotted name (numpy arrays, safe to keep or save with
        ``np.savez``)."""
        return {name: param.data.copy() for name, param in self._named_parameters(rename=not self._is_child)}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters, in place (tensors keep their identity, so optimisers that hold
        them see the new values).

        Everything is checked before anything is copied: on error, no parameter has changed.

        Parameters
        ----------
        state_dict : mapping of str to array-like
            As returned by :meth:`state_dict`. numpy arrays and Tensors must match the parameter's shape
            and dtype exactly; Python lists and numbers are converted to the parameter's dtype.
        strict : bool, default True
            Require exactly the keys of ``self.state_dict()``. With ``strict=False``, missing and unexpected
            keys are skipped and returned.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)``, both empty after a strict load.

        Raises
        ------
        ValueError
            Missing or unexpected keys (strict mode), or a value whose shape differs; the message names the
            keys.
        TypeError
            ``state_dict`` is not a mapping (e.g. a model instead of its ``state_dict()``), a value whose dtype
            differs from the parameter's (the message names the key), or a non-bool ``strict``.
        """
        if not isinstance(state_dict, Mapping):
            fix = (
                "pass its state dict: load_state_dict(other.state_dict())"
                if isinstance(state_dict, Module)
                else "pass what model.state_dict() returns (or tg.load(...) read from a file)"
            )
            raise TypeError(
                f"load_state_dict: state_dict must be a mapping of parameter name -> array, got "
                f"{type(state_dict).__name__} {_short_repr(state_dict)}; {fix}"
            )
        strict = check_flag(strict, "strict", "load_state_dict")
        params = dict(self._named_parameters(rename=not self._is_child))
        missing = [key for key in params if key not in state_dict]
        unexpected = [key for key in state_dict if key not in params]
        if strict and (missing or unexpected):
            raise ValueError(_key_report(type(self).__name__, missing, unexpected, list(params)))
        values = {key: _checked_value(key, params[key], state_dict[key]) for key in params if key in state_dict}
        for key, value in values.items():
            np.copyto(params[key].data, value)
        return IncompatibleKeys(missing, unexpected)

    # ---- repr -------------------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr line (override it, e.g. ``in_features=3``)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = [f"({name}): {_indent(repr(child))}" for name, child in self.named_children()]
        if not extra:  # a plain user module: show its own parameters so the repr is not empty
            own = [(n, m) for attr, v in vars(self).items() for n, m in _members(attr, v) if _is_parameter(m)]
            lines = [f"({n}): Parameter(shape={p.shape}, dtype={p.dtype})" for n, p in own] + lines
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n".join("  " + line for line in lines)
        return f"{type(self).__name__}({extra}\n{body}\n)"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _key_report(owner: str, missing: list[str], unexpected: list[str], expected: list[str]) -> str:
    parts = [f"load_state_dict: the state dict does not match {owner}'s parameters."]
    if missing:
        parts.append(f"Missing keys: {', '.join(repr(k) for k in missing)}.")
    if unexpected:
        parts.append(f"Unexpected keys: {', '.join(repr(k) for k in unexpected)}.")
    parts.append(
        f"Expected keys: {', '.join(repr(k) for k in expected) or '(none)'}. Save with model.state_dict() from "
        "the same architecture, or pass strict=False to load only the matching keys."
    )
    return " ".join(parts)


def _checked_value(key: str, param: Tensor, value: Any) -> np.ndarray:
    """``value`` as an array of ``param``'s shape and dtype, or an error naming ``key``."""
    is_array = isinstance(value, (np.ndarray, np.generic, Tensor))
    try:
        array = np.asarray(value) if is_array else np.asarray(value, dtype=param.dtype)
    except (TypeError, ValueError) as err:  # a string, a ragged list, None ...
        raise ValueError(
            f"load_state_dict: the value for {key!r} must be an array of shape {param.shape}, got "
            f"{type(value).__name__} {_short_repr(value)} ({err}); save with model.state_dict()"
        ) from None
    if array.shape != param.shape:
        raise ValueError(
            f"load_state_dict: shape mismatch for {key!r}: the state dict has shape {array.shape}, the "
            f"parameter has shape {param.shape}. Was it saved from a model with other layer sizes?"
        )
    if array.dtype != param.dtype:
        raise TypeError(
            f"load_state_dict: dtype mismatch for {key!r}: the state dict has dtype {array.dtype}, the "
            f"parameter has dtype {param.dtype}. Convert it first, e.g. value.astype(np.{param.dtype})."
        )
    return array
