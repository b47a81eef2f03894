"""Metrics: hand-computed small cases, Hypothesis properties, input kinds (lists, arrays, Tensors) and errors."""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu import Tensor, is_grad_enabled
from tinygrad_edu import metrics as M  # noqa: N812 (short, like sklearn.metrics as M)

# ---- regression: hand cases ------------------------------------------------------------------------------


def test_regression_metrics_on_a_hand_computed_case():
    y, p = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    # residuals 0.5, -0.5, 0, -1: squares 0.25 0.25 0 1 -> 1.5 / 4; |.| 0.5 0.5 0 1 -> 2 / 4
    assert M.mse(y, p) == pytest.approx(0.375)
    assert M.rmse(y, p) == pytest.approx(math.sqrt(0.375))
    assert M.mae(y, p) == pytest.approx(0.5)
    # mean 2.875; SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    assert M.r2_score(y, p) == pytest.approx(1 - 1.5 / 29.1875)


def test_metrics_return_python_floats_for_lists_arrays_and_tensors():
    y = [1.0, 2.0, 3.0]
    for pred in ([1.0, 2.0, 4.0], np.array([1.0, 2.0, 4.0]), Tensor([1.0, 2.0, 4.0], requires_grad=True)):
        value = M.mse(y, pred)
        assert type(value) is float and value == pytest.approx(1 / 3)
    assert type(M.accuracy([0, 1], Tensor([0.2, 0.7], requires_grad=True))) is float


def test_metrics_build_no_graph_and_leave_grad_mode_alone():
    pred = Tensor([0.5, 1.5], requires_grad=True)
    M.mse([0.0, 1.0], pred)
    M.accuracy([0, 1], pred * 0.5)
    assert pred.grad is None and is_grad_enabled()


def test_column_predictions_match_flat_targets():
    assert M.mse(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])) == pytest.approx(2.0)


