"""Data sets: shapes, seeds and the properties each generator promises; splitting; standardising; Iris."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import (
    Standardizer,
    load_iris,
    make_blobs,
    make_circles,
    make_classification,
    make_linear_regression,
    make_moons,
    make_quadratic,
    make_spirals,
    standardize,
    train_test_split,
)

ROOT = Path(__file__).resolve().parents[2]

CLASSIFICATION = [
    lambda seed: make_blobs(60, centers=3, seed=seed),
    lambda seed: make_classification(60, n_features=4, n_classes=3, seed=seed),
    lambda seed: make_moons(60, noise=0.1, seed=seed),
    lambda seed: make_circles(60, noise=0.1, seed=seed),
    lambda seed: make_spirals(60, n_classes=3, noise=0.1, seed=seed),
]


# ---- seeds and dtypes (every generator) ---------------------------------------------------------------------


@pytest.mark.parametrize("make", CLASSIFICATION)
def test_classification_generators_are_seeded_and_typed(make):
    X1, y1 = make(0)
    X2, y2 = make(0)
    X3, _ = make(1)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.dtype == np.float64 and y1.dtype == np.int64 and X1.shape[0] == y1.shape[0] == 60
    assert y1.min() == 0


def test_seed_none_draws_from_manual_seed():
    tg.manual_seed(5)
    a = make_moons(20, noise=0.2)
    tg.manual_seed(5)
    b = make_moons(20, noise=0.2)
    np.testing.assert_array_equal(a[0], b[0])


def test_dtype_argument():
    X, y, w = make_linear_regression(10, 2, seed=0, dtype=np.float32)
    assert X.dtype == y.dtype == w.dtype == np.float32
    assert make_blobs(10, seed=0, dtype=np.float32)[0].dtype == np.float32
    with pytest.raises(TypeError, match="dtype must be a float dtype"):
        make_moons(10, dtype=np.int64)


# ---- regression -----------------------------------------------------------------------------------------------


def test_linear_regression_shapes_and_exact_relation_without_noise():
    X, y, w = make_linear_regression(50, 4, noise=0.0, bias=-2.0, seed=3)
    assert X.shape == (50, 4) and y.shape == (50, 1) and w.shape == (4,)
    np.testing.assert_allclose(y[:, 0], X @ w - 2.0, rtol=0, atol=1e-12)


def test_linear_regression_noise_has_the_stated_standard_deviation():
    X, y, w = make_linear_regression(20000, 3, noise=0.5, seed=0)
    residual = y[:, 0] - X @ w
    assert abs(residual.std() - 0.5) < 0.01
    assert abs(residual.mean()) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples must be an int >= 1"),
        ({"noise": -1.0}, "noise must be a finite number >= 0, got noise=-1.0"),
    ],
)
def test_linear_regression_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_linear_regression(**kwargs)


# ---- classification ---------------------------------------------------------------------------------------


def test_blobs_are_centred_where_asked_with_the_given_spread():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X, y = make_blobs(3000, centers=centres, cluster_std=0.5, seed=0)
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    for c in range(3):
        np.testing.assert_allclose(X[y == c].mean(axis=0), centres[c], atol=0.05)
        np.testing.assert_allclose(X[y == c].std(axis=0), 0.5, atol=0.03)


def test_blobs_with_a_number_of_centres():
    X, y = make_blobs(101, centers=4, n_features=3, center_box=(-1, 1), seed=0)
    assert X.shape == (101, 3) and np.bincount(y).tolist() == [26, 25, 25, 25]
    with pytest.raises(ValueError, match="center_box"):
        make_blobs(10, center_box=(1, -1))


def test_classification_classes_sit_around_distinct_hypercube_vertices():
    X, y = make_classification(3000, n_features=5, n_classes=4, n_informative=3, class_sep=4.0, seed=0)
    assert X.shape == (3000, 5) and np.bincount(y).tolist() == [750] * 4
    means = np.array([X[y == c, :3].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(np.abs(means), 4.0, atol=0.15)  # each coordinate at +-class_sep
    assert len({tuple(np.sign(m)) for m in means}) == 4  # four different vertices
    np.testing.assert_allclose(X[:, 3:].mean(axis=0), 0.0, atol=0.08)  # the noise features carry no class
    nearest = np.argmin(((X[:, None, :3] - means[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == y) > 0.95  # well separated at this class_sep


def test_classification_label_noise():
    _, clean = make_classification(2000, n_classes=2, seed=0)
    _, noisy = make_classification(2000, n_classes=2, flip_y=0.5, seed=0)
    changed = np.mean(clean != noisy)  # half the labels redrawn, half of those by chance to the same class
    assert 0.15 < changed < 0.35


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_classes": 5, "n_informative": 2}, r"use n_informative >= 3"),
        ({"n_features": 2, "n_informative": 3}, "cannot exceed n_features=2"),
        ({"n_classes": 1}, "n_classes must be an int >= 2"),
        ({"flip_y": 1.5}, r"flip_y is a fraction of the labels, in \[0, 1\]"),
    ],
)
def test_classification_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_classification(**kwargs)


def test_moons_lie_on_two_half_circles():
    X, y = make_moons(101, seed=0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [51, 50]
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    assert X[y == 0, 1].min() >= -1e-12 and X[y == 1, 1].max() <= 0.5 + 1e-12  # upper and lower halves


def test_circles_radii_and_validation():
    X, y = make_circles(80, factor=0.25, seed=1)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.25)
    with pytest.raises(ValueError, match=r"factor .* must be in \(0, 1\), got factor=1.5"):
        make_circles(10, factor=1.5)


def test_spirals_follow_their_arms():
    X, y = make_spirals(300, n_classes=3, turns=1.5, seed=0)
    r = np.hypot(*X.T)
    assert np.bincount(y).tolist() == [100, 100, 100] and r.min() >= 0.05 - 1e-12 and r.max() <= 1 + 1e-12
    phi = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * (y / 3 + 1.5 * r)
    np.testing.assert_allclose(np.cos(phi - expected), 1.0, atol=1e-9)  # equal angles modulo 2 pi


# ---- the quadratic test problem ---------------------------------------------------------------------------


@pytest.mark.parametrize(("d", "kappa"), [(2, 10.0), (5, 100.0), (8, 1.0), (1, 1.0)])
def test_quadratic_condition_number_and_spectrum(d, kappa):
    q = make_quadratic(d, kappa, mu=0.5, seed=0)
    eig = np.linalg.eigvalsh(q.A)
    np.testing.assert_allclose(q.A, q.A.T, rtol=0, atol=0)
    np.testing.assert_allclose([eig.min(), eig.max()], [0.5, 0.5 * kappa], rtol=1e-10)
    assert (q.mu, q.L) == (0.5, 0.5 * kappa) and q.condition_number == pytest.approx(kappa)
    assert np.linalg.cond(q.A) == pytest.approx(kappa, rel=1e-9)
    assert q.max_stable_lr == pytest.approx(2 / (0.5 * kappa))


def test_quadratic_known_optimum():
    q = make_quadratic(4, 50.0, seed=1)
    np.testing.assert_allclose(q.grad(q.w_star), 0.0, atol=1e-12)
    np.testing.assert_allclose(q.w_star, np.linalg.solve(q.A, q.b), rtol=1e-10)
    assert q.value(q.w_star) == pytest.approx(q.f_star, rel=1e-12)
    rng = np.random.default_rng(0)
    W = q.w_star + rng.normal(size=(100, 4))
    assert np.all(q.value(W) > q.f_star)  # vectorised over leading axes, and w* is the minimiser
    w = W[0]
    exact = 0.5 * (w - q.w_star) @ q.A @ (w - q.w_star)  # f(w) - f* in closed form
    assert q.value(w) - q.f_star == pytest.approx(exact, rel=1e-10)


def test_quadratic_least_squares_form_has_the_same_hessian_and_minimiser():
    q = make_quadratic(3, 20.0, n_samples=400, noise=0.7, seed=2)
    n = len(q.X)
    assert q.X.shape == (400, 3) and q.y.shape == (400, 1)
    np.testing.assert_allclose(q.X.T @ q.X / n, q.A / 2, atol=1e-10)
    assert q.residual == pytest.approx(0.49, rel=1e-10)
    w_ls, *_ = np.linalg.lstsq(q.X, q.y[:, 0], rcond=None)
    np.testing.assert_allclose(w_ls, q.w_star, atol=1e-10)
    for w in np.random.default_rng(1).normal(size=(5, 3)):
        mse = np.mean((q.X @ w - q.y[:, 0]) ** 2)
        assert mse == pytest.approx(q.value(w) - q.f_star + q.residual, rel=1e-10)


def test_quadratic_loss_tensor_matches_value_and_gradient():
    q = make_quadratic(3, 5.0, seed=0)
    w = tg.Tensor(np.array([[0.3, -1.0, 2.0]]), requires_grad=True)  # the (1, d) weight of Linear(d, 1)
    loss = q.loss(w)
    loss.backward()
    assert loss.item() == pytest.approx(q.value(w.data[0]))
    np.testing.assert_allclose(w.grad[0], q.grad(w.data[0]), rtol=1e-12)


def test_quadratic_is_seeded_and_validated():
    a, b = make_quadratic(3, 10.0, seed=4), make_quadratic(3, 10.0, seed=4)
    np.testing.assert_array_equal(a.A, b.A)
    np.testing.assert_array_equal(a.X, b.X)
    assert "condition_number=10" in repr(a)
    with pytest.raises(ValueError, match="condition_number must be >= 1"):
        make_quadratic(2, 0.5)
    with pytest.raises(ValueError, match="in one dimension"):
        make_quadratic(1, 3.0)
    with pytest.raises(ValueError, match="noise > 0 needs n_samples > d"):
        make_quadratic(3, 2.0, n_samples=3)
    with pytest.raises(ValueError, match=r"mu .* must be > 0"):
        make_quadratic(2, 2.0, mu=0.0)


# ---- train_test_split -------------------------------------------------------------------------------------


def test_split_sizes_are_disjoint_and_cover_everything():
    X, y = np.arange(200.0).reshape(100, 2), np.arange(100)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0)
    assert (len(X_tr), len(X_te)) == (75, 25)
    assert set(y_tr.tolist()).isdisjoint(y_te.tolist())
    assert sorted([*y_tr.tolist(), *y_te.tolist()]) == list(range(100))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay aligned with their labels
    assert len(train_test_split(X, y, test_size=0.333, seed=0)[1]) == 34  # ceil, as in scikit-learn
    assert len(train_test_split(X, y, test_size=10, seed=0)[1]) == 10  # a count


def test_split_is_seeded_and_unshuffled_split_takes_the_end():
    X = np.arange(10.0)[:, None]
    a, b = train_test_split(X, test_size=0.3, seed=1), train_test_split(X, test_size=0.3, seed=1)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], train_test_split(X, test_size=0.3, seed=2)[1])
    _, X_te = train_test_split(X, test_size=3, shuffle=False)
    assert X_te[:, 0].tolist() == [7.0, 8.0, 9.0]


def test_stratified_split_keeps_class_proportions():
    X, y = load_iris()
    _, _, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [15, 15, 15] and np.bincount(y_tr).tolist() == [35, 35, 35]
    y_skew = np.array([0] * 90 + [1] * 10)
    _, _, _, y_te = train_test_split(np.zeros((100, 1)), y_skew, test_size=0.2, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [18, 2]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.zeros((10, 1)),), {"test_size": 1.0}, ValueError, r"fractional test_size must be in \(0, 1\)"),
        ((np.zeros((10, 1)),), {"test_size": 10}, ValueError, "both sets need at least one sample"),
        ((np.zeros((10, 1)),), {"test_size": "half"}, TypeError, "test_size must be a fraction"),
        ((np.zeros((10, 1)), np.zeros(9)), {}, ValueError, r"X has 10 samples .* but y has shape \(9,\)"),
        ((np.zeros((1, 1)),), {}, ValueError, "needs at least 2 samples"),
        ((np.zeros((10, 1)),), {"stratify": True}, ValueError, "stratify=True needs the labels y"),
    ],
)
def test_split_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        train_test_split(*args, **kwargs)


# ---- standardize ------------------------------------------------------------------------------------------


def test_standardize_fits_on_train_and_applies_to_test():
    rng = np.random.default_rng(0)
    train = rng.normal([5.0, -3.0], [2.0, 0.1], size=(500, 2))
    test = rng.normal([6.0, -3.0], [2.0, 0.1], size=(200, 2))
    train_z, test_z = standardize(train, test)
    np.testing.assert_allclose(train_z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(train_z.std(axis=0), 1.0, rtol=1e-12)
    expected = (test - train.mean(axis=0)) / train.std(axis=0)  # the train statistics, not the test ones
    np.testing.assert_allclose(test_z, expected, rtol=1e-12)
    assert abs(test_z[:, 0].mean() - 0.5) < 0.15  # the shift of the test set stays visible
    np.testing.assert_allclose(standardize(train), train_z)


def test_standardizer_round_trip_constant_feature_and_errors():
    X = np.array([[1.0, 7.0], [3.0, 7.0], [5.0, 7.0]])
    s = Standardizer().fit(X)
    Z = s.transform(X)
    np.testing.assert_allclose(Z[:, 1], 0.0)  # a constant feature is only centred
    np.testing.assert_allclose(s.inverse_transform(Z), X)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        Standardizer().transform(X)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(2,\) but got X of shape \(3, 3\)"):
        s.transform(np.zeros((3, 3)))


# ---- Iris -------------------------------------------------------------------------------------------------


def test_iris_matches_the_published_facts():
    iris = load_iris()
    X, y = iris
    assert X.shape == (150, 4) and y.shape == (150,) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [50, 50, 50]
    np.testing.assert_array_equal(np.round(X.mean(axis=0), 3), [5.843, 3.057, 3.758, 1.199])
    np.testing.assert_array_equal(np.round(X.std(axis=0, ddof=1), 3), [0.828, 0.436, 1.765, 0.762])
    np.testing.assert_array_equal(X.min(axis=0), [4.3, 2.0, 1.0, 0.1])
    np.testing.assert_array_equal(X.max(axis=0), [7.9, 4.4, 6.9, 2.5])
    per_species = {  # the species means in Fisher's table (R: aggregate(. ~ Species, iris, mean))
        0: [5.006, 3.428, 1.462, 0.246],
        1: [5.936, 2.770, 4.260, 1.326],
        2: [6.588, 2.974, 5.552, 2.026],
    }
    for label, means in per_species.items():
        np.testing.assert_allclose(X[y == label].mean(axis=0), means, atol=5e-4)
    assert X[34].tolist() == [4.9, 3.1, 1.5, 0.2] and X[37].tolist() == [4.9, 3.6, 1.4, 0.1]  # Fisher's values
    assert iris.target_names == ("setosa", "versicolor", "virginica")
    assert iris.feature_names[0] == "sepal_length (cm)"
    assert "CC BY 4.0" in iris.credit and "10.24432/C56C76" in iris.credit


def test_iris_file_is_package_data_with_its_credit():
    path = resources.files("tinygrad_edu.data").joinpath("iris.csv")
    header = path.read_text(encoding="utf-8").splitlines()[:12]
    assert any("CC BY 4.0" in line for line in header) and any("Fisher" in line for line in header)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "data/*.csv" in config["tool"]["setuptools"]["package-data"]["tinygrad_edu"]
    assert load_iris(dtype=np.float32).X.dtype == np.float32
