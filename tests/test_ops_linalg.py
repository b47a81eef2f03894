"""Issue 18, linear algebra: einsum (a primitive), outer, tensordot, inner, dot and trace (composites).

einsum's rule: the gradient of operand k is the einsum of the upstream gradient and the other operands into
operand k's subscripts; a repeated letter (a diagonal) gets an identity matrix, a letter summed within one
operand a vector of ones, a broadcast operand the sum over its copies. Checked against gradients written out by
hand per subscript, central differences over random shapes (Hypothesis), second derivatives (einsum is
multilinear: bilinear Hessian blocks, zero within an operand), PyTorch's einsum on the usual subscripts, and
the error messages.
"""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.testing import arrays, assert_grad_close, assert_gradgrad_close

try:
    import torch
except ImportError:  # pragma: no cover - CI has no torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")
RNG = np.random.default_rng(2018)


def _leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _n(*shape):
    return RNG.standard_normal(shape)


# (subscripts, operand arrays, hand-derived gradients: G, *operands -> one gradient per operand)
EINSUM = [
    ("ij,jk->ik", [_n(2, 3), _n(3, 4)], lambda G, A, B: [G @ B.T, A.T @ G]),  # matmul
    ("bij,bjk->bik", [_n(2, 2, 3), _n(2, 3, 4)], lambda G, A, B: [G @ B.transpose(0, 2, 1), A.transpose(0, 2, 1) @ G]),
    ("i,j->ij", [_n(3), _n(4)], lambda G, a, b: [G @ b, a @ G]),  # outer
    ("ii->", [_n(3, 3)], lambda G, A: [G * np.eye(3)]),  # trace: the identity
    ("ii->i", [_n(3, 3)], lambda G, A: [np.diag(G)]),  # diagonal: G on the diagonal
    ("ij->ji", [_n(2, 3)], lambda G, A: [G.T]),  # transpose
    ("ij->j", [_n(2, 3)], lambda G, A: [np.broadcast_to(G, (2, 3))]),  # sum over an axis: G copied along it
    ("ij->", [_n(2, 3)], lambda G, A: [np.full((2, 3), G)]),
    ("i,ij,j->", [_n(2), _n(2, 3), _n(3)], lambda G, x, A, y: [G * A @ y, G * np.outer(x, y), G * x @ A]),  # bilinear
    ("ij,ij->i", [_n(2, 3), _n(2, 3)], lambda G, A, B: [G[:, None] * B, G[:, None] * A]),  # row-wise dot
    ("ij,jk", [_n(2, 3), _n(3, 2)], lambda G, A, B: [G @ B.T, A.T @ G]),  # implicit output 'ik'
    (
        "...ij,...j->...i",
        [_n(2, 3, 4), _n(4)],  # broadcasting: b is shared by the batch, its gradient summed
        lambda G, A, b: [G[..., None] * b, np.einsum("bi,bij->j", G, A)],
    ),
    ("ij,kj->ik", [_n(2, 3), _n(1, 3)], lambda G, A, B: [G @ B, (G.T @ A).sum(0, keepdims=True)]),  # size-1 axis
]


@pytest.mark.parametrize("case", EINSUM, ids=[c[0] for c in EINSUM])
@pytest.mark.parametrize("optimize", [False, True])
def test_einsum_forward_and_hand_derived_gradients(case, optimize):
    subscripts, operands, grads = case
    leaves = [_leaf(a) for a in operands]
    out = tg.einsum(subscripts, *leaves, optimize=optimize)
    np.testing.assert_allclose(out.data, np.einsum(subscripts, *operands), rtol=1e-12, atol=1e-14)
    G = RNG.standard_normal(out.shape)
    (out * Tensor(G)).sum().backward()
    for leaf, expected in zip(leaves, grads(G, *operands), strict=True):
        assert leaf.grad.shape == leaf.shape
        np.testing.assert_allclose(leaf.grad, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", EINSUM, ids=[c[0] for c in EINSUM])
def test_einsum_second_derivatives(case):
    subscripts, operands, _ = case
    assert_gradgrad_close(lambda *xs: tg.einsum(subscripts, *xs), *[_leaf(a) for a in operands])


def test_einsum_of_one_operand_twice_and_a_constant():
    a = _leaf(_n(2, 3))
    W = _n(3, 3)
    tg.einsum("ij,jk,ik->", a, W, a).backward()  # sum_ik a_ij W_jk a_ik = tr(a W a^T)
    np.testing.assert_allclose(a.grad, a.data @ W + a.data @ W.T, rtol=1e-12)


def test_einsum_float32_stays_float32():
    a = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    out = tg.einsum("ii->", a)
    out.backward()
    assert out.dtype == np.float32 and a.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad, np.eye(2))


