r"""A small expression language for scalar computation graphs: what ``tinygrad-edu graph EXPR`` draws.

An expression such as ``tanh(x*w + b)`` is parsed with :func:`ast.parse` and checked node by node against a
fixed grammar; nothing of Python's ``eval`` is involved, so an expression can compute and nothing else.
The grammar admits

* numbers: ``2``, ``0.5``, ``1e-3`` (finite float64 values; no booleans, complex numbers or strings);
* names: every name that is not a function becomes a scalar leaf that requires grad (``x``, ``w1``,
  ``θ``); names starting with ``_`` are refused;
* the operators ``+ - * / **``, unary ``-`` and ``+``, and parentheses;
* calls of the functions in :data:`FUNCTIONS` by name, with positional arguments only.

Anything else (attribute access, subscripts, strings, f-strings, keywords, lambdas, comprehensions,
comparisons, ``and``/``or``, conditional expressions, ``:=``, ``@``, ``//``, ``%``, bit operators ...) is
refused with an :class:`ExpressionError` that names the construct and its column. :class:`Limits` bound the
text's length, its nesting depth, its number of nodes and the constant exponents of ``**``; they are
checked before anything is evaluated (the length and the bracket depth even before parsing), so no input
can make the parser or the evaluator run long or run out of memory. Arithmetic is float64 throughout: a
constant such as ``9**9`` is a float, never a Python integer, and an overflow gives ``inf`` at once.

Examples
--------
>>> from tinygrad_edu.expression import parse_expression
>>> expr = parse_expression("tanh(x*w + b)")
>>> expr.variables
('x', 'w', 'b')
>>> loss = expr.evaluate({"x": 1.0, "w": 0.5, "b": 0.0})
>>> round(loss.item(), 6)
0.462117
>>> loss.backward()
>>> round(float(expr.leaves["w"].grad), 6)  # d/dw tanh(xw + b) = x (1 - tanh^2)
0.786448
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .tensor import Tensor, maximum, minimum, stack

__all__ = ["FUNCTIONS", "Expression", "ExpressionError", "Limits", "evaluate_expression", "parse_expression"]


class ExpressionError(ValueError):
    """An expression outside the grammar or over a limit.

    ``str(error)`` is one line: the expression (shortened when long), what is wrong with it and where
    (1-based ``column``, ``None`` when the whole text is at fault), and what is allowed.
    """

    def __init__(self, text: str, reason: str, column: int | None = None) -> None:
        self.text = text
        self.reason = reason
        self.column = column
        super().__init__(f"{_shown(text)}: {reason}")

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, str, int | None]]:
        return type(self), (self.text, self.reason, self.column)  # picklable, e.g. across processes


@dataclass(frozen=True)
class Limits:
    """Bounds on an expression, checked before it is evaluated.

    Parameters
    ----------
    max_length : int
        Characters of text. Checked first, so a huge input costs nothing.
    max_depth : int
        Nesting: open brackets at any point of the text (checked before parsing, so the parser never meets
        deep input) and the depth of the syntax tree (``a+b+c`` is 3 deep, ``-(-x)`` too).
    max_nodes : int
        Nodes of the syntax tree: numbers, names, operators and calls.
    max_exponent : float
        Largest ``|p|`` of a constant exponent in ``base ** p``. A float64 overflows far below it anyway;
        the bound refuses ``x * 9**9**9`` outright instead of computing ``inf``.
    """

    max_length: int = 1000
    max_depth: int = 100
    max_nodes: int = 500
    max_exponent: float = 100.0


@dataclass(frozen=True)
class _Function:
    """One entry of the function table: arity (``max_args`` None: any number) and how to apply it."""

    signature: str
    min_args: int
    max_args: int | None
    apply: Callable[..., Tensor]


def _over_stack(reduce: Callable[[Tensor], Tensor]) -> Callable[..., Tensor]:
    """A function of any number of scalars: stack them into a vector and reduce it (one node each)."""
    return lambda *args: reduce(stack([_as_tensor(a) for a in args]))


def _unary(method: str) -> Callable[[Any], Tensor]:
    return lambda a: getattr(_as_tensor(a), method)()


_TABLE: dict[str, _Function] = {
    **{name: _Function(f"{name}(x)", 1, 1, _unary(name)) for name in ("exp", "log", "sqrt", "abs")},
    **{name: _Function(f"{name}(x)", 1, 1, _unary(name)) for name in ("relu", "sigmoid", "tanh")},
    "maximum": _Function("maximum(a, b)", 2, 2, lambda a, b: maximum(_as_tensor(a), b)),
    "minimum": _Function("minimum(a, b)", 2, 2, lambda a, b: minimum(_as_tensor(a), b)),
    "sum": _Function("sum(a, b, ...)", 1, None, _over_stack(lambda v: v.sum())),
    "mean": _Function("mean(a, b, ...)", 1, None, _over_stack(lambda v: v.mean())),
    "max": _Function("max(a, b, ...)", 1, None, _over_stack(lambda v: v.max())),
    "min": _Function("min(a, b, ...)", 1, None, _over_stack(lambda v: v.min())),
    "logsumexp": _Function("logsumexp(a, b, ...)", 1, None, _over_stack(lambda v: v.logsumexp())),
}

FUNCTIONS: Mapping[str, str] = MappingProxyType({name: f.signature for name, f in _TABLE.items()})
"""The functions an expression may call, name -> signature: ``exp log sqrt abs relu sigmoid tanh`` of one
argument, ``maximum minimum`` of two, ``sum mean max min logsumexp`` of one or more scalars."""

_ALLOWED = "allowed: numbers, names, + - * / **, unary - and +, parentheses, and calls of " + ", ".join(_TABLE)

# the admitted operators; they run on Tensors (the graph) or on float64 scalars (constant folding)
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

_REFUSED_OPERATORS: dict[type[ast.AST], str] = {
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}

# what each refused node is called in a message, and the text to point at (None: the node's start)
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Subscript: "a subscript",
    ast.Slice: "a slice",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "a conditional expression (if/else)",
    ast.NamedExpr: "an assignment (:=)",
    ast.Starred: "a starred argument (*)",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.List: "a list",
    ast.Tuple: "a tuple (a comma outside a call)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def _shown(text: str, width: int = 60) -> str:
    """The expression as quoted in a message: repr (so control characters stay on one line), shortened."""
    if len(text) <= width:
        return repr(text)
    return f"{text[: width - 20]!r}... ({len(text)} characters)"


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(float(value), dtype=np.float64)


# --------------------------------------------------------------------------------------------------------
# checks on the text, before parsing
# --------------------------------------------------------------------------------------------------------


def _check_text(text: str, limits: Limits) -> None:
    if len(text) > limits.max_length:
        raise ExpressionError(
            text, f"too long: {len(text)} characters, at most {limits.max_length}; write a shorter expression"
        )
    if not text.strip():
        raise ExpressionError(text, "empty expression; write one such as 'tanh(x*w + b)'")
    for i, char in enumerate(text):
        # one line of printable characters: no newlines, and no invisible or direction-changing characters
        if not (char.isprintable() or char == " "):
            raise ExpressionError(text, f"character {char!r} at column {i + 1} is not allowed", i + 1)
    depth = 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if depth > limits.max_depth:
            raise ExpressionError(
                text,
                f"nested too deeply: more than {limits.max_depth} open brackets at column {i + 1}; simplify it",
                i + 1,
            )


def _parse(text: str) -> tuple[ast.Expression, _Source]:
    """``ast.parse`` in eval mode, every failure as an ExpressionError (one line)."""
    source = _Source(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings ('1 is 1', '1(2)') would print a second line
            tree = ast.parse(source.stripped, mode="eval")
    except SyntaxError as err:
        column = (err.offset or 1) + source.lead
        raise ExpressionError(text, f"{err.msg} at column {column}; {_ALLOWED}", column) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(text, f"cannot be parsed (too deeply nested or too large); {_ALLOWED}") from None
    return tree, source


class _Source:
    """The text as parsed (leading spaces stripped: eval mode refuses them) and how to find columns in it."""

    def __init__(self, text: str) -> None:
        self.stripped = text.strip(" ")
        self.lead = len(text) - len(text.lstrip(" "))
        self.encoded = self.stripped.encode("utf-8")

    def column(self, byte_offset: int | None) -> int:
        """1-based character column in the original text (ast counts UTF-8 bytes; users count characters)."""
        before = self.encoded[: byte_offset or 0].decode("utf-8", errors="ignore")
        return len(before) + self.lead + 1


def _check_size(text: str, tree: ast.Expression, source: _Source, limits: Limits) -> None:
    """Node count and depth, both without recursion (the tree is not yet known to be shallow)."""
    nodes = sum(1 for node in ast.walk(tree) if isinstance(node, ast.expr | ast.keyword))
    if nodes > limits.max_nodes:
        raise ExpressionError(text, f"too large: {nodes} nodes, at most {limits.max_nodes}; split it up")
    pending: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > limits.max_depth:
            column = source.column(getattr(node, "col_offset", 0))
            raise ExpressionError(
                text, f"nested too deeply: more than {limits.max_depth} levels at column {column}; simplify it", column
            )
        # only expressions count: the checker recurses through nothing else (operators and contexts are leaves)
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


# --------------------------------------------------------------------------------------------------------
# the grammar
# --------------------------------------------------------------------------------------------------------


class _Checker:
    """Walks a (shallow, small) tree and admits only the grammar; records the variables in order of use.

    It also folds the constant parts, as float64, to bound constant exponents: ``9**9**9`` is refused here,
    before any arithmetic runs.
    """

    def __init__(self, text: str, source: _Source, limits: Limits) -> None:
        self.text, self.source, self.limits = text, source, limits
        self.variables: dict[str, None] = {}
        self.functions: dict[str, None] = {}

    def refuse(self, what: str, column: int) -> ExpressionError:
        reason = f"{what} at column {column} is not part of the expression language; {_ALLOWED}"
        return ExpressionError(self.text, reason, column)

    def column(self, node: ast.AST) -> int:
        return self.source.column(getattr(node, "col_offset", 0))

    def check(self, node: ast.AST) -> float | None:
        """Check ``node``; return its value when it is constant (no names), else None."""
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            self.name(node)
            return None  # a variable: not constant
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            dot = (node.end_col_offset or 0) - len(node.attr.encode("utf-8")) - 1
            raise self.refuse(f"attribute access (.{node.attr})", self.source.column(max(dot, 0)))
        what = _REFUSED_NODES.get(type(node), type(node).__name__)
        raise self.refuse(what, self.column(node))

    def constant(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = {str: "a string", bytes: "a bytes literal", complex: "a complex number", bool: "True/False"}
            raise self.refuse(kind.get(type(value), repr(value)), self.column(node))
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            column = self.column(node)
            raise ExpressionError(
                self.text, f"the number at column {column} is too large for float64 (at most 1.8e308)", column
            )
        return number

    def name(self, node: ast.Name) -> None:
        column = self.column(node)
        if node.id.startswith("_"):
            raise self.refuse(f"a name starting with an underscore ({node.id!r})", column)
        if node.id in _TABLE:
            raise ExpressionError(
                self.text,
                f"{node.id!r} at column {column} is a function, not a variable: call it, as in "
                f"{_TABLE[node.id].signature}, or rename the variable",
                column,
            )
        self.variables.setdefault(node.id)
        return None

    def unary(self, node: ast.UnaryOp) -> float | None:
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise self.refuse(f"the operator {_REFUSED_OPERATORS[type(node.op)]}", self.column(node))
        value = self.check(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)

    def binary(self, node: ast.BinOp) -> float | None:
        if type(node.op) not in _BINARY:
            symbol = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            raise self.refuse(f"the operator {symbol}", self.operator_column(node, symbol))
        left, right = self.check(node.left), self.check(node.right)
        if isinstance(node.op, ast.Pow) and right is not None and not abs(right) <= self.limits.max_exponent:
            column = self.operator_column(node, "**")
            raise ExpressionError(
                self.text,
                f"the exponent of ** at column {column} is {right:.6g}; a constant exponent must be within "
                f"±{self.limits.max_exponent:g} (float64 overflows long before)",
                column,
            )
        if left is None or right is None:
            return None
        return _fold(_BINARY[type(node.op)], left, right)

    def operator_column(self, node: ast.BinOp, symbol: str) -> int:
        """Column of the operator: it lies between the operands (after any closing brackets)."""
        start = node.left.end_col_offset or 0
        found = self.source.encoded[start : node.right.col_offset].find(symbol.encode())
        return self.source.column(start + max(found, 0))

    def call(self, node: ast.Call) -> float | None:
        if not isinstance(node.func, ast.Name):
            self.check(node.func)  # refuses what is called (an attribute, a lambda ...) with its own message
            raise self.refuse("a call of anything but a function name", self.column(node))
        name, column = node.func.id, self.column(node)
        if name not in _TABLE:
            raise ExpressionError(
                self.text, f"unknown function {name!r} at column {column}; functions: {', '.join(_TABLE)}", column
            )
        if node.keywords:
            keyword = node.keywords[0]
            label = f"{keyword.arg}=" if keyword.arg else "**"
            raise self.refuse(f"a keyword argument ({label})", self.column(keyword))
        function = _TABLE[name]
        count = len(node.args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            raise ExpressionError(
                self.text,
                f"{name} at column {column} takes {_arity(function)}, got {count}: write {function.signature}",
                column,
            )
        for arg in node.args:
            self.check(arg)
        self.functions.setdefault(name)
        return None  # functions run on tensors at evaluation; a constant call is evaluated then


def _arity(function: _Function) -> str:
    if function.max_args is None:
        return f"at least {function.min_args} argument{'s' if function.min_args > 1 else ''}"
    return f"{function.min_args} argument{'s' if function.min_args > 1 else ''}"


def _fold(op: Callable[[Any, Any], Any], left: float, right: float) -> float:
    """Constant arithmetic in float64, as the evaluation does it: overflow gives inf, never an exception."""
    with np.errstate(all="ignore"):
        return float(op(np.float64(left), np.float64(right)))


# --------------------------------------------------------------------------------------------------------
# the public API
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to evaluate (make it with :func:`parse_expression`).

    Attributes
    ----------
    text : str
        The expression as given.
    variables : tuple of str
        The names that become leaves, in order of first appearance.
    functions : tuple of str
        The functions it calls, in order of first appearance.
    leaves : dict of str to Tensor
        The leaves of the latest :meth:`evaluate` (empty before): read their ``.grad`` after backward.
    """

    text: str
    variables: tuple[str, ...]
    functions: tuple[str, ...]
    _tree: ast.Expression = field(repr=False, compare=False)
    leaves: dict[str, Tensor] = field(default_factory=dict, repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any] | None = None, seed: int = 0) -> Tensor:
        """The expression's value as a float64 0-d Tensor, with the graph that ``backward()`` walks.

        Parameters
        ----------
        values : mapping of str to float or Tensor, optional
            Values of (some of) the variables. A float becomes a float64 leaf that requires grad; a Tensor
            is used as it is.
        seed : int, default 0
            The variables without a value get ``round(uniform(-2, 2), 2)`` from a generator with this seed,
            drawn in the order of :attr:`variables` (so ``x`` in ``tanh(x*w + b)`` always gets the same value).

        Raises
        ------
        ValueError
            ``values`` names a variable the expression does not have.
        """
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise ValueError(
                f"evaluate: {unknown} are not variables of {_shown(self.text)}; its variables: {list(self.variables)}"
            )
        rng = np.random.default_rng(seed)
        self.leaves.clear()
        for name in self.variables:
            drawn = round(float(rng.uniform(-2, 2)), 2)  # drawn for every name, so values don't shift the rest
            given = values.get(name, drawn)
            self.leaves[name] = (
                given
                if isinstance(given, Tensor)
                else Tensor(float(given), dtype=np.float64, requires_grad=True, name=name)
            )
        return _as_tensor(_evaluate(self._tree.body, self.leaves))


