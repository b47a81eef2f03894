r"""Gradient verification: compare backpropagation with finite differences.

The central difference

.. math:: \frac{\partial f}{\partial x_j} \approx \frac{f(x + \varepsilon e_j) - f(x - \varepsilon e_j)}{2\varepsilon}

has error :math:`O(\varepsilon^2)` from truncation plus :math:`O(\delta / \varepsilon)` from rounding
(:math:`\delta \approx 10^{-16}` in float64), so :math:`\varepsilon = 10^{-6}` gives about ten correct
digits in float64, and almost none in float32. That is why every check here runs in float64.

:func:`gradcheck` builds the whole Jacobian both ways, :math:`J_{kj} = \partial y_k / \partial x_j`:
the analytic one row by row (one backward pass per output element, seeded with :math:`e_k`) and the
numeric one column by column (two forward passes per input element), and compares them entry by entry.
With ``fast=True`` it checks one random projection :math:`u^\top J v` instead: two forward passes and one
backward pass per input, for inputs too big for the full Jacobian.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ops
from .func import jacobian_blocks
from .tensor import Tensor, apply_op, concatenate, einsum, enable_grad, grad, maximum, minimum, no_grad, stack, where

__all__ = [
    "GradcheckError",
    "OpCheck",
    "check_primitives",
    "gradcheck",
    "gradgradcheck",
    "gradient_function",
    "hessian_matrices",
    "jacobian",
    "numerical_grad",
    "numerical_jacobian",
]

Inputs = Tensor | Sequence[Any]


#: Value ranges per op domain, where finite differences are trustworthy: a tuple of closed intervals. Shared by
#: :func:`check_primitives` and the Hypothesis strategies of :mod:`tinygrad_edu.testing`.
DOMAINS: dict[str, tuple[tuple[float, float], ...]] = {
    "real": ((-2.0, 2.0),),
    "positive": ((0.2, 2.0),),
    "nonzero": ((-2.0, -0.5), (0.5, 2.0)),
    "nonkink": ((-2.0, -0.05), (0.05, 2.0)),
}


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when backward and finite differences disagree; the message is a report."""


def _as_list(inputs: Inputs) -> list[Any]:
    return [inputs] if isinstance(inputs, Tensor) else list(inputs)


def _float64_copies(inputs: list[Any]) -> list[Any]:
    """Fresh float64 leaves with the same requires_grad (non-Tensor inputs are passed through)."""
    copies = []
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data.astype(np.float64) if x.dtype.kind == "f" else x.data
            copies.append(Tensor(data, requires_grad=x.requires_grad, name=x.name))
        else:
            copies.append(x)
    return copies


def _evaluate(fn: Callable[..., Any], inputs: list[Any]) -> np.ndarray:
    with no_grad():
        out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"the function under test must return a Tensor, got {type(out).__name__}")
    return np.array(out.data, dtype=np.float64, copy=True)  # a copy: the output may be a view of an input


def _differentiable(inputs: list[Any]) -> list[int]:
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not positions:
        raise ValueError("no input requires grad: create at least one input with requires_grad=True")
    return positions


def _check_settings(where: str, fn: Any = None, **values: Any) -> None:
    """The step and tolerances of a check: ``eps`` a finite number > 0, ``atol``/``rtol`` finite and >= 0, and
    ``fn`` callable; otherwise an error naming the function, the argument, the value and the fix."""
    if fn is not None and not callable(fn):
        raise TypeError(f"{where}: fn must be a function of the inputs returning a Tensor, got {type(fn).__name__}")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: {name} must be a number, got {value!r} ({type(value).__name__})")
        if name == "eps" and not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"{where}: eps={value!r} is not a usable finite-difference step; it must be a finite number > 0 "
                "(1e-6 suits float64)"
            )
        if name != "eps" and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{where}: {name}={value!r} must be a finite number >= 0 (e.g. atol=1e-5, rtol=1e-3)")


