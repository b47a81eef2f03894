r"""Hypothesis strategies and assertions for property-testing gradients: yours and ours.

Import it explicitly (it needs the ``hypothesis`` package, which ``import tinygrad_edu`` does not load)::

    from hypothesis import given
    from tinygrad_edu.testing import tensors, assert_grad_close

    @given(tensors(domain="positive"))
    def test_my_function(x):
        assert_grad_close(lambda t: (t.log() * t).sum(), x)

Finite differences are only trustworthy where the function is smooth on the scale of ``eps``, so the
strategies draw values from per-op **domains**:

================  ===========================================  ==============================================
domain            values                                       for
================  ===========================================  ==============================================
``"real"``        [-2, 2]                                       smooth ops: add, mul, exp, tanh, sigmoid ...
``"positive"``    [0.2, 2]                                      log, sqrt, the base of pow (HIPS autograd's)
``"nonzero"``     [-2, -0.5] and [0.5, 2]                       divisors
``"nonkink"``     [-2, -0.05] and [0.05, 2]                     relu, abs, clip(-0, 0): 0.05 >> eps = 1e-6
``"grid"``        multiples of 1/16 in [-2, 2]                  max/min with ``unique=True``: ties are >= 1/16
                                                                apart, far more than eps
================  ===========================================  ==============================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # pragma: no cover - exercised only without the dev extra
    raise ImportError(
        "tinygrad_edu.testing needs Hypothesis: pip install hypothesis (or pip install 'tinygrad-edu[dev]')"
    ) from err

from .gradcheck import DOMAINS, GradcheckError, gradcheck, gradgradcheck, hessian_matrices
from .tensor import Tensor

__all__ = [
    "DOMAINS",
    "elements",
    "shapes",
    "broadcastable_shapes",
    "arrays",
    "tensors",
    "assert_grad_close",
    "assert_gradgrad_close",
    "assert_hessian_close",
]

GRID_STEP = 1 / 16


def elements(domain: str = "real", *, offset: float = 0.0) -> st.SearchStrategy[float]:
    """Floats from a named domain (see :data:`DOMAINS`, plus ``"grid"``).

    ``offset`` shifts the ``"grid"`` domain: values from ``elements("grid")`` and
    ``elements("grid", offset=1/32)`` are never closer than 1/32, which keeps ``maximum(a, b)`` away from ties.
    """
    if domain == "grid":
        steps = round(2.0 / GRID_STEP)
        return st.integers(-steps, steps).map(lambda k: k * GRID_STEP + offset)
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; choose one of {sorted([*DOMAINS, 'grid'])}")
    if offset:
        raise ValueError("offset applies to the 'grid' domain only")
    parts = [
        st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False) for lo, hi in DOMAINS[domain]
    ]
    return st.one_of(*parts) if len(parts) > 1 else parts[0]


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, small by default so that finite differences stay cheap."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(
    n: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Tuples of ``n`` shapes that broadcast together under numpy's rules (some axes stretched from 1,
    some missing), e.g. ``((3, 1), (2, 1, 4))``."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda b: b.input_shapes)


def arrays(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    *,
    domain: str = "real",
    unique: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    """numpy arrays of ``shape`` (a shape, a strategy of shapes, or None for :func:`shapes`) with values
    from ``elements`` or the named ``domain``; ``unique=True`` makes all values distinct."""
    shape_strategy = shapes() if shape is None else shape
    element_strategy = elements if elements is not None else _elements(domain)
    return hnp.arrays(dtype, shape_strategy, elements=element_strategy, unique=unique)


_elements = elements  # arrays() has a parameter named `elements`


def tensors(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    *,
    domain: str = "real",
    unique: bool = False,
    requires_grad: bool = True,
) -> st.SearchStrategy[Tensor]:
    """Tensors (float64 and ``requires_grad=True`` by default) built from :func:`arrays`."""
    return arrays(shape, dtype, elements, domain=domain, unique=unique).map(
        lambda a: Tensor(a, requires_grad=requires_grad)
    )


def assert_grad_close(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast: bool = False,
) -> None:
    """Assert that ``fn``'s backward pass matches central differences at ``inputs``.

    For use inside ``@given`` tests: raises ``AssertionError`` carrying :func:`gradcheck`'s report (each
    input's max error and worst element), so Hypothesis shrinks and shows the failing example.
    """
    try:
        gradcheck(fn, list(inputs), eps=eps, atol=atol, rtol=rtol, fast=fast)
    except GradcheckError as err:
        raise AssertionError(str(err)) from None


def assert_gradgrad_close(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast: bool = False,
) -> None:
    """Assert that ``fn``'s second derivatives (backpropagation through its gradient, ``create_graph=True``)
    match central differences of that gradient: :func:`tinygrad_edu.gradcheck.gradgradcheck` as an assertion,
    for ``@given`` tests."""
    try:
        gradgradcheck(fn, list(inputs), eps=eps, atol=atol, rtol=rtol, fast=fast)
    except GradcheckError as err:
        raise AssertionError(str(err)) from None


def assert_hessian_close(
    fn: Callable[..., Tensor],
    *inputs: Any,
    expected: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> np.ndarray:
    r"""Assert that the Hessian of a scalar ``fn`` by double backpropagation matches central differences of its
    gradient, and ``expected`` (a hand-derived Hessian) when given; returns the Hessian.

    The Hessian is over all inputs that require grad, flattened and joined in order: an (n, n) float64 array.
    Every entry must satisfy
    :math:`|H_{ij} - H^{\text{ref}}_{ij}| \le \text{atol} + \text{rtol}\,|H^{\text{ref}}_{ij}|`.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu.testing import assert_hessian_close
    >>> X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    >>> w = tg.Tensor(np.zeros(2), requires_grad=True)
    >>> H = assert_hessian_close(lambda w: ((tg.Tensor(X) @ w - 1.0) ** 2).mean(), w, expected=2 * X.T @ X / 3)
    """
    analytic, numeric = hessian_matrices(fn, list(inputs), eps=eps)
    references = [("central differences of the gradient", numeric)]
    if expected is not None:
        expected = np.asarray(expected, dtype=np.float64)
        if expected.shape != analytic.shape:
            raise ValueError(
                f"assert_hessian_close: expected has shape {expected.shape}, but the Hessian over the inputs that "
                f"require grad is {analytic.shape}"
            )
        references.append(("the expected Hessian", expected))
    for label, reference in references:
        error = np.abs(analytic - reference)
        bad = ~(error <= atol + rtol * np.abs(reference))
        if bad.any():
            i, j = (int(k) for k in np.argwhere(bad)[0])
            raise AssertionError(
                f"the Hessian by double backpropagation disagrees with {label} at entry ({i}, {j}): "
                f"{analytic[i, j]:.10g} against {reference[i, j]:.10g} ({int(bad.sum())} of {bad.size} entries "
                f"outside atol={atol:g} + rtol={rtol:g} * |reference|; max abs error {float(np.max(error)):.3e})"
            )
    return analytic
