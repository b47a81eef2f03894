"""The one helper behind every ``state_dict`` / ``load_state_dict`` of the stopping conditions and callbacks.

A state dict is ``{"type": <class name>, <key>: <value>, ...}``: plain data (numbers, strings, None, numpy
arrays, lists and dicts of them, StopReasons) that ``tg.save`` writes. Loading checks the class and the keys
before anything changes, and names what is wrong, like an optimiser's ``load_state_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["make_state", "checked_state", "copy_tree", "state_of", "load_state_of", "load_states"]


def copy_tree(value: Any) -> Any:
    """A copy of ``value`` in which every numpy array, list and dict is new: a saved state never changes when
    training goes on, and a loaded one is never shared with the dict it came from."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, Mapping):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) for v in value]
    return value


def make_state(owner: object, **entries: Any) -> dict[str, Any]:
    """``{"type": type(owner).__name__, **entries}``, every array copied."""
    return {"type": type(owner).__name__, **{k: copy_tree(v) for k, v in entries.items()}}


def checked_state(owner: object, state: Any, keys: Sequence[str]) -> dict[str, Any]:
    """``state`` as a dict after checking that it was made by ``owner``'s class and has every key of ``keys``.

    Raises
    ------
    TypeError
        ``state`` is not a dict.
    ValueError
        It is the state of another class, or lacks keys; the message names the class, the keys and the fix.
    """
    name = type(owner).__name__
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{name}.load_state_dict: state must be a dict made by {name}.state_dict(), got {state!r} "
            f"({type(state).__name__})"
        )
    saved = state.get("type")
    if saved != name:
        raise ValueError(
            f"{name}.load_state_dict: the state was saved by {saved!r}, not by {name!r}; load each object's own "
            "state (in the same order as when it was saved)"
        )
    missing = [k for k in keys if k not in state]
    if missing:
        raise ValueError(
            f"{name}.load_state_dict: the state lacks the key(s) {missing} (it has {sorted(state)}); pass a dict "
            f"made by {name}.state_dict()"
        )
    return dict(state)


def state_of(obj: object) -> dict[str, Any]:
    """``obj.state_dict()``; for a duck-typed callback without one, the state of a stateless object."""
    method = getattr(obj, "state_dict", None)
    return method() if callable(method) else make_state(obj)


def load_state_of(obj: object, state: Any) -> None:
    """``obj.load_state_dict(state)``; for an object without one, only the class is checked."""
    method = getattr(obj, "load_state_dict", None)
    if callable(method):
        method(state)
    else:
        checked_state(obj, state, ())


def load_states(objects: Sequence[object], states: Any, what: str) -> None:
    """Load ``states[i]`` into ``objects[i]``, all or none: when one refuses its state, the objects loaded
    before it get their previous state back and the error names the position, ``what[i]``.

    Raises
    ------
    TypeError, ValueError
        ``states`` is not a list of as many states as there are objects, or an object refuses its state.
    """
    if not isinstance(states, Sequence) or isinstance(states, (str, bytes)):
        raise TypeError(f"{what}: expected a list of states (one per object), got {type(states).__name__}")
    if len(states) != len(objects):
        kinds = [type(o).__name__ for o in objects]
        saved = [s.get("type") if isinstance(s, Mapping) else type(s).__name__ for s in states]
        raise ValueError(
            f"{what}: the saved states are for {len(states)} object(s) {saved}, but {len(objects)} were given "
            f"{kinds}; pass the same objects, in the same order, as when saving"
        )
    backups = [state_of(o) for o in objects]
    for i, (obj, state) in enumerate(zip(objects, states, strict=True)):
        try:
            load_state_of(obj, state)
        except (TypeError, ValueError) as err:
            for earlier, backup in zip(objects[:i], backups[:i], strict=True):
                load_state_of(earlier, backup)
            raise type(err)(f"{what}[{i}] ({type(obj).__name__}): {err}") from err