def test_r2_conventions():
    assert M.r2_score([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0  # predicting the mean
    assert M.r2_score([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == pytest.approx(-3.0)  # worse than the mean
    assert M.r2_score([5.0, 5.0], [5.0, 5.0]) == 1.0  # constant target, perfect prediction
    assert M.r2_score([5.0, 5.0], [4.0, 5.0]) == 0.0  # constant target, imperfect prediction
    # 2-D targets: the mean of the per-column scores (1 and 0)
    assert M.r2_score([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], [[1.0, 2.0], [2.0, 2.0], [3.0, 2.0]]) == 0.5


# ---- classification: hand cases --------------------------------------------------------------------------


def test_accuracy_of_labels_probabilities_and_logits():
    assert M.accuracy([0, 1, 1, 0], [0, 1, 0, 0]) == 0.75
    assert M.accuracy([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.4]) == 0.75  # 0.5 is not > 0.5: predicted 0
    assert M.accuracy([0, 1, 1, 0], [0.1, 0.9, 0.5, 0.4], threshold=0.95) == 0.5  # all predicted 0
    assert M.accuracy([1, 0], [[0.8], [0.3]]) == 1.0  # (N, 1) probabilities
    assert M.accuracy([2, 0, 1], [[0.0, 1.0, 5.0], [-1.0, -2.0, -3.0], [0.0, 0.0, 0.1]]) == 2 / 3  # argmax
    assert M.accuracy([[0, 0, 1], [1, 0, 0]], [2, 1]) == 0.5  # one-hot truth
    assert M.accuracy(np.array([0.0, 2.0, 1.0]), np.array([0, 2, 2])) == 2 / 3  # float labels with integer values


def test_confusion_matrix_hand_case():
    cm = M.confusion_matrix([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0])
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(M.confusion_matrix([0, 1], [0, 1], num_classes=3), np.diag([1, 1, 0]))


def test_binary_precision_recall_f1_hand_case():
    y, p = [1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0]  # TP 2, FN 1, FP 1, TN 3
    assert M.precision(y, p) == pytest.approx(2 / 3)
    assert M.recall(y, p) == pytest.approx(2 / 3)
    assert M.f1_score(y, p) == pytest.approx(2 / 3)
    assert M.recall([1, 1, 0, 0], [1, 0, 0, 0]) == 0.5
    assert M.precision([1, 1, 0, 0], [1, 0, 0, 0]) == 1.0


def test_macro_and_micro_averages_hand_case():
    y, p = [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]
    # per class: TP [1, 2, 1], FP [1, 1, 0], FN [1, 0, 1]
    assert M.precision(y, p, average="macro") == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert M.recall(y, p, average="macro") == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    assert M.f1_score(y, p, average="macro") == pytest.approx((2 / 4 + 4 / 5 + 2 / 3) / 3)
    assert M.f1_score(y, p, average="micro") == pytest.approx(M.accuracy(y, p))


def test_macro_average_uses_only_the_classes_present():
    # class 1 never occurs: it must not add a zero to the average
    assert M.recall([0, 2, 2], [0, 2, 0], average="macro") == pytest.approx((1 + 0.5) / 2)


def test_zero_division_value_when_nothing_is_predicted_positive():
    assert M.precision([1, 0], [0, 0]) == 0.0
    assert M.precision([1, 0], [0, 0], zero_division=1.0) == 1.0
    assert M.f1_score([0, 0], [0, 0]) == 0.0


def test_log_loss_hand_cases():
    assert M.log_loss([1, 0], [0.9, 0.2]) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    probs = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]
    assert M.log_loss([0, 2], probs) == pytest.approx(-(math.log(0.7) + math.log(0.8)) / 2)
    assert M.log_loss([[1, 0, 0], [0, 0, 1]], probs) == pytest.approx(M.log_loss([0, 2], probs))
    # a confident wrong prediction is clipped at eps = 1e-15: -log(1e-15) = 34.538...
    assert M.log_loss([1], [0.0]) == pytest.approx(-math.log(1e-15))


# ---- properties ------------------------------------------------------------------------------------------

finite = st.integers(-10_000, 10_000).map(lambda k: k / 100)  # no values whose square underflows


@st.composite
def regression_pairs(draw):
    n = draw(st.integers(2, 20))
    return draw(hnp.arrays(np.float64, n, elements=finite)), draw(hnp.arrays(np.float64, n, elements=finite))


@st.composite
def label_pairs(draw, max_classes=4):
    n, c = draw(st.integers(1, 20)), draw(st.integers(2, max_classes))
    labels = st.lists(st.integers(0, c - 1), min_size=n, max_size=n)
    return np.array(draw(labels)), np.array(draw(labels))


@given(regression_pairs())
def test_rmse_is_the_square_root_of_mse_and_bounds_mae(pair):
    y, p = pair
    assert M.rmse(y, p) == pytest.approx(math.sqrt(M.mse(y, p)), rel=1e-12)
    assert M.mae(y, p) <= M.rmse(y, p) * (1 + 1e-12)


@given(regression_pairs())
def test_r2_of_a_perfect_prediction_is_one_and_never_exceeds_one(pair):
    y, p = pair
    assert M.r2_score(y, y) == 1.0
    assert M.r2_score(y, p) <= 1.0


@given(label_pairs())
def test_accuracy_is_in_unit_interval_and_equals_the_confusion_matrix_trace(pair):
    y, p = pair
    acc = M.accuracy(y, p)
    assert 0.0 <= acc <= 1.0
    cm = M.confusion_matrix(y, p)
    assert cm.sum() == len(y)
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(y, minlength=cm.shape[0]))
    assert acc == pytest.approx(np.trace(cm) / len(y))
    assert M.accuracy(y, y) == 1.0


@given(label_pairs(max_classes=2))
def test_binary_scores_lie_in_unit_interval_and_f1_lies_between_precision_and_recall(pair):
    y, p = pair
    precision, recall, f1 = M.precision(y, p), M.recall(y, p), M.f1_score(y, p)
    assert all(0.0 <= v <= 1.0 for v in (precision, recall, f1))
    if precision > 0 and recall > 0:
        assert min(precision, recall) - 1e-12 <= f1 <= max(precision, recall) + 1e-12


@given(label_pairs())
def test_micro_average_equals_accuracy(pair):
    y, p = pair
    assert M.precision(y, p, average="micro") == pytest.approx(M.accuracy(y, p))


# ---- errors ----------------------------------------------------------------------------------------------

ALL = [M.accuracy, M.mse, M.rmse, M.mae, M.r2_score, M.log_loss, M.confusion_matrix, M.precision, M.recall, M.f1_score]


@pytest.mark.parametrize("metric", ALL)
def test_empty_inputs_raise(metric):
    with pytest.raises(ValueError, match=r"is empty \(shape \(0,\)\); a metric needs at least one sample"):
        metric([], [])


@pytest.mark.parametrize("metric", [m for m in ALL if m not in (M.log_loss,)])
def test_length_mismatches_raise_naming_both_lengths(metric):
    with pytest.raises(ValueError, match=r"y_true has (3 samples \(shape \(3,\)\)|shape \(3,\)) but y_pred has"):
        metric([0, 1, 1], [0, 1])


def test_regression_shape_mismatch_is_not_broadcast():
    with pytest.raises(ValueError, match=re.escape("y_true has shape (2, 2) but y_pred has shape (2,)")):
        M.mse(np.ones((2, 2)), np.ones(2))


def test_classification_input_errors():
    with pytest.raises(ValueError, match=r"values from -2 to 3\.5 is neither labels nor probabilities.*logits > 0"):
        M.accuracy([0, 1], [-2.0, 3.5])
    with pytest.raises(ValueError, match=r"y_true must hold integer class labels, got a non-integer value 0\.5"):
        M.accuracy([0.5, 1.0], [0, 1])
    with pytest.raises(TypeError, match="y_pred must be numeric"):
        M.accuracy([0, 1], ["a", "b"])
    with pytest.raises(ValueError, match=r"y_true holds the label -1 at index 1; class labels must be non-negative"):
        M.confusion_matrix([0, -1], [0, 0])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "labels must be in [0, 1] for 2 classes (num_classes=2), got y_true with values from 0 to 3 "
            "(y_true[1] = 3); pass num_classes=4 or more"
        ),
    ):
        M.confusion_matrix([0, 3], [0, 0], num_classes=2)


