r"""Anomaly detection: find the op that first produced NaN or inf, and the line of *your* code that created it.

A NaN in the loss is a symptom; its cause is usually many ops earlier (a ``log`` of 0, an ``exp`` that
overflowed, a division by 0, the derivative of ``sqrt`` at 0). Inside ``with tg.detect_anomaly():`` (or after
``tg.set_detect_anomaly(True)``) the engine checks, for every op:

* **forward**: the result; the first NaN or :math:`\pm\infty` raises :class:`AnomalyError` (a
  ``FloatingPointError``) naming the op, its inputs' shapes and dtypes, the first bad element (with the input
  values there), and the file and line of your code that called it;
* **backward**: every gradient the op's backward computes for its inputs, and the gradient that reaches it;
  the error names the op and the line where it was *created* in the forward pass, which is what you need to
  fix;
* **in-place writes**: the arrays an op used (its inputs and its output) must hold the same values when its
  backward runs; writing into ``x.data`` between the forward and the backward pass (an optimiser step, ``x.data
  *= 2``) would silently give wrong gradients, and raises ``RuntimeError`` instead.

The mode is off by default and costs nothing then (one test of a module attribute per op). On, it costs a
walk up the call stack per op plus a checksum of the op's arrays: use it to debug, not to train.

The switch is **per thread**, like grad mode: ``detect_anomaly()`` in one thread does not check ops run by
another, and a new thread starts with it off. ``fit`` turns a training step's anomaly into a ``diverged``
stop whose reason carries the error's report (see :class:`tinygrad_edu.train.Divergence`).

This module knows nothing about ``Tensor`` (it sits below ``tensor.py``, next to ``ops.py``). The engine
tests ``active`` once per op and once per backward step; only when it is true (some thread has the mode
on) does it read this thread's switch and call :func:`creation_site`, :func:`check_forward`,
:func:`record_node` and :func:`check_node_backward`.

Examples
--------
>>> import numpy as np, tinygrad_edu as tg
>>> x = tg.Tensor(np.array([1.0, 0.0]), requires_grad=True)
>>> with tg.detect_anomaly(), np.errstate(divide="ignore"):   # (and no numpy warning)
...     y = x.log()
Traceback (most recent call last):
...
tinygrad_edu.anomaly.AnomalyError: anomaly detected in the forward pass: Log produced -inf (1 of 2 values; ...
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
import threading
import weakref
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

import numpy as np

from ._validation import check_flag

__all__ = [
    "AnomalyError",
    "Site",
    "check_backward",
    "check_forward",
    "creation_site",
    "detect_anomaly",
    "is_anomaly_enabled",
    "set_detect_anomaly",
]

F = TypeVar("F", bound=Callable[..., Any])


class AnomalyError(FloatingPointError):
    """A NaN or infinite value found by anomaly detection; the message says which op, where and why."""


# --------------------------------------------------------------------------------------------------------
# the switch (per thread, like grad mode)
# --------------------------------------------------------------------------------------------------------


class _AnomalyMode(threading.local):
    enabled = False  # the class attribute is every new thread's starting value


_mode = _AnomalyMode()  # this thread's switch
_lock = threading.Lock()
_threads_on = 0  # how many threads have it on (a thread that ends with it on stays counted)

#: True while anomaly detection is on in any thread: the engine's one test per op (a module attribute is
#: read several times faster than a thread-local one). Only then does it look at this thread's switch.
active = False


def _set(mode: bool) -> None:
    """Switch this thread's anomaly mode, keeping ``active`` up to date."""
    global _threads_on, active
    mode = bool(mode)
    if _mode.enabled is mode:
        return
    with _lock:
        _mode.enabled = mode
        _threads_on += 1 if mode else -1
        active = _threads_on > 0


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on in this thread."""
    return _mode.enabled


class _AnomalyModeContext:
    """Sets this thread's anomaly mode to ``mode`` inside a ``with`` block or a decorated function, and
    restores the previous mode on exit (also after an exception)."""

    mode: bool
    prev: bool

    def __enter__(self) -> None:
        self.prev = _mode.enabled
        _set(self.mode)

    def __exit__(self, *exc: object) -> None:
        prev = getattr(self, "prev", None)
        if prev is None:
            raise RuntimeError(
                f"{type(self).__name__}().__exit__() was called without __enter__(): use it as "
                f"`with tg.{type(self).__name__}(): ...` or as a decorator"
            )
        _set(prev)

    def __call__(self, func: F) -> F:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _mode.enabled
            _set(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _set(prev)

        return wrapper  # type: ignore[return-value]


class detect_anomaly(_AnomalyModeContext):
    """Context manager and decorator (``@detect_anomaly`` or ``@detect_anomaly()``): check every forward
    result and backward gradient for NaN/inf inside, and report the first one with the line that created it.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> x = tg.Tensor(np.array([4.0, 0.0]), requires_grad=True)
    >>> with tg.detect_anomaly(), np.errstate(divide="ignore"):
    ...     y = x.sqrt().sum()                       # fine: sqrt(0) = 0
    ...     y.backward()                             # d sqrt(x)/dx = 1 / (2 sqrt x) is inf at 0
    Traceback (most recent call last):
    ...
    tinygrad_edu.anomaly.AnomalyError: anomaly detected in the backward pass of Sqrt: the gradient it computed ...
    """

    mode = True

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self if func is None else self(func)


class set_detect_anomaly(_AnomalyModeContext):
    """Turn anomaly detection on or off for this thread: as a function call, a context manager or a decorator.

    ``tg.set_detect_anomaly(True)`` called plainly switches it on until switched off again; in a ``with``
    block (or as a decorator) it restores the previous mode on exit, so ``with tg.set_detect_anomaly(False):``
    pauses the checks inside a ``detect_anomaly()`` block.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = check_flag(mode, "mode", "set_detect_anomaly")
        self.prev = _mode.enabled
        _set(self.mode)  # takes effect at once, for the plain-call form

    def __enter__(self) -> None:
        _set(self.mode)  # self.prev was recorded before __init__ switched the mode

    def __call__(self, func: F) -> F:
        _set(self.prev)  # as a decorator the mode applies inside calls only
        return super().__call__(func)


