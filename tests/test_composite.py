"""Composites of many primitives: Hypothesis-built random expression trees checked against finite
differences, and classic fixed examples (micrograd's README, an MLP with softmax cross-entropy, least squares,
attention) checked against hand-derived gradients."""

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.testing import assert_grad_close, broadcastable_shapes, tensors

# --------------------------------------------------------------------------------------------------------
# random programs
# --------------------------------------------------------------------------------------------------------
# A node is (fn, text, shape): fn maps the list of inputs to a Tensor, text is what Hypothesis prints for a
# failing example. Every op is smooth on the whole real line (no kinks), and every exponential, logarithm and
# denominator is guarded, so finite differences are trustworthy wherever the inputs land.

Fn = Callable[[list[Tensor]], Tensor]

UNARY: dict[str, tuple[Callable[[Tensor], Tensor], str]] = {
    "tanh": (lambda x: x.tanh(), "tanh({})"),
    "sigmoid": (lambda x: x.sigmoid(), "sigmoid({})"),
    "exp_tanh": (lambda x: x.tanh().exp(), "exp(tanh({}))"),  # exp of a value in [-1, 1]
    "gauss": (lambda x: (-(x * x)).exp(), "exp(-({})^2)"),
    "neg": (lambda x: -x, "-({})"),
    "square": (lambda x: x * x, "({})^2"),
    "affine": (lambda x: 0.5 * x - 0.25, "0.5*({}) - 0.25"),
    "log1p_sq": (lambda x: (1 + x * x).log(), "log(1 + ({})^2)"),  # argument >= 1
    "sqrt1p_sq": (lambda x: (1 + x * x).sqrt(), "sqrt(1 + ({})^2)"),
    "pow": (lambda x: (1 + x * x) ** 1.5, "(1 + ({})^2)^1.5"),
}

BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], str]] = {
    "add": (lambda a, b: a + b, "({} + {})"),
    "sub": (lambda a, b: a - b, "({} - {})"),
    "mul": (lambda a, b: a * b, "({} * {})"),
    "div_sq": (lambda a, b: a / (1 + b * b), "({} / (1 + ({})^2))"),  # denominator >= 1
    "div_exp": (lambda a, b: a / b.tanh().exp(), "({} / exp(tanh({})))"),  # denominator in [1/e, e]
}

KINDS = ["leaf", "unary", "binary", "reduce", "softmax", "reshape", "transpose", "matmul"]


class Program:
    """A random program over ``len(shapes)`` inputs; its repr is the expression (Hypothesis prints it)."""

    def __init__(self, text: str, fn: Fn, shapes: tuple[tuple[int, ...], ...]) -> None:
        self.text, self.fn, self.shapes = text, fn, shapes

    def __call__(self, *xs: Tensor) -> Tensor:
        return self.fn(list(xs))

    def __repr__(self) -> str:
        return f"{self.text}  # input shapes {self.shapes}"


