"""Bad-input campaign for ``tg.data``: the DataLoader, every generator, ``train_test_split``, ``standardize``,
``Standardizer``, ``Quadratic`` and ``load_iris``.

Each error must name the argument, the value given and the fix (see ``tests/bad_input.py``).
"""

import math

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg
from tinygrad_edu.data import (
    DataLoader,
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

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)
LOADER = lambda: DataLoader(X, Y, batch_size=2, seed=0)  # noqa: E731
Q = lambda: make_quadratic(2, seed=0)  # noqa: E731

GENERATORS = {
    "make_linear_regression": make_linear_regression,
    "make_classification": make_classification,
    "make_blobs": make_blobs,
    "make_moons": make_moons,
    "make_circles": make_circles,
    "make_spirals": make_spirals,
}


def _generator_cases() -> list[BadInput]:
    """What every generator shares: n_samples, seed and dtype."""
    cases = []
    for name, gen in GENERATORS.items():
        minimum = 2 if name in ("make_moons", "make_circles") else 1
        cases += [
            BadInput(f"{name}/zero-samples", lambda gen=gen: gen(0), ValueError,
                     [f"{name}: n_samples must be an int >= {minimum}", "got n_samples=0"]),
            BadInput(f"{name}/float-samples", lambda gen=gen: gen(10.0), ValueError,
                     ["n_samples must be an int", "got n_samples=10.0"]),
            BadInput(f"{name}/negative-seed", lambda gen=gen: gen(10, seed=-1), ValueError,
                     [f"{name}: seed must be None, a non-negative int or a numpy Generator", "got seed=-1"]),
            BadInput(f"{name}/int-dtype", lambda gen=gen: gen(10, dtype=np.int32), TypeError,
                     [f"{name}: dtype must be a float dtype (np.float32 or np.float64)", "got int32"]),
            BadInput(f"{name}/unknown-dtype", lambda gen=gen: gen(10, dtype="foo"), TypeError,
                     ["dtype must be a float dtype (np.float32 or np.float64)", "got 'foo'"]),
        ]  # fmt: skip
    return cases


