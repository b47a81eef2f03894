"""The fast paths of issue 23 compute exactly what the general paths compute.

Each fast path (``tensor._operate`` and ``tensor._unary`` for operators and unary methods, ``apply_op``'s
three-tensor case, ``BinaryCrossEntropyWithLogits.sigmoid_minus_target``'s in-place arithmetic, the optimisers'
update) is checked against the general code it stands in for: the same values, dtypes and gradients, bit for
bit, the same errors, and ``create_graph=True`` still differentiating through it.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.tensor import _binary, apply_op

BINARY = {
    "add": (ops.Add, lambda a, b: a + b),
    "sub": (ops.Sub, lambda a, b: a - b),
    "mul": (ops.Mul, lambda a, b: a * b),
    "div": (ops.Div, lambda a, b: a / b),
    "pow": (ops.Pow, lambda a, b: a**b),
    "maximum": (ops.Maximum, lambda a, b: a.maximum(b)),
    "minimum": (ops.Minimum, lambda a, b: a.minimum(b)),
}

# right operands of every kind the operators accept: the fast path takes Tensors, floats and ints, the general
# path the rest (bools, numpy scalars, arrays, lists)
RIGHT = {
    "tensor needing grad": lambda rng: tg.Tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True),
    "constant tensor": lambda rng: tg.Tensor(rng.uniform(0.5, 2.0, (3, 4))),
    "broadcast tensor": lambda rng: tg.Tensor(rng.uniform(0.5, 2.0, (4,)), requires_grad=True),
    "float": lambda rng: 1.5,
    "int": lambda rng: 2,
    "bool": lambda rng: True,
    "numpy float32 scalar": lambda rng: np.float32(1.25),
    "array": lambda rng: rng.uniform(0.5, 2.0, (3, 4)),
    "list": lambda rng: [1.0, 2.0, 0.5, 1.5],
}


def _fresh(value):
    """A copy of an operand, so that the two paths build independent graphs."""
    if isinstance(value, tg.Tensor):
        return tg.Tensor(value.data, requires_grad=value.requires_grad)
    return value


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("kind", RIGHT)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_operators_match_the_general_path_bit_for_bit(name, kind, dtype):
    op_class, operator = BINARY[name]
    rng = np.random.default_rng(0)
    left = rng.uniform(0.5, 2.0, (3, 4)).astype(dtype)
    right = RIGHT[kind](rng)
    if isinstance(right, tg.Tensor):
        right = tg.Tensor(right.data.astype(dtype), requires_grad=right.requires_grad)

    fast_x, general_x = tg.Tensor(left, requires_grad=True), tg.Tensor(left, requires_grad=True)
    fast_y, general_y = _fresh(right), _fresh(right)
    fast = operator(fast_x, fast_y)
    general = _binary(op_class(), general_x, general_y)

    assert fast.dtype == general.dtype and fast.shape == general.shape
    np.testing.assert_array_equal(fast.data, general.data)
    assert type(fast._op) is op_class and fast._op.needs_input_grad == general._op.needs_input_grad
    fast.sum().backward()
    general.sum().backward()
    np.testing.assert_array_equal(fast_x.grad, general_x.grad)
    if isinstance(fast_y, tg.Tensor) and fast_y.requires_grad:
        np.testing.assert_array_equal(fast_y.grad, general_y.grad)


def test_an_operator_on_shapes_that_do_not_broadcast_names_them_as_before():
    x, y = tg.Tensor(np.ones((2, 3)), requires_grad=True), tg.Tensor(np.ones((4,)))
    with pytest.raises(ValueError) as fast:
        x * y
    with pytest.raises(ValueError) as general:
        _binary(ops.Mul(), x, y)
    assert str(fast.value) == str(general.value)
    assert "shapes (2, 3) and (4,) cannot be broadcast together" in str(fast.value)


def test_an_operator_with_an_unsupported_operand_still_says_what_it_takes():
    with pytest.raises(TypeError, match="unsupported operand type str for a Tensor operation"):
        tg.Tensor([1.0]) * "2"


def test_an_operator_under_no_grad_records_nothing():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = x * 3.0 + x
    assert not y.requires_grad and y._op is None


UNARY = ["exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "__neg__"]
UNARY_OPS = {"exp": ops.Exp, "log": ops.Log, "sqrt": ops.Sqrt, "abs": ops.Abs, "relu": ops.Relu}
UNARY_OPS.update({"sigmoid": ops.Sigmoid, "tanh": ops.Tanh, "__neg__": ops.Neg})


@pytest.mark.parametrize("method", UNARY)
def test_unary_methods_match_apply_op_bit_for_bit(method):
    data = np.random.default_rng(1).uniform(0.1, 3.0, (5, 2)).astype(np.float32)
    fast_x, general_x = tg.Tensor(data, requires_grad=True), tg.Tensor(data, requires_grad=True)
    fast = getattr(fast_x, method)()
    general = apply_op(UNARY_OPS[method](), general_x)
    np.testing.assert_array_equal(fast.data, general.data)
    assert fast.dtype == general.dtype
    fast.sum().backward()
    general.sum().backward()
    np.testing.assert_array_equal(fast_x.grad, general_x.grad)


def test_create_graph_differentiates_through_operators_and_unary_methods():
    """d/dx of x^3 tanh(x) + x / 2, twice, through the fast paths; against the hand-derived second derivative."""
    x0 = np.array([-1.5, -0.2, 0.4, 1.1])
    x = tg.Tensor(x0, requires_grad=True)
    y = (x * x * x * x.tanh() + x / 2).sum()
    (g,) = tg.grad(y, x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    t = np.tanh(x0)
    dt, d2t = 1 - t**2, -2 * t * (1 - t**2)
    np.testing.assert_allclose(g.data, 3 * x0**2 * t + x0**3 * dt + 0.5, rtol=1e-12)
    np.testing.assert_allclose(h, 6 * x0 * t + 6 * x0**2 * dt + x0**3 * d2t, rtol=1e-12)


def test_linear_with_bias_through_apply_op_matches_the_composite_for_batched_inputs():
    rng = np.random.default_rng(2)
    layer = tg.nn.Linear(4, 3, dtype=np.float64)
    x = tg.Tensor(rng.standard_normal((2, 5, 4)), requires_grad=True)
    layer(x).sum().backward()
    w, b = tg.Tensor(layer.weight.data, requires_grad=True), tg.Tensor(layer.bias.data, requires_grad=True)
    x2 = tg.Tensor(x.data, requires_grad=True)
    (x2 @ w.T + b).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, w.grad, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, b.grad, rtol=1e-12)
    np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-12)


def test_module_call_passes_several_arguments_and_keywords_to_forward():
    class Affine(tg.nn.Module):
        def forward(self, x, scale=1.0, *, shift=0.0):
            return x * scale + shift

    m = Affine()
    x = tg.Tensor([1.0, 2.0])
    np.testing.assert_array_equal(m(x).data, [1.0, 2.0])
    np.testing.assert_array_equal(m(x, 2.0).data, [2.0, 4.0])
    np.testing.assert_array_equal(m(x, scale=3.0, shift=1.0).data, [4.0, 7.0])


# ---- binary cross-entropy with logits: the gradient computed in place -------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_gradient_in_place_equals_the_formula_and_leaves_its_inputs_alone(dtype):
    rng = np.random.default_rng(3)
    z0 = (rng.standard_normal((64, 1)) * 5).astype(dtype)
    y0 = rng.integers(0, 2, (64, 1)).astype(dtype)
    y_before = y0.copy()
    z = tg.Tensor(z0, requires_grad=True)
    loss = tg.nn.functional.binary_cross_entropy_with_logits(z, y0)
    op = loss._op
    e_before = op.saved[1].copy()
    loss.backward(retain_graph=True)
    first = z.grad.copy()

    # the formula, out of place, with the same numpy operations in the same order
    g = np.ones((), dtype) / z0.size
    expected = g * (ops.Sigmoid.function(z0, np.exp(-np.abs(z0))) - y0)
    np.testing.assert_array_equal(first, expected.astype(dtype))
    np.testing.assert_array_equal(y0, y_before)  # the targets were not written
    np.testing.assert_array_equal(op.saved[1], e_before)  # nor the forward's saved exponentials
    z.grad = None
    loss.backward()  # the retained graph gives the same gradient again
    np.testing.assert_array_equal(z.grad, first)


def test_bce_with_logits_gradient_of_broadcast_targets_takes_the_formula():
    z = tg.Tensor(np.array([[0.5], [-2.0]]), requires_grad=True)
    y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])  # (2, 3): z broadcasts, the gradient is summed back
    apply_op(ops.BinaryCrossEntropyWithLogits("sum"), z, y).backward()
    s = 1 / (1 + np.exp(-z.data))
    np.testing.assert_allclose(z.grad, (s - y).sum(axis=1, keepdims=True), rtol=1e-12)


def test_bce_with_logits_second_derivative_still_passes_gradgradcheck():
    rng = np.random.default_rng(4)
    z = tg.Tensor(rng.standard_normal(6), requires_grad=True)
    y = tg.Tensor(rng.uniform(0, 1, 6), requires_grad=True)
    fn = lambda z, y: tg.nn.functional.binary_cross_entropy_with_logits(z, y)  # noqa: E731
    assert tg.gradcheck.gradgradcheck(fn, [z, y])


# ---- the optimisers' update --------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", [tg.optim.SGD, tg.optim.GD])
def test_an_update_with_one_temporary_never_writes_grad(optimizer):
    rng = np.random.default_rng(5)
    w = tg.Tensor(rng.standard_normal((7, 3)), requires_grad=True)
    w.grad = rng.standard_normal((7, 3))
    grad_before, expected = w.grad.copy(), w.data - 0.1 * w.grad
    optimizer([w], lr=0.1).step()
    np.testing.assert_array_equal(w.data, expected)
    np.testing.assert_array_equal(w.grad, grad_before)
