r"""The autodiff engine: grad mode, the graph walk, and the backward pass.

Every operation on tensors that require gradients records a graph node (``tensor.py`` builds it): the result
keeps the primitive ``op`` (from :mod:`tinygrad_edu.ops`, which states the local derivative) and its
``inputs``. ``backward()`` walks the graph from the output to the leaves applying the chain rule

.. math:: \bar x = \sum_{y \,\in\, \mathrm{consumers}(x)} \left(\frac{\partial y}{\partial x}\right)^{\!\top} \bar y,
          \qquad \bar L = 1,

where :math:`\bar v = \partial L / \partial v`, in an order where every consumer of :math:`x` comes before
:math:`x` (Kahn's algorithm, :func:`topological_order`): when :math:`x` is reached its gradient is complete.

With ``create_graph=True`` the rules run on Tensors instead of arrays, with grad mode on, so the gradients
are themselves graph nodes and can be differentiated again (Hessian-vector products, Newton's method).

The pass keeps its bookkeeping (consumer counts, partial gradient sums) in dictionaries of its own, never on
the nodes: passes in several threads, or one pass started from inside another's op, cannot disturb each other.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np

from . import anomaly as _anomaly
from . import ops
from ._validation import check_flag
from .anomaly import _mode as _anomaly_mode

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "backward",
    "grad",
    "backward_order",
    "consumer_counts",
    "topological_order",
]

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------------------------------------
# grad mode (per thread, like PyTorch)
# --------------------------------------------------------------------------------------------------------


class _GradMode(threading.local):
    enabled = True  # the class attribute is every new thread's starting value


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether operations record the graph in this thread (True unless inside ``no_grad``)."""
    return _grad_mode.enabled