def numerical_grad(
    fn: Callable[..., Tensor], inputs: Inputs, eps: float = 1e-6, grad_output: Any = None
) -> list[np.ndarray | None]:
    r"""Central-difference gradient of :math:`L = \sum_k \bar y_k \, y_k` with :math:`y = fn(*inputs)`.

    For a scalar ``fn`` this is its gradient; for a non-scalar one, ``grad_output`` (:math:`\bar y`,
    ones by default) plays the role of ``backward(grad=...)``.

    Parameters
    ----------
    fn : callable
        Takes the inputs (in order) and returns a Tensor.
    inputs : Tensor or sequence
        The inputs; gradients are computed for the Tensors with ``requires_grad=True``.
    eps : float, default 1e-6
        The step :math:`\varepsilon`.
    grad_output : array-like, optional
        :math:`\bar y`, of the output's shape.

    Returns
    -------
    list of numpy.ndarray or None
        One float64 array per input (``None`` for inputs that do not require grad).
    """
    _check_settings("numerical_grad", fn, eps=eps)
    args = _float64_copies(_as_list(inputs))
    positions = _differentiable(args)
    y0 = _evaluate(fn, args)
    weights = np.ones_like(y0) if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    if weights.shape != y0.shape:
        raise ValueError(f"grad_output has shape {weights.shape} but the output has shape {y0.shape}")
    grads: list[np.ndarray | None] = [None] * len(args)
    for i in positions:
        jac = _numeric_columns(fn, args, i, eps)
        grads[i] = (weights.reshape(-1) @ jac).reshape(args[i].shape)
    return grads


def _numeric_columns(fn: Callable[..., Any], args: list[Any], i: int, eps: float) -> np.ndarray:
    """The Jacobian block dy/dx_i by central differences: shape (y.size, x_i.size)."""
    flat = args[i].data.flat  # writes through to the array whatever its memory layout
    columns = []
    for j in range(args[i].size):
        original = flat[j]
        flat[j] = original + eps
        plus = _evaluate(fn, args)
        flat[j] = original - eps
        minus = _evaluate(fn, args)
        flat[j] = original
        columns.append(((plus - minus) / (2 * eps)).reshape(-1))
    if not columns:
        return np.zeros((_evaluate(fn, args).size, 0))
    return np.stack(columns, axis=1)


def numerical_jacobian(fn: Callable[..., Tensor], inputs: Inputs, eps: float = 1e-6) -> list[np.ndarray | None]:
    """Jacobian blocks :math:`\\partial y / \\partial x_i` by central differences, each of shape
    ``(y.size, x_i.size)`` (``None`` for inputs that do not require grad)."""
    _check_settings("numerical_jacobian", fn, eps=eps)
    args = _float64_copies(_as_list(inputs))
    blocks: list[np.ndarray | None] = [None] * len(args)
    for i in _differentiable(args):
        blocks[i] = _numeric_columns(fn, args, i, eps)
    return blocks


def jacobian(fn: Callable[..., Tensor], inputs: Inputs) -> list[np.ndarray | None]:
    """Jacobian blocks :math:`\\partial y / \\partial x_i` by backpropagation, one backward pass per output
    element; shapes ``(y.size, x_i.size)`` (float64), ``None`` for inputs that do not require grad.

    The flattened form that the checks compare with :func:`numerical_jacobian`; :func:`tinygrad_edu.jacobian`
    gives the same numbers in PyTorch's layout (``y.shape + x_i.shape``), for any inputs.
    """
    args = _as_list(inputs)
    positions = _differentiable(args)
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"the function under test must return a Tensor, got {type(out).__name__}")
    blocks: list[np.ndarray | None] = [None] * len(args)
    computed = jacobian_blocks(out, [args[i] for i in positions], create_graph=False)
    for i, block in zip(positions, computed, strict=True):
        blocks[i] = np.asarray(block, dtype=np.float64).reshape(out.size, args[i].size)
    return blocks


