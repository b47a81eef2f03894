"""Issue 18, shape and indexing: squeeze, expand_dims, flip, roll, tile, repeat, tril/triu, split/chunk, pad,
diagonal/diag, flatten, take_along_axis/gather, index_add, masked_fill, sort/argsort/topk and one_hot.

All are composites of existing primitives (reshape, getitem, expand, concatenate, where, scatter-add): linear
maps of their input, so the gradient of ``sum(G * f(x))`` is the adjoint :math:`J^\\top G`. Each op is checked
against numpy's forward, against its adjoint written out by hand (flip's is flip, roll's is roll by -shift,
tile's sums over the tiles, ...), against :math:`J^\\top G` with :math:`J` built column by column from numpy's
own forward, against central differences over random shapes (Hypothesis), against PyTorch where torch is
installed, and for zero second derivative; bad arguments raise errors that name them.
"""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.testing import arrays, assert_grad_close, assert_gradgrad_close, assert_hessian_close, shapes

try:
    import torch
except ImportError:  # pragma: no cover - CI has no torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (it is never a dependency)")
RNG = np.random.default_rng(1818)
F = tg.nn.functional


def _leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _numpy_jacobian(np_fn, shape):
    """The matrix of a linear numpy function, one basis vector at a time."""
    n = int(np.prod(shape))
    cols = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        cols.append(np.asarray(np_fn(e.reshape(shape)), dtype=np.float64).reshape(-1))
    return np.stack(cols, axis=1)


def _add_at(shape, index, G):
    z = np.zeros(shape)
    np.add.at(z, index, G)
    return z


_TAKE = np.array([[0, 2], [1, 1], [3, 0]])
_SORT_X = RNG.permutation(12).reshape(3, 4) * 0.25 - 1.0  # distinct values: no ties

