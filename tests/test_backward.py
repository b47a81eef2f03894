"""The backward engine: seeding, accumulation (PyTorch semantics), non-leaf grads, shared nodes, deep graphs,
graph release and retain_graph, ownership and dtype of ``.grad``, and ``tg.grad``."""

import threading
import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.tensor import apply_op


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# --------------------------------------------------------------------------------------------------------
# seeding
# --------------------------------------------------------------------------------------------------------


def test_scalar_output_is_seeded_with_one():
    x = leaf(3.0)
    x.backward()
    assert x.grad == 1.0
    y = leaf([[2.0]])
    (y * 5).backward()  # one element, any ndim
    np.testing.assert_array_equal(y.grad, [[5.0]])


def test_backward_on_non_scalar_without_grad_explains_the_fix():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"non-scalar output of shape \(2,\).*pass grad.*\.sum\(\)"):
        y.backward()


def test_backward_with_explicit_grad_on_non_scalar():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(grad=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


def test_backward_accepts_a_tensor_or_list_as_grad():
    x = leaf([1.0, 2.0])
    (x * 3).backward(grad=Tensor(np.array([1.0, 2.0])))
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])
    z = leaf([1.0, 2.0])
    (z * 3).backward(grad=[1, 1])  # integer grads are cast to the output's dtype
    np.testing.assert_array_equal(z.grad, [3.0, 3.0])
    assert z.grad.dtype == np.float64


def test_wrong_shaped_grad_names_both_shapes():
    y = leaf(np.ones((2, 3))) * 2
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*shape \(2, 3\)"):
        y.backward(grad=np.ones((3, 2)))


def test_backward_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()
    x = leaf([1.0])
    with tg.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_from_a_leaf():
    x = leaf([1.0, 2.0])
    x.backward(grad=np.array([4.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [4.0, 5.0])


# --------------------------------------------------------------------------------------------------------
# accumulation and non-leaf grads
# --------------------------------------------------------------------------------------------------------


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    (3 * x).sum().backward()  # a fresh graph: PyTorch adds into .grad
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    x.grad = None  # what zero_grad(set_to_none=True) does
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_non_leaf_grads_are_none_by_default():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    y.backward()
    assert h.grad is None
    assert y.grad is None
    np.testing.assert_array_equal(x.grad, [18.0, 36.0])


def test_retain_grad_keeps_the_right_value_and_accumulates():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    y = (h * h).sum()
    y.retain_grad()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad, [6.0, 12.0])  # dy/dh = 2h
    assert y.grad == 1.0
    y.backward()
    np.testing.assert_array_equal(h.grad, [12.0, 24.0])
    assert y.grad == 2.0
    np.testing.assert_array_equal(x.grad, [36.0, 72.0])


def test_retain_grad_on_a_leaf_is_a_no_op():
    x = leaf([1.0])
    assert x.retain_grad() is x
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0])


# --------------------------------------------------------------------------------------------------------
# shared nodes
# --------------------------------------------------------------------------------------------------------


def test_diamond_through_addition():
    a = leaf([1.0, -2.0, 0.5])
    b = a + a
    c = (b * b).sum()  # c = 4 a^2 -> dc/da = 8a
    c.backward()
    np.testing.assert_allclose(a.grad, 8 * a.data)


def test_same_tensor_on_both_sides():
    x = leaf([3.0, -1.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, -2.0])


def test_alias_used_in_several_terms():
    x = leaf([2.0, 0.5])
    y = x  # an alias is the same node
    z = (y * y + y).sum()  # dz/dx = 2x + 1
    z.backward()
    np.testing.assert_array_equal(x.grad, [5.0, 2.0])


def test_intermediate_used_by_two_branches():
    x = leaf([0.3, -0.7])
    h = x.tanh()
    out = (h * 2 + h * h).sum()  # d/dx = (2 + 2h)(1 - h^2)
    out.backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad, (2 + 2 * t) * (1 - t * t))


def test_node_used_by_many_consumers():
    x = leaf(1.5)
    total = sum(x * k for k in range(1000))  # d/dx = sum(k) = 499500
    total.backward()
    assert x.grad == sum(range(1000))


