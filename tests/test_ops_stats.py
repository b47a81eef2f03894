"""Issue 18, statistics: var, std, prod, cumsum, cumprod, quantile and median.

Each op: forward against numpy, the gradient against a hand-derived formula (with a random upstream gradient),
a Hypothesis property against central differences over shapes and axes, the second derivative
(gradgradcheck), PyTorch parity where torch is installed, and the error messages. The products are also
checked at zeros, where the textbook y / x gradient would be NaN.
"""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Tensor
from tinygrad_edu.testing import arrays, assert_grad_close, assert_gradgrad_close, shapes

try:
    import torch
except ImportError:  # pragma: no cover - CI has no torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")
RNG = np.random.default_rng(18)


def _leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _grad_of(fn, x, G=None):
    """Gradient of sum(G * fn(x)) by backward; returns (output, gradient, G)."""
    t = _leaf(x)
    out = fn(t)
    G = RNG.standard_normal(out.shape) if G is None else G
    (out * Tensor(G)).sum().backward()
    return out.data, t.grad, G


# --------------------------------------------------------------------------------------------------------
# var and std
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_var_std_forward_and_hand_derived_gradient(axis, ddof, keepdims):
    x = RNG.standard_normal((3, 4, 2))
    out, grad, G = _grad_of(lambda t: t.var(axis=axis, ddof=ddof, keepdims=keepdims), x)
    np.testing.assert_allclose(out, np.var(x, axis=axis, ddof=ddof, keepdims=keepdims), rtol=1e-12)
    mean = x.mean(axis=axis, keepdims=True)
    n = x.size / mean.size
    Gk = G if keepdims or axis is None else np.expand_dims(G, axis)
    np.testing.assert_allclose(grad, Gk * 2 * (x - mean) / (n - ddof), rtol=1e-10)  # d var / dx_i
    out, grad, G = _grad_of(lambda t: t.std(axis=axis, ddof=ddof, keepdims=keepdims), x)
    std = np.std(x, axis=axis, ddof=ddof, keepdims=True)
    np.testing.assert_allclose(out, np.std(x, axis=axis, ddof=ddof, keepdims=keepdims), rtol=1e-12)
    Gk = G if keepdims or axis is None else np.expand_dims(G, axis)
    np.testing.assert_allclose(grad, Gk * (x - mean) / ((n - ddof) * std), rtol=1e-10)  # d std / dx_i


def test_var_default_ddof_is_numpys_zero():
    x = Tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(1.25)  # /n, numpy's; PyTorch's default (correction=1) gives 5/3
    assert x.var(ddof=1).item() == pytest.approx(5 / 3)


def test_std_of_constant_values_has_nan_gradient_as_pytorch():
    x = _leaf([2.0, 2.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        x.std().backward()
    assert x.std().item() == 0.0
    assert np.isnan(x.grad).all()  # 0 / 0: documented in the docstring, PyTorch gives NaN too


@given(st.data())
def test_var_std_match_finite_differences(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    ddof = data.draw(st.integers(0, 1))
    assert_grad_close(lambda t: t.var(axis=axis, ddof=ddof), x)
    spread = Tensor(x.data + np.arange(x.size).reshape(shape), requires_grad=True)  # never all equal
    assert_grad_close(lambda t: t.std(axis=axis, ddof=ddof), spread)


def test_var_std_second_derivative():
    x = _leaf(RNG.standard_normal((3, 4)))
    assert_gradgrad_close(lambda t: t.var(axis=1, ddof=1), x)
    assert_gradgrad_close(lambda t: t.std(axis=0), x)


def test_var_hessian_hand_derived():
    """var over n values: H = 2/(n - ddof) (I - 11^T/n)."""
    from tinygrad_edu.testing import assert_hessian_close

    n = 4
    assert_hessian_close(lambda t: t.var(ddof=1), _leaf(RNG.standard_normal(n)), expected=2 / 3 * (np.eye(n) - 1 / n))


def test_var_errors_name_the_problem():
    x = Tensor([[1.0, 2.0]])
    with pytest.raises(ValueError, match=re.escape("1 element(s) over axis 0 with ddof=1 leave 0 degrees of freedom")):
        x.var(axis=0, ddof=1)
    with pytest.raises(ValueError, match="ddof must be a non-negative int"):
        x.var(ddof=-1)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        x.std(axis=2)


# --------------------------------------------------------------------------------------------------------
# prod, cumsum, cumprod
# --------------------------------------------------------------------------------------------------------


def _products_of_others(x, axis):
    """d prod / dx_i = product of the other elements, by brute force (exact with zeros)."""
    x = np.moveaxis(x, axis, -1)
    out = np.empty_like(x)
    for i in range(x.shape[-1]):
        out[..., i] = np.prod(np.delete(x, i, axis=-1), axis=-1)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_prod_hand_derived_gradient_with_zeros(axis):
    x = RNG.uniform(0.5, 1.5, (3, 4))
    x[0, 1] = 0.0  # one zero in a row and a column
    x[2, 2] = x[2, 3] = 0.0  # two zeros in one row: every gradient of that row is 0
    out, grad, G = _grad_of(lambda t: t.prod(axis=axis), x)
    np.testing.assert_array_equal(out, np.prod(x, axis=axis))
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, np.expand_dims(G, axis) * _products_of_others(x, axis), rtol=1e-12)


def test_prod_of_one_zero_gives_the_product_of_the_others():
    x = _leaf([2.0, 0.0, 3.0, 4.0])
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 24.0, 0.0, 0.0])


