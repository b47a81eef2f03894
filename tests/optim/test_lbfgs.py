"""LBFGS: step by step against torch.optim.LBFGS (where torch is installed), convergence, the two-loop recursion and
the cubic interpolation as properties, fit's closure, the errors, and state_dict round trips."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.optim.lbfgs import _cubic_interpolate, _two_loop

F = tg.nn.functional

ROSENBROCK_START = np.array([-1.2, 1.0])


def rosenbrock(params):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1); the same expression on both libraries."""
    (w,) = params
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def _logistic_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.3 + rng.normal(size=50) > 0).astype(np.float64)
    return X, y


X_LOGISTIC, Y_LOGISTIC = _logistic_data()


def logistic(params, lib=None):
    """Mean binary cross-entropy of sigmoid(X w + b): two parameters, w (3,) and b (1,)."""
    w, b = params
    dtype = np.dtype(str(w.dtype).removeprefix("torch."))
    X, y = X_LOGISTIC.astype(dtype), Y_LOGISTIC.astype(dtype)
    if lib is not None:  # torch
        return lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor(X) @ w + b, lib.tensor(y))
    return F.binary_cross_entropy_with_logits(tg.Tensor(X) @ w + b, tg.Tensor(y))


PROBLEMS = {
    "rosenbrock": (rosenbrock, lambda: [ROSENBROCK_START.copy()]),
    "logistic": (logistic, lambda: [np.zeros(3), np.zeros(1)]),
}


def _closure(opt, loss_fn: Callable, params, calls: list | None = None) -> Callable:
    def closure():
        opt.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        if calls is not None:
            calls.append(loss)
        return loss

    return closure


def _lbfgs(problem: str, dtype=np.float64, **kwargs):
    loss_fn, starts = PROBLEMS[problem]
    params = [tg.Tensor(s.astype(dtype), requires_grad=True) for s in starts()]
    opt = tg.optim.LBFGS(params, **kwargs)
    return params, opt, _closure(opt, loss_fn, params)


def _flat(params) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in params])  # tinygrad_edu's and torch's Tensors


# ---- step by step against torch.optim.LBFGS ---------------------------------------------------------------------


def _as_numpy(value):
    """torch's state value (a tensor, a list of them, a number) in numpy terms."""
    if isinstance(value, list):
        return [_as_numpy(v) for v in value]
    if hasattr(value, "detach"):
        return value.detach().numpy().copy()  # a copy: torch updates prev_flat_grad in place
    return value


class _Run:
    """LBFGS on a problem with tinygrad_edu (``lib=None``) or torch; ``step()`` records params, loss and state."""

    def __init__(self, problem: str, kwargs: dict, lib=None, dtype=np.float64) -> None:
        loss_fn, starts = PROBLEMS[problem]
        if lib is None:
            self.params = [tg.Tensor(s.astype(dtype), requires_grad=True) for s in starts()]
            self.opt = tg.optim.LBFGS(self.params, **kwargs)
        else:
            self.params = [lib.tensor(s.astype(dtype), requires_grad=True) for s in starts()]
            self.opt = lib.optim.LBFGS(self.params, **kwargs)
            if problem == "logistic":
                loss_fn = functools.partial(logistic, lib=lib)
        self.closure = _closure(self.opt, loss_fn, self.params)

    def step(self) -> dict:
        loss = float(self.opt.step(self.closure).detach())
        state = {k: _as_numpy(v) for k, v in self.opt.state[self.params[0]].items() if k != "al"}  # torch's scratch
        return {"params": _flat(self.params), "loss": loss, "state": state}

    def take_over(self, torch_run: _Run) -> None:
        """Continue from torch's parameters and state (its state_dict, in numpy terms)."""
        for p, q in zip(self.params, torch_run.params, strict=True):
            p.data[...] = q.detach().numpy()
        saved = torch_run.opt.state_dict()
        state = {i: {k: _as_numpy(v) for k, v in s.items() if k != "al"} for i, s in saved["state"].items()}
        self.opt.load_state_dict({"state": state, "param_groups": saved["param_groups"]})