def test_node_used_by_many_consumers_of_different_depths():
    x = leaf([1.0, 2.0])
    h = x * 2
    out = h
    for _ in range(50):
        out = out + h  # out = 51 h = 102 x
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [102.0, 102.0])


# --------------------------------------------------------------------------------------------------------
# deep graphs: iterative and linear
# --------------------------------------------------------------------------------------------------------


def _chain(n: int, factor: float = 1.00001):
    x = leaf([1.0])
    y = x
    for _ in range(n):
        y = y * factor
    return x, y.sum()


def _timed_backward(n: int) -> float:
    x, y = _chain(n)
    start = time.perf_counter()
    y.backward()
    elapsed = time.perf_counter() - start
    np.testing.assert_allclose(x.grad, [1.00001**n], rtol=1e-9)
    return elapsed


def test_long_chain_has_no_recursion_error_and_linear_time():
    small = min(_timed_backward(10_000) for _ in range(3))
    large = _timed_backward(100_000)  # ~e: (1 + 1e-5)^(1e5)
    # 10x the ops must cost about 10x the time; quadratic behaviour would cost ~100x
    assert large / small < 30, f"backward took {small:.4f}s for 10k ops but {large:.4f}s for 100k ops"


# --------------------------------------------------------------------------------------------------------
# graph release and retain_graph
# --------------------------------------------------------------------------------------------------------


def test_second_backward_through_released_graph_says_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    first = x.grad.copy()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad, first)  # the failed call did not accumulate anything


def test_released_graph_raises_also_for_an_op_that_saves_nothing():
    x = leaf([1.0, 2.0])
    y = (-x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_through_a_subgraph_released_by_another_output():
    x = leaf([1.0, 2.0])
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 2).sum().backward()


def test_retain_graph_allows_a_second_backward_that_doubles_the_grad():
    x = leaf([1.0, 2.0])
    y = (x * x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 24.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


# --------------------------------------------------------------------------------------------------------
# passes that stop early, threads, nesting (a pass keeps its consumer counts on the nodes)
# --------------------------------------------------------------------------------------------------------


class _FailsInBackward(tg.ops.Function):
    __slots__ = ()

    def forward(self, x):
        return x * 1.0

    def backward(self, grad):
        raise ValueError("this op's backward fails")


def test_a_pass_that_failed_in_an_op_leaves_the_shared_leaf_ready_for_the_next_pass():
    w = leaf([1.0, 2.0])
    broken = apply_op(_FailsInBackward(), w) + w * 3  # w has two consumers in this graph
    with pytest.raises(ValueError, match="this op's backward fails"):
        broken.sum().backward()
    (w * 5).sum().backward()  # a fresh graph through w: w's gradient must come out complete
    # the failed pass delivered w * 3's share, but w still waited for its other consumer: nothing accumulated
    np.testing.assert_array_equal(w.grad, [5.0, 5.0])


def test_a_pass_that_met_a_released_graph_leaves_no_counts_behind():
    x = leaf([1.0, 2.0])
    h = x * x
    h.sum().backward()  # releases h's node
    x.grad = None
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 2 + x).sum().backward()  # x was counted before the walk reached the released node
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_a_backward_started_inside_a_backward_runs_on_its_own_graph():
    # the pass keeps its bookkeeping to itself, so a rule may start another pass (under enable_grad: the
    # first-order pass runs with grad mode off, as PyTorch's does)
    class CallsBackward(Cube):
        def backward(self, grad):
            other = leaf([1.0])
            with tg.enable_grad():
                (other * 2).sum().backward()
            inner.append(other.grad.copy())
            return super().backward(grad)

    inner: list = []
    x = leaf([1.0, 2.0])
    apply_op(CallsBackward(), x).sum().backward()
    np.testing.assert_array_equal(inner[0], [2.0])
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])  # d/dx x^3 = 3x^2


