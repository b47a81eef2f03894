"""Save and load state dicts, histories and checkpoints: numpy arrays + JSON, never pickle, written atomically.

``tg.save(obj, path)`` writes ``obj`` (a model's ``state_dict()``, an optimiser's ``state_dict()``, a
:class:`~tinygrad_edu.train.History`, or a dict combining them: a checkpoint) to one file, and ``tg.load(path)``
gives it back: the same nesting of dicts, lists and tuples, numbers, strings, numpy arrays (same dtype, shape
and values, bit for bit) and History objects.

**The format.** The file is a zip archive in numpy's ``.npz`` layout: each array is a ``.npy`` member, and
``metadata.json`` describes everything else (the nesting, the numbers and strings, each array's dtype and
shape). ``numpy.load(path, allow_pickle=False)`` opens it, any zip tool lists it, and loading it never runs
pickle, so a file from someone else cannot execute code. What cannot be written this way (a function, a
Tensor, a Module) is refused when saving, with the path to it (``obj['optimizer']['param_groups'][0]['fn']``).

**Atomic writes.** ``save`` writes a hidden temporary file in the target's directory, flushes it to disk
(``fsync``), and renames it over the target (``os.replace``, atomic on POSIX and Windows). A crash or an
error mid-save leaves the previous file untouched (at worst, a stray ``.name.*.tmp`` file after a hard
crash); there is never a truncated file under the target's name.

**Errors.** Loading something that is not such a file, or a corrupt or truncated one, raises
:class:`SerializationError` (a ``ValueError``) naming the file and the problem. So does saving an object that
is not a tree (it contains itself: the error gives the path to the cycle, ``obj['a']['self']``) or that nests
deeper than :data:`MAX_DEPTH` containers; and loading a file whose metadata nests deeper than such an object
can, so a hostile file cannot exhaust the interpreter's recursion. A checkpoint that does not
fit the objects it is loaded into (missing keys, other shapes or dtypes) is reported by
:func:`load_checkpoint` with the file's name and the ``load_state_dict`` error that says which key.

Examples
--------
>>> import tempfile, os
>>> import tinygrad_edu as tg
>>> model = tg.nn.Linear(3, 2)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> tg.save(model.state_dict(), path)
>>> model.load_state_dict(tg.load(path))
IncompatibleKeys(missing_keys=[], unexpected_keys=[])
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import zipfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_flag
from .data.loader import DataLoader
from .nn.module import Module
from .optim.optimizer import Optimizer
from .optim.schedules import LRScheduler
from .tensor import Tensor
from .train._statedict import load_states, state_of
from .train.fit import as_callbacks, as_conditions
from .train.history import History, StopReason

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["SerializationError", "save", "load", "save_checkpoint", "load_checkpoint", "FORMAT", "MAX_DEPTH"]

#: The ``format`` entry of ``metadata.json``; loading refuses other formats and newer versions.
FORMAT = "tinygrad_edu.save"
VERSION = 1
#: The deepest nesting of containers (dicts, lists, tuples, Histories) that ``save`` writes. A checkpoint
#: nests about 8 deep; the limit keeps ``save`` and ``load`` far from Python's recursion limit.
MAX_DEPTH = 64
#: The deepest JSON nesting ``load`` accepts: one container of the object is at most 3 levels of JSON (a dict
#: with int keys is ``{"__tg__": "dict", "items": [[key, value], ...]}``), plus the metadata's own 2.
_MAX_JSON_DEPTH = 3 * MAX_DEPTH + 2

_METADATA = "metadata.json"
_TAG = "__tg__"  # marks encoded values in the JSON tree; user dict keys may not use it
_DATACLASSES: dict[str, type[DataclassInstance]] = {"History": History, "StopReason": StopReason}
_ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex: what .npy holds without pickle


class SerializationError(ValueError):
    """A file that :func:`load` cannot read (not written by :func:`save`, corrupt, truncated, from a newer
    version, or nested too deeply), or an object that :func:`save` cannot write as a tree (a reference cycle,
    or deeper than :data:`MAX_DEPTH`). The message names the file, or the path inside the object, and the
    problem."""


# --------------------------------------------------------------------------------------------------------
# encoding: a JSON tree plus a dict of arrays
# --------------------------------------------------------------------------------------------------------


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.open: dict[int, str] = {}  # id -> path of the containers being encoded: the ancestors of a value

    def array(self, a: np.ndarray, where: str) -> str:
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.hasobject:
            raise TypeError(
                f"cannot save {where}: a numpy array of dtype {a.dtype}; only bool, integer, float and complex "
                "arrays are saved (other dtypes would need pickle)"
            )
        key = f"a{len(self.arrays)}"
        self.arrays[key] = a
        return key

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (list, tuple, Mapping)) or dataclasses.is_dataclass(value):
            return self.container(value, where)
        return self.leaf(value, where)

    def container(self, value: Any, where: str) -> Any:
        """Encode a list, tuple, dict or History, refusing a cycle and a nesting deeper than MAX_DEPTH."""
        if id(value) in self.open:
            raise SerializationError(
                f"cannot save {where}: it is {self.open[id(value)]} again (the object contains itself, a reference "
                "cycle); tg.save writes trees: remove the back-reference, or save a copy without it"
            )
        if len(self.open) >= MAX_DEPTH:
            raise SerializationError(
                f"cannot save {_shortened(where)}: obj nests deeper than {MAX_DEPTH} containers (dicts, lists, "
                "tuples); flatten it (e.g. a dict with 'a.b.c' keys)"
            )
        self.open[id(value)] = where
        try:
            return self.nested(value, where)
        finally:
            del self.open[id(value)]

    def leaf(self, value: Any, where: str) -> Any:
        if isinstance(value, np.generic):  # before int/float: np.float64 is a float subclass
            if value.dtype.kind not in _ARRAY_KINDS:
                raise TypeError(f"cannot save {where}: a numpy scalar of dtype {value.dtype}")
            return {_TAG: "scalar", "key": self.array(np.asarray(value), where)}
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, np.ndarray):
            return {_TAG: "ndarray", "key": self.array(value, where)}
        raise TypeError(f"cannot save {where}: {_refusal(value)}")

    def nested(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {_TAG: "tuple", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, Mapping):
            return self.mapping(value, where)
        name = type(value).__name__
        if name in _DATACLASSES and isinstance(value, _DATACLASSES[name]):
            fields = {
                f.name: self.encode(getattr(value, f.name), f"{where}.{f.name}") for f in dataclasses.fields(value)
            }
            return {_TAG: name, "fields": fields}
        raise TypeError(f"cannot save {where}: {_refusal(value)}")

    def mapping(self, value: Mapping[Any, Any], where: str) -> Any:
        for key in value:
            if isinstance(key, bool) or not isinstance(key, (str, int, np.integer)):
                raise TypeError(
                    f"cannot save {where}: dict keys must be str or int, got {key!r} ({type(key).__name__})"
                )
        if all(isinstance(key, str) for key in value) and _TAG not in value:
            return {key: self.encode(v, f"{where}[{key!r}]") for key, v in value.items()}
        items = [
            [key if isinstance(key, str) else int(key), self.encode(v, f"{where}[{key!r}]")] for key, v in value.items()
        ]
        return {_TAG: "dict", "items": items}


def _shortened(where: str, limit: int = 200) -> str:
    return where if len(where) <= limit else where[:limit] + "..."


def _refusal(value: Any) -> str:
    """Why ``value`` cannot be saved, and what to save instead."""
    name = type(value).__name__
    if isinstance(value, Tensor):
        return "a Tensor; save its values (t.data, a numpy array) or, for a model's parameters, model.state_dict()"
    if isinstance(value, (Module, Optimizer, LRScheduler, DataLoader)):
        return f"a {name} object; save its state_dict() (objects are rebuilt by your code, then load_state_dict)"
    if callable(value):
        return f"a function or callable ({name}); code is not saved (that would need pickle): re-create it when loading"
    return (
        f"a {name}; tg.save writes None, bool, int, float, str, numpy arrays and scalars, lists, tuples, dicts with "
        "str or int keys, and History"
    )


class _Decoder:
    def __init__(self, arrays: Mapping[str, np.ndarray], path: str) -> None:
        self.arrays = arrays
        self.path = path

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        tag = node.get(_TAG)
        if tag is None:
            return {key: self.decode(v) for key, v in node.items()}
        if tag == "ndarray":
            return self.array(node)
        if tag == "scalar":
            return self.array(node)[()]
        if tag == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if tag == "dict":
            return {key: self.decode(v) for key, v in node["items"]}
        if tag in _DATACLASSES:
            cls = _DATACLASSES[tag]
            fields = {f.name for f in dataclasses.fields(cls)}
            values = {key: self.decode(v) for key, v in node["fields"].items()}
            unknown = set(values) - fields
            if unknown:
                raise SerializationError(
                    f"{self.path}: the saved {tag} has fields {sorted(unknown)} that this version of tinygrad_edu does "
                    "not know; the file was written by a newer version"
                )
            return cls(**values)
        raise SerializationError(f"{self.path}: unknown entry type {tag!r} in {_METADATA}")

    def array(self, node: dict[str, Any]) -> np.ndarray:
        key = node["key"]
        if key not in self.arrays:
            raise SerializationError(
                f"{self.path}: the array {key!r} listed in {_METADATA} is missing from the archive"
            )
        return self.arrays[key]


# --------------------------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------------------------


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` to ``path`` atomically, as numpy arrays plus JSON metadata (no pickle).

    Parameters
    ----------
    obj : state dict, History, or a dict/list/tuple of such values
        ``model.state_dict()``, ``optimizer.state_dict()``, ``scheduler.state_dict()``,
        ``loader.state_dict()``, a ``History``, or a checkpoint dict combining them with numbers and strings
        (``{"model": ..., "optimizer": ..., "history": ..., "epoch": 2}``). Arrays keep dtype and shape.
    path : str or path-like
        The file to write, used as given (no suffix is added; ``.npz`` is a good choice). Its directory must
        exist. An existing file is replaced only once the new one is complete on disk.

    Raises
    ------
    TypeError
        ``obj`` contains something that cannot be saved without pickle (a Tensor, a Module, a function);
        the message gives the path to it. Nothing is written then.
    SerializationError
        ``obj`` contains itself (a reference cycle; the message gives the path to it) or nests deeper than
        :data:`MAX_DEPTH` containers. Nothing is written then.
    IsADirectoryError, FileNotFoundError
        ``path`` is a directory, or its directory does not exist.
    """
    path = _as_path(path, "save")
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"cannot save to {path!r}: it is a directory; give a file path, e.g. "
            f"{os.path.join(path, 'checkpoint.npz')!r}"
        )
    encoder = _Encoder()
    tree = encoder.encode(obj, "obj")
    arrays = encoder.arrays
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "arrays": {key: {"dtype": a.dtype.str, "shape": list(a.shape)} for key, a in arrays.items()},
        "object": tree,
    }
    text = json.dumps(metadata, allow_nan=True)  # NaN/Infinity as Python's json writes and reads them
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"cannot save to {path!r}: the directory {directory!r} does not exist; create it first "
            "(os.makedirs(directory, exist_ok=True))"
        )
    tmp = _create_temporary(directory, os.path.basename(path))
    try:
        with open(tmp, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                archive.writestr(_METADATA, text.encode("utf-8"))
                for key, a in arrays.items():
                    with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, a, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _as_path(path: Any, function: str) -> str:
    """``os.fspath(path)``, with a message that names the argument when it is not a path."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(
            f"{function}: path must be a str or os.PathLike (e.g. 'model.npz' or pathlib.Path), got path={path!r} "
            f"({type(path).__name__})"
        ) from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return path


def _create_temporary(directory: str, name: str) -> str:
    """An empty new file ``.{name}.{random}.tmp`` next to the target (same file system, so the final rename is
    atomic), created with the usual permissions."""
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            with open(tmp, "xb"):
                return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {name!r} in {directory!r}")


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> Any:
    """Read what :func:`save` wrote to ``path``.

    Arrays come back as new, writeable numpy arrays with their saved dtype and shape; Histories as
    ``History`` objects; dict keys, tuples, numbers and strings as they were saved.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        No such file, or ``path`` is a directory.
    SerializationError
        The file is not a ``tg.save`` file, is corrupt or truncated (a checksum or the archive's structure
        does not match), was written by a newer version, or its metadata nests deeper than any file ``save``
        writes; the message names the file.
    """
    path = _as_path(path, "load")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot load {path!r}: it is a directory; give the path of a file that tg.save wrote")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"cannot load {path!r}: no such file; check the path (tg.save writes the name as given, adding no suffix)"
        )
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        raise SerializationError(
            f"{path}: not a file written by tg.save (it is not a zip/.npz archive"
            + (", it is empty)" if not magic else ")")
            + "; if it was being written when a program stopped, it is truncated"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            if _METADATA not in npz.files:
                raise SerializationError(f"{path}: not a file written by tg.save (no {_METADATA} in the archive)")
            raw = npz[_METADATA]  # a plain member comes back as bytes (a .npy member of that name as an array)
            if not isinstance(raw, bytes):
                raise SerializationError(f"{path}: not a file written by tg.save ({_METADATA} is not JSON text)")
            metadata = _parse_metadata(raw, path)
            _check_metadata(metadata, path)
            arrays = {}
            for key, spec in metadata["arrays"].items():
                if key not in npz.files:
                    raise SerializationError(
                        f"{path}: the array {key!r} listed in {_METADATA} is missing from the archive"
                    )
                a = npz[key]
                if a.dtype.str != spec["dtype"] or list(a.shape) != list(spec["shape"]):
                    raise SerializationError(
                        f"{path}: the array {key!r} has dtype {a.dtype.str} and shape {a.shape}, but {_METADATA} "
                        f"says {spec['dtype']} and {tuple(spec['shape'])}: the file is corrupt"
                    )
                arrays[key] = a
            return _Decoder(arrays, path).decode(metadata["object"])
    except SerializationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as err:
        raise SerializationError(
            f"{path}: cannot read it, the file is corrupt or truncated ({type(err).__name__}: {err})"
        ) from err


def _parse_metadata(raw: bytes, path: str) -> Any:
    """The JSON of ``metadata.json``, refused (SerializationError) when it nests deeper than a saved file can."""
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except RecursionError:  # json's own parser recurses once per level
        metadata = None
        deep = True
    else:
        deep = _json_depth(metadata) > _MAX_JSON_DEPTH
    if deep:
        raise SerializationError(
            f"{path}: {_METADATA} nests deeper than {_MAX_JSON_DEPTH} levels, deeper than any file tg.save writes "
            f"(objects nest at most {MAX_DEPTH} containers deep): the file is corrupt or was not written by tg.save"
        )
    return metadata


def _json_depth(node: Any) -> int:
    """The nesting depth of a JSON value, walked without recursion (a hostile file may nest very deeply)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth > _MAX_JSON_DEPTH:
                return depth
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_metadata(metadata: Any, path: str) -> None:
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        found = metadata.get("format") if isinstance(metadata, dict) else type(metadata).__name__
        raise SerializationError(f"{path}: not a file written by tg.save (format {found!r}, expected {FORMAT!r})")
    version = metadata.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SerializationError(
            f"{path}: written by a newer version of tinygrad_edu (format version {version!r}; this one reads up to "
            f"{VERSION}): upgrade tinygrad_edu"
        )
    if not isinstance(metadata.get("arrays"), dict) or "object" not in metadata:
        raise SerializationError(f"{path}: {_METADATA} lacks its 'arrays' or 'object' entry: the file is corrupt")


# --------------------------------------------------------------------------------------------------------
# checkpoints: everything needed to resume training, in one file
# --------------------------------------------------------------------------------------------------------

_STATEFUL = ("model", "optimizer", "scheduler", "loader")


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    loader: Any = None,
    history: History | None = None,
    epoch: int | None = None,
    stop: Any = None,
    callbacks: Any = None,
    **extra: Any,
) -> None:
    """Save what resuming a training run needs, in one file: ``{"model": model.state_dict(), "optimizer":
    optimizer.state_dict(), "scheduler": ..., "loader": loader.state_dict(), "history": history, "epoch": epoch,
    "stop": [each condition's state_dict()], "callbacks": [each callback's state_dict()], **extra}`` (the entries
    given).

    The loader's state holds its epoch counter and shuffling seed, so that the resumed run visits the batches
    in the same order as an uninterrupted one would; the stopping conditions' and callbacks' states (e.g.
    ``EarlyStopping``'s best value and patience counter) let ``fit(..., resume=history)`` stop where the
    uninterrupted run would; the History also carries the state of the ``Divergence`` check that ``fit`` added.
    See :func:`load_checkpoint`.

    Parameters
    ----------
    path : str or path-like
        The file to write (see :func:`save`).
    model, optimizer, scheduler, loader : objects with ``state_dict()``, optional
    history : History, optional
        The History of the run (``fit``'s return value, or ``state.history`` in a callback).
    epoch : int, optional
        A number of your choice stored as ``checkpoint["epoch"]`` (usually the epochs done).
    stop, callbacks : one object or a sequence, optional
        What you pass to ``fit(stop=..., callbacks=...)``; each one's ``state_dict()`` is saved in order.
    **extra
        More entries (numbers, strings, arrays, dicts of them).

    Examples
    --------
    >>> import os, tempfile
    >>> import tinygrad_edu as tg
    >>> X, y, _ = tg.data.make_linear_regression(32, 2, seed=0)
    >>> model = tg.nn.Linear(2, 1, dtype=X.dtype)
    >>> opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> loader = tg.data.DataLoader(X, y, batch_size=8, seed=0)
    >>> h = tg.train.fit(model, tg.nn.functional.mse_loss, opt, loader, epochs=2, progress=False)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> tg.save_checkpoint(path, model=model, optimizer=opt, loader=loader, history=h, epoch=2)
    >>> ckpt = tg.load_checkpoint(path, model=model, optimizer=opt, loader=loader)   # in a new session: new objects
    >>> ckpt["epoch"], ckpt["history"].n_epochs
    (2, 2)
    """
    checkpoint: dict[str, Any] = {}
    for key, obj in zip(_STATEFUL, (model, optimizer, scheduler, loader), strict=True):
        if obj is not None:
            if not callable(getattr(obj, "state_dict", None)):
                raise TypeError(
                    f"save_checkpoint: {key} must have a state_dict() method, got {key}={obj!r} "
                    f"({type(obj).__name__}); pass the {key} object itself, e.g. {key}={key}"
                )
            checkpoint[key] = obj.state_dict()
    if history is not None:
        checkpoint["history"] = _history_with_fit_state(history)
    if epoch is not None:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(
                f"save_checkpoint: epoch must be an int >= 0 (the epochs done) or None, got epoch={epoch!r}; e.g. "
                "epoch=history.n_epochs"
            )
        checkpoint["epoch"] = int(epoch)
    for key, objects in (("stop", stop), ("callbacks", callbacks)):
        if objects is not None:
            checkpoint[key] = [state_of(obj) for obj in _objects(objects, key, "save_checkpoint")]
    checkpoint.update(extra)
    save(checkpoint, path)


