"""The library's one random-number generator, seeded by :func:`manual_seed`.

Everything random in tinygrad_edu (tensor factories, initialisers, shuffles without an explicit seed) draws
from :func:`generator`, so one ``tg.manual_seed(0)`` at the top of a script makes the whole run repeatable.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator and return it.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> _ = tg.manual_seed(0)
    >>> a = tg.Tensor.randn(3)
    >>> _ = tg.manual_seed(0)
    >>> bool((tg.Tensor.randn(3) == a).all())
    True
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed needs a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The global ``numpy.random.Generator`` (reseeded by :func:`manual_seed`)."""
    return _generator
