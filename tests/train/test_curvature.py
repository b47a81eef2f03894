"""``tg.train.curvature``: lambda_max, lambda_min, kappa and 2/lambda_max of a model's loss, from HVPs.

``make_quadratic``'s known L and mu must come out to 1e-6 (the least-squares form's Hessian is exactly ``q.A``);
on an MLP the three methods must agree with each other and with the eigenvalues of the Hessian from
``tg.hessian``; and 2/lambda_max must be the real edge: GD converges just below it and diverges just above.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.train.curvature import _lanczos, _power_both_ends

F = tg.nn.functional


def linear_model(d: int) -> tg.nn.Linear:
    return tg.nn.Linear(d, 1, bias=False, dtype=np.float64)


def check_quadratic(method: str, d: int, kappa: float, seed: int) -> None:
    q = tg.data.make_quadratic(d=d, condition_number=kappa, seed=seed)
    c = tg.train.curvature(linear_model(d), F.mse_loss, (q.X, q.y), method=method, max_iter=5000)
    assert c.converged
    assert abs(c.lambda_max - q.L) <= 1e-6 * q.L
    assert abs(c.lambda_min - q.mu) <= 1e-6 * q.L
    assert c.condition_number == pytest.approx(kappa, rel=1e-5)
    assert c.max_stable_lr == pytest.approx(q.max_stable_lr, rel=1e-6)
    assert c.n_params == d
    u = c.top_eigenvector
    np.testing.assert_allclose(q.A @ u, q.L * u, atol=1e-4 * q.L)


@pytest.mark.parametrize("method", ["lanczos", "exact"])
@given(d=st.integers(2, 12), kappa=st.sampled_from([1.5, 10.0, 100.0, 1e4]), seed=st.integers(0, 50))
def test_make_quadratic_L_and_mu_come_out_to_1e_6(method: str, d: int, kappa: float, seed: int):
    check_quadratic(method, d, kappa, seed)


@given(d=st.integers(2, 3), kappa=st.sampled_from([1.5, 10.0]), seed=st.integers(0, 50))
def test_power_iteration_too_on_small_quadratics(d: int, kappa: float, seed: int):
    """Power iteration's shifted phase converges at the rate (L - lambda_2)/(L - mu) per product: only small,
    well-separated spectra suit a fast test (test_solvers_on_a_known_spectrum covers a bigger one)."""
    check_quadratic("power", d, kappa, seed)


def test_the_hessian_of_an_mlp_agrees_three_ways():
    X, y = tg.data.make_moons(120, noise=0.2, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(2, 6, dtype=np.float64), tg.nn.ReLU(), tg.nn.Linear(6, 2, dtype=np.float64))
    results = {m: tg.train.curvature(model, F.cross_entropy, (X, y), method=m) for m in ("exact", "lanczos")}
    params = list(model.parameters())

    def loss_of(*values: Tensor) -> Tensor:
        return F.cross_entropy(_forward(model, values, X), Tensor(y))

    H = tg.hessian(loss_of, tuple(Tensor(p.data.copy()) for p in params))
    sizes = [p.size for p in params]
    full = np.block([[H[i][j].reshape(sizes[i], sizes[j]) for j in range(len(params))] for i in range(len(params))])
    eigenvalues = np.linalg.eigvalsh(full)
    exact = results["exact"]
    np.testing.assert_allclose(exact.eigenvalues, eigenvalues, atol=1e-10)
    np.testing.assert_allclose(exact.hessian, full, atol=1e-10)
    for c in results.values():
        assert c.lambda_max == pytest.approx(eigenvalues[-1], rel=1e-8)
        assert c.lambda_min == pytest.approx(eigenvalues[0], rel=1e-6, abs=1e-9)
    assert results["lanczos"].hvps < exact.hvps == sum(sizes)
    assert exact.lambda_min < 0 and math.isinf(exact.condition_number)  # not convex at random weights


def _forward(model: tg.nn.Sequential, values: tuple[Tensor, ...], X: np.ndarray) -> Tensor:
    """The MLP's forward pass written with the given weight Tensors (so that tg.hessian differentiates them)."""
    h = Tensor(X)
    layers = [m for m in model if isinstance(m, tg.nn.Linear)]
    for k, layer in enumerate(layers):
        W, b = values[2 * k], values[2 * k + 1]
        assert W.shape == layer.weight.shape
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = h.relu()
    return h


def test_two_over_lambda_max_is_the_edge_of_gd():
    """On the least-squares form of make_quadratic, GD's loss after 200 steps is small at 0.95 x 2/lambda_max
    and has blown up at 1.05 x 2/lambda_max."""
    q = tg.data.make_quadratic(d=4, condition_number=20.0, seed=3)
    c = tg.train.curvature(linear_model(4), F.mse_loss, (q.X, q.y))
    final = {}
    for factor in (0.95, 1.05):
        model = linear_model(4)
        model.weight.data[...] = 0.0
        opt = tg.optim.GD(model.parameters(), lr=factor * c.max_stable_lr)
        for _ in range(200):
            opt.zero_grad()
            loss = F.mse_loss(model(Tensor(q.X)), Tensor(q.y))
            loss.backward()
            opt.step()
        final[factor] = float(loss.data)
    assert final[0.95] < q.residual + 1e-3
    assert final[1.05] > 1e3