@dataclass
class _InputReport:
    position: int
    label: str
    max_abs: float
    max_rel: float
    where: str
    analytic: float
    numeric: float
    ok: bool

    def line(self) -> str:
        status = "ok  " if self.ok else "FAIL"
        text = (
            f"  {status} input {self.position} {self.label}: max abs error {self.max_abs:.3e}, "
            f"max rel error {self.max_rel:.3e}"
        )
        if not self.ok:
            text += f"\n         worst at {self.where}: analytic {self.analytic:.10g}, numeric {self.numeric:.10g}"
        return text


def _label(x: Tensor) -> str:
    name = f" '{x.name}'" if x.name else ""
    return f"(shape {x.shape}{name})"


def _compare(
    position: int, x: Tensor, analytic: np.ndarray, numeric: np.ndarray, out_shape: tuple, atol: float, rtol: float
) -> _InputReport:
    abs_err = np.abs(analytic - numeric)
    allowed = atol + rtol * np.abs(numeric)
    excess = np.nan_to_num(abs_err - allowed, nan=np.inf)  # NaN on either side counts as the worst
    rel_err = abs_err / np.maximum(np.abs(numeric), 1e-12)
    if excess.size:
        k, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
        out_index = tuple(int(a) for a in np.unravel_index(k, out_shape)) if out_shape else ()
        in_index = tuple(int(a) for a in np.unravel_index(j, x.shape)) if x.shape else ()
        where = f"output index {out_index}, input index {in_index}"
        values = float(analytic[k, j]), float(numeric[k, j])
        max_abs, max_rel = float(np.max(abs_err)), float(np.max(rel_err))
    else:
        where, values, max_abs, max_rel = "nowhere (empty input)", (0.0, 0.0), 0.0, 0.0
    ok = not bool((~(abs_err <= allowed)).any())
    return _InputReport(position, _label(x), max_abs, max_rel, where, *values, ok)


def _warn_dtypes(inputs: list[Any]) -> None:
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            warnings.warn(
                f"gradcheck input {i} has dtype {x.dtype}: finite differences need float64, so a float64 "
                "copy is checked. Create the inputs with dtype=np.float64 to silence this warning.",
                UserWarning,
                stacklevel=3,
            )


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast: bool = False,
    seed: int = 0,
) -> bool:
    r"""Check ``fn``'s backward pass against central finite differences.

    Every entry must satisfy :math:`|J^{\text{analytic}}_{kj} - J^{\text{numeric}}_{kj}| \le
    \text{atol} + \text{rtol}\,|J^{\text{numeric}}_{kj}|` (PyTorch's defaults and rule).

    Parameters
    ----------
    fn : callable
        Takes the inputs (in order) and returns a Tensor of any shape.
    inputs : Tensor or sequence
        Tensors with ``requires_grad=True`` are checked; others are passed as constants. Inputs are copied
        to float64 (with a warning if they were not float64); the originals are not touched.
    eps, atol, rtol : float
        Finite-difference step and tolerances.
    raise_exception : bool, default True
        Raise :class:`GradcheckError` with a report on failure; otherwise return False.
    fast : bool, default False
        Check the random projection :math:`u^\top J v` (one per input) instead of the full Jacobian.
    seed : int, default 0
        Seed of the random projection vectors (``fast=True``).

    Returns
    -------
    bool
        True when all entries agree.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> x = tg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> tg.gradcheck.gradcheck(lambda t: (t.tanh() * t).sum(), [x])
    True
    """
    _check_settings("gradcheck", fn, eps=eps, atol=atol, rtol=rtol)
    original = _as_list(inputs)
    _differentiable(original)
    _warn_dtypes(original)
    args = _float64_copies(original)
    return _verdict(fn, args, eps, atol, rtol, raise_exception, fast, seed, "gradcheck", "the backward pass")


