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

Predictions for the classification metrics may be labels, probabilities of the positive class (1-D floats
in [0, 1], thresholded at 0.5) or per-class scores of shape (N, C) (probabilities or logits: the argmax wins).
"""

from __future__ import annotations

from typing import Any, Literal

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
# input handling
# --------------------------------------------------------------------------------------------------------


def _array(x: Any, fn: str, what: str) -> np.ndarray:
    """A numeric numpy view of ``x`` (a Tensor is read through its ``__array__``: no graph)."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {what} must be numeric, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{fn}: {what} is empty (shape {arr.shape}); a metric needs at least one sample")
    return arr


def _same_length(a: np.ndarray, b: np.ndarray, fn: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{fn}: y_true has {len(a)} samples (shape {a.shape}) but y_pred has {len(b)} (shape {b.shape})"
        )


def _integral(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biu" or bool(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))


def _true_labels(y_true: Any, fn: str) -> np.ndarray:
    """Class labels from labels (N,) (integers, or floats with integer values) or one-hot rows (N, C)."""
    arr = np.atleast_1d(_array(y_true, fn, "y_true"))
    if arr.ndim == 2:
        arr = arr[:, 0] if arr.shape[1] == 1 else np.argmax(arr, axis=1)
    if arr.ndim != 1:
        raise ValueError(f"{fn}: y_true must be labels of shape (N,) or one-hot rows (N, C), got shape {arr.shape}")
    if not _integral(arr):
        example = arr[~(arr == np.round(arr))][0] if np.all(np.isfinite(arr)) else arr[~np.isfinite(arr)][0]
        raise ValueError(f"{fn}: y_true must hold integer class labels, got a non-integer value {example.item()!r}")
    return arr.astype(np.int64)


def _pred_labels(y_pred: Any, fn: str, threshold: float = 0.5) -> np.ndarray:
    """Predicted labels from labels (N,), positive-class probabilities (N,) or per-class scores (N, C)."""
    arr = np.atleast_1d(_array(y_pred, fn, "y_pred"))
    if arr.ndim == 2:
        if arr.shape[1] > 1:
            return np.argmax(arr, axis=1).astype(np.int64)
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{fn}: y_pred must be labels or probabilities of shape (N,), or scores of shape (N, C), "
            f"got shape {arr.shape}"
        )
    if _integral(arr):
        return arr.astype(np.int64)
    if np.all((arr >= 0) & (arr <= 1)):
        return (arr > threshold).astype(np.int64)
    raise ValueError(
        f"{fn}: 1-D y_pred with values from {np.nanmin(arr):g} to {np.nanmax(arr):g} is neither labels nor "
        "probabilities in [0, 1]; for binary logits pass (logits > 0) or their sigmoid"
    )


