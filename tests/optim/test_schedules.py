"""Learning-rate schedules: the values against their formulas, what step() changes, state_dict, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg


def _opt(lrs=(0.1,)):
    groups = [{"params": [tg.Tensor([0.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return tg.optim.SGD(groups, lr=1.0)


def _lrs_while_stepping(scheduler, steps):
    """get_last_lr() before each step, checking it is what the optimiser's groups use."""
    out = []
    for _ in range(steps):
        last = scheduler.get_last_lr()
        assert last == [g["lr"] for g in scheduler.optimizer.param_groups]
        out.append(last)
        scheduler.step()
    return out


FORMULAS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, lambda lr0, t: lr0 * 0.5 ** (t // 3)),
    (
        "MultiStepLR",
        {"milestones": [4, 2, 7], "gamma": 0.1},
        lambda lr0, t: lr0 * 0.1 ** sum(t >= m for m in (2, 4, 7)),
    ),
    ("MultiStepLR", {"milestones": [3, 3], "gamma": 0.5}, lambda lr0, t: lr0 * (0.25 if t >= 3 else 1.0)),
    ("ExponentialLR", {"gamma": 0.9}, lambda lr0, t: lr0 * 0.9**t),
    ("InverseTimeLR", {"decay": 0.5}, lambda lr0, t: lr0 / (1 + 0.5 * t)),
    ("InverseTimeLR", {"decay": 0.2, "power": 0.6}, lambda lr0, t: lr0 / (1 + 0.2 * t) ** 0.6),
    (
        "CosineAnnealingLR",
        {"T_max": 5, "eta_min": 0.001},
        lambda lr0, t: 0.001 + (lr0 - 0.001) * (1 + math.cos(math.pi * t / 5)) / 2,
    ),
    ("LambdaLR", {"lr_lambda": lambda t: 1 / (t + 1)}, lambda lr0, t: lr0 / (t + 1)),
]


@pytest.mark.parametrize(("name", "kwargs", "formula"), FORMULAS, ids=[f[0] + str(i) for i, f in enumerate(FORMULAS)])
def test_learning_rates_follow_the_formula_in_every_group(name, kwargs, formula):
    scheduler = getattr(tg.optim, name)(_opt((0.1, 0.02)), **kwargs)
    actual = _lrs_while_stepping(scheduler, 12)
    expected = [[formula(0.1, t), formula(0.02, t)] for t in range(12)]
    np.testing.assert_allclose(actual, expected, rtol=1e-14)
    np.testing.assert_allclose(scheduler.lr_at(5), expected[5], rtol=1e-14)
    assert scheduler.last_epoch == 12 and scheduler.base_lrs == [0.1, 0.02]


def test_step_lr_values_by_hand():
    scheduler = tg.optim.StepLR(_opt((1.0,)), step_size=2, gamma=0.1)
    assert [lr[0] for lr in _lrs_while_stepping(scheduler, 6)] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_cosine_reaches_eta_min_at_t_max_and_turns_back_up_like_pytorch():
    scheduler = tg.optim.CosineAnnealingLR(_opt((1.0,)), T_max=4, eta_min=0.2)
    lrs = [lr[0] for lr in _lrs_while_stepping(scheduler, 9)]
    assert lrs[0] == 1.0 and lrs[4] == pytest.approx(0.2) and lrs[8] == pytest.approx(1.0)
    assert lrs[2] == pytest.approx(0.6)


def test_inverse_time_satisfies_robbins_monro_numerically():
    """sum lr_t grows without bound (like log t) while sum lr_t^2 converges (to about lr0^2 / decay)."""
    scheduler = tg.optim.InverseTimeLR(_opt((1.0,)), decay=1.0)
    lrs = np.array([scheduler.lr_at(t)[0] for t in range(100_000)])
    assert lrs[:1000].sum() > 7 and lrs.sum() > lrs[:1000].sum() + 4.5  # ~ log(100) more
    assert (lrs**2).sum() == pytest.approx(math.pi**2 / 6, rel=1e-4)


def test_lambda_lr_per_group_and_from_the_start():
    opt = _opt((1.0, 2.0))
    scheduler = tg.optim.LambdaLR(opt, [lambda t: 0.5, lambda t: t + 1.0])
    assert scheduler.get_last_lr() == [0.5, 2.0]  # lambda(0) applies at construction, as in PyTorch
    scheduler.step()
    assert [g["lr"] for g in opt.param_groups] == [0.5, 4.0]