def _evaluate(node: ast.AST, leaves: Mapping[str, Tensor]) -> Tensor | float:
    """Evaluate a checked tree: constants stay Python floats (no extra graph nodes), folded in float64."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # the checker admitted numbers only
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, leaves)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, leaves), _evaluate(node.right, leaves)
        op = _BINARY[type(node.op)]
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return op(left, right)
        return _fold(op, left, right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # the checker admitted nothing else
    return _TABLE[node.func.id].apply(*(_evaluate(arg, leaves) for arg in node.args))


def parse_expression(text: str, limits: Limits | None = None) -> Expression:
    """Parse and check an expression such as ``tanh(x*w + b)``; nothing is evaluated yet.

    Parameters
    ----------
    text : str
        The expression (see the module's description for the grammar).
    limits : Limits, optional
        Bounds on length, depth, size and constant exponents (default ``Limits()``).

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        The text is outside the grammar or over a limit; the message is one line that names the construct
        and its column.
    TypeError
        ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_expression: text must be a str, got {type(text).__name__}")
    limits = limits or Limits()
    _check_text(text, limits)
    tree, source = _parse(text)
    _check_size(text, tree, source, limits)
    checker = _Checker(text, source, limits)
    checker.check(tree.body)
    return Expression(text, tuple(checker.variables), tuple(checker.functions), tree)


def evaluate_expression(text: str, values: Mapping[str, Any] | None = None, seed: int = 0) -> Tensor:
    """``parse_expression(text).evaluate(values, seed)``: the value of an expression as a float64 Tensor.

    Examples
    --------
    >>> from tinygrad_edu.expression import evaluate_expression
    >>> evaluate_expression("relu(a) ** 2 + max(a, b, 1)", {"a": 3.0, "b": -1.0}).item()
    12.0
    """
    return parse_expression(text).evaluate(values, seed)
