r"""Pictures of the computation graph: ``draw_graph(loss)`` returns a ``graphviz.Digraph``.

Every tensor reachable from the root is a box, every primitive op that produced one is an ellipse between its
inputs and its output, so the picture reads like the chain rule: ``backward()`` walks the arrows in reverse.

What the picture shows
----------------------
* **Tensor boxes**: the name (parameters of ``nn.Module`` models carry their dotted path, "layers.0.weight"),
  shape and dtype, the data and the gradient: the values themselves for tensors of up to 6 elements,
  otherwise ``mean``/``std``/``min``/``max`` of the data and ``norm``/``mean``/``min``/``max`` of the
  gradient (NaN and inf are counted and left out of the statistics). Leaves that require grad
  (parameters, blue), inputs and constants (grey, dashed: no gradient flows into them), intermediate
  results (white) and the output (green, double border) look different; a legend explains the code.
* **Op ellipses**: the op's ``.name`` and its ``.attributes()`` (``axis=1``, ``shape=(2, 3)``; attributes that
  are ``None`` or ``False``, the defaults, are left out). **Python-scalar operands are written into the op's
  label** as a formula (``x ** 2``, ``2 − x``, ``x × 0.5``), not drawn as nodes: they have no gradient and no
  identity, and the formula keeps the operand order visible. Ops whose operand order matters and that have
  several tensor operands label their edges (``a``/``b``, ``cond``, ``logits``/``target``, or positions for
  ``concatenate``/``stack``) to match the formula. Numpy arrays that an op received directly (the labels of
  ``cross_entropy``, the condition of ``where``) are grey constant boxes.
* Only leaves keep ``.grad`` after ``backward()`` (PyTorch's rule). To see the gradient of every intermediate
  tensor, as in micrograd's pictures, call :func:`retain_grads` on the output before ``backward()``.
* ``show_backward_order=True`` numbers the tensors 1, 2, 3 ... in the order ``backward()`` visits them (see
  :func:`backward_order`).
* ``collapse_modules=True`` draws each ``nn.Module`` call as one box ("Linear(784→256)") inside a frame for the
  model; the forward pass must have run inside ``with tg.viz.trace_modules():`` (see :class:`trace_modules`).
* ``max_nodes`` (500 by default) keeps the picture readable: the nodes nearest the output are drawn and a red
  "… N more nodes" marker stands for the rest.

The walk over the graph is iterative (a queue and a stack, no recursion), so a chain of 50,000 ops is fine.
The result renders inline in Jupyter (``_repr_mimebundle_``: the last line of a cell shows the SVG),
:func:`save_graph` writes svg / png / pdf / dot files, and without Graphviz's ``dot`` program the DOT text is
still available (``graph.source``, ``save_graph(..., format="dot")``) while rendering raises
:class:`GraphvizNotFoundError`, whose message says how to install it.
"""

from __future__ import annotations

import functools
import html
import itertools
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .. import engine
from ..engine import pin
from ..nn.module import Module
from ..ops import Function
from ..tensor import ReleasedTensor, Tensor

__all__ = [
    "draw_graph",
    "save_graph",
    "trace_modules",
    "retain_grads",
    "backward_order",
    "ComputationGraph",
    "GraphvizNotFoundError",
    "INSTALL_HINT",
]

# --------------------------------------------------------------------------------------------------------
# look
# --------------------------------------------------------------------------------------------------------

_FONT = "Helvetica,Arial,sans-serif"
_TINY = 6  # tensors with at most this many elements show their values, larger ones statistics
_NAME_LIMIT = 48  # characters of a name before it is cut with "…"
_VALUES_LIMIT = 96  # characters of a line of values (6 numbers of 4 digits in brackets fit)
_GRAD_COLOUR = "#b91c1c"
_MUTED = "#4b5563"
_INK = "#111827"  # formulas; also the background of the backward-order strip
_BADGE = _INK

# Node attributes per kind. Colour and border style both carry the meaning, so a greyscale print still works.
_STYLE: dict[str, dict[str, str]] = {
    "parameter": {"shape": "box", "style": "filled", "fillcolor": "#dbeafe", "color": "#1d4ed8", "penwidth": "1.6"},
    "constant": {"shape": "box", "style": "filled,dashed", "fillcolor": "#f3f4f6", "color": "#6b7280"},
    "tensor": {"shape": "box", "style": "filled,rounded", "fillcolor": "#ffffff", "color": "#6b7280"},
    "output": {
        "shape": "box",
        "style": "filled,bold",
        "fillcolor": "#dcfce7",
        "color": "#15803d",
        "peripheries": "2",
    },
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fef3c7", "color": "#b45309"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#ede9fe", "color": "#6d28d9", "penwidth": "1.4"},
    "more": {"shape": "box", "style": "dashed,rounded", "color": _GRAD_COLOUR, "fontcolor": _GRAD_COLOUR},
}
_LEGEND_ROWS = (
    ("parameter", "leaf that requires grad (parameter)"),
    ("constant", "input / constant (no grad)"),
    ("tensor", "intermediate result"),
    ("output", "output (where backward starts)"),
    ("op", "primitive op"),
)

# Binary ops written as a formula when an operand is a Python scalar or the operand order matters.
_INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "/", "pow": "**", "matmul": "@"}
_COMMUTATIVE = frozenset({"add", "mul", "maximum", "minimum"})
_ARG_NAMES = {
    "where": ("cond", "a", "b"),
    "crossentropy": ("logits", "target"),
    "binarycrossentropywithlogits": ("logits", "target"),
    "binarycrossentropy": ("probs", "target"),
}
_POSITIONAL = frozenset({"concatenate", "stack"})


