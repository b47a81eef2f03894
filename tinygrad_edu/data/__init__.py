r"""Data: ``DataLoader`` (full batch, mini-batch, stochastic), seeded synthetic data sets, the Iris and digits data,
``train_test_split`` and ``standardize``.

numpy arrays, lists and Tensors go in; the generators return numpy arrays, the loader yields Tensors.
Nothing here needs gradients.

>>> import tinygrad_edu as tg
>>> X, y, w_true = tg.data.make_linear_regression(100, 3, noise=0.1, seed=0)
>>> loader = tg.data.DataLoader(X, y, batch_size=32, seed=0)
>>> len(loader), loader.batch_sizes                  # 4 iterations per epoch, the last batch is smaller
(4, [32, 32, 32, 4])
"""

from .datasets import (
    Dataset,
    Quadratic,
    Standardizer,
    load_digits,
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
from .loader import DataLoader

__all__ = [
    "DataLoader",
    "make_linear_regression",
    "make_classification",
    "make_blobs",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_quadratic",
    "Quadratic",
    "train_test_split",
    "standardize",
    "Standardizer",
    "load_iris",
    "Dataset",
    "load_digits",
]