#: (problem, line search, max_iter, max_eval, lr, steps). history_size=3 everywhere, so the memory wraps.
#: Rosenbrock without a line search uses lr=0.5 with max_iter=20: fixed steps of 1 jump to (12.9, -14.5) and
#: back, where the rounding of the two libraries (torch's add_ uses a fused multiply-add) grows past 1e-10.
PARITY_CASES = [
    ("rosenbrock", None, 1, None, 1.0, 8),
    ("rosenbrock", None, 5, None, 1.0, 4),
    ("rosenbrock", None, 20, None, 0.5, 3),
    # max_iter=1 gives max_eval=1: the line search may evaluate one trial point, taken only if it lowers the
    # loss; on Rosenbrock it never does, so neither library moves (max_eval=5 lets the search work)
    ("rosenbrock", "strong_wolfe", 1, None, 1.0, 4),
    ("rosenbrock", "strong_wolfe", 1, 5, 1.0, 8),
    ("rosenbrock", "strong_wolfe", 5, None, 1.0, 4),
    ("rosenbrock", "strong_wolfe", 20, None, 1.0, 3),
    *[("logistic", ls, m, None, 1.0, {1: 8, 5: 4, 20: 3}[m]) for ls in (None, "strong_wolfe") for m in (1, 5, 20)],
]


def _assert_same_state(ours: dict, theirs: dict, where: str) -> None:
    assert set(ours) == set(theirs), where
    assert ours["func_evals"] == theirs["func_evals"], where
    assert ours["n_iter"] == theirs["n_iter"], where
    for key in ("d", "prev_flat_grad", "t", "H_diag", "prev_loss"):
        if key in theirs:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-9, atol=1e-10, err_msg=f"{where}, {key}")
    for key in ("old_dirs", "old_stps", "ro"):
        if key in theirs:
            assert len(ours[key]) == len(theirs[key]), where
            for a, b in zip(ours[key], theirs[key], strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10, err_msg=f"{where}, {key}")


PARITY_IDS = [f"{c[0]}-{c[1]}-max_iter={c[2]}-max_eval={c[3]}" for c in PARITY_CASES]


@pytest.mark.parametrize("from_the_same_state", [False, True], ids=["trajectory", "each-step-from-torchs-state"])
@pytest.mark.parametrize(
    ("problem", "line_search_fn", "max_iter", "max_eval", "lr", "steps"), PARITY_CASES, ids=PARITY_IDS
)
def test_every_step_matches_torch(problem, line_search_fn, max_iter, max_eval, lr, steps, from_the_same_state):
    """Two checks: the whole trajectory (rounding differences may grow along it: up to 2e-10 on Rosenbrock, where
    torch's add_ rounds once with a fused multiply-add and numpy twice), and each step taken from torch's
    parameters and state (the differences of one step only)."""
    torch = pytest.importorskip("torch")
    kwargs = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "history_size": 3, "line_search_fn": line_search_fn}
    ours, theirs = _Run(problem, kwargs), _Run(problem, kwargs, lib=torch)
    atol = 1e-10 if from_the_same_state else 5e-10
    for k in range(steps):
        if from_the_same_state and k > 0:
            ours.take_over(theirs)
        a, b = ours.step(), theirs.step()
        where = f"step {k + 1}"
        np.testing.assert_allclose(a["params"], b["params"], rtol=0, atol=atol, err_msg=where)
        assert a["loss"] == pytest.approx(b["loss"], rel=0, abs=1e-10), where
        if from_the_same_state:
            _assert_same_state(a["state"], b["state"], where)
        else:  # along the trajectory, the gradients in the state scale the parameters' rounding by the curvature
            assert (a["state"]["func_evals"], a["state"]["n_iter"]) == (b["state"]["func_evals"], b["state"]["n_iter"])
    if max_iter > 1:  # the memory filled up and wrapped: it holds history_size pairs
        assert len(a["state"]["old_dirs"]) == 3