# --------------------------------------------------------------------------------------------------------
# where an op was created: the first frame outside this package
# --------------------------------------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(__file__) + os.sep  # the same form as the package's code objects' co_filename
_ENGINE_FILES = frozenset(os.path.join(os.path.dirname(__file__), f) for f in ("tensor.py", "anomaly.py"))


@dataclass(frozen=True)
class Site:
    """Where an op was created: the first frame of the call stack outside ``tinygrad_edu``.

    Attributes
    ----------
    filename, lineno, function : str, int, str
        The user's file, line and function (``"<module>"`` at the top level of a script).
    via : tuple of str
        The library functions (outside the engine's ``tensor.py``) between that line and the op, outermost
        first: ``("cross_entropy",)``, ``("Module.__call__", "Linear.forward")``; empty when the line applies
        the op itself (``y = x.log()``).
    """

    filename: str
    lineno: int
    function: str
    via: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        """The source line, stripped (empty if the source is not available, as in an interactive session)."""
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        text = f"{self.filename}:{self.lineno} in {self.function}"
        if self.via:
            via = self.via if len(self.via) <= 3 else (self.via[0], "...", *self.via[-2:])
            text += f" (via {' > '.join(via)})"
        code = self.code
        return f"{text}: {code}" if code else text


def creation_site() -> Site | None:
    """The :class:`Site` of the innermost frame outside the ``tinygrad_edu`` package on the current call stack:
    the line of user code that (directly or through library functions) is running the current op.

    When every frame is inside the package (the ``tinygrad-edu`` command, the package's own examples), the
    innermost frame outside the engine (``tensor.py``, ``anomaly.py``) is used. Cheap: a walk up
    ``sys._getframe``, reading no source (the line's text is read only when a message is formatted).
    """
    frame: FrameType | None = sys._getframe(1)
    via: list[str] = []
    fallback: Site | None = None
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return Site(filename, frame.f_lineno, code.co_name, tuple(reversed(via)))
        if filename not in _ENGINE_FILES:  # library code between the user's line and the op: nn, functional, train
            if fallback is None:
                fallback = Site(filename, frame.f_lineno, code.co_name, ())
            via.append(code.co_qualname)
        frame = frame.f_back
    return fallback