def test_precision_errors_explain_the_average():
    with pytest.raises(ValueError, match=re.escape("average='binary' needs labels in {0, 1}, got labels [0, 1, 2]")):
        M.precision([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="average must be 'binary', 'macro' or 'micro', got 'weighted'"):
        M.f1_score([0, 1], [0, 1], average="weighted")


def test_log_loss_errors():
    with pytest.raises(ValueError, match="apply sigmoid or softmax to logits first"):
        M.log_loss([0, 1], [-1.0, 2.0])
    with pytest.raises(ValueError, match="each row of y_pred must sum to 1"):
        M.log_loss([0, 1], [[0.5, 0.9], [0.5, 0.1]])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "labels must be in [0, 1] for 2 classes (y_pred holds probabilities of class 1), got y_true "
            "with values from 0 to 3 (y_true[1] = 3)"
        ),
    ):
        M.log_loss([0, 3], [0.5, 0.5])
    with pytest.raises(ValueError, match=re.escape("y_true has 1 samples (shape (1,)) but y_pred has 2")):
        M.log_loss([0], [0.5, 0.5])


def test_r2_needs_two_samples():
    with pytest.raises(ValueError, match="r2_score needs at least 2 samples, got 1"):
        M.r2_score([1.0], [1.0])


# ---- issue 15: the NaN rule, (N, 1) scores, label ranges ---------------------------------------------------

FLOAT_METRICS = [M.accuracy, M.mse, M.rmse, M.mae, M.r2_score, M.log_loss, M.precision, M.recall, M.f1_score]
NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("metric", FLOAT_METRICS, ids=lambda m: m.__name__)
def test_every_float_metric_is_nan_for_non_finite_predictions(metric, bad, recwarn):
    value = metric([0, 1, 1, 0], [0.2, bad, 0.9, 0.1])
    assert type(value) is float and math.isnan(value)
    assert not recwarn.list  # NaN, silently, as numpy's mean of a NaN


