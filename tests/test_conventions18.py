"""Conventions settled by issue 18: integer astype, the gradient of 0**b, axis errors, reshape's -1 and
arange's size check. Each test states the convention and checks it (against PyTorch where torch is
installed)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck

try:  # torch is optional (not installed in CI): the parity tests are skipped without it
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")


# ---- 1. astype to an integer dtype leaves the graph (PyTorch's .int()/.long()) ------------------------


@pytest.mark.parametrize("dtype", [int, np.int32, np.int64, np.uint8, bool])
def test_astype_to_integer_of_a_tensor_that_requires_grad_is_data_outside_the_graph(dtype):
    x = Tensor(np.array([1.7, -2.2, 0.0, 3.5]), requires_grad=True)
    y = x.astype(dtype)
    assert y.dtype == np.dtype(dtype)
    assert not y.requires_grad and y._op is None  # a leaf, no graph node
    np.testing.assert_array_equal(y.data, np.array([1.7, -2.2, 0.0, 3.5]).astype(dtype))
    # the values are data: using them does not reach x
    loss = (x * y.astype(np.float64)).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, y.data.astype(np.float64))


def test_astype_between_floats_stays_differentiable():
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.requires_grad and y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [3.0, -4.0])
    # float32 in the middle: finite differences need a step far above float32's resolution
    assert gradcheck(lambda t: (t.astype(np.float32).astype(np.float64) ** 2).sum(), [x], eps=1e-2, atol=1e-3)


@needs_torch
def test_astype_to_int_matches_torch_int():
    values = np.array([1.7, -2.2, 0.0, 3.5, -0.5])
    t = torch.tensor(values, requires_grad=True).long()
    y = Tensor(values, requires_grad=True).astype(np.int64)
    assert t.requires_grad == y.requires_grad is False
    np.testing.assert_array_equal(y.data, t.numpy())


# ---- 2. d(0**b): the limits, as PyTorch, without numpy warnings -----------------------------------------

A0 = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0, -0.0, 2.0, 0.5])
B0 = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 2.0, -1.0, -2.0, -1.0, 1.5])
# PyTorch 2.x's values (torch.autograd.grad of a ** b): the limits as a -> 0+, and for a = -0.0 the sign of
# a^b decides the sign of a^b ln a
EXPECTED_A = np.array([-np.inf, -np.inf, -np.inf, 0.0, np.inf, 0.0, -np.inf, np.inf, -0.25, 1.5 * 0.5**0.5])
EXPECTED_B = np.array(
    [-np.inf, -np.inf, -np.inf, 0.0, 0.0, 0.0, np.inf, -np.inf, 0.5 * np.log(2.0), 0.5**1.5 * np.log(0.5)]
)


def _pow_grads(a, b, create_graph=False):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    with np.errstate(divide="ignore"):  # the forward 0 ** -2 = inf is numpy's own warning
        y = ta**tb
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rules raise no numpy warning
        ga, gb = tg.grad(y, [ta, tb], grad_outputs=np.ones_like(a), create_graph=create_graph)
    return np.asarray(getattr(ga, "data", ga)), np.asarray(getattr(gb, "data", gb))


@pytest.mark.parametrize("create_graph", [False, True])
def test_gradient_of_zero_to_a_power_is_the_limit(create_graph):
    ga, gb = _pow_grads(A0, B0, create_graph)
    np.testing.assert_allclose(ga, EXPECTED_A, rtol=1e-12)
    np.testing.assert_allclose(gb, EXPECTED_B, rtol=1e-12)


@pytest.mark.parametrize("exponent", [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3])
def test_gradient_of_zero_to_a_python_number_power(exponent):
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        y = x**exponent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward(np.ones(2))
    expected0 = 0.0 if exponent in (0, 2, 3) else (1.0 if exponent == 1 else np.sign(exponent) * np.inf)
    np.testing.assert_allclose(x.grad, [expected0, exponent * 2.0 ** (exponent - 1)], rtol=1e-12)


def test_gradient_in_the_exponent_of_a_zero_base_python_number():
    b = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        y = 0.0**b
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward(np.ones(3))
    np.testing.assert_array_equal(b.grad, [-np.inf, 0.0, 0.0])


def test_second_derivative_of_pow_away_from_zero_is_unchanged():
    a = Tensor(np.array([0.5, 1.5, 2.0]), requires_grad=True)
    b = Tensor(np.array([-1.5, 0.5, 2.0]), requires_grad=True)
    assert gradgradcheck(lambda x, y: x**y, [a, b])


def test_second_derivative_in_b_at_a_zero_base_is_finite_where_the_first_is():
    # d/db (a^b ln a) at a = 0, b > 0 is 0 (the mask is a constant): no NaN leaks from the masked branch
    a = Tensor(np.array([0.0, 0.0, 1.5]), requires_grad=True)
    b = Tensor(np.array([1.5, 2.0, 0.5]), requires_grad=True)
    (gb,) = tg.grad((a**b).sum(), [b], create_graph=True)
    np.testing.assert_allclose(gb.data, [0.0, 0.0, 1.5**0.5 * np.log(1.5)])
    (hbb,) = tg.grad(gb.sum(), [b])
    np.testing.assert_allclose(hbb, [0.0, 0.0, 1.5**0.5 * np.log(1.5) ** 2])


@needs_torch
def test_gradient_of_zero_to_a_power_matches_torch():
    ta = torch.tensor(A0, requires_grad=True)
    tb = torch.tensor(B0, requires_grad=True)
    ga_t, gb_t = torch.autograd.grad(ta**tb, (ta, tb), torch.ones(len(A0), dtype=torch.float64))
    ga, gb = _pow_grads(A0, B0)
    np.testing.assert_allclose(ga, ga_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, gb_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(EXPECTED_A, ga_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(EXPECTED_B, gb_t.numpy(), rtol=1e-12)


def test_readme_states_the_limit():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "d(a**b)/db = -inf" in readme


# ---- 3. axis errors are ValueError and IndexError (numpy's AxisError) -----------------------------------

X = Tensor(np.ones((2, 3)))

AXIS_ERRORS = {
    "sum": (lambda: X.sum(axis=5), "axis 5 is out of range"),
    "mean": (lambda: X.mean(axis=-3), "axis -3 is out of range"),
    "max": (lambda: X.max(axis=2), "axis 2 is out of range"),
    "softmax": (lambda: X.softmax(axis=3), "axis 3 is out of range"),
    "log_softmax": (lambda: X.log_softmax(axis=3), "axis 3 is out of range"),
    "swapaxes": (lambda: X.swapaxes(0, 4), "axis 4 is out of range"),
    "transpose": (lambda: X.transpose(0, 5), "not a permutation"),
    "stack": (lambda: tg.stack([X, X], axis=7), "stack axis 7 is out of range"),
    "concatenate": (lambda: tg.concatenate([X, X], axis=3), "axis 3"),
    "argmax": (lambda: X.argmax(axis=4), "axis 4 is out of range"),
    "F.softmax": (lambda: tg.nn.functional.softmax(X, axis=9), "axis=9 is out of range"),
    "0-d sum": (lambda: Tensor(1.0).sum(axis=0), "axis 0 is out of range"),
}


@pytest.mark.parametrize("name", list(AXIS_ERRORS))
def test_axis_errors_are_one_class_that_is_both_value_and_index_error(name):
    fn, message = AXIS_ERRORS[name]
    with pytest.raises(tg.AxisError, match=message) as info:
        fn()
    assert isinstance(info.value, ValueError) and isinstance(info.value, IndexError)
    with pytest.raises(IndexError):  # code written against numpy catches it
        fn()


def test_axis_error_is_exported_and_mirrors_numpy():
    assert tg.AxisError is tg.ops.AxisError and "AxisError" in tg.__all__
    assert issubclass(np.exceptions.AxisError, ValueError) and issubclass(np.exceptions.AxisError, IndexError)
    assert issubclass(tg.AxisError, ValueError) and issubclass(tg.AxisError, IndexError)


def test_repeated_axis_is_a_plain_value_error():
    with pytest.raises(ValueError, match="repeated axis") as info:
        X.sum(axis=(0, 0))
    assert not isinstance(info.value, IndexError)  # as numpy: a duplicate axis is not an out-of-range one


# ---- 4. reshape with two -1 ---------------------------------------------------------------------------


def test_reshape_with_two_minus_ones_says_only_one_is_allowed():
    x = Tensor(np.arange(12.0))
    with pytest.raises(ValueError, match=r"only one axis may be -1") as info:
        x.reshape(-1, -1)
    assert "(12,)" in str(info.value) and "(-1, -1)" in str(info.value)
    with pytest.raises(ValueError, match=r"into shape \(2, -1, -1\): only one axis may be -1"):
        x.reshape(2, -1, -1)
    assert x.reshape(3, -1).shape == (3, 4)  # one -1 is inferred


def test_reshape_size_mismatch_keeps_its_message():
    message = r"cannot reshape a tensor of shape \(12,\) \(12 elements\) into shape \(5, -1\)"
    with pytest.raises(ValueError, match=message):
        Tensor(np.arange(12.0)).reshape(5, -1)


# ---- 5. arange checks the count before allocating ------------------------------------------------------


@pytest.mark.parametrize(
    "args, count",
    [((1e12,), "1e+12"), ((0, 1, 1e-12), "1e+12"), ((0, float("inf")), "inf"), ((5, -1e15, -1), "1e+15")],
)
def test_arange_with_a_huge_count_raises_before_allocating(args, count):
    message = re.escape(f"would make {count} values, more than the limit MAX_ARANGE = 1073741824")
    with pytest.raises(ValueError, match=message):
        Tensor.arange(*args)


def test_arange_limit_is_exact_and_small_ranges_work():
    from tinygrad_edu.tensor import MAX_ARANGE

    assert MAX_ARANGE == 2**30
    with pytest.raises(ValueError, match="more than the limit"):
        Tensor.arange(0, MAX_ARANGE + 0.5)  # ceil: MAX_ARANGE + 1 values
    np.testing.assert_array_equal(Tensor.arange(5).data, np.arange(5.0))
    np.testing.assert_array_equal(Tensor.arange(5, 0, -2).data, [5.0, 3.0, 1.0])
    assert Tensor.arange(3, 1).size == 0  # an empty range is fine
    with pytest.raises(ValueError, match="non-zero step"):
        Tensor.arange(0, 10, 0)