def _shape_of(fn: Fn, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    """Run the node on zeros to learn its output shape (cheaper to get right than shape rules by hand)."""
    return fn([Tensor(np.zeros(s)) for s in shapes]).shape


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _gram(t: Tensor) -> Tensor:
    return t @ (t.swapaxes(-1, -2) if t.ndim >= 2 else t)


@st.composite
def nodes(draw, shapes, depth):
    # leaves only at the bottom: every path has `depth` ops, so no example degenerates to a bare input
    kinds = ["leaf"] if depth == 0 else KINDS[1:]
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        i = draw(st.integers(0, len(shapes) - 1))
        return (lambda xs: xs[i]), f"x{i}", shapes[i]

    fa, ta, sa = draw(nodes(shapes, depth - 1))
    if kind == "unary":
        op, fmt = UNARY[draw(st.sampled_from(sorted(UNARY)))]
        fn, text = (lambda xs: op(fa(xs))), fmt.format(ta)
    elif kind == "binary":
        fb, tb, sb = draw(nodes(shapes, depth - 1))
        op, fmt = BINARY[draw(st.sampled_from(sorted(BINARY)))]
        if _broadcasts(sa, sb):
            fn, text = (lambda xs: op(fa(xs), fb(xs))), fmt.format(ta, tb)
        else:  # reduce the right operand to a scalar so the shapes always fit
            fn, text = (lambda xs: op(fa(xs), fb(xs).mean())), fmt.format(ta, f"mean({tb})")
    elif kind == "reduce":
        name = draw(st.sampled_from(["sum", "mean"]))
        axis_choices = [None, *range(-len(sa), len(sa))]
        if len(sa) >= 2:
            axis_choices.append((0, len(sa) - 1))
        axis = draw(st.sampled_from(axis_choices))
        keepdims = draw(st.booleans())
        fn = lambda xs: getattr(fa(xs), name)(axis=axis, keepdims=keepdims)  # noqa: E731
        text = f"{name}({ta}, axis={axis}, keepdims={keepdims})"
    elif kind == "softmax" and sa:
        axis = draw(st.integers(-len(sa), len(sa) - 1))
        fn, text = (lambda xs: fa(xs).softmax(axis=axis)), f"softmax({ta}, axis={axis})"
    elif kind == "reshape":
        targets = [(-1,), tuple(reversed(sa))]
        if len(sa) < 3:
            k = draw(st.integers(0, len(sa)))
            targets.append((*sa[:k], 1, *sa[k:]))
        target = draw(st.sampled_from(targets))
        fn, text = (lambda xs: fa(xs).reshape(target)), f"reshape({ta}, {target})"
    elif kind == "transpose" and len(sa) >= 2:
        perm = tuple(draw(st.permutations(range(len(sa)))))
        fn, text = (lambda xs: fa(xs).transpose(perm)), f"transpose({ta}, {perm})"
    elif kind == "matmul" and sa:
        fb, tb, sb = draw(nodes(shapes, depth - 1))
        if sb and len(sb) <= 2 and sb[-1] == sa[-1]:
            fn, text = (lambda xs: fa(xs) @ fb(xs).T), f"({ta} @ ({tb}).T)"
        else:  # a Gram matrix always has matching inner dimensions
            fn, text = (lambda xs: _gram(fa(xs))), f"({ta} @ {ta}^T)"
    else:  # the op does not apply to a 0-d or 1-d operand: squash instead
        fn, text = (lambda xs: fa(xs).tanh()), f"tanh({ta})"
    return fn, text, _shape_of(fn, shapes)


@st.composite
def programs(draw, shapes, depth=3):
    fn, text, _ = draw(nodes(shapes, depth))
    return Program(text, fn, tuple(shapes))


@given(st.data())
def test_random_expression_trees_match_finite_differences(data):
    n = data.draw(st.integers(1, 3), label="number of inputs")
    shapes = data.draw(broadcastable_shapes(n, max_dims=3, max_side=3), label="shapes")
    program = data.draw(programs(shapes), label="program")
    inputs = [data.draw(tensors(s), label=f"x{i}") for i, s in enumerate(shapes)]
    assert_grad_close(program, *inputs)


@given(st.data())
def test_random_expression_trees_backward_equals_grad(data):
    """backward() into .grad and tg.grad agree on the same random graph (two paths through the engine)."""
    shapes = data.draw(broadcastable_shapes(2, max_dims=2, max_side=3), label="shapes")
    program = data.draw(programs(shapes), label="program")
    xs = [data.draw(tensors(s), label=f"x{i}") for i, s in enumerate(shapes)]
    out = program(*xs).sum()
    expected = tg.grad(out, xs, retain_graph=True)
    out.backward()
    for x, g in zip(xs, expected, strict=True):
        if g is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad, g, rtol=1e-12, atol=0)


# --------------------------------------------------------------------------------------------------------
# micrograd's README example
# --------------------------------------------------------------------------------------------------------