# (name, ours, numpy forward, hand-written adjoint G -> x-bar or None, input shape)
LINEAR = [
    ("squeeze", lambda t: t.squeeze(), lambda a: a.squeeze(), lambda G: G.reshape(3, 1, 4), (3, 1, 4)),
    ("squeeze_axis", lambda t: t.squeeze(axis=1), lambda a: a.squeeze(axis=1), lambda G: G[:, None], (3, 1, 4)),
    (
        "expand_dims",
        lambda t: t.expand_dims((0, 3)),
        lambda a: np.expand_dims(a, (0, 3)),
        lambda G: G[0, ..., 0],
        (3, 4),
    ),
    ("unsqueeze", lambda t: t.unsqueeze(-1), lambda a: a[..., None], lambda G: G[..., 0], (3, 4)),
    ("flatten", lambda t: t.flatten(), lambda a: a.ravel(), lambda G: G.reshape(2, 3, 2), (2, 3, 2)),
    (
        "flatten_1_2",
        lambda t: t.flatten(1, 2),
        lambda a: a.reshape(2, 6, 1),
        lambda G: G.reshape(2, 3, 2, 1),
        (2, 3, 2, 1),
    ),
    ("flip_axis", lambda t: t.flip(1), lambda a: np.flip(a, 1), lambda G: np.flip(G, 1), (3, 4)),
    ("flip_all", lambda t: t.flip(), lambda a: np.flip(a), lambda G: np.flip(G), (2, 3, 2)),
    ("roll_axis", lambda t: t.roll(3, axis=1), lambda a: np.roll(a, 3, 1), lambda G: np.roll(G, -3, 1), (3, 4)),
    ("roll_flat", lambda t: t.roll(-5), lambda a: np.roll(a, -5), lambda G: np.roll(G, 5), (3, 4)),
    (
        "roll_two_axes",
        lambda t: t.roll((1, 2), (0, 1)),
        lambda a: np.roll(a, (1, 2), (0, 1)),
        lambda G: np.roll(G, (-1, -2), (0, 1)),
        (3, 4),
    ),
    (
        "tile",
        lambda t: t.tile((2, 1, 3)),
        lambda a: np.tile(a, (2, 1, 3)),
        lambda G: G.reshape(2, 3, 3, 4).sum(axis=(0, 2)),
        (3, 4),
    ),
    ("tile_int", lambda t: t.tile(2), lambda a: np.tile(a, 2), lambda G: G.reshape(3, 2, 4).sum(axis=1), (3, 4)),
    (
        "repeat_axis",
        lambda t: t.repeat(2, axis=1),
        lambda a: np.repeat(a, 2, axis=1),
        lambda G: G.reshape(3, 4, 2).sum(axis=2),
        (3, 4),
    ),
    ("repeat_flat", lambda t: t.repeat(3), lambda a: np.repeat(a, 3), lambda G: G.reshape(3, 4, 3).sum(axis=2), (3, 4)),
    (
        "repeat_counts",
        lambda t: t.repeat([1, 0, 2, 1], axis=1),
        lambda a: np.repeat(a, [1, 0, 2, 1], axis=1),
        lambda G: np.stack([G[:, 0], 0 * G[:, 0], G[:, 1] + G[:, 2], G[:, 3]], axis=1),
        (3, 4),
    ),
    ("tril", lambda t: t.tril(), lambda a: np.tril(a), lambda G: np.tril(G), (3, 4)),
    ("tril_k", lambda t: t.tril(-1), lambda a: np.tril(a, -1), lambda G: np.tril(G, -1), (2, 3, 3)),
    ("triu_k", lambda t: t.triu(1), lambda a: np.triu(a, 1), lambda G: np.triu(G, 1), (3, 4)),
    (
        "pad_constant",
        lambda t: t.pad(((1, 0), (2, 1))),
        lambda a: np.pad(a, ((1, 0), (2, 1))),
        lambda G: G[1:, 2:-1],
        (3, 4),
    ),
    ("pad_reflect", lambda t: t.pad(2, mode="reflect"), lambda a: np.pad(a, 2, mode="reflect"), None, (3, 4)),
    (
        "pad_edge",
        lambda t: t.pad(((0, 0), (1, 3)), mode="edge"),
        lambda a: np.pad(a, ((0, 0), (1, 3)), mode="edge"),
        lambda G: np.stack([G[:, :2].sum(1), G[:, 2], G[:, 3], G[:, 4:].sum(1)], axis=1),
        (3, 4),
    ),
    (
        "pad_symmetric",
        lambda t: t.pad(((0, 2), (1, 0)), mode="symmetric"),
        lambda a: np.pad(a, ((0, 2), (1, 0)), mode="symmetric"),
        None,
        (3, 4),
    ),
    (
        "pad_wrap",
        lambda t: t.pad(((1, 1), (0, 2)), mode="wrap"),
        lambda a: np.pad(a, ((1, 1), (0, 2)), mode="wrap"),
        None,
        (3, 4),
    ),
    (
        "diagonal",
        lambda t: t.diagonal(),
        lambda a: np.diagonal(a),
        lambda G: _add_at((3, 4), (np.arange(3), np.arange(3)), G),
        (3, 4),
    ),
    ("diagonal_offset_axes", lambda t: t.diagonal(1, 2, 0), lambda a: np.diagonal(a, 1, 2, 0), None, (3, 2, 4)),
    ("diag_of_vector", lambda t: t.diag(1), lambda a: np.diag(a, 1), lambda G: np.diagonal(G, 1), (3,)),
    (
        "diag_of_matrix",
        lambda t: tg.diag(t, -1),
        lambda a: np.diag(a, -1),
        lambda G: _add_at((3, 4), (np.arange(1, 3), np.arange(2)), G),
        (3, 4),
    ),
    (
        "take_along_axis",
        lambda t: t.take_along_axis(_TAKE, 1),
        lambda a: np.take_along_axis(a, _TAKE, 1),
        lambda G: _add_at((3, 4), (np.arange(3)[:, None], _TAKE), G),
        (3, 4),
    ),
    ("gather", lambda t: t.gather(0, _TAKE.T), lambda a: np.take_along_axis(a, _TAKE.T, 0), None, (4, 3)),
    (
        "masked_fill",
        lambda t: t.masked_fill(_SORT_X > 0, 2.0),
        lambda a: np.where(_SORT_X > 0, 0.0, a),
        lambda G: np.where(_SORT_X > 0, 0.0, G),
        (3, 4),
    ),
    (
        "index_add_self",
        lambda t: t.index_add(1, np.array([0, 3, 0]), Tensor(np.ones((3, 3)))),
        lambda a: a,
        lambda G: G,
        (3, 4),
    ),
]


