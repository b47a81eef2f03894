"""Second and higher derivatives of every primitive: ``create_graph=True`` and the Hessian.

Each primitive's second derivative is checked three ways:

* against a hand-derived formula, written out below in numpy: ``tanh'' = -2 tanh (1 - tanh^2)``, the Hessian
  of least squares ``2 X^T X / n``, of logistic regression ``X^T diag(p (1 - p)) X / n``, of cross-entropy
  ``diag(p) - p p^T`` per sample, ...; linear ops (reshape, indexing, sums ...) have zero second derivative,
  and the Hessian of ``sum(L(x)^2)`` through one of them is ``2 J^T J`` with ``J`` the op's (constant) matrix;
* against central differences of the analytic gradient (:func:`tinygrad_edu.gradcheck.gradgradcheck`,
  ``check_primitives(order=2)``), including Hypothesis properties over shapes, broadcasting and axes;
* against ``torch.autograd.functional.hessian`` for a representative set, where torch is installed (it is not
  in CI: those tests are skipped there).

Then third and fourth derivatives (``tg.grad(create_graph=True)`` applied repeatedly), and a coverage table
that fails when a primitive of ``tg.ops.PRIMITIVES`` has no second-order test.

Shapes stay small (full Hessians by finite differences cost two gradient evaluations per input element), so
the module runs in seconds with the ``ci`` profile.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_ops import UNARY, _sample, _sigmoid, _sigmoid2, _tanh2

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import _primitive_checks, check_primitives, gradient_function, hessian_matrices, jacobian
from tinygrad_edu.tensor import apply_op
from tinygrad_edu.testing import (
    assert_gradgrad_close,
    assert_hessian_close,
    broadcastable_shapes,
    elements,
    shapes,
    tensors,
)

try:  # torch is optional (not installed in CI): the parity tests are skipped without it
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")

F = tg.nn.functional
RTOL, ATOL = 1e-9, 1e-12  # float64 formulas agree with double backpropagation to rounding
GRID_OFF = "grid+1/32"  # grid values shifted by 1/32: never tie with "grid" values (maximum/minimum pairs)


# --------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------


def leaf(values: Any) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def sample(domain: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random float64 values from a testing domain (tests/test_ops.py's ranges, those of ``tinygrad_edu.testing``)."""
    return _sample(domain, shape, np.random.default_rng(seed))


