"""``load_digits``: the UCI handwritten digits (test set, as scikit-learn ships it), bundled in the package."""

import gzip
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import load_digits

ROOT = Path(__file__).resolve().parents[2]


def test_shapes_dtypes_and_value_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))  # counts of on pixels in 4x4 blocks
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert y[:10].tolist() == list(range(10))


def test_the_numbers_are_sklearns():
    """The first image is a 0 (scikit-learn's ``load_digits().images[0]``) and the totals are the file's."""
    X, y = load_digits()
    np.testing.assert_array_equal(
        X[0].reshape(8, 8),
        [
            [0, 0, 5, 13, 9, 1, 0, 0],
            [0, 0, 13, 15, 10, 15, 5, 0],
            [0, 3, 15, 2, 0, 11, 8, 0],
            [0, 4, 12, 0, 0, 8, 8, 0],
            [0, 5, 8, 0, 0, 9, 8, 0],
            [0, 4, 11, 0, 1, 12, 7, 0],
            [0, 2, 14, 5, 10, 12, 0, 0],
            [0, 0, 6, 13, 10, 0, 0, 0],
        ],
    )
    assert X.sum() == 561718 and y.sum() == 8070 and y[-5:].tolist() == [9, 0, 8, 9, 8]


def test_as_images_is_one_channel_8x8_row_by_row_and_dtype():
    flat, images = load_digits(), load_digits(as_images=True, dtype=np.float32)
    assert images.X.shape == (1797, 1, 8, 8) and images.X.dtype == np.float32
    np.testing.assert_array_equal(images.X.reshape(1797, 64), flat.X)
    np.testing.assert_array_equal(images.y, flat.y)
    assert flat.feature_names[:2] == ("pixel (0, 0)", "pixel (0, 1)") and flat.target_names[3] == "3"


def test_credit_in_the_dataset_the_docstring_and_the_file():
    data = load_digits()
    for text in (data.credit, load_digits.__doc__):
        assert "Alpaydin" in text and "Kaynak" in text and "1998" in text and "CC BY 4.0" in text
        assert "UCI" in text and "Repository" in text and "10.24432/C50P49" in text
    with (
        resources.files("tinygrad_edu.data").joinpath("digits.csv.gz").open("rb") as f,
        gzip.open(f, "rt") as text,
    ):
        header = text.read(2000)
    assert header.startswith("# Optical Recognition of Handwritten Digits") and "CC BY 4.0" in header


def test_the_file_is_package_data_so_pip_install_ships_it():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "tinygrad_edu"
    ]
    assert any(Path("data/digits.csv.gz").match(p) for p in patterns)


def test_trains_a_softmax_regression_beyond_chance():
    """The labels belong to the images: a few full-batch steps of softmax regression get well beyond 10%."""
    X, y = load_digits()
    tg.manual_seed(0)
    model = tg.nn.Linear(64, 10, dtype=np.float64)
    opt = tg.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(30):
        opt.zero_grad()
        tg.nn.functional.cross_entropy(model(tg.Tensor(X / 16)), y).backward()
        opt.step()
    assert tg.metrics.accuracy(y, model(tg.Tensor(X / 16)).numpy().argmax(axis=1)) > 0.85


def test_bad_arguments_say_what_to_pass():
    with pytest.raises(TypeError, match="as_images"):
        load_digits(as_images="yes")
    with pytest.raises((TypeError, ValueError), match="load_digits"):
        load_digits(dtype=np.int64)