@pytest.mark.parametrize("case", LINEAR, ids=[c[0] for c in LINEAR])
def test_linear_shape_op_forward_and_adjoint(case):
    name, ours, np_fn, adjoint, shape = case
    x = RNG.standard_normal(shape)
    t = _leaf(x)
    out = ours(t)
    if name == "masked_fill":
        np.testing.assert_array_equal(out.data, np.where(_SORT_X > 0, 2.0, x))
    elif name == "index_add_self":
        np.testing.assert_array_equal(out.data, x + np.array([2.0, 0, 0, 1]))
    else:
        np.testing.assert_array_equal(out.data, np_fn(x))
    G = RNG.standard_normal(out.shape)
    (out * Tensor(G)).sum().backward()
    assert t.grad.shape == x.shape and t.grad.dtype == x.dtype
    J = _numpy_jacobian(np_fn, shape)  # the adjoint J^T G, from numpy's own forward
    np.testing.assert_allclose(t.grad.reshape(-1), J.T @ G.reshape(-1), rtol=1e-12, atol=1e-12)
    if adjoint is not None:  # and written out by hand
        np.testing.assert_allclose(t.grad, adjoint(G), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", LINEAR[::3], ids=[c[0] for c in LINEAR[::3]])
def test_linear_shape_op_has_zero_second_derivative(case):
    _, ours, np_fn, _, shape = case
    x = _leaf(RNG.standard_normal(shape))
    W = RNG.standard_normal(np.shape(np_fn(np.zeros(shape))))
    n = x.size
    H = assert_hessian_close(lambda t: (ours(t) * Tensor(W)).sum(), x, expected=np.zeros((n, n)))
    np.testing.assert_array_equal(H, 0.0)
    J = _numpy_jacobian(np_fn, shape)
    assert_hessian_close(lambda t: (ours(t) ** 2).sum(), x, expected=2 * J.T @ J)


def test_float32_stays_float32_through_shape_ops():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = x.flip(0).roll(1, 1).tile(2).repeat(2, 0).pad(1, mode="reflect").tril().sum()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


# --------------------------------------------------------------------------------------------------------
# Hypothesis: central differences over shapes
# --------------------------------------------------------------------------------------------------------


@given(st.data())
def test_movement_ops_match_finite_differences(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shift = data.draw(st.integers(-4, 4))
    reps = data.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3))
    assert_grad_close(lambda t: t.flip(axis), x)
    assert_grad_close(lambda t: t.roll(shift, axis=axis), x)
    assert_grad_close(lambda t: t.roll(shift), x)
    assert_grad_close(lambda t: t.tile(reps), x)
    count = data.draw(st.integers(1, 2))
    assert_grad_close(lambda t: t.repeat(count, axis=axis), x)
    assert_grad_close(lambda t: t.expand_dims(axis).squeeze(axis), x)
    if len(shape) >= 2:
        k = data.draw(st.integers(-2, 2))
        assert_grad_close(lambda t: t.tril(k) + t.triu(k), x)
        assert_grad_close(lambda t: t.diagonal(k, 0, -1), x)


@given(st.data())
def test_pad_matches_finite_differences(data):
    shape = data.draw(shapes(min_dims=1, max_dims=2, min_side=2, max_side=3))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    mode = data.draw(st.sampled_from(["constant", "reflect", "symmetric", "edge", "wrap"]))
    width = data.draw(
        st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=len(shape), max_size=len(shape))
    )
    out = x.pad(width, mode=mode)
    np.testing.assert_array_equal(out.data, np.pad(x.data, width, mode=mode))
    assert_grad_close(lambda t: t.pad(width, mode=mode), x)


@given(st.data())
def test_split_chunk_match_finite_differences(data):
    shape = data.draw(shapes(min_dims=1, max_dims=2, max_side=4))
    x = Tensor(data.draw(arrays(shape)), requires_grad=True)
    n = shape[0]
    cut = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    parts = x.split(cut)
    for part, ref in zip(parts, np.split(x.data, cut), strict=True):
        np.testing.assert_array_equal(part.data, ref)
    chunks = data.draw(st.integers(1, 5))
    weights = [RNG.standard_normal(p.shape) for p in x.chunk(chunks)]
    assert_grad_close(lambda t: sum((p * Tensor(w)).sum() for p, w in zip(t.chunk(chunks), weights, strict=True)), x)