@pytest.mark.parametrize("axis", [None, (0, 2), (1,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod_axes_and_keepdims(axis, keepdims):
    x = RNG.uniform(-1.5, 1.5, (2, 3, 2))
    out, grad, G = _grad_of(lambda t: t.prod(axis=axis, keepdims=keepdims), x)
    np.testing.assert_allclose(out, np.prod(x, axis=axis, keepdims=keepdims), rtol=1e-12)
    full = np.prod(x, axis=axis, keepdims=True)
    Gk = G if keepdims or axis is None else np.expand_dims(G, axis)
    np.testing.assert_allclose(grad, Gk * full / x, rtol=1e-9)  # no zeros here: y / x is exact


def test_prod_of_an_empty_axis_is_one():
    x = _leaf(np.zeros((2, 0)))
    out = x.prod(axis=1)
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    out.sum().backward()
    assert x.grad.shape == (2, 0)


def _reverse_cumsum(g, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_cumsum_hand_derived(axis):
    x = RNG.standard_normal((3, 4))
    out, grad, G = _grad_of(lambda t: t.cumsum(axis=axis), x)
    np.testing.assert_allclose(out, np.cumsum(x, axis=axis), rtol=1e-12)
    expected = _reverse_cumsum(G, 0).reshape(x.shape) if axis is None else _reverse_cumsum(G, axis)
    np.testing.assert_allclose(grad, expected, rtol=1e-12)  # x_i reaches every y_j with j >= i


def _cumprod_grad(x, G):
    """sum over j >= i of G_j prod_{k <= j, k != i} x_k, by brute force along the last axis."""
    n = x.shape[-1]
    out = np.zeros_like(x)
    for i in range(n):
        for j in range(i, n):
            out[..., i] += G[..., j] * np.prod(np.delete(x[..., : j + 1], i, axis=-1), axis=-1)
    return out


@pytest.mark.parametrize("with_zeros", [False, True])
def test_cumprod_hand_derived(with_zeros):
    x = RNG.uniform(-1.5, 1.5, (3, 5))
    if with_zeros:
        x[0, 0] = x[1, 2] = x[1, 4] = x[2, 3] = 0.0
    out, grad, G = _grad_of(lambda t: t.cumprod(axis=1), x)
    np.testing.assert_array_equal(out, np.cumprod(x, axis=1))
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, _cumprod_grad(x, G), rtol=1e-10, atol=1e-12)
    out, grad0, G0 = _grad_of(lambda t: t.cumprod(axis=0), x.T)  # along another axis: the same numbers
    np.testing.assert_allclose(grad0, _cumprod_grad(x, G0.T).T, rtol=1e-10, atol=1e-12)


def test_cumprod_float32_stays_float32():
    x = Tensor(np.array([1.0, 0.0, 2.0], dtype=np.float32), requires_grad=True)
    x.cumprod().sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 3.0, 0.0])


@given(st.data())
def test_cumulative_and_prod_match_finite_differences(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert_grad_close(lambda t: t.cumsum(axis=axis), x)
    assert_grad_close(lambda t: t.cumprod(axis=axis), x)
    assert_grad_close(lambda t: t.prod(axis=axis), x)
    assert_grad_close(lambda t: t.prod(), x)


@given(arrays(shapes(min_dims=1, max_dims=2, max_side=3), domain="grid"))
def test_cumprod_with_zeros_matches_finite_differences(values):
    """Grid values include exact zeros, often several: the rule is exact there (cumprod is a polynomial)."""
    assert_grad_close(lambda t: t.cumprod(axis=-1), Tensor(values, requires_grad=True))
    assert_gradgrad_close(lambda t: t.cumprod(axis=-1), Tensor(values, requires_grad=True))


def test_cumulative_and_prod_second_derivatives():
    x = RNG.uniform(-1.5, 1.5, (2, 3))
    x[1, 1] = 0.0
    assert_gradgrad_close(lambda t: t.cumsum(axis=1), _leaf(x))
    assert_gradgrad_close(lambda t: t.cumprod(axis=1), _leaf(x))
    assert_gradgrad_close(lambda t: t.prod(axis=0), _leaf(x))


def test_cumulative_errors_name_the_axis():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of range for a tensor of shape \(2, 3\)"):
        x.cumsum(axis=2)
    with pytest.raises(TypeError, match=re.escape("cumprod: axis must be an int or None, got 1.5")):
        x.cumprod(axis=1.5)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        x.prod(axis=3)


# --------------------------------------------------------------------------------------------------------
# quantile and median
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [0.0, 0.25, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_quantile_forward_and_hand_derived_gradient(q, axis):
    x = RNG.permutation(12).reshape(3, 4) * 0.5 - 2  # distinct values: no ties
    out, grad, G = _grad_of(lambda t: t.quantile(q, axis=axis), x)
    np.testing.assert_allclose(out, np.quantile(x, q, axis=axis), rtol=1e-12)
    flat, g_flat = (x.reshape(-1, 1), np.reshape(G, (1,))) if axis is None else (x, G)
    ax = 0 if axis is None else axis
    moved = np.moveaxis(flat, ax, -1)
    n = moved.shape[-1]
    pos = q * (n - 1)
    lo, t = int(np.floor(pos)), pos - np.floor(pos)
    order = np.argsort(moved, axis=-1)
    expected = np.zeros_like(moved)
    for r in range(moved.shape[0]):
        expected[r, order[r, lo]] += (1 - t) * g_flat[r]  # the lower neighbour, weight 1 - t
        if t:
            expected[r, order[r, lo + 1]] += t * g_flat[r]  # the upper one, weight t
    np.testing.assert_allclose(grad, np.moveaxis(expected, -1, ax).reshape(x.shape), rtol=1e-12)


def test_median_is_numpys_mean_of_the_middle_two():
    x = _leaf([4.0, 1.0, 3.0, 2.0])
    m = x.median()
    assert m.item() == 2.5  # numpy's; torch.median gives the lower one (2.0)
    m.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.5, 0.5])
    np.testing.assert_array_equal(Tensor(np.arange(6.0).reshape(2, 3)).median(axis=1, keepdims=True).data, [[1], [4]])


@given(arrays(shapes(min_dims=1, max_dims=2, max_side=4), domain="grid", unique=True), st.floats(0, 1))
def test_quantile_matches_finite_differences(values, q):
    x = Tensor(values, requires_grad=True)
    np.testing.assert_allclose(x.quantile(q).data, np.quantile(values, q), rtol=1e-9, atol=1e-12)
    assert_grad_close(lambda t: t.quantile(q, axis=0), x)
    assert_gradgrad_close(lambda t: t.median(axis=-1), x)


def test_quantile_errors():
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"q must be in \[0, 1\], got 1.5"):
        x.quantile(1.5)
    with pytest.raises(TypeError, match="q must be one number"):
        x.quantile([0.1, 0.2])
    with pytest.raises(ValueError, match="quantile of an empty tensor"):
        Tensor(np.zeros(0)).median()