def assert_hessian(fn: Callable[..., Tensor], *inputs: Any, expected: Any) -> np.ndarray:
    """The Hessian of scalar ``fn`` by double backpropagation equals central differences of the gradient (the
    library's tolerance) and the hand-derived ``expected`` (to rounding); returns it."""
    expected = np.asarray(expected, dtype=np.float64)
    H = assert_hessian_close(fn, *inputs, expected=expected)
    np.testing.assert_allclose(H, expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(H, H.T, rtol=RTOL, atol=ATOL)  # second derivatives commute
    return H


def second_derivative(fn: Callable[[Tensor], Tensor], x: Tensor, G: np.ndarray) -> np.ndarray:
    """``d/dx (G * fn'(x))`` summed over outputs, for elementwise ``fn``: ``G * fn''(x)``, by two passes of
    ``tg.grad`` (the first with ``create_graph=True``)."""
    (g,) = tg.grad(fn(x), x, grad_outputs=G, create_graph=True)
    assert isinstance(g, Tensor)
    if not g.requires_grad:  # the gradient does not depend on x (a piecewise-linear op): fn'' = 0
        return np.zeros(x.shape)
    (h,) = tg.grad(g.sum(), x)
    assert isinstance(h, np.ndarray)
    return h


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_jacobian(s: np.ndarray) -> np.ndarray:
    """ds_i/dx_k = s_i (delta_ik - s_k): diag(s) - s s^T (symmetric)."""
    return np.diag(s) - np.outer(s, s)


def _block_diag(*blocks: np.ndarray) -> np.ndarray:
    n = sum(b.shape[0] for b in blocks)
    out, k = np.zeros((n, n)), 0
    for b in blocks:
        out[k : k + b.shape[0], k : k + b.shape[0]] = b
        k += b.shape[0]
    return out


# --------------------------------------------------------------------------------------------------------
# elementwise ops: f'' by hand (the Hessian of sum f(x) is diag f''(x))
# --------------------------------------------------------------------------------------------------------


class Unary2(NamedTuple):
    name: str
    fn: Callable[[Tensor], Tensor]
    d2: Callable[[np.ndarray], np.ndarray]  # f''(x), hand-derived
    x: np.ndarray


_KINKED = np.array([[-1.5, -0.2, 0.3], [0.9, 1.7, -0.7]])  # at least 0.1 away from 0 and from +-1

#: The elementwise rows of tests/test_ops.py (each states f' and f'' beside the op: one row per op, for both
#: orders), then compositions whose second derivative involves more than one rule.
UNARY2 = [
    *(Unary2(op.name, op.fn, op.second, sample(op.domain, (2, 3))) for op in UNARY),
    Unary2("x**1", lambda t: t**1, np.zeros_like, sample("real", (2, 3))),  # (x^1)' = 1 * x^0: constant
    Unary2("x/y (y const)", lambda t: 3.0 / (t * t), lambda x: 18 / x**4, sample("nonzero", (2, 3))),
    Unary2("x*|x|", lambda t: t * t.abs(), lambda x: 2 * np.sign(x), sample("nonkink", (2, 3))),
    Unary2("relu(x)**2", lambda t: t.relu() ** 2, lambda x: 2.0 * (x > 0), sample("nonkink", (2, 3))),
    Unary2("clip(x)**3", lambda t: t.clip(-1.0, 1.0) ** 3, lambda x: 6 * x * (np.abs(x) <= 1), _KINKED),
    # through a cast and back (longdouble keeps float64's precision): (x^3)'' = 6x in the wider dtype
    Unary2("cast", lambda t: (t.astype(np.longdouble) ** 3).astype(np.float64), lambda x: 6 * x, sample("real", (3,))),
]


@pytest.mark.parametrize("op", UNARY2, ids=lambda op: op.name)
def test_elementwise_second_derivative_hand_derived(op):
    x = leaf(op.x)
    expected = np.diag(op.d2(op.x).reshape(-1))  # d^2/dx_i dx_j sum_k f(x_k) = [i = j] f''(x_i)
    assert_hessian(lambda t: op.fn(t).sum(), x, expected=expected)


@pytest.mark.parametrize("op", UNARY2, ids=lambda op: op.name)
def test_elementwise_second_derivative_with_upstream_gradient(op):
    """d/dx of (G * f'(x)) is G * f''(x): the upstream gradient is a constant factor of the second pass."""
    G = np.random.default_rng(1).standard_normal(op.x.shape)
    h = second_derivative(op.fn, leaf(op.x), G)
    np.testing.assert_allclose(h, G * op.d2(op.x), rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------------------------------------
# binary ops: the cross terms
# --------------------------------------------------------------------------------------------------------


def test_mul_hessian_is_the_cross_identity():
    # f = sum a * b: d2f/da_i db_j = [i = j], d2f/da^2 = d2f/db^2 = 0
    a, b = leaf(sample("real", (3,))), leaf(sample("real", (3,), 1))
    eye, zero = np.eye(3), np.zeros((3, 3))
    assert_hessian(lambda a, b: (a * b).sum(), a, b, expected=np.block([[zero, eye], [eye, zero]]))


def test_mul_hessian_with_broadcasting_sums_the_copies():
    # f = sum_ij W_ij a_ij b_j with b broadcast over rows: d2f/da_ij db_k = W_ij [j = k]
    W = np.random.default_rng(2).standard_normal((2, 3))
    a, b = leaf(sample("real", (2, 3))), leaf(sample("real", (3,), 1))
    cross = np.zeros((6, 3))
    for i in range(2):
        for j in range(3):
            cross[i * 3 + j, j] = W[i, j]
    expected = np.block([[np.zeros((6, 6)), cross], [cross.T, np.zeros((3, 3))]])
    assert_hessian(lambda a, b: (a * b * Tensor(W)).sum(), a, b, expected=expected)


def test_div_hessian_hand_derived():
    # f = sum a / b: f_aa = 0, f_ab = -1 / b^2, f_bb = 2 a / b^3 (elementwise, so diagonal blocks)
    a_np, b_np = sample("real", (3,)), sample("nonzero", (3,), 1)
    expected = np.block(
        [
            [np.zeros((3, 3)), np.diag(-1 / b_np**2)],
            [np.diag(-1 / b_np**2), np.diag(2 * a_np / b_np**3)],
        ]
    )
    assert_hessian(lambda a, b: (a / b).sum(), leaf(a_np), leaf(b_np), expected=expected)


def test_pow_hessian_hand_derived():
    # f = sum a^b: f_aa = b (b - 1) a^(b-2), f_ab = a^(b-1) (1 + b ln a), f_bb = a^b ln^2 a
    a_np, b_np = sample("positive", (3,)), sample("real", (3,), 1)
    f_aa = b_np * (b_np - 1) * a_np ** (b_np - 2)
    f_ab = a_np ** (b_np - 1) * (1 + b_np * np.log(a_np))
    f_bb = a_np**b_np * np.log(a_np) ** 2
    expected = np.block([[np.diag(f_aa), np.diag(f_ab)], [np.diag(f_ab), np.diag(f_bb)]])
    assert_hessian(lambda a, b: (a**b).sum(), leaf(a_np), leaf(b_np), expected=expected)


def test_pow_mixed_second_derivative_at_zero_exponent():
    # d2(a^b)/da db = a^(b-1) (1 + b ln a) = 1/a at b = 0; d2/da2 = b (b-1) a^(b-2) = 0; d2/db2 = ln^2 a
    a_np, b_np = np.array([1.0, 1.5]), np.array([0.0, 0.0])
    expected = np.block([[np.zeros((2, 2)), np.diag(1 / a_np)], [np.diag(1 / a_np), np.diag(np.log(a_np) ** 2)]])
    assert_hessian(lambda a, b: (a**b).sum(), leaf(a_np), leaf(b_np), expected=expected)


def test_add_and_sub_of_squares_hessian():
    # f = sum (a + b)^2 + (a - b)^2 = 2 sum a^2 + b^2: H = 4 I (the cross terms cancel)
    a, b = leaf(sample("real", (3,))), leaf(sample("real", (3,), 1))
    assert_hessian(lambda a, b: ((a + b) ** 2 + (a - b) ** 2).sum(), a, b, expected=4 * np.eye(6))


def test_maximum_minimum_hessian_picks_the_active_side():
    # f = sum maximum(a, b)^2 + minimum(a, b)^3: each element's curvature belongs to the side that is active
    a_np, b_np = np.array([-1.5, 0.5, 2.0]), np.array([0.25, -0.75, 1.0])
    a_wins = a_np > b_np
    d2_max = lambda x, on: 2.0 * on  # noqa: E731
    d2_min = lambda x, on: 6 * x * on  # noqa: E731
    expected = np.block(
        [
            [np.diag(d2_max(a_np, a_wins) + d2_min(a_np, ~a_wins)), np.zeros((3, 3))],
            [np.zeros((3, 3)), np.diag(d2_max(b_np, ~a_wins) + d2_min(b_np, a_wins))],
        ]
    )
    fn = lambda a, b: (tg.maximum(a, b) ** 2 + tg.minimum(a, b) ** 3).sum()  # noqa: E731
    assert_hessian(fn, leaf(a_np), leaf(b_np), expected=expected)


def test_where_hessian_picks_the_branch():
    # f = sum where(c, a^3, a * b): d2/da^2 = 6a where c, d2/da db = 1 where not c
    c = np.array([True, False, True, False])
    a_np, b_np = sample("real", (4,)), sample("real", (4,), 1)
    expected = np.block([[np.diag(6 * a_np * c), np.diag(1.0 * ~c)], [np.diag(1.0 * ~c), np.zeros((4, 4))]])
    assert_hessian(lambda a, b: tg.where(c, a**3, a * b).sum(), leaf(a_np), leaf(b_np), expected=expected)


def test_matmul_hessian_is_bilinear():
    # f = sum_ij W_ij (A B)_ij: d2f / dA_ik dB_lj = [k = l] W_ij; f is linear in A and in B
    rng = np.random.default_rng(3)
    A_np, B_np, W = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    cross = np.zeros((6, 6))  # rows: A_ik (i*3 + k), columns: B_lj (l*2 + j)
    for i in range(2):
        for k in range(3):
            for j in range(2):
                cross[i * 3 + k, k * 2 + j] = W[i, j]
    expected = np.block([[np.zeros((6, 6)), cross], [cross.T, np.zeros((6, 6))]])
    assert_hessian(lambda A, B: ((A @ B) * Tensor(W)).sum(), leaf(A_np), leaf(B_np), expected=expected)


def test_linear_primitive_hessian_over_input_and_weight():
    # Y = X W^T + b; f = sum G * Y: d2f / dX_ni dW_ji = G_nj, every other block (and the bias's) is 0
    rng = np.random.default_rng(4)
    X_np, W_np, b_np, G = (rng.standard_normal(s) for s in [(2, 3), (4, 3), (4,), (2, 4)])
    cross = np.zeros((6, 12))  # rows X_ni (n*3 + i), columns W_ji (j*3 + i)
    for n in range(2):
        for i in range(3):
            for j in range(4):
                cross[n * 3 + i, j * 3 + i] = G[n, j]
    expected = np.zeros((22, 22))
    expected[:6, 6:18], expected[6:18, :6] = cross, cross.T
    fn = lambda X, W, b: (apply_op(tg.ops.Linear(), X, W, b) * Tensor(G)).sum()  # noqa: E731
    assert_hessian(fn, leaf(X_np), leaf(W_np), leaf(b_np), expected=expected)


# --------------------------------------------------------------------------------------------------------
# models: least squares, logistic regression, cross-entropy
# --------------------------------------------------------------------------------------------------------

_X = np.random.default_rng(5).standard_normal((6, 3))
_Y = np.random.default_rng(6).standard_normal(6)
_LABELS01 = np.array([0, 1, 1, 0, 1, 0])


def test_least_squares_hessian_is_2_xtx_over_n():
    w = leaf(sample("real", (3,)))
    n = len(_X)
    expected = 2 * _X.T @ _X / n
    assert_hessian(lambda w: ((Tensor(_X) @ w - Tensor(_Y)) ** 2).mean(), w, expected=expected)
    assert_hessian(lambda w: F.mse_loss(Tensor(_X) @ w, _Y), w, expected=expected)


def test_least_squares_hessian_through_linear_layer_with_bias():
    # Y = X W^T + b with W (1, 3): the design matrix is [X 1], H = 2 [X 1]^T [X 1] / n over (W, b)
    X1 = np.hstack([_X, np.ones((len(_X), 1))])
    fn = lambda W, b: F.mse_loss(apply_op(tg.ops.Linear(), Tensor(_X), W, b), _Y.reshape(-1, 1))  # noqa: E731
    assert_hessian(fn, leaf(sample("real", (1, 3))), leaf([0.3]), expected=2 * X1.T @ X1 / len(_X))


def test_logistic_regression_hessian_bce_with_logits():
    w_np = sample("real", (3,)) / 2
    p = _sigmoid(_X @ w_np)
    expected = _X.T @ np.diag(p * (1 - p)) @ _X / len(_X)  # X^T diag(p (1 - p)) X / n
    fn = lambda w: F.binary_cross_entropy_with_logits(Tensor(_X) @ w, _LABELS01.astype(np.float64))  # noqa: E731
    assert_hessian(fn, leaf(w_np), expected=expected)
    # the same model written as BCE of sigmoid probabilities
    fn = lambda w: F.binary_cross_entropy((Tensor(_X) @ w).sigmoid(), _LABELS01.astype(np.float64))  # noqa: E731
    assert_hessian(fn, leaf(w_np), expected=expected)


def test_logistic_regression_hessian_two_class_cross_entropy():
    # logits [0, z] with z = X w: softmax's second class is sigmoid(z), so the loss is logistic regression's
    w_np = sample("real", (3,), 7) / 2
    p = _sigmoid(_X @ w_np)
    expected = _X.T @ np.diag(p * (1 - p)) @ _X / len(_X)

    def fn(w):
        z = Tensor(_X) @ w
        return F.cross_entropy(tg.stack([z * 0.0, z], axis=1), _LABELS01)

    assert_hessian(fn, leaf(w_np), expected=expected)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("targets", ["labels", "one_hot"])
def test_cross_entropy_hessian_wrt_logits(reduction, targets):
    # per sample: d2 l_n / dz_n^2 = diag(p_n) - p_n p_n^T; samples do not interact; the mean divides by N
    z_np = sample("real", (3, 4))
    labels = np.array([2, 0, 3])
    target = labels if targets == "labels" else np.eye(4)[labels]
    p = _softmax(z_np)
    scale = 1 / 3 if reduction == "mean" else 1.0
    expected = _block_diag(*[scale * _softmax_jacobian(p[n]) for n in range(3)])
    assert_hessian(lambda z: F.cross_entropy(z, target, reduction=reduction), leaf(z_np), expected=expected)


def test_cross_entropy_hessian_wrt_logits_and_probability_targets():
    # l_n = -sum_c t_nc log p_nc with free targets: d2/dz2 = (sum_c t_nc)(diag p - p p^T),
    # d2/dz_k dt_c = p_k - [k = c] (from dl/dt_c = -log p_c), d2/dt2 = 0 (l is linear in t)
    rng = np.random.default_rng(8)
    z_np, t_np = rng.standard_normal((2, 3)), rng.uniform(0.1, 1.0, (2, 3))  # rows need not sum to 1
    p = _softmax(z_np)
    H_zz = _block_diag(*[t_np[n].sum() * _softmax_jacobian(p[n]) for n in range(2)]) / 2
    H_zt = _block_diag(*[np.outer(p[n], np.ones(3)) - np.eye(3) for n in range(2)]) / 2  # rows z_nk, columns t_nc
    expected = np.block([[H_zz, H_zt], [H_zt.T, np.zeros((6, 6))]])
    fn = lambda z, t: apply_op(tg.ops.CrossEntropy(), z, t)  # noqa: E731
    assert_hessian(fn, leaf(z_np), leaf(t_np), expected=expected)


def test_bce_with_logits_hessian_wrt_logits_and_targets():
    # l = mean(max(z, 0) - z y + log(1 + e^-|z|)): l_zz = p (1 - p) / n, l_zy = -1 / n, l_yy = 0
    z_np, y_np = sample("real", (4,)), np.random.default_rng(9).uniform(0, 1, 4)
    p = _sigmoid(z_np)
    expected = np.block([[np.diag(p * (1 - p)), -np.eye(4)], [-np.eye(4), np.zeros((4, 4))]]) / 4
    fn = lambda z, y: apply_op(tg.ops.BinaryCrossEntropyWithLogits(), z, y)  # noqa: E731
    assert_hessian(fn, leaf(z_np), leaf(y_np), expected=expected)


def test_bce_hessian_wrt_probabilities_and_targets():
    # l = -mean(y log p + (1 - y) log(1 - p)): l_pp = (y / p^2 + (1 - y) / (1 - p)^2) / n,
    # l_py = -1 / (p (1 - p) n), l_yy = 0
    rng = np.random.default_rng(10)
    p_np, y_np = rng.uniform(0.1, 0.9, 4), rng.uniform(0, 1, 4)
    l_pp = y_np / p_np**2 + (1 - y_np) / (1 - p_np) ** 2
    l_py = -1 / (p_np * (1 - p_np))
    expected = np.block([[np.diag(l_pp), np.diag(l_py)], [np.diag(l_py), np.zeros((4, 4))]]) / 4
    fn = lambda p, y: apply_op(tg.ops.BinaryCrossEntropy(), p, y)  # noqa: E731
    assert_hessian(fn, leaf(p_np), leaf(y_np), expected=expected)


# --------------------------------------------------------------------------------------------------------
# the softmax family and the reductions
# --------------------------------------------------------------------------------------------------------


def test_softmax_jacobian_through_create_graph():
    # g(x, v) = d/dx sum(v * softmax(x)) = J^T v with J = diag(s) - s s^T; its Jacobian in v is J^T = J.
    # d2/dx_j dx_k sum_i v_i s_i = sum_i v_i [s_i (e_i - s)_j (e_i - s)_k - s_i J_jk]
    x_np, v_np = sample("real", (4,)), sample("real", (4,), 1)
    s = _softmax(x_np)
    J = _softmax_jacobian(s)
    H_xx = sum(v_np[i] * s[i] * (np.outer(np.eye(4)[i] - s, np.eye(4)[i] - s) - J) for i in range(4))
    expected = np.block([[H_xx, J], [J, np.zeros((4, 4))]])
    assert_hessian(lambda x, v: (v * x.softmax()).sum(), leaf(x_np), leaf(v_np), expected=expected)
    # the same Jacobian, read off directly: differentiate the create_graph gradient with respect to v
    x, v = leaf(x_np), leaf(v_np)
    (g,) = tg.grad((v * x.softmax()).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, J @ v_np, rtol=RTOL, atol=ATOL)
    rows = [tg.grad(g[k], v, retain_graph=True)[0] for k in range(4)]
    np.testing.assert_allclose(np.stack(rows), J, rtol=RTOL, atol=ATOL)


def test_log_softmax_hessian_hand_derived():
    # sum(v * log_softmax(x)) = v . x - (sum v) logsumexp(x): H = -(sum v)(diag(s) - s s^T)
    x_np, v = sample("real", (4,)), sample("real", (4,), 1)
    expected = -v.sum() * _softmax_jacobian(_softmax(x_np))
    assert_hessian(lambda x: (Tensor(v) * x.log_softmax()).sum(), leaf(x_np), expected=expected)


@pytest.mark.parametrize("axis", [None, 1, 0])
def test_logsumexp_hessian_is_diag_s_minus_ss(axis):
    # per reduced slice: H = diag(s) - s s^T with s the softmax over that slice; slices do not interact
    x_np = sample("real", (2, 3))
    if axis is None:
        expected = _softmax_jacobian(_softmax(x_np.reshape(-1)))
        fn = lambda x: x.logsumexp()  # noqa: E731
    else:
        s = _softmax(x_np, axis=axis)
        expected = np.zeros((6, 6))
        index = np.arange(6).reshape(2, 3)  # flat (row-major) position of each element
        for k in range(x_np.shape[1 - axis]):  # one reduced slice: a row (axis=1) or a column (axis=0)
            slot = index[k] if axis == 1 else index[:, k]
            expected[np.ix_(slot, slot)] = _softmax_jacobian(s[k] if axis == 1 else s[:, k])
        fn = lambda x: x.logsumexp(axis=axis).sum()  # noqa: E731
    assert_hessian(fn, leaf(x_np), expected=expected)


def test_sum_and_mean_of_squares_hessian():
    # (sum x)^2: H = 2 * ones; (mean x)^2: H = 2 / n^2 * ones
    x = leaf(sample("real", (2, 3)))
    assert_hessian(lambda x: x.sum() ** 2, x, expected=2 * np.ones((6, 6)))
    assert_hessian(lambda x: x.mean() ** 2, x, expected=2 / 36 * np.ones((6, 6)))
    assert_hessian(lambda x: (x.mean(axis=0) ** 2).sum(), x, expected=np.kron(np.ones((2, 2)), np.eye(3)) / 2)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_reduction_hessian_is_the_selected_element(name):
    # (max_i x_i)^2 = x_k^2 near x (k the argmax): H = 2 e_k e_k^T; per row for axis=1
    x_np = np.array([[0.5, -1.0, 2.0], [3.0, 1.0, -2.5]])
    x = leaf(x_np)
    k = int(np.argmax(x_np) if name == "max" else np.argmin(x_np))
    expected = np.zeros((6, 6))
    expected[k, k] = 2.0
    assert_hessian(lambda x: getattr(x, name)() ** 2, x, expected=expected)
    ks = (np.argmax if name == "max" else np.argmin)(x_np, axis=1) + np.array([0, 3])
    expected = np.zeros((6, 6))
    expected[ks, ks] = 2.0
    assert_hessian(lambda x: (getattr(x, name)(axis=1) ** 2).sum(), x, expected=expected)


# --------------------------------------------------------------------------------------------------------
# linear ops: zero second derivative, and 2 J^T J for sum(L(x)^2)
# --------------------------------------------------------------------------------------------------------


class LinearOp(NamedTuple):
    name: str
    fn: Callable[..., Tensor]
    shapes: list[tuple[int, ...]]


_COND = np.array([[True, False, True], [False, False, True]])

LINEAR_OPS = [
    LinearOp("add", lambda a, b: a + b, [(2, 3), (3,)]),
    LinearOp("sub", lambda a, b: a - b, [(2, 1), (1, 3)]),
    LinearOp("neg", lambda a: -a, [(3,)]),
    LinearOp("reshape", lambda a: a.reshape(3, 2), [(2, 3)]),
    LinearOp("transpose", lambda a: a.transpose(2, 0, 1), [(2, 3, 2)]),
    LinearOp("expand", lambda a: a.expand(2, 3), [(1, 3)]),
    LinearOp("getitem", lambda a: a[[0, 0, 1], 1:], [(2, 3)]),
    LinearOp("scatteradd", lambda a: apply_op(tg.ops.ScatterAdd(np.array([0, 2, 0]), (4,)), a), [(3,)]),
    LinearOp("concatenate", lambda a, b: tg.concatenate([a, b], axis=1), [(2, 2), (2, 1)]),
    LinearOp("stack", lambda a, b: tg.stack([a, b], axis=1), [(2, 2), (2, 2)]),
    LinearOp("sum", lambda a: a.sum(axis=1), [(2, 3)]),
    LinearOp("mean", lambda a: a.mean(axis=(0, 2)), [(2, 3, 2)]),
    LinearOp("where", lambda a, b: tg.where(_COND, a, b), [(2, 3), (3,)]),
    LinearOp("cast", lambda a: a.astype(np.longdouble), [(3,)]),
    LinearOp("matmul (A const)", lambda b: Tensor(_X[:2]) @ b, [(3, 2)]),
    LinearOp("linear (W const)", lambda x: apply_op(tg.ops.Linear(), x, Tensor(_X[:2])), [(4, 3)]),
    # issue 18: shape, statistics, indexing, linear algebra
    LinearOp("cumsum", lambda a: a.cumsum(axis=0), [(3, 2)]),
    LinearOp("einsum (B const)", lambda a: tg.einsum("ij,jk->ik", a, Tensor(_X[:3, :2])), [(2, 3)]),
    LinearOp("einsum diagonal", lambda a: tg.einsum("iji->j", a), [(2, 3, 2)]),
    LinearOp("flip", lambda a: a.flip(1), [(2, 3)]),
    LinearOp("roll", lambda a: a.roll(2, axis=1), [(2, 3)]),
    LinearOp("tile", lambda a: a.tile((2, 1)), [(2, 3)]),
    LinearOp("repeat", lambda a: a.repeat(2, axis=0), [(2, 3)]),
    LinearOp("tril", lambda a: a.tril(), [(3, 3)]),
    LinearOp("pad reflect", lambda a: a.pad(((0, 1), (2, 1)), mode="reflect"), [(2, 3)]),
    LinearOp("pad constant", lambda a: a.pad(1), [(2, 3)]),
    LinearOp("diagonal", lambda a: a.diagonal(1), [(3, 3)]),
    LinearOp("diag", lambda a: a.diag(-1), [(3,)]),
    LinearOp("trace", lambda a: a.trace(), [(3, 3)]),
    LinearOp("take_along_axis", lambda a: a.take_along_axis(np.array([[2, 2], [0, 1]]), 1), [(2, 3)]),
    LinearOp("index_add", lambda a, b: a.index_add(1, np.array([0, 0]), b), [(2, 3), (2, 2)]),
    LinearOp("squeeze/expand_dims", lambda a: a.expand_dims(0).squeeze(0).flatten(), [(2, 3)]),
]


def _linear_jacobian(op: LinearOp) -> np.ndarray:
    """The matrix of a linear op, column by column: the op applied to each basis vector (forward only)."""
    sizes = [int(np.prod(s)) for s in op.shapes]
    columns = []
    with tg.no_grad():
        for i, n in enumerate(sizes):
            for j in range(n):
                args = [np.zeros(s) for s in op.shapes]
                args[i].reshape(-1)[j] = 1.0
                columns.append(np.asarray(op.fn(*[Tensor(a) for a in args]).data, dtype=np.float64).reshape(-1))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("op", LINEAR_OPS, ids=lambda op: op.name)
def test_linear_op_has_zero_second_derivative(op):
    inputs = [leaf(sample("real", s, k)) for k, s in enumerate(op.shapes)]
    n = sum(x.size for x in inputs)
    J = _linear_jacobian(op)
    W = np.random.default_rng(11).standard_normal(J.shape[0])
    weighted = lambda *xs: (op.fn(*xs).astype(np.float64).reshape(-1) * Tensor(W)).sum()  # noqa: E731
    H = assert_hessian(weighted, *inputs, expected=np.zeros((n, n)))
    np.testing.assert_array_equal(H, 0.0)  # exactly: no curvature is invented
    # squaring after the op: H = 2 J^T J, the op's matrix carried through both passes
    squared = lambda *xs: (op.fn(*xs).astype(np.float64) ** 2).sum()  # noqa: E731
    assert_hessian(squared, *inputs, expected=2 * J.T @ J)


# --------------------------------------------------------------------------------------------------------
# third and fourth derivatives: tg.grad(create_graph=True) applied repeatedly
# --------------------------------------------------------------------------------------------------------


def derivatives(fn: Callable[[Tensor], Tensor], x_np: np.ndarray, order: int) -> list[np.ndarray]:
    """f', f'', ... up to ``order`` of an elementwise ``fn`` at ``x_np``, each by one more ``tg.grad``."""
    x = leaf(x_np)
    out, results = fn(x).sum(), []
    for k in range(order):
        (g,) = tg.grad(out, x, create_graph=k < order - 1)
        results.append(np.asarray(g.data if isinstance(g, Tensor) else g))
        out = g.sum() if isinstance(g, Tensor) else None
    return results


def _tanh3(x):
    t = np.tanh(x)
    return -2 * (1 - t**2) * (1 - 3 * t**2)


def _sigmoid3(x):
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 6 * s + 6 * s**2)


HIGHER = [
    ("tanh", lambda t: t.tanh(), [lambda x: 1 - np.tanh(x) ** 2, _tanh2, _tanh3], "real"),
    ("exp", lambda t: t.exp(), [np.exp, np.exp, np.exp, np.exp], "real"),
    ("x**4", lambda t: t**4, [lambda x: 4 * x**3, lambda x: 12 * x**2, lambda x: 24 * x, lambda x: 24 + 0 * x], "real"),
    ("sigmoid", lambda t: t.sigmoid(), [lambda x: _sigmoid(x) * (1 - _sigmoid(x)), _sigmoid2, _sigmoid3], "real"),
    (
        "log",
        lambda t: t.log(),
        [lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3, lambda x: -6 / x**4],
        "positive",
    ),
    (
        "sqrt",
        lambda t: t.sqrt(),
        [lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5],
        "positive",
    ),
    ("1/x", lambda t: 1 / t, [lambda x: -1 / x**2, lambda x: 2 / x**3, lambda x: -6 / x**4], "nonzero"),
]


@pytest.mark.parametrize(("name", "fn", "formulas", "domain"), HIGHER, ids=[h[0] for h in HIGHER])
def test_higher_derivatives_hand_derived(name, fn, formulas, domain):
    x_np = sample(domain, (5,), 12)
    for k, (got, formula) in enumerate(zip(derivatives(fn, x_np, len(formulas)), formulas, strict=True), start=1):
        np.testing.assert_allclose(got, formula(x_np), rtol=1e-9, atol=1e-12, err_msg=f"derivative {k} of {name}")


def test_fourth_derivative_of_a_quartic_is_constant_and_the_fifth_zero():
    # (x^4) = 24 everywhere; one more pass through its graph gives (x^4)' = 0
    x = leaf([0.5, -1.5])
    g = (x**4).sum()
    for _ in range(4):
        (g,) = tg.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [24.0, 24.0])
    (fifth,) = tg.grad(g.sum(), x) if g.requires_grad else (np.zeros(2),)
    np.testing.assert_array_equal(fifth, [0.0, 0.0])