CASES: list[BadInput] = [
    # ---- DataLoader -----------------------------------------------------------------------------------------
    BadInput(
        "DataLoader/length-mismatch",
        lambda: DataLoader(X, Y[:5]),
        ValueError,
        [
            "X and y must have the same number of samples",
            "X of shape (10, 2) (10 samples)",
            "y of shape (5,) (5 samples)",
        ],
    ),
    BadInput(
        "DataLoader/transposed-y",
        lambda: DataLoader(X, np.zeros((3, 10))),
        ValueError,
        ["same number of samples", "y of shape (3, 10) (3 samples)"],
    ),
    BadInput(
        "DataLoader/zero-batch",
        lambda: DataLoader(X, Y, batch_size=0),
        ValueError,
        ["batch_size must be >= 1, got batch_size=0", "use 1 for stochastic gradient descent or None"],
    ),
    BadInput(
        "DataLoader/negative-batch",
        lambda: DataLoader(X, Y, batch_size=-4),
        ValueError,
        ["batch_size must be >= 1, got batch_size=-4", "None for the full batch"],
    ),
    BadInput(
        "DataLoader/float-batch",
        lambda: DataLoader(X, Y, batch_size=2.0),
        TypeError,
        ["batch_size must be an int or None (full batch)", "got 2.0 (float)"],
    ),
    BadInput(
        "DataLoader/bool-batch",
        lambda: DataLoader(X, Y, batch_size=True),
        TypeError,
        ["batch_size must be an int or None", "got True (bool)"],
    ),
    BadInput(
        "DataLoader/str-batch",
        lambda: DataLoader(X, Y, batch_size="32"),
        TypeError,
        ["batch_size must be an int or None", "got '32' (str)"],
    ),
    BadInput(
        "DataLoader/batch-larger-than-n",
        lambda: DataLoader(X, Y, batch_size=11),
        ValueError,
        ["batch_size=11 is larger than the data set (10 samples)", "Use batch_size=None (or 10)"],
    ),
    BadInput(
        "DataLoader/batch-larger-drop-last",
        lambda: DataLoader(X, Y, batch_size=11, drop_last=True),
        ValueError,
        ["batch_size=11 is larger", "every batch would be dropped", "or a smaller batch size"],
    ),
    BadInput(
        "DataLoader/negative-seed",
        lambda: DataLoader(X, Y, seed=-1),
        ValueError,
        ["DataLoader: seed must be None or a non-negative int", "got seed=-1", "e.g. seed=0"],
    ),
    BadInput(
        "DataLoader/float-seed",
        lambda: DataLoader(X, Y, seed=1.5),
        ValueError,
        ["seed must be None or a non-negative int", "got seed=1.5"],
    ),
    BadInput(
        "DataLoader/str-seed",
        lambda: DataLoader(X, Y, seed="0"),
        ValueError,
        ["seed must be None or a non-negative int", "got seed='0'"],
    ),
    BadInput(
        "DataLoader/empty",
        lambda: DataLoader(np.zeros((0, 2))),
        ValueError,
        ["DataLoader: X must hold at least one sample", "X has shape (0, 2)", "pass at least one sample"],
    ),
    BadInput(
        "DataLoader/scalar-X",
        lambda: DataLoader(3.0),
        ValueError,
        ["X must have a first axis that indexes the samples", "got a scalar (shape ())"],
    ),
    BadInput(
        "DataLoader/scalar-y",
        lambda: DataLoader(X, 3),
        ValueError,
        ["DataLoader: y must have one entry per sample", "got a scalar"],
    ),
    BadInput(
        "DataLoader/text-X",
        lambda: DataLoader(["a", "b"]),
        TypeError,
        ["DataLoader: X must be numeric (bool, integer or float)", "got dtype <U1", "convert text to numbers"],
    ),
    BadInput(
        "DataLoader/text-labels",
        lambda: DataLoader(X, ["cat"] * 10),
        TypeError,
        ["DataLoader: y must be numeric", "got dtype <U3", "class labels 0..C-1"],
    ),
    BadInput(
        "DataLoader/a-Dataset",
        lambda: DataLoader(load_iris()),
        TypeError,
        ["X must be numeric", "from Dataset", "unpack the data set first: X, y = dataset"],
    ),
    BadInput(
        "DataLoader/None-X",
        lambda: DataLoader(None),
        TypeError,
        ["X must be numeric", "from NoneType", "pass the data"],
    ),
    BadInput(
        "DataLoader/ragged-X",
        lambda: DataLoader([[1.0, 2.0], [3.0]]),
        ValueError,
        ["DataLoader: X must be a rectangular array", "got list"],
    ),
    BadInput(
        "DataLoader/str-shuffle",
        lambda: DataLoader(X, Y, shuffle="yes"),
        TypeError,
        ["DataLoader: shuffle must be True or False", "got 'yes' (str)"],
    ),
    BadInput(
        "DataLoader/int-drop-last",
        lambda: DataLoader(X, Y, drop_last=1),
        TypeError,
        ["DataLoader: drop_last must be True or False", "got 1 (int)"],
    ),
    BadInput(
        "DataLoader.set_epoch/negative",
        lambda: LOADER().set_epoch(-1),
        ValueError,
        ["DataLoader.set_epoch: epoch must be a non-negative int", "got -1", "0 is the first epoch"],
    ),
    BadInput(
        "DataLoader.set_epoch/float",
        lambda: LOADER().set_epoch(1.0),
        ValueError,
        ["epoch must be a non-negative int", "got 1.0"],
    ),
    BadInput(
        "DataLoader.permutation/negative",
        lambda: LOADER().permutation(-1),
        ValueError,
        ["DataLoader.permutation: epoch must be a non-negative int", "got -1"],
    ),
    BadInput(
        "DataLoader.load_state_dict/missing-seed",
        lambda: LOADER().load_state_dict({"epoch": 1}),
        ValueError,
        [
            "state_dict must be a dict with 'epoch' and 'seed'",
            "got a dict with keys ['epoch']",
            "pass what loader.state_dict() returned",
        ],
    ),
    BadInput(
        "DataLoader.load_state_dict/a-list",
        lambda: LOADER().load_state_dict([1]),
        ValueError,
        ["state_dict must be a dict with 'epoch' and 'seed'", "got [1]"],
    ),
    BadInput(
        "DataLoader.load_state_dict/other-data",
        lambda: LOADER().load_state_dict({"epoch": 1, "seed": 0, "n_samples": 5}),
        ValueError,
        ["saved for a data set of 5 samples", "this loader has 10", "the batches would differ"],
    ),
    BadInput(
        "DataLoader.load_state_dict/negative-seed",
        lambda: LOADER().load_state_dict({"epoch": 0, "seed": -2}),
        ValueError,
        ["seed must be None or a non-negative int", "got seed=-2"],
    ),
    # ---- generators -----------------------------------------------------------------------------------------
    *_generator_cases(),
    BadInput(
        "make_linear_regression/negative-noise",
        lambda: make_linear_regression(10, 2, noise=-1),
        ValueError,
        ["make_linear_regression: noise must be a finite number >= 0", "got noise=-1"],
    ),
    BadInput(
        "make_linear_regression/inf-noise",
        lambda: make_linear_regression(10, 2, noise=math.inf),
        ValueError,
        ["noise must be a finite number >= 0", "got noise=inf"],
    ),
    BadInput(
        "make_linear_regression/str-noise",
        lambda: make_linear_regression(10, 2, noise="a"),
        ValueError,
        ["noise must be a finite number >= 0", "got noise='a'"],
    ),
    BadInput(
        "make_linear_regression/nan-bias",
        lambda: make_linear_regression(10, 2, bias=math.nan),
        ValueError,
        ["make_linear_regression: bias must be a finite number", "got bias=nan"],
    ),
    BadInput(
        "make_linear_regression/str-bias",
        lambda: make_linear_regression(10, 2, bias="1"),
        ValueError,
        ["bias must be a finite number", "got bias='1'"],
    ),
    BadInput(
        "make_linear_regression/zero-features",
        lambda: make_linear_regression(10, 0),
        ValueError,
        ["n_features must be an int >= 1", "got n_features=0"],
    ),
    BadInput(
        "make_blobs/zero-centers",
        lambda: make_blobs(10, centers=0),
        ValueError,
        ["make_blobs: centers must be an int >= 1", "got centers=0"],
    ),
    BadInput(
        "make_blobs/more-centers-than-samples",
        lambda: make_blobs(2, centers=3),
        ValueError,
        [
            "make_blobs: n_samples must be at least the number of classes (centers=3)",
            "got n_samples=2",
            "pass n_samples >= 3",
        ],
    ),
    BadInput(
        "make_blobs/empty-centers",
        lambda: make_blobs(10, centers=[[]]),
        ValueError,
        ["centers must be an int or an array of shape (C, n_features)", "got shape (1, 0)", "such as [[0, 0], [5, 5]]"],
    ),
    BadInput(
        "make_blobs/1d-centers",
        lambda: make_blobs(10, centers=[1.0, 2.0]),
        ValueError,
        ["array of shape (C, n_features)", "got shape (2,)"],
    ),
    BadInput(
        "make_blobs/text-centers",
        lambda: make_blobs(10, centers="abc"),
        ValueError,
        ["centers must be an int or an array of numbers", "got 'abc'"],
    ),
    BadInput(
        "make_blobs/nan-centers",
        lambda: make_blobs(10, centers=[[np.nan, 1.0]]),
        ValueError,
        ["make_blobs: centers must be finite", "got [[nan, 1.0]]"],
    ),
    BadInput(
        "make_blobs/reversed-box",
        lambda: make_blobs(10, center_box=(5, -5)),
        ValueError,
        ["center_box must be (low, high), finite, with low < high", "got (5, -5)", "e.g. center_box=(-5.0, 5.0)"],
    ),
    BadInput(
        "make_blobs/number-box",
        lambda: make_blobs(10, center_box=5),
        ValueError,
        ["center_box must be a pair (low, high) of numbers", "got 5"],
    ),
    BadInput(
        "make_blobs/inf-box",
        lambda: make_blobs(10, center_box=(0, math.inf)),
        ValueError,
        ["center_box must be (low, high), finite", "got (0, inf)"],
    ),
    BadInput(
        "make_blobs/negative-std",
        lambda: make_blobs(10, cluster_std=-1),
        ValueError,
        ["make_blobs: cluster_std must be a finite number >= 0", "got cluster_std=-1"],
    ),
    BadInput(
        "make_blobs/zero-features",
        lambda: make_blobs(10, n_features=0),
        ValueError,
        ["n_features must be an int >= 1", "got n_features=0"],
    ),
    BadInput(
        "make_classification/one-class",
        lambda: make_classification(10, n_classes=1),
        ValueError,
        ["make_classification: n_classes must be an int >= 2", "got n_classes=1"],
    ),
    BadInput(
        "make_classification/fewer-samples-than-classes",
        lambda: make_classification(2, n_classes=3),
        ValueError,
        ["at least the number of classes (n_classes=3)", "got n_samples=2", "n_samples >= 3"],
    ),
    BadInput(
        "make_classification/too-many-informative",
        lambda: make_classification(10, n_features=2, n_informative=3),
        ValueError,
        ["make_classification: n_informative=3 cannot exceed n_features=2", "pass n_informative <= 2"],
    ),
    BadInput(
        "make_classification/zero-informative",
        lambda: make_classification(10, n_informative=0),
        ValueError,
        ["n_informative must be an int >= 1", "got n_informative=0"],
    ),
    BadInput(
        "make_classification/too-few-vertices",
        lambda: make_classification(10, n_features=3, n_classes=5, n_informative=2),
        ValueError,
        ["n_informative=2 gives only 4", "use n_informative >= 3"],
    ),
    BadInput(
        "make_classification/flip-above-one",
        lambda: make_classification(10, flip_y=2),
        ValueError,
        ["flip_y is a fraction of the labels, in [0, 1]", "got flip_y=2"],
    ),
    BadInput(
        "make_classification/negative-sep",
        lambda: make_classification(10, class_sep=-1),
        ValueError,
        ["class_sep must be a finite number >= 0", "got class_sep=-1"],
    ),
    BadInput(
        "make_moons/one-sample",
        lambda: make_moons(1),
        ValueError,
        ["make_moons: n_samples must be an int >= 2", "got n_samples=1"],
    ),
    BadInput(
        "make_moons/negative-noise",
        lambda: make_moons(10, noise=-0.1),
        ValueError,
        ["make_moons: noise must be a finite number >= 0", "got noise=-0.1"],
    ),
    BadInput(
        "make_circles/factor-one",
        lambda: make_circles(10, factor=1.0),
        ValueError,
        ["make_circles: factor (inner radius / outer radius) must be in (0, 1)", "got factor=1.0"],
    ),
    BadInput(
        "make_circles/str-factor",
        lambda: make_circles(10, factor="a"),
        ValueError,
        ["factor (inner radius / outer radius) must be in (0, 1)", "got factor='a'"],
    ),
    BadInput(
        "make_circles/inf-noise",
        lambda: make_circles(10, noise=math.inf),
        ValueError,
        ["make_circles: noise must be a finite number >= 0", "got noise=inf"],
    ),
    BadInput(
        "make_spirals/one-class",
        lambda: make_spirals(10, n_classes=1),
        ValueError,
        ["make_spirals: n_classes must be an int >= 2", "got n_classes=1"],
    ),
    BadInput(
        "make_spirals/fewer-samples-than-classes",
        lambda: make_spirals(2, n_classes=3),
        ValueError,
        ["make_spirals: n_samples must be at least the number of classes (n_classes=3)", "got n_samples=2"],
    ),
    BadInput(
        "make_spirals/negative-turns",
        lambda: make_spirals(10, turns=-1),
        ValueError,
        ["make_spirals: turns must be a finite number >= 0", "got turns=-1"],
    ),
    # ---- make_quadratic and Quadratic -----------------------------------------------------------------------
    BadInput(
        "make_quadratic/zero-d",
        lambda: make_quadratic(0),
        ValueError,
        ["make_quadratic: d must be an int >= 1", "got d=0"],
    ),
    BadInput(
        "make_quadratic/kappa-below-one",
        lambda: make_quadratic(2, 0.5),
        ValueError,
        ["condition_number must be >= 1 (it is L / mu)", "got 0.5"],
    ),
    BadInput(
        "make_quadratic/str-kappa",
        lambda: make_quadratic(2, "10"),
        ValueError,
        ["condition_number must be >= 1", "got '10'"],
    ),
    BadInput(
        "make_quadratic/1d-kappa",
        lambda: make_quadratic(1, 10.0),
        ValueError,
        ["in one dimension A is a number, its condition number is 1", "got 10.0"],
    ),
    BadInput(
        "make_quadratic/zero-mu",
        lambda: make_quadratic(2, mu=0),
        ValueError,
        ["mu (the smallest eigenvalue) must be > 0", "got mu=0"],
    ),
    BadInput(
        "make_quadratic/too-few-samples",
        lambda: make_quadratic(3, n_samples=2),
        ValueError,
        ["make_quadratic: n_samples must be an int >= 3", "got n_samples=2"],
    ),
    BadInput(
        "make_quadratic/noise-needs-more-samples",
        lambda: make_quadratic(2, n_samples=2, noise=1.0),
        ValueError,
        ["noise > 0 needs n_samples > d", "got n_samples=2, d=2"],
    ),
    BadInput(
        "make_quadratic/negative-noise",
        lambda: make_quadratic(2, noise=-1.0),
        ValueError,
        ["make_quadratic: noise must be a finite number >= 0", "got noise=-1.0"],
    ),
    BadInput(
        "Quadratic.value/wrong-size",
        lambda: Q().value([1.0, 2.0, 3.0]),
        ValueError,
        ["Quadratic.value: w must have shape (..., 2)", "got shape (3,)", "np.stack([W1, W2], axis=-1)"],
    ),
    BadInput(
        "Quadratic.value/grid-first",
        lambda: Q().value(np.zeros((2, 5, 5))),
        ValueError,
        ["w must have shape (..., 2)", "got shape (2, 5, 5)", "stack the coordinates last"],
    ),
    BadInput(
        "Quadratic.grad/wrong-size",
        lambda: Q().grad([1.0]),
        ValueError,
        ["Quadratic.grad: w must have shape (..., 2)", "got shape (1,)"],
    ),
    BadInput(
        "Quadratic.loss/wrong-size",
        lambda: Q().loss(tg.Tensor([1.0, 2.0, 3.0])),
        ValueError,
        ["Quadratic.loss: w must have 2 elements (d=2)", "got shape (3,)", "Linear(2, 1, bias=False)"],
    ),
    BadInput(
        "Quadratic.loss/ndarray",
        lambda: Q().loss(np.array([1.0, 2.0])),
        TypeError,
        ["Quadratic.loss: w must be a Tensor", "got ndarray", "use value(w) for numpy arrays"],
    ),
    # ---- train_test_split -----------------------------------------------------------------------------------
    BadInput(
        "train_test_split/zero-test",
        lambda: train_test_split(X, Y, test_size=0),
        ValueError,
        ["test_size=0 gives 0 test samples out of 10", "both sets need at least one sample (1 <= n_test <= 9)"],
    ),
    BadInput(
        "train_test_split/all-test",
        lambda: train_test_split(X, Y, test_size=10),
        ValueError,
        ["test_size=10 gives 10 test samples out of 10", "1 <= n_test <= 9"],
    ),
    BadInput(
        "train_test_split/fraction-one",
        lambda: train_test_split(X, Y, test_size=1.0),
        ValueError,
        ["a fractional test_size must be in (0, 1)", "got test_size=1.0"],
    ),
    BadInput(
        "train_test_split/negative-fraction",
        lambda: train_test_split(X, Y, test_size=-0.2),
        ValueError,
        ["test_size must be in (0, 1)", "got test_size=-0.2"],
    ),
    BadInput(
        "train_test_split/str-size",
        lambda: train_test_split(X, Y, test_size="0.2"),
        TypeError,
        ["test_size must be a fraction in (0, 1) or a count", "got '0.2'", "e.g. 0.25 or 30"],
    ),
    BadInput(
        "train_test_split/bool-size",
        lambda: train_test_split(X, Y, test_size=True),
        TypeError,
        ["test_size must be a fraction in (0, 1) or a count", "got True"],
    ),
    BadInput(
        "train_test_split/length-mismatch",
        lambda: train_test_split(X, Y[:5]),
        ValueError,
        ["X has 10 samples (shape (10, 2)) but y has shape (5,)", "y needs one entry per sample"],
    ),
    BadInput(
        "train_test_split/one-sample",
        lambda: train_test_split(X[:1]),
        ValueError,
        ["needs at least 2 samples to split", "got X of shape (1, 2)"],
    ),
    BadInput(
        "train_test_split/stratify-without-y",
        lambda: train_test_split(X, stratify=True),
        ValueError,
        ["train_test_split: stratify=True needs the labels y", "train_test_split(X, y, stratify=True)"],
    ),
    BadInput(
        "train_test_split/stratify-without-shuffle",
        lambda: train_test_split(X, Y, stratify=True, shuffle=False),
        ValueError,
        ["stratify=True needs shuffle=True", "a stratified split is a random one"],
    ),
    BadInput(
        "train_test_split/stratify-regression",
        lambda: train_test_split(X, np.linspace(0, 1, 10), stratify=True),
        ValueError,
        [
            "stratify=True needs class labels in y (integers)",
            "got float values such as 0.111",
            "pass stratify=False for regression targets",
        ],
    ),
    BadInput(
        "train_test_split/str-shuffle",
        lambda: train_test_split(X, Y, shuffle="no"),
        TypeError,
        ["train_test_split: shuffle must be True or False", "got 'no' (str)"],
    ),
    BadInput(
        "train_test_split/str-stratify",
        lambda: train_test_split(X, Y, stratify="no"),
        TypeError,
        ["train_test_split: stratify must be True or False", "got 'no' (str)"],
    ),
    BadInput(
        "train_test_split/str-seed",
        lambda: train_test_split(X, Y, seed="a"),
        ValueError,
        ["train_test_split: seed must be None, a non-negative int or a numpy Generator", "got seed='a'"],
    ),
    BadInput(
        "train_test_split/text-X",
        lambda: train_test_split(["a", "b", "c"]),
        TypeError,
        ["train_test_split: X must be numeric", "got dtype <U1"],
    ),
    # ---- standardize and Standardizer -----------------------------------------------------------------------
    BadInput(
        "standardize/empty",
        lambda: standardize(np.zeros((0, 2))),
        ValueError,
        ["Standardizer.fit needs at least one sample", "got X of shape (0, 2)", "with N >= 1"],
    ),
    BadInput(
        "standardize/scalar", lambda: standardize(3.0), ValueError, ["needs at least one sample", "got X of shape ()"]
    ),
    BadInput(
        "standardize/nan",
        lambda: standardize(np.array([[1.0], [np.nan]])),
        ValueError,
        [
            "Standardizer.fit: X must be finite",
            "got 1 NaN or inf value(s) in X of shape (2, 1)",
            "drop or impute them first",
        ],
    ),
    BadInput(
        "standardize/feature-mismatch",
        lambda: standardize(np.ones((3, 2)), np.ones((3, 3))),
        ValueError,
        ["fitted on samples of shape (2,) but got X of shape (3, 3)", "X.shape[1:] == (2,)"],
    ),
    BadInput(
        "standardize/text",
        lambda: standardize(["a"]),
        TypeError,
        ["Standardizer.fit: X must be numeric", "got dtype <U1", "convert text to numbers"],
    ),
    BadInput(
        "Standardizer.transform/unfitted",
        lambda: Standardizer().transform(X),
        RuntimeError,
        ["this Standardizer is not fitted yet", "call fit(X_train) first"],
    ),
    BadInput(
        "Standardizer.inverse_transform/unfitted",
        lambda: Standardizer().inverse_transform(X),
        RuntimeError,
        ["not fitted yet", "call fit(X_train) first"],
    ),
    BadInput(
        "Standardizer.inverse_transform/feature-mismatch",
        lambda: Standardizer().fit(np.ones((3, 2))).inverse_transform(np.ones((2, 4))),
        ValueError,
        ["fitted on samples of shape (2,) but got X of shape (2, 4)", "the training data's features"],
    ),
    BadInput(
        "Standardizer.inverse_transform/text",
        lambda: Standardizer().fit(np.ones((3, 2))).inverse_transform([["a", "b"]]),
        TypeError,
        ["Standardizer.inverse_transform: Z must be numeric", "got dtype <U1"],
    ),
    # ---- load_iris ------------------------------------------------------------------------------------------
    BadInput(
        "load_iris/int-dtype",
        lambda: load_iris(dtype=np.int64),
        TypeError,
        ["load_iris: dtype must be a float dtype (np.float32 or np.float64)", "got int64"],
    ),
    BadInput(
        "load_iris/unknown-dtype",
        lambda: load_iris(dtype="double precision"),
        TypeError,
        ["load_iris: dtype must be a float dtype", "got 'double precision'"],
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
