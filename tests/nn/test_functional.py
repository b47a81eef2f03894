"""Losses and activations of tinygrad_edu.nn.functional: values against direct numpy formulas, gradients
against the hand-derived formulas, finite-difference properties, extreme logits and error messages."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor, ops
from tinygrad_edu.nn import functional as F  # noqa: N812 (PyTorch users know F)
from tinygrad_edu.testing import arrays, assert_grad_close, elements, shapes

RNG = np.random.default_rng(1234)
REDUCTIONS = ["mean", "sum", "none"]


# ---- numpy references ----------------------------------------------------------------------------------


def np_reduce(per, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](per)


def np_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def np_softmax(z):
    return np.exp(np_log_softmax(z))


def onehot(labels, c):
    return np.eye(c)[labels]


def leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


# ---- activations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "ref"),
    [
        (F.relu, lambda x: np.maximum(x, 0)),
        (F.sigmoid, np_sigmoid),
        (F.tanh, np.tanh),
        (F.softmax, np_softmax),
        (F.log_softmax, np_log_softmax),
    ],
)
def test_activation_values_match_numpy(fn, ref):
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(fn(x).data, ref(x), rtol=1e-12, atol=1e-15)


def test_softmax_axis_argument_normalises_that_axis():
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(F.softmax(x, axis=0).data.sum(axis=0), np.ones(4), rtol=1e-12)


# ---- values against numpy formulas ----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_loss_values_match_numpy(reduction):
    p, y = RNG.normal(size=(5, 2)), RNG.normal(size=(5, 2)) * 2
    r = p - y
    delta = 0.7
    huber = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
    np.testing.assert_allclose(F.mse_loss(p, y, reduction).data, np_reduce(r**2, reduction), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(p, y, reduction).data, np_reduce(np.abs(r), reduction), rtol=1e-12)
    np.testing.assert_allclose(F.huber_loss(p, y, delta, reduction).data, np_reduce(huber, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses_values_match_numpy(reduction):
    z = RNG.normal(size=(6,)) * 3
    y = RNG.integers(0, 2, size=6).astype(np.float64)
    p = np_sigmoid(z)
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(z, y, reduction).data, np_reduce(expected, reduction), rtol=1e-10
    )
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction).data, np_reduce(expected, reduction), rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_values_match_numpy(reduction):
    z = RNG.normal(size=(5, 4)) * 2
    labels = np.array([0, 3, 1, 1, 2])
    expected = -np_log_softmax(z)[np.arange(5), labels]
    np.testing.assert_allclose(F.cross_entropy(z, labels, reduction).data, np_reduce(expected, reduction), rtol=1e-12)
    log_p = np_log_softmax(z)
    np.testing.assert_allclose(F.nll_loss(log_p, labels, reduction).data, np_reduce(expected, reduction), rtol=1e-12)


def test_cross_entropy_with_probability_targets_matches_numpy():
    z = RNG.normal(size=(4, 3))
    t = np_softmax(RNG.normal(size=(4, 3)))
    expected = -(t * np_log_softmax(z)).sum(axis=1).mean()
    np.testing.assert_allclose(F.cross_entropy(z, t).item(), expected, rtol=1e-12)


def test_cross_entropy_with_one_hot_targets_equals_integer_labels():
    z = RNG.normal(size=(4, 3))
    labels = np.array([2, 0, 1, 2])
    assert F.cross_entropy(z, onehot(labels, 3)).item() == pytest.approx(F.cross_entropy(z, labels).item(), rel=1e-14)


def test_cross_entropy_equals_nll_of_log_softmax_and_is_one_fused_node():
    z, labels = leaf(RNG.normal(size=(3, 4))), np.array([1, 0, 3])
    fused = F.cross_entropy(z, labels)
    assert isinstance(fused.grad_fn, ops.CrossEntropy)
    assert fused.item() == pytest.approx(F.nll_loss(F.log_softmax(z), labels).item(), rel=1e-14)


def test_reduction_none_keeps_the_batch_shape():
    z = RNG.normal(size=(5, 3))
    assert F.cross_entropy(z, np.zeros(5, dtype=int), "none").shape == (5,)
    assert F.mse_loss(z, z, "none").shape == (5, 3)
    assert F.binary_cross_entropy_with_logits(z, np.ones((5, 3)), "none").shape == (5, 3)


def test_hand_computed_cross_entropy_value():
    # logits [0, ln 3] -> softmax [1/4, 3/4]; label 1 costs -ln(3/4)
    assert F.cross_entropy([[0.0, np.log(3.0)]], np.array([1])).item() == pytest.approx(-np.log(0.75), rel=1e-6)


# ---- gradients against the hand-derived formulas ----------------------------------------------------------


def test_mse_gradient_is_two_over_n_times_residual():
    p, y = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    pred = leaf(p)
    F.mse_loss(pred, y).backward()
    n = p.size
    np.testing.assert_allclose(pred.grad, 2 / n * (p - y), rtol=1e-12)


def test_l1_and_huber_gradients_match_hand_formulas():
    p, y = RNG.normal(size=10) * 2, RNG.normal(size=10)
    pred = leaf(p)
    F.l1_loss(pred, y).backward()
    np.testing.assert_allclose(pred.grad, np.sign(p - y) / 10, rtol=1e-12)
    pred = leaf(p)
    F.huber_loss(pred, y, delta=0.5).backward()
    np.testing.assert_allclose(pred.grad, np.clip(p - y, -0.5, 0.5) / 10, rtol=1e-12)


def test_bce_with_logits_gradient_is_sigmoid_minus_target_over_n():
    z, y = RNG.normal(size=(8,)) * 3, RNG.random(8)
    logits = leaf(z)
    F.binary_cross_entropy_with_logits(logits, y).backward()
    np.testing.assert_allclose(logits.grad, (np_sigmoid(z) - y) / 8, rtol=1e-12)


def test_bce_gradient_is_residual_over_p_one_minus_p_over_n():
    p, y = RNG.uniform(0.05, 0.95, size=6), RNG.random(6)
    probs = leaf(p)
    F.binary_cross_entropy(probs, y).backward()
    np.testing.assert_allclose(probs.grad, (p - y) / (p * (1 - p)) / 6, rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z, labels = RNG.normal(size=(5, 4)), np.array([3, 0, 0, 2, 1])
    logits = leaf(z)
    F.cross_entropy(logits, labels).backward()
    np.testing.assert_allclose(logits.grad, (np_softmax(z) - onehot(labels, 4)) / 5, rtol=1e-12, atol=1e-15)


def test_cross_entropy_sum_and_none_gradients_scale_per_sample():
    z, labels = RNG.normal(size=(3, 2)), np.array([1, 0, 1])
    logits = leaf(z)
    F.cross_entropy(logits, labels, "sum").backward()
    np.testing.assert_allclose(logits.grad, np_softmax(z) - onehot(labels, 2), rtol=1e-12, atol=1e-15)
    logits = leaf(z)
    weights = np.array([1.0, 2.0, -1.0])
    F.cross_entropy(logits, labels, "none").backward(weights)
    np.testing.assert_allclose(logits.grad, weights[:, None] * (np_softmax(z) - onehot(labels, 2)), atol=1e-15)


def test_cross_entropy_gradient_for_soft_targets_reaches_both_inputs():
    z, t = RNG.normal(size=(3, 4)), np_softmax(RNG.normal(size=(3, 4)))
    logits, targets = leaf(z), leaf(t)
    F.cross_entropy(logits, targets).backward()
    np.testing.assert_allclose(logits.grad, (np_softmax(z) - t) / 3, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(targets.grad, -np_log_softmax(z) / 3, rtol=1e-12)


def test_nll_gradient_is_minus_onehot_over_n():
    log_p, labels = leaf(np_log_softmax(RNG.normal(size=(4, 3)))), np.array([2, 2, 0, 1])
    F.nll_loss(log_p, labels).backward()
    np.testing.assert_allclose(log_p.grad, -onehot(labels, 3) / 4)


# ---- finite-difference properties over batch sizes and class counts ---------------------------------------


@st.composite
def scores_and_labels(draw, max_n=6, max_c=5):
    n, c = draw(st.integers(1, max_n)), draw(st.integers(1, max_c))
    scale = draw(st.sampled_from([1.0, 4.0]))
    scores = draw(arrays((n, c), elements=elements("real"))) * scale
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    return scores, labels


@given(scores_and_labels(), st.sampled_from(REDUCTIONS))
def test_cross_entropy_matches_finite_differences(data, reduction):
    z, labels = data
    assert_grad_close(lambda t: F.cross_entropy(t, labels, reduction), leaf(z))


@given(scores_and_labels(), st.data())
def test_cross_entropy_soft_targets_match_finite_differences(data, draw):
    z, _ = data
    t = np_softmax(draw.draw(arrays(z.shape, elements=elements("real"))))
    assert_grad_close(lambda a, b: F.cross_entropy(a, b), leaf(z), leaf(t))


@given(scores_and_labels(), st.sampled_from(REDUCTIONS))
def test_nll_loss_matches_finite_differences(data, reduction):
    z, labels = data
    assert_grad_close(lambda t: F.nll_loss(F.log_softmax(t), labels, reduction), leaf(z))


@given(shapes(min_dims=1, max_dims=2, max_side=5), st.data(), st.sampled_from(REDUCTIONS))
def test_bce_with_logits_matches_finite_differences(shape, data, reduction):
    z = data.draw(arrays(shape, elements=elements("real"))) * 3
    y = data.draw(arrays(shape, elements=st.floats(0, 1)))
    assert_grad_close(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction), leaf(z), leaf(y))


@given(shapes(min_dims=1, max_dims=2, max_side=5), st.data(), st.sampled_from(REDUCTIONS))
def test_bce_matches_finite_differences(shape, data, reduction):
    p = data.draw(arrays(shape, elements=st.floats(0.05, 0.95)))
    y = data.draw(arrays(shape, elements=st.floats(0, 1)))
    assert_grad_close(lambda a, b: F.binary_cross_entropy(a, b, reduction), leaf(p), leaf(y))


@given(shapes(max_dims=2, max_side=5), st.data(), st.sampled_from(REDUCTIONS))
def test_regression_losses_match_finite_differences(shape, data, reduction):
    y = data.draw(arrays(shape, domain="real"))
    residual = data.draw(arrays(shape, domain="nonkink"))  # |r| >= 0.05: away from the kink of |r|
    p = y + residual
    assert_grad_close(lambda a, b: F.mse_loss(a, b, reduction), leaf(p), leaf(y))
    assert_grad_close(lambda a, b: F.l1_loss(a, b, reduction), leaf(p), leaf(y))
    assert_grad_close(lambda a, b: F.huber_loss(a, b, 0.6, reduction), leaf(p), leaf(y))


# ---- extreme logits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_for_logits_of_1e4(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    logits = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 0]))
    loss.backward()
    # row 0: -log softmax = 1e4 - (-1e4) = 2e4; row 1: 1e4 - (-1e4) + log 2
    assert loss.item() == pytest.approx((2e4 + 2e4 + np.log(2)) / 2, rel=1e-6)
    assert np.isfinite(logits.grad).all()
    expected = (np.array([[1, 0, 0], [0, 0.5, 0.5]]) - np.array([[0, 1, 0], [1, 0, 0]])) / 2
    np.testing.assert_allclose(logits.grad, expected, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_finite_for_logits_of_1e4(dtype):
    z = np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    logits = Tensor(z, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, y, "none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4])
    np.testing.assert_allclose(logits.grad, [0.0, 0.0, 1.0, -1.0])


def test_bce_on_probabilities_clamps_log_at_minus_100():
    probs = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(probs, np.array([1.0, 0.0, 0.0, 1.0]), "none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0])
    assert np.isfinite(probs.grad).all()
    np.testing.assert_allclose(probs.grad, [-1e12, 1e12, 0.0, 0.0])  # (p - y) / max(p(1-p), 1e-12)


# ---- dtypes and input kinds --------------------------------------------------------------------------------


def test_float32_predictions_keep_float32_loss_with_float64_numpy_targets():
    pred = Tensor([[0.5], [1.5]], requires_grad=True)
    assert F.mse_loss(pred, np.array([[1.0], [1.0]])).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(pred, np.array([[1.0], [0.0]])).dtype == np.float32
    assert F.cross_entropy(Tensor([[0.5, 1.5]]), np.array([1])).dtype == np.float32


def test_integer_label_tensors_are_accepted():
    labels = Tensor(np.array([1, 0]))
    assert F.cross_entropy([[0.0, 1.0], [1.0, 0.0]], labels).item() == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-6)


# ---- errors ---------------------------------------------------------------------------------------------


def test_label_out_of_range_names_the_label_and_the_range():
    with pytest.raises(ValueError, match=re.escape("label 3 at position 1 is out of range for 3 classes")) as err:
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    assert "[0, 2]" in str(err.value)
    with pytest.raises(ValueError, match="label -1 at position 0"):
        F.nll_loss(np.zeros((2, 3)), np.array([-1, 0]))


def test_float_labels_are_rejected_with_the_fix():
    with pytest.raises(ValueError, match=r"labels must be integer class indices, got dtype float64.*int64"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"got dtype float32 \(Tensor\(\[\.\.\.\]\) of a Python list is float32\)"):
        F.nll_loss(np.zeros((2, 3)), Tensor([0, 1]))


def test_batch_size_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=re.escape("4 rows (shape (4, 3)) but there are 3 labels (shape (3,))")):
        F.cross_entropy(np.zeros((4, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=re.escape("logits have shape (4, 3) but the probability targets")):
        F.cross_entropy(np.zeros((4, 3)), np.full((4, 2), 0.5))


@pytest.mark.parametrize("shape", [(3,), ()])  # (N, C, d1, ...) is accepted since issue 18
def test_cross_entropy_needs_2d_logits(shape):
    with pytest.raises(
        ValueError, match=re.escape(f"logits must have shape (N, C), N samples by C classes, got shape {shape}")
    ):
        F.cross_entropy(np.zeros(shape), np.array([0]))


def test_wrong_label_ndim_is_named():
    with pytest.raises(ValueError, match=re.escape("labels must be class indices of shape (2,) or probability")):
        F.cross_entropy(np.zeros((2, 3)), np.zeros((2, 3, 1), dtype=int))


def test_regression_shape_mismatch_warns_about_broadcasting():
    with pytest.raises(
        ValueError,
        match=re.escape("pred has shape (4, 1) but target has shape (4,); broadcasting would give shape (4, 4)"),
    ):
        F.mse_loss(np.zeros((4, 1)), np.zeros(4))


def test_probabilities_and_targets_outside_unit_interval_are_rejected():
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\], got values from -1 to 2.*with_logits"):
        F.binary_cross_entropy(np.array([-1.0, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\].*\(y \+ 1\) / 2"):
        F.binary_cross_entropy_with_logits(np.zeros(2), np.array([-1.0, 1.0]))


def test_bad_reduction_delta_and_dtype_are_rejected():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(np.zeros(2), np.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="delta must be positive, got 0"):
        F.huber_loss(np.zeros(2), np.zeros(2), delta=0)
    with pytest.raises(TypeError, match="pred must be a floating-point tensor, got dtype int64"):
        F.mse_loss(Tensor(np.array([1, 2])), np.zeros(2))


def test_mean_over_an_empty_batch_is_an_error_but_sum_is_zero():
    with pytest.raises(ValueError, match=re.escape("the mean over an empty batch (shape (0, 3)) is undefined")):
        F.cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    assert F.cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int), "sum").item() == 0.0


def test_loss_of_a_model_output_backpropagates_into_parameters():
    tg.manual_seed(0)
    layer = tg.nn.Linear(3, 2, dtype=np.float64)
    x = RNG.normal(size=(4, 3))
    F.cross_entropy(layer(x), np.array([0, 1, 1, 0])).backward()
    assert layer.weight.grad.shape == (2, 3) and np.abs(layer.weight.grad).sum() > 0


# ---- issue 15: NaN in "values from .. to .." messages, and argument checks --------------------------------


def test_value_ranges_in_messages_mention_nan():
    with pytest.raises(ValueError) as err:
        F.binary_cross_entropy(Tensor([0.2, np.nan, 3.0]), [0.0, 1.0, 1.0])
    assert "probs must lie in [0, 1], got values from 0.2 to 3 and NaN (NaN: the model or the data diverged" in str(
        err.value
    )
    with pytest.raises(ValueError, match=re.escape("targets must lie in [0, 1], got only NaN values")):
        F.binary_cross_entropy_with_logits(Tensor([0.2, 0.1]), [np.nan, np.nan])
    with pytest.raises(
        ValueError, match=re.escape("probability targets must lie in [0, 1], got values from 0 to 1 and NaN")
    ):
        F.cross_entropy(Tensor([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [np.nan, 1.0]]))


def test_probability_targets_must_sum_to_one():
    with pytest.raises(
        ValueError, match=re.escape("each row of the probability targets must sum to 1, got row 1 summing")
    ):
        F.cross_entropy(Tensor([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.5, 0.2]]))


def test_softmax_axis_and_input_errors_name_the_argument():
    with pytest.raises(
        ValueError, match=re.escape("softmax: axis=2 is out of range for x of shape (2, 3); pass an axis")
    ):
        F.softmax(Tensor(np.zeros((2, 3))), axis=2)
    with pytest.raises(TypeError, match=re.escape("log_softmax: axis must be an int, got axis='x' (str)")):
        F.log_softmax(Tensor(np.zeros(3)), axis="x")
    with pytest.raises(ValueError, match=re.escape("softmax: x is 0-d (a single value) and has no axis")):
        F.softmax(Tensor(1.0))
    with pytest.raises(TypeError, match=r"relu: x cannot build a Tensor of dtype <U1 from str.*pass numbers"):
        F.relu("a")


@pytest.mark.parametrize("delta", [0.0, -1.0, np.nan, np.inf, "1"])
def test_huber_delta_must_be_a_finite_positive_number(delta):
    with pytest.raises(ValueError, match=re.escape(f"huber_loss: delta must be positive, got {delta!r}; pass")):
        F.huber_loss(Tensor([1.0]), [0.0], delta=delta)