def test_third_derivative_mixed_partials_of_a_product():
    # f = x^2 y^3: f_xxy = 6 y^2, f_xyy = 12 x y, f_yyy = 6 x^2
    x, y = leaf(1.5), leaf(-0.5)
    (fx, fy) = tg.grad(x**2 * y**3, [x, y], create_graph=True)
    (fxx, fxy) = tg.grad(fx, [x, y], create_graph=True)
    (fyy,) = tg.grad(fy, y, create_graph=True)
    (fxxy,) = tg.grad(fxx, y, retain_graph=True)
    (fxyy,) = tg.grad(fxy, y)
    (fyyy,) = tg.grad(fyy, y)
    np.testing.assert_allclose([fxxy, fxyy, fyyy], [6 * 0.25, 12 * 1.5 * -0.5, 6 * 2.25], rtol=RTOL)


# --------------------------------------------------------------------------------------------------------
# every primitive by finite differences of its gradient, and differentiable through every rule
# --------------------------------------------------------------------------------------------------------


def test_check_primitives_order_2_covers_and_passes_every_primitive():
    results = check_primitives(order=2)
    failed = [r for r in results if not r.passed]
    assert failed == []
    assert {c.__name__.lower() for c in tg.ops.PRIMITIVES} <= {r.op for r in results}
    assert all(r.max_abs_error < 1e-6 for r in results)


