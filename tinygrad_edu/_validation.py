"""Argument checks shared by several layers of the package (numpy only, so that every layer may import it)."""

from __future__ import annotations

from typing import Any

import numpy as np


def float_dtype(dtype: Any, owner: str) -> np.dtype:
    """``dtype`` as a numpy float dtype, else a TypeError naming ``owner``, the value and the fix.

    Parameters and data sets that gradients flow through need floating point: integer parameters cannot
    require gradients.
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        given = repr(dtype) if dt is None else str(dt)
        raise TypeError(
            f"{owner}: dtype must be a float dtype (np.float32 or np.float64), got {given}; use np.float32 or "
            "np.float64"
        )
    return dt


def check_flag(value: Any, name: str, owner: str = "") -> bool:
    """``value`` as a bool if it is one (numpy's included), else a TypeError naming ``owner``, ``name``, the value
    and the fix.

    Only a bool passes: a truthy string such as ``"no"`` or ``"False"``, or a number passed by position, would
    otherwise silently count as True.
    """
    if not isinstance(value, (bool, np.bool_)):
        where = f"{owner}: " if owner else ""
        raise TypeError(
            f"{where}{name} must be True or False, got {value!r} ({type(value).__name__}); instead of "
            f"{name}={value!r}, pass {name}=True or {name}=False"
        )
    return bool(value)