def _class_pair(y_true: Any, y_pred: Any, fn: str, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    true, pred = _true_labels(y_true, fn), _pred_labels(y_pred, fn, threshold)
    _same_length(true, pred, fn)
    return true, pred


def _regression_pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """float64 arrays of one shape. A (N, 1) column against (N,) is accepted (both flattened); any other
    shape difference raises instead of broadcasting."""
    true = np.atleast_1d(_array(y_true, fn, "y_true")).astype(np.float64)
    pred = np.atleast_1d(_array(y_pred, fn, "y_pred")).astype(np.float64)
    if true.shape != pred.shape:
        if np.squeeze(true).shape != np.squeeze(pred).shape:
            raise ValueError(
                f"{fn}: y_true has shape {true.shape} but y_pred has shape {pred.shape}; they must hold the same "
                "values in the same layout"
            )
        true, pred = true.reshape(-1), pred.reshape(-1)
    return true, pred


# --------------------------------------------------------------------------------------------------------
# regression
# --------------------------------------------------------------------------------------------------------


def mse(y_true: Any, y_pred: Any) -> float:
    r"""Mean squared error :math:`\frac1n \sum_i (y_i - \hat y_i)^2`.

    Examples
    --------
    >>> mse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    1.3333333333333333
    """
    true, pred = _regression_pair(y_true, y_pred, "mse")
    return float(np.mean((true - pred) ** 2))


def rmse(y_true: Any, y_pred: Any) -> float:
    r"""Root mean squared error :math:`\sqrt{\frac1n \sum_i (y_i - \hat y_i)^2}`, in the units of :math:`y`."""
    true, pred = _regression_pair(y_true, y_pred, "rmse")
    return float(np.sqrt(np.mean((true - pred) ** 2)))


def mae(y_true: Any, y_pred: Any) -> float:
    r"""Mean absolute error :math:`\frac1n \sum_i |y_i - \hat y_i|` (less sensitive to outliers than mse)."""
    true, pred = _regression_pair(y_true, y_pred, "mae")
    return float(np.mean(np.abs(true - pred)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    r"""Coefficient of determination :math:`R^2 = 1 - \mathrm{SS_{res}} / \mathrm{SS_{tot}}`, with
    :math:`\mathrm{SS_{res}} = \sum_i (y_i - \hat y_i)^2` and :math:`\mathrm{SS_{tot}} = \sum_i (y_i - \bar y)^2`.

    1 for a perfect prediction, 0 for predicting the mean :math:`\bar y`, negative for worse than that.
    If :math:`y` is constant (:math:`\mathrm{SS_{tot}} = 0`) the result is 1 for a perfect prediction and 0
    otherwise (scikit-learn's convention). For 2-D targets (N, k) it is computed per output column and
    averaged.

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
        raise ValueError(f"r2_score needs at least 2 samples, got {len(true)}")
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
        Labels (N,) (integers, or floats with integer values) or one-hot rows (N, C).
    y_pred : array-like
        Predicted labels (N,); probabilities of class 1 (N,) or (N, 1), predicted 1 where
        :math:`p > \mathrm{threshold}`; or per-class scores (N, C), probabilities or logits, predicted
        :math:`\arg\max_c`.
    threshold : float, default 0.5
        For 1-D probabilities.

    Examples
    --------
    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    >>> accuracy([0, 1], [0.2, 0.9])                     # probabilities
    1.0
    >>> accuracy([2, 0], [[0.1, 0.2, 3.0], [5.0, 1.0, 0.0]])   # logits: argmax
    1.0
    """
    true, pred = _class_pair(y_true, y_pred, "accuracy", threshold)
    return float(np.mean(true == pred))


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    r"""Counts :math:`M_{ij}` of samples with true class :math:`i` predicted as class :math:`j` (rows: truth,
    columns: prediction, as in scikit-learn). The diagonal holds the correct predictions, and
    :math:`\sum_{ij} M_{ij} = N`.

    Parameters
    ----------
    y_true, y_pred : array-like
        As for :func:`accuracy`; labels must be non-negative.
    num_classes : int, optional
        The matrix size :math:`C`; by default the largest label seen plus one.

    Returns
    -------
    numpy.ndarray of int64, shape (C, C)

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1])
    array([[1, 1],
           [0, 2]])
    """
    true, pred = _class_pair(y_true, y_pred, "confusion_matrix")
    if min(true.min(), pred.min()) < 0:
        raise ValueError(f"confusion_matrix: labels must be non-negative, got {min(true.min(), pred.min())}")
    largest = int(max(true.max(), pred.max()))
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(f"confusion_matrix: label {largest} does not fit num_classes={num_classes}")
    counts = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def _ratio(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), zero_division)


def _per_class(y_true: Any, y_pred: Any, average: str, fn: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives and false negatives per considered class (one entry for binary
    and micro, one per class present in y_true or y_pred for macro)."""
    if average not in ("binary", "macro", "micro"):
        raise ValueError(f"{fn}: average must be 'binary', 'macro' or 'micro', got {average!r}")
    true, pred = _class_pair(y_true, y_pred, fn)
    if average == "binary" and not np.isin(np.concatenate([true, pred]), (0, 1)).all():
        found = np.union1d(true, pred).tolist()
        raise ValueError(
            f"{fn}: average='binary' needs labels in {{0, 1}}, got labels {found}; use average='macro' "
            "(or 'micro') for more classes"
        )
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


def precision(y_true: Any, y_pred: Any, average: Average = "binary", zero_division: float = 0.0) -> float:
    r"""Precision :math:`TP / (TP + FP)`: of the samples predicted positive, the fraction that are.

    Parameters
    ----------
    y_true, y_pred : array-like
        As for :func:`accuracy`.
    average : {"binary", "macro", "micro"}
        ``"binary"``: labels in {0, 1}, class 1 is positive. ``"macro"``: the unweighted mean over the classes
        present in ``y_true`` or ``y_pred``, each class in turn positive. ``"micro"``: from the counts summed
        over classes (equals accuracy for single-label data).
    zero_division : float, default 0.0
        The value when nothing is predicted positive (:math:`TP + FP = 0`).

    Examples
    --------
    >>> precision([0, 1, 1, 0], [1, 1, 0, 0])     # TP = 1, FP = 1
    0.5
    """
    tp, fp, _ = _per_class(y_true, y_pred, average, "precision")
    return float(np.mean(_ratio(tp, tp + fp, zero_division)))


def recall(y_true: Any, y_pred: Any, average: Average = "binary", zero_division: float = 0.0) -> float:
    r"""Recall (sensitivity) :math:`TP / (TP + FN)`: of the positive samples, the fraction found.

    Parameters as :func:`precision`; ``zero_division`` is used when there are no positive samples.

    Examples
    --------
    >>> recall([0, 1, 1, 1], [1, 1, 0, 1])       # TP = 2, FN = 1
    0.6666666666666666
    """
    tp, _, fn = _per_class(y_true, y_pred, average, "recall")
    return float(np.mean(_ratio(tp, tp + fn, zero_division)))


def f1_score(y_true: Any, y_pred: Any, average: Average = "binary", zero_division: float = 0.0) -> float:
    r"""F1, the harmonic mean of precision and recall: :math:`2PR/(P+R) = 2TP / (2TP + FP + FN)`.

    Parameters as :func:`precision`. Macro F1 is the mean of the per-class F1 scores (scikit-learn's
    definition), not the F1 of the macro precision and recall.

    Examples
    --------
    >>> f1_score([0, 1, 1, 0], [1, 1, 0, 0])     # 2*1 / (2*1 + 1 + 1)
    0.5
    """
    tp, fp, fn = _per_class(y_true, y_pred, average, "f1_score")
    return float(np.mean(_ratio(2 * tp, 2 * tp + fp + fn, zero_division)))


def log_loss(y_true: Any, y_pred: Any, eps: float = 1e-15) -> float:
    r"""Cross-entropy of predicted probabilities (the classification loss, as a metric).

    .. math:: \mathrm{log\_loss} = -\frac1N \sum_n \sum_c t_{nc} \log \operatorname{clip}(p_{nc}, \varepsilon,
              1 - \varepsilon)

    Binary case: ``y_pred`` holds :math:`p_n = P(y_n = 1)` of shape (N,) and the sum is
    :math:`y_n \log p_n + (1 - y_n) \log(1 - p_n)`. Multi-class: ``y_pred`` is (N, C) with rows summing to 1.
    **Clipping** to :math:`[\varepsilon, 1-\varepsilon]` keeps a confident wrong prediction finite
    (at most :math:`-\log \varepsilon \approx 34.5`).

    Parameters
    ----------
    y_true : array-like
        Labels (N,) (0/1 in the binary case), or one-hot / probability rows (N, C).
    y_pred : array-like
        Probabilities, (N,) or (N, C). Logits raise: apply ``sigmoid`` or ``softmax`` first.
    eps : float, default 1e-15
        The clip.

    Examples
    --------
    >>> round(log_loss([1, 0], [0.9, 0.2]), 6)     # -(log 0.9 + log 0.8) / 2
    0.164252
    """
    fn = "log_loss"
    if not 0 < eps < 0.5:
        raise ValueError(f"{fn}: eps must be in (0, 0.5), got {eps}")
    probs = np.atleast_1d(_array(y_pred, fn, "y_pred")).astype(np.float64)
    if probs.ndim == 2 and probs.shape[1] == 1:
        probs = probs[:, 0]
    if probs.ndim not in (1, 2) or not np.all((probs >= 0) & (probs <= 1)):
        raise ValueError(
            f"{fn}: y_pred must be probabilities in [0, 1] of shape (N,) or (N, C), got shape {probs.shape} with "
            f"values from {np.nanmin(probs):g} to {np.nanmax(probs):g}; apply sigmoid or softmax to logits first"
        )
    if probs.ndim == 1:  # binary: P(y = 1) -> two columns
        probs = np.stack([1 - probs, probs], axis=1)
    elif not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        worst = float(probs.sum(axis=1)[np.argmax(np.abs(probs.sum(axis=1) - 1))])
        raise ValueError(f"{fn}: each row of y_pred must sum to 1 (probabilities), found a row summing to {worst:g}")
    targets = _target_rows(y_true, probs, fn)
    clipped = np.clip(probs, eps, 1 - eps)
    return float(-np.mean(np.sum(targets * np.log(clipped), axis=1)))


def _target_rows(y_true: Any, probs: np.ndarray, fn: str) -> np.ndarray:
    """One-hot (or probability) rows of ``probs``' shape (N, C) from labels (N,) or rows (N, C)."""
    c = probs.shape[1]
    arr = np.atleast_1d(_array(y_true, fn, "y_true")).astype(np.float64)
    if arr.ndim == 2 and arr.shape[1] == c:
        _same_length(arr, probs, fn)
        return arr
    labels = _true_labels(arr, fn)
    _same_length(labels, probs, fn)
    if labels.min() < 0 or labels.max() >= c:
        raise ValueError(f"{fn}: labels must be in [0, {c - 1}] for {c} classes, got values up to {labels.max()}")
    return np.eye(c)[labels]