_ROWS = _primitive_checks()


@pytest.mark.parametrize("row", _ROWS, ids=[f"{r[0]}: {r[1]}" for r in _ROWS])
def test_every_primitive_row_gradgradcheck(row):
    _, _, fn, specs = row
    rng = np.random.default_rng(13)
    inputs = [leaf(_row_values(rng, shape, domain)) for shape, domain in specs]
    assert_gradgrad_close(fn, *inputs)


def _row_values(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    """Values like ``check_primitives`` draws: the domains, and 'distinct' (0.15 apart, away from 0)."""
    n = int(np.prod(shape))
    if domain == "distinct":
        return ((rng.permutation(n) - n / 2 + 0.5) * 0.15).reshape(shape)
    return sample(domain, shape, int(rng.integers(1 << 30)))


@pytest.mark.parametrize("row", _ROWS, ids=[f"{r[0]}: {r[1]}" for r in _ROWS])
def test_second_derivative_is_differentiable_through_every_primitive_rule(row):
    """Under ``create_graph`` each op's rule runs on Tensors that depend on the inputs (the upstream gradient
    of ``(sum W * f)^2`` is ``2 (sum W * f) W``), so the second pass goes through the rule's own graph.
    ``tg.grad(tg.grad(L, x, create_graph=True)[0] ..., x)`` must match central differences of the gradient."""
    _, _, fn, specs = row
    rng = np.random.default_rng(14)
    inputs = [leaf(_row_values(rng, shape, domain)) for shape, domain in specs]
    with tg.no_grad():
        W = rng.standard_normal(fn(*inputs).shape)

    def loss(*xs):
        return (fn(*xs).astype(np.float64) * Tensor(W)).sum() ** 2

    grads = tg.grad(loss(*inputs), inputs, create_graph=True)
    assert all(isinstance(g, Tensor) and g.requires_grad for g in grads)
    v = [rng.standard_normal(x.shape) for x in inputs]
    hvp = tg.grad(sum((g * Tensor(vi)).sum() for g, vi in zip(grads, v, strict=True)), inputs)
    eps = 1e-6
    plus = [leaf(x.data + eps * vi) for x, vi in zip(inputs, v, strict=True)]
    minus = [leaf(x.data - eps * vi) for x, vi in zip(inputs, v, strict=True)]
    g_plus, g_minus = tg.grad(loss(*plus), plus), tg.grad(loss(*minus), minus)
    for h, gp, gm in zip(hvp, g_plus, g_minus, strict=True):
        np.testing.assert_allclose(h, (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-6)

    # and the naive form on the op alone: where its gradient depends on the inputs, the second pass runs, and
    # its directional derivative matches central differences of s(x) = the sum of those gradients
    def live_sum(xs):
        gs = tg.grad((fn(*xs).astype(np.float64) * Tensor(W)).sum(), xs, create_graph=True)
        return [g for g in gs if g.requires_grad]

    live = live_sum(inputs)
    if live:  # linear and piecewise-linear ops have gradients that do not depend on the inputs at all
        second = tg.grad(sum(g.sum() for g in live), inputs)
        analytic = sum(float(np.sum(s * vi)) for s, vi in zip(second, v, strict=True) if s is not None)
        numeric = (sum(g.data.sum() for g in live_sum(plus)) - sum(g.data.sum() for g in live_sum(minus))) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------------------
# Hypothesis: shapes, broadcasting and axes, against central differences of the gradient
# --------------------------------------------------------------------------------------------------------


def _elems(domain: str) -> st.SearchStrategy[float]:
    if domain == "real-but-0":
        return elements("real").filter(lambda v: v != 0)
    return elements("grid", offset=1 / 32) if domain == GRID_OFF else elements(domain)


# Hessians by finite differences cost two gradient evaluations per input element: keep inputs under 10 elements
SMALL = {"max_dims": 2, "max_side": 3}
PAIRS = {"max_dims": 2, "max_side": 2}  # broadcast pairs: (2, 1) with (1, 2), (2,) with (2, 2), () ...

BINARY2 = [
    ("add", lambda a, b: a + b, "real", "real"),
    ("sub", lambda a, b: a - b, "real", "real"),
    ("mul", lambda a, b: a * b, "real", "real"),
    ("div", lambda a, b: a / b, "real", "nonzero"),
    ("pow", lambda a, b: a**b, "positive", "real-but-0"),  # b = 0: test_pow_mixed_second_derivative_at_zero_exponent
    ("maximum", tg.maximum, "grid", GRID_OFF),  # grid and grid+1/32 never tie
    ("minimum", tg.minimum, "grid", GRID_OFF),
    ("mul-then-tanh", lambda a, b: (a * b).tanh(), "real", "real"),
]


@pytest.mark.parametrize(("name", "fn", "domain_a", "domain_b"), BINARY2, ids=[b[0] for b in BINARY2])
@given(data=st.data())
def test_binary_second_derivatives_with_broadcasting(name, fn, domain_a, domain_b, data):
    sa, sb = data.draw(broadcastable_shapes(2, **PAIRS), label="shapes")
    a = data.draw(tensors(sa, elements=_elems(domain_a)), label="a")
    b = data.draw(tensors(sb, elements=_elems(domain_b)), label="b")
    assert_gradgrad_close(fn, a, b)


UNARY_DOMAINS = [
    ("exp", lambda t: t.exp(), "real"),
    ("log", lambda t: t.log(), "positive"),
    ("sqrt", lambda t: t.sqrt(), "positive"),
    ("tanh", lambda t: t.tanh(), "real"),
    ("sigmoid", lambda t: t.sigmoid(), "real"),
    ("abs*x", lambda t: t.abs() * t, "nonkink"),
    ("relu**2", lambda t: t.relu() ** 2, "nonkink"),
    ("x**-1.5", lambda t: t**-1.5, "positive"),
]


@given(data=st.data())
def test_unary_second_derivatives_over_shapes(data):
    # one property for all unary ops (each has its hand-derived test above): the op is drawn too
    _, fn, domain = data.draw(st.sampled_from(UNARY_DOMAINS), label="op")
    x = data.draw(tensors(shapes(**SMALL), domain=domain), label="x")
    assert_gradgrad_close(fn, x)


def _axis_args(ndim: int) -> st.SearchStrategy[Any]:
    """``axis=`` values valid for ``ndim`` dims: None, an int (maybe negative) or a tuple of distinct axes."""
    if ndim == 0:
        return st.one_of(st.none(), st.just(()))
    subset = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple)
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), subset)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
@given(data=st.data())
def test_reduction_second_derivatives_over_axes(name, data):
    # squared after the reduction, so that linear reductions carry curvature too
    if name in ("max", "min"):  # distinct grid values: the selected element is 1/16 away from any tie
        x = data.draw(tensors(shapes(max_side=2), domain="grid", unique=True), label="x")
    else:
        x = data.draw(tensors(shapes(max_side=2)), label="x")  # up to 3 axes: tuple axes, at most 8 elements
    axis = data.draw(_axis_args(x.ndim), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    assert_gradgrad_close(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims) ** 2, x)