def _history_with_fit_state(history: Any) -> History:
    """``history`` with ``fit_state`` holding the current state of the Divergence check that fit added."""
    if not isinstance(history, History):
        raise TypeError(
            f"save_checkpoint: history must be the History that fit returned (or state.history), got "
            f"history={history!r} ({type(history).__name__})"
        )
    divergence = getattr(history, "_fit_divergence", None)
    if divergence is None:
        return history
    return dataclasses.replace(history, fit_state={"divergence": divergence.state_dict()})


def _objects(objects: Any, key: str, function: str) -> list[Any]:
    """``stop=`` / ``callbacks=`` as a list, checked as ``fit`` checks them (one object or a sequence)."""
    return as_conditions(objects, function) if key == "stop" else as_callbacks(objects, function)


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    loader: Any = None,
    stop: Any = None,
    callbacks: Any = None,
    strict: bool = True,
) -> dict[str, Any]:
    """Load a checkpoint and restore the given objects from it (each with ``load_state_dict``); return the
    whole checkpoint dict (``history``, ``epoch`` and your extra entries are in it).

    The objects are restored in the order model, optimizer, scheduler, loader, stop, callbacks. An object whose
    entry is missing from the file, or whose ``load_state_dict`` refuses it (missing or unexpected keys, another
    shape or dtype, the state of another class), raises ``ValueError``/``TypeError`` naming the file, the entry
    and the problem; that object is unchanged (a model checks everything before copying; the stopping
    conditions, and the callbacks, are loaded all or none), the ones before it in that order are already
    restored.

    To continue the run, pass the checkpoint's History to ``fit(..., resume=checkpoint["history"])`` with the
    same ``stop`` and ``callbacks`` objects.

    Parameters
    ----------
    path : str or path-like
    model, optimizer, scheduler, loader : objects with ``load_state_dict``, optional
        Built by your code as for the original run (same architecture, same parameter order).
    stop, callbacks : one object or a sequence, optional
        The stopping conditions and callbacks of the resumed ``fit``, built as for the original run, in the
        same order as when saving.
    strict : bool, default True
        Passed to ``model.load_state_dict``.
    """
    path = _as_path(path, "load_checkpoint")
    check_flag(strict, "strict", "load_checkpoint")
    checkpoint = load(path)
    if not isinstance(checkpoint, dict):
        raise SerializationError(
            f"{path}: not a checkpoint (it holds a {type(checkpoint).__name__}, not a dict); load it with tg.load, or "
            "write checkpoints with tg.save_checkpoint"
        )
    for key, obj in zip(_STATEFUL, (model, optimizer, scheduler, loader), strict=True):
        if obj is None:
            continue
        _require_entry(checkpoint, key, path)
        try:
            if key == "model":
                obj.load_state_dict(checkpoint[key], strict=strict)
            else:
                obj.load_state_dict(checkpoint[key])
        except (ValueError, TypeError, KeyError) as err:
            cls = TypeError if isinstance(err, TypeError) else ValueError
            raise cls(f"{path}: checkpoint[{key!r}] does not fit the {type(obj).__name__}: {err}") from err
    for key, objects in (("stop", stop), ("callbacks", callbacks)):
        if objects is not None:
            items = _objects(objects, key, "load_checkpoint")
            _require_entry(checkpoint, key, path)
            try:
                load_states(items, checkpoint[key], f"checkpoint[{key!r}]")
            except (ValueError, TypeError) as err:
                raise type(err)(f"{path}: {err}") from err
    return checkpoint


def _require_entry(checkpoint: dict[str, Any], key: str, path: str) -> None:
    if key not in checkpoint:
        raise ValueError(
            f"{path}: the checkpoint has no {key!r} entry (it has {sorted(checkpoint)}); save it with "
            f"tg.save_checkpoint(..., {key}=...), or do not pass {key}= here"
        )
