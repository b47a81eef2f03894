"""The public Hypothesis strategies keep their promises (domains, grid spacing, broadcasting, dtypes,
uniqueness), and assert_grad_close passes correct gradients and reports wrong ones."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.tensor import apply_op
from tinygrad_edu.testing import (
    DOMAINS,
    GRID_STEP,
    arrays,
    assert_grad_close,
    broadcastable_shapes,
    elements,
    shapes,
    tensors,
)


class WrongExp(tg.ops.Exp):
    """exp with a deliberately wrong derivative."""

    def derivative(self, x, out):
        return 2


# --------------------------------------------------------------------------------------------------------
# elements and domains
# --------------------------------------------------------------------------------------------------------


@given(elements("real"))
def test_real_domain(v):
    assert isinstance(v, float)
    assert np.isfinite(v)
    assert -2.0 <= v <= 2.0


@given(elements("positive"))
def test_positive_domain_stays_away_from_zero(v):
    assert 0.2 <= v <= 2.0


@given(elements("nonzero"))
def test_nonzero_domain(v):
    assert 0.5 <= abs(v) <= 2.0


@given(elements("nonkink"))
def test_nonkink_domain_stays_far_from_zero_compared_to_eps(v):
    assert 0.05 <= abs(v) <= 2.0


@given(elements("grid"))
def test_grid_values_are_multiples_of_one_sixteenth(v):
    assert GRID_STEP == 1 / 16
    assert -2.0 <= v <= 2.0
    assert (v * 16).is_integer()


@given(elements("grid"), elements("grid", offset=1 / 32))
def test_offset_grid_never_equals_grid(a, b):
    assert a != b
    assert abs(a - b) >= 1 / 32  # far more than eps = 1e-6: no ties between the two sides of maximum(a, b)


def test_domains_table_matches_the_documented_intervals():
    assert DOMAINS["real"] == ((-2.0, 2.0),)
    assert DOMAINS["positive"] == ((0.2, 2.0),)
    assert DOMAINS["nonzero"] == ((-2.0, -0.5), (0.5, 2.0))
    assert DOMAINS["nonkink"] == ((-2.0, -0.05), (0.05, 2.0))


def test_two_sided_domains_reach_both_intervals():
    from hypothesis import find

    for domain in ("nonzero", "nonkink"):
        assert find(elements(domain), lambda v: v < 0) < 0
        assert find(elements(domain), lambda v: v > 0) > 0


@pytest.mark.parametrize(
    "make", [lambda: elements("bogus"), lambda: arrays(domain="bogus"), lambda: tensors(domain="bogus")]
)
def test_unknown_domain_raises_value_error_listing_the_choices(make):
    with pytest.raises(ValueError, match=r"unknown domain 'bogus'.*'grid'.*'positive'"):
        make()


def test_offset_outside_grid_raises():
    with pytest.raises(ValueError, match="offset applies to the 'grid' domain only"):
        elements("real", offset=0.5)


# --------------------------------------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------------------------------------


@given(shapes())
def test_default_shapes_are_small(shape):
    assert isinstance(shape, tuple)
    assert 0 <= len(shape) <= 3
    assert all(1 <= n <= 4 for n in shape)


@given(shapes(min_dims=2, max_dims=2, min_side=2, max_side=5))
def test_shapes_respect_bounds(shape):
    assert len(shape) == 2
    assert all(2 <= n <= 5 for n in shape)


@given(broadcastable_shapes())
def test_broadcastable_pairs_really_broadcast(pair):
    assert len(pair) == 2
    result = np.broadcast_shapes(*pair)
    assert len(result) <= 3
    # and numpy agrees on actual arrays
    assert (np.zeros(pair[0]) + np.zeros(pair[1])).shape == result


@given(broadcastable_shapes(n=3, min_dims=1, max_dims=2, max_side=3))
def test_broadcastable_triples_really_broadcast(triple):
    assert len(triple) == 3
    assert all(1 <= len(s) <= 2 for s in triple)
    assert all(1 <= n <= 3 for s in triple for n in s)
    np.broadcast_shapes(*triple)


def test_broadcastable_shapes_include_stretched_and_missing_axes():
    from hypothesis import find

    find(broadcastable_shapes(), lambda p: len(p[0]) != len(p[1]))  # a missing axis
    find(broadcastable_shapes(), lambda p: any(a == 1 < b for a, b in zip(p[0][::-1], p[1][::-1], strict=False)))


# --------------------------------------------------------------------------------------------------------
# arrays and tensors
# --------------------------------------------------------------------------------------------------------


@given(arrays())
def test_arrays_default_to_float64_real_domain(a):
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float64
    assert a.ndim <= 3
    assert np.all((a >= -2.0) & (a <= 2.0))


@given(arrays((2, 3), domain="positive"))
def test_arrays_with_fixed_shape_and_domain(a):
    assert a.shape == (2, 3)
    assert np.all(a >= 0.2)


@given(arrays(shapes(min_dims=1), np.float32, elements=st.floats(0.0, 1.0, width=32)))
def test_arrays_with_dtype_and_explicit_elements(a):
    assert a.dtype == np.float32
    assert a.ndim >= 1
    assert np.all((a >= 0.0) & (a <= 1.0))


@given(arrays((3, 4), domain="grid", unique=True))
def test_unique_arrays_are_unique(a):
    assert np.unique(a).size == a.size == 12


@given(tensors())
def test_tensors_are_float64_leaves_requiring_grad(t):
    assert isinstance(t, Tensor)
    assert t.dtype == np.float64
    assert t.requires_grad
    assert t.is_leaf
    assert t.grad is None
    assert np.all(np.abs(t.data) <= 2.0)


@given(tensors((4,), domain="nonzero", requires_grad=False))
def test_tensors_options(t):
    assert t.shape == (4,)
    assert t.requires_grad is False
    assert np.all(np.abs(t.data) >= 0.5)


@given(tensors(domain="grid", unique=True, shape=shapes(min_dims=1)))
def test_unique_grid_tensors_have_no_ties(t):
    values = np.sort(t.data.ravel())
    assert np.all(np.diff(values) >= GRID_STEP)


# --------------------------------------------------------------------------------------------------------
# assert_grad_close
# --------------------------------------------------------------------------------------------------------


@given(tensors(domain="positive"), tensors(shape=(1,)))
def test_assert_grad_close_passes_correct_functions(x, y):
    assert_grad_close(lambda a, b: (a.log() * a).sum() + (b * b).sum(), x, y)
    assert_grad_close(lambda a, b: a.sqrt() * b, x, y, fast=True)


def test_assert_grad_close_raises_assertion_error_with_the_report():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    with pytest.raises(AssertionError) as info:
        assert_grad_close(lambda t: apply_op(WrongExp(), t), x)
    msg = str(info.value)
    assert "gradcheck failed" in msg
    assert "FAIL input 0" in msg
    assert "max abs error" in msg
    assert "worst at output index (1,), input index (1,)" in msg


def test_assert_grad_close_passes_tolerances_through():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    # with a huge tolerance even the wrong derivative passes: the arguments really reach gradcheck
    assert_grad_close(lambda t: apply_op(WrongExp(), t), x, atol=10.0)
    with pytest.raises(AssertionError, match="random projection"):
        assert_grad_close(lambda t: apply_op(WrongExp(), t), x, fast=True)


def test_assert_grad_close_under_hypothesis_shrinks_to_a_failing_example():
    from hypothesis import settings

    @settings(max_examples=10, database=None, derandomize=True)
    @given(tensors(shape=(2,)))
    def check(t):
        assert_grad_close(lambda a: apply_op(WrongExp(), a), t)

    with pytest.raises(AssertionError, match="gradcheck failed"):
        check()
