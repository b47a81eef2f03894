"""The functional transforms ``tg.vjp``, ``tg.jvp``, ``tg.jacobian``, ``tg.hvp`` and ``tg.hessian``.

Each is checked against a hand-derived formula (least squares, logistic regression, elementwise functions),
against finite differences (of the function for the Jacobian and the JVP, of the gradient for the Hessian and
the HVP), over random shapes with Hypothesis, and against ``torch.autograd.functional`` where torch is
installed (not in CI: those tests are skipped there). Bad inputs must give clear errors.
"""

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import numerical_grad, numerical_jacobian

try:  # torch is optional (never a dependency): the parity tests are skipped without it
    import torch
    import torch.autograd.functional as TF  # noqa: N812 (torch's own abbreviation)
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")
F = tg.nn.functional


def rng_array(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def logistic_loss(w: Tensor, X: np.ndarray, y: np.ndarray) -> Tensor:
    return F.binary_cross_entropy_with_logits(Tensor(X) @ w, Tensor(y))


def logistic_hessian(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """X^T diag(p (1 - p)) X / n: the Hessian of the mean logistic loss."""
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (X * (p * (1 - p))[:, None]) / len(X)


def smooth(x: Tensor, y: Tensor) -> Tensor:
    """A smooth function of two inputs with every kind of second derivative."""
    return (x.tanh() * y[:2]).sum() + (x**2).sum() * (y.exp()).sum()


def hessian_by_differences(f: Any, xs: list[np.ndarray], eps: float = 1e-6) -> np.ndarray:
    """The full Hessian over all inputs (flattened in order) as central differences of the numerical gradient's
    analytic counterpart: the gradient by backprop, differentiated numerically."""

    def gradient(*ts: Tensor) -> Tensor:
        with tg.enable_grad():  # numerical_jacobian evaluates under no_grad
            gs = tg.grad(f(*ts), list(ts), create_graph=True)
        return tg.concatenate([g.reshape(-1) for g in gs])

    leaves = [Tensor(x, requires_grad=True) for x in xs]
    return np.hstack(numerical_jacobian(gradient, leaves, eps))


# --------------------------------------------------------------------------------------------------------
# hand-derived formulas
# --------------------------------------------------------------------------------------------------------


def test_hvp_and_hessian_of_least_squares_are_2_xtx_over_n():
    X, y = rng_array(0, 20, 4), rng_array(1, 20, 1)
    f = lambda w: F.mse_loss(Tensor(X) @ w, Tensor(y))  # noqa: E731
    w0, v = rng_array(2, 4, 1), rng_array(3, 4, 1)
    H = 2 * X.T @ X / len(X)
    value, hv = tg.hvp(f, Tensor(w0), v)
    np.testing.assert_allclose(hv, H @ v, rtol=1e-12)
    np.testing.assert_allclose(value.item(), np.mean((X @ w0 - y) ** 2), rtol=1e-12)
    assert isinstance(value, Tensor) and not value.requires_grad
    np.testing.assert_allclose(tg.hessian(f, Tensor(w0)), H.reshape(4, 1, 4, 1), rtol=1e-12)


def test_hessian_of_logistic_regression():
    X = rng_array(0, 30, 3)
    y = (rng_array(1, 30) > 0).astype(float)
    w0 = rng_array(2, 3) * 0.5
    H = tg.hessian(lambda w: logistic_loss(w, X, y), Tensor(w0))
    np.testing.assert_allclose(H, logistic_hessian(w0, X), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(H, H.T, atol=1e-15)


def test_elementwise_jacobian_and_jvp_are_diagonal():
    x0, v = rng_array(0, 5), rng_array(1, 5)
    J = tg.jacobian(lambda x: x.tanh(), Tensor(x0))
    np.testing.assert_allclose(J, np.diag(1 - np.tanh(x0) ** 2), rtol=1e-12, atol=1e-15)
    value, jv = tg.jvp(lambda x: x.tanh(), Tensor(x0), v)
    np.testing.assert_allclose(jv, (1 - np.tanh(x0) ** 2) * v, rtol=1e-12)
    np.testing.assert_allclose(value.numpy(), np.tanh(x0), rtol=1e-12)


def test_vjp_of_a_matrix_product_is_u_transpose_a():
    A, x0, u = rng_array(0, 3, 4), rng_array(1, 4), rng_array(2, 3)
    value, g = tg.vjp(lambda x: Tensor(A) @ x, Tensor(x0), u)
    np.testing.assert_allclose(g, u @ A, rtol=1e-12)
    np.testing.assert_allclose(value.numpy(), A @ x0, rtol=1e-12)
    _, jv = tg.jvp(lambda x: Tensor(A) @ x, Tensor(x0), x0)
    np.testing.assert_allclose(jv, A @ x0, rtol=1e-12)


def test_vjp_without_v_is_the_gradient_of_a_scalar():
    x0 = rng_array(0, 3)
    _, g = tg.vjp(lambda x: (x**3).sum(), Tensor(x0))
    np.testing.assert_allclose(g, 3 * x0**2, rtol=1e-12)


def test_tuple_inputs_give_blocks_in_torch_layout():
    x0, y0 = rng_array(0, 2), rng_array(1, 3)
    H = tg.hessian(smooth, (Tensor(x0), Tensor(y0)))
    assert [[b.shape for b in row] for row in H] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    full = np.block([[H[0][0], H[0][1]], [H[1][0], H[1][1]]])
    np.testing.assert_allclose(full, full.T, atol=1e-12)
    np.testing.assert_allclose(full, hessian_by_differences(smooth, [x0, y0]), rtol=1e-6, atol=1e-7)
    v = (rng_array(2, 2), rng_array(3, 3))
    _, hv = tg.hvp(smooth, (Tensor(x0), Tensor(y0)), v)
    np.testing.assert_allclose(np.concatenate(hv), full @ np.concatenate(v), rtol=1e-10, atol=1e-12)


def test_tuple_outputs_jacobian_vjp_and_jvp():
    def two(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return x * y.sum(), (x**2).sum() + y

    x0, y0 = rng_array(0, 2), rng_array(1, 3)
    J = tg.jacobian(two, (Tensor(x0), Tensor(y0)))
    assert [[b.shape for b in row] for row in J] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(J[0][0], np.eye(2) * y0.sum())
    np.testing.assert_allclose(J[0][1], np.outer(x0, np.ones(3)))
    np.testing.assert_allclose(J[1][0], np.outer(np.ones(3), 2 * x0))
    np.testing.assert_allclose(J[1][1], np.eye(3))
    full = np.block([[J[0][0], J[0][1]], [J[1][0], J[1][1]]])
    u = (rng_array(2, 2), rng_array(3, 3))
    v = (rng_array(4, 2), rng_array(5, 3))
    values, g = tg.vjp(two, (Tensor(x0), Tensor(y0)), u)
    np.testing.assert_allclose(np.concatenate(g), np.concatenate(u) @ full, rtol=1e-12)
    assert isinstance(values, tuple) and len(values) == 2
    _, jv = tg.jvp(two, (Tensor(x0), Tensor(y0)), v)
    np.testing.assert_allclose(np.concatenate(jv), full @ np.concatenate(v), rtol=1e-12)


def test_inputs_are_not_modified_and_grad_is_untouched():
    x = Tensor(rng_array(0, 3), requires_grad=True)
    before = x.data.copy()
    tg.hvp(lambda t: (t**4).sum(), x, np.ones(3))
    tg.hessian(lambda t: (t**4).sum(), x)
    tg.jvp(lambda t: t.exp(), x, np.ones(3))
    assert x.grad is None
    np.testing.assert_array_equal(x.data, before)


def test_dtype_is_kept():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    _, hv = tg.hvp(lambda t: (t**3).sum(), x, np.ones(2))
    assert hv.dtype == np.float32
    np.testing.assert_allclose(hv, [6.0, 12.0])
    assert tg.hessian(lambda t: (t**3).sum(), x).dtype == np.float32


def test_independent_inputs_and_constant_gradients_give_zeros():
    x0, y0 = rng_array(0, 2), rng_array(1, 2)
    H = tg.hessian(lambda x, y: (3 * x).sum(), (Tensor(x0), Tensor(y0)))  # linear: zero Hessian
    assert all(np.array_equal(b, np.zeros((2, 2))) for row in H for b in row)
    _, hv = tg.hvp(lambda x, y: (x**2).sum(), (Tensor(x0), Tensor(y0)), (np.ones(2), np.ones(2)))
    np.testing.assert_allclose(hv[0], 2 * np.ones(2))
    np.testing.assert_array_equal(hv[1], np.zeros(2))
    _, jv = tg.jvp(lambda x: Tensor(np.ones(2)), Tensor(x0), np.ones(2))
    np.testing.assert_array_equal(jv, np.zeros(2))


def test_create_graph_gives_differentiable_results():
    """create_graph=True: the HVP is a Tensor with a graph, so third derivatives come out: f = sum x^4 has
    H v = 12 x^2 v, and d/dx sum(H v) = 24 x v."""
    x = Tensor(rng_array(0, 3), requires_grad=True)
    v = rng_array(1, 3)
    _, hv = tg.hvp(lambda t: (t**4).sum(), x, v, create_graph=True)
    assert isinstance(hv, Tensor) and hv.requires_grad
    np.testing.assert_allclose(hv.numpy(), 12 * x.data**2 * v, rtol=1e-12)
    H = tg.hessian(lambda t: (t**4).sum(), x, create_graph=True)
    assert isinstance(H, Tensor)
    np.testing.assert_allclose(H.numpy(), np.diag(12 * x.data**2), rtol=1e-12)
    J = tg.jacobian(lambda t: t**2, x, create_graph=True)
    assert isinstance(J, Tensor)
    np.testing.assert_allclose(J.numpy(), np.diag(2 * x.data), rtol=1e-12)


def test_gradcheck_jacobian_is_the_same_numbers_flattened():
    x0 = rng_array(0, 2, 3)
    x = Tensor(x0, requires_grad=True)
    (flat,) = tg.gradcheck.jacobian(lambda t: t.sum(axis=0) ** 2, [x])
    full = tg.jacobian(lambda t: t.sum(axis=0) ** 2, Tensor(x0))
    np.testing.assert_array_equal(flat, full.reshape(3, 6))


# --------------------------------------------------------------------------------------------------------
# finite differences over random shapes
# --------------------------------------------------------------------------------------------------------

small_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple)


@given(shape=small_shapes, seed=st.integers(0, 2**16))
def test_hvp_matches_differences_of_the_gradient(shape: tuple[int, ...], seed: int):
    x0, v = rng_array(seed, *shape) * 0.7, rng_array(seed + 1, *shape)

    def f(x: Tensor) -> Tensor:
        return (x.sigmoid() * x.tanh()).sum() + (x * x).mean() ** 2

    _, hv = tg.hvp(f, Tensor(x0), v)
    numeric = hessian_by_differences(f, [x0]) @ v.reshape(-1)
    np.testing.assert_allclose(hv.reshape(-1), numeric, rtol=1e-6, atol=1e-7)


@given(shape=small_shapes, out=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_jacobian_jvp_and_vjp_match_finite_differences(shape: tuple[int, ...], out: int, seed: int):
    x0 = rng_array(seed, *shape)
    W = rng_array(seed + 1, out, int(np.prod(shape)))

    def f(x: Tensor) -> Tensor:
        return (Tensor(W) @ x.reshape(-1).tanh()).exp()

    (numeric,) = numerical_jacobian(f, [Tensor(x0, requires_grad=True)])
    J = tg.jacobian(f, Tensor(x0))
    assert J.shape == (out, *shape)
    np.testing.assert_allclose(J.reshape(out, -1), numeric, rtol=1e-6, atol=1e-8)
    v, u = rng_array(seed + 2, *shape), rng_array(seed + 3, out)
    np.testing.assert_allclose(tg.jvp(f, Tensor(x0), v)[1], numeric @ v.reshape(-1), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tg.vjp(f, Tensor(x0), u)[1].reshape(-1), u @ numeric, rtol=1e-6, atol=1e-8)
    (g,) = numerical_grad(f, [Tensor(x0, requires_grad=True)], grad_output=u)
    np.testing.assert_allclose(tg.vjp(f, Tensor(x0), u)[1], g, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------------------------------------
# PyTorch parity
# --------------------------------------------------------------------------------------------------------


@needs_torch
def test_parity_with_torch_autograd_functional():
    X = rng_array(0, 25, 3)
    y = (rng_array(1, 25) > 0).astype(float)
    w0, v = rng_array(2, 3), rng_array(3, 3)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def ours(w: Tensor) -> Tensor:
        return logistic_loss(w, X, y) + (w**4).sum() * 0.1

    def theirs(w: Any) -> Any:
        return torch.nn.functional.binary_cross_entropy_with_logits(Xt @ w, yt) + (w**4).sum() * 0.1

    wt, vt = torch.tensor(w0), torch.tensor(v)
    np.testing.assert_allclose(tg.hessian(ours, Tensor(w0)), TF.hessian(theirs, wt).numpy(), rtol=1e-12)
    np.testing.assert_allclose(tg.hvp(ours, Tensor(w0), v)[1], TF.hvp(theirs, wt, vt)[1].numpy(), rtol=1e-12)

    def vector(w: Tensor) -> Tensor:
        return (Tensor(X) @ w).sigmoid()

    def vector_t(w: Any) -> Any:
        return torch.sigmoid(Xt @ w)

    u = rng_array(4, 25)
    np.testing.assert_allclose(tg.jacobian(vector, Tensor(w0)), TF.jacobian(vector_t, wt).numpy(), rtol=1e-12)
    np.testing.assert_allclose(tg.jvp(vector, Tensor(w0), v)[1], TF.jvp(vector_t, wt, vt)[1].numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        tg.vjp(vector, Tensor(w0), u)[1], TF.vjp(vector_t, wt, torch.tensor(u))[1].numpy(), rtol=1e-12
    )


@needs_torch
def test_parity_with_torch_for_tuple_inputs():
    x0, y0 = rng_array(0, 2), rng_array(1, 3)

    def theirs(x: Any, y: Any) -> Any:
        return (torch.tanh(x) * y[:2]).sum() + (x**2).sum() * torch.exp(y).sum()

    def ours(x: Tensor, y: Tensor) -> Tensor:
        return (x.tanh() * y[:2]).sum() + (x**2).sum() * y.exp().sum()

    H = tg.hessian(ours, (Tensor(x0), Tensor(y0)))
    Ht = TF.hessian(theirs, (torch.tensor(x0), torch.tensor(y0)))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], Ht[i][j].numpy(), rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------------


def test_bad_v_shapes_are_clear_errors():
    f = lambda x: (x**2).sum()  # noqa: E731
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"hvp: v has shape \(3,\) but the input has shape \(2, 3\)"):
        tg.hvp(f, x, np.ones(3))
    with pytest.raises(ValueError, match=r"jvp: v has shape \(6,\) but the input has shape \(2, 3\)"):
        tg.jvp(lambda t: t * 2, x, np.ones(6))
    with pytest.raises(ValueError, match=r"vjp: v has shape \(2,\) but the output has shape \(2, 3\)"):
        tg.vjp(lambda t: t * 2, x, np.ones(2))
    with pytest.raises(ValueError, match=r"there are 2 inputs, so v must be a tuple of 2 arrays"):
        tg.hvp(lambda a, b: (a * b).sum(), (x, x), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"hvp: v has 1 entries but there are 2 inputs"):
        tg.hvp(lambda a, b: (a * b).sum(), (x, x), (np.ones((2, 3)),))
    with pytest.raises(ValueError, match=r"shape \(2,\) for input 1 but the input has shape \(2, 3\)"):
        tg.hvp(lambda a, b: (a * b).sum(), (x, x), (np.ones((2, 3)), np.ones(2)))
    with pytest.raises(TypeError, match=r"v must hold numbers, got dtype <U1"):
        tg.hvp(f, x, np.full((2, 3), "a"))


def test_non_scalar_outputs_and_missing_vectors_are_clear_errors():
    x = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"hessian: func must return a single one-element Tensor .* shape \(3,\)"):
        tg.hessian(lambda t: t * 2, x)
    with pytest.raises(
        ValueError, match=r"hvp: func must return a single one-element Tensor \(a scalar loss\), got a tuple"
    ):
        tg.hvp(lambda t: (t.sum(), t.sum()), x, np.ones(3))
    with pytest.raises(ValueError, match=r"vjp: v is needed for outputs of shapes \[\(3,\)\]"):
        tg.vjp(lambda t: t * 2, x)
    with pytest.raises(ValueError, match=r"jvp: v is needed for inputs of shapes \[\(3,\)\]"):
        tg.jvp(lambda t: t * 2, x)


def test_bad_functions_and_inputs_are_clear_errors():
    with pytest.raises(TypeError, match=r"jacobian: func must return a Tensor .* the output is float"):
        tg.jacobian(lambda t: 1.0, Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=r"hessian: func must be a function of the inputs"):
        tg.hessian("not a function", Tensor(np.ones(2)))
    with pytest.raises(TypeError, match=r"hvp: input 0 has dtype int64; only floating-point inputs"):
        tg.hvp(lambda t: t.sum(), np.arange(3), np.ones(3))
    with pytest.raises(ValueError, match=r"jacobian: inputs is an empty sequence"):
        tg.jacobian(lambda: Tensor(1.0), ())


def test_hessian_operator_products_and_matrix_equal_the_hessian():
    X = rng_array(0, 30, 3)
    y = (rng_array(1, 30) > 0).astype(float)
    w = Tensor(rng_array(2, 3) * 0.5, requires_grad=True)
    op = tg.func.HessianOperator(logistic_loss(w, X, y), [w])
    H = logistic_hessian(w.data, X)
    v = rng_array(3, 3)
    np.testing.assert_allclose(op(v), H @ v, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(op.matrix(), H, rtol=1e-10, atol=1e-14)
    assert op.calls == 4 and op.n == 3  # one product per unit vector, after the one above