@pytest.mark.parametrize("bad", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("metric", [M.mse, M.rmse, M.mae, M.r2_score], ids=lambda m: m.__name__)
def test_regression_metrics_are_nan_for_non_finite_targets(metric, bad):
    assert math.isnan(metric([1.0, bad, 3.0], [1.0, 2.0, 3.0]))


def test_mse_with_an_infinite_prediction_is_nan_not_inf():
    assert math.isnan(M.mse([1.0, 2.0], [1.0, math.inf]))


def test_a_nan_row_of_scores_is_never_counted_correct():
    # argmax of a NaN row is the NaN's index, 0 here: the old result was 1.0
    assert math.isnan(M.accuracy([0, 1], [[math.nan, 0.0], [0.0, 1.0]]))


def test_r2_of_a_nan_column_is_nan_not_an_average_with_zero():
    y = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    p = y.copy()
    p[1, 1] = math.nan
    assert math.isnan(M.r2_score(y, p))
    assert math.isnan(M.r2_score([1.0, 2.0, 3.0], [math.inf, 2.0, 3.0]))


def test_nan_predictions_still_check_the_labels():
    with pytest.raises(ValueError, match=re.escape("y_true holds NaN at index 1")):
        M.accuracy([0.0, math.nan], [math.nan, 0.2])


def test_a_column_of_scores_is_thresholded_never_read_as_labels():
    assert M.accuracy([1, 0], [[1.0], [0.0]]) == 1.0  # 1 > 0.5 and 0 <= 0.5
    assert M.accuracy([0, 1], [[0.2], [0.7]], threshold=0.8) == 0.5
    with pytest.raises(ValueError, match=re.escape("y_pred of shape (2, 1) is one column of binary scores")) as err:
        M.accuracy([2, 0], [[2.0], [0.0]])  # integer-valued floats: no longer labels
    assert "values from 0 to 2" in str(err.value) and "y_pred.reshape(-1)" in str(err.value)


def test_labels_are_checked_against_the_number_of_score_columns():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "accuracy: labels must be in [0, 2] for 3 classes (y_pred holds scores for 3 classes, shape (2, 3)), "
            "got y_true with values from 0 to 3 (y_true[1] = 3)"
        ),
    ):
        M.accuracy([0, 3], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    with pytest.raises(
        ValueError, match=re.escape("labels must be in [0, 1] for 2 classes (y_pred holds probabilities")
    ):
        M.f1_score([0, 2], [0.1, 0.9], average="macro")


def test_label_errors_name_the_argument_value_and_index():
    with pytest.raises(ValueError, match=re.escape("y_true holds inf at index 2; class labels must be finite")):
        M.precision([0, 1, math.inf], [0, 1, 1])
    with pytest.raises(
        ValueError, match=re.escape("y_pred holds the label -1 at index 0; class labels must be non-neg")
    ):
        M.accuracy([0, 1], [-1, 1])
    with pytest.raises(ValueError, match=re.escape("non-integer value 1.5 at index 1")):
        M.recall([0, 1.5], [0, 1])


def test_one_hot_rows_and_scores_must_agree_on_the_number_of_classes():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "y_true has one-hot rows for 2 classes (shape (2, 2)) but y_pred holds scores for 3 classes, shape (2, 3)"
        ),
    ):
        M.accuracy([[1, 0], [0, 1]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_confusion_matrix_checks_num_classes_and_refuses_nan():
    with pytest.raises(TypeError, match=r"num_classes must be a positive int or None, got 2\.5 \(float\)"):
        M.confusion_matrix([0, 1], [0, 1], num_classes=2.5)
    with pytest.raises(ValueError, match=r"num_classes must be a positive int or None, got num_classes=0"):
        M.confusion_matrix([0, 1], [0, 1], num_classes=0)
    with pytest.raises(ValueError, match=re.escape("y_pred holds NaN at index (1, 0); a confusion matrix counts")):
        M.confusion_matrix([0, 1], [[0.9, 0.1], [math.nan, 0.5]])
    # scores of 3 columns give a 3 x 3 matrix even when class 2 never occurs
    assert M.confusion_matrix([0, 1], [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]]).shape == (3, 3)


def test_metric_argument_checks():
    with pytest.raises(ValueError, match=r"accuracy: threshold must be a number in \[0, 1\], got threshold=nan"):
        M.accuracy([0, 1], [0.2, 0.8], threshold=math.nan)
    with pytest.raises(TypeError, match=r"log_loss: eps must be a number in \(0, 0\.5\), got 'a' \(str\)"):
        M.log_loss([0, 1], [0.2, 0.8], eps="a")
    with pytest.raises(ValueError, match=r"zero_division must be a number in \[0, 1\], got zero_division=2"):
        M.precision([0, 1], [0, 1], zero_division=2)
    assert math.isnan(M.precision([1, 0], [0, 0], zero_division=math.nan))


def test_log_loss_checks_target_rows():
    with pytest.raises(ValueError, match=re.escape("y_true has rows for 3 classes (shape (2, 3)) but y_pred has 2")):
        M.log_loss([[1, 0, 0], [0, 1, 0]], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match=re.escape("y_true holds NaN at index (0, 1); target rows must be")):
        M.log_loss([[1, math.nan], [0, 1]], [[0.5, 0.5], [0.5, 0.5]])


@given(
    hnp.arrays(np.float64, st.integers(2, 12), elements=finite),
    st.data(),
    st.sampled_from(NON_FINITE),
)
def test_one_non_finite_prediction_anywhere_makes_every_metric_nan(values, data, bad):
    probs = 1 / (1 + np.exp(-values))
    labels = (values > 0).astype(np.int64)
    i = data.draw(st.integers(0, len(values) - 1))
    probs[i] = bad
    for metric in FLOAT_METRICS:
        assert math.isnan(metric(labels, probs)), metric.__name__