def test_parameters_are_unchanged_and_loss_is_reported():
    q = tg.data.make_quadratic(d=3, condition_number=5.0, seed=0)
    model = linear_model(3)
    before = model.weight.data.copy()
    c = tg.train.curvature(model, F.mse_loss, tg.data.DataLoader(q.X, q.y, batch_size=7))
    np.testing.assert_array_equal(model.weight.data, before)
    assert model.weight.grad is None
    assert c.loss == pytest.approx(float(np.mean((q.X @ before.ravel() - q.y[:, 0]) ** 2)))
    assert c.lambda_max == pytest.approx(q.L, rel=1e-9)  # a DataLoader contributes all of its data


def test_summary_and_json():
    q = tg.data.make_quadratic(d=2, condition_number=10.0, seed=0)
    c = tg.train.curvature(linear_model(2), F.mse_loss, (q.X, q.y))
    text = str(c)
    assert "lambda_max = 10" in text and "lambda_min = 1" in text and "kappa      = 10" in text
    assert "GD is stable for lr < 2/lambda_max = 0.2" in text
    record = json.loads(json.dumps(c.to_dict()))
    assert record["max_stable_lr"] == pytest.approx(0.2) and record["condition_number"] == pytest.approx(10.0)
    assert record["best_lr"] == pytest.approx(2 / 11) and record["method"] == "lanczos"
    assert c.rate == pytest.approx(9 / 11)


def test_solvers_on_a_known_spectrum():
    """The eigen-solvers on a diagonal operator: Lanczos finds both ends of a clustered spectrum in few
    products; power iteration's estimates converge to the top."""
    eigenvalues = np.concatenate([np.linspace(1.0, 1.1, 200), [5.0, -2.0]])
    rng = np.random.default_rng(0)
    found = _lanczos(lambda v: eigenvalues * v, eigenvalues.size, rng, 100, 1e-8)
    assert found["converged"]
    assert found["lambda_max"] == pytest.approx(5.0, rel=1e-10)
    assert found["lambda_min"] == pytest.approx(-2.0, rel=1e-10)
    power = _power_both_ends(lambda v: eigenvalues * v, eigenvalues.size, rng, 2000, 1e-8)
    assert power["lambda_max"] == pytest.approx(5.0, rel=1e-8)
    assert power["lambda_min"] == pytest.approx(-2.0, rel=1e-6)


def test_float32_models_work():
    X, y = tg.data.make_moons(100, noise=0.2, seed=1)
    tg.manual_seed(1)
    model = tg.nn.MLP([2, 8, 2])
    lanczos = tg.train.curvature(model, F.cross_entropy, (X.astype(np.float32), y))
    exact = tg.train.curvature(model, F.cross_entropy, (X.astype(np.float32), y), method="exact")
    assert lanczos.lambda_max == pytest.approx(exact.lambda_max, rel=1e-4)


def test_bad_input_is_a_clear_error():
    q = tg.data.make_quadratic(d=2, condition_number=2.0, seed=0)
    model = linear_model(2)
    with pytest.raises(ValueError, match=r"method must be one of 'lanczos', 'power', 'exact', got 'qr'"):
        tg.train.curvature(model, F.mse_loss, (q.X, q.y), method="qr")
    with pytest.raises(ValueError, match=r"max_iter must be a positive int or None, got 0"):
        tg.train.curvature(model, F.mse_loss, (q.X, q.y), max_iter=0)
    with pytest.raises(ValueError, match=r"tol must be a finite number > 0, got -1"):
        tg.train.curvature(model, F.mse_loss, (q.X, q.y), tol=-1)
    with pytest.raises(TypeError, match=r"data must be a pair \(X, y\) or a tg.data.DataLoader"):
        tg.train.curvature(model, F.mse_loss, q.X)
    with pytest.raises(ValueError, match=r"X and y must have the same number of samples, got 200 and 3"):
        tg.train.curvature(model, F.mse_loss, (q.X, q.y[:3]))
    with pytest.raises(ValueError, match=r"the loss must be a one-element Tensor, got shape \(200, 1\)"):
        tg.train.curvature(model, lambda out, y: out - y, (q.X, q.y))
    with pytest.raises(TypeError, match=r"model must be a tg.nn.Module \(or have .parameters\(\)\)"):
        tg.train.curvature(lambda x: x, F.mse_loss, (q.X, q.y))
    with pytest.raises(ValueError, match=r"no parameters that require grad"):
        tg.train.curvature(model, F.mse_loss, (q.X, q.y), params=[Tensor(np.ones(2))])
    with pytest.raises(ValueError, match=r"method='exact' forms the 6000x6000 Hessian"):
        big = tg.nn.Linear(6000, 1, bias=False, dtype=np.float64)
        tg.train.curvature(big, F.mse_loss, (np.ones((2, 6000)), np.ones((2, 1))), method="exact")