# --------------------------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------------------------

_HINTS = {
    "Log": "log(0) = -inf and log(x) = NaN for x < 0: keep the argument positive (add a small constant, clip it) "
    "or use a fused op (log_softmax, cross_entropy, binary_cross_entropy_with_logits)",
    "Sqrt": "sqrt(x) = NaN for x < 0, and its derivative 1 / (2 sqrt x) is inf at x = 0: use sqrt(x + eps)",
    "Div": "division by 0 gives inf (or NaN for 0/0): keep the divisor away from 0",
    "Exp": "exp overflows to inf for x > 88.7 in float32 (709.8 in float64): subtract the maximum first "
    "(logsumexp, softmax, log_softmax do) or lower the learning rate if the values grew during training",
    "Pow": "x ** p overflows for large |x|, is NaN for x < 0 with a non-integer p, and its derivative p x^(p-1) "
    "is inf at x = 0 for p < 1",
    "Mul": "inf * 0 = NaN, and products of large values overflow: the values probably grew during training "
    "(a learning rate that is too large)",
    "MatMul": "products of large values overflow: the values probably grew during training (a learning rate "
    "that is too large)",
}
_HINTS["Linear"] = _HINTS["MatMul"]
_GROWTH_HINT = (
    "values that grow until they overflow usually mean a learning rate that is too large (for gradient descent "
    "on a quadratic: lr > 2/L)"
)


def _is_float_array(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _first_bad(a: np.ndarray) -> tuple[str, int, tuple[int, ...]]:
    """``(kinds, count, index)``: which non-finite values ("NaN", "inf", "-inf"), how many, and the first one's
    index."""
    bad = ~np.isfinite(a)
    count = int(np.count_nonzero(bad))
    first = np.unravel_index(int(np.argmax(bad)), a.shape) if a.ndim else ()
    tests = (("NaN", np.isnan), ("inf", np.isposinf), ("-inf", np.isneginf)) if a.dtype.kind == "f" else ()
    kinds = [kind for kind, test in tests if test(a).any()]
    return " and ".join(kinds) or "NaN/inf", count, tuple(int(i) for i in first)


def _describe_input(x: Any) -> str:
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):
        name = getattr(x, "name", None)
        label = f"{name!r}: " if name else ""
        finite = ", contains NaN/inf" if _is_float_array(data) and not np.isfinite(data).all() else ""
        return f"{label}{data.dtype} tensor of shape {data.shape}{finite}"
    if isinstance(x, np.ndarray):
        return f"{x.dtype} array of shape {x.shape}"
    return f"{type(x).__name__} {x!r}"


# ops whose output element i depends on input element i only (after broadcasting)
_ELEMENTWISE = frozenset(
    {"Add", "Sub", "Mul", "Div", "Pow", "Neg", "Cast", "Exp", "Log", "Sqrt", "Abs", "Relu", "Sigmoid", "Tanh"}
    | {"Clip", "Maximum", "Minimum", "Where"}
)


def _values_at(op: Any, inputs: Sequence[Any], shape: tuple[int, ...], index: tuple[int, ...]) -> str:
    """For elementwise ops: the inputs' values at ``index`` of the output (broadcast as the op did)."""
    if _op_name(op) not in _ELEMENTWISE:
        return ""
    parts = []
    for i, x in enumerate(inputs):
        data = getattr(x, "data", x)
        try:
            value = np.broadcast_to(np.asarray(data), shape)[index]
        except (ValueError, IndexError, TypeError):
            continue
        if np.ndim(value) == 0:
            parts.append(f"input {i} = {value.item()!r}")
    return ", ".join(parts)