@given(arrays(shapes(min_dims=1, max_dims=3, max_side=4), domain="grid", unique=True), st.data())
def test_sort_topk_gather_match_finite_differences(values, data):
    x = Tensor(values, requires_grad=True)
    axis = data.draw(st.integers(-values.ndim, values.ndim - 1))
    descending = data.draw(st.booleans())
    np.testing.assert_array_equal(x.sort(axis).data, np.sort(values, axis))
    assert_grad_close(lambda t: t.sort(axis, descending=descending), x)
    k = data.draw(st.integers(0, values.shape[axis]))
    assert_grad_close(lambda t: t.topk(k, axis=axis)[0], x)
    idx = data.draw(arrays(values.shape, dtype=np.int64, elements=st.integers(0, values.shape[axis] - 1)))
    assert_grad_close(lambda t: t.take_along_axis(idx, axis), x)


def test_second_derivatives_through_composites():
    x = _leaf(RNG.standard_normal((3, 4)))
    assert_gradgrad_close(lambda t: (t.sort(1) * t.flip(0)).pad(1, mode="reflect").tile(2), x)
    assert_gradgrad_close(lambda t: t.topk(2)[0] ** 3, x)
    assert_gradgrad_close(lambda t, s: t.index_add(0, np.array([2, 2]), s) ** 2, x, _leaf(RNG.standard_normal((2, 4))))


# --------------------------------------------------------------------------------------------------------
# sort, argsort, topk: the permutation, ties, no graph for indices
# --------------------------------------------------------------------------------------------------------