def test_a_stationary_start_returns_after_one_call_like_torch():
    torch = pytest.importorskip("torch")
    w = tg.Tensor(np.ones(2), requires_grad=True)  # Rosenbrock's minimum: the gradient is exactly 0
    opt = tg.optim.LBFGS([w])
    calls: list = []
    returned = opt.step(_closure(opt, rosenbrock, [w], calls))
    tw = torch.ones(2, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.LBFGS([tw])
    topt.step(_closure(topt, rosenbrock, [tw]))
    assert returned is calls[0] and len(calls) == 1
    assert opt.state[w] == {"func_evals": 1, "n_iter": 0} == topt.state[tw]
    np.testing.assert_array_equal(w.data, np.ones(2))


def test_float32_parameters_stay_float32_and_follow_torch():
    torch = pytest.importorskip("torch")
    kwargs = {"max_iter": 5, "history_size": 3, "line_search_fn": "strong_wolfe"}
    ours, theirs = _Run("logistic", kwargs, dtype=np.float32), _Run("logistic", kwargs, lib=torch, dtype=np.float32)
    for _ in range(4):
        a, b = ours.step(), theirs.step()
        assert a["params"].dtype == np.float32
        assert a["state"]["d"].dtype == a["state"]["prev_flat_grad"].dtype == np.float32
        assert all(np.asarray(r).dtype == np.float32 for r in a["state"]["ro"])
        # float32 rounding differs between the two libraries' losses and gradients, not the algorithm
        np.testing.assert_allclose(a["params"], b["params"], rtol=1e-4, atol=1e-6)


# ---- convergence (no torch) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_converges_on_an_ill_conditioned_quadratic(line_search_fn):
    q = tg.data.make_quadratic(d=5, condition_number=100, seed=0)
    A, b = tg.Tensor(q.A), tg.Tensor(q.b)
    w = tg.Tensor(np.zeros(5), requires_grad=True)
    # tolerance_change=0: near w* the loss f = 1/2 w'Aw - b'w changes by less than its own rounding, so the
    # default loss-change test (1e-9) would stop at |w - w*| ~ 1e-5
    opt = tg.optim.LBFGS([w], tolerance_grad=1e-10, tolerance_change=0, line_search_fn=line_search_fn)
    closure = _closure(opt, lambda p: 0.5 * (p[0] @ (A @ p[0])) - b @ p[0], [w])
    opt.step(closure)
    np.testing.assert_allclose(w.data, q.w_star, rtol=0, atol=1e-8)
    assert opt.state[w]["n_iter"] <= 20  # gradient descent with lr = 1/L needs ~ kappa ln(1e8) = 1800


@pytest.mark.parametrize(("line_search_fn", "steps"), [(None, 4), ("strong_wolfe", 2)])
def test_converges_on_rosenbrock(line_search_fn, steps):
    params, opt, closure = _lbfgs("rosenbrock", tolerance_grad=1e-10, tolerance_change=0, line_search_fn=line_search_fn)
    for _ in range(steps):
        opt.step(closure)
    np.testing.assert_allclose(params[0].data, [1.0, 1.0], rtol=0, atol=1e-10)


def _random_quadratic(seed: int, d: int, kappa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    A = Q @ np.diag(np.geomspace(1.0, kappa, d)) @ Q.T
    b = rng.normal(size=d)
    return A, b, np.linalg.solve(A, b)


@given(st.integers(0, 2**16), st.integers(2, 8), st.floats(1.0, 1e3))
def test_strong_wolfe_lbfgs_solves_random_quadratics(seed, d, kappa):
    A, b, w_star = _random_quadratic(seed, d, kappa)
    w = tg.Tensor(np.zeros(d), requires_grad=True)
    opt = tg.optim.LBFGS([w], tolerance_grad=1e-9, tolerance_change=0, line_search_fn="strong_wolfe")
    closure = _closure(opt, lambda p: 0.5 * (p[0] @ (tg.Tensor(A) @ p[0])) - tg.Tensor(b) @ p[0], [w])
    for _ in range(2):
        opt.step(closure)
    assert np.abs(w.data - w_star).max() <= 1e-6 * max(1.0, np.abs(w_star).max())


# ---- the pieces: the two-loop recursion and the cubic interpolation, as properties -------------------------------


@given(st.integers(0, 2**16), st.integers(1, 6), st.integers(1, 5))
def test_two_loop_applies_an_inverse_hessian_that_satisfies_the_secant_equation(seed, n, m):
    """With pairs (s_i, y_i = B s_i), B symmetric positive definite: H y_newest = s_newest, and H is symmetric
    positive definite (u'Hv = v'Hu, v'Hv > 0)."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    B = M @ M.T + 0.5 * np.eye(n)
    stps = [rng.normal(size=n) for _ in range(m)]
    dirs = [B @ s for s in stps]
    ro = [1.0 / (y @ s) for y, s in zip(dirs, stps, strict=True)]
    gamma = (dirs[-1] @ stps[-1]) / (dirs[-1] @ dirs[-1])

    def H(v: np.ndarray) -> np.ndarray:
        return _two_loop(v.copy(), dirs, stps, ro, gamma)

    np.testing.assert_allclose(H(dirs[-1]), stps[-1], rtol=1e-7, atol=1e-9 * np.abs(stps[-1]).max())
    u, v = rng.normal(size=n), rng.normal(size=n)
    assert u @ H(v) == pytest.approx(v @ H(u), rel=1e-7, abs=1e-9)
    assert v @ H(v) > 0


def test_two_loop_without_memory_is_the_scaled_identity():
    q = np.array([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(_two_loop(q.copy(), [], [], [], 0.25), 0.25 * q)


@given(
    st.floats(-3.0, 3.0),
    st.floats(0.1, 3.0),
    st.floats(0.05, 0.95),
    st.floats(0.1, 3.0),
    st.floats(0.1, 10.0),
)
def test_cubic_interpolation_finds_the_minimum_of_a_cubic(m, gap, where, width, scale):
    """For p(x) = c (x^3/3 - (m + M) x^2/2 + m M x), p' = c (x - m)(x - M) with M < m: a local minimum at m. Two
    points around m with their values and slopes determine p, so the interpolation returns m exactly."""
    M = m - gap

    def p(x):
        return scale * (x**3 / 3 - (m + M) * x**2 / 2 + m * M * x)

    def dp(x):
        return scale * (x - m) * (x - M)

    x1 = m - where * min(width, gap)  # between the local maximum M and m
    x2 = m + width
    for a, b in ((x1, x2), (x2, x1)):
        assert _cubic_interpolate(a, p(a), dp(a), b, p(b), dp(b)) == pytest.approx(m, abs=1e-8)


def test_cubic_interpolation_is_clipped_to_its_bounds_and_falls_back_to_the_midpoint():
    # the minimum of x^2 (as a cubic through 1 and 2) is at 0, outside the bounds [1.5, 1.8]
    assert _cubic_interpolate(1.0, 1.0, 2.0, 2.0, 4.0, 4.0, bounds=(1.5, 1.8)) == 1.5
    # no real solution (d1 = 1 + 1 - 3 (0 - 2/3) / (0 - 1) = 0, d1^2 < g1 g2 = 1): the middle of the interval
    assert _cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0) == 0.5


# ---- behaviour ------------------------------------------------------------------------------------------------


def test_step_returns_the_first_closure_loss_and_counts_every_call():
    params, opt, _ = _lbfgs("rosenbrock", max_iter=5)
    calls: list = []
    returned = opt.step(_closure(opt, rosenbrock, params, calls))
    assert returned is calls[0]
    assert returned.item() == pytest.approx(24.2)  # f(-1.2, 1) = 2.2^2 + 100 * 0.44^2
    assert opt.state[params[0]]["func_evals"] == len(calls) == 5  # one per iteration without a line search
    assert opt.state[params[0]]["n_iter"] == 5


def test_the_defaults_are_pytorchs():
    opt = tg.optim.LBFGS([tg.Tensor([1.0], requires_grad=True)])
    assert opt.defaults == {
        "lr": 1,
        "max_iter": 20,
        "max_eval": 25,
        "tolerance_grad": 1e-7,
        "tolerance_change": 1e-9,
        "history_size": 100,
        "line_search_fn": None,
    }
    assert tg.optim.LBFGS.requires_closure is True
    assert tg.optim.LBFGS([tg.Tensor([1.0], requires_grad=True)], max_iter=7).defaults["max_eval"] == 8


def test_parameters_are_updated_in_place_and_an_unused_one_stays():
    w = tg.Tensor(np.zeros(3), requires_grad=True)
    b = tg.Tensor(np.zeros(1), requires_grad=True)
    unused = tg.Tensor(np.array([[5.0, 6.0]]), requires_grad=True)  # never reached by backward: .grad is None
    arrays = [w.data, b.data, unused.data]
    opt = tg.optim.LBFGS([unused, w, b], line_search_fn="strong_wolfe")
    closure = _closure(opt, lambda p: logistic(p[1:]), [unused, w, b])
    first = opt.step(closure).item()
    assert closure().item() < first
    assert all(now is before for now, before in zip([w.data, b.data, unused.data], arrays, strict=True))
    np.testing.assert_array_equal(unused.data, [[5.0, 6.0]])
    state = opt.state[unused]  # the global state lives under the first parameter, as in PyTorch
    assert state["d"].shape == state["prev_flat_grad"].shape == (6,)
    assert set(opt.state) == {unused}


def test_a_failing_closure_inside_the_line_search_leaves_the_parameters_at_the_start():
    params, opt, _ = _lbfgs("rosenbrock", line_search_fn="strong_wolfe")
    calls: list = []
    inner = _closure(opt, rosenbrock, params, calls)

    def closure():
        if len(calls) == 1:  # the first trial point of the line search
            raise RuntimeError("out of memory")
        return inner()

    with pytest.raises(RuntimeError, match="out of memory"):
        opt.step(closure)
    np.testing.assert_array_equal(params[0].data, ROSENBROCK_START)


def test_closure_may_return_a_number():
    w = tg.Tensor(np.array([3.0]), requires_grad=True)
    opt = tg.optim.LBFGS([w], tolerance_change=0)

    def closure():
        opt.zero_grad()
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        return loss.item()

    assert opt.step(closure) == 4.0
    np.testing.assert_allclose(w.data, [1.0], atol=1e-12)


# ---- fit builds the closure -----------------------------------------------------------------------------------


def test_fit_trains_with_lbfgs_and_counts_the_closure_calls():
    X, y, _ = tg.data.make_linear_regression(50, 3, noise=0.1, bias=0.5, seed=0)

    def model_and_opt():
        tg.manual_seed(0)
        model = tg.nn.Linear(3, 1, dtype=np.float64)
        return model, tg.optim.LBFGS(model.parameters(), max_iter=10, history_size=5, line_search_fn="strong_wolfe")

    model, opt = model_and_opt()
    h = tg.train.fit(model, F.mse_loss, opt, (X, y), epochs=3, progress=False)

    ref, ref_opt = model_and_opt()  # the same steps, written by hand
    Xt, yt = tg.Tensor(X), tg.Tensor(y)
    losses = [float(ref_opt.step(_closure(ref_opt, lambda p: F.mse_loss(ref(Xt), yt), None)).data) for _ in range(3)]
    assert h.loss == losses  # fit's recorded loss is the loss at the parameters before each step
    assert model.weight.data.tobytes() == ref.weight.data.tobytes()
    calls = opt.state[model.weight]["func_evals"]  # the closure calls of all steps
    assert calls > 3
    assert h.grad_evals[-1] == len(X) * (3 + calls)  # fit's own evaluation per iteration, plus each closure call
    # the least-squares solution, up to where the loss changes by less than tolerance_change = 1e-9
    Xb = np.c_[X, np.ones(len(X))]
    w_opt = np.linalg.lstsq(Xb, y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[model.weight.data.ravel(), model.bias.data], w_opt.ravel(), atol=1e-4)
    assert F.mse_loss(model(Xt), yt).item() - np.mean((Xb @ w_opt - y) ** 2) < 1e-9
    assert h.loss[-1] < h.loss[0] / 10


# ---- state_dict ---------------------------------------------------------------------------------------------


def _two_steps_then():
    params, opt, closure = _lbfgs("logistic", max_iter=3, history_size=2, line_search_fn="strong_wolfe")
    for _ in range(2):
        opt.step(closure)
    return params, opt, closure


@pytest.mark.parametrize("through_a_file", [False, True])
def test_a_resumed_lbfgs_continues_exactly_like_the_uninterrupted_one(tmp_path, through_a_file):
    params, opt, closure = _two_steps_then()
    saved = opt.state_dict()
    values = [p.data.copy() for p in params]
    for _ in range(2):
        opt.step(closure)
    if through_a_file:
        tg.save(saved, tmp_path / "lbfgs.npz")
        saved = tg.load(tmp_path / "lbfgs.npz")

    resumed = [tg.Tensor(v, requires_grad=True) for v in values]
    opt2 = tg.optim.LBFGS(resumed, max_iter=3, history_size=2, line_search_fn="strong_wolfe")
    opt2.load_state_dict(saved)
    closure2 = _closure(opt2, logistic, resumed)
    for _ in range(2):
        opt2.step(closure2)
    for a, b in zip(params, resumed, strict=True):
        assert a.data.tobytes() == b.data.tobytes()
    s, s2 = opt.state[params[0]], opt2.state[resumed[0]]
    assert (s2["func_evals"], s2["n_iter"]) == (s["func_evals"], s["n_iter"])
    assert s2["d"].tobytes() == s["d"].tobytes()


def test_state_dict_is_a_copy_and_names_lbfgs():
    params, opt, closure = _two_steps_then()
    sd = opt.state_dict()
    assert sd["optimizer"] == "LBFGS" and list(sd["state"]) == [0]
    before = sd["state"][0]["old_dirs"][0].copy()
    opt.step(closure)
    np.testing.assert_array_equal(sd["state"][0]["old_dirs"][0], before)
    assert sd["state"][0]["d"] is not opt.state[params[0]]["d"]


def test_load_state_dict_casts_to_the_parameters_dtype():
    _, opt, _ = _two_steps_then()
    params32, opt32, closure32 = _lbfgs("logistic", dtype=np.float32, max_iter=3, history_size=2)
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[params32[0]]
    assert state["d"].dtype == np.float32 and all(y.dtype == np.float32 for y in state["old_dirs"])
    assert all(np.asarray(r).dtype == np.float32 for r in state["ro"])
    opt32.step(closure32)
    assert params32[0].data.dtype == np.float32


# ---- bad inputs: every message --------------------------------------------------------------------------------


def _w() -> tg.Tensor:
    return tg.Tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lr": -1.0}, ValueError, r"lr must be >= 0, got lr=-1.0; pass e.g. lr=1 \(PyTorch's default"),
        ({"lr": math.nan}, ValueError, r"lr must be >= 0, got lr=nan"),
        ({"lr": math.inf}, ValueError, r"lr must be finite, got lr=inf; pass e.g. lr=1"),
        ({"lr": "1"}, TypeError, r"lr must be a real number, got '1' \(str\)"),
        ({"max_iter": 0}, ValueError, r"max_iter must be a positive int, got max_iter=0; pass e.g. max_iter=20"),
        ({"max_iter": 2.5}, ValueError, r"max_iter must be a positive int, got max_iter=2.5; pass e.g. max_iter=20"),
        ({"max_iter": True}, ValueError, r"max_iter must be a positive int, got max_iter=True"),
        ({"max_eval": 0}, ValueError, r"max_eval must be a positive int, got max_eval=0; pass e.g. max_eval=25"),
        ({"history_size": 0}, ValueError, r"history_size must be a positive int, got history_size=0; pass e.g. "),
        ({"history_size": "10"}, ValueError, r"history_size must be a positive int, got history_size='10'"),
        (
            {"tolerance_grad": -1e-7},
            ValueError,
            r"tolerance_grad must be a finite number >= 0, got tolerance_grad=-1e-07; pass e.g. tolerance_grad=1e-07",
        ),
        ({"tolerance_grad": math.nan}, ValueError, r"tolerance_grad must be a finite number >= 0, got .*=nan"),
        ({"tolerance_grad": None}, TypeError, r"tolerance_grad must be a real number, got None \(NoneType\)"),
        (
            {"tolerance_change": math.inf},
            ValueError,
            r"tolerance_change must be a finite number >= 0, got tolerance_change=inf; pass e.g. "
            r"tolerance_change=1e-09",
        ),
        ({"tolerance_change": "0"}, TypeError, r"tolerance_change must be a real number, got '0' \(str\)"),
        (
            {"line_search_fn": "armijo"},
            ValueError,
            r"line_search_fn must be None or 'strong_wolfe', got line_search_fn='armijo'; pass "
            r"line_search_fn='strong_wolfe'",
        ),
    ],
)
def test_bad_hyperparameters_are_refused_with_the_value_and_the_fix(kwargs, error, match):
    with pytest.raises(error, match=match):
        tg.optim.LBFGS([_w()], **kwargs)


def test_only_one_parameter_group():
    match = r"LBFGS supports a single parameter group \(as PyTorch's does\).*LBFGS\(model.parameters\(\)\)"
    with pytest.raises(ValueError, match=match):
        tg.optim.LBFGS([{"params": [_w()]}, {"params": [_w()], "lr": 0.5}])
    opt = tg.optim.LBFGS([_w()])
    with pytest.raises(ValueError, match=match):
        opt.add_param_group({"params": [_w()]})
    assert len(opt.param_groups) == 1


def test_a_group_dict_is_validated_too():
    with pytest.raises(
        ValueError, match=r"parameter group 0: history_size must be a positive int, got history_size=-1"
    ):
        tg.optim.LBFGS([{"params": [_w()], "history_size": -1}])


def test_step_needs_a_closure():
    opt = tg.optim.LBFGS([_w()])
    match = r"LBFGS.step\(\) needs a closure .* e.g. def closure\(\): opt.zero_grad\(\); loss = .*return loss"
    with pytest.raises(ValueError, match=match):
        opt.step()
    with pytest.raises(TypeError, match=r"closure must be a callable that returns the loss, got 3 \(int\)"):
        opt.step(3)


@pytest.mark.parametrize(
    ("returned", "match"),
    [
        (None, r"the closure must return the loss \(a one-element Tensor or a number\), got None \(NoneType\); "),
        (tg.Tensor([1.0, 2.0]), r"got a Tensor of shape \(2,\); reduce the loss to one number \(e.g. .mean\(\)\)"),
        ("0.5", r"the closure must return the loss .*, got '0.5' \(str\)"),
    ],
)
def test_the_closure_must_return_the_loss(returned, match):
    w = _w()
    opt = tg.optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        (w * w).sum().backward()
        return returned

    with pytest.raises(TypeError, match=match):
        opt.step(closure)


def _saved_state() -> dict:
    _, opt, _ = _two_steps_then()  # 4 elements in 2 parameters
    return opt.state_dict()


def _logistic_lbfgs():
    return _lbfgs("logistic", max_iter=3, history_size=2, line_search_fn="strong_wolfe")[1]


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (
            lambda sd: sd["state"][0].update(d=np.zeros(3)),
            ValueError,
            r"state 'd' has shape \(3,\) but LBFGS's vectors have one entry per element of all the parameters, "
            r"shape \(4,\)",
        ),
        (
            lambda sd: sd["state"][0]["old_stps"].append(np.zeros(5)),
            ValueError,
            r"state 'old_stps' has shape \(5,\)",
        ),
        (
            lambda sd: sd["state"].update({1: sd["state"].pop(0)}),
            ValueError,
            r"state for parameter index\(es\) \['1'\], but LBFGS keeps its state under the first parameter only "
            r"\(index 0\)",
        ),
        (
            lambda sd: sd["state"].update({0: [1, 2]}),
            TypeError,
            r"the state dict's state for parameter 0 must be a dict, got list",
        ),
        (
            lambda sd: sd["param_groups"][0]["params"].pop(),
            ValueError,
            r"parameter group 0 has 2 parameter\(s\) but the state dict's group has 1",
        ),
        (
            lambda sd: sd["param_groups"][0].update(history_size=0),
            ValueError,
            r"parameter group 0 of the state dict: history_size must be a positive int",
        ),
        (lambda sd: sd.update(optimizer="SGD"), ValueError, r"the state dict was saved by SGD but this optimiser is"),
    ],
)
def test_load_state_dict_refuses_a_state_that_does_not_fit_and_changes_nothing(edit, error, match):
    sd = _saved_state()
    edit(sd)
    opt = _logistic_lbfgs()
    with pytest.raises(error, match=match):
        opt.load_state_dict(sd)
    assert not opt.state and opt.param_groups[0]["history_size"] == 2
