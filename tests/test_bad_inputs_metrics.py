"""Bad-input campaign for ``tg.metrics``: every public function, each thing a user can get wrong, and a message
that names the argument, the value and the fix. (NaN or inf *predictions* are not bad input: the metrics return
NaN, see ``tests/test_metrics.py``.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
from bad_input import BadInput, check, params

from tinygrad_edu import metrics as M  # noqa: N812

SCORES3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]

CASES: list[BadInput] = [
    # ---- shared input handling (every metric reads its arrays the same way)
    BadInput(
        "mse/strings",
        lambda: M.mse(["a", "b"], [1.0, 2.0]),
        TypeError,
        ("mse: y_true must be numeric", "'a'", "pass numbers"),
    ),
    BadInput(
        "mae/none", lambda: M.mae([1.0], None), TypeError, ("mae: y_pred must be numeric", "None", "pass numbers")
    ),
    BadInput(
        "rmse/ragged",
        lambda: M.rmse([[1.0, 2.0], [3.0]], [1.0, 2.0]),
        ValueError,
        ("rmse: y_true is not a rectangular", "inhomogeneous", "rows of equal length"),
    ),
    BadInput(
        "r2/empty",
        lambda: M.r2_score([], []),
        ValueError,
        ("r2_score: y_true is empty", "shape (0,)", "at least one sample"),
    ),
    BadInput(
        "mse/shapes",
        lambda: M.mse(np.ones((2, 2)), np.ones(2)),
        ValueError,
        ("y_true has shape (2, 2)", "y_pred has shape (2,)", "reshape one of them"),
    ),
    BadInput(
        "mae/lengths",
        lambda: M.mae([1.0, 2.0, 3.0], [1.0, 2.0]),
        ValueError,
        ("mae: y_true has shape (3,)", "y_pred has shape (2,)", "reshape one of them"),
    ),
    BadInput(
        "r2/one-sample",
        lambda: M.r2_score([1.0], [1.0]),
        ValueError,
        ("r2_score needs at least 2 samples", "got 1", "use mse or mae"),
    ),
    BadInput(
        "accuracy/complex",
        lambda: M.accuracy([0, 1], [1j, 0j]),
        TypeError,
        ("accuracy: y_pred must be numeric", "complex128", "ints or floats"),
    ),
    BadInput(
        "accuracy/lengths",
        lambda: M.accuracy([0, 1, 1], [0, 1]),
        ValueError,
        ("y_true has 3 samples", "y_pred has 2", "one prediction per sample"),
    ),
    # ---- labels (classification targets): finite non-negative integers in range
    BadInput(
        "accuracy/nan-label",
        lambda: M.accuracy([0.0, math.nan], [0, 1]),
        ValueError,
        ("y_true holds NaN at index 1", "finite integers", "remove or fix"),
    ),
    BadInput(
        "accuracy/inf-label",
        lambda: M.accuracy([math.inf, 0.0], [0, 1]),
        ValueError,
        ("y_true holds inf at index 0", "remove or fix"),
    ),
    BadInput(
        "accuracy/float-label",
        lambda: M.accuracy([0.5, 1.0], [0, 1]),
        ValueError,
        ("y_true must hold integer class labels", "0.5 at index 0", "dtype=np.int64"),
    ),
    BadInput(
        "accuracy/negative-label",
        lambda: M.accuracy([-1, 1], [0, 1]),
        ValueError,
        ("y_true holds the label -1 at index 0", "non-negative", "(y + 1) // 2"),
    ),
    BadInput(
        "accuracy/negative-pred-label",
        lambda: M.accuracy([0, 1], [0, -1]),
        ValueError,
        ("y_pred holds the label -1 at index 1", "(y + 1) // 2"),
    ),
    BadInput(
        "accuracy/label-vs-scores",
        lambda: M.accuracy([0, 3], SCORES3),
        ValueError,
        ("labels must be in [0, 2] for 3 classes", "y_true[1] = 3", "one column of scores per class"),
    ),
    BadInput(
        "accuracy/label-vs-probs",
        lambda: M.accuracy([0, 2], [0.1, 0.9]),
        ValueError,
        ("labels must be in [0, 1] for 2 classes", "y_true[1] = 2", "fix the labels"),
    ),
    BadInput(
        "accuracy/pred-label-vs-one-hot",
        lambda: M.accuracy([[1, 0], [0, 1]], [0, 5]),
        ValueError,
        ("labels must be in [0, 1] for 2 classes", "y_pred[1] = 5", "fix the predicted labels"),
    ),
    BadInput(
        "accuracy/one-hot-vs-scores",
        lambda: M.accuracy([[1, 0], [0, 1]], SCORES3),
        ValueError,
        ("one-hot rows for 2 classes (shape (2, 2))", "shape (2, 3)", "same number of classes"),
    ),
    BadInput(
        "accuracy/one-hot-nan",
        lambda: M.accuracy([[1.0, math.nan], [0.0, 1.0]], [0, 1]),
        ValueError,
        ("y_true holds NaN at index (0, 1)", "fix those samples"),
    ),
    BadInput(
        "accuracy/3d-true",
        lambda: M.accuracy(np.zeros((2, 2, 2)), [0, 1]),
        ValueError,
        ("y_true must be labels of shape (N,)", "shape (2, 2, 2)", "reshape"),
    ),
    BadInput(
        "accuracy/3d-pred",
        lambda: M.accuracy([0, 1], np.zeros((2, 2, 2))),
        ValueError,
        ("y_pred must be labels or probabilities", "(2, 2, 2)", "reshape"),
    ),
    # ---- predictions: labels, probabilities or scores
    BadInput(
        "accuracy/logits-1d",
        lambda: M.accuracy([0, 1], [-2.0, 3.5]),
        ValueError,
        ("1-D y_pred with values from -2 to 3.5", "(logits > 0)"),
    ),
    BadInput(
        "accuracy/column-labels",
        lambda: M.accuracy([2, 0], [[2.0], [0.0]]),
        ValueError,
        ("y_pred of shape (2, 1) is one column of binary scores", "values from 0 to 2", "y_pred.reshape(-1)"),
    ),
    BadInput(
        "accuracy/threshold-nan",
        lambda: M.accuracy([0, 1], [0.2, 0.8], threshold=math.nan),
        ValueError,
        ("threshold must be a number in [0, 1]", "threshold=nan", "the default 0.5"),
    ),
    BadInput(
        "accuracy/threshold-str",
        lambda: M.accuracy([0, 1], [0.2, 0.8], threshold="0.5"),
        TypeError,
        ("threshold must be a number", "'0.5' (str)", "the default 0.5"),
    ),
    # ---- confusion_matrix
    BadInput(
        "confusion/num-classes-small",
        lambda: M.confusion_matrix([0, 3], [0, 0], num_classes=2),
        ValueError,
        ("(num_classes=2)", "y_true[1] = 3", "pass num_classes=4 or more"),
    ),
    BadInput(
        "confusion/num-classes-pred",
        lambda: M.confusion_matrix([0, 1], [0, 2], num_classes=2),
        ValueError,
        ("(num_classes=2)", "y_pred[1] = 2", "pass num_classes=3 or more"),
    ),
    BadInput(
        "confusion/num-classes-float",
        lambda: M.confusion_matrix([0, 1], [0, 1], num_classes=2.0),
        TypeError,
        ("num_classes must be a positive int", "2.0 (float)", "pass e.g. num_classes=3"),
    ),
    BadInput(
        "confusion/num-classes-zero",
        lambda: M.confusion_matrix([0, 1], [0, 1], num_classes=0),
        ValueError,
        ("num_classes must be a positive int", "num_classes=0", "or None for the largest label"),
    ),
    BadInput(
        "confusion/nan-pred",
        lambda: M.confusion_matrix([0, 1], [0.2, math.nan]),
        ValueError,
        ("y_pred holds NaN at index 1", "has no NaN", "tg.detect_anomaly()"),
    ),
    BadInput(
        "confusion/negative",
        lambda: M.confusion_matrix([0, -1], [0, 0]),
        ValueError,
        ("y_true holds the label -1", "non-negative", "(y + 1) // 2"),
    ),
    # ---- precision / recall / f1_score
    BadInput(
        "precision/average",
        lambda: M.precision([0, 1], [0, 1], average="weighted"),
        ValueError,
        ("average must be 'binary', 'macro' or 'micro'", "'weighted'", "'macro' averages"),
    ),
    BadInput(
        "recall/binary-3-classes",
        lambda: M.recall([0, 1, 2], [0, 1, 1]),
        ValueError,
        ("average='binary' needs labels in {0, 1}", "[0, 1, 2]", "use average='macro'"),
    ),
    BadInput(
        "f1/zero-division",
        lambda: M.f1_score([0, 1], [0, 1], zero_division=2),
        ValueError,
        ("zero_division must be a number in [0, 1]", "zero_division=2", "e.g. 0.0 or 1.0"),
    ),
    BadInput(
        "f1/zero-division-str",
        lambda: M.f1_score([0, 1], [0, 1], zero_division="warn"),
        TypeError,
        ("zero_division must be a number", "'warn' (str)", "e.g. 0.0 or 1.0"),
    ),
    BadInput(
        "precision/nan-label",
        lambda: M.precision([0, math.nan], [0, 1]),
        ValueError,
        ("precision: y_true holds NaN at index 1", "remove or fix"),
    ),
    BadInput(
        "recall/label-vs-scores",
        lambda: M.recall([0, 4], SCORES3, average="macro"),
        ValueError,
        ("recall: labels must be in [0, 2]", "y_true[1] = 4", "one column of scores per class"),
    ),
    # ---- log_loss
    BadInput(
        "log_loss/logits",
        lambda: M.log_loss([0, 1], [-1.0, 2.0]),
        ValueError,
        ("y_pred must be probabilities in [0, 1]", "values from -1 to 2", "apply sigmoid or softmax"),
    ),
    BadInput(
        "log_loss/rows",
        lambda: M.log_loss([0, 1], [[0.5, 0.9], [0.5, 0.1]]),
        ValueError,
        ("each row of y_pred must sum to 1", "row 1 summing to 0.6", "apply softmax"),
    ),
    BadInput(
        "log_loss/label-range",
        lambda: M.log_loss([0, 3], [0.5, 0.5]),
        ValueError,
        ("labels must be in [0, 1] for 2 classes", "y_true[1] = 3", "fix the labels"),
    ),
    BadInput(
        "log_loss/lengths",
        lambda: M.log_loss([0], [0.5, 0.5]),
        ValueError,
        ("y_true has 1 samples", "y_pred has 2", "one prediction per sample"),
    ),
    BadInput(
        "log_loss/eps",
        lambda: M.log_loss([0, 1], [0.2, 0.8], eps=0.7),
        ValueError,
        ("eps must be a number in (0, 0.5)", "eps=0.7", "e.g. eps=1e-15"),
    ),
    BadInput(
        "log_loss/row-classes",
        lambda: M.log_loss([[1, 0, 0]], [[0.5, 0.5]]),
        ValueError,
        ("y_true has rows for 3 classes (shape (1, 3))", "y_pred has 2 (shape (1, 2))", "same number of classes"),
    ),
    BadInput(
        "log_loss/row-values",
        lambda: M.log_loss([[2.0, -1.0]], [[0.5, 0.5]]),
        ValueError,
        ("y_true has values from -1 to 2", "probabilities in [0, 1]", "fix those samples"),
    ),
    BadInput(
        "log_loss/3d",
        lambda: M.log_loss([0], np.full((1, 2, 2), 0.5)),
        ValueError,
        ("y_pred must be probabilities of shape (N,) or (N, C)", "(1, 2, 2)", "reshape it"),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
