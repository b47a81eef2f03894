"""Module: parameter discovery, dotted names, zero_grad, train/eval, repr, state_dict round trip and errors."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import Linear, Module, ReLU, Sequential


class Scale(Module):
    def __init__(self, n=2):
        super().__init__()
        self.w = Tensor.ones(n, requires_grad=True)
        self.fixed = Tensor.ones(n)  # a constant: not a parameter

    def forward(self, x):
        return x * self.w


class Net(Module):
    """Nested modules, a list of modules, a dict of modules and a tuple of tensors."""

    def __init__(self):
        super().__init__()
        self.encoder = Sequential(Linear(3, 4), ReLU())
        self.blocks = [Linear(4, 4), Linear(4, 4, bias=False)]
        self.heads = {"a": Linear(4, 1), "b": Scale(1)}
        self.extra = (Tensor.zeros(2, requires_grad=True), 7)
        self.sizes = [3, 4]  # plain data is ignored

    def forward(self, x):
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return self.heads["a"](h) + self.heads["b"](h).sum()


EXPECTED_NAMES = [
    "extra.0",
    "encoder.0.weight",
    "encoder.0.bias",
    "blocks.0.weight",
    "blocks.0.bias",
    "blocks.1.weight",
    "heads.a.weight",
    "heads.a.bias",
    "heads.b.w",
]


def test_parameters_are_discovered_in_nested_modules_lists_dicts_and_tuples():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == EXPECTED_NAMES
    assert [p.shape for p in net.parameters()] == [(2,), (4, 3), (4,), (4, 4), (4,), (4, 4), (1, 4), (1,), (1,)]
    assert net.num_parameters() == 2 + 12 + 4 + 16 + 4 + 16 + 4 + 1 + 1


def test_nested_lists_are_searched_at_any_depth():
    class Grid(Module):
        def __init__(self):
            super().__init__()
            self.grid = [[Linear(1, 1)], [Linear(1, 1, bias=False)]]

    assert [n for n, _ in Grid().named_parameters()] == ["grid.0.0.weight", "grid.0.0.bias", "grid.1.0.weight"]


def test_each_parameter_is_named_with_its_dotted_path():
    net = Net()
    assert net.blocks[1].weight.name == "blocks.1.weight"  # set on assignment, before any discovery
    assert [p.name for p in net.parameters()] == EXPECTED_NAMES


def test_a_module_added_after_construction_gets_its_full_name_on_discovery():
    net = Net()
    net.encoder.append(Linear(4, 4))  # named "2.weight" relative to the encoder at first
    names = [name for name, _ in net.named_parameters()]
    assert "encoder.2.weight" in names
    assert net.encoder[2].weight.name == "encoder.2.weight"


def test_calling_parameters_on_a_child_does_not_shorten_the_names():
    net = Net()
    list(net.encoder.parameters())
    assert net.encoder[0].weight.name == "encoder.0.weight"
    assert [n for n, _ in net.encoder.named_parameters()] == ["0.weight", "0.bias"]


def test_constants_computed_tensors_and_plain_data_are_not_parameters():
    class M(Module):
        def __init__(self):
            super().__init__()
            self.const = Tensor([1.0])
            self.w = Tensor([1.0], requires_grad=True)
            self.cached = self.w * 2  # a graph result, not a leaf
            self.labels = np.array([1, 2])

    assert [n for n, _ in M().named_parameters()] == ["w"]


def test_shared_parameters_and_modules_are_listed_once():
    shared = Linear(2, 2)

    class Tied(Module):
        def __init__(self):
            super().__init__()
            self.first = shared
            self.second = shared
            self.w = shared.weight

    tied = Tied()
    # the module's own parameters come first (PyTorch's order), so the tied weight is found as "w"
    assert [n for n, _ in tied.named_parameters()] == ["w", "first.bias"]
    assert shared.weight.name == "w"
    assert [n for n, _ in tied.named_children()] == ["first"]


def test_children_and_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["encoder", "blocks.0", "blocks.1", "heads.a", "heads.b"]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "encoder",
        "encoder.0",
        "encoder.1",
        "blocks.0",
        "blocks.1",
        "heads.a",
        "heads.b",
    ]
    assert next(net.children()) is net.encoder
    assert len(list(net.modules())) == 8


def test_a_subclass_without_super_init_still_works():
    class NoInit(Module):
        def __init__(self):
            self.w = Tensor([1.0], requires_grad=True)

        def forward(self, x):
            return x * self.w

    m = NoInit()
    assert m.training is True
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert m.eval().training is False


def test_call_runs_forward_and_a_missing_forward_says_how_to_fix_it():
    m = Scale()
    np.testing.assert_allclose(m(Tensor([2.0, 3.0])).data, [2.0, 3.0])
    with pytest.raises(NotImplementedError, match=re.escape("Module has no forward(): define `def forward(self, x)")):
        Module()(1.0)


def test_zero_grad_sets_grads_to_none_or_zero():
    net = Net()
    net(Tensor.ones(5, 3)).sum().backward()
    assert all(p.grad is not None for p in [net.encoder[0].weight, net.heads["b"].w])
    net.zero_grad(set_to_none=False)
    assert np.all(net.encoder[0].weight.grad == 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_backward_twice_accumulates_and_zero_grad_resets():
    m = Scale()
    x = Tensor([2.0, 3.0])
    m(x).sum().backward()
    m(x).sum().backward()
    np.testing.assert_allclose(m.w.grad, [4.0, 6.0])
    m.zero_grad()
    m(x).sum().backward()
    np.testing.assert_allclose(m.w.grad, [2.0, 3.0])


def test_train_and_eval_propagate_to_all_descendants():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_apply_visits_every_module_children_first():
    net = Net()
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Net" and len(visited) == 8


def test_repr_shows_the_tree():
    model = Sequential(Linear(2, 3), ReLU(), Sequential(Linear(3, 1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )


def test_repr_of_a_user_module_lists_its_own_parameters():
    assert repr(Scale(3)) == "Scale(\n  (w): Parameter(shape=(3,), dtype=float32)\n)"


# ---- state_dict ------------------------------------------------------------------------------------------


def test_state_dict_round_trip_restores_values_in_place():
    tg.manual_seed(0)
    net = Net()
    saved = net.state_dict()
    assert list(saved) == EXPECTED_NAMES
    assert all(isinstance(v, np.ndarray) for v in saved.values())
    weight = net.encoder[0].weight
    weight.data += 1.0  # training moves the parameters...
    assert not np.array_equal(weight.data, saved["encoder.0.weight"])
    result = net.load_state_dict(saved)  # ...loading restores them in the same tensors
    assert result == ([], [])
    assert net.encoder[0].weight is weight
    for name, param in net.named_parameters():
        np.testing.assert_array_equal(param.data, saved[name])


def test_state_dict_is_a_copy():
    m = Scale()
    state = m.state_dict()
    state["w"][0] = 42.0
    assert m.w.data[0] == 1.0


def test_state_dict_loads_into_a_fresh_model_of_the_same_architecture():
    tg.manual_seed(1)
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = Tensor(np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_reports_missing_and_unexpected_keys():
    m = Sequential(Linear(2, 2))
    state = m.state_dict()
    del state["0.bias"]
    state["0.gamma"] = np.zeros(2, dtype=np.float32)
    with pytest.raises(ValueError, match=r"Missing keys: '0\.bias'\. Unexpected keys: '0\.gamma'\.") as err:
        m.load_state_dict(state)
    assert "strict=False" in str(err.value)


def test_load_state_dict_non_strict_loads_the_matching_keys():
    m = Sequential(Linear(2, 2))
    state = {"0.weight": np.ones((2, 2), dtype=np.float32), "other": np.zeros(1)}
    result = m.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(m[0].weight.data, np.ones((2, 2)))


def test_load_state_dict_names_the_key_on_shape_mismatch_and_changes_nothing():
    m = Sequential(Linear(2, 2), Linear(2, 3))
    before = m.state_dict()
    state = m.state_dict()
    state["0.weight"] = np.zeros((2, 2), dtype=np.float32)
    state["1.weight"] = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "shape mismatch for '1.weight': the state dict has shape (2, 3), the parameter has shape (3, 2)"
        ),
    ):
        m.load_state_dict(state)
    np.testing.assert_array_equal(m[0].weight.data, before["0.weight"])  # checked before any copy


def test_load_state_dict_names_the_key_on_dtype_mismatch():
    m = Sequential(Linear(2, 2))
    state = m.state_dict()
    state["0.bias"] = state["0.bias"].astype(np.float64)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "dtype mismatch for '0.bias': the state dict has dtype float64, the parameter has dtype float32"
        ),
    ):
        m.load_state_dict(state)


def test_load_state_dict_accepts_lists_and_tensors():
    m = Scale()
    m.load_state_dict({"w": [3.0, 4.0]})
    np.testing.assert_array_equal(m.w.data, [3.0, 4.0])
    m.load_state_dict({"w": Tensor([5.0, 6.0])})
    np.testing.assert_array_equal(m.w.data, [5.0, 6.0])