_SUBSCRIPTS = st.sampled_from(
    [
        ("ij,jk->ik", [(2, 3), (3, 2)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("i,j->ij", [(3,), (2,)]),
        ("ii->", [(3, 3)]),
        ("iij->j", [(2, 2, 3)]),
        ("ijk->kj", [(2, 3, 2)]),
        ("i,ij,j->", [(2,), (2, 3), (3,)]),
        ("...i,i->...", [(2, 1, 3), (3,)]),
        ("...ij,...jk->...ik", [(1, 2, 3), (2, 3, 2)]),
        ("ij,j->i", [(2, 3), (1,)]),
    ]
)


@given(_SUBSCRIPTS, st.data())
def test_einsum_matches_finite_differences(spec, data):
    subscripts, shapes_ = spec
    leaves = [Tensor(data.draw(arrays(s)), requires_grad=True) for s in shapes_]
    assert_grad_close(lambda *xs: tg.einsum(subscripts, *xs), *leaves)


# --------------------------------------------------------------------------------------------------------
# outer, tensordot, inner, dot, trace
# --------------------------------------------------------------------------------------------------------


def test_outer_hand_derived():
    a, b = _leaf(_n(3)), _leaf(_n(2, 2))
    out = tg.outer(a, b)
    np.testing.assert_allclose(out.data, np.outer(a.data, b.data))
    G = _n(3, 4)
    (out * Tensor(G)).sum().backward()
    np.testing.assert_allclose(a.grad, G @ b.data.ravel(), rtol=1e-12)  # d/da_i sum G_ij a_i b_j
    np.testing.assert_allclose(b.grad, (a.data @ G).reshape(2, 2), rtol=1e-12)


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "axes"),
    [((2, 3, 4), (3, 4, 2), 2), ((2, 3), (3, 2), 1), ((3, 2), (2, 3), 0), ((2, 3, 4), (4, 2, 3), ([1, 2], [2, 0]))],
)
def test_tensordot_matches_numpy_and_finite_differences(shape_a, shape_b, axes):
    a, b = _leaf(_n(*shape_a)), _leaf(_n(*shape_b))
    np.testing.assert_allclose(tg.tensordot(a, b, axes).data, np.tensordot(a.data, b.data, axes), rtol=1e-12)
    assert_grad_close(lambda x, y: tg.tensordot(x, y, axes), a, b)
    assert_gradgrad_close(lambda x, y: tg.tensordot(x, y, axes), a, b)


def test_tensordot_hand_derived_is_the_matrix_product():
    A, B = _leaf(_n(2, 3)), _leaf(_n(3, 4))
    out = tg.tensordot(A, B, 1)
    G = _n(2, 4)
    (out * Tensor(G)).sum().backward()
    np.testing.assert_allclose(A.grad, G @ B.data.T, rtol=1e-12)
    np.testing.assert_allclose(B.grad, A.data.T @ G, rtol=1e-12)


def test_inner_dot_trace_hand_derived():
    a, b = _leaf(_n(4)), _leaf(_n(4))
    tg.inner(a, b).backward()
    np.testing.assert_allclose(a.grad, b.data)  # d/da sum a_i b_i = b
    a.grad = b.grad = None
    tg.dot(a, b).backward()
    np.testing.assert_allclose(b.grad, a.data)
    M = _leaf(_n(3, 4))
    t = M.trace(offset=1)
    assert t.item() == pytest.approx(np.trace(M.data, offset=1))
    t.backward()
    np.testing.assert_array_equal(M.grad, np.eye(3, 4, k=1))  # d tr / dM = the identity (shifted)
    x = _leaf(_n(2, 3, 3))
    tg.trace(x, 0, 1, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.broadcast_to(np.eye(3), (2, 3, 3)))