def _verdict(
    fn: Callable[..., Any],
    args: list[Any],
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
    fast: bool,
    seed: int,
    check: str,
    what: str,
) -> bool:
    """Compare ``fn``'s Jacobian by backpropagation with central differences; True, False or the report."""
    reports = _fast_reports(fn, args, eps, atol, rtol, seed) if fast else _full_reports(fn, args, eps, atol, rtol)
    if all(r.ok for r in reports):
        return True
    if not raise_exception:
        return False
    mode = "random projection u^T J v" if fast else "Jacobian"
    header = (
        f"{check} failed: {what} disagrees with central differences ({mode}; eps={eps:g}, atol={atol:g}, rtol={rtol:g})"
    )
    raise GradcheckError("\n".join([header, *(r.line() for r in reports)]))


# --------------------------------------------------------------------------------------------------------
# second derivatives: the gradient is a function too (create_graph=True), so check it the same way
# --------------------------------------------------------------------------------------------------------


def gradient_function(fn: Callable[..., Tensor], inputs: Inputs, grad_outputs: Any = None) -> Callable[..., Tensor]:
    r"""The function :math:`x \mapsto \bar y^\top \partial y / \partial x` of the same inputs as ``fn``: the
    gradients of every input that requires grad, flattened and joined into one differentiable Tensor
    (``create_graph=True``).

    Its Jacobian is the matrix of second derivatives: the Hessian for a scalar ``fn``, and for a vector
    output :math:`\sum_k \bar y_k \nabla^2 y_k` with ``grad_outputs`` :math:`\bar y` (ones by default).
    """
    positions = _differentiable(_as_list(inputs))
    weights = None if grad_outputs is None else np.asarray(grad_outputs, dtype=np.float64)

    def gradient(*xs: Any) -> Tensor:
        with enable_grad():  # also when evaluated under no_grad, as finite differences are
            out = fn(*xs)
            if not isinstance(out, Tensor):
                raise TypeError(f"the function under test must return a Tensor, got {type(out).__name__}")
            targets = [xs[i] for i in positions]
            if not out.requires_grad:  # no input reaches the output: every gradient is 0
                grads: tuple[Any, ...] = (None,) * len(targets)
            else:
                seed = np.ones(out.shape) if weights is None else weights
                grads = grad(out, targets, grad_outputs=Tensor(seed, dtype=out.dtype), create_graph=True)
            parts = [
                (Tensor.zeros(x.shape, dtype=x.dtype) if g is None else g).reshape(-1)
                for x, g in zip(targets, grads, strict=True)
            ]
            return concatenate(parts) if len(parts) > 1 else parts[0]

    return gradient


def gradgradcheck(
    fn: Callable[..., Tensor],
    inputs: Inputs,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast: bool = False,
    seed: int = 0,
) -> bool:
    r"""Check ``fn``'s second derivatives: backpropagation through its gradient (``create_graph=True``)
    against central differences of that analytic gradient. PyTorch's ``gradgradcheck``.

    The function checked is :func:`gradient_function`: :math:`g(x) = \bar y^\top \partial y/\partial x`,
    whose Jacobian :math:`\partial g / \partial x` is the Hessian of a scalar ``fn``. Its rows come from
    backward passes through the graph of the gradient, its columns from differences of the gradient itself,
    so a wrong first derivative does not hide a wrong second one. Same tolerances and report as
    :func:`gradcheck`.

    Parameters
    ----------
    fn, inputs, eps, atol, rtol, raise_exception, fast, seed
        As for :func:`gradcheck`.
    grad_outputs : array-like, optional
        :math:`\bar y` for a non-scalar output; random normal values (seeded by ``seed``) by default, so
        that every output element's second derivative counts.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> x = tg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> tg.gradcheck.gradgradcheck(lambda t: (t.tanh() * t).sum(), [x])
    True
    """
    _check_settings("gradgradcheck", fn, eps=eps, atol=atol, rtol=rtol)
    original = _as_list(inputs)
    _differentiable(original)
    _warn_dtypes(original)
    args = _float64_copies(original)
    if grad_outputs is None:
        out_shape = _evaluate(fn, args).shape
        grad_outputs = np.random.default_rng(seed).standard_normal(out_shape)
    else:
        grad_outputs = np.asarray(grad_outputs, dtype=np.float64)
        out_shape = _evaluate(fn, args).shape
        if grad_outputs.shape != out_shape:
            raise ValueError(
                f"gradgradcheck: grad_outputs has shape {grad_outputs.shape} but the output has shape {out_shape}"
            )
    gradient = gradient_function(fn, args, grad_outputs)
    return _verdict(
        gradient, args, eps, atol, rtol, raise_exception, fast, seed, "gradgradcheck", "the derivative of the gradient"
    )