class _GradModeContext:
    """A context manager and decorator that sets this thread's grad mode to ``mode`` inside, and restores
    the previous mode on exit (also after an exception)."""

    mode: bool
    prev: bool

    def __enter__(self) -> None:
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self.prev

    def __call__(self, func: F) -> F:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _grad_mode.enabled
            _grad_mode.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _grad_mode.enabled = prev

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):
    """Context manager and decorator (``@no_grad`` or ``@no_grad()``): no graph is recorded inside, results
    have ``requires_grad=False``.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> w = tg.Tensor([1.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self if func is None else self(func)


class enable_grad(_GradModeContext):
    """Context manager and decorator (``@enable_grad`` or ``@enable_grad()``): record the graph inside, even
    within ``no_grad``."""

    mode = True

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self if func is None else self(func)


class set_grad_enabled(_GradModeContext):
    """Turn graph recording on or off: as a function call, a context manager or a decorator.

    ``set_grad_enabled(False)`` called plainly switches recording off for this thread until switched on
    again; used in a ``with`` block (or as a decorator, ``@set_grad_enabled(False)``) it restores the
    previous mode on exit.
    """

    def __init__(self, mode: bool) -> None:
        check_flag(mode, "mode", "set_grad_enabled")
        self.mode = bool(mode)
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = self.mode  # takes effect at once, for the plain-call form

    def __enter__(self) -> None:
        _grad_mode.enabled = self.mode  # self.prev was recorded before __init__ switched the mode

    def __call__(self, func: F) -> F:
        _grad_mode.enabled = self.prev  # as a decorator the mode applies inside calls only
        return super().__call__(func)


# --------------------------------------------------------------------------------------------------------
# what the engine knows of a tensor
# --------------------------------------------------------------------------------------------------------


class GraphNode:
    """A value in the graph: its array, gradient and place in the graph (``tensor.Tensor`` adds the API).

    ``_op`` is the primitive that made it (``None`` for a leaf), ``_inputs`` the op's inputs (tensors, or
    constants such as Python numbers), ``_retains_grad`` whether a non-leaf keeps its ``.grad``.
    """

    __slots__ = ("__weakref__", "_inputs", "_op", "_retains_grad", "_walk", "data", "grad", "name", "requires_grad")
    #: True for the placeholder a released graph keeps of a tensor (``tensor.ReleasedTensor``)
    _is_placeholder: ClassVar[bool] = False
    data: np.ndarray
    grad: Any
    name: str | None
    requires_grad: bool
    _op: ops.Function | None
    _inputs: tuple[Any, ...] | None
    _retains_grad: bool
    _walk: object  # the stamp of the last graph walk that reached this node (see consumer_counts)

    def _constant(self, data: np.ndarray) -> GraphNode:  # pragma: no cover - Tensor implements it
        """A new leaf of this class holding ``data`` (a seed gradient under ``create_graph``)."""
        raise NotImplementedError

    def _placeholder(self) -> GraphNode:  # pragma: no cover - Tensor implements it
        """What a released graph keeps of this tensor: its place, without its values."""
        raise NotImplementedError


# --------------------------------------------------------------------------------------------------------
# the graph walk: who consumes whom, and an order where every consumer comes first
# --------------------------------------------------------------------------------------------------------

# Passes in several threads take turns: they may share leaves (a model's parameters), whose .grad they add
# to, and walks in several threads would stamp the same nodes.
# Reentrant, so that a pass may start another (tg.grad inside a closure inside a backward, say).
_pass_lock = threading.RLock()


_RELEASED_MESSAGE = (
    "trying to backward through the graph a second time (or to use it after it was freed): the saved "
    "arrays of {op} were released by the first backward. Pass retain_graph=True to the first backward() "
    "if you need to backward through the graph again, or recompute the forward pass."
)


def consumer_counts(root: GraphNode, *, released_ok: bool = False) -> dict[GraphNode, int]:
    """The nodes that a gradient from ``root`` reaches through two or more graph edges, with their number of
    consumers (edges that lead out of the node towards ``root``). Every other node reached has exactly one
    consumer (``root`` none). Iterative, so depth is no limit.

    Only the shared nodes are listed because they are few: in a chain of a million ops there are none, and a
    dictionary of every node would cost 80 MB and, at 2x10^5 nodes, 15% of backward's time
    (benchmarks/run.py's deep_chain). Which nodes this walk has already reached is marked on the nodes instead,
    with a stamp of the walk's own (``_walk``): nothing to clean up after an error, and a walk that starts
    while another pass runs (a pass nested in a rule) stamps with its own token once the outer walk is over.

    Raises RuntimeError if part of the graph was released by an earlier backward pass, unless ``released_ok``
    (reading the structure only, as :func:`backward_order` does).
    """
    shared: dict[GraphNode, int] = {}
    stamp = object()  # this walk's own
    root._walk = stamp
    stack = [root]
    with _pass_lock:  # two walks in two threads must not stamp the same nodes at once
        while stack:
            node = stack.pop()
            op = node._op
            if op is None:
                continue
            if op.saved is None and not released_ok:
                raise RuntimeError(_RELEASED_MESSAGE.format(op=type(op).__name__))
            # the node builder made them equally long (zip's strict= keyword costs measurably on this per-node path)
            for x, need in zip(node._inputs, op.needs_input_grad):  # type: ignore[arg-type]  # noqa: B905
                if need:
                    if x._walk is not stamp:  # the first edge into x: walk on from it
                        x._walk = stamp
                        stack.append(x)
                    else:
                        shared[x] = shared.get(x, 1) + 1
    return shared


def topological_order(root: GraphNode, counts: dict[GraphNode, int]) -> Iterator[GraphNode]:
    """Kahn's algorithm: yield the nodes that a gradient from ``root`` reaches, each after all of its consumers.

    ``counts`` is :func:`consumer_counts`'s (which this consumes). A node becomes ready when the last of its
    consumers has been yielded; ready nodes wait on a LIFO stack, so a chain is followed to its end before a
    branch. A node's inputs are read before it is yielded: the caller may then release its links.
    """
    ready = [root]
    while ready:
        node = ready.pop()
        op = node._op
        if op is not None:
            for x, need in zip(node._inputs, op.needs_input_grad):  # type: ignore[arg-type]  # noqa: B905
                if need:
                    if x in counts:  # shared: ready after its last consumer
                        left = counts[x] - 1
                        counts[x] = left
                        if left:
                            continue
                    ready.append(x)
        yield node


def backward_order(root: GraphNode) -> list[GraphNode]:
    """The nodes in the order ``root.backward()`` visits them (root first, leaves last); reads the graph's
    structure only, so it works after backward too (released nodes appear as their placeholders)."""
    if not root.requires_grad:
        return []
    return list(topological_order(root, consumer_counts(root, released_ok=True)))


# --------------------------------------------------------------------------------------------------------
# the backward pass
# --------------------------------------------------------------------------------------------------------


def seed_gradient(root: GraphNode, grad: Any, create_graph: bool) -> Any:
    """The gradient that starts a pass from ``root``: ``grad`` checked (ones for a one-element ``root``), an
    array, or under ``create_graph`` a Tensor (``grad`` itself if it is one, so that it can be differentiated)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() was called on a tensor that does not require grad: none of the tensors it was "
            "computed from has requires_grad=True, or it was computed under no_grad()"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() needs grad= for a non-scalar output of shape {root.data.shape}: pass grad (the "
                "gradient of the final loss with respect to this tensor, same shape), or reduce the output "
                "to a scalar first, e.g. y.sum().backward() or y.mean().backward()"
            )
        seed = np.ones(root.data.shape, dtype=root.data.dtype)
    else:
        seed = np.asarray(grad.data if isinstance(grad, GraphNode) else grad)
        if seed.dtype.kind not in "biuf":
            raise TypeError(
                f"backward(grad=...) needs numbers (an array, a Tensor or a Python number of the output's shape "
                f"{root.data.shape}), got {grad!r} of dtype {seed.dtype}"
            )
        if seed.shape != root.data.shape:
            raise ValueError(
                f"backward(grad=...) got a gradient of shape {seed.shape} for a tensor of shape {root.data.shape}; "
                "they must be equal"
            )
        if seed.dtype.kind != "f":
            seed = seed.astype(root.data.dtype)
    if not create_graph:
        return seed
    if isinstance(grad, GraphNode) and grad.data.dtype.kind == "f":
        return grad
    return root._constant(seed)


def backward(
    root: GraphNode,
    grad: Any = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    capture: dict[int, GraphNode] | None = None,
) -> dict[int, Any]:
    """Propagate from ``root`` to every node that requires grad; the engine behind ``Tensor.backward`` and
    :func:`grad`.

    With ``capture=None`` leaves (and ``retain_grad`` nodes) accumulate into ``.grad``; otherwise nothing is
    written and the complete gradients of the captured nodes (keyed by ``id``) are returned. Under
    ``create_graph`` gradients are Tensors (and the graph is retained: the new graph refers to the old one).
    """
    check_flag(retain_graph, "retain_graph", "backward")
    check_flag(create_graph, "create_graph", "backward")
    retain_graph = retain_graph or create_graph  # PyTorch's rule: the new graph refers to the old one
    seed = seed_gradient(root, grad, create_graph)
    with _pass_lock:
        previous_mode = _grad_mode.enabled
        _grad_mode.enabled = create_graph  # the rules record a graph exactly when it must be differentiable
        try:
            return _propagate(root, seed, retain_graph, create_graph, capture)
        finally:
            _grad_mode.enabled = previous_mode


def _propagate(
    root: GraphNode, seed: Any, retain_graph: bool, create_graph: bool, capture: dict[int, GraphNode] | None
) -> dict[int, Any]:
    """:func:`backward`'s loop, Kahn's algorithm as in :func:`topological_order`: a node is ready once all of its
    consumers have delivered their share of its gradient, which is then complete; it passes that gradient to
    its own ``.grad`` if it keeps one, and through its op's rule to its inputs."""
    counts = consumer_counts(root)
    partial: dict[GraphNode, Any] = {}  # the sums so far of the nodes still waiting for a consumer
    captured: dict[int, Any] = {}
    check_anomalies = _anomaly.active and _anomaly_mode.enabled  # NaN/inf gradients, arrays written since forward
    released: dict[int, GraphNode] = {}  # id(tensor) -> its placeholder, one per tensor (see _weak_links)
    # (node, its complete gradient, whether that array is new: nobody else holds it, see _accumulate_into)
    ready = [(root, seed, False)]
    while ready:
        node, g, owned = ready.pop()
        dtype = node.data.dtype
        if g.dtype is not dtype and g.dtype != dtype:  # numpy shares one dtype object per type: `is` decides cheaply
            g, owned = ops.cast(g, dtype), True
        op = node._op
        if capture is not None:
            if id(node) in capture:
                captured[id(node)] = g
        elif op is None or node._retains_grad:
            _accumulate_into(node, g, owned)
        if op is None:
            continue
        inputs: tuple[Any, ...] = node._inputs  # type: ignore[assignment]
        # the rule gets Tensors when the gradient must be differentiable, else the arrays the forward received.
        # One to three arguments are spelled out: CPython 3.11 runs a call with *args through its slow generic
        # path (callgrind, benchmarks/op_overhead.py's chain: 1,350 more instructions per op, 4% of an op).
        out: Any
        if create_graph:
            out, args = node, inputs
        else:
            out, args = node.data, op.args
        if len(args) == 2:
            input_grads = op.vjp(g, out, args[0], args[1])
        elif len(args) == 1:
            input_grads = op.vjp(g, out, args[0])
        elif len(args) == 3:  # nn.Linear's fused op with its bias
            input_grads = op.vjp(g, out, args[0], args[1], args[2])
        else:
            input_grads = op.vjp(g, out, *args)
        if len(input_grads) != len(inputs):
            raise RuntimeError(
                f"{_rule_name(op)} returned {len(input_grads)} gradient(s) for {len(inputs)} input(s); "
                "it must return one per input (None where needs_input_grad is False)"
            )
        if check_anomalies:
            _anomaly.check_node_backward(
                node, ops.values(g), [None if x is None else ops.values(x) for x in input_grads]
            )
        new = op.grads_are_new
        for x, gx, need in zip(inputs, input_grads, op.needs_input_grad):  # noqa: B905 (lengths checked above)
            if not need:  # a constant, or a gradient the op computed although nobody asked for it
                continue
            if gx is None:
                raise RuntimeError(f"{_rule_name(op)} returned None for an input that requires grad")
            if counts and x in counts:  # x has several consumers (in a chain none has: no lookup)
                left = counts[x] - 1
                counts[x] = left
                if left:  # more of them will deliver: keep the partial sum
                    earlier = partial.get(x)
                    partial[x] = gx if earlier is None else earlier + gx
                else:  # the last one: x's gradient is complete
                    ready.append((x, partial.pop(x) + gx, True))
            else:  # the only consumer
                ready.append((x, gx, new))
        if not retain_graph:  # free what the rule needed; links to large intermediates become weak
            op.saved, op.args = None, ()
            node_type = type(node)  # (a type test is cheaper than isinstance on this per-node path)
            for x in inputs:  # _should_release's first tests, inlined: most nodes have no large input to let go
                if type(x) is node_type and x.data.nbytes > RELEASE_MIN_BYTES:
                    node._inputs = _weak_links(inputs, released)
                    break
            if released:
                _adopt_links(node, released)
    return captured


def _rule_name(op: ops.Function) -> str:
    """``Op.vjp``, or ``Op.backward`` for a function written with the first-order ``backward(grad)``."""
    method = "backward" if type(op).vjp is ops.Function.vjp else "vjp"
    return f"{type(op).__name__}.{method}"


def _accumulate_into(node: GraphNode, g: Any, owned: bool) -> None:
    """Add ``g`` into ``node.grad``: an array the tensor owns, of its shape, dtype and layout; or, under
    ``create_graph``, a Tensor with its graph.

    The first array gradient is copied, unless ``owned`` says that nothing else holds ``g`` (a new array from
    a rule with ``grads_are_new``, or a sum the engine made) and it already has the tensor's memory layout:
    then it becomes ``.grad`` as it is.
    """
    if g.shape != node.data.shape:
        raise RuntimeError(
            f"a backward pass produced a gradient of shape {g.shape} for a tensor of shape {node.data.shape}; "
            "the rule of the op that consumed it must reduce its gradient to the input's shape (unbroadcast)"
        )
    grad = node.grad
    if grad is None:  # the pass's first gradient for this tensor (the usual case: tested first)
        # kept as it is: a new array nobody else holds, in the tensor's layout; or, under create_graph, a Tensor
        keep = type(g) is np.ndarray and owned and g.strides == node.data.strides and g.flags.writeable
        if keep or isinstance(g, GraphNode):
            node.grad = g
        else:  # an array someone else holds, or a numpy scalar from a rule
            node.grad = np.empty_like(node.data)  # the tensor's own memory layout: updates stay contiguous
            np.copyto(node.grad, g)
    elif isinstance(g, GraphNode) or isinstance(grad, GraphNode):  # create_graph: gradients are Tensors
        node.grad = grad + g
    else:
        node.grad = grad + g.astype(node.data.dtype, copy=False)


def grad(
    outputs: GraphNode,
    inputs: GraphNode | Sequence[GraphNode],
    grad_outputs: Any = None,
    retain_graph: bool = False,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated into ``.grad``.

    Like ``torch.autograd.grad``: nothing's ``.grad`` changes. An input that ``outputs`` does not depend
    on gets ``None``.

    Parameters
    ----------
    outputs : Tensor
        The tensor to differentiate (one element, or pass ``grad_outputs``).
    inputs : Tensor or sequence of Tensors
        Tensors that require grad (leaves or intermediate results).
    grad_outputs : array-like or Tensor, optional
        :math:`\\partial L/\\partial \\mathrm{outputs}` for a non-scalar output.
    retain_graph : bool, default False
        Keep the graph for another backward pass (implied by ``create_graph``).
    create_graph : bool, default False
        Return Tensors that carry their own graph, so that the gradients can be differentiated again:
        ``g, = tg.grad(f, x, create_graph=True)`` then ``tg.grad((g * v).sum(), x)`` is a Hessian-vector
        product. Otherwise the gradients are numpy arrays.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> (dy,) = tg.grad(x ** 3, x, create_graph=True)   # 3 x^2 = 27, a Tensor with a graph
    >>> tg.grad(dy, x)                                  # 6 x = 18
    (array(18., dtype=float32),)
    """
    if not isinstance(outputs, GraphNode):
        raise TypeError(f"grad(): outputs must be a Tensor (the result to differentiate), got {type(outputs).__name__}")
    check_flag(retain_graph, "retain_graph", "grad()")
    check_flag(create_graph, "create_graph", "grad()")
    single = isinstance(inputs, GraphNode)
    if not single and not isinstance(inputs, (list, tuple)):
        raise TypeError(f"grad(): inputs must be a Tensor or a list of Tensors, got {type(inputs).__name__}")
    targets: list[Any] = [inputs] if single else list(inputs)  # type: ignore[arg-type]
    for i, t in enumerate(targets):
        if not isinstance(t, GraphNode) or not t.requires_grad:
            what = "a Tensor with requires_grad=False" if isinstance(t, GraphNode) else type(t).__name__
            raise ValueError(
                f"grad(): input {i} must be a Tensor that requires grad, got {what}; pass the tensors you "
                "differentiate with respect to (created with requires_grad=True, or computed from them)"
            )
    captured = backward(outputs, grad_outputs, retain_graph, create_graph, capture={id(t): t for t in targets})
    results: list[Any] = []
    for t in targets:
        g = captured.get(id(t))
        if g is not None and not create_graph:
            g = np.array(g, dtype=t.data.dtype, copy=True)
        results.append(g)
    return tuple(results)


# --------------------------------------------------------------------------------------------------------
# releasing the graph after backward (see tensor.ReleasedTensor)
# --------------------------------------------------------------------------------------------------------

# Tensors whose links stay strong after backward although only the graph holds them: the inputs and outputs of
# the module calls that ``tg.viz.trace_modules`` recorded, so that ``draw_graph(collapse_modules=True)`` still
# finds its boxes after backward. id -> weak reference (the entry leaves with its tensor). Empty unless tracing.
_pinned: dict[int, weakref.ref] = {}


def pin(t: GraphNode) -> None:
    """Keep the graph's links to ``t`` strong after backward (used by ``tg.viz.trace_modules``)."""
    key = id(t)
    if key not in _pinned:

        def unpin(ref: weakref.ref, key: int = key) -> None:
            _pinned.pop(key, None)

        _pinned[key] = weakref.ref(t, unpin)


# A link is made weak only to a tensor whose values take more than this many bytes. A placeholder costs about
# 300 bytes and a few microseconds of backward's time; below 64 KiB that would be a large share of the op that
# made the tensor and would save little memory. Measured with callgrind (instructions, before the release
# existed -> with it): benchmarks/op_overhead.py's chain of (16,) tensors, per op: 36,611 -> 35,051; forward and
# backward of a 20-32-3 MLP at batch 32, per step: 557,187 -> 571,061 (with a 1 KiB limit: 605,741).
RELEASE_MIN_BYTES = 64 * 1024


def _should_release(x: Any) -> bool:
    """Whether a consumer's link to ``x`` becomes weak after backward (see ``tensor.ReleasedTensor``)."""
    return (
        isinstance(x, GraphNode)
        and not x._is_placeholder
        and x.data.nbytes > RELEASE_MIN_BYTES
        and not x._retains_grad
        and (x._op is not None or not x.requires_grad)
        and (not _pinned or id(x) not in _pinned)
    )


def _adopt_links(node: GraphNode, released: dict[int, GraphNode]) -> None:
    """Kahn's order visits every consumer of a tensor before the tensor itself, so when ``node`` comes, its
    placeholder (if a consumer made one) takes over ``node``'s links, released or not."""
    own = released.get(id(node))
    if own is not None and own._ref() is node:  # type: ignore[attr-defined]
        own._inputs = node._inputs


def _weak_links(links: tuple[Any, ...], released: dict[int, GraphNode]) -> tuple[Any, ...]:
    """Once backward has used a node: its ``links`` (inputs) with each tensor that :func:`_should_release`
    replaced by its placeholder, one per tensor, shared by all its consumers. The placeholders are keyed by
    ``id`` so that the pass does not keep the tensors alive itself; the weak reference tells a reused ``id``
    apart."""
    weak = []
    for x in links:
        if _should_release(x):
            ghost = released.get(id(x))
            if ghost is None or ghost._ref() is not x:  # type: ignore[attr-defined]
                ghost = released[id(x)] = x._placeholder()
            x = ghost
        weak.append(x)
    return tuple(weak)
