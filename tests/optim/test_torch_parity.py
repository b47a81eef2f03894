"""Parity with torch.optim: the same function, the same starting point, the same hyper-parameters must give the
same trajectory, state and learning rates.

PyTorch is never a dependency: this module is skipped where it is not installed (as in CI). To run it, use a
separate environment with torch and this package installed, e.g.
``python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy pytest hypothesis -e .``, then
``/tmp/torchvenv/bin/python -m pytest tests/optim/test_torch_parity.py``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

STEPS = 6
SHAPES = [(3, 4), (5,)]


def _problem(seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=s) for s in SHAPES]
    curvatures = [rng.uniform(0.5, 3.0, size=s) for s in SHAPES]
    shifts = [rng.normal(size=s) for s in SHAPES]
    return starts, curvatures, shifts


def _loss(params, curvatures, shifts):
    """f = sum_i 1/2 c_i p_i^2 - d_i p_i + 0.05 p_i^4: convex, non-quadratic, so the gradient changes along the
    trajectory. The same expression works on tinygrad_edu and torch tensors."""
    total = 0.0
    for p, c, d in zip(params, curvatures, shifts, strict=True):
        total = total + (0.5 * c * p * p - d * p + 0.05 * p**4).sum()
    return total


def _run_ours(cls, kwargs, dtype, groups=None):
    starts, curv, shift = _problem()
    params = [tg.Tensor(s.astype(dtype), requires_grad=True) for s in starts]
    consts = [[tg.Tensor(a.astype(dtype)) for a in arrs] for arrs in (curv, shift)]
    opt = cls(groups(params) if groups else params, **kwargs)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        _loss(params, *consts).backward()
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory, [dict(opt.state[p]) for p in params]


def _run_torch(cls, kwargs, dtype, groups=None):
    starts, curv, shift = _problem()
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    params = [torch.tensor(s, dtype=tdtype, requires_grad=True) for s in starts]
    consts = [[torch.tensor(a, dtype=tdtype) for a in arrs] for arrs in (curv, shift)]
    opt = cls(groups(params) if groups else params, **kwargs)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        _loss(params, *consts).backward()
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory, [opt.state[p] for p in params]


def _assert_same(ours, theirs, dtype):
    rtol, atol = (1e-12, 1e-13) if dtype == np.float64 else (1e-5, 1e-5)
    (traj_a, state_a), (traj_b, state_b) = ours, theirs
    for step, (a, b) in enumerate(zip(traj_a, traj_b, strict=True)):
        for i, (pa, pb) in enumerate(zip(a, b, strict=True)):
            assert pa.dtype == dtype
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol, err_msg=f"step {step + 1}, parameter {i}")
    for sa, sb in zip(state_a, state_b, strict=True):
        for key, value in sb.items():
            if value is None:  # torch's SGD keeps momentum_buffer=None without momentum
                continue
            value = value.item() if value.ndim == 0 else value.numpy()
            np.testing.assert_allclose(sa[key], value, rtol=rtol, atol=atol, err_msg=f"state {key!r}")


def _sgd_configs():
    for m, d, nesterov, wd, maximize in itertools.product(
        [0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 0.1], [False, True]
    ):
        if nesterov and (m == 0 or d != 0):
            continue
        yield {
            "lr": 0.05,
            "momentum": m,
            "dampening": d,
            "nesterov": nesterov,
            "weight_decay": wd,
            "maximize": maximize,
        }


def _adam_configs(default_wd):
    for wd, amsgrad, maximize, betas in itertools.product(
        [default_wd, 0.1], [False, True], [False, True], [(0.9, 0.999), (0.8, 0.5)]
    ):
        yield {"lr": 0.05, "weight_decay": wd, "amsgrad": amsgrad, "maximize": maximize, "betas": betas}


def _rmsprop_configs():
    for centered, momentum, wd, maximize, alpha in itertools.product(
        [False, True], [0.0, 0.5], [0.0, 0.1], [False, True], [0.99, 0.5]
    ):
        yield {
            "lr": 0.01,
            "alpha": alpha,
            "centered": centered,
            "momentum": momentum,
            "weight_decay": wd,
            "maximize": maximize,
        }


def _adagrad_configs():
    for lr_decay, wd, init, maximize in itertools.product([0.0, 0.1], [0.0, 0.1], [0.0, 0.5], [False, True]):
        yield {
            "lr": 0.1,
            "lr_decay": lr_decay,
            "weight_decay": wd,
            "initial_accumulator_value": init,
            "maximize": maximize,
        }


CASES = [
    *[("SGD", kw) for kw in _sgd_configs()],
    *[("Adam", kw) for kw in _adam_configs(0.0)],
    *[("AdamW", kw) for kw in _adam_configs(0.01)],
    *[("RMSprop", kw) for kw in _rmsprop_configs()],
    *[("Adagrad", kw) for kw in _adagrad_configs()],
    ("Adam", {}),  # every default
    ("AdamW", {}),
    ("RMSprop", {}),
    ("Adagrad", {}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_optimizer_matches_torch(name, kwargs, dtype):
    ours = _run_ours(getattr(tg.optim, name), kwargs, dtype)
    theirs = _run_torch(getattr(torch.optim, name), kwargs, dtype)
    _assert_same(ours, theirs, dtype)


def test_state_names_match_torch():
    for name, kwargs in [
        ("Adam", {"amsgrad": True}),
        ("RMSprop", {"centered": True, "momentum": 0.5}),
        ("Adagrad", {}),
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ]:
        (_, ours), (_, theirs) = (
            run(cls, kwargs, np.float64)
            for run, cls in [(_run_ours, getattr(tg.optim, name)), (_run_torch, getattr(torch.optim, name))]
        )
        assert set(ours[0]) == set(theirs[0]), name


def test_gd_matches_torch_sgd_without_momentum():
    ours = _run_ours(tg.optim.GD, {"lr": 0.05}, np.float64)
    theirs = _run_torch(torch.optim.SGD, {"lr": 0.05}, np.float64)
    _assert_same(ours, theirs, np.float64)


def test_param_groups_match_torch():
    def groups(params):
        return [{"params": [params[0]], "lr": 0.01}, {"params": [params[1]], "momentum": 0.5}]

    ours = _run_ours(tg.optim.SGD, {"lr": 0.1, "momentum": 0.9}, np.float64, groups)
    theirs = _run_torch(torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, np.float64, groups)
    _assert_same(ours, theirs, np.float64)


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, None),
    ("StepLR", {"step_size": 1}, None),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}, None),
    ("ExponentialLR", {"gamma": 0.9}, None),
    ("CosineAnnealingLR", {"T_max": 10}, None),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, None),  # 30 steps: past T_max, back up the cosine
    ("LambdaLR", {"lr_lambda": lambda t: 0.95**t + 0.1 * (t % 3)}, None),
    ("InverseTimeLR", {"decay": 0.3}, lambda t: 1.0 / (1.0 + 0.3 * t)),
    ("InverseTimeLR", {"decay": 0.5, "power": 0.75}, lambda t: 1.0 / (1.0 + 0.5 * t) ** 0.75),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "as_lambda"), SCHEDULES, ids=[f"{s[0]}-{i}" for i, s in enumerate(SCHEDULES)]
)
def test_schedule_matches_torch(name, kwargs, as_lambda):
    ours_p = [tg.Tensor(np.ones(2), requires_grad=True), tg.Tensor(np.ones(3), requires_grad=True)]
    torch_p = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    ours_opt = tg.optim.SGD([{"params": [ours_p[0]]}, {"params": [ours_p[1]], "lr": 0.3}], lr=0.1)
    torch_opt = torch.optim.SGD([{"params": [torch_p[0]]}, {"params": [torch_p[1]], "lr": 0.3}], lr=0.1)
    ours = getattr(tg.optim, name)(ours_opt, **kwargs)
    if as_lambda is None:
        theirs = getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs)
    else:
        theirs = torch.optim.lr_scheduler.LambdaLR(torch_opt, as_lambda)
    for t in range(30):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15), f"t={t}"
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx(
            [g["lr"] for g in torch_opt.param_groups], rel=1e-12, abs=1e-15
        )
        torch_opt.step()  # torch warns if the scheduler steps before the optimiser
        ours.step()
        theirs.step()
    assert not math.isnan(ours.get_last_lr()[0])
