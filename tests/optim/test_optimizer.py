"""The Optimizer base behaviour every optimiser shares: parameters and groups, zero_grad, closures, in-place
updates that leave .grad alone, dtypes, state and state_dict round trips, and the errors."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from optim_helpers import THETA0, loss

import tinygrad_edu as tg
from tinygrad_edu.optim.optimizer import UPDATE_BLOCK, subtract_scaled

# one factory per optimiser and option, so every test below runs over all of them
FACTORIES = {
    "GD": lambda p: tg.optim.GD(p, lr=0.1),
    "SGD": lambda p: tg.optim.SGD(p, lr=0.1),
    "SGD-momentum-dampening-wd-maximize": lambda p: tg.optim.SGD(
        p, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1, maximize=True
    ),
    "SGD-nesterov": lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda p: tg.optim.Adam(p, lr=0.1),
    "Adam-amsgrad-wd-maximize": lambda p: tg.optim.Adam(p, lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True),
    "AdamW": lambda p: tg.optim.AdamW(p, lr=0.1),
    "RMSprop": lambda p: tg.optim.RMSprop(p, lr=0.01),
    "RMSprop-centered-momentum-wd": lambda p: tg.optim.RMSprop(
        p, lr=0.01, centered=True, momentum=0.5, weight_decay=0.1
    ),
    "Adagrad": lambda p: tg.optim.Adagrad(p, lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1),
}
ALL = pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())


def _params(dtype=np.float64):
    rng = np.random.default_rng(0)
    return [
        tg.Tensor(rng.normal(size=(3, 2)).astype(dtype), requires_grad=True),
        tg.Tensor(THETA0.astype(dtype), requires_grad=True),
    ]


def _loss(params):
    W, b = params
    return (W * W * W).sum() * 0.1 + loss(b) + (W.sum() * b.sum()) * 0.01


def _train(opt, params, steps):
    out = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(params).backward()
        opt.step()
        out.append([p.data.copy() for p in params])
    return out


# ---- the step ----------------------------------------------------------------------------------------


@ALL
def test_step_leaves_grad_untouched(make):
    params = _params()
    opt = make(params)
    for _ in range(3):  # the first step creates state, later ones update it: check both
        opt.zero_grad()
        _loss(params).backward()
        grads = [p.grad for p in params]
        copies = [g.copy() for g in grads]
        opt.step()
        for p, g, c in zip(params, grads, copies, strict=True):
            assert p.grad is g
            np.testing.assert_array_equal(p.grad, c)


@ALL
def test_updates_data_in_place(make):
    params = _params()
    arrays = [p.data for p in params]
    before = [a.copy() for a in arrays]
    opt = make(params)
    _loss(params).backward()
    opt.step()
    for p, a, b in zip(params, arrays, before, strict=True):
        assert p.data is a  # every reference to the array sees the update
        assert not np.array_equal(a, b)


@ALL
def test_float32_parameters_and_state_stay_float32(make):
    params = _params(np.float32)
    opt = make(params)
    _train(opt, params, 3)
    for p in params:
        assert p.dtype == np.float32 and p.data.dtype == np.float32
        for value in opt.state[p].values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


@ALL
def test_parameters_without_grad_are_skipped(make):
    used = tg.Tensor(THETA0, requires_grad=True)
    unused = tg.Tensor(np.ones(3), requires_grad=True)
    opt = make([used, unused])
    loss(used).backward()
    opt.step()
    np.testing.assert_array_equal(unused.data, np.ones(3))
    assert unused.grad is None
    assert not opt.state.get(unused)


@ALL
def test_step_returns_the_closure_loss_and_runs_it_with_grad_enabled(make):
    params = _params()
    opt = make(params)
    seen = []

    def closure():
        seen.append(tg.is_grad_enabled())
        opt.zero_grad()
        value = _loss(params)
        value.backward()
        return value

    with tg.no_grad():
        returned = opt.step(closure)
    assert seen == [True]
    assert isinstance(returned, tg.Tensor) and returned.requires_grad


def test_step_runs_under_no_grad():
    states = []

    class Probe(tg.optim.SGD):
        @staticmethod
        def _momentum(*args):  # called inside step() for each parameter
            states.append(tg.is_grad_enabled())
            return tg.optim.SGD._momentum(*args)

    x = tg.Tensor([1.0], requires_grad=True)
    x.grad = np.ones(1, dtype=np.float32)
    Probe([x], lr=0.1, momentum=0.9).step()
    assert states == [False]
    assert tg.is_grad_enabled()  # and recording is back on after the step


def test_a_grad_of_the_wrong_shape_is_an_error():
    x = tg.Tensor(np.zeros(3), requires_grad=True, name="x")
    x.grad = np.ones(2)
    with pytest.raises(
        ValueError, match=r"\.grad of a parameter \(name='x', shape=\(3,\), dtype=float64\) has shape \(2,\)"
    ):
        tg.optim.SGD([x], lr=0.1).step()


def test_the_base_class_step_is_abstract():
    opt = tg.optim.Optimizer([tg.Tensor([1.0], requires_grad=True)], {"lr": 0.1})
    with pytest.raises(NotImplementedError, match="Optimizer must implement step"):
        opt.step()


# ---- zero_grad ---------------------------------------------------------------------------------------


def test_zero_grad_sets_to_none_by_default():
    params = _params()
    opt = tg.optim.SGD(params, lr=0.1)
    _loss(params).backward()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_without_set_to_none_zeroes_in_place():
    params = _params()
    opt = tg.optim.SGD(params, lr=0.1)
    _loss(params).backward()
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(params, grads, strict=True):
        assert p.grad is g and not g.any()


# ---- parameters and groups ------------------------------------------------------------------------------


def test_accepts_any_iterable_of_tensors():
    params = _params()
    opt = tg.optim.SGD((p for p in params), lr=0.1)
    assert all(a is b for a, b in zip(opt.param_groups[0]["params"], params, strict=True))


def test_param_groups_have_their_own_hyperparameters():
    W, b = _params()
    opt = tg.optim.SGD([{"params": [W]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    W0, b0 = W.data.copy(), b.data.copy()
    _loss([W, b]).backward()
    opt.step()
    np.testing.assert_allclose(W.data, W0 - 0.1 * W.grad)
    np.testing.assert_allclose(b.data, b0 - 0.5 * b.grad)  # first momentum step: buffer = gradient


def test_add_param_group_fills_in_defaults():
    W, b = _params()
    opt = tg.optim.Adam([W], lr=0.01)
    opt.add_param_group({"params": [b], "lr": 0.1})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.1


def test_repr_lists_the_groups():
    opt = tg.optim.SGD(_params(), lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9\n" in text and "lr: 0.1" in text


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ([], ValueError, r"SGD got an empty parameter list"),
        ([np.ones(3)], TypeError, r"parameter group 0, parameter 0 is a ndarray, not a Tensor"),
        ([tg.Tensor([1.0], requires_grad=True), 3.0], TypeError, r"parameter 1 is a float, not a Tensor"),
        (
            [tg.Tensor([1.0], name="w")],
            ValueError,
            r"parameter 0 \(name='w', shape=\(1,\), dtype=float32\) does not require grad.*requires_grad=True",
        ),
        (
            [tg.Tensor([1.0], requires_grad=True) * 2],
            ValueError,
            r"parameter 0 \(shape=\(1,\), dtype=float32\) is not a leaf",
        ),
        (tg.Tensor([1.0], requires_grad=True), TypeError, r"got a single Tensor .*wrap it in a list: \[x\]"),
        ({tg.Tensor([1.0], requires_grad=True)}, TypeError, r"should be an ordered collection \(a list\), got a set"),
        (
            [{"params": [tg.Tensor([1.0], requires_grad=True)]}, tg.Tensor([1.0], requires_grad=True)],
            TypeError,
            r"params mixes parameter-group dicts and Tensors",
        ),
        ([{"lr": 0.1}], ValueError, r"a parameter group needs a 'params' entry, got keys \['lr'\]"),
        ([{"params": []}], ValueError, r"parameter group 0 has an empty parameter list"),
        (5, TypeError, r"params should be an iterable of Tensors or of parameter-group dicts, got int"),
    ],
)
def test_invalid_parameters_are_explained(params, error, message):
    with pytest.raises(error, match=message):
        tg.optim.SGD(params, lr=0.1)


def test_a_parameter_listed_twice_is_an_error():
    w = tg.Tensor([1.0], requires_grad=True, name="w")
    with pytest.raises(ValueError, match=r"parameter group 0, parameter 1 \(name='w'.*\) appears twice"):
        tg.optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter group 1, parameter 0 \(name='w'.*\) appears twice"):
        tg.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_hyperparameters_are_checked_before_the_parameters():
    with pytest.raises(ValueError, match=r"lr must be >= 0, got lr=-1"):
        tg.optim.SGD([], lr=-1)


# ---- state and state_dict -------------------------------------------------------------------------------


def test_state_is_readable_per_parameter():
    W, b = _params()
    opt = tg.optim.SGD([W, b], lr=0.1, momentum=0.9)
    _loss([W, b]).backward()
    opt.step()
    np.testing.assert_array_equal(opt.state[W]["momentum_buffer"], W.grad)
    assert opt.state[W]["momentum_buffer"] is not W.grad


def test_state_dict_refers_to_parameters_by_index_and_is_a_snapshot():
    W, b = _params()
    opt = tg.optim.Adam([{"params": [W]}, {"params": [b], "lr": 0.5}], lr=0.1)
    _train(opt, [W, b], 2)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert sd["state"][0]["step"] == 2 and sd["state"][1]["exp_avg"].shape == THETA0.shape
    saved = sd["state"][0]["exp_avg"].copy()
    _train(opt, [W, b], 1)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)  # later steps do not change it


@ALL
def test_state_dict_round_trip_resumes_the_identical_trajectory(make):
    params = _params()
    opt = make(params)
    _train(opt, params, 3)
    checkpoint = pickle.dumps(([p.data.copy() for p in params], opt.state_dict()))
    reference = _train(opt, params, 4)

    values, sd = pickle.loads(checkpoint)  # a new process would rebuild the model and the optimiser
    fresh = [tg.Tensor(v, requires_grad=True) for v in values]
    resumed_opt = make(fresh)
    resumed_opt.load_state_dict(sd)
    resumed = _train(resumed_opt, fresh, 4)
    for step_a, step_b in zip(reference, resumed, strict=True):
        for a, b in zip(step_a, step_b, strict=True):
            np.testing.assert_array_equal(a, b)


def test_load_state_dict_restores_hyperparameters_and_casts_to_the_parameter_dtype():
    W, b = _params()
    opt = tg.optim.SGD([W, b], lr=0.3, momentum=0.9)
    _train(opt, [W, b], 1)
    sd = opt.state_dict()
    W32, b32 = _params(np.float32)
    other = tg.optim.SGD([W32, b32], lr=0.01)
    other.load_state_dict(sd)
    assert other.param_groups[0]["lr"] == 0.3 and other.param_groups[0]["momentum"] == 0.9
    assert other.state[W32]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
            r"the state dict has 2 parameter group\(s\) but this optimiser has 1",
        ),
        (
            lambda sd: sd["param_groups"][0]["params"].pop(),
            r"parameter group 0 has 2 parameter\(s\) but the state dict's group has 1",
        ),
        (
            lambda sd: sd["state"][0].update(momentum_buffer=np.zeros(7)),
            r"state 'momentum_buffer' of parameter 0 has shape \(7,\) but the parameter has shape \(3, 2\)",
        ),
        (lambda sd: sd["state"].update({5: {}}), r"state for parameter index 5, which no group lists"),
        (lambda sd: sd.pop("state"), r"expects a dict with 'state' and 'param_groups'"),
    ],
)
def test_load_state_dict_mismatch_is_explained(mutate, message):
    params = _params()
    opt = tg.optim.SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 1)
    sd = opt.state_dict()
    mutate(sd)
    with pytest.raises(ValueError, match=message):
        tg.optim.SGD(_params(), lr=0.1, momentum=0.9).load_state_dict(sd)


# ---- the blocked update theta -= lr * d shared by GD and SGD ----------------------------------------------


@pytest.mark.parametrize(
    "shape, block, layout",
    [
        ((5,), 8, "C"),  # one block
        ((8,), 8, "C"),  # exactly one block
        ((37,), 8, "C"),  # several blocks and a partial last one
        ((6, 7), 8, "C"),
        ((6, 7), 8, "F"),  # a Fortran-ordered parameter takes the unblocked update
        ((6, 7), 64, "F"),  # ... and fits one block whatever its layout
    ],
)
def test_subtract_scaled_matches_the_plain_update_and_leaves_the_direction_alone(shape, block, layout):
    rng = np.random.default_rng(0)
    theta = np.asarray(rng.standard_normal(shape), order=layout)
    direction = np.asarray(rng.standard_normal(shape), order=layout)
    expected = theta - 0.1 * direction
    direction_before = direction.copy()
    theta_before = theta
    subtract_scaled(theta, direction, 0.1, np.empty(block))
    np.testing.assert_allclose(theta, expected, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(direction, direction_before)
    assert theta is theta_before


def test_sgd_updates_a_parameter_larger_than_one_block_exactly():
    """A weight of more than UPDATE_BLOCK elements is updated block by block; the result is the plain update."""
    rng = np.random.default_rng(1)
    w = tg.Tensor(rng.standard_normal(UPDATE_BLOCK * 2 + 3), requires_grad=True)
    w.grad = rng.standard_normal(w.shape)
    expected = w.data - 0.5 * w.grad
    tg.optim.SGD([w], lr=0.5).step()
    np.testing.assert_array_equal(w.data, expected)


# ---- issue 15: load_state_dict of the wrong thing, and lr that is not finite ------------------------------


def test_load_state_dict_of_a_list_says_what_it_expects():
    with pytest.raises(TypeError) as err:
        tg.optim.SGD(_params(), lr=0.1).load_state_dict([1, 2])
    assert str(err.value) == (
        "SGD.load_state_dict expects a dict with 'state' and 'param_groups' (as made by SGD.state_dict()), got "
        "list [1, 2]; pass opt.state_dict() or tg.load(path)"
    )


def test_an_adam_state_loaded_into_sgd_names_both_classes_and_changes_nothing():
    params = _params()
    adam = tg.optim.Adam(params, lr=0.1)
    _train(adam, params, 1)
    sd = adam.state_dict()
    assert sd["optimizer"] == "Adam"
    sgd = tg.optim.SGD(_params(), lr=0.1, momentum=0.9)
    before = sgd.state_dict()
    with pytest.raises(ValueError, match=r"the state dict was saved by Adam but this optimiser is SGD.*new Adam"):
        sgd.load_state_dict(sd)
    del sd["optimizer"]  # a dict without the class (PyTorch's layout): the hyper-parameters tell
    with pytest.raises(
        ValueError,
        match=r"parameter group 0 of the state dict lacks \['dampening', 'momentum', 'nesterov'\]: .* saved by another",
    ):
        sgd.load_state_dict(sd)
    assert sgd.state_dict()["param_groups"] == before["param_groups"] and not sgd.state


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda sd: sd.update(param_groups="x"), TypeError, r"'param_groups' must be a list of dicts, got str 'x'"),
        (lambda sd: sd.update(state=[1]), TypeError, r"'state' must be a dict of parameter index to state, got list"),
        (lambda sd: sd["param_groups"].__setitem__(0, 5), TypeError, r"parameter group 0 of the state dict must be"),
        (lambda sd: sd["state"].__setitem__(0, 5), TypeError, r"state for parameter 0 must be a dict, got int \(5\)"),
        (
            lambda sd: sd["param_groups"][0].update(lr=math.nan),
            ValueError,
            r"parameter group 0 of the state dict: lr must be >= 0, got lr=nan",
        ),
    ],
    ids=["groups-str", "state-list", "group-int", "state-int", "lr-nan"],
)
def test_load_state_dict_refuses_malformed_parts(mutate, error, message):
    params = _params()
    opt = tg.optim.SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 1)
    sd = opt.state_dict()
    mutate(sd)
    with pytest.raises(error, match=message):
        tg.optim.SGD(_params(), lr=0.1, momentum=0.9).load_state_dict(sd)


@pytest.mark.parametrize(
    "cls", [tg.optim.GD, tg.optim.SGD, tg.optim.Adam, tg.optim.AdamW, tg.optim.RMSprop, tg.optim.Adagrad]
)
@pytest.mark.parametrize("lr", [math.inf, -math.inf, math.nan, -0.1])
def test_every_optimiser_refuses_an_lr_that_is_not_finite_and_non_negative(cls, lr):
    problem = "must be finite" if lr == math.inf else "must be >= 0"
    with pytest.raises(ValueError, match=rf"lr {problem}, got lr={lr!r}; pass e\.g\. lr=0\.01"):
        cls(_params(), lr=lr)


def test_an_exhausted_generator_of_parameters_is_explained():
    model = tg.nn.Linear(2, 1)
    params = model.parameters()
    tg.optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match=r"Adam got an empty parameter list: params is an exhausted iterator"):
        tg.optim.Adam(params)