def test_the_schedule_drives_the_optimizer_step():
    w = tg.Tensor(np.array([1.0]), requires_grad=True)
    opt = tg.optim.SGD([w], lr=1.0)
    scheduler = tg.optim.ExponentialLR(opt, gamma=0.5)
    for expected_lr in [1.0, 0.5, 0.25]:
        before = w.item()
        w.grad = np.ones(1)
        opt.step()
        assert before - w.item() == pytest.approx(expected_lr)
        scheduler.step()


def test_state_dict_round_trip():
    scheduler = tg.optim.MultiStepLR(_opt(), milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        scheduler.step()
    sd = scheduler.state_dict()
    assert sd == {"base_lrs": [0.1], "last_epoch": 3, "_last_lr": [0.05], "milestones": [2, 4], "gamma": 0.5}
    opt = _opt()
    resumed = tg.optim.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    resumed.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.05  # loading applies the restored step
    resumed.step()
    scheduler.step()
    assert resumed.get_last_lr() == scheduler.get_last_lr() == [0.025]


def test_lambda_lr_state_dict_leaves_out_the_functions():
    scheduler = tg.optim.LambdaLR(_opt(), lambda t: 0.9**t)
    scheduler.step()
    sd = scheduler.state_dict()
    assert "lr_lambdas" not in sd and sd["last_epoch"] == 1
    other = tg.optim.LambdaLR(_opt(), lambda t: 0.9**t)
    other.load_state_dict(sd)
    assert other.get_last_lr() == pytest.approx([0.09])


def test_load_state_dict_rejects_unknown_keys():
    scheduler = tg.optim.StepLR(_opt(), step_size=2)
    with pytest.raises(ValueError, match=r"unexpected keys \['T_max'\] in the state dict of a StepLR"):
        scheduler.load_state_dict({"T_max": 3})


def test_repr_shows_the_settings():
    text = repr(tg.optim.StepLR(_opt(), step_size=2, gamma=0.5))
    assert text == "StepLR(step_size=2, gamma=0.5, base_lrs=[0.1], last_epoch=0)"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda o: tg.optim.StepLR(o, step_size=0), ValueError, r"step_size must be a positive int, got step_size=0"),
        (
            lambda o: tg.optim.StepLR(o, step_size=2.5),
            ValueError,
            r"step_size must be a positive int, got step_size=2\.5",
        ),
        (lambda o: tg.optim.StepLR(o, step_size=2, gamma=-0.1), ValueError, r"gamma must be > 0, got gamma=-0\.1"),
        (
            lambda o: tg.optim.MultiStepLR(o, milestones=[2, -1]),
            ValueError,
            r"milestones must be non-negative ints, got milestones=\[2, -1\]",
        ),
        (lambda o: tg.optim.ExponentialLR(o, gamma=0), ValueError, r"gamma must be > 0, got gamma=0"),
        (lambda o: tg.optim.InverseTimeLR(o, decay=-1.0), ValueError, r"decay must be >= 0, got decay=-1\.0"),
        (lambda o: tg.optim.InverseTimeLR(o, decay=1.0, power=0), ValueError, r"power must be > 0, got power=0"),
        (lambda o: tg.optim.CosineAnnealingLR(o, T_max=0), ValueError, r"T_max must be a positive int, got T_max=0"),
        (
            lambda o: tg.optim.CosineAnnealingLR(o, T_max=5, eta_min=-1),
            ValueError,
            r"eta_min must be >= 0, got eta_min=-1",
        ),
        (lambda o: tg.optim.LambdaLR(o, 0.5), TypeError, r"lr_lambda must be a function of the step t .*got 0\.5"),
        (
            lambda o: tg.optim.LambdaLR(o, [lambda t: 1.0, lambda t: 1.0]),
            ValueError,
            r"lr_lambda is a list of 2 functions but the optimiser has 1 groups",
        ),
        (
            lambda o: tg.optim.StepLR("sgd", step_size=1),
            TypeError,
            r"a schedule needs a tinygrad_edu Optimizer, got str",
        ),
    ],
)
def test_invalid_arguments_name_the_value(make, error, message):
    with pytest.raises(error, match=message):
        make(_opt())


# ---- issue 15: every computed lr is checked with the optimisers' rule --------------------------------------


