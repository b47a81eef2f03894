"""DataLoader: one pass without replacement per epoch, batch sizes, seeded orders, validation messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader


def data(n: int = 10, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Row i of X is [i, i, i] and y[i] = i: a batch says which samples it holds."""
    X = np.repeat(np.arange(n, dtype=np.float64)[:, None], d, axis=1)
    return X, np.arange(n)


def epoch_labels(loader: DataLoader) -> list[list[int]]:
    return [yb.data.tolist() for _, yb in loader]


# ---- every sample exactly once per epoch -------------------------------------------------------------------


@given(n=st.integers(1, 60), batch_size=st.integers(1, 60), seed=st.integers(0, 2**32), shuffle=st.booleans())
def test_every_sample_exactly_once_per_epoch(n, batch_size, seed, shuffle):
    batch_size = min(batch_size, n)
    X, y = data(n)
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
    for _ in range(3):
        seen = [label for batch in epoch_labels(loader) for label in batch]
        assert sorted(seen) == list(range(n))


@given(n=st.integers(1, 60), batch_size=st.integers(1, 60), seed=st.integers(0, 100))
def test_x_and_y_rows_stay_together(n, batch_size, seed):
    X, y = data(n)
    for xb, yb in DataLoader(X, y, batch_size=min(batch_size, n), seed=seed):
        np.testing.assert_array_equal(xb.data[:, 0], yb.data)


@given(n=st.integers(1, 60), batch_size=st.integers(1, 60), seed=st.integers(0, 100))
def test_drop_last_uses_each_sample_at_most_once_and_drops_only_the_remainder(n, batch_size, seed):
    batch_size = min(batch_size, n)
    X, y = data(n)
    loader = DataLoader(X, y, batch_size=batch_size, drop_last=True, seed=seed)
    seen = [label for batch in epoch_labels(loader) for label in batch]
    assert len(seen) == len(set(seen)) == n - n % batch_size == loader.samples_per_epoch


# ---- batch sizes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "sizes"),
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (10, 5, False, [5, 5]),
        (10, 5, True, [5, 5]),
        (10, 1, False, [1] * 10),
        (10, 10, True, [10]),
        (10, None, False, [10]),
        (7, 4, False, [4, 3]),
    ],
)
def test_batch_sizes_including_the_last_batch(n, batch_size, drop_last, sizes):
    X, y = data(n)
    loader = DataLoader(X, y, batch_size=batch_size, drop_last=drop_last, seed=0)
    assert [len(xb) for xb, _ in loader] == sizes
    assert [len(yb) for _, yb in loader] == sizes
    assert loader.batch_sizes == sizes
    assert len(loader) == len(sizes)


def test_full_batch_is_one_iteration_per_epoch_in_the_data_order():
    X, y = data(12)
    loader = DataLoader(X, y, seed=3)  # batch_size=None
    assert loader.full_batch and loader.mode == "full batch" and loader.batch_size == 12 and len(loader) == 1
    for _ in range(3):  # shuffling a full batch would change nothing but rounding: it keeps the data order
        (batch,) = list(loader)
        np.testing.assert_array_equal(batch[0].data, X)
        np.testing.assert_array_equal(batch[1].data, y)


def test_modes_and_repr():
    X, y = data(10)
    assert DataLoader(X, y, batch_size=1).mode == "stochastic"
    assert DataLoader(X, y, batch_size=4).mode == "mini-batch"
    assert DataLoader(X, y, batch_size=10).mode == "full batch"
    text = repr(DataLoader(X, y, batch_size=4, seed=5))
    assert "batch_size=4 (mini-batch)" in text and "iterations_per_epoch=3" in text and "seed=5" in text


# ---- seeded orders ----------------------------------------------------------------------------------------


def test_same_seed_same_order_and_different_epochs_different_orders():
    X, y = data(50)
    a, b = DataLoader(X, y, batch_size=8, seed=7), DataLoader(X, y, batch_size=8, seed=7)
    epochs_a = [epoch_labels(a) for _ in range(4)]
    epochs_b = [epoch_labels(b) for _ in range(4)]
    assert epochs_a == epochs_b  # same seed: identical batches, epoch by epoch
    flat = [tuple(label for batch in e for label in batch) for e in epochs_a]
    assert len(set(flat)) == 4  # every epoch visits the samples in a new order
    other = DataLoader(X, y, batch_size=8, seed=8)
    assert epoch_labels(other) != epochs_a[0]  # another seed, another order