def _already_bad(inputs: Sequence[Any]) -> str:
    """A note when the NaN/inf came in with an input rather than being made by the op."""
    arrays = [getattr(x, "data", x) for x in inputs]
    bad = [str(i) for i, a in enumerate(arrays) if _is_float_array(a) and not np.isfinite(a).all()]
    if not bad:
        return ""
    return (
        f"\n  note: input {', '.join(bad)} already held NaN/inf: look at where it came from (your data, or a tensor "
        "computed while anomaly detection was off)"
    )


def _op_name(op: Any) -> str:
    return type(op).__name__


def _where(site: Site | None) -> str:
    if site is None:
        return "created where anomaly detection was off, so no line was recorded"
    return f"created at {site}"


def _hint(op: Any, bad: str) -> str:
    hint = _HINTS.get(_op_name(op))
    if hint is None and "inf" in bad:
        hint = _GROWTH_HINT
    return f"\n  hint: {hint}" if hint else ""


def check_forward(op: Any, inputs: Sequence[Any], out: Any, site: Site | None = None) -> None:
    """Raise :class:`AnomalyError` if the forward result ``out`` of ``op`` contains NaN or inf.

    The message names the op, each input (shape, dtype, whether it already held NaN/inf), the first bad
    element of the result with the inputs' values there, ``site`` (found with :func:`creation_site` if not
    given) and a hint about the usual cause.
    """
    if not _is_float_array(out) or np.isfinite(out).all():
        return
    if site is None:
        site = creation_site()
    bad, count, index = _first_bad(out)
    values = _values_at(op, inputs, out.shape, index)
    values = f" ({values})" if values else ""
    lines = [
        f"anomaly detected in the forward pass: {_op_name(op)} produced {bad} ({count} of {out.size} values; the "
        f"first at index {index}{values})",
        "  inputs: " + "; ".join(f"{i}: {_describe_input(x)}" for i, x in enumerate(inputs)),
        f"  {_where(site)}",
    ]
    raise AnomalyError("\n".join(lines) + _already_bad(inputs) + _hint(op, bad))


def check_backward(
    op: Any,
    input_grads: Sequence[Any],
    site: Site | None = None,
    inputs: Sequence[Any] = (),
    grad_output: Any = None,
) -> None:
    """Raise :class:`AnomalyError` if the gradient reaching ``op`` (``grad_output``) or one that its backward
    computed for an input (``input_grads``, ``None`` entries skipped) contains NaN or inf.

    The message names the op, the input whose gradient is bad (its shape and, for elementwise ops, its value at
    the first bad element), and ``site``: where the op was created in the forward pass.
    """
    name = _op_name(op)
    if _is_float_array(grad_output) and not np.isfinite(grad_output).all():
        bad, count, index = _first_bad(grad_output)
        raise AnomalyError(
            f"anomaly detected in the backward pass of {name}: the gradient reaching it contains {bad} ({count} of "
            f"{grad_output.size} values; the first at index {index}): the seed passed to backward(grad=...), or a "
            f"sum of gradients that overflowed\n  {_where(site)}"
        )
    for i, g in enumerate(input_grads):
        if g is None or not _is_float_array(g) or np.isfinite(g).all():
            continue
        bad, count, index = _first_bad(g)
        x = inputs[i] if i < len(inputs) else None
        value = ""
        data = getattr(x, "data", x)
        if isinstance(data, np.ndarray) and data.shape == g.shape:
            value = f"; the input's value there is {data[index].item()!r}"
        described = f" ({_describe_input(x)})" if x is not None else f" (shape {g.shape})"
        lines = [
            f"anomaly detected in the backward pass of {name}: the gradient it computed for input {i}{described} "
            f"contains {bad} ({count} of {g.size} values; the first at index {index}{value}), although the "
            "gradient reaching it was finite",
        ]
        if inputs:
            lines.append("  inputs: " + "; ".join(f"{j}: {_describe_input(y)}" for j, y in enumerate(inputs)))
        lines.append(f"  {_where(site)}")
        raise AnomalyError("\n".join(lines) + _hint(op, bad))


