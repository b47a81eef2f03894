"""Initialisers: bounds and standard deviations against their formulas, seeding, in-place semantics, errors."""

import math
import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import init

SHAPE = (300, 500)  # 150 000 samples: the sample std is within ~0.4% of the true one
FAN_IN, FAN_OUT = 500, 300


def weight(shape=SHAPE, dtype=np.float64):
    return Tensor.zeros(*shape, dtype=dtype, requires_grad=True)


def test_fans_of_linear_and_higher_dimensional_weights():
    assert init.fan_in_and_fan_out((3, 5)) == (5, 3)
    assert init.fan_in_and_fan_out((8, 4, 3, 3)) == (36, 72)  # receptive field 3*3 multiplies both


def test_fans_of_a_vector_are_an_error_that_suggests_alternatives():
    with pytest.raises(
        ValueError, match=re.escape("at least 2 dimensions (out, in), got shape (4,); initialise a bias")
    ):
        init.fan_in_and_fan_out((4,))
    with pytest.raises(ValueError, match="got shape"):
        init.xavier_uniform_(Tensor.zeros(4))


@pytest.mark.parametrize(
    ("nonlinearity", "param", "gain"),
    [
        ("linear", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
    ],
)
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_unknown_nonlinearity_and_mode_are_rejected():
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'; choose one of"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(weight(), mode="fan_avg")


def test_constant_fills():
    w = weight((2, 3))
    assert init.ones_(w) is w and np.all(w.data == 1)
    assert np.all(init.zeros_(w).data == 0)
    assert np.all(init.constant_(w, 0.25).data == 0.25)


def test_uniform_bounds_mean_and_variance():
    tg.manual_seed(0)
    w = init.uniform_(weight(), -2.0, 4.0).data
    assert w.min() >= -2.0 and w.max() < 4.0
    assert w.mean() == pytest.approx(1.0, abs=0.02)
    assert w.var() == pytest.approx(6.0**2 / 12, rel=0.02)


def test_normal_mean_and_std():
    tg.manual_seed(0)
    w = init.normal_(weight(), mean=3.0, std=0.5).data
    assert w.mean() == pytest.approx(3.0, abs=0.01)
    assert w.std() == pytest.approx(0.5, rel=0.01)


def test_xavier_uniform_bound_and_std():
    tg.manual_seed(0)
    w = init.xavier_uniform_(weight(), gain=2.0).data
    bound = 2.0 * math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(2.0 * math.sqrt(2 / (FAN_IN + FAN_OUT)), rel=0.01)


def test_xavier_normal_std():
    tg.manual_seed(0)
    w = init.xavier_normal_(weight()).data
    assert w.std() == pytest.approx(math.sqrt(2 / (FAN_IN + FAN_OUT)), rel=0.01)
    assert abs(w.mean()) < 0.01 * w.std()


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
def test_kaiming_uniform_bound_and_std(mode, fan):
    tg.manual_seed(0)
    w = init.kaiming_uniform_(weight(), mode=mode, nonlinearity="relu").data
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(math.sqrt(2 / fan), rel=0.01)


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
def test_kaiming_normal_std_is_sqrt_two_over_fan(mode, fan):
    tg.manual_seed(0)
    w = init.kaiming_normal_(weight(), mode=mode, nonlinearity="relu").data
    assert w.std() == pytest.approx(math.sqrt(2 / fan), rel=0.01)


def test_kaiming_uniform_with_a_sqrt5_is_linears_default():
    tg.manual_seed(0)
    w = init.kaiming_uniform_(weight(), a=math.sqrt(5)).data
    assert np.abs(w).max() <= 1 / math.sqrt(FAN_IN) and np.abs(w).max() > 0.99 / math.sqrt(FAN_IN)


def test_glorot_and_he_are_aliases():
    assert init.glorot_uniform_ is init.xavier_uniform_ and init.glorot_normal_ is init.xavier_normal_
    assert init.he_uniform_ is init.kaiming_uniform_ and init.he_normal_ is init.kaiming_normal_


@pytest.mark.parametrize(
    "fill",
    [
        lambda w: init.uniform_(w),
        lambda w: init.normal_(w),
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
    ],
)
def test_initialisers_are_reproducible_with_manual_seed(fill):
    tg.manual_seed(3)
    a = fill(weight((4, 5))).data.copy()
    tg.manual_seed(3)
    b = fill(weight((4, 5))).data.copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fill(weight((4, 5))).data)  # the generator moved on


def test_initialisers_work_in_place_keep_dtype_and_record_no_graph():
    w = weight((3, 4), dtype=np.float32)
    array = w.data
    out = init.kaiming_normal_(w)
    assert out is w and w.data is array
    assert w.dtype == np.float32 and w.requires_grad and w.is_leaf


def test_initialisers_reject_non_tensors_integer_tensors_and_bad_ranges():
    with pytest.raises(TypeError, match="xavier_uniform_ fills a Tensor in place, got ndarray"):
        init.xavier_uniform_(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="normal_ needs a floating-point tensor, got dtype int64"):
        init.normal_(Tensor(np.zeros((2, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match="uniform_ needs a < b, got a=1, b=0"):
        init.uniform_(weight((2, 2)), 1, 0)
    with pytest.raises(ValueError, match="normal_ needs std >= 0, got std=-1"):
        init.normal_(weight((2, 2)), std=-1)