def test_sort_gradient_goes_back_to_the_original_positions():
    x = _leaf([3.0, 1.0, 2.0])
    s = x.sort()
    np.testing.assert_array_equal(s.data, [1.0, 2.0, 3.0])
    (s * Tensor([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [30.0, 10.0, 20.0])
    d = _leaf([3.0, 1.0, 2.0])
    (d.sort(descending=True) * Tensor([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(d.grad, [10.0, 30.0, 20.0])


def test_ties_keep_their_order_and_each_gets_its_places_gradient():
    x = _leaf([2.0, 1.0, 2.0, 1.0])
    np.testing.assert_array_equal(x.argsort().data, [1, 3, 0, 2])  # stable: the first of equals first
    np.testing.assert_array_equal(x.argsort(descending=True).data, [0, 2, 1, 3])
    (x.sort() * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 1.0, 4.0, 2.0])


def test_argsort_and_topk_indices_have_no_graph():
    x = _leaf(_SORT_X)
    order = x.argsort(axis=0)
    assert not order.requires_grad and order.dtype.kind == "i"
    values, indices = x.topk(2, axis=1)
    assert values.requires_grad and not indices.requires_grad
    np.testing.assert_array_equal(indices.data, np.argsort(-_SORT_X, axis=1)[:, :2])
    np.testing.assert_array_equal(x.topk(1, largest=False)[0].data[:, 0], _SORT_X.min(axis=1))


def test_masked_fill_index_add_hand_derived():
    x, s = _leaf(np.zeros((2, 3))), _leaf([[1.0, 2.0], [3.0, 4.0]])
    out = x.index_add(1, np.array([2, 2]), s)
    np.testing.assert_array_equal(out.data, [[0, 0, 3.0], [0, 0, 7.0]])  # repeated indices add up
    G = np.arange(6.0).reshape(2, 3)
    (out * Tensor(G)).sum().backward()
    np.testing.assert_array_equal(x.grad, G)
    np.testing.assert_array_equal(s.grad, G[:, [2, 2]])  # the upstream gradient at the indices


def test_one_hot():
    out = F.one_hot(np.array([[2, 0], [1, 2]]))
    assert out.shape == (2, 2, 3) and out.dtype == np.float32 and not out.requires_grad
    np.testing.assert_array_equal(out.data.argmax(-1), [[2, 0], [1, 2]])
    np.testing.assert_array_equal(F.one_hot(Tensor(np.array([0, 1])), num_classes=4).data, np.eye(4)[:2])


def test_split_chunk_semantics():
    x = Tensor(np.arange(10.0))
    assert [p.shape[0] for p in x.chunk(4)] == [3, 3, 3, 1]  # PyTorch's: ceil(10 / 4) each
    assert [p.shape[0] for p in x.chunk(6)] == [2, 2, 2, 2, 2]  # fewer parts than asked, as PyTorch
    assert [p.shape[0] for p in x.split(5)] == [2] * 5
    assert [p.tolist() for p in tg.split(x, [3, 8])] == [[0, 1, 2], [3, 4, 5, 6, 7], [8, 9]]


def test_module_functions_match_methods():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    for fn, method in [
        (tg.flip(x, 0), x.flip(0)),
        (tg.roll(x, 1, 1), x.roll(1, 1)),
        (tg.tril(x), x.tril()),
        (tg.triu(x, 1), x.triu(1)),
        (tg.pad(x, 1), x.pad(1)),
        (tg.diagonal(x, 1), x.diagonal(1)),
        (tg.take_along_axis(x, _TAKE, 1), x.take_along_axis(_TAKE, 1)),
    ]:
        np.testing.assert_array_equal(fn.data, method.data)


# --------------------------------------------------------------------------------------------------------
# errors that name the problem
# --------------------------------------------------------------------------------------------------------

ERRORS = [
    (lambda x: x.squeeze(axis=0), ValueError, "squeeze: axis 0 of a tensor of shape (2, 3) has length 2, not 1"),
    (lambda x: x.expand_dims(4), ValueError, "axis 4 is out of range"),
    (lambda x: x.tile((1, -1)), ValueError, "tile: reps must be non-negative ints"),
    (lambda x: x.repeat([1, 2], axis=1), ValueError, "repeat: repeats must be an int or 3 non-negative ints"),
    (lambda x: x.repeat(-1), ValueError, "repeat: repeats must be non-negative, got -1"),
    (lambda x: x.roll(1.5), TypeError, "roll: with axis=None the shift must be one int"),
    (lambda x: x.roll((1, 2, 3), (0, 1)), ValueError, "roll: 3 shifts for 2 axes"),
    (lambda x: x.sum().tril(), ValueError, "tril needs a tensor with at least 2 dimensions, got shape ()"),
    (lambda x: x.split(2, axis=1), ValueError, "split: 2 section(s) do not divide axis 1 of length 3 equally"),
    (lambda x: x.chunk(0), ValueError, "chunk: chunks must be a positive int, got 0"),
    (lambda x: x.pad(((1, 1),) * 3), ValueError, "pad: pad_width ((1, 1), (1, 1), (1, 1)) does not fit"),
    (lambda x: x.pad(-1), ValueError, "pad: pad_width must be non-negative ints"),
    (lambda x: x.pad(1, mode="mean"), ValueError, "pad: mode must be one of"),
    (lambda x: x.diagonal(0, 1, -1), ValueError, "diagonal: axis1 and axis2 must differ"),
    (lambda x: x.reshape(1, 2, 3).diag(), ValueError, "diag needs a 1-D or 2-D tensor, got shape (1, 2, 3)"),
    (lambda x: x.flatten(1, 0), ValueError, "flatten: start_axis 1 comes after end_axis 0"),
    (lambda x: x.take_along_axis(np.array([0, 1]), 0), ValueError, "must have as many dimensions as the tensor"),
    (lambda x: x.take_along_axis(np.array([[0.5]]), 0), TypeError, "take_along_axis: indices must be integers"),
    (lambda x: x.take_along_axis(np.array([[5]]), 1), IndexError, "out of range for axis 1 of length 3"),
    (
        lambda x: x.index_add(0, np.array([0]), np.ones((2, 3))),
        ValueError,
        "source of shape (2, 3) must have shape (1, 3)",
    ),
    (lambda x: x.index_add(1, np.array([3]), np.ones((2, 1))), IndexError, "out of range for axis 1 of length 3"),
    (lambda x: x.masked_fill(np.ones(2), 0.0), TypeError, "masked_fill: mask must be boolean"),
    (
        lambda x: x.masked_fill(np.ones((3, 3), dtype=bool), 0.0),
        ValueError,
        "a mask of shape (3, 3) does not broadcast",
    ),
    (lambda x: x.topk(4), ValueError, "topk: k must be an int from 0 to 3"),
    (lambda x: x.sort(axis=2), ValueError, "argsort: axis 2 is out of range"),
    (lambda x: F.one_hot(np.array([0.5])), TypeError, "one_hot: labels must be integers, got dtype float64"),
    (lambda x: F.one_hot(np.array([0, 3]), num_classes=3), ValueError, "one_hot: labels must lie in [0, 3)"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[2][:40] for c in ERRORS])
def test_errors_name_the_problem(case):
    fn, kind, message = case
    with pytest.raises(kind, match=re.escape(message)):
        fn(Tensor(np.ones((2, 3))))


# --------------------------------------------------------------------------------------------------------
# PyTorch parity
# --------------------------------------------------------------------------------------------------------

_X = RNG.standard_normal((3, 4))

PARITY = [
    ("squeeze", lambda t: t.squeeze(1), lambda t: t.squeeze(1), RNG.standard_normal((3, 1, 2))),
    ("unsqueeze", lambda t: t.unsqueeze(1), lambda t: t.unsqueeze(1), _X),
    ("flatten", lambda t: t.flatten(1, 2), lambda t: t.flatten(1, 2), RNG.standard_normal((2, 3, 2, 2))),
    ("flip", lambda t: t.flip((0, 1)), lambda t: t.flip((0, 1)), _X),
    ("roll", lambda t: t.roll(2, 1), lambda t: t.roll(2, 1), _X),
    ("tile", lambda t: t.tile((2, 3)), lambda t: t.repeat(2, 3), _X),
    ("repeat", lambda t: t.repeat(2, axis=0), lambda t: t.repeat_interleave(2, dim=0), _X),
    ("tril", lambda t: t.tril(-1), lambda t: t.tril(-1), _X),
    ("triu", lambda t: t.triu(1), lambda t: t.triu(1), _X),
    (
        "pad_reflect",
        lambda t: t.pad(((0, 0), (2, 1)), mode="reflect"),
        lambda t: torch.nn.functional.pad(t[None], (2, 1), mode="reflect")[0],
        _X,
    ),
    (
        "pad_edge",
        lambda t: t.pad(((0, 0), (1, 2)), mode="edge"),
        lambda t: torch.nn.functional.pad(t[None], (1, 2), mode="replicate")[0],
        _X,
    ),
    (
        "pad_constant",
        lambda t: t.pad(((1, 0), (0, 2)), constant_values=3.0),
        lambda t: torch.nn.functional.pad(t, (0, 2, 1, 0), value=3.0),
        _X,
    ),
    ("diagonal", lambda t: t.diagonal(1), lambda t: t.diagonal(1), _X),
    ("diag", lambda t: t.diag(-1), lambda t: t.diag(-1), RNG.standard_normal(3)),
    ("gather", lambda t: t.gather(1, _TAKE), lambda t: t.gather(1, torch.tensor(_TAKE)), _X),
    ("masked_fill", lambda t: t.masked_fill(_X > 0, 1.0), lambda t: t.masked_fill(torch.tensor(_X > 0), 1.0), _X),
    (
        "index_add",
        lambda t: t.index_add(0, np.array([0, 0]), Tensor(np.ones((2, 4)))),
        lambda t: t.index_add(0, torch.tensor([0, 0]), torch.ones(2, 4, dtype=torch.float64)),
        _X,
    ),
    ("sort", lambda t: t.sort(0, descending=True), lambda t: t.sort(0, descending=True)[0], _X),
    ("topk", lambda t: t.topk(2, axis=0)[0], lambda t: t.topk(2, dim=0)[0], _X),
    ("topk_smallest", lambda t: t.topk(3, largest=False)[0], lambda t: t.topk(3, largest=False)[0], _X),
]


@needs_torch
@pytest.mark.parametrize("case", PARITY, ids=[c[0] for c in PARITY])
def test_shape_ops_match_pytorch(case):
    _, ours, theirs, x = case
    a, b = _leaf(x), torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a), theirs(b)
    np.testing.assert_allclose(out_a.data, out_b.detach().numpy(), rtol=1e-12)
    G = RNG.standard_normal(out_a.shape)
    (out_a * Tensor(G)).sum().backward()
    (out_b * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)


@needs_torch
def test_split_chunk_one_hot_match_pytorch():
    x = np.arange(10.0)
    for ours, theirs in [
        (Tensor(x).chunk(4), torch.tensor(x).chunk(4)),
        (Tensor(x).split([2, 7]), torch.tensor(x).tensor_split([2, 7])),  # numpy's split is torch's tensor_split
        (Tensor(x).split(5), torch.tensor(x).tensor_split(5)),
    ]:
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs]
    labels = np.array([[1, 0], [3, 2]])
    np.testing.assert_array_equal(F.one_hot(labels).data, torch.nn.functional.one_hot(torch.tensor(labels)).numpy())