@given(data=st.data())
def test_softmax_family_second_derivatives_over_axes(data):
    name = data.draw(st.sampled_from(["softmax", "log_softmax"]), label="op")
    x = data.draw(tensors(shapes(min_dims=1, **SMALL)), label="x")
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    assert_gradgrad_close(lambda t: getattr(t, name)(axis=axis), x)


@given(data=st.data())
def test_matmul_second_derivatives_over_shapes(data):
    n, k, m = (data.draw(st.integers(1, 3), label=f"dim{i}") for i in range(3))
    a_shape = data.draw(st.sampled_from([(k,), (n, k), (2, n, k)]), label="a shape")
    b_shape = data.draw(st.sampled_from([(k,), (k, m), (1, k, m)]), label="b shape")
    a, b = data.draw(tensors(a_shape), label="a"), data.draw(tensors(b_shape), label="b")
    assert_gradgrad_close(lambda a, b: (a @ b).tanh(), a, b)


@given(data=st.data())
def test_cross_entropy_second_derivatives_over_batches(data):
    n, c = data.draw(st.integers(1, 3), label="N"), data.draw(st.integers(2, 3), label="C")
    z = data.draw(tensors((n, c)), label="logits")
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n), label="labels"))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction")
    assert_gradgrad_close(lambda z: F.cross_entropy(z, labels, reduction=reduction), z)