def test_threads_backpropagating_into_one_shared_parameter_all_accumulate():
    n_threads, rounds = 4, 25
    w = leaf([1.0, -2.0, 3.0])
    barrier = threading.Barrier(n_threads)
    errors: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(5)
            for _ in range(rounds):
                h = w * w  # a node of its own, a leaf shared with every other thread
                (h + h * w).sum().backward()  # d/dw (w^2 + w^3) = 2w + 3w^2
        except Exception as err:  # pragma: no cover - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    expected = n_threads * rounds * (2 * w.data + 3 * w.data**2)
    np.testing.assert_allclose(w.grad, expected, rtol=1e-12)


# --------------------------------------------------------------------------------------------------------
# .grad: ownership, shape and dtype
# --------------------------------------------------------------------------------------------------------


def test_grad_is_an_owned_writable_array_of_the_tensors_shape():
    x = leaf(np.ones((2, 3)))
    x.sum().backward()  # sum's backward broadcasts: a read-only view that must not leak into .grad
    assert isinstance(x.grad, np.ndarray)
    assert x.grad.shape == (2, 3)
    assert x.grad.flags.writeable
    assert x.grad.flags.owndata
    x.grad *= 0.5  # what an optimiser or gradient clipping does
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 0.5))


def test_grad_of_a_broadcast_input_has_the_input_shape():
    b = leaf([1.0, 2.0, 3.0])
    m = leaf(np.ones((4, 3)))
    (m + b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])


def test_grad_never_aliases_the_users_grad_array():
    g = np.array([1.0, 2.0])
    x = leaf([0.0, 0.0])
    x.backward(grad=g)
    assert not np.shares_memory(x.grad, g)
    y = leaf([0.0, 0.0])
    (y + 0).backward(grad=g)  # add passes the upstream gradient through unchanged
    assert not np.shares_memory(y.grad, g)
    x.grad[0] = 100.0
    y.grad[0] = 100.0
    np.testing.assert_array_equal(g, [1.0, 2.0])
    g[1] = -1.0
    np.testing.assert_array_equal(x.grad, [100.0, 2.0])
    np.testing.assert_array_equal(y.grad, [100.0, 2.0])


def test_two_leaves_never_share_a_grad_array():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[0] = 7.0
    assert b.grad[0] == 1.0


def test_float32_grad_stays_float32_when_the_graph_mixes_float64():
    x = Tensor([1.0, 2.0], requires_grad=True)  # float32
    w = np.array([0.5, 0.25])  # float64
    y = x * w  # numpy promotion makes the result float64
    assert y.dtype == np.float64
    (y * Tensor(np.array([2.0, 2.0]))).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 0.5])


def test_float32_grad_from_float64_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(grad=np.array([1.0, 1.0], dtype=np.float64))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_integer_and_boolean_tensors_act_as_constants():
    x = leaf([1.0, -2.0, 3.0])
    ints = Tensor(np.array([1, 2, 3]))
    mask = x > 0
    y = (x * ints + x * mask).sum()  # d/dx = ints + mask
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 4.0])
    assert ints.grad is None
    assert mask.grad is None
    assert ints.requires_grad is False


def test_constant_tensor_in_the_graph_gets_no_grad():
    x = leaf([1.0, 2.0])
    c = Tensor(np.array([3.0, 4.0]))
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# --------------------------------------------------------------------------------------------------------
# tg.grad
# --------------------------------------------------------------------------------------------------------


def test_grad_function_returns_gradients_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    z = leaf([3.0, 4.0])
    y = (x * z).sum()
    gx, gz = tg.grad(y, [x, z])
    np.testing.assert_array_equal(gx, [3.0, 4.0])
    np.testing.assert_array_equal(gz, [1.0, 2.0])
    assert x.grad is None
    assert z.grad is None


def test_grad_function_with_single_input_returns_a_tuple():
    x = leaf([1.0, 2.0])
    result = tg.grad((x * x).sum(), x)
    assert isinstance(result, tuple)
    assert len(result) == 1
    np.testing.assert_array_equal(result[0], [2.0, 4.0])


def test_grad_function_gives_none_for_unreachable_inputs():
    x = leaf([1.0])
    unused = leaf([5.0])
    gx, gu = tg.grad((x * 2).sum(), [x, unused])
    np.testing.assert_array_equal(gx, [2.0])
    assert gu is None