def hessian_matrices(fn: Callable[..., Tensor], inputs: Inputs, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    r"""The Hessian of a scalar ``fn`` two ways: by backpropagating through its gradient (``create_graph``)
    and by central differences of that gradient. Both are (n, n) over all inputs that require grad,
    flattened in order (float64)."""
    args = _float64_copies(_as_list(inputs))
    out_size = _evaluate(fn, args).size
    if out_size != 1:
        raise ValueError(f"a Hessian needs a function with one output value, got {out_size} values; reduce it (.sum())")
    gradient = gradient_function(fn, args)
    positions = _differentiable(args)
    analytic = jacobian(gradient, args)
    numeric = numerical_jacobian(gradient, args, eps)
    return np.hstack(_filled([analytic[i] for i in positions])), np.hstack(_filled([numeric[i] for i in positions]))


def _full_reports(fn: Callable[..., Any], args: list[Any], eps: float, atol: float, rtol: float) -> list[_InputReport]:
    analytic = jacobian(fn, args)
    out_shape = _evaluate(fn, args).shape
    reports = []
    for i in _differentiable(args):
        numeric = _numeric_columns(fn, args, i, eps)
        block = analytic[i]
        assert block is not None  # jacobian fills every differentiable position
        reports.append(_compare(i, args[i], block, numeric, out_shape, atol, rtol))
    return reports


def _fast_reports(
    fn: Callable[..., Any], args: list[Any], eps: float, atol: float, rtol: float, seed: int
) -> list[_InputReport]:
    rng = np.random.default_rng(seed)
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"the function under test must return a Tensor, got {type(out).__name__}")
    u = rng.standard_normal(out.shape)
    positions = _differentiable(args)
    targets = [args[i] for i in positions]
    vjps = grad(out, targets, grad_outputs=u) if out.requires_grad else (None,) * len(targets)
    reports = []
    for i, vjp in zip(positions, vjps, strict=True):
        x = args[i]
        v = rng.standard_normal(x.shape)
        analytic = 0.0 if vjp is None else float(np.sum(vjp * v))
        original = x.data.copy()
        x.data = original + eps * v
        plus = _evaluate(fn, args)
        x.data = original - eps * v
        minus = _evaluate(fn, args)
        x.data = original
        numeric = float(np.sum((plus - minus) / (2 * eps) * u))
        report = _compare(i, x, np.array([[analytic]]), np.array([[numeric]]), (), atol, rtol)
        report.where = "u^T J v"
        reports.append(report)
    return reports


# --------------------------------------------------------------------------------------------------------
# the built-in checks: every primitive op, on inputs from its smooth domain
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpCheck:
    """The outcome of checking one primitive: the worst Jacobian entry over all its inputs."""

    op: str
    expression: str
    passed: bool
    max_abs_error: float
    max_rel_error: float