def test_micrograd_readme_example():
    a = Tensor(-4.0, dtype=np.float64, requires_grad=True)
    b = Tensor(2.0, dtype=np.float64, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()

    # By hand, with a + b = -2 < 0 (first relu off) and b - a = 6 > 0 (second relu on):
    #   c = 3a + 4b + 3,   d = 12(ab + b^3) + (b - a),   e = c - d,   g = e^2/2 + 10/e^2
    #   dg/de = e - 20/e^3,  de/da = 3 - (12b - 1),  de/db = 4 - (12a + 36b^2 + 1)
    av, bv = -4.0, 2.0
    ev = (3 * av + 4 * bv + 3) - (12 * (av * bv + bv**3) + (bv - av))
    dg_de = ev - 20 / ev**3
    assert ev == -7.0
    assert g.item() == pytest.approx(24.5 + 10 / 49, rel=1e-14)
    assert a.grad == pytest.approx(dg_de * (3 - (12 * bv - 1)), rel=1e-12)
    assert b.grad == pytest.approx(dg_de * (4 - (12 * av + 36 * bv**2 + 1)), rel=1e-12)
    # the values micrograd's README prints
    assert f"{g.item():.4f}" == "24.7041"
    assert f"{a.grad.item():.4f}" == "138.8338"
    assert f"{b.grad.item():.4f}" == "645.5773"


# --------------------------------------------------------------------------------------------------------
# a 2-layer MLP with tanh and softmax cross-entropy written from primitives
# --------------------------------------------------------------------------------------------------------


def _mlp_data():
    rng = np.random.default_rng(42)
    X = rng.standard_normal((5, 3))
    labels = np.array([0, 2, 1, 2, 0])
    Y = np.eye(3)[labels]
    params = [
        Tensor(rng.standard_normal((3, 4)) * 0.5, requires_grad=True, name="W1"),
        Tensor(rng.standard_normal(4) * 0.1, requires_grad=True, name="b1"),
        Tensor(rng.standard_normal((4, 3)) * 0.5, requires_grad=True, name="W2"),
        Tensor(rng.standard_normal(3) * 0.1, requires_grad=True, name="b2"),
    ]
    return X, Y, params


def _mlp_loss(W1, b1, W2, b2, X, Y):
    """Mean cross-entropy of softmax(tanh(X W1 + b1) W2 + b2), log-softmax built from exp/sum/log."""
    h = (X @ W1 + b1).tanh()
    z = h @ W2 + b2
    z = z - z.max(axis=1, keepdims=True).detach()  # the usual stabiliser: a constant shift per row
    log_probs = z - z.exp().sum(axis=1, keepdims=True).log()
    return -(Y * log_probs).sum() / X.shape[0]


def test_mlp_softmax_cross_entropy_matches_hand_derived_backprop():
    X, Y, params = _mlp_data()
    W1, b1, W2, b2 = params
    loss = _mlp_loss(W1, b1, W2, b2, Tensor(X), Tensor(Y))
    loss.backward()

    # forward and backward by hand in numpy
    n = X.shape[0]
    h = np.tanh(X @ W1.data + b1.data)
    z = h @ W2.data + b2.data
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected_loss = -np.mean(np.log(p[Y.astype(bool)]))
    dz = (p - Y) / n  # d(mean CE)/dlogits = (softmax - onehot) / n
    dW2, db2 = h.T @ dz, dz.sum(axis=0)
    dpre = (dz @ W2.data.T) * (1 - h * h)
    dW1, db1 = X.T @ dpre, dpre.sum(axis=0)

    assert loss.item() == pytest.approx(expected_loss, rel=1e-12)
    for param, expected in zip(params, [dW1, db1, dW2, db2], strict=True):
        assert param.grad.shape == param.shape
        np.testing.assert_allclose(param.grad, expected, rtol=1e-10, atol=1e-14, err_msg=param.name)


def test_mlp_softmax_cross_entropy_matches_finite_differences():
    X, Y, params = _mlp_data()
    Xt, Yt = Tensor(X, requires_grad=True), Tensor(Y)  # also check the gradient with respect to the inputs
    assert gradcheck(lambda W1, b1, W2, b2, x, y: _mlp_loss(W1, b1, W2, b2, x, y), [*params, Xt, Yt]) is True


def test_mlp_loss_from_primitives_equals_fused_log_softmax():
    X, Y, params = _mlp_data()
    W1, b1, W2, b2 = params
    primitive = _mlp_loss(W1, b1, W2, b2, Tensor(X), Tensor(Y))
    primitive_grads = tg.grad(primitive, params)
    z = (Tensor(X) @ W1 + b1).tanh() @ W2 + b2
    fused = -(Tensor(Y) * z.log_softmax(axis=1)).sum() / X.shape[0]
    fused_grads = tg.grad(fused, params)
    assert fused.item() == pytest.approx(primitive.item(), rel=1e-12)
    for g1, g2 in zip(primitive_grads, fused_grads, strict=True):
        np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------------------------------------
# more classics
# --------------------------------------------------------------------------------------------------------


def test_least_squares_gradient_is_two_xt_residual():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    w = Tensor(rng.standard_normal(3), requires_grad=True)
    r = Tensor(X) @ w - Tensor(y)
    (r * r).sum().backward()  # L = ||Xw - y||^2,  dL/dw = 2 X^T (Xw - y)
    np.testing.assert_allclose(w.grad, 2 * X.T @ (X @ w.data - y), rtol=1e-12)


def test_logistic_regression_gradient_is_xt_times_error():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((8, 2)), (rng.random(8) > 0.5).astype(np.float64)
    w = Tensor(rng.standard_normal(2), requires_grad=True)
    p = (Tensor(X) @ w).sigmoid()
    loss = -(Tensor(y) * p.log() + (1 - Tensor(y)) * (1 - p).log()).mean()
    loss.backward()  # dL/dw = X^T (sigmoid(Xw) - y) / n
    s = 1 / (1 + np.exp(-(X @ w.data)))
    np.testing.assert_allclose(w.grad, X.T @ (s - y) / 8, rtol=1e-10)


def test_scaled_dot_product_attention_matches_finite_differences():
    rng = np.random.default_rng(2)
    q, k, v = (Tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(3))

    def attention(q, k, v):
        return (q @ k.T / 2.0).softmax(axis=-1) @ v

    assert gradcheck(attention, [q, k, v]) is True
