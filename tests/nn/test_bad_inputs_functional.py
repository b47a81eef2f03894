"""Bad-input campaign for ``tg.nn.functional``: every activation and loss, each thing a user can get wrong,
and a message that names the argument, the value and the fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bad_input import BadInput, check, params

from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F  # noqa: N812

NAN = math.nan
LOGITS = Tensor([[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
P = Tensor([0.2, 0.7])


def _regression_cases() -> list[BadInput]:
    cases = []
    for fn in (F.mse_loss, F.l1_loss, F.huber_loss):
        name = fn.__name__
        cases += [
            BadInput(
                f"{name}/shape",
                lambda f=fn: f(Tensor(np.zeros((4, 1))), np.zeros(4)),
                ValueError,
                (
                    "pred has shape (4, 1) but target has shape (4,)",
                    "broadcasting would give shape (4, 4)",
                    "pred.reshape((4,))",
                ),
            ),
            BadInput(
                f"{name}/int-pred",
                lambda f=fn: f(Tensor(np.array([1, 2])), [1.0, 2.0]),
                TypeError,
                ("pred must be a floating-point tensor", "dtype int64", "Tensor(x, dtype=np.float32)"),
            ),
            BadInput(
                f"{name}/str-target",
                lambda f=fn: f(P, ["a", "b"]),
                TypeError,
                (f"{name}: target must be numeric", "['a', 'b']", "pass numbers"),
            ),
            BadInput(
                f"{name}/reduction",
                lambda f=fn: f(P, [0.0, 1.0], reduction="avg"),
                ValueError,
                ("reduction must be 'mean', 'sum' or 'none'", "'avg'", "reduction='mean'"),
            ),
            BadInput(
                f"{name}/empty-mean",
                lambda f=fn: f(Tensor(np.zeros(0)), np.zeros(0)),
                ValueError,
                ("the mean over an empty batch (shape (0,))", "is undefined", "use reduction='sum'"),
            ),
            BadInput(
                f"{name}/str-pred",
                lambda f=fn: f("ab", [0.0]),
                TypeError,
                (f"{name}: pred cannot build a Tensor", "from str", "pass numbers"),
            ),
        ]
    return cases


CASES: list[BadInput] = [
    # ---- activations
    BadInput(
        "relu/str",
        lambda: F.relu("a"),
        TypeError,
        ("relu: x cannot build a Tensor", "dtype <U1 from str", "pass numbers"),
    ),
    BadInput(
        "sigmoid/none",
        lambda: F.sigmoid(None),
        TypeError,
        ("sigmoid: x cannot build a Tensor", "from NoneType", "pass numbers"),
    ),
    BadInput(
        "tanh/ragged",
        lambda: F.tanh([[1.0, 2.0], [3.0]]),
        ValueError,
        ("tanh: x cannot build a Tensor from list", "inhomogeneous", "pass numbers"),
    ),
    BadInput(
        "relu/complex",
        lambda: F.relu([1 + 2j]),
        TypeError,
        ("relu: x cannot build a Tensor", "complex128", "pass numbers"),
    ),
    BadInput(
        "softmax/axis-range",
        lambda: F.softmax(Tensor(np.zeros((2, 3))), axis=2),
        ValueError,
        ("softmax: axis=2 is out of range", "x of shape (2, 3)", "pass an axis in [-2, 1]"),
    ),
    BadInput(
        "softmax/axis-float",
        lambda: F.softmax(Tensor(np.zeros(3)), axis=1.0),
        TypeError,
        ("softmax: axis must be an int", "axis=1.0 (float)", "pass e.g. axis=-1"),
    ),
    BadInput(
        "softmax/0d", lambda: F.softmax(Tensor(1.0)), ValueError, ("softmax: x is 0-d", "axis=-1", "x.reshape(1)")
    ),
    BadInput(
        "log_softmax/axis-str",
        lambda: F.log_softmax(Tensor(np.zeros(3)), axis="x"),
        TypeError,
        ("log_softmax: axis must be an int", "axis='x' (str)", "pass e.g. axis=-1"),
    ),
    BadInput(
        "log_softmax/axis-range",
        lambda: F.log_softmax(Tensor(np.zeros(3)), axis=-2),
        ValueError,
        ("log_softmax: axis=-2 is out of range", "shape (3,)", "pass an axis in [-1, 0]"),
    ),
    # ---- regression losses
    *_regression_cases(),
    BadInput(
        "huber_loss/delta-zero",
        lambda: F.huber_loss(P, [0.0, 1.0], delta=0),
        ValueError,
        ("huber_loss: delta must be positive", "got 0", "e.g. delta=1.0"),
    ),
    BadInput(
        "huber_loss/delta-nan",
        lambda: F.huber_loss(P, [0.0, 1.0], delta=NAN),
        ValueError,
        ("delta must be positive", "got nan", "a finite number > 0"),
    ),
    BadInput(
        "huber_loss/delta-str",
        lambda: F.huber_loss(P, [0.0, 1.0], delta="1"),
        ValueError,
        ("delta must be positive", "got '1'", "e.g. delta=1.0"),
    ),
    # ---- binary cross-entropy
    BadInput(
        "bce/logits",
        lambda: F.binary_cross_entropy(Tensor([-1.0, 2.0]), [0.0, 1.0]),
        ValueError,
        ("probs must lie in [0, 1]", "values from -1 to 2", "use binary_cross_entropy_with_logits"),
    ),
    BadInput(
        "bce/nan-probs",
        lambda: F.binary_cross_entropy(Tensor([0.2, NAN]), [0.0, 1.0]),
        ValueError,
        ("probs must lie in [0, 1]", "values from 0.2 to 0.2 and NaN", "tg.detect_anomaly()"),
    ),
    BadInput(
        "bce/all-nan",
        lambda: F.binary_cross_entropy(Tensor([NAN, NAN]), [0.0, 1.0]),
        ValueError,
        ("probs must lie in [0, 1]", "only NaN values", "tg.detect_anomaly()"),
    ),
    BadInput(
        "bce/targets-pm1",
        lambda: F.binary_cross_entropy(P, [-1.0, 1.0]),
        ValueError,
        ("targets must lie in [0, 1]", "values from -1 to 1", "use (y + 1) / 2"),
    ),
    BadInput(
        "bce/targets-nan",
        lambda: F.binary_cross_entropy(P, [NAN, 1.0]),
        ValueError,
        ("targets must lie in [0, 1]", "values from 1 to 1 and NaN", "(y + 1) / 2"),
    ),
    BadInput(
        "bce/shape",
        lambda: F.binary_cross_entropy(Tensor([[0.2], [0.7]]), [0.0, 1.0]),
        ValueError,
        (
            "probs has shape (2, 1) but targets has shape (2,)",
            "broadcasting would give shape (2, 2)",
            "probs.reshape((2,))",
        ),
    ),
    BadInput(
        "bce/int-probs",
        lambda: F.binary_cross_entropy(Tensor(np.array([0, 1])), [0.0, 1.0]),
        TypeError,
        ("probs must be a floating-point tensor", "dtype int64", "Tensor(x, dtype=np.float32)"),
    ),
    BadInput(
        "bce/reduction",
        lambda: F.binary_cross_entropy(P, [0.0, 1.0], reduction=None),
        ValueError,
        ("reduction must be 'mean', 'sum' or 'none'", "got None", "reduction='mean'"),
    ),
    BadInput(
        "bce_logits/targets",
        lambda: F.binary_cross_entropy_with_logits(P, [2.0, 1.0]),
        ValueError,
        ("targets must lie in [0, 1]", "values from 1 to 2", "(y + 1) / 2"),
    ),
    BadInput(
        "bce_logits/targets-nan",
        lambda: F.binary_cross_entropy_with_logits(P, [NAN, NAN]),
        ValueError,
        ("targets must lie in [0, 1]", "only NaN values", "(y + 1) / 2"),
    ),
    BadInput(
        "bce_logits/shape",
        lambda: F.binary_cross_entropy_with_logits(Tensor([1.0, 2.0, 3.0]), [0.0, 1.0]),
        ValueError,
        ("logits has shape (3,) but targets has shape (2,)", "Make them equal"),
    ),
    BadInput(
        "bce_logits/str-targets",
        lambda: F.binary_cross_entropy_with_logits(P, ["a", "b"]),
        TypeError,
        ("targets must be numeric", "['a', 'b']", "pass numbers"),
    ),
    # ---- cross-entropy and nll
    BadInput(
        "cross_entropy/label-range",
        lambda: F.cross_entropy(LOGITS, np.array([0, 3])),
        ValueError,
        ("label 3 at position 1 is out of range for 3 classes", "labels must be in [0, 2]", "one column per class"),
    ),
    BadInput(
        "cross_entropy/negative-label",
        lambda: F.cross_entropy(LOGITS, np.array([-1, 0])),
        ValueError,
        ("label -1 at position 0", "labels must be in [0, 2]", "fix the labels"),
    ),
    BadInput(
        "cross_entropy/float-labels",
        lambda: F.cross_entropy(LOGITS, np.array([0.0, 1.0])),
        ValueError,
        ("labels must be integer class indices", "dtype float64", "np.asarray(labels, dtype=np.int64)"),
    ),
    BadInput(
        "cross_entropy/tensor-labels",
        lambda: F.cross_entropy(LOGITS, Tensor([0, 1])),
        ValueError,
        ("dtype float32", "Tensor([...]) of a Python list is float32", "np.asarray(labels, dtype=np.int64)"),
    ),
    BadInput(
        "cross_entropy/batch",
        lambda: F.cross_entropy(LOGITS, np.array([0, 1, 2])),
        ValueError,
        ("the scores have 2 rows (shape (2, 3))", "3 labels (shape (3,))", "one label per row"),
    ),
    BadInput(
        "cross_entropy/1d-logits",
        lambda: F.cross_entropy(Tensor([1.0, 2.0]), np.array([0])),
        ValueError,
        ("logits must have shape (N, C)", "got shape (2,)", "x.reshape(1, -1)"),
    ),
    BadInput(
        "cross_entropy/prob-shape",
        lambda: F.cross_entropy(LOGITS, np.ones((2, 2)) / 2),
        ValueError,
        ("logits have shape (2, 3)", "probability targets have shape (2, 2)", "one column per class"),
    ),
    BadInput(
        "cross_entropy/prob-range",
        lambda: F.cross_entropy(LOGITS, np.array([[2.0, -1.0, 0.0], [0.0, 1.0, 0.0]])),
        ValueError,
        ("probability targets must lie in [0, 1]", "values from -1 to 2", "one-hot rows or soft labels"),
    ),
    BadInput(
        "cross_entropy/prob-nan",
        lambda: F.cross_entropy(LOGITS, np.array([[NAN, 1.0, 0.0], [0.0, 1.0, 0.0]])),
        ValueError,
        ("probability targets must lie in [0, 1]", "values from 0 to 1 and NaN", "tg.detect_anomaly()"),
    ),
    BadInput(
        "cross_entropy/prob-sum",
        lambda: F.cross_entropy(LOGITS, np.array([[0.5, 0.2, 0.0], [0.0, 1.0, 0.0]])),
        ValueError,
        (
            "each row of the probability targets must sum to 1",
            "row 0 summing to 0.7",
            "t / t.sum(axis=1, keepdims=True)",
        ),
    ),
    BadInput(
        "cross_entropy/labels-3d",
        lambda: F.cross_entropy(LOGITS, np.zeros((2, 1, 1), dtype=np.int64)),
        ValueError,
        ("labels must be class indices of shape (2,)", "got shape (2, 1, 1)", "labels.reshape(-1)"),
    ),
    BadInput(
        "cross_entropy/str-labels",
        lambda: F.cross_entropy(LOGITS, ["a", "b"]),
        TypeError,
        ("cross_entropy: labels must be numeric", "['a', 'b']", "pass numbers"),
    ),
    BadInput(
        "cross_entropy/reduction",
        lambda: F.cross_entropy(LOGITS, np.array([0, 1]), reduction="batchmean"),
        ValueError,
        ("reduction must be 'mean', 'sum' or 'none'", "'batchmean'", "reduction='mean'"),
    ),
    BadInput(
        "cross_entropy/int-logits",
        lambda: F.cross_entropy(Tensor(np.array([[1, 2]])), np.array([0])),
        TypeError,
        ("logits must be a floating-point tensor", "dtype int64", "Tensor(x, dtype=np.float32)"),
    ),
    BadInput(
        "cross_entropy/empty",
        lambda: F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=np.int64)),
        ValueError,
        ("the mean over an empty batch (shape (0, 3))", "use reduction='sum'"),
    ),
    BadInput(
        "nll_loss/label-range",
        lambda: F.nll_loss(LOGITS, np.array([0, 5])),
        ValueError,
        ("nll_loss: label 5 at position 1", "labels must be in [0, 2]", "one column per class"),
    ),
    BadInput(
        "nll_loss/probs",
        lambda: F.nll_loss(LOGITS, np.ones((2, 3)) / 3),
        ValueError,
        ("nll_loss: labels must be class indices of shape (2,)", "got shape (2, 3)", "labels.reshape(-1)"),
    ),
    BadInput(
        "nll_loss/float-labels",
        lambda: F.nll_loss(LOGITS, [0.0, 1.0]),
        ValueError,
        ("labels must be integer class indices", "dtype float64", "np.asarray(labels, dtype=np.int64)"),
    ),
    BadInput(
        "nll_loss/3d",
        lambda: F.nll_loss(Tensor(np.zeros((2, 3, 1))), np.array([0, 1])),
        ValueError,
        # (N, C, d1) scores are accepted since issue 18: the labels must then be (N, d1)
        ("nll_loss: labels must be class indices of shape (2, 1)", "got shape (2,)", "reshape them"),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
