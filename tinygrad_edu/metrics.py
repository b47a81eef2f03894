r"""Metrics: how good are the predictions? numpy arrays, lists or Tensors in, Python floats out.

Metrics only read values: they never build a graph and never need gradients (a Tensor is read through
``np.asarray``), so they can be called inside or outside ``no_grad`` and on anything a model returns.
Computations run in float64.

Regression (:math:`y` targets, :math:`\hat y` predictions, :math:`n` elements):

* ``mse``: :math:`\frac1n \sum_i (y_i - \hat y_i)^2`; ``rmse``: :math:`\sqrt{\mathrm{mse}}` (in the units of
  :math:`y`); ``mae``: :math:`\frac1n \sum_i |y_i - \hat y_i|`;
* ``r2_score``: :math:`1 - \sum_i (y_i - \hat y_i)^2 / \sum_i (y_i - \bar y)^2`, the fraction of the
  variance explained (1 is perfect, 0 is as good as predicting the mean).

Classification (labels :math:`0 \dots C-1`):

* ``accuracy``: the fraction of correct predictions; ``confusion_matrix``: counts of (true, predicted) pairs;
* ``precision`` :math:`TP/(TP+FP)`, ``recall`` :math:`TP/(TP+FN)`, ``f1_score`` :math:`2TP/(2TP+FP+FN)`
  (binary or averaged over classes);
* ``log_loss``: the cross-entropy of predicted probabilities, :math:`-\frac1N \sum_n \log p_{n y_n}`.

Predictions for the classification metrics may be labels (1-D integers), probabilities of the positive class
(1-D floats in [0, 1], or one column of shape (N, 1), thresholded at 0.5) or per-class scores of shape
(N, C), C >= 2 (probabilities or logits: the argmax wins). A column of shape (N, 1) is always read as binary
scores, never as labels.

**NaN and infinity (one rule for every metric).** A metric whose *predictions* (``y_pred``) or *regression
targets* (``y_true`` of ``mse``, ``rmse``, ``mae``, ``r2_score``) contain NaN or :math:`\pm\infty` returns
``nan``, never a number that looks fine (``mse`` with an infinite value is ``nan``, not ``inf``), and warns
nothing: after a diverged training step ``tg.train.fit`` records these NaN values as they are. The one
exception is ``confusion_matrix``, whose integer counts cannot be NaN: it raises ``ValueError``. *Class
labels* (``y_true`` of the classification metrics) are data, not predictions: a NaN, an infinite, a
non-integer or an out-of-range label raises ``ValueError`` naming the argument, the value and its index.
Shapes are checked (never broadcast) and the messages name both shapes.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from typing import Any, Literal, NamedTuple

import numpy as np

__all__ = [
    "accuracy",
    "mse",
    "rmse",
    "mae",
    "r2_score",
    "log_loss",
    "confusion_matrix",
    "precision",
    "recall",
    "f1_score",
]

Average = Literal["binary", "macro", "micro"]


# --------------------------------------------------------------------------------------------------------
# input handling: reading arrays, describing values, checking labels
# --------------------------------------------------------------------------------------------------------


def _array(x: Any, fn: str, what: str) -> np.ndarray:
    """A numeric, non-empty numpy view of ``x`` (a Tensor is read through its ``__array__``: no graph)."""
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists: numpy's own text says which dimension
        raise ValueError(
            f"{fn}: {what} is not a rectangular array of numbers ({err}); pass rows of equal length, a numpy "
            "array or a Tensor"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{fn}: {what} must be numeric, got dtype {arr.dtype} ({reprlib.repr(x)}); pass numbers: a list, a "
            "numpy array or a Tensor of ints or floats"
        )
    if arr.size == 0:
        raise ValueError(f"{fn}: {what} is empty (shape {arr.shape}); a metric needs at least one sample")
    return arr


def _fmt(value: float) -> str:
    """A value as a message shows it: NaN and inf spelled out, numbers in their shortest form."""
    return "NaN" if math.isnan(value) else f"{value:g}"


def value_range(arr: np.ndarray) -> str:
    """``"values from 0 to 3"``, with ``" and NaN"`` when NaN is present (NaN has no place in a range).

    Shared with the losses' messages (``tinygrad_edu.nn.functional``); not part of the metrics API.
    """
    nan = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(arr.shape, dtype=bool)
    if nan.all():
        return "only NaN values"
    rest = arr[~nan]
    text = f"values from {_fmt(float(rest.min()))} to {_fmt(float(rest.max()))}"
    return text + " and NaN" if nan.any() else text


def _first_nonfinite(arr: np.ndarray) -> str | None:
    """``"NaN at index 2"`` for the first NaN or infinite element, or ``None`` if all are finite."""
    if arr.dtype.kind != "f":
        return None
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{_fmt(float(arr[idx]))} at index {idx[0] if len(idx) == 1 else idx}"


def _same_length(a: np.ndarray, b: np.ndarray, fn: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{fn}: y_true has {len(a)} samples (shape {a.shape}) but y_pred has {len(b)} (shape {b.shape}); "
            "pass one prediction per sample"
        )


def _integral(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biu" or bool(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))


def _check_labels(arr: np.ndarray, fn: str, what: str) -> np.ndarray:
    """``arr`` (1-D) as int64 class labels: finite, integer-valued and non-negative, or ``ValueError`` that
    names ``what``, the value and its index."""
    bad = _first_nonfinite(arr)
    if bad is not None:
        raise ValueError(
            f"{fn}: {what} holds {bad}; class labels must be finite integers 0, 1, ..., C-1: remove or fix "
            "those samples"
        )
    if not _integral(arr):
        i = int(np.flatnonzero(arr != np.round(arr))[0])
        raise ValueError(
            f"{fn}: {what} must hold integer class labels, got a non-integer value {arr[i].item()!r} at index {i}; "
            f"pass integer labels, e.g. np.asarray({what}, dtype=np.int64)"
        )
    labels = arr.astype(np.int64)
    if labels.min() < 0:
        i = int(np.argmax(labels < 0))
        raise ValueError(
            f"{fn}: {what} holds the label {labels[i]} at index {i}; class labels must be non-negative integers "
            "0, 1, ..., C-1: for labels in {-1, 1} use (y + 1) // 2"
        )
    return labels


def _check_label_range(labels: np.ndarray, n_classes: int, fn: str, what: str, why: str, fix: str) -> None:
    """``ValueError`` if a label is ``>= n_classes``; ``why`` says where the number of classes comes from."""
    if labels.max() >= n_classes:
        i = int(np.argmax(labels >= n_classes))
        raise ValueError(
            f"{fn}: labels must be in [0, {n_classes - 1}] for {n_classes} classes ({why}), got {what} with "
            f"{value_range(labels)} ({what}[{i}] = {labels[i]}); {fix}"
        )


def _check_number(fn: str, name: str, value: Any, low: float, high: float, *, closed: bool, hint: str) -> float:
    """``value`` as a float in [low, high] (``closed``) or (low, high), else an error naming it and ``hint``."""
    interval = f"[{low:g}, {high:g}]" if closed else f"({low:g}, {high:g})"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a number in {interval}, got {value!r} ({type(value).__name__}); {hint}")
    v = float(value)
    if not (low <= v <= high if closed else low < v < high):  # False for NaN
        raise ValueError(f"{fn}: {name} must be a number in {interval}, got {name}={value!r}; {hint}")
    return v


class _Labels(NamedTuple):
    """Labels read from ``y_true`` or ``y_pred``, and the number of classes their layout implies."""

    labels: np.ndarray | None  # None: predictions with NaN or inf (the metric is NaN)
    n_classes: int | None  # columns of scores or one-hot rows; 2 for binary probabilities; None for labels
    why: str  # where n_classes comes from, for messages
    bad: str | None = None  # the first non-finite prediction, "NaN at index 2"


class _TrueLabels(NamedTuple):
    """Labels read from ``y_true`` (always present: non-finite targets raise) and the number of classes their
    layout implies."""

    labels: np.ndarray
    n_classes: int | None  # columns of one-hot rows; None for labels
    why: str  # where n_classes comes from, for messages


def _true_labels(arr: np.ndarray, fn: str) -> _TrueLabels:
    """Class labels from labels (N,) or (N, 1) (integers, or floats with integer values) or one-hot /
    probability rows (N, C)."""
    if arr.ndim == 2 and arr.shape[1] > 1:
        bad = _first_nonfinite(arr)
        if bad is not None:
            raise ValueError(f"{fn}: y_true holds {bad}; one-hot rows must be finite: remove or fix those samples")
        c = arr.shape[1]
        return _TrueLabels(np.argmax(arr, axis=1).astype(np.int64), c, f"y_true has one-hot rows of shape {arr.shape}")
    if arr.ndim == 2:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{fn}: y_true must be labels of shape (N,) or one-hot rows (N, C), got shape {arr.shape}; "
            "reshape it, e.g. y_true.reshape(-1)"
        )
    return _TrueLabels(_check_labels(arr, fn, "y_true"), None, "")


def _pred_labels(arr: np.ndarray, fn: str, threshold: float) -> _Labels:
    """Predicted labels from labels (N,), probabilities of class 1 (N,) or (N, 1), or scores (N, C)."""
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{fn}: y_pred must be labels or probabilities of shape (N,), or scores of shape (N, C), "
            f"got shape {arr.shape}; reshape it"
        )
    bad = _first_nonfinite(arr)
    if arr.ndim == 2 and arr.shape[1] > 1:
        c = arr.shape[1]
        labels = None if bad else np.argmax(arr, axis=1).astype(np.int64)
        return _Labels(labels, c, f"y_pred holds scores for {c} classes, shape {arr.shape}", bad)
    column = arr.ndim == 2  # (N, 1): one column of binary scores, never labels
    flat = arr.reshape(-1)
    if bad is not None:
        return _Labels(None, 2 if column else None, "y_pred is one column of binary scores", bad)
    if not column and _integral(flat):
        return _Labels(_check_labels(flat, fn, "y_pred"), None, "")
    if np.all((flat >= 0) & (flat <= 1)):
        return _Labels((flat > threshold).astype(np.int64), 2, "y_pred holds probabilities of class 1")
    if column:
        raise ValueError(
            f"{fn}: y_pred of shape {arr.shape} is one column of binary scores (probabilities of class 1, "
            f"thresholded at {threshold:g}), got {value_range(flat)}; for logits pass their sigmoid or "
            "(logits > 0), for predicted labels pass shape (N,): y_pred.reshape(-1)"
        )
    raise ValueError(
        f"{fn}: 1-D y_pred with {value_range(flat)} is neither labels nor probabilities in [0, 1]; for binary "
        "logits pass (logits > 0) or their sigmoid"
    )


_CLASS_FIX = "make y_pred hold one column of scores per class, or fix the labels"


def _class_pair(
    y_true: Any, y_pred: Any, fn: str, threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray | None, int | None]:
    """True labels, predicted labels (``None`` when ``y_pred`` holds NaN or inf) and the number of classes
    implied by the inputs' layout (``None`` when both are plain labels). Labels are checked against it."""
    true_arr = np.atleast_1d(_array(y_true, fn, "y_true"))
    pred_arr = np.atleast_1d(_array(y_pred, fn, "y_pred"))
    _same_length(true_arr, pred_arr, fn)
    true, pred = _true_labels(true_arr, fn), _pred_labels(pred_arr, fn, threshold)
    if true.n_classes is not None and pred.n_classes is not None and true.n_classes != pred.n_classes:
        raise ValueError(
            f"{fn}: y_true has one-hot rows for {true.n_classes} classes (shape {true_arr.shape}) but "
            f"{pred.why}; give both the same number of classes"
        )
    if pred.n_classes is not None:
        _check_label_range(true.labels, pred.n_classes, fn, "y_true", pred.why, _CLASS_FIX)
    elif true.n_classes is not None and pred.labels is not None:
        _check_label_range(pred.labels, true.n_classes, fn, "y_pred", true.why, "fix the predicted labels")
    n_classes = pred.n_classes if pred.n_classes is not None else true.n_classes
    return true.labels, pred.labels, n_classes