# --------------------------------------------------------------------------------------------------------
# what the backward pass needs from the forward pass: the site, and fingerprints of the arrays used
# --------------------------------------------------------------------------------------------------------


class _Record:
    __slots__ = ("arrays", "ref", "site")

    def __init__(self, ref: weakref.ref, site: Site | None, arrays: list[tuple[int, weakref.ref, tuple, int]]):
        self.ref = ref
        self.site = site
        self.arrays = arrays


_records: dict[int, _Record] = {}  # id(tensor) -> record; entries leave with their tensor (weakref callback)


def _fingerprint(a: np.ndarray) -> int:
    # ``.data``: the array's buffer as a memoryview (numpy's stubs declare ``ndarray.__buffer__`` only for
    # Python >= 3.12, so the array itself does not type-check as a ``Buffer`` on 3.11); no copy.
    return zlib.crc32((a if a.flags.c_contiguous else np.ascontiguousarray(a)).data)


def _drop(key: int, ref: weakref.ref) -> None:
    rec = _records.get(key)
    if rec is not None and rec.ref is ref:
        del _records[key]


def record_node(node: Any, site: Site | None) -> None:
    """Remember, for the backward pass, where ``node`` (a Tensor just recorded in the graph) was created and a
    checksum of each array its op used (the inputs' data and the result), to detect later in-place writes.

    Keeps no array alive: arrays are held by weak reference (an op that saved an array keeps it alive itself).
    """
    arrays = []
    for position, x in [*enumerate(node._inputs), (-1, node)]:
        data = getattr(x, "data", None)
        if isinstance(data, np.ndarray) and data.dtype.kind in "biufc":
            arrays.append((position, weakref.ref(data), data.shape, _fingerprint(data)))
    key = id(node)
    ref = weakref.ref(node, functools.partial(_drop, key))
    _records[key] = _Record(ref, site, arrays)


def site_of(node: Any) -> Site | None:
    """Where ``node`` was created, if it was recorded while anomaly detection was on."""
    rec = _records.get(id(node))
    return rec.site if rec is not None and rec.ref() is node else None


def check_node_backward(node: Any, grad_output: Any, input_grads: Sequence[Any]) -> None:
    """The engine's check after ``node``'s op ran its backward: no array the op used was written in place since
    the forward pass (``RuntimeError``), and no gradient is NaN/inf (:func:`check_backward`)."""
    rec = _records.get(id(node))
    if rec is not None and rec.ref() is not node:
        rec = None
    site = rec.site if rec is not None else None
    if rec is not None:
        for position, ref, shape, crc in rec.arrays:
            a = ref()
            if a is not None and (a.shape != shape or _fingerprint(a) != crc):
                x = node if position < 0 else node._inputs[position]
                label = "output" if position < 0 else f"input {position}"
                raise RuntimeError(
                    f"anomaly detection: the {label} of {_op_name(node._op)} ({_describe_input(x)}) was modified "
                    "in place between the forward and the backward pass: the backward pass would mix the new values "
                    f"with the recorded ones, and its gradients are undefined\n  {_where(site)}\n  hint: do not write "
                    "into .data (x.data[...] = ..., x.data *= ...) of tensors a graph still needs: call "
                    "optimizer.step() after loss.backward(), build a new tensor, or "
                    "rebind x.data to a new array"
                )
    needs = node._op.needs_input_grad  # a gradient nobody asked for (a custom op's extra) is not used
    grads = [g if need else None for g, need in zip(input_grads, needs, strict=False)]
    check_backward(node._op, grads, site, node._inputs, grad_output)