# --------------------------------------------------------------------------------------------------------
# errors and the Digraph subclass
# --------------------------------------------------------------------------------------------------------

INSTALL_HINT = (
    "drawing the graph as a picture needs Graphviz's `dot` program, which was not found on PATH. Install it "
    "with your system's package manager: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS), `conda install graphviz` (conda), or see https://graphviz.org/download/ (`pip install graphviz` "
    "only installs the Python bindings). Without it, `graph.source` is the graph as DOT text and "
    'tg.viz.save_graph(graph, "graph.dot", format="dot") writes it to a file.'
)


class GraphvizNotFoundError(RuntimeError):
    """Raised when a graph is rendered (svg, png, pdf, Jupyter) but Graphviz's ``dot`` is not installed."""


class ComputationGraph(graphviz.Digraph):
    """The ``graphviz.Digraph`` returned by :func:`draw_graph`.

    It renders inline in Jupyter and has all of ``Digraph``'s methods (``.source``, ``.pipe``, ``.render``);
    rendering without Graphviz's ``dot`` raises :class:`GraphvizNotFoundError` with installation hints, while
    Jupyter's inline display falls back to the hint and the DOT text.

    Attributes
    ----------
    num_nodes : int
        Graph nodes drawn (tensors, ops, constant arrays, module boxes), without the legend and the marker.
    num_hidden : int
        Graph nodes left out because of ``max_nodes`` (the number on the "… N more nodes" marker).
    """

    num_nodes: int = 0
    num_hidden: int = 0

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as err:
            raise GraphvizNotFoundError(INSTALL_HINT) from err

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as err:
            raise GraphvizNotFoundError(INSTALL_HINT) from err

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Jupyter's display: the SVG picture, or, without Graphviz's ``dot``, the install hint and the DOT text
        (a notebook cell that draws a graph still runs on a machine without Graphviz)."""
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except (GraphvizNotFoundError, graphviz.ExecutableNotFound):
            return {"text/plain": f"{INSTALL_HINT}\n\nThe graph as DOT text:\n{self.source}"}


# --------------------------------------------------------------------------------------------------------
# walking the graph (iteratively: deep graphs must not hit Python's recursion limit)
# --------------------------------------------------------------------------------------------------------


def _check_root(root: Any, fn: str) -> Tensor:
    if not isinstance(root, Tensor):
        raise TypeError(
            f"{fn} needs a Tensor (the output of a computation, e.g. the loss), got {type(root).__name__}"
            f"{_root_hint(root)}"
        )
    return root


def _root_hint(root: Any) -> str:
    """How to get the Tensor from what was passed instead (the fix part of ``_check_root``'s message)."""
    if isinstance(root, Module):
        return "; draw what the model computes: draw_graph(model(x)) or the loss"
    if isinstance(root, (float, int, np.ndarray, np.generic)):
        return f" {repr(root)[:60]}; pass the Tensor itself, not loss.item(), loss.data or loss.numpy()"
    if isinstance(root, (list, tuple)):
        return "; draw one Tensor at a time, e.g. the loss (or tg.stack the outputs into one)"
    return "; pass the Tensor that a computation returned, e.g. the loss"


def backward_order(root: Tensor) -> list[Tensor]:
    """The tensors in the order ``root.backward()`` visits them: root first, leaves last.

    It is the engine's own order (:func:`tinygrad_edu.engine.topological_order`, Kahn's algorithm) on the
    graph's structure: count, for each tensor that requires grad, the edges that lead from it towards ``root``;
    then pop tensors from a LIFO stack that starts with ``root``, and push an input once all of its consumers
    have delivered their share of its gradient (its count drops to 0). Tensors that do not require grad are
    never visited. Only the graph's structure is read, so it works before and after ``backward()``.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor(2.0, requires_grad=True, name="a")
    >>> b = (a * 3).exp()
    >>> [t.name or t.grad_fn.name for t in tg.viz.backward_order(b)]
    ['exp', 'mul', 'a']
    """
    _check_root(root, "backward_order")
    return [_live(t) for t in engine.backward_order(root)]


def _live(t: Any) -> Tensor:
    """The tensor itself for a placeholder of a released graph that something still holds."""
    return t.tensor() if isinstance(t, ReleasedTensor) else t


def _reachable(root: Tensor) -> list[Tensor]:
    """Every tensor reachable from ``root`` through op inputs, constants included (what a drawing shows),
    breadth first: the nearest to the output first."""
    order = [root]
    seen = {id(root)}
    i = 0
    while i < len(order):
        for x in order[i].inputs:
            if isinstance(x, Tensor) and id(x) not in seen:
                seen.add(id(x))
                order.append(x)
        i += 1
    return order


def retain_grads(root: Tensor) -> int:
    """Ask every intermediate tensor of ``root``'s graph to keep its gradient (``retain_grad()``).

    Call it before ``root.backward()`` to see the gradient of each node in :func:`draw_graph`, as in
    micrograd's pictures (by default only leaves keep ``.grad``). Returns the number of tensors changed.
    """
    count = 0
    for t in backward_order(_check_root(root, "retain_grads")):
        if not t.is_leaf:
            t.retain_grad()
            count += 1
    return count


# --------------------------------------------------------------------------------------------------------
# text: numbers, values, escaping
# --------------------------------------------------------------------------------------------------------


def _num(x: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits: 2, -0.25, 1.235e5."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if x == 0:  # also -0.0, which a saturated tanh or relu gradient often is
        return "0"
    text = format(float(x), f".{digits}g")
    return text.replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")


def _values(arr: np.ndarray) -> str:
    """The values of a tiny array as nested brackets: [[1, 2], [3, 4]]. Recursion depth is ``ndim``."""
    if arr.ndim == 0:
        return _num(arr.item())
    return "[" + ", ".join(_values(a) for a in arr) + "]"


def _summary(arr: np.ndarray, grad: bool) -> list[str]:
    """One or two lines about ``arr``: its values when tiny, otherwise statistics."""
    if arr.size == 0:
        return ["empty"]
    if arr.size <= _TINY:
        return [_values(arr)]
    values = arr.astype(np.float64) if arr.dtype.kind in "biuf" else arr
    finite = values[np.isfinite(values)]
    lines = []
    if finite.size:
        if grad:
            lines += [f"norm {_num(np.linalg.norm(finite))}  mean {_num(finite.mean())}"]
        else:
            lines += [f"mean {_num(finite.mean())}  std {_num(finite.std())}"]
        lines += [f"min {_num(finite.min())}  max {_num(finite.max())}"]
    n_nan, n_inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
    if n_nan or n_inf:
        lines += [", ".join(f"{n} {what}" for n, what in ((n_nan, "nan"), (n_inf, "inf")) if n)]
    return lines


def _visible(text: Any, limit: int = _NAME_LIMIT) -> str:
    """``text`` with control characters written as escapes (a newline becomes the two characters \\n), cut
    to ``limit`` characters: what a label shows. Not yet HTML-escaped."""
    s = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _esc(text: Any, limit: int = _NAME_LIMIT) -> str:
    """``text`` made safe inside a Graphviz HTML-like label: quotes, &, <, > become entities. Braces and
    backslashes need nothing there (HTML labels have no escape sequences), and no name is ever used as a
    node id, so no user text reaches the DOT syntax outside a label."""
    return html.escape(_visible(text, limit), quote=True)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_dtype(shape: tuple[int, ...], dtype: np.dtype) -> str:
    return f"scalar {dtype}" if shape == () else f"{_shape_text(shape)} {dtype}"


def _index_part(p: Any) -> str:
    if p is None:
        return "None"
    if p is Ellipsis:
        return "..."
    if isinstance(p, slice):
        text = ":".join("" if v is None else str(v) for v in (p.start, p.stop))
        return text + (f":{p.step}" if p.step is not None else "")
    if isinstance(p, np.ndarray):
        return _values(p) if p.size <= _TINY else f"array{_shape_text(p.shape)}"
    return str(p)


def _index_text(index: Any) -> str:
    """numpy's indexing syntax for a ``GetItem`` index: ``[:, 0]``, ``[1:3]``, ``[[0, 2]]``."""
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(_index_part(p) for p in parts) + "]"


def _attr_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_attr_value(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.ndarray):
        return _values(value) if value.size <= _TINY else f"array{_shape_text(value.shape)}"
    if isinstance(value, (float, np.floating)):
        return _num(value)
    return str(value)


# --------------------------------------------------------------------------------------------------------
# labels (Graphviz HTML-like labels: tables with bold names, coloured gradients)
# --------------------------------------------------------------------------------------------------------


def _table(rows: list[str], badge: str | None = None) -> str:
    """An HTML-like label: one left-aligned cell per row, under an optional dark strip (the backward order)."""
    cells = [f'<TR><TD ALIGN="LEFT">{row}</TD></TR>' for row in rows or [" "]]
    if badge is not None:
        cells.insert(
            0, f'<TR><TD ALIGN="LEFT" BGCOLOR="{_BADGE}"><FONT COLOR="#ffffff"><B>{badge}</B></FONT></TD></TR>'
        )
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(cells)}</TABLE>>'


def _small(text: str, colour: str = _MUTED, size: int = 10) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{colour}">{text}</FONT>'


@dataclass(frozen=True)
class _Show:
    data: bool
    grad: bool
    shapes: bool


def _tensor_label(t: Tensor, show: _Show, order: int | None) -> str:
    rows = []
    if t.name is not None:
        rows.append(f"<B>{_esc(t.name)}</B>")
    if show.shapes:
        rows.append(_small(_shape_dtype(t.shape, t.dtype)))
    if show.data and isinstance(t, ReleasedTensor):  # an intermediate that backward freed (nobody holds it)
        rows.append(_small("data released by backward()"))
    elif show.data:
        lines = _summary(np.asarray(t.data), grad=False)
        rows += [f"data {_esc(lines[0], _VALUES_LIMIT)}"] + [_esc(line) for line in lines[1:]]
    if show.grad and (t.grad is not None or (t.is_leaf and t.requires_grad)):
        lines = ["None"] if t.grad is None else _summary(np.asarray(t.grad), grad=True)
        rows += [
            f'<FONT COLOR="{_GRAD_COLOUR}">{"grad " if i == 0 else ""}{_esc(s, _VALUES_LIMIT)}</FONT>'
            for i, s in enumerate(lines)
        ]
    return _table(rows, None if order is None else f"backward #{order}")


def _array_label(arr: np.ndarray, show: _Show) -> str:
    rows = ["<B>array</B>"]
    if show.shapes:
        rows.append(_small(_shape_dtype(arr.shape, arr.dtype)))
    if show.data:
        rows += [_esc(line, _VALUES_LIMIT) for line in _summary(arr, grad=False)]
    return _table(rows)


def _is_operand(x: Any) -> bool:
    """Tensors and arrays are drawn as nodes; anything else an op received (Python scalars) is a constant."""
    return isinstance(x, (Tensor, np.ndarray))


def _arg_names(name: str, inputs: tuple[Any, ...]) -> list[str]:
    """What each operand is called in the op's formula and on its edge."""
    if name in _ARG_NAMES and len(_ARG_NAMES[name]) == len(inputs):
        return list(_ARG_NAMES[name])
    if name in _POSITIONAL:
        return [str(i) for i in range(len(inputs))]
    if sum(_is_operand(x) for x in inputs) == 1:
        return ["x" if _is_operand(x) else "" for x in inputs]
    return [chr(ord("a") + i) if i < 26 else f"x{i}" for i in range(len(inputs))]


def _formula(name: str, inputs: tuple[Any, ...], names: list[str]) -> str | None:
    """``x ** 2``, ``2 − x``, ``a @ b``, ``max(x, 0)``: how the operands combine, with scalars written in."""
    has_scalar = not all(_is_operand(x) for x in inputs)
    args = [names[i] if _is_operand(x) else _num(x, digits=6) for i, x in enumerate(inputs)]  # constants: exact
    if len(inputs) == 2 and name in _INFIX and (has_scalar or name not in _COMMUTATIVE):
        return f"{args[0]} {_INFIX[name]} {args[1]}"
    if has_scalar:
        short = {"maximum": "max", "minimum": "min"}.get(name, name)
        return f"{short}({', '.join(args)})"
    return None


def _edge_labels_needed(name: str, inputs: tuple[Any, ...]) -> bool:
    return sum(_is_operand(x) for x in inputs) >= 2 and name not in _COMMUTATIVE


def _op_label(t: Tensor, op: Function) -> str:
    name, inputs = op.name, t.inputs
    attrs = dict(op.attributes())
    rows = [f"<B>{_esc(name)}</B>"]
    if name == "getitem" and "index" in attrs:  # numpy's syntax reads better than index=(slice(...), ...)
        rows.append(_small(_esc(f"x{_index_text(attrs.pop('index'))}"), _INK))
    else:
        formula = _formula(name, inputs, _arg_names(name, inputs))
        if formula is not None:
            rows.append(_small(_esc(formula), _INK))
    shown = [f"{k}={_attr_value(v)}" for k, v in attrs.items() if v is not None and v is not False]
    if shown:
        rows.append(_small(_esc(", ".join(shown), limit=2 * _NAME_LIMIT), size=9))
    return _table(rows)


def _legend_label(extra: list[tuple[str, str]], show_order: bool) -> str:
    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>']
    for kind, text in [*_LEGEND_ROWS, *extra]:
        style = _STYLE[kind]
        rows.append(
            f'<TR><TD BGCOLOR="{style["fillcolor"]}" BORDER="1" COLOR="{style["color"]}" WIDTH="18"> </TD>'
            f'<TD ALIGN="LEFT">{text}</TD></TR>'
        )
    rows.append('<TR><TD>- - ›</TD><TD ALIGN="LEFT">no gradient flows back along a dashed arrow</TD></TR>')
    rows.append(f'<TR><TD><FONT COLOR="{_GRAD_COLOUR}">grad</FONT></TD><TD ALIGN="LEFT">∂output/∂tensor</TD></TR>')
    if show_order:
        rows.append(
            f'<TR><TD BGCOLOR="{_BADGE}"><FONT COLOR="#ffffff"><B>#n</B></FONT></TD>'
            '<TD ALIGN="LEFT">order in which backward() visits the tensor</TD></TR>'
        )
    table = '<TABLE BORDER="1" COLOR="#9ca3af" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
    return f"<{table}{''.join(rows)}</TABLE>>"


# --------------------------------------------------------------------------------------------------------
# module calls: recorded by trace_modules, grouped at drawing time
# --------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Call:
    """One recorded ``module(...)`` call: the tensors it received and returned (weakly: a record never keeps a
    graph alive) and the call's place in time, which tells nested calls from later ones."""

    label: str
    path: str | None
    start: int
    end: int
    inputs: list[weakref.ref]
    outputs: list[weakref.ref]

    def contains(self, other: _Call) -> bool:
        return self.start <= other.start and other.end <= self.end

    def alive(self, refs: list[weakref.ref]) -> list[Tensor]:
        return [t for t in (r() for r in refs) if t is not None]


# id(output tensor) -> (weak reference to it, the calls that returned it). An entry disappears with its tensor.
_CALLS_BY_OUTPUT: dict[int, tuple[weakref.ref, list[_Call]]] = {}
_clock = itertools.count()
_ORIGINAL_CALL: Callable[..., Any] = Module.__call__


def _tensors_in(obj: Any) -> list[Tensor]:
    """Tensors inside ``obj``, also inside lists, tuples and dicts (at any depth; an explicit stack)."""
    found, stack = [], [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return found


def _module_label(module: Module) -> str:
    """The box label: "Linear(784→256)" for layers with in/out features, "Softmax(axis=-1)" for a short
    extra_repr, else the class name."""
    kind = type(module).__name__
    fan_in, fan_out = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if isinstance(fan_in, int) and isinstance(fan_out, int):
        return f"{kind}({fan_in}→{fan_out})"
    extra = module.extra_repr()
    return f"{kind}({extra})" if extra and len(extra) <= 24 else kind


def _module_path(module: Module) -> str | None:
    """The module's dotted path in its model ("layers.0"), read off the name of one of its own parameters:
    ``named_parameters`` names a parameter ``<path>.<attribute>``."""
    for attr, value in vars(module).items():
        name = value.name if isinstance(value, Tensor) and value.requires_grad and value.is_leaf else None
        if isinstance(name, str) and name.endswith("." + attr):
            return name[: -len(attr) - 1]
    return None


def _record(module: Module, start: int, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
    inputs, outputs = _tensors_in((args, kwargs)), _tensors_in(out)
    call = _Call(
        label=_module_label(module),
        path=_module_path(module),
        start=start,
        end=next(_clock),
        inputs=[weakref.ref(t) for t in inputs],
        outputs=[weakref.ref(t) for t in outputs],
    )
    for x in inputs:
        pin(x)  # the engine keeps them after backward, so that the boxes can be drawn after backward too
    for t in outputs:
        pin(t)
        key = id(t)
        entry = _CALLS_BY_OUTPUT.get(key)
        if entry is None or entry[0]() is not t:
            entry = (weakref.ref(t, functools.partial(_forget, key)), [])
            _CALLS_BY_OUTPUT[key] = entry
        entry[1].append(call)


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _CALLS_BY_OUTPUT.get(key)
    if entry is not None and entry[0] is ref:
        del _CALLS_BY_OUTPUT[key]


def _traced_call(self: Module, *args: Any, **kwargs: Any) -> Any:
    start = next(_clock)
    out = _ORIGINAL_CALL(self, *args, **kwargs)
    _record(self, start, args, kwargs, out)
    return out


class trace_modules:
    """Record which ``nn.Module`` call produced which tensors, so that ``draw_graph(...,
    collapse_modules=True)`` can draw each call as one box.

    Run the forward pass inside the ``with`` block; draw afterwards::

        with tg.viz.trace_modules():
            loss = tg.nn.functional.cross_entropy(model(X), y)
        tg.viz.draw_graph(loss, collapse_modules=True)

    How: inside the block ``Module.__call__`` is replaced by a wrapper that calls the original and then notes
    the call's input and output tensors (weak references: no graph is kept alive) and when it started and
    ended; on exit the original ``__call__`` is put back (blocks may nest). Nothing is recorded outside the
    block, so models pay nothing when they are not being drawn. The switch is process-wide: calls made by
    other threads during the block are recorded too. Subclasses that override ``__call__`` itself (rather than
    ``forward``) are not seen.

    At drawing time, a call's nodes are those reached by walking back from its outputs, stopping at its inputs,
    and at tensors that belong to an earlier call that is not nested in it. A call that contains no other call
    (``Linear``, ``ReLU``) becomes one box; a call that contains others (``MLP``, ``Sequential``) becomes a frame
    around them. A non-leaf tensor computed before the call and reaching it other than as an argument (kept in
    an attribute, say) is counted as part of the call.
    """

    _depth = 0

    def __enter__(self) -> trace_modules:
        if trace_modules._depth == 0:
            Module.__call__ = _traced_call  # type: ignore[method-assign]  # patched on purpose, undone on exit
        trace_modules._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        trace_modules._depth -= 1
        if trace_modules._depth == 0:
            Module.__call__ = _ORIGINAL_CALL  # type: ignore[method-assign]  # the original, put back


@dataclass
class _Modules:
    """How the recorded module calls divide a graph: each tensor's innermost call, and the call tree."""

    innermost: dict[int, _Call] = field(default_factory=dict)
    parent: dict[_Call, _Call | None] = field(default_factory=dict)
    boxes: set[_Call] = field(default_factory=set)
    outputs: dict[_Call, set[int]] = field(default_factory=dict)
    number: dict[_Call, int] = field(default_factory=dict)  # stable names for DOT: m0, cluster_0 ...

    def box_of(self, t: Tensor) -> _Call | None:
        call = self.innermost.get(id(t))
        return call if call in self.boxes else None

    def cluster_of(self, t: Tensor) -> _Call | None:
        """The frame a visible tensor is drawn in: its call's frame, or the parent's frame if that call is a box."""
        call = self.innermost.get(id(t))
        return self.parent[call] if call in self.boxes else call


def _calls_in(tensors: list[Tensor]) -> list[_Call]:
    """The recorded calls that returned one of ``tensors``, inner (earlier finished) calls first."""
    found: dict[int, _Call] = {}
    for t in tensors:
        entry = _CALLS_BY_OUTPUT.get(id(t))
        if entry is not None and entry[0]() is t:
            found.update((id(c), c) for c in entry[1])
    return sorted(found.values(), key=lambda c: c.end)


def _claim(call: _Call, innermost: dict[int, _Call]) -> set[int]:
    """Walk back from the call's outputs; stop at its inputs and at tensors of earlier, non-nested calls."""
    boundary = {id(t) for t in call.alive(call.inputs)}
    members: set[int] = set()
    stack = call.alive(call.outputs)
    while stack:
        t = stack.pop()
        key = id(t)
        if key in members or key in boundary:
            continue
        owner = innermost.get(key)
        if owner is not None and not call.contains(owner):
            continue
        members.add(key)
        if owner is None:
            innermost[key] = call
        stack.extend(x for x in t.inputs if isinstance(x, Tensor))
    return members


def _group_modules(tensors: list[Tensor]) -> _Modules:
    calls = _calls_in(tensors)
    by_id = {id(t): t for t in tensors}
    groups = _Modules()
    useful = []
    for call in calls:  # inner calls first, so each tensor is claimed by its innermost call
        members = _claim(call, groups.innermost)
        if any(not by_id[k].is_leaf for k in members if k in by_id):  # Identity-like calls produce nothing
            useful.append(call)
            groups.outputs[call] = {id(t) for t in call.alive(call.outputs)}
    # tensors claimed by a call that produced nothing (it returned a parameter, say) go to its enclosing call
    adopted = {c: _nearest_useful(c, useful) for c in set(groups.innermost.values()) if c not in groups.outputs}
    for key, call in list(groups.innermost.items()):
        if call in adopted:
            enclosing = adopted[call]
            if enclosing is None:
                del groups.innermost[key]
            else:
                groups.innermost[key] = enclosing
    for call in useful:
        groups.parent[call] = _nearest_useful(call, useful, strict=True)
    children = {p for p in groups.parent.values() if p is not None}
    groups.boxes = {c for c in useful if c not in children}
    groups.number = {c: i for i, c in enumerate(sorted(useful, key=lambda c: c.start))}
    return groups


def _nearest_useful(call: _Call, useful: list[_Call], strict: bool = False) -> _Call | None:
    """The innermost call in ``useful`` that contains ``call`` (other than ``call`` itself when ``strict``)."""
    best = None
    for other in useful:
        if (other is call and strict) or not other.contains(call):
            continue
        if best is None or best.contains(other):
            best = other
    return best


def _module_box_label(call: _Call) -> str:
    rows = [f"<B>{_esc(call.label)}</B>"]
    if call.path:
        rows.append(_small(_esc(call.path)))
    return _table(rows)


# --------------------------------------------------------------------------------------------------------
# the abstract picture: nodes (up to max_nodes) and edges in output-first order, before emission
# --------------------------------------------------------------------------------------------------------


@dataclass
class _Node:
    kind: str
    label: Callable[[], str]  # built only for drawn nodes: a 50,000-node graph drawn at 500 stays fast
    cluster: _Call | None = None


@dataclass
class _Picture:
    """Nodes in insertion order (breadth first from the output). Past ``budget`` (max_nodes) a node is only
    counted, so drawing 500 nodes of a 100,000-node graph costs little more than walking it."""

    budget: int | None
    nodes: dict[str, _Node] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    edge_set: set[tuple[str, str]] = field(default_factory=set)

    def node(self, key: str, kind: str, label: Callable[[], str], cluster: _Call | None = None) -> None:
        if key in self.nodes or key in self.hidden:
            return
        if self.budget is None or len(self.nodes) < self.budget:
            self.nodes[key] = _Node(kind, label, cluster)
        else:
            self.hidden.add(key)

    def edge(self, src: str, dst: str, unique: bool = False, **attrs: str) -> None:
        if dst not in self.nodes:  # an edge into a node that is not drawn is not drawn either
            return
        if unique:
            if (src, dst) in self.edge_set:
                return
            self.edge_set.add((src, dst))
        self.edges.append((src, dst, attrs))


def _tensor_kind(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "output"
    if t.is_leaf:
        return "parameter" if t.requires_grad else "constant"
    return "tensor"


def _build(
    root: Tensor,
    tensors: list[Tensor],
    show: _Show,
    order: dict[int, int],
    groups: _Modules | None,
    max_nodes: int | None,
) -> _Picture:
    pic = _Picture(max_nodes)
    key_of = {id(t): f"t{i}" for i, t in enumerate(tensors)}
    arrays: dict[int, str] = {}
    modules = groups if groups is not None else _Modules()  # no recorded calls: no tensor is in a box or frame
    for i, t in enumerate(tensors):
        box = modules.box_of(t)
        cluster = modules.cluster_of(t)
        hidden = box is not None and not t.is_leaf and id(t) not in modules.outputs[box]
        if not hidden:
            pic.node(key_of[id(t)], _tensor_kind(t, root), _later(_tensor_label, t, show, order.get(id(t))), cluster)
        op = t.grad_fn
        if op is None:  # a leaf
            continue
        if box is not None:
            target = f"m{modules.number[box]}"
            pic.node(target, "module", _later(_module_box_label, box), modules.parent[box])
            if not hidden:
                pic.edge(target, key_of[id(t)], unique=True)
        else:
            target = f"op{i}"
            pic.node(target, "op", _later(_op_label, t, op), cluster)
            pic.edge(target, key_of[id(t)])
        _input_edges(pic, t, op, target, box, key_of, arrays, show, modules)
    return pic


def _later(fn: Callable[..., str], *args: Any) -> Callable[[], str]:
    return lambda: fn(*args)


def _input_edges(
    pic: _Picture,
    t: Tensor,
    op: Function,
    target: str,
    box: _Call | None,
    key_of: dict[int, str],
    arrays: dict[int, str],
    show: _Show,
    groups: _Modules,
) -> None:
    """Edges from the operands of ``t``'s op (``op``) to ``target`` (the op, or the module box that swallowed
    it)."""
    inputs = t.inputs
    names = _arg_names(op.name, inputs) if box is None and _edge_labels_needed(op.name, inputs) else None
    for j, (x, need) in enumerate(zip(inputs, op.needs_input_grad, strict=True)):
        if isinstance(x, Tensor):
            if box is not None and not x.is_leaf and groups.innermost.get(id(x)) is box:
                continue  # computed inside the same box: not drawn (the box's parameters are)
            inner = groups.box_of(x)
            if inner is not None and not x.is_leaf and id(x) not in groups.outputs[inner]:  # hidden in its box
                src = f"m{groups.number[inner]}"
            else:
                src = key_of[id(x)]
        elif isinstance(x, np.ndarray):
            if id(x) not in arrays:
                arrays[id(x)] = f"c{len(arrays)}"
                pic.node(arrays[id(x)], "constant", _later(_array_label, x, show))
            src = arrays[id(x)]
        else:
            continue  # a Python scalar: written into the op's label
        attrs = {} if need else {"style": "dashed", "color": "#9ca3af"}
        if names is not None:
            attrs["label"] = names[j]
        pic.edge(src, target, unique=box is not None, **attrs)


# --------------------------------------------------------------------------------------------------------
# emission: clusters, the "… N more nodes" marker, Digraph
# --------------------------------------------------------------------------------------------------------


def _emit_nodes(graph: graphviz.Digraph, pic: _Picture, keys: list[str], groups: _Modules | None) -> None:
    """Add the nodes, each inside the frame of its module call (frames nest like the calls)."""
    by_cluster: dict[_Call | None, list[str]] = {}
    for key in keys:
        by_cluster.setdefault(pic.nodes[key].cluster, []).append(key)
    for key in by_cluster.get(None, []):
        _emit_node(graph, key, pic.nodes[key])
    if groups is None:
        return
    frames = _Frames(pic, groups, by_cluster, {})
    for call, parent in groups.parent.items():
        if call not in groups.boxes:
            frames.children.setdefault(parent, []).append(call)
    for top in frames.children.get(None, []):
        frame = frames.build(top)
        if frame is not None:
            graph.subgraph(frame)


@dataclass
class _Frames:
    """The clusters (dashed frames) of the module calls that contain other calls."""

    pic: _Picture
    groups: _Modules
    by_cluster: dict[_Call | None, list[str]]
    children: dict[_Call | None, list[_Call]]

    def build(self, call: _Call) -> graphviz.Digraph | None:
        """The frame of ``call`` with its nodes and nested frames; None if max_nodes cut all of them. A frame
        that would only hold one other frame (MLP around its Sequential) is merged with it, keeping the outer
        label. Recursion depth is the nesting depth of the modules, not the size of the graph."""
        members = list(self.by_cluster.get(call, []))
        inner = list(self.children.get(call, []))
        while not members and len(inner) == 1:
            members = list(self.by_cluster.get(inner[0], []))
            inner = list(self.children.get(inner[0], []))
        frames = [f for f in (self.build(child) for child in inner) if f is not None]
        if not members and not frames:
            return None
        label = _esc(call.label) + (f"  {_small(_esc(call.path))}" if call.path else "")
        colour = _STYLE["module"]["color"]
        sub = graphviz.Digraph(
            name=f"cluster_{self.groups.number[call]}",
            graph_attr={"label": f"<<B>{label}</B>>", "labeljust": "l", "style": "dashed,rounded"}
            | {"color": colour, "fontcolor": colour},
        )
        for key in members:
            _emit_node(sub, key, self.pic.nodes[key])
        for frame in frames:
            sub.subgraph(frame)
        return sub


def _emit_node(graph: graphviz.Digraph, key: str, node: _Node) -> None:
    graph.node(key, label=node.label(), **_STYLE[node.kind])


def _emit_edges(graph: graphviz.Digraph, pic: _Picture, keys: list[str], hidden: int, max_nodes: int | None) -> None:
    drawn = set(keys)
    cut: list[str] = []
    for src, dst, attrs in pic.edges:
        if dst not in drawn:
            continue
        if src in drawn:
            graph.edge(src, dst, **attrs)
        elif dst not in cut:
            cut.append(dst)
    if hidden:
        label = _table([f"<B>… {hidden} more nodes</B>", _small(f"(max_nodes={max_nodes})", _GRAD_COLOUR)])
        graph.node("more", label=label, **_STYLE["more"])
        for dst in cut:
            graph.edge("more", dst, style="dashed", color=_GRAD_COLOUR)


# --------------------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------------------

_RANKDIRS = ("LR", "RL", "TB", "BT")


def draw_graph(
    root: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    show_shapes: bool = True,
    rankdir: str = "LR",
    max_nodes: int | None = 500,
    collapse_modules: bool = False,
    show_backward_order: bool = False,
    legend: bool = True,
) -> ComputationGraph:
    """Draw the computation graph that produced ``root`` as a ``graphviz.Digraph``.

    Parameters
    ----------
    root : Tensor
        The output, usually the loss. The graph is every tensor and op it was computed from.
    show_data, show_grad, show_shapes : bool, default True
        What tensor boxes show besides the name: values (or statistics), gradients, shape and dtype.
    rankdir : {"LR", "TB", "RL", "BT"}, default "LR"
        Direction of the arrows: left to right (inputs left, output right), top to bottom ...
    max_nodes : int or None, default 500
        Draw at most this many graph nodes, the nearest to the output; the rest become one "… N more nodes"
        marker. ``None`` draws everything.
    collapse_modules : bool, default False
        Draw each ``nn.Module`` call as one box ("Linear(784→256)"), inside a frame for the enclosing
        module. Needs a forward pass run inside ``with tg.viz.trace_modules():``; raises ``ValueError`` if the
        graph contains no recorded call.
    show_backward_order : bool, default False
        Number the tensors 1, 2, ... in the order ``backward()`` visits them (:func:`backward_order`).
    legend : bool, default True
        Add a legend node explaining colours and shapes.

    Returns
    -------
    ComputationGraph
        A ``graphviz.Digraph``: shown inline in Jupyter, ``.source`` is DOT text, :func:`save_graph` writes
        files.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor(2.0, requires_grad=True, name="a")
    >>> loss = (a * a + 1).log()
    >>> g = tg.viz.draw_graph(loss, legend=False)
    >>> g.num_nodes                       # 4 tensors (a, a*a, a*a + 1, the log) and 3 ops
    7
    >>> "x + 1" in g.source               # the Python scalar is written into the add's label
    True
    """
    root = _check_root(root, "draw_graph")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {_RANKDIRS}, got {rankdir!r}; e.g. 'LR' or 'TB'")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(
            f"draw_graph: max_nodes must be a positive integer or None, got {max_nodes!r}; None draws every node"
        )
    tensors = _reachable(root)
    groups = _groups_for(tensors) if collapse_modules else None
    order = {id(t): i for i, t in enumerate(backward_order(root), start=1)} if show_backward_order else {}
    pic = _build(root, tensors, _Show(show_data, show_grad, show_shapes), order, groups, max_nodes)
    keys, hidden = list(pic.nodes), len(pic.hidden)

    graph = ComputationGraph(
        name="computation_graph",
        graph_attr={"rankdir": rankdir, "fontname": _FONT, "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": _FONT, "fontsize": "11", "margin": "0.08,0.04"},
        edge_attr={"fontname": _FONT, "fontsize": "9", "color": "#4b5563", "arrowsize": "0.7"},
    )
    if legend:
        extra = [("module", "nn.Module call (collapsed)")] if groups is not None else []
        graph.node("legend", label=_legend_label(extra, show_backward_order), shape="plaintext")
    _emit_nodes(graph, pic, keys, groups)
    _emit_edges(graph, pic, keys, hidden, max_nodes)
    graph.num_nodes, graph.num_hidden = len(keys), hidden
    return graph


def _groups_for(tensors: list[Tensor]) -> _Modules:
    groups = _group_modules(tensors)
    if not groups.parent:
        raise ValueError(
            "collapse_modules=True found no recorded nn.Module call in this graph: run the forward pass inside "
            "`with tg.viz.trace_modules(): loss = ...` and draw afterwards (or use collapse_modules=False)"
        )
    return groups


_FORMATS = ("svg", "png", "pdf", "dot")


def save_graph(
    root_or_digraph: Tensor | graphviz.Digraph,
    path: str | os.PathLike[str],
    format: str | None = None,
    **draw_kwargs: Any,
) -> Path:
    """Write the graph of a tensor (or an already drawn ``Digraph``) to ``path``.

    Parameters
    ----------
    root_or_digraph : Tensor or graphviz.Digraph
        A tensor is drawn first with ``draw_graph(root, **draw_kwargs)``.
    path : str or path-like
        The file to write, exactly this name (no suffix is added).
    format : {"svg", "png", "pdf", "dot"}, optional
        By default taken from the suffix of ``path`` (``.gv`` means dot), else ``"svg"``. ``"dot"`` writes the
        DOT text and needs no Graphviz installation; the others run Graphviz's ``dot``.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    GraphvizNotFoundError
        For svg, png or pdf when Graphviz's ``dot`` is not installed; the message says how to install it.
    """
    path = _check_path(path)
    fmt = _format_for(path, format)
    if isinstance(root_or_digraph, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError(f"save_graph: {sorted(draw_kwargs)} apply when drawing a Tensor, not to a drawn Digraph")
        graph = root_or_digraph
    else:
        graph = draw_graph(_check_root(root_or_digraph, "save_graph"), **draw_kwargs)
    if fmt == "dot":
        path.write_text(graph.source, encoding="utf-8")
    else:
        path.write_bytes(_render(graph, fmt))
    return path


def _check_path(path: Any) -> Path:
    """``path`` as a Path to a file that can be written: a str or path-like, in an existing folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"save_graph: path must be a file name (str or pathlib.Path), got {path!r}; e.g. save_graph(loss, "
            "'graph.svg')"
        )
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"save_graph: path must be a file, got the folder {str(path)!r}; e.g. {str(path / 'graph.svg')!r}"
        )
    if not path.parent.is_dir():
        raise ValueError(
            f"save_graph: the folder of path {str(path)!r} does not exist; create it first: "
            f"os.makedirs({str(path.parent)!r}, exist_ok=True)"
        )
    return path


def _format_for(path: Path, format: str | None) -> str:
    if format is None:
        suffix = path.suffix.lower().lstrip(".")
        format = "dot" if suffix == "gv" else suffix if suffix in _FORMATS else "svg"
    if format not in _FORMATS:
        raise ValueError(
            f"save_graph: format must be one of {_FORMATS}, got {format!r}; or leave format=None to take it from "
            "the path's suffix"
        )
    return format


def _render(graph: graphviz.Digraph, fmt: str) -> bytes:
    try:
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as err:  # a plain Digraph; ComputationGraph raises ours already
        raise GraphvizNotFoundError(INSTALL_HINT) from err
