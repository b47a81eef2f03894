"""The loss options of issue 18: cross_entropy / nll_loss with N-d inputs, class weights, ignore_index and label
smoothing; binary_cross_entropy_with_logits with pos_weight and weight; kl_div, smooth_l1_loss,
margin_ranking_loss and hinge_embedding_loss. Each: a hand-derived gradient, finite differences (first and
second order), PyTorch parity over a grid of options in float64 (skipped without torch), and the errors."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor, ops
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.testing import assert_grad_close, assert_gradgrad_close

try:  # torch is optional (not installed in CI): the parity tests are skipped without it
    import torch
    import torch.nn.functional as tf
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")

F = tg.nn.functional
rng = np.random.default_rng(18)


def _softmax(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _labels(shape, c, ignore=None, seed=0):
    r = np.random.default_rng(seed)
    y = r.integers(0, c, shape)
    if ignore is not None:
        y.reshape(-1)[:: max(1, y.size // 3)] = ignore  # about a third ignored, never all (y.size >= 2)
        y.reshape(-1)[-1] = 0 if ignore != 0 else 1
    return y


def _probs(shape, seed=0):
    r = np.random.default_rng(seed)
    t = r.random(shape) + 0.1
    return t / t.sum(axis=1, keepdims=True)


# ---- fast paths stay the fused primitives -----------------------------------------------------------------


def test_default_arguments_keep_the_fused_primitives():
    z = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert isinstance(F.cross_entropy(z, np.array([0, 1, 2, 0]))._op, ops.CrossEntropy)
    assert isinstance(F.cross_entropy(z, _probs((4, 3)))._op, ops.CrossEntropy)
    assert isinstance(F.binary_cross_entropy_with_logits(z, np.ones((4, 3)))._op, ops.BinaryCrossEntropyWithLogits)
    # labels in range with a valid ignore_index that no label equals: still the fast path
    assert isinstance(F.cross_entropy(z, np.array([0, 1, 1, 0]), ignore_index=2)._op, ops.CrossEntropy)


def test_the_positional_reduction_of_before_still_works():
    z = Tensor(rng.standard_normal((4, 3)))
    y = np.array([0, 1, 2, 0])
    assert F.cross_entropy(z, y, "none").shape == (4,)
    np.testing.assert_allclose(F.cross_entropy(z, y, "sum").item(), F.cross_entropy(z, y, reduction="sum").item())
    assert F.nll_loss(z.log_softmax(axis=1), y, "none").shape == (4,)
    assert F.binary_cross_entropy_with_logits(z, np.ones((4, 3)), "none").shape == (4, 3)


# ---- hand-derived gradients -------------------------------------------------------------------------------


def test_weighted_cross_entropy_gradient_is_weighted_softmax_minus_onehot_over_the_weight_sum():
    z = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, -100])
    w = np.array([0.5, 2.0, 1.0, 3.0])
    t = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(t, y, weight=w)
    loss.backward()
    kept = y != -100
    wy = np.where(kept, w[np.where(kept, y, 0)], 0.0)
    onehot = np.zeros_like(z)
    onehot[np.arange(5)[kept], y[kept]] = 1
    p = _softmax(z)
    expected_loss = -(wy * np.log(p[np.arange(5), np.where(kept, y, 0)])).sum() / wy.sum()
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=1e-12)
    np.testing.assert_allclose(t.grad, wy[:, None] * (p - onehot) / wy.sum(), rtol=1e-12, atol=1e-15)


def test_label_smoothing_gradient_is_softmax_minus_the_smoothed_target():
    z = rng.standard_normal((4, 5))
    y = np.array([0, 4, 2, 2])
    eps = 0.2
    t = Tensor(z, requires_grad=True)
    F.cross_entropy(t, y, label_smoothing=eps).backward()
    smoothed = np.full((4, 5), eps / 5)
    smoothed[np.arange(4), y] += 1 - eps
    np.testing.assert_allclose(t.grad, (_softmax(z) - smoothed) / 4, rtol=1e-12, atol=1e-15)


def test_nd_cross_entropy_is_the_2d_loss_of_every_position():
    z = rng.standard_normal((2, 3, 4, 2))  # (N, C, H, W)
    y = _labels((2, 4, 2), 3)
    t = Tensor(z, requires_grad=True)
    per = F.cross_entropy(t, y, reduction="none")
    assert per.shape == (2, 4, 2)
    rows = np.moveaxis(z, 1, -1).reshape(-1, 3)
    expected = -np.log(_softmax(rows))[np.arange(16), y.reshape(-1)]
    np.testing.assert_allclose(per.data.reshape(-1), expected, rtol=1e-12)
    F.cross_entropy(t, y).backward()
    onehot = np.moveaxis(np.eye(3)[y], -1, 1)
    np.testing.assert_allclose(t.grad, (_softmax(z) - onehot) / 16, rtol=1e-12, atol=1e-15)


def test_weighted_nll_gradient():
    lp = np.log(_softmax(rng.standard_normal((4, 3))))
    y = np.array([2, 0, 7, 2])
    w = np.array([1.0, 4.0, 0.5])
    t = Tensor(lp, requires_grad=True)
    F.nll_loss(t, y, weight=w, ignore_index=7).backward()
    expected = np.zeros((4, 3))
    wy = np.array([0.5, 1.0, 0.0, 0.5])
    for n, c in enumerate(y):
        if c != 7:
            expected[n, c] = -wy[n] / wy.sum()
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12)


def test_pos_weight_gradient():
    z = rng.standard_normal((3, 4))
    y = (rng.random((3, 4)) < 0.5).astype(np.float64)
    p = np.array([0.5, 1.0, 2.0, 4.0])
    w = np.array([[1.0], [2.0], [0.5]])
    t = Tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(t, y, weight=w, pos_weight=p).backward()
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(t.grad, w * ((1 + (p - 1) * y) * s - p * y) / 12, rtol=1e-12)


def test_kl_div_batchmean_gradient_is_minus_target_over_the_batch():
    logp = np.log(_softmax(rng.standard_normal((3, 4))))
    target = _probs((3, 4))
    target[0, 1] = 0.0
    t = Tensor(logp, requires_grad=True)
    loss = F.kl_div(t, target, reduction="batchmean")
    loss.backward()
    with np.errstate(divide="ignore", invalid="ignore"):
        tlogt = np.where(target > 0, target * np.log(target), 0.0)
    np.testing.assert_allclose(loss.item(), (tlogt - target * logp).sum() / 3, rtol=1e-12)
    np.testing.assert_allclose(t.grad, -target / 3, rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 2.0])
def test_smooth_l1_gradient_is_the_clipped_residual_over_beta(beta):
    pred = np.array([-3.0, -0.7, -0.2, 0.1, 0.4, 1.5, 2.6])
    target = np.zeros(7)
    t = Tensor(pred, requires_grad=True)
    F.smooth_l1_loss(t, target, beta=beta).backward()
    expected = np.sign(pred) if beta == 0 else np.clip(pred / beta, -1, 1)
    np.testing.assert_allclose(t.grad, expected / 7, rtol=1e-12)
    if beta > 0:  # huber_loss(delta=beta) / beta
        h = F.huber_loss(Tensor(pred), target, delta=beta).item() / beta
        np.testing.assert_allclose(F.smooth_l1_loss(Tensor(pred), target, beta=beta).item(), h, rtol=1e-12)


def test_margin_ranking_and_hinge_embedding_gradients():
    x1 = Tensor(np.array([1.0, 0.2, -1.0, 0.5]), requires_grad=True)
    x2 = Tensor(np.array([0.0, 0.5, 0.0, 0.5]), requires_grad=True)
    y = np.array([1, 1, -1, -1])
    F.margin_ranking_loss(x1, x2, y, margin=0.5).backward()
    active = (-y * (x1.data - x2.data) + 0.5) > 0  # [F, T, F, T]
    np.testing.assert_allclose(x1.grad, -y * active / 4)
    np.testing.assert_allclose(x2.grad, y * active / 4)
    d = Tensor(np.array([0.3, 2.0, 0.4, 1.5]), requires_grad=True)
    F.hinge_embedding_loss(d, np.array([1, -1, -1, 1]), margin=1.0, reduction="sum").backward()
    np.testing.assert_allclose(d.grad, [1.0, 0.0, -1.0, 1.0])


# ---- finite differences, first and second order ------------------------------------------------------------

W4 = np.array([0.5, 2.0, 1.0, 3.0])

FD_CASES = {
    "ce/weight+ignore": (lambda z: F.cross_entropy(z, np.array([0, -100, 3, 1, 2]), weight=W4), (5, 4)),
    "ce/smoothing": (lambda z: F.cross_entropy(z, np.array([0, 2, 3, 1, 2]), label_smoothing=0.3), (5, 4)),
    "ce/all-options": (
        lambda z: F.cross_entropy(z, np.array([0, 1, 3, 1, 2]), weight=W4, ignore_index=1, label_smoothing=0.1),
        (5, 4),
    ),
    "ce/nd": (lambda z: F.cross_entropy(z, _labels((2, 3), 4, ignore=-100), weight=W4), (2, 4, 3)),
    "ce/probs+smoothing+weight": (
        lambda z: F.cross_entropy(z, _probs((2, 4, 3)), weight=W4, label_smoothing=0.2),
        (2, 4, 3),
    ),
    "nll/nd+weight": (
        lambda z: F.nll_loss(z.log_softmax(axis=1), _labels((3, 2), 4, ignore=-100), weight=W4, reduction="sum"),
        (3, 4, 2),
    ),
    "bce/pos_weight": (
        lambda z: F.binary_cross_entropy_with_logits(z, _probs((3, 4)), weight=np.ones((3, 1)) * 2, pos_weight=W4),
        (3, 4),
    ),
    "kl/batchmean": (lambda z: F.kl_div(z.log_softmax(axis=1), _probs((3, 4)), reduction="batchmean"), (3, 4)),
    "kl/log_target": (
        lambda z: F.kl_div(z.log_softmax(axis=1), np.log(_probs((3, 4))), reduction="sum", log_target=True),
        (3, 4),
    ),
    "smooth_l1": (lambda z: F.smooth_l1_loss(z, np.linspace(-2, 2, 12).reshape(3, 4), beta=0.5), (3, 4)),
}


@pytest.mark.parametrize("name", list(FD_CASES))
def test_first_and_second_derivatives_match_finite_differences(name):
    fn, shape = FD_CASES[name]
    z = Tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    assert gradcheck(fn, [z])
    assert gradgradcheck(fn, [z])


def test_gradient_of_probability_targets_and_of_kl_targets():
    z = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = Tensor(_probs((3, 4)), requires_grad=True)
    assert gradcheck(lambda z, t: F.cross_entropy(z, t, weight=W4, label_smoothing=0.1), [z, t])
    assert gradcheck(lambda z, t: F.kl_div(z.log_softmax(axis=1), t, reduction="sum"), [z, t])
    assert gradgradcheck(lambda z, t: F.kl_div(z.log_softmax(axis=1), t, reduction="sum"), [z, t])


@settings(max_examples=25)
@given(
    n=st.integers(1, 3),
    c=st.integers(2, 4),
    rest=st.lists(st.integers(1, 3), max_size=2),
    smoothing=st.sampled_from([0.0, 0.25]),
    weighted=st.booleans(),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_property_over_shapes_and_options(n, c, rest, smoothing, weighted, reduction, seed):
    r = np.random.default_rng(seed)
    z = Tensor(r.standard_normal((n, c, *rest)), requires_grad=True)
    y = r.integers(0, c, (n, *rest))
    y.reshape(-1)[0] = -100 if y.size > 1 else y.reshape(-1)[0]
    w = r.random(c) + 0.5 if weighted else None

    def fn(z):
        out = F.cross_entropy(z, y, weight=w, reduction=reduction, label_smoothing=smoothing)
        return out.sum() if reduction == "none" else out

    assert_grad_close(fn, z)
    assert_gradgrad_close(fn, z)


# ---- PyTorch parity over a grid of options (float64) --------------------------------------------------------


def _torch_check(ours, theirs, z, zt, atol=1e-12):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=atol)
    g = np.random.default_rng(2).standard_normal(ours.shape)
    ours.backward(g)
    (theirs * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(z.grad, zt.grad.numpy(), rtol=1e-10, atol=atol)


CE_GRID = list(
    itertools.product(
        [(5, 4), (3, 4, 2), (2, 4, 2, 3)],  # shapes (N, C, ...)
        [None, -100, 1],  # ignore_index (None: the default, no label ignored)
        [False, True],  # weight
        [0.0, 0.1, 0.45],  # label_smoothing
        ["mean", "sum", "none"],
    )
)


@needs_torch
@pytest.mark.parametrize("shape, ignore, weighted, smoothing, reduction", CE_GRID)
def test_cross_entropy_matches_torch(shape, ignore, weighted, smoothing, reduction):
    c = shape[1]
    z = rng.standard_normal(shape)
    y = _labels((shape[0], *shape[2:]), c, ignore=ignore, seed=len(CE_GRID))
    w = np.linspace(0.5, 2.0, c) if weighted else None
    kwargs = {"ignore_index": ignore} if ignore is not None else {}
    t = Tensor(z, requires_grad=True)
    ours = F.cross_entropy(t, y, weight=w, reduction=reduction, label_smoothing=smoothing, **kwargs)
    zt = torch.tensor(z, requires_grad=True)
    theirs = tf.cross_entropy(
        zt,
        torch.tensor(y),
        weight=None if w is None else torch.tensor(w),
        reduction=reduction,
        label_smoothing=smoothing,
        **kwargs,
    )
    _torch_check(ours, theirs, t, zt)


@needs_torch
@pytest.mark.parametrize(
    "shape, weighted, smoothing, reduction",
    list(itertools.product([(5, 4), (2, 4, 3)], [False, True], [0.0, 0.3], ["mean", "sum", "none"])),
)
def test_cross_entropy_with_probability_targets_matches_torch(shape, weighted, smoothing, reduction):
    z = rng.standard_normal(shape)
    target = _probs(shape, seed=3)
    w = np.linspace(0.5, 2.0, shape[1]) if weighted else None
    t = Tensor(z, requires_grad=True)
    ours = F.cross_entropy(t, target, weight=w, reduction=reduction, label_smoothing=smoothing)
    zt = torch.tensor(z, requires_grad=True)
    theirs = tf.cross_entropy(
        zt,
        torch.tensor(target),
        weight=None if w is None else torch.tensor(w),
        reduction=reduction,
        label_smoothing=smoothing,
    )
    _torch_check(ours, theirs, t, zt)


@needs_torch
@pytest.mark.parametrize(
    "shape, ignore, weighted, reduction",
    list(itertools.product([(5, 4), (3, 4, 2), (2, 4, 2, 2)], [None, -100, 0], [False, True], ["mean", "sum", "none"])),
)
def test_nll_loss_matches_torch(shape, ignore, weighted, reduction):
    c = shape[1]
    lp = np.log(_softmax(rng.standard_normal(shape)))
    y = _labels((shape[0], *shape[2:]), c, ignore=ignore, seed=5)
    w = np.linspace(2.0, 0.5, c) if weighted else None
    kwargs = {"ignore_index": ignore} if ignore is not None else {}
    t = Tensor(lp, requires_grad=True)
    ours = F.nll_loss(t, y, weight=w, reduction=reduction, **kwargs)
    zt = torch.tensor(lp, requires_grad=True)
    theirs = tf.nll_loss(
        zt, torch.tensor(y), weight=None if w is None else torch.tensor(w), reduction=reduction, **kwargs
    )
    _torch_check(ours, theirs, t, zt)


@needs_torch
@pytest.mark.parametrize(
    "shape, pos, weight, reduction",
    list(
        itertools.product(
            [(6, 4), (2, 3, 4)],
            [None, "class", "full"],
            [None, "class", "row"],
            ["mean", "sum", "none"],
        )
    ),
)
def test_bce_with_logits_weights_match_torch(shape, pos, weight, reduction):
    z = rng.standard_normal(shape) * 3
    y = (rng.random(shape) < 0.5).astype(np.float64)
    y.reshape(-1)[0] = 0.3  # a soft target too
    c = shape[-1]
    pos_weight = {None: None, "class": np.linspace(0.25, 4.0, c), "full": rng.random(shape) * 3}[pos]
    w = {None: None, "class": np.linspace(1.0, 2.0, c), "row": rng.random((*shape[:-1], 1))}[weight]
    t = Tensor(z, requires_grad=True)
    ours = F.binary_cross_entropy_with_logits(t, y, weight=w, reduction=reduction, pos_weight=pos_weight)
    zt = torch.tensor(z, requires_grad=True)
    theirs = tf.binary_cross_entropy_with_logits(
        zt,
        torch.tensor(y),
        weight=None if w is None else torch.tensor(w),
        reduction=reduction,
        pos_weight=None if pos_weight is None else torch.tensor(pos_weight),
    )
    _torch_check(ours, theirs, t, zt)


@needs_torch
@pytest.mark.parametrize(
    "reduction, log_target, shape",
    list(itertools.product(["mean", "batchmean", "sum", "none"], [False, True], [(4, 3), (2, 3, 2)])),
)
def test_kl_div_matches_torch(reduction, log_target, shape):
    logp = np.log(_probs(shape, seed=7))
    target = _probs(shape, seed=8)
    if not log_target:
        target.reshape(-1)[1] = 0.0  # 0 log 0 = 0
    else:
        target = np.log(target)
    t = Tensor(logp, requires_grad=True)
    zt = torch.tensor(logp, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about "mean"
        ours = F.kl_div(t, target, reduction=reduction, log_target=log_target)
        theirs = tf.kl_div(zt, torch.tensor(target), reduction=reduction, log_target=log_target)
    _torch_check(ours, theirs, t, zt)


@needs_torch
@pytest.mark.parametrize("beta, reduction", list(itertools.product([0.0, 0.3, 1.0, 2.5], ["mean", "sum", "none"])))
def test_smooth_l1_and_huber_match_torch(beta, reduction):
    pred = rng.standard_normal((4, 5)) * 2
    target = rng.standard_normal((4, 5))
    t = Tensor(pred, requires_grad=True)
    zt = torch.tensor(pred, requires_grad=True)
    _torch_check(
        F.smooth_l1_loss(t, target, beta=beta, reduction=reduction),
        tf.smooth_l1_loss(zt, torch.tensor(target), beta=beta, reduction=reduction),
        t,
        zt,
    )
    if beta > 0:
        t = Tensor(pred, requires_grad=True)
        zt = torch.tensor(pred, requires_grad=True)
        _torch_check(
            F.huber_loss(t, target, delta=beta, reduction=reduction),
            tf.huber_loss(zt, torch.tensor(target), delta=beta, reduction=reduction),
            t,
            zt,
        )


@needs_torch
@pytest.mark.parametrize("margin, reduction", list(itertools.product([0.0, 0.7], ["mean", "sum", "none"])))
def test_margin_ranking_and_hinge_embedding_match_torch(margin, reduction):
    x1, x2 = rng.standard_normal(8), rng.standard_normal(8)
    y = np.where(rng.random(8) < 0.5, 1.0, -1.0)
    a = Tensor(x1, requires_grad=True)
    at = torch.tensor(x1, requires_grad=True)
    _torch_check(
        F.margin_ranking_loss(a, x2, y, margin=margin, reduction=reduction),
        tf.margin_ranking_loss(at, torch.tensor(x2), torch.tensor(y), margin=margin, reduction=reduction),
        a,
        at,
    )
    d = np.abs(x1) * 2
    a = Tensor(d, requires_grad=True)
    at = torch.tensor(d, requires_grad=True)
    _torch_check(
        F.hinge_embedding_loss(a, y, margin=margin + 1, reduction=reduction),
        tf.hinge_embedding_loss(at, torch.tensor(y), margin=margin + 1, reduction=reduction),
        a,
        at,
    )


# ---- errors ----------------------------------------------------------------------------------------------

Z = Tensor(np.zeros((2, 3)))
Y = np.array([0, 2])

ERRORS = {
    "ce/weight-length": (
        lambda: F.cross_entropy(Z, Y, weight=[1.0, 2.0]),
        ValueError,
        ("weight must have one entry per class, shape (3,)", "scores of shape (2, 3)", "got shape (2,)"),
    ),
    "ce/weight-2d": (
        lambda: F.cross_entropy(Z, Y, weight=np.ones((3, 1))),
        ValueError,
        ("weight must have one entry per class", "got shape (3, 1)"),
    ),
    "ce/label-out-of-range-not-ignored": (
        lambda: F.cross_entropy(Z, np.array([0, -1])),
        ValueError,
        ("label -1 at position 1 is out of range for 3 classes", "[0, 2]", "or ignore_index=-100"),
    ),
    "ce/label-out-of-range-nd": (
        lambda: F.cross_entropy(Tensor(np.zeros((2, 3, 2))), np.array([[0, 1], [5, -100]])),
        ValueError,
        ("label 5 at position (1, 0)", "scores of shape (2, 3, 2)"),
    ),
    "ce/labels-shape-nd": (
        lambda: F.cross_entropy(Tensor(np.zeros((2, 3, 2))), np.zeros((2, 4), dtype=int)),
        ValueError,
        ("labels of shape (2, 4) do not match scores of shape (2, 3, 2)", "shape (2, 2)"),
    ),
    "ce/float-labels-nd": (
        lambda: F.cross_entropy(Tensor(np.zeros((2, 3, 2))), np.zeros((2, 2))),
        ValueError,
        ("labels must be integer class indices", "dtype float64"),
    ),
    "ce/ignore-index-type": (
        lambda: F.cross_entropy(Z, Y, ignore_index=1.5),
        TypeError,
        ("ignore_index must be an int", "1.5"),
    ),
    "ce/smoothing-range": (
        lambda: F.cross_entropy(Z, Y, label_smoothing=1.5),
        ValueError,
        ("label_smoothing must be a number in [0, 1]", "1.5"),
    ),
    "ce/reduction": (
        lambda: F.cross_entropy(Z, Y, weight=np.ones(3), reduction="batchmean"),
        ValueError,
        ("reduction must be 'mean', 'sum' or 'none'", "'batchmean'"),
    ),
    "ce/positional-bad-reduction": (
        lambda: F.cross_entropy(Z, Y, "avg"),
        ValueError,
        ("reduction must be 'mean', 'sum' or 'none'", "'avg'"),
    ),
    "nll/weight-length": (
        lambda: F.nll_loss(Z, Y, weight=np.ones(4)),
        ValueError,
        ("nll_loss: weight must have one entry per class, shape (3,)", "got shape (4,)"),
    ),
    "nll/label-range": (
        lambda: F.nll_loss(Z, np.array([3, 0]), ignore_index=-1),
        ValueError,
        ("nll_loss: label 3 at position 0", "or ignore_index=-1"),
    ),
    "bce/pos-weight-shape": (
        lambda: F.binary_cross_entropy_with_logits(Z, np.zeros((2, 3)), pos_weight=np.ones(2)),
        ValueError,
        ("pos_weight of shape (2,) does not broadcast to the logits' shape (2, 3)", "shape (3,)"),
    ),
    "bce/weight-grows-shape": (
        lambda: F.binary_cross_entropy_with_logits(Z, np.zeros((2, 3)), weight=np.ones((4, 2, 3))),
        ValueError,
        ("weight of shape (4, 2, 3) does not broadcast to the logits' shape (2, 3)",),
    ),
    "kl/reduction": (
        lambda: F.kl_div(Z, np.ones((2, 3)) / 3, reduction="avg"),
        ValueError,
        ("kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none'", "'avg'", "batchmean"),
    ),
    "kl/negative-target": (
        lambda: F.kl_div(Z, -np.ones((2, 3)), reduction="sum"),
        ValueError,
        ("target must be probabilities (>= 0)", "log_target=True"),
    ),
    "kl/shape": (
        lambda: F.kl_div(Z, np.ones(3) / 3, reduction="sum"),
        ValueError,
        ("input has shape (2, 3) but target has shape (3,)",),
    ),
    "kl/log-target-flag": (
        lambda: F.kl_div(Z, np.ones((2, 3)), reduction="sum", log_target="yes"),
        TypeError,
        ("log_target must be True or False", "'yes'"),
    ),
    "smooth_l1/beta": (
        lambda: F.smooth_l1_loss(Z, np.zeros((2, 3)), beta=-1.0),
        ValueError,
        ("beta must be a finite number >= 0", "-1.0"),
    ),
    "smooth_l1/shape": (
        lambda: F.smooth_l1_loss(Z, np.zeros(3)),
        ValueError,
        ("pred has shape (2, 3) but target has shape (3,)",),
    ),
    "margin_ranking/labels": (
        lambda: F.margin_ranking_loss(Tensor(np.zeros(2)), np.zeros(2), np.array([0, 1])),
        ValueError,
        ("target must hold 1 or -1", "2 * y - 1"),
    ),
    "hinge/shape": (
        lambda: F.hinge_embedding_loss(Tensor(np.zeros(2)), np.array([1, -1, 1])),
        ValueError,
        ("target has shape (3,) but the inputs have shape (2,)",),
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_name_the_problem(name):
    call, error, fragments = ERRORS[name]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{name}: {message!r} lacks {fragment!r}"


def test_kl_div_mean_warns_and_batchmean_does_not():
    logp = Tensor(np.log(_probs((2, 3))))
    target = _probs((2, 3), seed=1)
    with pytest.warns(UserWarning, match="'batchmean' gives the KL divergence per sample"):
        mean = F.kl_div(logp, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batchmean = F.kl_div(logp, target, reduction="batchmean")
    np.testing.assert_allclose(batchmean.item(), mean.item() * 3, rtol=1e-12)  # N * C / N = C


def test_every_label_ignored_gives_nan_as_torch():
    loss = F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([-100, -100]))
    assert np.isnan(loss.item())
    assert F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([-100, -100]), reduction="sum").item() == 0.0