def _regression_pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """float64 arrays of one shape. A (N, 1) column against (N,) is accepted (both flattened); any other
    shape difference raises instead of broadcasting."""
    true = np.atleast_1d(_array(y_true, fn, "y_true")).astype(np.float64)
    pred = np.atleast_1d(_array(y_pred, fn, "y_pred")).astype(np.float64)
    if true.shape != pred.shape:
        if np.squeeze(true).shape != np.squeeze(pred).shape:
            raise ValueError(
                f"{fn}: y_true has shape {true.shape} but y_pred has shape {pred.shape}; they must hold the same "
                "values in the same layout: reshape one of them"
            )
        true, pred = true.reshape(-1), pred.reshape(-1)
    return true, pred


def _finite(*arrays: np.ndarray) -> bool:
    """All values finite; otherwise the metric is NaN (the module's rule: see its docstring)."""
    return all(bool(np.isfinite(a).all()) for a in arrays)


# --------------------------------------------------------------------------------------------------------
# regression
# --------------------------------------------------------------------------------------------------------


def mse(y_true: Any, y_pred: Any) -> float:
    r"""Mean squared error :math:`\frac1n \sum_i (y_i - \hat y_i)^2`; ``nan`` if an input holds NaN or inf.

    Examples
    --------
    >>> mse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    1.3333333333333333
    >>> mse([1.0, 2.0], [1.0, float("inf")])    # NaN, not inf: see the module's NaN rule
    nan
    """
    true, pred = _regression_pair(y_true, y_pred, "mse")
    if not _finite(true, pred):
        return math.nan
    return float(np.mean((true - pred) ** 2))


