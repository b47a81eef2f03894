"""Layers: Linear (shapes, init, dtype, gradients x^T g and sum of g), Sequential, activations, Flatten, MLP."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import (
    MLP,
    Flatten,
    Identity,
    Linear,
    LogSoftmax,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from tinygrad_edu.testing import arrays, assert_grad_close

RNG = np.random.default_rng(7)


# ---- Linear ----------------------------------------------------------------------------------------------


def test_linear_shapes_follow_pytorch_layout():
    layer = Linear(3, 5)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    assert layer(Tensor.ones(4, 3)).shape == (4, 5)
    assert layer(Tensor.ones(3)).shape == (5,)
    assert layer(Tensor.ones(2, 4, 3)).shape == (2, 4, 5)
    assert layer.num_parameters() == 3 * 5 + 5


def test_linear_without_bias_has_only_a_weight():
    layer = Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    x = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T.astype(np.float64), rtol=1e-6)


def test_linear_forward_is_x_wt_plus_b():
    layer = Linear(3, 2, dtype=np.float64)
    x = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-12)


def test_linear_dtype_follows_the_default_dtype():
    assert Linear(2, 2).weight.dtype == np.float32
    tg.set_default_dtype(np.float64)
    try:
        layer = Linear(2, 2)
        assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)
    assert Linear(2, 2, dtype=np.float64).weight.dtype == np.float64


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    tg.manual_seed(0)
    layer = Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = layer.weight.data
    assert np.abs(w).max() <= bound and np.abs(layer.bias.data).max() <= bound
    # U(-k, k): extremes close to the bounds, mean 0, variance k^2 / 3
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.var() == pytest.approx(bound**2 / 3, rel=0.02)


def test_linear_init_is_reproducible_with_manual_seed():
    tg.manual_seed(42)
    a = Linear(4, 3)
    tg.manual_seed(42)
    b = Linear(4, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, Linear(4, 3).weight.data)


def test_reset_parameters_draws_new_values_in_place():
    layer = Linear(4, 3)
    weight, before = layer.weight, layer.weight.data.copy()
    layer.reset_parameters()
    assert layer.weight is weight and not np.array_equal(before, weight.data)


def test_linear_gradients_are_x_transpose_g_and_g_summed_over_the_batch():
    layer = Linear(3, 2, dtype=np.float64)
    x_np, g = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    x = Tensor(x_np, requires_grad=True)
    layer(x).backward(g)
    # dL/dW^T = x^T g  (weight stored as (out, in), so dL/dW = g^T x)
    np.testing.assert_allclose(layer.weight.grad.T, x_np.T @ g, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(x.grad, g @ layer.weight.data, rtol=1e-12)


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.data())
def test_linear_matches_finite_differences(n, fan_in, fan_out, data):
    layer = Linear(fan_in, fan_out, dtype=np.float64)
    x = Tensor(data.draw(arrays((n, fan_in))), requires_grad=True)

    def f(inp, w, b):
        layer.weight, layer.bias = w, b
        return layer(inp)

    assert_grad_close(f, x, layer.weight, layer.bias)


def test_linear_rejects_inputs_with_the_wrong_number_of_features():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Linear(in_features=3, out_features=2) needs inputs whose last axis has 3 features, got shape (4, 2)"
        ),
    ):
        Linear(3, 2)(Tensor.ones(4, 2))
    with pytest.raises(ValueError, match=re.escape("a batch of N scalars is x.reshape(-1, 1)")):
        Linear(1, 1)(Tensor.ones(4))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match=re.escape(f"Linear: in_features must be a positive integer, got {bad!r}")):
        Linear(bad, 2)


def test_linear_repr():
    assert repr(Linear(3, 1, bias=False)) == "Linear(in_features=3, out_features=1, bias=False)"


# ---- Sequential ------------------------------------------------------------------------------------------


def test_sequential_applies_modules_in_order():
    a, b = Linear(2, 3, dtype=np.float64), Linear(3, 1, dtype=np.float64)
    model = Sequential(a, Tanh(), b)
    x = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(model(x).data, b(a(x).tanh()).data, rtol=1e-12)


def test_sequential_is_indexable_iterable_and_sized():
    layers = [Linear(2, 3), ReLU(), Linear(3, 1)]
    model = Sequential(*layers)
    assert len(model) == 3
    assert list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, Sequential) and list(head) == layers[:2]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of 3 modules"):
        model[3]


def test_sequential_append_and_empty_sequential_is_identity():
    model = Sequential()
    x = Tensor([1.0, 2.0])
    assert model(x) is x
    model.append(Linear(2, 1))
    assert len(model) == 1 and model(x).shape == (1,)


def test_sequential_rejects_non_modules_with_a_hint():
    with pytest.raises(
        TypeError,
        match=re.escape("Sequential takes Modules, got list at position 0; unpack a list with Sequential(*layers)"),
    ):
        Sequential([Linear(2, 2)])
    with pytest.raises(
        TypeError, match=re.escape("got function '<lambda>' at position 1; use a layer Module instead of a function")
    ):
        Sequential(ReLU(), lambda x: x)


# ---- activation modules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "ref"),
    [
        (ReLU(), lambda x: np.maximum(x, 0)),
        (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (Tanh(), np.tanh),
        (Identity(), lambda x: x),
        (Softmax(), lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
        (Softmax(axis=0), lambda x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)),
        (LogSoftmax(), lambda x: x - np.log(np.exp(x).sum(axis=-1, keepdims=True))),
    ],
)
def test_activation_modules_match_numpy(module, ref):
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(module(x).data, ref(x), rtol=1e-12)
    assert module.num_parameters() == 0


def test_activation_reprs():
    assert repr(ReLU()) == "ReLU()"
    assert repr(Softmax(axis=0)) == "Softmax(axis=0)"


def test_flatten_merges_all_but_the_batch_axis_by_default():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert Flatten()(x).shape == (2, 12)
    assert Flatten(0, 1)(x).shape == (6, 4)
    assert Flatten(start_axis=-2)(x).shape == (2, 12)
    assert Flatten()(Tensor.zeros(0, 3, 4)).shape == (0, 12)
    np.testing.assert_array_equal(Flatten()(x).data, x.data.reshape(2, 12))


def test_flatten_rejects_axes_that_do_not_fit():
    with pytest.raises(
        ValueError, match=re.escape("Flatten(start_axis=3, end_axis=-1) does not fit an input of shape (2, 3)")
    ):
        Flatten(3)(Tensor.zeros(2, 3))


# ---- MLP -------------------------------------------------------------------------------------------------


def test_mlp_structure_names_and_size():
    mlp = MLP([2, 8, 8, 3])
    kinds = [type(m).__name__ for m in mlp.layers]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [n for n, _ in mlp.named_parameters()][:3] == ["layers.0.weight", "layers.0.bias", "layers.2.weight"]
    assert mlp.layers[4].weight.name == "layers.4.weight"
    assert mlp.num_parameters() == (2 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3)
    assert mlp(Tensor.ones(5, 2)).shape == (5, 3)


@pytest.mark.parametrize(("activation", "kind"), [("tanh", "Tanh"), ("sigmoid", "Sigmoid"), (Tanh, "Tanh")])
def test_mlp_activation_choices(activation, kind):
    assert type(MLP([2, 4, 1], activation=activation).layers[1]).__name__ == kind


def test_mlp_without_activation_and_with_output_activation():
    assert [type(m).__name__ for m in MLP([2, 4, 1], activation=None).layers] == ["Linear", "Linear"]
    kinds = [type(m).__name__ for m in MLP([2, 1], output_activation="sigmoid").layers]
    assert kinds == ["Linear", "Sigmoid"]


def test_mlp_activations_are_distinct_module_instances():
    mlp = MLP([2, 4, 4, 1])
    assert mlp.layers[1] is not mlp.layers[3]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sizes": [3]}, ValueError, "MLP needs at least two sizes [in_features, out_features], got [3]"),
        ({"sizes": [3, 0]}, ValueError, "MLP: every size must be a positive integer, got 0"),
        (
            {"sizes": [3, 2], "activation": "prelu"},
            ValueError,
            "MLP: unknown activation 'prelu'; choose one of ['elu', 'gelu', 'hardtanh', 'identity', 'leaky_relu', "
            "'mish', 'relu', 'relu6', 'selu', 'sigmoid', 'silu', 'softplus', 'tanh']",
        ),
        ({"sizes": [3, 2, 1], "activation": lambda: 3}, TypeError, "returned int, not a Module"),
        ({"sizes": [3, 2], "activation": 3}, TypeError, "activation must be a name, a Module class or None, got 3"),
    ],
)
def test_mlp_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        MLP(**kwargs)


def test_models_are_plain_python_modules():
    class SoftmaxRegression(Module):
        def __init__(self, d, k):
            super().__init__()
            self.linear = Linear(d, k)

        def forward(self, x):
            return self.linear(x)

    model = SoftmaxRegression(4, 3)
    assert [n for n, _ in model.named_parameters()] == ["linear.weight", "linear.bias"]
    assert model(Tensor.ones(2, 4)).shape == (2, 3)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "hardtanh", "relu6", "mish"])
def test_mlp_takes_issue_18s_activations_by_name(name):
    tg.manual_seed(0)
    mlp = MLP([3, 4, 2], activation=name)
    hidden = mlp.layers[1]
    x = Tensor(np.linspace(-2.0, 2.0, 12).reshape(4, 3))
    h = mlp.layers[0](x)
    np.testing.assert_allclose(hidden(h).numpy(), getattr(h, name)().numpy())  # the module is the Tensor method
    assert type(hidden).__name__.lower().replace("_", "") == name.replace("_", "")