def _domain_values(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    """Values where finite differences are trustworthy: away from kinks, ties, zero and the log's pole."""
    n = int(np.prod(shape))
    if domain == "distinct":  # max/min/relu/abs: values 0.15 apart and at least 0.075 away from 0
        return ((rng.permutation(n) - n / 2 + 0.5) * 0.15).reshape(shape)
    intervals = np.array(DOMAINS[domain])
    lo, hi = intervals[rng.integers(len(intervals), size=n)].T  # one interval per value, then a point in it
    return rng.uniform(lo, hi).reshape(shape)


def _primitive_checks() -> list[tuple[str, str, Callable[..., Any], list[tuple[tuple[int, ...], str]]]]:
    """(op, expression, function, [(input shape, domain) ...]) for every primitive op."""
    return [
        ("add", "a + b (broadcast)", lambda a, b: a + b, [((2, 3), "real"), ((3,), "real")]),
        ("sub", "a - b (broadcast)", lambda a, b: a - b, [((2, 1), "real"), ((1, 3), "real")]),
        ("neg", "-a", lambda a: -a, [((3,), "real")]),
        ("mul", "a * b (broadcast)", lambda a, b: a * b, [((2, 3), "real"), ((2, 1), "real")]),
        ("div", "a / b", lambda a, b: a / b, [((2, 3), "real"), ((3,), "nonzero")]),
        ("pow", "a ** 3", lambda a: a**3, [((3,), "real")]),
        ("pow", "a ** b", lambda a, b: a**b, [((3,), "positive"), ((3,), "real")]),
        ("exp", "exp(a)", lambda a: a.exp(), [((2, 3), "real")]),
        ("log", "log(a)", lambda a: a.log(), [((2, 3), "positive")]),
        ("sqrt", "sqrt(a)", lambda a: a.sqrt(), [((2, 3), "positive")]),
        ("abs", "|a|", lambda a: a.abs(), [((2, 3), "distinct")]),
        ("relu", "relu(a)", lambda a: a.relu(), [((2, 3), "distinct")]),
        ("sigmoid", "sigmoid(a)", lambda a: a.sigmoid(), [((2, 3), "real")]),
        ("tanh", "tanh(a)", lambda a: a.tanh(), [((2, 3), "real")]),
        ("clip", "clip(a, -0.3, 0.2)", lambda a: a.clip(-0.3, 0.2), [((2, 3), "distinct")]),
        ("maximum", "maximum(a, b)", lambda a, b: maximum(a, b * 1.01 + 0.003), [((2, 3), "distinct")] * 2),
        ("minimum", "minimum(a, b)", lambda a, b: minimum(a, b * 1.01 + 0.003), [((2, 3), "distinct")] * 2),
        (
            "cast",
            "a.astype(longdouble).astype(float64)",
            lambda a: a.astype(np.longdouble).astype(np.float64),
            [((3,), "real")],
        ),
        ("matmul", "A @ B", lambda a, b: a @ b, [((2, 3), "real"), ((3, 2), "real")]),
        ("matmul", "A @ v (batched)", lambda a, b: a @ b, [((2, 2, 3), "real"), ((3,), "real")]),
        (
            "linear",
            "X @ W.T + b (fused)",
            lambda x, w, b: apply_op(ops.Linear(), x, w, b),
            [((2, 3), "real"), ((4, 3), "real"), ((4,), "real")],
        ),
        ("sum", "a.sum(axis=1)", lambda a: a.sum(axis=1), [((2, 3), "real")]),
        ("mean", "a.mean(axis=(0, 2))", lambda a: a.mean(axis=(0, 2)), [((2, 3, 2), "real")]),
        ("max", "a.max(axis=0)", lambda a: a.max(axis=0), [((3, 2), "distinct")]),
        ("min", "a.min()", lambda a: a.min(), [((3, 2), "distinct")]),
        ("logsumexp", "a.logsumexp(axis=1)", lambda a: a.logsumexp(axis=1), [((2, 3), "real")]),
        ("softmax", "a.softmax(axis=-1)", lambda a: a.softmax(), [((2, 3), "real")]),
        ("logsoftmax", "a.log_softmax(axis=0)", lambda a: a.log_softmax(axis=0), [((2, 3), "real")]),
        ("reshape", "a.reshape(3, 2)", lambda a: a.reshape(3, 2), [((2, 3), "real")]),
        ("transpose", "a.transpose(2, 0, 1)", lambda a: a.transpose(2, 0, 1), [((2, 3, 2), "real")]),
        ("expand", "a.expand(2, 3)", lambda a: a.expand(2, 3), [((1, 3), "real")]),
        ("getitem", "a[[0, 0, 1], 1:]", lambda a: a[[0, 0, 1], 1:], [((2, 3), "real")]),
        (
            "scatteradd",
            "zeros(4) with [0, 2, 0] += a",
            lambda a: apply_op(ops.ScatterAdd(np.array([0, 2, 0]), (4,)), a),
            [((3,), "real")],
        ),
        (
            "concatenate",
            "concatenate([a, b], axis=1)",
            lambda a, b: concatenate([a, b], axis=1),
            [((2, 2), "real"), ((2, 1), "real")],
        ),
        ("stack", "stack([a, b])", lambda a, b: stack([a, b]), [((2, 2), "real"), ((2, 2), "real")]),
        (
            "crossentropy",
            "cross_entropy(z, labels [2, 0])",
            lambda z: apply_op(ops.CrossEntropy(), z, np.array([2, 0])),
            [((2, 3), "real")],
        ),
        (
            "binarycrossentropywithlogits",
            "bce_with_logits(z, y)",
            lambda z, y: apply_op(ops.BinaryCrossEntropyWithLogits(), z, y),
            [((2, 3), "real"), ((2, 3), "real")],
        ),
        (
            "binarycrossentropy",
            "bce(p, y)",
            lambda p, y: apply_op(ops.BinaryCrossEntropy(), p.sigmoid(), y),
            [((2, 3), "real"), ((2, 3), "real")],
        ),
        ("where", "where(a > 0, a, b)", lambda a, b: where(a.data > 0, a, b), [((2, 3), "distinct")] * 2),
        # issue 18: shape, statistics, indexing, linear algebra
        ("cumsum", "a.cumsum(axis=1)", lambda a: a.cumsum(axis=1), [((2, 3), "real")]),
        ("cumprod", "a.cumprod(axis=0)", lambda a: a.cumprod(axis=0), [((3, 2), "real")]),
        (
            "einsum",
            "einsum('ij,jk->ik', A, B)",
            lambda a, b: einsum("ij,jk->ik", a, b),
            [((2, 3), "real"), ((3, 2), "real")],
        ),
        (
            "einsum",
            "einsum('ii,i->', A, v) (diagonal)",
            lambda a, b: einsum("ii,i->", a, b),
            [((3, 3), "real"), ((3,), "real")],
        ),
        # issue 18: math (arguments scaled into each op's domain)
        ("sin", "sin(a)", lambda a: a.sin(), [((2, 3), "real")]),
        ("cos", "cos(a)", lambda a: a.cos(), [((2, 3), "real")]),
        ("tan", "tan(a / 2)", lambda a: (a * 0.5).tan(), [((2, 3), "real")]),
        ("arcsin", "arcsin(0.45 a)", lambda a: (a * 0.45).arcsin(), [((2, 3), "real")]),
        ("arccos", "arccos(0.45 a)", lambda a: (a * 0.45).arccos(), [((2, 3), "real")]),
        ("arctan", "arctan(a)", lambda a: a.arctan(), [((2, 3), "real")]),
        ("sinh", "sinh(a)", lambda a: a.sinh(), [((2, 3), "real")]),
        ("cosh", "cosh(a)", lambda a: a.cosh(), [((2, 3), "real")]),
        ("arctanh", "arctanh(0.45 a)", lambda a: (a * 0.45).arctanh(), [((2, 3), "real")]),
        ("log1p", "log1p(0.4 a)", lambda a: (a * 0.4).log1p(), [((2, 3), "real")]),
        ("expm1", "expm1(a)", lambda a: a.expm1(), [((2, 3), "real")]),
        ("erf", "erf(a)", lambda a: a.erf(), [((2, 3), "real")]),
        ("sign", "sign(a) * a", lambda a: a.sign() * a, [((2, 3), "distinct")]),
        ("floor", "floor(a) * a", lambda a: a.floor() * a, [((2, 3), "distinct")]),
        ("ceil", "ceil(a) * a", lambda a: a.ceil() * a, [((2, 3), "distinct")]),
        ("round", "round(3 a) * a", lambda a: (a * 3).round() * a, [((2, 3), "distinct")]),
        ("logaddexp", "logaddexp(a, b) (broadcast)", lambda a, b: a.logaddexp(b), [((2, 3), "real"), ((3,), "real")]),
        ("hypot", "hypot(a, b) (broadcast)", lambda a, b: a.hypot(b), [((2, 3), "nonzero"), ((2, 1), "real")]),
        ("elu", "elu(a, alpha=0.7)", lambda a: a.elu(0.7), [((2, 3), "distinct")]),
        (
            "softplus",
            "softplus(5 a, beta=2, threshold=3)",
            lambda a: (a * 5).softplus(2.0, 3.0),
            [((2, 3), "distinct")],
        ),
        # issue 18: convolution and pooling
        (
            "conv2d",
            "conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2))",
            lambda x, w, b: apply_op(ops.Conv2d((2, 1), 1, (1, 2)), x, w, b),
            [((2, 2, 4, 4), "real"), ((3, 2, 2, 2), "real"), ((3,), "real")],
        ),
        (
            "conv2dinputgrad",
            "the input gradient of conv2d(x (1, 2, 4, 3), w, stride=2, padding=1)",
            lambda g, w: apply_op(ops.Conv2dInputGrad((1, 2, 4, 3), 2, 1), g, w),
            [((1, 3, 3, 2), "real"), ((3, 2, 2, 2), "real")],
        ),
        (
            "conv2dweightgrad",
            "the weight gradient of conv2d(x, w (3, 2, 2, 2), stride=2, padding=1)",
            lambda x, g: apply_op(ops.Conv2dWeightGrad((3, 2, 2, 2), 2, 1), x, g),
            [((1, 2, 4, 3), "real"), ((1, 3, 3, 2), "real")],
        ),
        (
            "maxpool2d",
            "max_pool2d(x, 2, stride=1, padding=1)",
            lambda x: apply_op(ops.MaxPool2d(2, 1, 1), x),
            [((2, 2, 3, 3), "distinct")],
        ),
    ]


def _filled(blocks: list[np.ndarray | None]) -> list[np.ndarray]:
    """Jacobian blocks of inputs that all require grad (none is None)."""
    return [b for b in blocks if b is not None]


def check_primitives(seed: int = 0, atol: float = 1e-5, rtol: float = 1e-3, order: int = 1) -> list[OpCheck]:
    """Check the derivative of every primitive op against central differences (full Jacobians, float64), on
    random inputs from each op's smooth domain: what ``tinygrad-edu gradcheck`` prints.

    ``order=2`` checks second derivatives instead: the Jacobian of each op's gradient (backpropagated with
    ``create_graph=True``, for a random upstream gradient) against central differences of that gradient, as
    :func:`gradgradcheck` does.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> results = tg.gradcheck.check_primitives()
    >>> all(r.passed for r in results), len({r.op for r in results}) >= 30
    (True, True)
    >>> all(r.passed for r in tg.gradcheck.check_primitives(order=2))
    True
    """
    _check_settings("check_primitives", atol=atol, rtol=rtol)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"check_primitives: seed must be a non-negative integer, got {seed!r}")
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"check_primitives: order must be 1 (gradients) or 2 (second derivatives), got {order!r}")
    rng = np.random.default_rng(seed)
    results = []
    for op, expression, fn, specs in _primitive_checks():
        inputs = [Tensor(_domain_values(rng, shape, domain), requires_grad=True) for shape, domain in specs]
        target = fn
        if order == 2:
            target = gradient_function(fn, inputs, rng.standard_normal(_evaluate(fn, inputs).shape))
        analytic = _filled(jacobian(target, inputs))  # every input requires grad: no None blocks
        numeric = _filled(numerical_jacobian(target, inputs))
        abs_err = np.concatenate([np.abs(a - n).ravel() for a, n in zip(analytic, numeric, strict=True)])
        ref = np.concatenate([np.abs(n).ravel() for n in numeric])
        passed = bool(np.all(abs_err <= atol + rtol * ref))
        rel_err = abs_err / np.maximum(ref, 1e-12)
        results.append(OpCheck(op, expression, passed, float(abs_err.max()), float(rel_err.max())))
    return results
