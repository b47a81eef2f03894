"""``.grad`` is always an array the tensor owns, even though the engine avoids copying gradients.

The backward engine hands a new gradient array to a leaf's ``.grad`` without copying it when nobody else can
hold that array: the op that made it declares ``grads_are_new`` (its backward allocates every gradient it
returns) or the engine made it itself (a sum of several consumers' gradients, a dtype cast), and it already has
the tensor's memory layout. Everything else (the upstream gradient passed through by ``add``, views made by
``reshape``, gradients of user-defined ops, the seed given to ``backward(grad=...)``) is copied. These tests
pin the guarantee: ``.grad`` is writable, of the tensor's shape, dtype and layout, and writing into it changes
nothing else.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, ops
from tinygrad_edu.tensor import apply_op


def leaf(values, **kwargs):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, **kwargs)


def assert_owned(t: Tensor) -> None:
    assert type(t.grad) is np.ndarray and t.grad.flags.writeable
    assert t.grad.shape == t.shape and t.grad.dtype == t.dtype and t.grad.strides == t.data.strides


class Returning(ops.Function):
    """y = 2x, whose backward returns ``self.out`` (2 * grad, computed in advance): an array the op keeps."""

    __slots__ = ("out",)

    def forward(self, x):
        return 2 * x

    def backward(self, grad):
        self.out = 2 * grad
        return (self.out,)


class ReturningNew(Returning):
    __slots__ = ()
    grads_are_new = True  # a promise: backward returns arrays nobody else holds


def test_a_gradient_an_op_keeps_is_copied_into_grad():
    x = leaf([1.0, 2.0])
    op = Returning()
    apply_op(op, x).backward(grad=np.ones(2))
    assert x.grad is not op.out
    x.grad *= 10  # e.g. clip_grad_norm scaling in place
    np.testing.assert_array_equal(op.out, [2.0, 2.0])


def test_a_new_gradient_becomes_grad_without_a_copy():
    x = leaf([1.0, 2.0])
    op = ReturningNew()
    apply_op(op, x).backward(grad=np.ones(2))
    assert x.grad is op.out
    assert_owned(x)


def test_add_passes_one_array_to_both_inputs_and_each_grad_gets_its_own():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.array([1.0, -1.0])
    (a + b).backward(grad=seed)
    assert not np.shares_memory(a.grad, b.grad) and not np.shares_memory(a.grad, seed)
    a.grad += 100
    np.testing.assert_array_equal(b.grad, [1.0, -1.0])
    np.testing.assert_array_equal(seed, [1.0, -1.0])


def test_the_seed_of_a_leaf_is_copied():
    x = leaf([1.0, 2.0])
    seed = np.array([5.0, 6.0])
    x.backward(grad=seed)
    x.grad *= 0
    np.testing.assert_array_equal(seed, [5.0, 6.0])


def test_reshape_views_are_copied_into_their_own_grad():
    x = leaf(np.arange(6.0))
    y = x.reshape(2, 3)
    (y * 2).reshape(-1).sum().backward()
    assert_owned(x)


def test_linear_layer_grads_are_owned_row_major_and_independent():
    tg.manual_seed(0)
    layer = tg.nn.Linear(3, 2)
    x = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    layer(x).sum().backward()
    for t in (layer.weight, layer.bias, x):
        assert_owned(t)
        assert t.grad.flags.c_contiguous
    before = layer.bias.grad.copy(), x.grad.copy()
    layer.weight.grad *= 0
    np.testing.assert_array_equal(layer.bias.grad, before[0])
    np.testing.assert_array_equal(x.grad, before[1])


def test_a_fortran_ordered_leaf_keeps_its_layout():
    w = Tensor(np.asfortranarray(np.ones((3, 4))), requires_grad=True)
    assert w.data.flags.f_contiguous and not w.data.flags.c_contiguous
    (Tensor(np.ones((2, 3))) @ w).sum().backward()
    assert_owned(w)
    assert w.grad.flags.f_contiguous


def test_retained_intermediate_and_leaf_grads_do_not_alias():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    (y + 0).sum().backward()
    assert_owned(y)
    y.grad += 100
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_a_node_used_twice_gets_the_sum_and_accumulation_adds():
    x = leaf([1.0, 2.0])
    (x * x + x.exp()).sum().backward()  # three consumers
    np.testing.assert_allclose(x.grad, 2 * x.data + np.exp(x.data))
    first = x.grad
    (x * 2).sum().backward()  # a second backward accumulates into a new array, the old one is untouched
    np.testing.assert_allclose(x.grad, 2 * x.data + np.exp(x.data) + 2)
    np.testing.assert_allclose(first, 2 * x.data + np.exp(x.data))
    assert_owned(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_dim_tensors_get_array_grads(dtype):
    """numpy returns scalars, not arrays, for 0-d products: those are copied into a 0-d array."""
    x = Tensor(np.array(2.0, dtype=dtype), requires_grad=True)
    (x * x).backward()
    assert_owned(x)
    assert x.grad.ndim == 0 and x.grad == 4.0


def test_a_gradient_cast_to_the_leafs_dtype_is_owned():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x.astype(np.float64) * Tensor(np.array([3.0, 4.0]))
    y.sum().backward()
    assert_owned(x)
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
