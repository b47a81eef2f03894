"""Convolution and pooling (issue 18): conv2d, max_pool2d, avg_pool2d and their modules.

* hand-derived: values and gradients against a direct loop over the definition
  (:math:`Y_{nopq} = b_o + \\sum_{cij} W_{ocij} X_{n,c,sp+di-p,sq+dj-p}`, and its gradients written out);
* PyTorch parity (float64) of values and gradients over a grid of stride / padding / dilation / kernel /
  channels / bias (skipped without torch);
* finite differences: Hypothesis over shapes and geometry, and gradgradcheck (second derivatives) of each
  primitive (Conv2d, its two gradients Conv2dInputGrad / Conv2dWeightGrad, MaxPool2d) on tiny shapes;
* max-pool ties (the first maximum gets the gradient, as PyTorch), errors, modules (parameters, init, repr).
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
from tinygrad_edu.tensor import apply_op
from tinygrad_edu.testing import assert_grad_close, assert_hessian_close

F = tg.nn.functional

try:
    import torch
except ImportError:  # CI: torch is never a dependency
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")

RNG = np.random.default_rng(18)


def _leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# --------------------------------------------------------------------------------------------------------
# the definition, written as loops: the reference for the hand-derived tests
# --------------------------------------------------------------------------------------------------------


def _padded(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))


def _out_size(h, w, k, s, p, d):
    return ((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1, (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1)


def _conv_loops(x, w, b, s, p, d):
    """Y, and the gradients of sum(G * Y) for G, written from the definition element by element."""
    s, p, d = _pair(s), _pair(p), _pair(d)
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = _out_size(h, wd, (kh, kw), s, p, d)
    xp = _padded(x, p)
    y = np.zeros((n, o, oh, ow))
    for ni, oi, pi, qi in itertools.product(range(n), range(o), range(oh), range(ow)):
        patch = xp[
            ni,
            :,
            pi * s[0] : pi * s[0] + d[0] * (kh - 1) + 1 : d[0],
            qi * s[1] : qi * s[1] + d[1] * (kw - 1) + 1 : d[1],
        ]
        y[ni, oi, pi, qi] = (patch * w[oi]).sum() + (b[oi] if b is not None else 0.0)
    return y


def _conv_loop_grads(x, w, G, s, p, d):
    """dL/dX, dL/dW, dL/db for L = sum(G * conv(x, w, b)): each Y element adds W (to X's window) and X's
    window (to W), by the chain rule through the definition."""
    s, p, d = _pair(s), _pair(p), _pair(d)
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = _padded(x, p)
    gx, gw = np.zeros_like(xp), np.zeros_like(w)
    for ni, oi, pi, qi in itertools.product(range(n), range(o), range(G.shape[2]), range(G.shape[3])):
        for i, j in itertools.product(range(kh), range(kw)):
            r, col = pi * s[0] + i * d[0], qi * s[1] + j * d[1]
            gx[ni, :, r, col] += G[ni, oi, pi, qi] * w[oi, :, i, j]
            gw[oi, :, i, j] += G[ni, oi, pi, qi] * xp[ni, :, r, col]
    return gx[:, :, p[0] : p[0] + h, p[1] : p[1] + wd], gw, G.sum(axis=(0, 2, 3))


@pytest.mark.parametrize(
    "s, p, d, kernel", [(1, 0, 1, (3, 3)), (2, 1, 1, (3, 2)), ((2, 1), (0, 2), (2, 1), (2, 3)), (3, 2, 2, (2, 2))]
)
def test_conv2d_values_and_gradients_hand_derived(s, p, d, kernel):
    x, w, b = RNG.normal(size=(2, 3, 7, 6)), RNG.normal(size=(4, 3, *kernel)), RNG.normal(size=4)
    X, W, B = _leaf(x), _leaf(w), _leaf(b)
    y = F.conv2d(X, W, B, stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(y.numpy(), _conv_loops(x, w, b, s, p, d), rtol=1e-12, atol=1e-12)
    G = RNG.normal(size=y.shape)
    (y * Tensor(G)).sum().backward()
    gx, gw, gb = _conv_loop_grads(x, w, G, s, p, d)
    np.testing.assert_allclose(X.grad, gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(W.grad, gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(B.grad, gb, rtol=1e-12, atol=1e-12)


def test_conv2d_one_by_one_kernel_is_a_linear_map_over_channels():
    x, w = RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=(6, 3, 1, 1))
    y = F.conv2d(Tensor(x), Tensor(w))
    np.testing.assert_allclose(y.numpy(), np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x), rtol=1e-12)


def test_conv2d_keeps_float32_and_accepts_one_image():
    x = Tensor(RNG.normal(size=(1, 5, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(RNG.normal(size=(2, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.shape == (2, 5, 5) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == (1, 5, 5) and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    batched = F.conv2d(x.detach().reshape(1, 1, 5, 5), w.detach(), padding=1)
    np.testing.assert_array_equal(y.numpy(), batched.numpy()[0])


def test_max_pool2d_gradient_goes_to_the_maximum_hand_derived():
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0], [0.0, -1.0, 2.0, 2.5], [9.0, 8.0, 1.0, 3.0]])
    X = _leaf(x.reshape(1, 1, 4, 4))
    y = F.max_pool2d(X, 2)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[5.0, 7.0], [9.0, 3.0]])
    y.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    expected = np.zeros((4, 4))
    expected[0, 1], expected[1, 2], expected[3, 0], expected[3, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(X.grad[0, 0], expected)


def test_max_pool2d_overlapping_windows_add_up_at_a_shared_maximum():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre is the maximum of all four 2x2 windows of stride 1
    X = _leaf(x)
    F.max_pool2d(X, 2, stride=1).sum().backward()
    expected = np.zeros((3, 3))
    expected[1, 1] = 4.0
    np.testing.assert_array_equal(X.grad[0, 0], expected)


def test_max_pool2d_ties_give_the_gradient_to_the_first_maximum():
    """Row-major first element of the window, as PyTorch (the max reduction shares ties instead)."""
    X = _leaf(np.ones((1, 1, 4, 4)))
    F.max_pool2d(X, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(X.grad[0, 0], expected)
    X = _leaf(np.array([[[[0.0, 2.0, 2.0], [2.0, 1.0, 2.0]]]]))  # one 2x3 window, ties at (0,1) (0,2) (1,0) (1,2)
    F.max_pool2d(X, (2, 3)).sum().backward()
    np.testing.assert_array_equal(X.grad[0, 0], [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


def test_max_pool2d_padding_is_never_selected():
    X = _leaf(-np.arange(1.0, 10.0).reshape(1, 1, 3, 3))  # all negative: a zero padding would win
    y = F.max_pool2d(X, 3, stride=1, padding=1)
    assert y.numpy().max() < 0
    np.testing.assert_array_equal(y.numpy()[0, 0], [[-1.0, -1.0, -2.0], [-1.0, -1.0, -2.0], [-4.0, -4.0, -5.0]])


def test_avg_pool2d_spreads_the_gradient_evenly_hand_derived():
    x = RNG.normal(size=(2, 3, 4, 6))
    X = _leaf(x)
    y = F.avg_pool2d(X, (2, 3))
    np.testing.assert_allclose(y.numpy(), x.reshape(2, 3, 2, 2, 2, 3).mean(axis=(3, 5)), rtol=1e-12)
    G = RNG.normal(size=y.shape)
    y.backward(G)
    np.testing.assert_allclose(X.grad, np.repeat(np.repeat(G, 2, axis=2), 3, axis=3) / 6, rtol=1e-12)


def test_avg_pool2d_counts_the_zero_padding_in_the_mean():
    y = F.avg_pool2d(Tensor(np.ones((1, 1, 2, 2))), 3, stride=1, padding=1)
    np.testing.assert_allclose(y.numpy()[0, 0], np.full((2, 2), 4 / 9))


# --------------------------------------------------------------------------------------------------------
# PyTorch parity (float64) over a grid of settings
# --------------------------------------------------------------------------------------------------------

CONV_GRID = [
    (c_in, c_out, kernel, stride, padding, dilation, bias)
    for c_in, c_out in [(1, 2), (3, 4)]
    for kernel in [1, 3, (2, 3)]
    for stride in [1, 2, (1, 3)]
    for padding in [0, 1, (2, 0)]
    for dilation in [1, (2, 1)]
    for bias in [True, False]
]


@needs_torch
@pytest.mark.parametrize("c_in, c_out, kernel, stride, padding, dilation, bias", CONV_GRID)
def test_conv2d_matches_pytorch(c_in, c_out, kernel, stride, padding, dilation, bias):
    k = _pair(kernel)
    x, w = RNG.normal(size=(2, c_in, 7, 8)), RNG.normal(size=(c_out, c_in, *k))
    b = RNG.normal(size=c_out) if bias else None
    ours = [_leaf(x), _leaf(w)] + ([_leaf(b)] if bias else [])
    theirs = [torch.tensor(a, requires_grad=True) for a in ([x, w] + ([b] if bias else []))]
    y = F.conv2d(*ours[:2], ours[2] if bias else None, stride, padding, dilation)
    ty = torch.nn.functional.conv2d(*theirs[:2], theirs[2] if bias else None, stride, padding, dilation)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    G = RNG.normal(size=y.shape)
    y.backward(G)
    ty.backward(torch.tensor(G))
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


POOL_GRID = [
    (kernel, stride, padding, dilation)
    for kernel in [2, 3, (2, 3)]
    for stride in [None, 1, (2, 1)]
    for padding in [0, 1]
    for dilation in [1, 2]
]


@needs_torch
@pytest.mark.parametrize("kernel, stride, padding, dilation", POOL_GRID)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d_matches_pytorch(kernel, stride, padding, dilation, ties):
    x = np.round(RNG.normal(size=(2, 3, 7, 8))) if ties else RNG.normal(size=(2, 3, 7, 8))  # rounding: many ties
    X, tx = _leaf(x), torch.tensor(x, requires_grad=True)
    y = F.max_pool2d(X, kernel, stride, padding, dilation)
    ty = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    G = RNG.normal(size=y.shape)
    y.backward(G)
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((2, 3), (2, 1), (1, 0)), (3, 2, 1)])
def test_avg_pool2d_matches_pytorch(kernel, stride, padding):
    x = RNG.normal(size=(2, 3, 7, 8))
    X, tx = _leaf(x), torch.tensor(x, requires_grad=True)
    y = F.avg_pool2d(X, kernel, stride, padding)
    ty = torch.nn.functional.avg_pool2d(tx, kernel, stride, padding)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    G = RNG.normal(size=y.shape)
    y.backward(G)
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
def test_conv2d_module_init_matches_pytorch_bounds_and_output():
    tg.manual_seed(0)
    ours = tg.nn.Conv2d(3, 5, (3, 2), stride=2, padding=1, dtype=np.float64)
    theirs = torch.nn.Conv2d(3, 5, (3, 2), stride=2, padding=1, dtype=torch.float64)
    bound = 1 / math.sqrt(3 * 3 * 2)
    assert np.abs(ours.weight.numpy()).max() <= bound and np.abs(ours.bias.numpy()).max() <= bound
    assert ours.weight.numpy().std() > bound / 3  # uniform on [-bound, bound]: std = bound / sqrt(3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    x = RNG.normal(size=(2, 3, 6, 5))
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


# --------------------------------------------------------------------------------------------------------
# finite differences: Hypothesis over shapes and geometry; second derivatives
# --------------------------------------------------------------------------------------------------------


@st.composite
def conv_cases(draw):
    """(x, w, b, stride, padding, dilation): small shapes whose (dilated) kernel fits the padded input."""
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), 5))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    bias = rng.normal(size=o) if draw(st.booleans()) else None
    return rng.normal(size=(n, c, h, w)), rng.normal(size=(o, c, kh, kw)), bias, s, p, d


@given(conv_cases())
def test_conv2d_gradients_match_finite_differences(case):
    x, w, b, s, p, d = case
    inputs = [_leaf(x), _leaf(w)] + ([_leaf(b)] if b is not None else [])
    assert_grad_close(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, s, p, d), *inputs)


@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(0, 1),
    st.integers(1, 2),
    st.integers(0, 2**16),
)
def test_pooling_gradients_match_finite_differences(kh, kw, stride, padding, dilation, seed):
    padding = min(padding, kh // 2, kw // 2)
    x = np.random.default_rng(seed).permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) / 8.0  # distinct: no ties
    assert_grad_close(lambda x: F.max_pool2d(x, (kh, kw), stride, padding, dilation), _leaf(x))
    assert_grad_close(lambda x: F.avg_pool2d(x, (kh, kw), stride, padding), _leaf(x))


@pytest.mark.parametrize("s, p, d", [(1, 0, 1), (2, 1, 1), ((1, 2), (1, 0), (1, 2))])
def test_conv2d_second_derivatives_gradgradcheck(s, p, d):
    x, w, b = _leaf(RNG.normal(size=(2, 2, 4, 4))), _leaf(RNG.normal(size=(2, 2, 2, 2))), _leaf(RNG.normal(size=2))
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, s, p, d), [x, w, b])
    # a loss with curvature in both arguments: the Hessian couples x and w through the product
    assert gradgradcheck(lambda x, w: (F.conv2d(x, w, None, s, p, d) ** 2).sum(), [x, w])


def test_conv2d_gradient_primitives_second_derivatives_gradgradcheck():
    """Conv2dInputGrad and Conv2dWeightGrad are differentiable again (their rules use Conv2d and each other):
    gradgradcheck differentiates their gradients, i.e. the third derivative of a convolution loss."""
    geometry = ((2, 1), 1, (1, 2))
    x_shape, w_shape = (1, 2, 5, 4), (3, 2, 2, 2)
    g_shape = F.conv2d(Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape)), None, *geometry).shape
    g, w, x = _leaf(RNG.normal(size=g_shape)), _leaf(RNG.normal(size=w_shape)), _leaf(RNG.normal(size=x_shape))
    assert gradcheck(lambda g, w: apply_op(tg.ops.Conv2dInputGrad(x_shape, *geometry), g, w), [g, w])
    assert gradgradcheck(lambda g, w: apply_op(tg.ops.Conv2dInputGrad(x_shape, *geometry), g, w), [g, w])
    assert gradcheck(lambda x, g: apply_op(tg.ops.Conv2dWeightGrad(w_shape, *geometry), x, g), [x, g])
    assert gradgradcheck(lambda x, g: apply_op(tg.ops.Conv2dWeightGrad(w_shape, *geometry), x, g), [x, g])


def test_conv2d_hessian_in_the_weight_is_the_gram_matrix_of_the_columns():
    """0.5 ||conv(x, w)||^2 = 0.5 ||A w||^2 with A the im2col matrix (one row per output element, built here by
    convolving x with each basis kernel): its Hessian in w is A^T A."""
    x = RNG.normal(size=(2, 2, 4, 3))
    w_shape = (2, 2, 2, 2)
    basis = np.eye(math.prod(w_shape)).reshape(-1, *w_shape)
    A = np.stack([F.conv2d(Tensor(x), Tensor(e), padding=1).numpy().ravel() for e in basis], axis=1)
    assert_hessian_close(
        lambda w: 0.5 * (F.conv2d(Tensor(x), w, padding=1) ** 2).sum(),
        _leaf(RNG.normal(size=w_shape)),
        expected=A.T @ A,
    )


def test_pooling_second_derivatives_gradgradcheck():
    x = _leaf(np.random.default_rng(1).permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) / 8.0)
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2, 1, 1), [x])
    assert gradgradcheck(lambda x: (F.max_pool2d(x, 2) ** 2).sum(), [x])
    assert gradgradcheck(lambda x: (F.avg_pool2d(x, 3, 1, 1) ** 2).sum(), [x])


def test_small_cnn_hessian_vector_product_through_every_layer():
    tg.manual_seed(0)
    model = tg.nn.Sequential(
        tg.nn.Conv2d(1, 2, 3, padding=1, dtype=np.float64),
        tg.nn.Tanh(),
        tg.nn.MaxPool2d(2),
        tg.nn.AvgPool2d(2),
        tg.nn.Flatten(),
        tg.nn.Linear(2, 3, dtype=np.float64),
    )
    x, labels = Tensor(RNG.normal(size=(3, 1, 4, 4))), np.array([0, 2, 1])
    weight = model[0].weight

    def loss(w):
        model[0].weight = w
        return F.cross_entropy(model(x), labels)

    assert gradgradcheck(loss, [weight])


# --------------------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------------------


def test_conv2d_errors_name_the_shapes_and_the_fix():
    x, w = Tensor(np.zeros((2, 3, 5, 5))), Tensor(np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"4-D \(N, C, H, W\) or one image \(C, H, W\), got shape \(5, 5\)"):
        F.conv2d(Tensor(np.zeros((5, 5))), w)
    with pytest.raises(ValueError, match=r"weight must be 4-D .* got shape \(4, 3, 3\)"):
        F.conv2d(x, Tensor(np.zeros((4, 3, 3))))
    with pytest.raises(
        ValueError,
        match=r"channel mismatch: the input of shape \(2, 3, 5, 5\) has 3 channel.*"
        r"\(4, 2, 3, 3\) expects in_channels = weight.shape\[1\] = 2",
    ):
        F.conv2d(x, Tensor(np.zeros((4, 2, 3, 3))))
    with pytest.raises(ValueError, match=r"bias must have shape \(out_channels,\) = \(4,\) .* got \(3,\)"):
        F.conv2d(x, w, Tensor(np.zeros(3)))
    with pytest.raises(
        ValueError, match=r"kernel \(3, 3\) with dilation \(3, 3\) spans 7 rows/columns, more than the padded input"
    ):
        F.conv2d(x, w, dilation=3)
    with pytest.raises(
        ValueError,
        match=r"padded input: input \(H, W\) = \(2, 2\) with padding \(0, 0\) is only \(2, 2\); "
        r"use a smaller kernel or more padding",
    ):
        F.conv2d(Tensor(np.zeros((1, 3, 2, 2))), w)
    with pytest.raises(ValueError, match=r"stride must be positive, got 0"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"stride must be positive, got \(1, -1\)"):
        F.conv2d(x, w, stride=(1, -1))
    with pytest.raises(ValueError, match=r"padding must be non-negative, got -1"):
        F.conv2d(x, w, padding=-1)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints \(height, width\), got \(1, 2, 3\)"):
        F.conv2d(x, w, stride=(1, 2, 3))
    with pytest.raises(TypeError, match=r"conv2d: input must be a floating-point tensor, got dtype int64"):
        F.conv2d(Tensor(np.zeros((2, 3, 5, 5), dtype=np.int64)), w)
    with pytest.raises(ValueError, match=r"upstream gradient must have the convolution's output shape \(2, 4, 3, 3\)"):
        apply_op(tg.ops.Conv2dInputGrad((2, 3, 5, 5)), np.zeros((2, 4, 2, 2)), w.data)


def test_pooling_errors():
    x = Tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"max_pool2d: the input must be 4-D .* got shape \(4, 4\)"):
        F.max_pool2d(Tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match=r"max_pool2d: the kernel \(5, 5\) .* spans 5 .* only \(4, 4\)"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"stride must be positive, got 0"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel_size must be positive, got 0"):
        F.avg_pool2d(x, 0)
    with pytest.raises(ValueError, match=r"avg_pool2d: padding \(2, 2\) must be at most half the kernel size"):
        F.avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"AvgPool2d: padding \(2, 2\) must be at most half"):
        tg.nn.AvgPool2d(3, padding=2)
    with pytest.raises(ValueError, match=r"MaxPool2d: kernel_size must be positive, got -2"):
        tg.nn.MaxPool2d(-2)


# --------------------------------------------------------------------------------------------------------
# modules
# --------------------------------------------------------------------------------------------------------


def test_conv2d_module_parameters_shapes_init_and_forward():
    tg.manual_seed(0)
    conv = tg.nn.Conv2d(2, 4, 3, padding=1)
    assert [(name, p.shape) for name, p in conv.named_parameters()] == [("weight", (4, 2, 3, 3)), ("bias", (4,))]
    assert conv.weight.dtype == np.float32 and conv.weight.requires_grad
    bound = 1 / math.sqrt(2 * 3 * 3)
    assert 0.5 * bound < np.abs(conv.weight.numpy()).max() <= bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    x = Tensor(RNG.normal(size=(3, 2, 6, 6)).astype(np.float32))
    np.testing.assert_array_equal(conv(x).numpy(), F.conv2d(x, conv.weight, conv.bias, padding=1).numpy())
    nobias = tg.nn.Conv2d(2, 4, (1, 3), bias=False)
    assert nobias.bias is None and [n for n, _ in nobias.named_parameters()] == ["weight"]
    tg.manual_seed(0)
    again = tg.nn.Conv2d(2, 4, 3, padding=1)
    np.testing.assert_array_equal(again.weight.numpy(), conv.weight.numpy())  # seeded


def test_module_reprs():
    assert repr(tg.nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert (
        repr(tg.nn.Conv2d(3, 8, (3, 2), stride=2, padding=1, dilation=(2, 1), bias=False))
        == "Conv2d(3, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 1), bias=False)"
    )
    assert repr(tg.nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1))"
    assert (
        repr(tg.nn.MaxPool2d(3, 1, 1))
        == "MaxPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1))"
    )
    assert repr(tg.nn.AvgPool2d((2, 3), stride=1)) == "AvgPool2d(kernel_size=(2, 3), stride=(1, 1), padding=(0, 0))"
    assert repr(tg.nn.Flatten()) == "Flatten(start_axis=1, end_axis=-1)"


def test_pool_modules_have_no_parameters_and_match_functional():
    x = Tensor(RNG.normal(size=(2, 3, 6, 6)))
    for module, fn in [(tg.nn.MaxPool2d(2), F.max_pool2d(x, 2)), (tg.nn.AvgPool2d(3, 1, 1), F.avg_pool2d(x, 3, 1, 1))]:
        assert list(module.parameters()) == []
        np.testing.assert_array_equal(module(x).numpy(), fn.numpy())


def test_conv2d_module_errors_name_the_layer_and_the_shape():
    conv = tg.nn.Conv2d(3, 4, 3)
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(3, 4, kernel_size=\(3, 3\), stride=\(1, 1\)\) needs inputs \(N, 3, H, W\) with 3 "
        r"channel\(s\) on axis 1, got shape \(2, 1, 5, 5\)",
    ):
        conv(Tensor(np.zeros((2, 1, 5, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d: in_channels must be a positive integer, got 0"):
        tg.nn.Conv2d(0, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size must be positive, got 0"):
        tg.nn.Conv2d(1, 4, 0)