@pytest.mark.parametrize(
    ("shape_a", "shape_b"), [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)), ((2, 3, 4), (4, 2)), ((), (2,))]
)
def test_dot_and_inner_match_numpy(shape_a, shape_b):
    a, b = _n(*shape_a), _n(*shape_b)
    np.testing.assert_allclose(tg.dot(a, b).data, np.dot(a, b), rtol=1e-12)
    assert_grad_close(lambda x, y: tg.dot(x, y), _leaf(a), _leaf(b))
    if shape_a[-1:] == shape_b[-1:] or not shape_a:
        np.testing.assert_allclose(tg.inner(a, b).data, np.inner(a, b), rtol=1e-12)


# --------------------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------------------

ERRORS = [
    (lambda: tg.einsum("ij,jk->ik", _n(2, 3)), ValueError, "name 2 operand(s) but 1 were given"),
    (lambda: tg.einsum("ij->i", _n(2, 3, 4)), ValueError, "term 'ij' of 'ij->i' names 2 axes, but operand 0 has 3"),
    (lambda: tg.einsum("ij,jk->ik", _n(2, 3), _n(4, 2)), ValueError, "letter 'j' has size 3 in one operand and 4"),
    (lambda: tg.einsum("i1->i", _n(2, 3)), ValueError, "use letters a-z, A-Z and at most one '...'"),
    (lambda: tg.einsum("...i->i", _n(2, 3)), ValueError, "has '...' in its operands but not in its output"),
    (lambda: tg.einsum("ij->k", _n(2, 3)), ValueError, "must name each letter once, and only letters of the operands"),
    (lambda: tg.einsum(3, _n(2)), TypeError, "subscripts must be a string"),
    (lambda: tg.tensordot(_n(2, 3), _n(2, 3), 1), ValueError, "axis 1 of shape (2, 3) (3) does not match axis 0"),
    (lambda: tg.tensordot(_n(2), _n(2), 3), ValueError, "axes=3 is more than the dimensions"),
    (lambda: tg.tensordot(_n(2), _n(2), ([0], [0, 0])), ValueError, "must have the same length"),
    (lambda: Tensor(_n(3)).trace(), ValueError, "diagonal needs a tensor with at least 2 dimensions"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[2][:40] for c in ERRORS])
def test_errors_name_the_problem(case):
    fn, kind, message = case
    with pytest.raises(kind, match=re.escape(message)):
        fn()


# --------------------------------------------------------------------------------------------------------
# PyTorch parity on the usual subscripts
# --------------------------------------------------------------------------------------------------------

TORCH_EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),  # matmul
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),  # batched matmul
    ("i,j->ij", [(3,), (4,)]),  # outer
    ("ii->", [(3, 3)]),  # trace
    ("ij->ji", [(2, 3)]),  # transpose
    ("ij->i", [(2, 3)]),  # sum over an axis
    ("i,ij,j->", [(2,), (2, 3), (3,)]),  # bilinear form
    ("ii->i", [(3, 3)]),  # diagonal
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),  # broadcast batch
]


@needs_torch
@pytest.mark.parametrize("case", TORCH_EINSUM, ids=[c[0] for c in TORCH_EINSUM])
def test_einsum_matches_pytorch(case):
    subscripts, shapes_ = case
    arrays_ = [_n(*s) for s in shapes_]
    ours = [_leaf(a) for a in arrays_]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays_]
    out_a, out_b = tg.einsum(subscripts, *ours), torch.einsum(subscripts, *theirs)
    np.testing.assert_allclose(out_a.data, out_b.detach().numpy(), rtol=1e-12, atol=1e-14)
    G = RNG.standard_normal(out_a.shape)
    (out_a * Tensor(G)).sum().backward()
    (out_b * torch.tensor(G)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
def test_outer_tensordot_trace_match_pytorch():
    a, b = _n(3), _n(4)
    np.testing.assert_allclose(tg.outer(a, b).data, torch.outer(torch.tensor(a), torch.tensor(b)).numpy())
    A, B = _n(2, 3, 4), _n(3, 4, 2)
    np.testing.assert_allclose(
        tg.tensordot(A, B, 2).data, torch.tensordot(torch.tensor(A), torch.tensor(B), 2).numpy(), rtol=1e-12
    )
    M = _leaf(_n(3, 3))
    m = torch.tensor(M.data, requires_grad=True)
    M.trace().backward()
    torch.trace(m).backward()
    np.testing.assert_array_equal(M.grad, m.grad.numpy())