def test_grad_function_for_non_leaf_inputs():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = tg.grad(y, h)
    np.testing.assert_array_equal(gh, 2 * h.data)
    assert h.grad is None
    assert x.grad is None


def test_grad_function_with_grad_outputs():
    x = leaf([1.0, 2.0])
    (gx,) = tg.grad(x * x, x, grad_outputs=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(gx, [2.0, -4.0])
    with pytest.raises(RuntimeError, match="pass grad"):
        tg.grad(x * x, x)


def test_grad_function_dtype_and_ownership():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (gx,) = tg.grad((x * np.array([1.0, 1.0])).sum(), x)
    assert gx.dtype == np.float32
    assert gx.flags.writeable
    assert gx.flags.owndata


def test_grad_function_releases_the_graph_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g1,) = tg.grad(y, x, retain_graph=True)
    (g2,) = tg.grad(y, x)
    np.testing.assert_array_equal(g1, g2)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_grad_function_rejects_inputs_that_do_not_require_grad():
    x = leaf([1.0])
    c = Tensor([1.0])
    with pytest.raises(ValueError, match="input 1 must be a Tensor that requires grad"):
        tg.grad((x * c).sum(), [x, c])


# --------------------------------------------------------------------------------------------------------
# user-defined primitives through apply_op (the extension point)
# --------------------------------------------------------------------------------------------------------


class Cube(tg.ops.Function):
    """y = x^3, dy/dx = 3x^2: a correct custom primitive."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return x**3

    def backward(self, grad):
        (x,) = self.saved
        return (grad * 3 * x**2,)


def test_custom_primitive_backpropagates():
    x = leaf([1.0, -2.0])
    y = apply_op(Cube(), x * 2)  # d/dx (2x)^3 = 24 x^2
    assert isinstance(y.grad_fn, Cube)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [24.0, 96.0])


def test_custom_primitive_returning_none_for_a_needed_input_raises():
    class NoGrad(Cube):
        __slots__ = ()

        def backward(self, grad):
            return (None,)

    x = leaf([1.0])
    with pytest.raises(RuntimeError, match=r"NoGrad\.backward returned None for an input that requires grad"):
        apply_op(NoGrad(), x).sum().backward()


def test_custom_primitive_returning_a_wrongly_shaped_gradient_raises_naming_shapes():
    class Unreduced(Cube):
        __slots__ = ()

        def backward(self, grad):
            return (np.ones((3, 2)),)

    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(3, 2\) for a tensor of shape \(2,\)"):
        apply_op(Unreduced(), x).sum().backward()
    assert x.grad is None


def test_custom_primitive_returning_too_many_gradients_fails_loudly():
    class TooMany(Cube):
        __slots__ = ()

        def backward(self, grad):
            return (grad, grad)

    x = leaf([1.0])
    with pytest.raises(RuntimeError, match=r"TooMany\.backward returned 2 gradient\(s\) for 1 input\(s\)"):
        apply_op(TooMany(), x).sum().backward()
    assert x.grad is None


def test_custom_primitive_returning_gradients_nobody_asked_for_is_fine():
    """An op may compute every input's gradient regardless of needs_input_grad; the extras are dropped
    (PyTorch does the same), instead of crashing on a constant input."""

    class MulBoth(tg.ops.Function):
        __slots__ = ()

        def forward(self, a, b):
            self.saved = (a, b)
            return a * b

        def backward(self, grad):
            a, b = self.saved
            return grad * b, grad * a

    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    apply_op(MulBoth(), w, c).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    assert c.grad is None


def test_requires_grad_assigned_a_numpy_bool_still_records_binary_and_unary_ops():
    """Assigning the attribute directly (as PyTorch allows on leaves) with a numpy bool works like True."""
    x = Tensor(np.array([1.0, 2.0]))
    x.requires_grad = np.True_
    y = ((x * 3.0) + x).tanh().sum()
    y.backward()
    np.testing.assert_allclose(x.grad, 4.0 * (1 - np.tanh(4.0 * x.data) ** 2), rtol=1e-6)