def test_order_depends_only_on_seed_and_epoch():
    X, y = data(30)
    loader = DataLoader(X, y, batch_size=30 - 1, seed=1)
    first, second = epoch_labels(loader), epoch_labels(loader)
    loader.set_epoch(1)
    assert epoch_labels(loader) == second  # replay epoch 1
    order = loader.permutation(0)
    assert [int(v) for v in order[:29]] == first[0]
    with pytest.raises(ValueError, match="non-negative int"):
        loader.set_epoch(-1)


def test_no_shuffle_keeps_the_data_order():
    X, y = data(7)
    assert epoch_labels(DataLoader(X, y, batch_size=3, shuffle=False)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_seed_none_follows_manual_seed():
    X, y = data(40)
    tg.manual_seed(123)
    a = epoch_labels(DataLoader(X, y, batch_size=5))
    tg.manual_seed(123)
    b = epoch_labels(DataLoader(X, y, batch_size=5))
    assert a == b


# ---- what it yields -------------------------------------------------------------------------------------


def test_yields_constant_tensors_with_the_data_dtype():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    for xb, yb in DataLoader(X, y, batch_size=4, seed=0):
        assert isinstance(xb, tg.Tensor) and isinstance(yb, tg.Tensor)
        assert not xb.requires_grad and not yb.requires_grad
        assert xb.dtype == np.float32 and yb.dtype == y.dtype


def test_accepts_tensors_lists_and_no_targets():
    X = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    loader = DataLoader(tg.Tensor(X), [0, 1, 2], batch_size=2, shuffle=False)
    (xb, yb), _ = list(loader)
    assert xb.dtype == tg.get_default_dtype() and yb.data.dtype.kind == "i"  # list labels stay integers
    assert xb.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    only_x = list(DataLoader(X, batch_size=2, shuffle=False))
    assert [b.shape for b in only_x] == [(2, 2), (1, 2)]


def test_the_loader_keeps_its_own_copy_of_the_data():
    X, y = data(4)
    loader = DataLoader(X, y, shuffle=False)
    X[:] = -1.0
    ((xb, _),) = list(loader)
    assert xb.data.min() == 0.0


# ---- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"X": np.zeros((0, 3))}, ValueError, r"empty data set \(X has shape \(0, 3\)\)"),
        (
            {"X": np.zeros((5, 2)), "y": np.zeros(4)},
            ValueError,
            r"X of shape \(5, 2\) \(5 samples\) and y of shape \(4,\) \(4 samples\)",
        ),
        ({"X": np.float64(3.0)}, ValueError, "first axis that indexes the samples"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got batch_size=0"),
        ({"batch_size": -2}, ValueError, "batch_size must be >= 1"),
        (
            {"batch_size": 11},
            ValueError,
            r"batch_size=11 is larger than the data set \(10 samples\): "
            r"with drop_last=False the only batch would hold 10 samples",
        ),
        ({"batch_size": 11, "drop_last": True}, ValueError, "with drop_last=True every batch would be dropped"),
        ({"batch_size": 2.5}, TypeError, r"batch_size must be an int or None \(full batch\), got 2.5"),
        ({"batch_size": True}, TypeError, "batch_size must be an int"),
        ({"shuffle": 1}, TypeError, "shuffle must be True or False"),
        ({"drop_last": "yes"}, TypeError, "drop_last must be True or False"),
        ({"seed": -1}, ValueError, "seed must be None or a non-negative int"),
        ({"X": np.array(["a", "b"])}, TypeError, "X must be numeric"),
    ],
)
def test_validation_errors_name_the_problem(kwargs, error, match):
    args = {"X": data(10)[0], "y": None, **kwargs}
    with pytest.raises(error, match=match):
        DataLoader(**args)


def test_batch_size_error_suggests_full_batch():
    X, y = data(10)
    with pytest.raises(ValueError, match=r"batch_size=None \(or 10\) for full-batch gradient descent"):
        DataLoader(X, y, batch_size=20)