@pytest.mark.parametrize(
    ("factor", "problem"),
    [(math.nan, "must be >= 0"), (-0.5, "must be >= 0"), (math.inf, "must be finite")],
    ids=["nan", "negative", "inf"],
)
def test_lambda_lr_refuses_a_factor_that_makes_the_lr_invalid_and_changes_nothing(factor, problem):
    opt = _opt((0.1, 0.2))
    scheduler = tg.optim.LambdaLR(opt, [lambda t: 1.0, lambda t: 1.0 if t < 2 else factor])
    scheduler.step()
    with pytest.raises(ValueError) as err:
        scheduler.step()
    assert str(err.value) == (
        f"LambdaLR: step t=2 would set parameter group 1's lr to {0.2 * factor!r} (base lr 0.2 x lr_lambda(2) = "
        f"0.2 x {factor!r}), but lr {problem} (the optimisers refuse it); make lr_lambda return a finite factor "
        ">= 0 for every step t"
    )
    assert scheduler.last_epoch == 1 and [g["lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert scheduler.get_last_lr() == [0.1, 0.2]


def test_lambda_lr_checks_t_zero_when_it_is_created():
    with pytest.raises(ValueError, match=r"LambdaLR: step t=0 would set parameter group 0's lr to nan"):
        tg.optim.LambdaLR(_opt(), lambda t: math.nan)


def test_lambda_lr_refuses_a_factor_that_is_not_a_number():
    scheduler = tg.optim.LambdaLR(_opt(), lambda t: None if t else 1.0)
    with pytest.raises(TypeError, match=r"lr_lambda\(1\) for parameter group 0 returned None \(NoneType\), not a"):
        scheduler.step()
    assert tg.optim.LambdaLR(_opt(), lambda t: np.float32(0.5)).get_last_lr() == [0.05]  # numpy scalars are numbers


def test_exponential_lr_that_overflows_is_refused_at_the_step_that_overflows():
    scheduler = tg.optim.ExponentialLR(_opt((1.0,)), gamma=1e200)
    scheduler.step()  # 1e200: finite
    with pytest.raises(ValueError, match=r"ExponentialLR: step t=2 would set .* lr to inf .*use gamma <= 1"):
        scheduler.step()


@pytest.mark.parametrize("value", [math.inf, -1.0])
def test_a_hand_set_lr_that_is_invalid_is_refused_as_the_base_lr(value):
    opt = _opt()
    opt.param_groups[0]["lr"] = value
    with pytest.raises(
        ValueError,
        match=r"StepLR: step t=0 would set parameter group 0's lr .*set the group's lr to a finite number >= 0",
    ):
        tg.optim.StepLR(opt, step_size=2)


def test_scheduler_load_state_dict_checks_before_changing_anything():
    scheduler = tg.optim.StepLR(_opt(), step_size=2)
    with pytest.raises(
        TypeError, match=r"StepLR\.load_state_dict expects the dict made by StepLR\.state_dict\(\), got"
    ):
        scheduler.load_state_dict([1, 2])
    with pytest.raises(ValueError, match=r"missing keys \['gamma'\] in the state dict of a StepLR"):
        scheduler.load_state_dict({"step_size": 2, "base_lrs": [0.1], "last_epoch": 0, "_last_lr": [0.1]})
    sd = scheduler.state_dict()
    with pytest.raises(ValueError, match=r"base_lrs=\[0\.1, 0\.1\] must list one learning rate per parameter group"):
        scheduler.load_state_dict({**sd, "base_lrs": [0.1, 0.1]})
    with pytest.raises(ValueError, match=r"last_epoch must be a non-negative int .* got last_epoch=-1"):
        scheduler.load_state_dict({**sd, "last_epoch": -1})
    with pytest.raises(ValueError, match=r"step t=0 would set parameter group 0's lr to nan"):
        scheduler.load_state_dict({**sd, "base_lrs": [math.nan]})
    assert scheduler.state_dict() == sd and scheduler.optimizer.param_groups[0]["lr"] == 0.1


def test_constructor_constants_must_be_finite():
    with pytest.raises(ValueError, match=r"gamma must be > 0, got gamma=inf; pass a finite number > 0"):
        tg.optim.ExponentialLR(_opt(), gamma=math.inf)
    with pytest.raises(ValueError, match=r"decay must be finite, got decay=inf"):
        tg.optim.InverseTimeLR(_opt(), decay=math.inf)
    with pytest.raises(TypeError, match=r"milestones must be a list of non-negative ints, got milestones=5"):
        tg.optim.MultiStepLR(_opt(), milestones=5)


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3)))
def test_a_lambda_factor_is_set_exactly_when_the_lr_it_gives_is_valid(factor):
    opt = _opt()
    scheduler = tg.optim.LambdaLR(opt, lambda t: 1.0 if t == 0 else factor)
    lr = 0.1 * factor
    if math.isfinite(lr) and lr >= 0:
        scheduler.step()
        assert opt.param_groups[0]["lr"] == lr
    else:
        with pytest.raises(ValueError, match="the optimisers refuse it"):
            scheduler.step()
        assert opt.param_groups[0]["lr"] == 0.1