# --------------------------------------------------------------------------------------------------------
# PyTorch's torch.autograd.functional.hessian (skipped without torch)
# --------------------------------------------------------------------------------------------------------


def _torch_hessian(fn: Callable[..., Any], arrays: list[np.ndarray]) -> np.ndarray:
    """torch's Hessian over all inputs, flattened and joined in order, as hessian_matrices lays it out."""
    h = torch.autograd.functional.hessian(fn, tuple(torch.tensor(a) for a in arrays))
    sizes = [a.size for a in arrays]
    return np.vstack(
        [
            np.hstack([h[i][j].reshape(sizes[i], sizes[j]).numpy() for j in range(len(arrays))])
            for i in range(len(arrays))
        ]
    )


_R = np.random.default_rng(15)
_XT, _YT, _LT = _R.standard_normal((5, 3)), _R.standard_normal(5), np.array([2, 0, 1, 1, 0])


def _tf():
    return torch.nn.functional


# (name, ours, torch's, input arrays): every function scalar
TORCH_CASES = [
    ("tanh", lambda x: x.tanh().sum(), lambda x: x.tanh().sum(), [_R.standard_normal(4)]),
    ("sigmoid", lambda x: x.sigmoid().sum(), lambda x: x.sigmoid().sum(), [_R.standard_normal(4)]),
    ("exp", lambda x: (x.exp() * x).sum(), lambda x: (x.exp() * x).sum(), [_R.standard_normal(4)]),
    ("log", lambda x: (x.log() * x).sum(), lambda x: (x.log() * x).sum(), [_R.uniform(0.2, 2, 4)]),
    ("sqrt", lambda x: (x.sqrt() / (1 + x)).sum(), lambda x: (x.sqrt() / (1 + x)).sum(), [_R.uniform(0.2, 2, 4)]),
    ("pow", lambda a, b: (a**b).sum(), lambda a, b: (a**b).sum(), [_R.uniform(0.2, 2, (2, 3)), _R.standard_normal(3)]),
    (
        "div",
        lambda a, b: (a / b).sum(),
        lambda a, b: (a / b).sum(),
        [_R.standard_normal((2, 3)), _R.uniform(0.5, 2, (2, 1))],
    ),
    (
        "softmax_loss",
        lambda x: (x.softmax(axis=1) * Tensor(_XT[:2])).sum() ** 2,
        lambda x: (x.softmax(dim=1) * torch.tensor(_XT[:2])).sum() ** 2,
        [_R.standard_normal((2, 3))],
    ),
    (
        "log_softmax",
        lambda x: (x.log_softmax(axis=0) ** 2).sum(),
        lambda x: (x.log_softmax(0) ** 2).sum(),
        [_R.standard_normal((3, 2))],
    ),
    ("logsumexp", lambda x: x.logsumexp(axis=1).sum(), lambda x: x.logsumexp(1).sum(), [_R.standard_normal((2, 3))]),
    (
        "linear_mse",
        lambda W, b: F.mse_loss(apply_op(tg.ops.Linear(), Tensor(_XT), W, b), _YT.reshape(-1, 1)),
        lambda W, b: _tf().mse_loss(_tf().linear(torch.tensor(_XT), W, b), torch.tensor(_YT).reshape(-1, 1)),
        [_R.standard_normal((1, 3)), _R.standard_normal(1)],
    ),
    (
        "matmul_mse",
        lambda A, w: ((A @ w - Tensor(_YT[:2])) ** 2).mean(),
        lambda A, w: ((A @ w - torch.tensor(_YT[:2])) ** 2).mean(),
        [_R.standard_normal((2, 3)), _R.standard_normal(3)],
    ),
    (
        "cross_entropy",
        lambda z: F.cross_entropy(z, _LT),
        lambda z: _tf().cross_entropy(z, torch.tensor(_LT)),
        [_R.standard_normal((5, 3))],
    ),
    (
        "cross_entropy_probs",
        lambda z, t: apply_op(tg.ops.CrossEntropy("sum"), z, t),
        lambda z, t: _tf().cross_entropy(z, t, reduction="sum"),
        [_R.standard_normal((2, 3)), _R.dirichlet(np.ones(3), 2)],
    ),
    (
        "bce_with_logits",
        lambda z, y: F.binary_cross_entropy_with_logits(z, y),
        lambda z, y: _tf().binary_cross_entropy_with_logits(z, y),
        [_R.standard_normal(4), _R.uniform(0, 1, 4)],
    ),
    (
        "bce",
        lambda z, y: F.binary_cross_entropy(z.sigmoid(), y),
        lambda z, y: _tf().binary_cross_entropy(z.sigmoid(), y),
        [_R.standard_normal(4), _R.uniform(0, 1, 4)],
    ),
    (
        "mlp_composite",
        lambda W1, W2: (((Tensor(_XT) @ W1).tanh() @ W2 - Tensor(_YT)) ** 2).mean(),
        lambda W1, W2: ((torch.tensor(_XT) @ W1).tanh() @ W2 - torch.tensor(_YT)).pow(2).mean(),
        [_R.standard_normal((3, 2)), _R.standard_normal(2)],
    ),
    (
        "smooth_composite",
        lambda x, y: (x.sigmoid() * y.exp() / (1 + x * x) + (x * y).tanh().logsumexp()).sum(),
        lambda x, y: (x.sigmoid() * y.exp() / (1 + x * x) + (x * y).tanh().logsumexp(0)).sum(),
        [_R.standard_normal(3), _R.standard_normal(3)],
    ),
]


