"""Bad-input campaign for ``tg.optim``: every optimiser (constructor, step, zero_grad, state_dict /
load_state_dict, add_param_group) and every schedule (constructor, step, load_state_dict), each thing a user
can get wrong, and a message that names the argument, the value and the fix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg

OPTIMIZERS = {
    "GD": lambda p, **kw: tg.optim.GD(p, **{"lr": 0.1, **kw}),
    "SGD": lambda p, **kw: tg.optim.SGD(p, **{"lr": 0.1, **kw}),
    "Adam": tg.optim.Adam,
    "AdamW": tg.optim.AdamW,
    "RMSprop": tg.optim.RMSprop,
    "Adagrad": tg.optim.Adagrad,
}


def _w(name: str | None = None) -> tg.Tensor:
    return tg.Tensor([1.0, 2.0], requires_grad=True, name=name)


def _stepped(make):
    w = _w()
    opt = make([w])
    w.grad = np.ones(2, dtype=np.float32)
    opt.step()
    return opt


def _opt(lr: float = 0.1) -> tg.optim.SGD:
    return tg.optim.SGD([_w()], lr=lr)


def _with_grad(grad):
    w = _w()
    opt = tg.optim.SGD([w], lr=0.1)
    w.grad = grad
    return opt


def _exhausted():
    gen = (p for p in [_w()])
    list(gen)
    return gen


def _lambda_steps(factor, steps):
    scheduler = tg.optim.LambdaLR(_opt(), lambda t: 1.0 if t == 0 else factor)
    for _ in range(steps):
        scheduler.step()


def _exp_steps(gamma, steps):
    scheduler = tg.optim.ExponentialLR(tg.optim.SGD([_w()], lr=1.0), gamma=gamma)
    for _ in range(steps):
        scheduler.step()


def _bad_lr_cases() -> list[BadInput]:
    cases = []
    for name, make in OPTIMIZERS.items():
        cases += [
            BadInput(
                f"{name}/lr-nan",
                lambda m=make: m([_w()], lr=math.nan),
                ValueError,
                ("lr must be >= 0", "lr=nan", "pass e.g. lr=0.01"),
            ),
            BadInput(
                f"{name}/lr-inf",
                lambda m=make: m([_w()], lr=math.inf),
                ValueError,
                ("lr must be finite", "lr=inf", "pass e.g. lr=0.01"),
            ),
            BadInput(
                f"{name}/lr-negative",
                lambda m=make: m([_w()], lr=-0.1),
                ValueError,
                ("lr must be >= 0", "lr=-0.1", "pass e.g. lr=0.01"),
            ),
            BadInput(
                f"{name}/lr-str",
                lambda m=make: m([_w()], lr="0.1"),
                TypeError,
                ("lr must be a real number", "'0.1' (str)", "pass e.g. lr=0.01"),
            ),
            BadInput(
                f"{name}/params-empty",
                lambda m=make: m([]),
                ValueError,
                (f"{name} got an empty parameter list", "params=[]", "model.parameters()"),
            ),
            BadInput(
                f"{name}/params-exhausted",
                lambda m=make: m(_exhausted()),
                ValueError,
                ("params is an exhausted iterator", "(generator)", "list(model.parameters())"),
            ),
            BadInput(
                f"{name}/load-list",
                lambda m=make: m([_w()]).load_state_dict([1, 2]),
                TypeError,
                (f"{name}.load_state_dict expects a dict", "list [1, 2]", "pass opt.state_dict()"),
            ),
        ]
    return cases


def _other_class_state():
    return _stepped(lambda p: tg.optim.Adam(p, lr=0.1)).state_dict()


def _without_class(sd):
    del sd["optimizer"]
    return sd


CASES: list[BadInput] = [
    *_bad_lr_cases(),
    # ---- params
    BadInput(
        "SGD/params-ndarray",
        lambda: tg.optim.SGD([np.ones(2)], lr=0.1),
        TypeError,
        ("parameter group 0, parameter 0 is a ndarray", "array([1., 1.])", "Tensor(values, requires_grad=True)"),
    ),
    BadInput(
        "SGD/params-no-grad",
        lambda: tg.optim.SGD([tg.Tensor([1.0], name="w")], lr=0.1),
        ValueError,
        ("parameter 0 (name='w'", "does not require grad", "requires_grad=True"),
    ),
    BadInput(
        "SGD/params-non-leaf",
        lambda: tg.optim.SGD([_w() * 2], lr=0.1),
        ValueError,
        ("parameter 0 (shape=(2,)", "is not a leaf", "optimise the leaf Tensors"),
    ),
    BadInput(
        "SGD/params-duplicate",
        lambda: (lambda w: tg.optim.SGD([w, w], lr=0.1))(_w("w")),
        ValueError,
        ("parameter 1 (name='w'", "appears twice", "may be listed once"),
    ),
    BadInput(
        "SGD/params-tensor",
        lambda: tg.optim.SGD(_w(), lr=0.1),
        TypeError,
        ("params should be an iterable", "got a single Tensor", "wrap it in a list: [x]"),
    ),
    BadInput(
        "SGD/params-set",
        lambda: tg.optim.SGD({_w()}, lr=0.1),
        TypeError,
        ("params should be an ordered collection", "got a set", "(a list)"),
    ),
    BadInput(
        "SGD/params-int",
        lambda: tg.optim.SGD(5, lr=0.1),
        TypeError,
        ("params should be an iterable", "got int (5)", "pass a list"),
    ),
    BadInput(
        "SGD/params-one-dict",
        lambda: tg.optim.SGD({"params": [_w()]}, lr=0.1),
        TypeError,
        ("got one dict", "keys ['params']", "wrap it in a list: [group]"),
    ),
    BadInput(
        "SGD/params-mixed",
        lambda: tg.optim.SGD([{"params": [_w()]}, _w()], lr=0.1),
        TypeError,
        ("params mixes parameter-group dicts and Tensors", "pass either Tensors or only dicts"),
    ),
    BadInput(
        "SGD/group-no-params",
        lambda: tg.optim.SGD([{"lr": 0.1}], lr=0.1),
        ValueError,
        ("needs a 'params' entry", "got keys ['lr']", "{'params': [w], 'lr': 0.01}"),
    ),
    BadInput(
        "SGD/group-empty",
        lambda: tg.optim.SGD([{"params": []}], lr=0.1),
        ValueError,
        ("parameter group 0 has an empty parameter list", "params=[]", "model.parameters()"),
    ),
    BadInput(
        "SGD/group-momentum",
        lambda: tg.optim.SGD([{"params": [_w()], "momentum": 2}], lr=0.1),
        ValueError,
        ("parameter group 0: momentum must be in [0, 1)", "momentum=2", "pass e.g. momentum=0.9"),
    ),
    # ---- hyper-parameters
    BadInput(
        "SGD/momentum-negative",
        lambda: tg.optim.SGD([_w()], lr=0.1, momentum=-0.5),
        ValueError,
        ("momentum must be in [0, 1)", "momentum=-0.5", "pass e.g. momentum=0.9"),
    ),
    BadInput(
        "SGD/dampening",
        lambda: tg.optim.SGD([_w()], lr=0.1, dampening=1.5),
        ValueError,
        ("dampening must be in [0, 1]", "dampening=1.5", "pass e.g. dampening=0.0"),
    ),
    BadInput(
        "SGD/weight-decay-inf",
        lambda: tg.optim.SGD([_w()], lr=0.1, weight_decay=math.inf),
        ValueError,
        ("weight_decay must be finite", "weight_decay=inf", "pass e.g. weight_decay=0.0001"),
    ),
    BadInput(
        "SGD/nesterov-no-momentum",
        lambda: tg.optim.SGD([_w()], lr=0.1, nesterov=True),
        ValueError,
        ("nesterov=True needs momentum > 0", "momentum=0.0", "set momentum=0.9 and dampening=0"),
    ),
    BadInput(
        "SGD/nesterov-int",
        lambda: tg.optim.SGD([_w()], lr=0.1, momentum=0.9, nesterov=1),
        TypeError,
        ("nesterov must be True or False", "got 1 (int)", "pass nesterov=True"),
    ),
    BadInput(
        "SGD/maximize-str",
        lambda: tg.optim.SGD([_w()], lr=0.1, maximize="yes"),
        TypeError,
        ("maximize must be True or False", "'yes'", "pass maximize=True"),
    ),
    BadInput(
        "Adam/betas-range",
        lambda: tg.optim.Adam([_w()], betas=(0.9, 1.5)),
        ValueError,
        ("betas[1] must be in [0, 1)", "betas=(0.9, 1.5)", "pass e.g. betas=(0.9, 0.999)"),
    ),
    BadInput(
        "Adam/betas-negative",
        lambda: tg.optim.Adam([_w()], betas=(-0.1, 0.999)),
        ValueError,
        ("betas[0] must be in [0, 1)", "betas=(-0.1, 0.999)", "betas=(0.9, 0.999)"),
    ),
    BadInput(
        "Adam/betas-scalar",
        lambda: tg.optim.Adam([_w()], betas=0.9),
        TypeError,
        ("betas must be a pair (beta1, beta2)", "betas=0.9", "betas=(0.9, 0.999)"),
    ),
    BadInput(
        "Adam/betas-str",
        lambda: tg.optim.Adam([_w()], betas=(0.9, "x")),
        TypeError,
        ("betas[1] must be a real number", "betas=(0.9, 'x')", "betas=(0.9, 0.999)"),
    ),
    BadInput(
        "Adam/eps-negative",
        lambda: tg.optim.Adam([_w()], eps=-1e-8),
        ValueError,
        ("eps must be >= 0", "eps=-1e-08", "pass e.g. eps=1e-08"),
    ),
    BadInput(
        "Adam/amsgrad-none",
        lambda: tg.optim.Adam([_w()], amsgrad=None),
        TypeError,
        ("amsgrad must be True or False", "got None", "pass amsgrad=True"),
    ),
    BadInput(
        "AdamW/weight-decay",
        lambda: tg.optim.AdamW([_w()], weight_decay=-1.0),
        ValueError,
        ("weight_decay must be >= 0", "weight_decay=-1.0", "weight_decay=0.0001"),
    ),
    BadInput(
        "RMSprop/alpha",
        lambda: tg.optim.RMSprop([_w()], alpha=1.0),
        ValueError,
        ("alpha must be in [0, 1)", "alpha=1.0", "pass e.g. alpha=0.99"),
    ),
    BadInput(
        "RMSprop/momentum",
        lambda: tg.optim.RMSprop([_w()], momentum=1.2),
        ValueError,
        ("momentum must be in [0, 1)", "momentum=1.2", "momentum=0.9"),
    ),
    BadInput(
        "RMSprop/centered",
        lambda: tg.optim.RMSprop([_w()], centered="no"),
        TypeError,
        ("centered must be True or False", "'no'", "pass centered=True"),
    ),
    BadInput(
        "Adagrad/lr-decay",
        lambda: tg.optim.Adagrad([_w()], lr_decay=-0.1),
        ValueError,
        ("lr_decay must be >= 0", "lr_decay=-0.1", "pass e.g. lr_decay=0.0"),
    ),
    BadInput(
        "Adagrad/initial-accumulator",
        lambda: tg.optim.Adagrad([_w()], initial_accumulator_value=math.nan),
        ValueError,
        ("initial_accumulator_value must be >= 0", "=nan", "a finite number >= 0"),
    ),
    BadInput(
        "GD/line-search",
        lambda: tg.optim.GD([_w()], lr=0.1, line_search="wolfe"),
        ValueError,
        ("line_search must be None or 'armijo'", "'wolfe'", "pass line_search='armijo'"),
    ),
    BadInput(
        "GD/c",
        lambda: tg.optim.GD([_w()], lr=0.1, c=1.0),
        ValueError,
        ("c (the Armijo sufficient-decrease constant)", "c=1.0", "pass e.g. c=1e-4"),
    ),
    BadInput(
        "GD/c-str",
        lambda: tg.optim.GD([_w()], lr=0.1, c="x"),
        TypeError,
        ("c must be a real number", "'x' (str)", "pass e.g. c=0.0001"),
    ),
    BadInput(
        "GD/shrink",
        lambda: tg.optim.GD([_w()], lr=0.1, shrink=1.5),
        ValueError,
        ("shrink (the backtracking factor)", "shrink=1.5", "pass e.g. shrink=0.5"),
    ),
    BadInput(
        "GD/max-backtracks",
        lambda: tg.optim.GD([_w()], lr=0.1, max_backtracks=0),
        ValueError,
        ("max_backtracks must be a positive int", "max_backtracks=0", "max_backtracks=50"),
    ),
    # ---- step, zero_grad, add_param_group
    BadInput(
        "GD/armijo-no-closure",
        lambda: tg.optim.GD([_w()], lr=0.1, line_search="armijo").step(),
        ValueError,
        ("line_search='armijo'", "needs a closure", "def closure()"),
    ),
    BadInput(
        "SGD/step-closure-int",
        lambda: _opt().step(closure=5),
        TypeError,
        ("closure must be a callable", "got 5 (int)", "pass a function"),
    ),
    BadInput(
        "SGD/step-grad-shape",
        lambda: _with_grad(np.ones(3)).step(),
        ValueError,
        ("the .grad of a parameter (shape=(2,)", "has shape (3,)", "assign a gradient of shape (2,)"),
    ),
    BadInput(
        "SGD/step-grad-list",
        lambda: _with_grad([1.0, 1.0]).step(),
        TypeError,
        ("the .grad of a parameter", "is a list ([1.0, 1.0])", "assign np.asarray(...)"),
    ),
    BadInput(
        "SGD/zero-grad-int",
        lambda: _opt().zero_grad(set_to_none=1),
        TypeError,
        ("set_to_none must be True or False", "got 1 (int)", "pass set_to_none=True"),
    ),
    BadInput(
        "SGD/add-group-list",
        lambda: _opt().add_param_group([_w()]),
        TypeError,
        ("a parameter group must be a dict", "got list", "{'params': [w], 'lr': 0.01}"),
    ),
    BadInput(
        "Adam/add-group-duplicate",
        lambda: (lambda w: tg.optim.Adam([w]).add_param_group({"params": [w]}))(_w("w")),
        ValueError,
        ("parameter group 1, parameter 0 (name='w'", "appears twice", "may be listed once"),
    ),
    BadInput(
        "Adam/add-group-lr",
        lambda: tg.optim.Adam([_w()]).add_param_group({"params": [_w()], "lr": -1}),
        ValueError,
        ("parameter group 1: lr must be >= 0", "lr=-1", "pass e.g. lr=0.01"),
    ),
    # ---- load_state_dict
    BadInput(
        "SGD/load-adam",
        lambda: tg.optim.SGD([_w()], lr=0.1).load_state_dict(_other_class_state()),
        ValueError,
        ("saved by Adam but this optimiser is SGD", "Load it into a new Adam"),
    ),
    BadInput(
        "SGD/load-adam-unnamed",
        lambda: tg.optim.SGD([_w()], lr=0.1).load_state_dict(_without_class(_other_class_state())),
        ValueError,
        (
            "lacks ['dampening', 'momentum', 'nesterov']",
            "hyper-parameters ['amsgrad', 'betas'",
            "load it into the class that saved it",
        ),
    ),
    BadInput(
        "Adam/load-groups",
        lambda: tg.optim.Adam([{"params": [_w()]}, {"params": [_w()]}]).load_state_dict(_other_class_state()),
        ValueError,
        ("the state dict has 1 parameter group(s)", "this optimiser has 2", "build the optimiser with the same groups"),
    ),
    BadInput(
        "Adam/load-params",
        lambda: tg.optim.Adam([_w(), _w()]).load_state_dict(_other_class_state()),
        ValueError,
        (
            "parameter group 0 has 2 parameter(s)",
            "the state dict's group has 1",
            "build the optimiser over the same parameters",
        ),
    ),
    BadInput(
        "Adam/load-keys",
        lambda: tg.optim.Adam([_w()]).load_state_dict({"state": {}}),
        ValueError,
        ("expects a dict with 'state' and 'param_groups'", "got keys ['state']", "as made by Adam.state_dict()"),
    ),
    BadInput(
        "Adam/load-shape",
        lambda: tg.optim.Adam([tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)]).load_state_dict(_other_class_state()),
        ValueError,
        ("state 'exp_avg' of parameter 0", "has shape (2,)", "the parameter has shape (3,)"),
    ),
    # ---- schedules: constructors
    BadInput(
        "StepLR/optimizer-str",
        lambda: tg.optim.StepLR("sgd", step_size=1),
        TypeError,
        ("a schedule needs a tinygrad_edu Optimizer", "got str ('sgd')", "StepLR(opt, ...)"),
    ),
    BadInput(
        "StepLR/step-size",
        lambda: tg.optim.StepLR(_opt(), step_size=0),
        ValueError,
        ("step_size must be a positive int", "step_size=0", "pass e.g. step_size=10"),
    ),
    BadInput(
        "StepLR/gamma-inf",
        lambda: tg.optim.StepLR(_opt(), step_size=1, gamma=math.inf),
        ValueError,
        ("gamma must be > 0", "gamma=inf", "a finite number > 0"),
    ),
    BadInput(
        "MultiStepLR/milestones",
        lambda: tg.optim.MultiStepLR(_opt(), milestones=[2, -1]),
        ValueError,
        ("milestones must be non-negative ints", "milestones=[2, -1]", "milestones=[30, 80]"),
    ),
    BadInput(
        "MultiStepLR/milestones-int",
        lambda: tg.optim.MultiStepLR(_opt(), milestones=5),
        TypeError,
        ("milestones must be a list", "milestones=5", "milestones=[30, 80]"),
    ),
    BadInput(
        "ExponentialLR/gamma-zero",
        lambda: tg.optim.ExponentialLR(_opt(), gamma=0),
        ValueError,
        ("gamma must be > 0", "gamma=0", "a finite number > 0"),
    ),
    BadInput(
        "ExponentialLR/gamma-str",
        lambda: tg.optim.ExponentialLR(_opt(), gamma="0.9"),
        TypeError,
        ("gamma must be a real number", "'0.9' (str)", "pass e.g. gamma=0.1"),
    ),
    BadInput(
        "InverseTimeLR/decay",
        lambda: tg.optim.InverseTimeLR(_opt(), decay=-1.0),
        ValueError,
        ("decay must be >= 0", "decay=-1.0", "pass e.g. decay=0.01"),
    ),
    BadInput(
        "InverseTimeLR/power",
        lambda: tg.optim.InverseTimeLR(_opt(), decay=1.0, power=math.nan),
        ValueError,
        ("power must be > 0", "power=nan", "a finite number > 0"),
    ),
    BadInput(
        "CosineAnnealingLR/T_max",
        lambda: tg.optim.CosineAnnealingLR(_opt(), T_max=2.5),
        ValueError,
        ("T_max must be a positive int", "T_max=2.5", "pass e.g. T_max=100"),
    ),
    BadInput(
        "CosineAnnealingLR/eta-min",
        lambda: tg.optim.CosineAnnealingLR(_opt(), T_max=5, eta_min=-1),
        ValueError,
        ("eta_min must be >= 0", "eta_min=-1", "pass e.g. eta_min=0.0"),
    ),
    BadInput(
        "LambdaLR/not-callable",
        lambda: tg.optim.LambdaLR(_opt(), 0.5),
        TypeError,
        ("lr_lambda must be a function of the step t", "got 0.5", "lr_lambda=lambda t: 0.95**t"),
    ),
    BadInput(
        "LambdaLR/list-length",
        lambda: tg.optim.LambdaLR(_opt(), [lambda t: 1.0] * 2),
        ValueError,
        ("lr_lambda is a list of 2 functions", "the optimiser has 1 groups", "one per group"),
    ),
    BadInput(
        "LambdaLR/optimizer-none",
        lambda: tg.optim.LambdaLR(None, lambda t: 1.0),
        TypeError,
        ("a schedule needs a tinygrad_edu Optimizer", "got NoneType", "LambdaLR(opt, ...)"),
    ),
    # ---- schedules: step (the lr each step would set is checked with the optimisers' rule)
    BadInput(
        "LambdaLR/t0-nan",
        lambda: tg.optim.LambdaLR(_opt(), lambda t: math.nan),
        ValueError,
        ("LambdaLR: step t=0", "lr_lambda(0) = 0.1 x nan", "make lr_lambda return a finite factor >= 0"),
    ),
    BadInput(
        "LambdaLR/step-nan",
        lambda: _lambda_steps(math.nan, 1),
        ValueError,
        ("step t=1 would set parameter group 0's lr to nan", "lr must be >= 0", "make lr_lambda return"),
    ),
    BadInput(
        "LambdaLR/step-inf",
        lambda: _lambda_steps(math.inf, 1),
        ValueError,
        ("lr to inf", "lr must be finite", "make lr_lambda return"),
    ),
    BadInput(
        "LambdaLR/step-negative",
        lambda: _lambda_steps(-1.0, 1),
        ValueError,
        ("lr to -0.1", "0.1 x -1.0", "make lr_lambda return"),
    ),
    BadInput(
        "LambdaLR/step-none",
        lambda: _lambda_steps(None, 1),
        TypeError,
        ("lr_lambda(1) for parameter group 0 returned None", "not a number", "make lr_lambda return"),
    ),
    BadInput(
        "LambdaLR/step-str",
        lambda: _lambda_steps("0.5", 1),
        TypeError,
        ("lr_lambda(1) for parameter group 0 returned '0.5'", "(str)", "make lr_lambda return"),
    ),
    BadInput(
        "ExponentialLR/overflow",
        lambda: _exp_steps(1e200, 2),
        ValueError,
        ("ExponentialLR: step t=2", "lr to inf", "use gamma <= 1"),
    ),
    BadInput(
        "StepLR/overflow",
        lambda: (lambda s: [s.step() for _ in range(4)])(
            tg.optim.StepLR(tg.optim.SGD([_w()], lr=1.0), step_size=2, gamma=1e200)
        ),
        ValueError,
        ("StepLR: step t=4", "gamma**2 with gamma=1e+200", "use gamma <= 1"),
    ),
    BadInput(
        "StepLR/bad-base-lr",
        lambda: tg.optim.StepLR((lambda o: (o.param_groups[0].update(lr=-1.0), o)[1])(_opt()), step_size=1),
        ValueError,
        ("lr to -1.0", "base lr -1.0", "set the group's lr to a finite number >= 0"),
    ),
    # ---- schedules: load_state_dict
    BadInput(
        "StepLR/load-list",
        lambda: tg.optim.StepLR(_opt(), step_size=2).load_state_dict([1, 2]),
        TypeError,
        ("StepLR.load_state_dict expects the dict", "list [1, 2]", "pass scheduler.state_dict()"),
    ),
    BadInput(
        "StepLR/load-cosine",
        lambda: tg.optim.StepLR(_opt(), step_size=2).load_state_dict(
            tg.optim.CosineAnnealingLR(_opt(), T_max=3).state_dict()
        ),
        ValueError,
        ("unexpected keys ['T_max', 'eta_min'] in the state dict of a StepLR", "saved by another schedule"),
    ),
    BadInput(
        "StepLR/load-missing",
        lambda: tg.optim.StepLR(_opt(), step_size=2).load_state_dict({"step_size": 2}),
        ValueError,
        (
            "missing keys ['_last_lr', 'base_lrs', 'gamma', 'last_epoch']",
            "in the state dict of a StepLR",
            "made by StepLR.state_dict()",
        ),
    ),
    BadInput(
        "StepLR/load-base-lrs",
        lambda: (lambda s: s.load_state_dict({**s.state_dict(), "base_lrs": [0.1, 0.2]}))(
            tg.optim.StepLR(_opt(), step_size=2)
        ),
        ValueError,
        ("base_lrs=[0.1, 0.2]", "the optimiser has 1", "over the same groups"),
    ),
    BadInput(
        "StepLR/load-last-epoch",
        lambda: (lambda s: s.load_state_dict({**s.state_dict(), "last_epoch": 1.5}))(
            tg.optim.StepLR(_opt(), step_size=2)
        ),
        ValueError,
        ("last_epoch must be a non-negative int", "last_epoch=1.5", "made by StepLR.state_dict()"),
    ),
    BadInput(
        "ExponentialLR/load-nan-base",
        lambda: (lambda s: s.load_state_dict({**s.state_dict(), "base_lrs": [math.nan]}))(
            tg.optim.ExponentialLR(_opt(), gamma=0.5)
        ),
        ValueError,
        ("lr to nan", "base lr nan", "set the group's lr to a finite number >= 0"),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