# --------------------------------------------------------------------------------------------------------
# PyTorch parity
# --------------------------------------------------------------------------------------------------------


def _parity(ours, theirs, x):
    a = _leaf(x)
    b = torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a), theirs(b)
    np.testing.assert_allclose(out_a.data, out_b.detach().numpy(), rtol=1e-10, atol=1e-12)
    G = RNG.standard_normal(out_a.shape)
    (out_a * Tensor(G)).sum().backward()
    (out_b * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


_ZEROS = np.array([[2.0, 0.0, 3.0, 1.5], [0.0, 1.0, 0.0, -2.0], [1.0, -1.0, 0.5, 2.0]])

STATS_PARITY = [
    ("var_ddof1", lambda t: t.var(axis=1, ddof=1), lambda t: t.var(dim=1, correction=1), RNG.normal(size=(3, 4))),
    ("var_ddof0", lambda t: t.var(axis=0), lambda t: t.var(dim=0, correction=0), RNG.normal(size=(3, 4))),
    (
        "std_keepdims",
        lambda t: t.std(axis=1, keepdims=True),
        lambda t: t.std(dim=1, correction=0, keepdim=True),
        RNG.normal(size=(3, 4)),
    ),
    ("prod_zeros", lambda t: t.prod(axis=1), lambda t: t.prod(dim=1), _ZEROS),
    ("prod_all_one_zero", lambda t: t.prod(), lambda t: t.prod(), np.array([2.0, 0.0, 3.0, 0.5])),
    ("cumsum", lambda t: t.cumsum(axis=1), lambda t: t.cumsum(dim=1), RNG.normal(size=(3, 4))),
    ("cumprod_zeros", lambda t: t.cumprod(axis=1), lambda t: t.cumprod(dim=1), _ZEROS),
    ("quantile", lambda t: t.quantile(0.3, axis=1), lambda t: t.quantile(0.3, dim=1), RNG.normal(size=(3, 5))),
]


@needs_torch
@pytest.mark.parametrize("case", STATS_PARITY, ids=[c[0] for c in STATS_PARITY])
def test_stats_match_pytorch(case):
    _, ours, theirs, x = case
    _parity(ours, theirs, x)