@needs_torch
@pytest.mark.parametrize(("name", "ours", "theirs", "arrays"), TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_hessian_equals_pytorch(name, ours, theirs, arrays):
    analytic, numeric = hessian_matrices(ours, [leaf(a) for a in arrays])
    expected = _torch_hessian(theirs, arrays)
    np.testing.assert_allclose(analytic, expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-3, atol=1e-5)


@needs_torch
def test_gradient_of_gradient_with_upstream_equals_pytorch():
    # a vector output with a random upstream gradient: the Jacobian of sum_k G_k grad y_k, as torch computes it
    rng = np.random.default_rng(16)
    x_np, G = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    ours = jacobian(gradient_function(lambda t: t.softmax(axis=1) * t.tanh(), [leaf(x_np)], G), [leaf(x_np)])[0]
    x = torch.tensor(x_np, requires_grad=True)
    (g,) = torch.autograd.grad(x.softmax(1) * x.tanh(), x, torch.tensor(G), create_graph=True)
    theirs = np.stack(
        [torch.autograd.grad(g.reshape(-1)[k], x, retain_graph=True)[0].numpy().reshape(-1) for k in range(6)]
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------------------
# coverage: every primitive has a second-order test with a hand formula (or a stated reason why not)
# --------------------------------------------------------------------------------------------------------

SECOND_ORDER_TESTS: dict[str, tuple[str, ...] | str] = {
    "add": ("test_add_and_sub_of_squares_hessian", "test_linear_op_has_zero_second_derivative"),
    "sub": ("test_add_and_sub_of_squares_hessian", "test_linear_op_has_zero_second_derivative"),
    "mul": ("test_mul_hessian_is_the_cross_identity", "test_mul_hessian_with_broadcasting_sums_the_copies"),
    "div": ("test_div_hessian_hand_derived",),
    "pow": ("test_pow_hessian_hand_derived",),
    "maximum": ("test_maximum_minimum_hessian_picks_the_active_side",),
    "minimum": ("test_maximum_minimum_hessian_picks_the_active_side",),
    "where": ("test_where_hessian_picks_the_branch", "test_linear_op_has_zero_second_derivative"),
    "matmul": ("test_matmul_hessian_is_bilinear", "test_least_squares_hessian_is_2_xtx_over_n"),
    "linear": (
        "test_linear_primitive_hessian_over_input_and_weight",
        "test_least_squares_hessian_through_linear_layer_with_bias",
    ),
    "neg": ("test_linear_op_has_zero_second_derivative",),
    "exp": ("test_higher_derivatives_hand_derived",),
    "log": ("test_higher_derivatives_hand_derived",),
    "sqrt": ("test_higher_derivatives_hand_derived",),
    "sigmoid": ("test_higher_derivatives_hand_derived",),
    "tanh": ("test_higher_derivatives_hand_derived",),
    "cast": ("test_linear_op_has_zero_second_derivative",),
    "sum": ("test_sum_and_mean_of_squares_hessian", "test_linear_op_has_zero_second_derivative"),
    "mean": ("test_sum_and_mean_of_squares_hessian", "test_linear_op_has_zero_second_derivative"),
    "max": ("test_max_min_reduction_hessian_is_the_selected_element",),
    "min": ("test_max_min_reduction_hessian_is_the_selected_element",),
    "logsumexp": ("test_logsumexp_hessian_is_diag_s_minus_ss",),
    "softmax": ("test_softmax_jacobian_through_create_graph",),
    "logsoftmax": ("test_log_softmax_hessian_hand_derived",),
    "reshape": ("test_linear_op_has_zero_second_derivative",),
    "transpose": ("test_linear_op_has_zero_second_derivative",),
    "expand": ("test_linear_op_has_zero_second_derivative",),
    "getitem": ("test_linear_op_has_zero_second_derivative",),
    "scatteradd": ("test_linear_op_has_zero_second_derivative",),
    "concatenate": ("test_linear_op_has_zero_second_derivative",),
    "stack": ("test_linear_op_has_zero_second_derivative", "test_logistic_regression_hessian_two_class_cross_entropy"),
    "crossentropy": (
        "test_cross_entropy_hessian_wrt_logits",
        "test_cross_entropy_hessian_wrt_logits_and_probability_targets",
        "test_logistic_regression_hessian_two_class_cross_entropy",
    ),
    "binarycrossentropywithlogits": (
        "test_bce_with_logits_hessian_wrt_logits_and_targets",
        "test_logistic_regression_hessian_bce_with_logits",
    ),
    "binarycrossentropy": (
        "test_bce_hessian_wrt_probabilities_and_targets",
        "test_logistic_regression_hessian_bce_with_logits",
    ),
    # issue 18: shape, statistics, indexing, linear algebra
    "cumsum": ("test_linear_op_has_zero_second_derivative",),
    "cumprod": ("test_cumprod_hessian_hand_derived_with_zeros",),
    "einsum": ("test_einsum_hessian_is_bilinear", "test_linear_op_has_zero_second_derivative"),
    # issue 18: math (the unary ones are rows of UNARY in tests/test_ops.py; these two binary ops have their
    # hand-derived Hessians in tests/test_ops_math.py, and their gradcheck rows are gradgradchecked here)
    "logaddexp": "fd-only: hand-derived Hessian in tests/test_ops_math.py::test_logaddexp_hessian_hand_derived",
    "hypot": "fd-only: hand-derived Hessian in tests/test_ops_math.py::test_hypot_hessian_hand_derived",
    # issue 18: convolution and pooling
    "conv2d": "fd-only: gradgradcheck in tests/nn/test_conv.py (bilinear: its gradients are Conv2dInputGrad/...Grad)",
    "conv2dinputgrad": "fd-only: gradgradcheck of the input gradient and of its own in tests/nn/test_conv.py",
    "conv2dweightgrad": "fd-only: gradgradcheck of the weight gradient and of its own in tests/nn/test_conv.py",
    "maxpool2d": "fd-only: gradgradcheck in tests/nn/test_conv.py (piecewise linear: zero second derivative)",
}


def _ops_with_a_hand_derived_second_derivative_row() -> set[str]:
    """The primitives that compute the rows of UNARY2 (the op that makes each row's output): an elementwise
    primitive is covered by its row in tests/test_ops.py, with nothing to register here."""
    return {type(row.fn(leaf(row.x)).grad_fn).__name__.lower() for row in UNARY2}


def test_every_primitive_has_a_second_order_test():
    primitives = {c.__name__.lower() for c in tg.ops.PRIMITIVES}
    missing = sorted(primitives - set(SECOND_ORDER_TESTS) - _ops_with_a_hand_derived_second_derivative_row())
    where = "a row of UNARY in tests/test_ops.py or an entry of SECOND_ORDER_TESTS"
    assert missing == [], f"primitives without a second-order test ({where}): {missing}"
    assert sorted(set(SECOND_ORDER_TESTS) - primitives) == []  # no stale entries
    for op, tests in SECOND_ORDER_TESTS.items():
        if isinstance(tests, str):
            assert tests.startswith("fd-only: ") and len(tests) > len("fd-only: "), op
            continue
        assert tests, op
        for name in tests:
            assert name.startswith("test_") and callable(globals().get(name)), f"{op}: no test named {name}"


# --------------------------------------------------------------------------------------------------------
# issue 18: shape, statistics, indexing, linear algebra
# --------------------------------------------------------------------------------------------------------


def _cumprod_hessian(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Hessian of sum_j w_j prod_{k <= j} x_k: entry (a, b), a != b, is sum over j >= max(a, b) of w_j times the
    product of x_k over k <= j without a and b; the diagonal is 0 (each x appears once per product)."""
    n = len(x)
    H = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            if a != b:
                for j in range(max(a, b), n):
                    H[a, b] += w[j] * np.prod([x[k] for k in range(j + 1) if k not in (a, b)])
    return H


@pytest.mark.parametrize("x", [[0.5, -1.5, 2.0, 0.7], [2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 1.5, -2.0]])
def test_cumprod_hessian_hand_derived_with_zeros(x):
    """The second derivative of a cumulative product, also at zeros (one or two of them), where y / x would
    give NaN: the rule's products of the others are differentiable again."""
    x = np.array(x)
    w = np.array([0.3, -1.2, 0.8, 1.1])
    assert_hessian(lambda t: (t.cumprod() * Tensor(w)).sum(), leaf(x), expected=_cumprod_hessian(x, w))


def test_einsum_hessian_is_bilinear():
    """f(A, B) = sum_ik W_ik sum_j A_ij B_jk is bilinear: d2f / dA_ij dB_jk = W_ik, no curvature within A or B."""
    A, B, W = sample("real", (2, 3), 1), sample("real", (3, 2), 2), sample("real", (2, 2), 3)
    H = np.zeros((12, 12))
    for i in range(2):
        for j in range(3):
            for k in range(2):
                H[i * 3 + j, 6 + j * 2 + k] = H[6 + j * 2 + k, i * 3 + j] = W[i, k]
    assert_hessian(lambda a, b: (tg.einsum("ij,jk->ik", a, b) * Tensor(W)).sum(), leaf(A), leaf(B), expected=H)
    # the trace of a product, tr(A A^T) = sum A^2: Hessian 2 I, through a repeated letter in the output of one
    # operand's gradient and the other operand being the same tensor
    assert_hessian(lambda a: tg.einsum("ij,ij->", a, a), leaf(A), expected=2 * np.eye(6))