def rmse(y_true: Any, y_pred: Any) -> float:
    r"""Root mean squared error :math:`\sqrt{\frac1n \sum_i (y_i - \hat y_i)^2}`, in the units of :math:`y`;
    ``nan`` if an input holds NaN or inf."""
    true, pred = _regression_pair(y_true, y_pred, "rmse")
    if not _finite(true, pred):
        return math.nan
    return float(np.sqrt(np.mean((true - pred) ** 2)))


def mae(y_true: Any, y_pred: Any) -> float:
    r"""Mean absolute error :math:`\frac1n \sum_i |y_i - \hat y_i|` (less sensitive to outliers than mse);
    ``nan`` if an input holds NaN or inf."""
    true, pred = _regression_pair(y_true, y_pred, "mae")
    if not _finite(true, pred):
        return math.nan
    return float(np.mean(np.abs(true - pred)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    r"""Coefficient of determination :math:`R^2 = 1 - \mathrm{SS_{res}} / \mathrm{SS_{tot}}`, with
    :math:`\mathrm{SS_{res}} = \sum_i (y_i - \hat y_i)^2` and :math:`\mathrm{SS_{tot}} = \sum_i (y_i - \bar y)^2`.

    1 for a perfect prediction, 0 for predicting the mean :math:`\bar y`, negative for worse than that.
    If :math:`y` is constant (:math:`\mathrm{SS_{tot}} = 0`) the result is 1 for a perfect prediction and 0
    otherwise (scikit-learn's convention). For 2-D targets (N, k) it is computed per output column and
    averaged. ``nan`` if an input holds NaN or inf (in any column).

    Raises
    ------
    ValueError
        With fewer than two samples (the variance of one value is undefined).

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0
    >>> r2_score([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    0.0
    """
    true, pred = _regression_pair(y_true, y_pred, "r2_score")
    if len(true) < 2:
        raise ValueError(
            f"r2_score needs at least 2 samples, got {len(true)} (y_true of shape {true.shape}); the variance of "
            "one value is undefined: use mse or mae for a single sample"
        )
    if not _finite(true, pred):
        return math.nan
    ss_res = np.sum((true - pred) ** 2, axis=0)
    ss_tot = np.sum((true - true.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))


# --------------------------------------------------------------------------------------------------------
# classification
# --------------------------------------------------------------------------------------------------------


def accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    r"""Fraction of correct predictions :math:`\frac1N \sum_n [\hat y_n = y_n]`, in [0, 1].

    Parameters
    ----------
    y_true : array-like
        Labels (N,) or (N, 1) (non-negative integers, or floats with integer values) or one-hot rows (N, C).
    y_pred : array-like
        Predicted labels (N,); probabilities of class 1, (N,) or one column (N, 1), predicted 1 where
        :math:`p > \mathrm{threshold}`; or per-class scores (N, C), probabilities or logits, predicted
        :math:`\arg\max_c` (then the labels must lie in [0, C)).
    threshold : float, default 0.5
        For probabilities of class 1; in [0, 1].

    Returns
    -------
    float
        ``nan`` if ``y_pred`` holds NaN or inf (a diverged model), never a count of its rows.

    Raises
    ------
    ValueError
        For NaN, non-integer, negative or out-of-range labels, different lengths, or shapes that are neither
        labels, probabilities nor scores.

    Examples
    --------
    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    >>> accuracy([0, 1], [0.2, 0.9])                     # probabilities
    1.0
    >>> accuracy([2, 0], [[0.1, 0.2, 3.0], [5.0, 1.0, 0.0]])   # logits: argmax
    1.0
    """
    threshold = _check_number(
        "accuracy", "threshold", threshold, 0.0, 1.0, closed=True, hint="the default 0.5 predicts 1 where p > 0.5"
    )
    true, pred, _ = _class_pair(y_true, y_pred, "accuracy", threshold)
    if pred is None:
        return math.nan
    return float(np.mean(true == pred))


def _check_num_classes(num_classes: Any) -> int | None:
    if num_classes is None:
        return None
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(
            f"confusion_matrix: num_classes must be a positive int or None, got {num_classes!r} "
            f"({type(num_classes).__name__}); pass e.g. num_classes=3, or None for the largest label plus one"
        )
    if num_classes < 1:
        raise ValueError(
            f"confusion_matrix: num_classes must be a positive int or None, got num_classes={num_classes!r}; pass "
            "the number of classes, or None for the largest label plus one"
        )
    return int(num_classes)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    r"""Counts :math:`M_{ij}` of samples with true class :math:`i` predicted as class :math:`j` (rows: truth,
    columns: prediction, as in scikit-learn). The diagonal holds the correct predictions, and
    :math:`\sum_{ij} M_{ij} = N`.

    Parameters
    ----------
    y_true, y_pred : array-like
        As for :func:`accuracy`; labels must be non-negative integers.
    num_classes : int, optional
        The matrix size :math:`C`; every label must be below it. By default the number of columns of
        ``y_pred``'s scores or ``y_true``'s one-hot rows (2 for probabilities), or the largest label plus one,
        whichever is larger.

    Returns
    -------
    numpy.ndarray of int64, shape (C, C)

    Raises
    ------
    ValueError
        Also when ``y_pred`` holds NaN or inf: integer counts have no NaN (the exception to the module's rule).

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1])
    array([[1, 1],
           [0, 2]])
    """
    fn = "confusion_matrix"
    size = _check_num_classes(num_classes)
    true, pred, implied = _class_pair(y_true, y_pred, fn)
    if pred is None:
        pred_arr = np.atleast_1d(np.asarray(y_pred, dtype=np.float64))
        raise ValueError(
            f"{fn}: y_pred holds {_first_nonfinite(pred_arr)}; a confusion matrix counts predicted classes and "
            "has no NaN (the other metrics return nan here): check the model for divergence, e.g. with "
            "tg.detect_anomaly()"
        )
    if size is None:
        size = max(int(max(true.max(), pred.max())) + 1, implied or 0)
    else:
        fix = f"pass num_classes={int(max(true.max(), pred.max())) + 1} or more, or leave it None"
        _check_label_range(true, size, fn, "y_true", f"num_classes={size}", fix)
        _check_label_range(pred, size, fn, "y_pred", f"num_classes={size}", fix)
    counts = np.bincount(true * size + pred, minlength=size * size)
    return counts.reshape(size, size).astype(np.int64)


def _ratio(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), zero_division)


def _check_zero_division(value: Any, fn: str) -> float:
    hint = "it is the score reported when a denominator is 0, e.g. 0.0 or 1.0 (or float('nan'))"
    if isinstance(value, float) and math.isnan(value):
        return value
    return _check_number(fn, "zero_division", value, 0.0, 1.0, closed=True, hint=hint)


def _per_class(y_true: Any, y_pred: Any, average: str, fn: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """True positives, false positives and false negatives per considered class (one entry for binary
    and micro, one per class present in y_true or y_pred for macro); ``None`` if y_pred holds NaN or inf."""
    if average not in ("binary", "macro", "micro"):
        raise ValueError(
            f"{fn}: average must be 'binary', 'macro' or 'micro', got {average!r}; 'macro' averages over the "
            "classes, 'micro' over the samples"
        )
    true, pred, _ = _class_pair(y_true, y_pred, fn)
    found = true if pred is None else np.concatenate([true, pred])
    if average == "binary" and not np.isin(found, (0, 1)).all():
        raise ValueError(
            f"{fn}: average='binary' needs labels in {{0, 1}}, got labels {np.unique(found).tolist()}; use "
            "average='macro' (or 'micro') for more classes"
        )
    if pred is None:
        return None
    cm = confusion_matrix(true, pred, num_classes=max(2, int(max(true.max(), pred.max())) + 1))
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(axis=0) - tp
    fn_ = cm.sum(axis=1) - tp
    if average == "binary":
        return tp[1:2], fp[1:2], fn_[1:2]
    if average == "micro":
        return tp.sum(keepdims=True), fp.sum(keepdims=True), fn_.sum(keepdims=True)
    present = np.union1d(true, pred)
    return tp[present], fp[present], fn_[present]


def _score(y_true: Any, y_pred: Any, average: str, zero_division: Any, fn: str, which: str) -> float:
    """precision, recall or F1 (``which``) from the per-class counts; ``nan`` for NaN or inf predictions."""
    zero = _check_zero_division(zero_division, fn)
    counts = _per_class(y_true, y_pred, average, fn)
    if counts is None:
        return math.nan
    tp, fp, fn_ = counts
    num, den = {"precision": (tp, tp + fp), "recall": (tp, tp + fn_), "f1": (2 * tp, 2 * tp + fp + fn_)}[which]
    return float(np.mean(_ratio(num, den, zero)))


def precision(y_true: Any, y_pred: Any, average: Average = "binary", zero_division: float = 0.0) -> float:
    r"""Precision :math:`TP / (TP + FP)`: of the samples predicted positive, the fraction that are.

    Parameters
    ----------
    y_true, y_pred : array-like
        As for :func:`accuracy`; ``nan`` if ``y_pred`` holds NaN or inf.
    average : {"binary", "macro", "micro"}
        ``"binary"``: labels in {0, 1}, class 1 is positive. ``"macro"``: the unweighted mean over the classes
        present in ``y_true`` or ``y_pred``, each class in turn positive. ``"micro"``: from the counts summed
        over classes (equals accuracy for single-label data).
    zero_division : float, default 0.0
        The value when nothing is predicted positive (:math:`TP + FP = 0`): a number in [0, 1] or NaN.

    Examples
    --------
    >>> precision([0, 1, 1, 0], [1, 1, 0, 0])     # TP = 1, FP = 1
    0.5
    """
    return _score(y_true, y_pred, average, zero_division, "precision", "precision")


def recall(y_true: Any, y_pred: Any, average: Average = "binary", zero_division: float = 0.0) -> float:
    r"""Recall (sensitivity) :math:`TP / (TP + FN)`: of the positive samples, the fraction found.

    Parameters as :func:`precision`; ``zero_division`` is used when there are no positive samples.

    Examples
    --------
    >>> recall([0, 1, 1, 1], [1, 1, 0, 1])       # TP = 2, FN = 1
    0.6666666666666666
    """
    return _score(y_true, y_pred, average, zero_division, "recall", "recall")


def f1_score(y_true: Any, y_pred: Any, average: Average = "binary", zero_division: float = 0.0) -> float:
    r"""F1, the harmonic mean of precision and recall: :math:`2PR/(P+R) = 2TP / (2TP + FP + FN)`.

    Parameters as :func:`precision`. Macro F1 is the mean of the per-class F1 scores (scikit-learn's
    definition), not the F1 of the macro precision and recall.

    Examples
    --------
    >>> f1_score([0, 1, 1, 0], [1, 1, 0, 0])     # 2*1 / (2*1 + 1 + 1)
    0.5
    """
    return _score(y_true, y_pred, average, zero_division, "f1_score", "f1")


def log_loss(y_true: Any, y_pred: Any, eps: float = 1e-15) -> float:
    r"""Cross-entropy of predicted probabilities (the classification loss, as a metric).

    .. math:: \mathrm{log\_loss} = -\frac1N \sum_n \sum_c t_{nc} \log \operatorname{clip}(p_{nc}, \varepsilon,
              1 - \varepsilon)

    Binary case: ``y_pred`` holds :math:`p_n = P(y_n = 1)` of shape (N,) or (N, 1) and the sum is
    :math:`y_n \log p_n + (1 - y_n) \log(1 - p_n)`. Multi-class: ``y_pred`` is (N, C) with rows summing to 1.
    **Clipping** to :math:`[\varepsilon, 1-\varepsilon]` keeps a confident wrong prediction finite
    (at most :math:`-\log \varepsilon \approx 34.5`).

    Parameters
    ----------
    y_true : array-like
        Labels (N,) in [0, C) (0/1 in the binary case), or one-hot / probability rows (N, C) in [0, 1].
    y_pred : array-like
        Probabilities, (N,) or (N, C). Logits raise: apply ``sigmoid`` or ``softmax`` first. NaN or inf
        gives ``nan``.
    eps : float, default 1e-15
        The clip, in (0, 0.5).

    Examples
    --------
    >>> round(log_loss([1, 0], [0.9, 0.2]), 6)     # -(log 0.9 + log 0.8) / 2
    0.164252
    """
    fn = "log_loss"
    eps = _check_number(fn, "eps", eps, 0.0, 0.5, closed=False, hint="it clips the probabilities, e.g. eps=1e-15")
    probs = np.atleast_1d(_array(y_pred, fn, "y_pred")).astype(np.float64)
    if probs.ndim == 2 and probs.shape[1] == 1:
        probs = probs[:, 0]
    if probs.ndim not in (1, 2):
        raise ValueError(
            f"{fn}: y_pred must be probabilities of shape (N,) or (N, C), got shape {probs.shape}; reshape it"
        )
    binary = probs.ndim == 1
    c = 2 if binary else probs.shape[1]
    targets = _target_rows(y_true, probs, c, fn)
    if not _finite(probs):
        return math.nan
    if not np.all((probs >= 0) & (probs <= 1)):
        raise ValueError(
            f"{fn}: y_pred must be probabilities in [0, 1] of shape (N,) or (N, C), got shape {probs.shape} with "
            f"{value_range(probs)}; apply sigmoid or softmax to logits first"
        )
    if binary:  # P(y = 1) -> two columns
        probs = np.stack([1 - probs, probs], axis=1)
    elif not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        sums = probs.sum(axis=1)
        i = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(
            f"{fn}: each row of y_pred must sum to 1 (probabilities), found row {i} summing to {sums[i]:g}; "
            "apply softmax to scores or logits first"
        )
    clipped = np.clip(probs, eps, 1 - eps)
    return float(-np.mean(np.sum(targets * np.log(clipped), axis=1)))


def _target_rows(y_true: Any, probs: np.ndarray, c: int, fn: str) -> np.ndarray:
    """One-hot (or probability) rows (N, C) from labels (N,) or (N, 1), or rows (N, C), all checked."""
    arr = np.atleast_1d(_array(y_true, fn, "y_true")).astype(np.float64)
    _same_length(arr, probs, fn)
    if arr.ndim == 2 and arr.shape[1] > 1:
        if arr.shape[1] != c:
            raise ValueError(
                f"{fn}: y_true has rows for {arr.shape[1]} classes (shape {arr.shape}) but y_pred has {c} (shape "
                f"{probs.shape}); give both the same number of classes"
            )
        bad = _first_nonfinite(arr)
        if bad is not None or not np.all((arr >= 0) & (arr <= 1)):
            where = f"holds {bad}" if bad is not None else f"has {value_range(arr)}"
            raise ValueError(
                f"{fn}: y_true {where}; target rows must be probabilities in [0, 1] (one-hot or soft labels): "
                "fix those samples"
            )
        return arr
    labels = _true_labels(arr, fn).labels
    why = "y_pred holds probabilities of class 1" if probs.ndim == 1 else f"y_pred has {c} columns"
    _check_label_range(labels, c, fn, "y_true", why, _CLASS_FIX)
    return np.eye(c)[labels]
