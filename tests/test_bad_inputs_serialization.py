"""Bad-input campaign for ``tg.save``, ``tg.load``, ``tg.save_checkpoint`` and ``tg.load_checkpoint``: each thing a
user can get wrong, and a message that names the argument (or the path inside the saved object, or the file),
the value and the fix."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bad_input import BadInput, check, params

import tinygrad_edu as tg
from tinygrad_edu.serialization import MAX_DEPTH, SerializationError

DIR = Path(tempfile.mkdtemp(prefix="tg-bad-inputs-"))
atexit.register(shutil.rmtree, DIR, ignore_errors=True)


def _file(name: str, content: bytes) -> Path:
    path = DIR / name
    path.write_bytes(content)
    return path


def _zip(name: str, members: dict[str, str]) -> Path:
    path = DIR / name
    with zipfile.ZipFile(path, "w") as z:
        for member, text in members.items():
            z.writestr(member, text)
    return path


def _metadata(obj_json: str, version: int = 1) -> str:
    return f'{{"format": "tinygrad_edu.save", "version": {version}, "arrays": {{}}, "object": {obj_json}}}'


def _cycle() -> dict[str, Any]:
    d: dict[str, Any] = {"a": {"lr": 0.1}}
    d["a"]["self"] = d["a"]
    return d


def _nested(depth: int) -> dict[str, Any]:
    obj: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        obj = {"x": obj}
    return obj


def _checkpoint(name: str, **entries: Any) -> Path:
    path = DIR / name
    tg.save_checkpoint(path, **entries)
    return path


def _model() -> tg.nn.Linear:
    tg.manual_seed(0)
    return tg.nn.Linear(2, 1)


CHECKPOINT = _checkpoint(
    "ckpt.npz",
    model=_model(),
    stop=[tg.train.EarlyStopping(), tg.train.LossBelow(0.1)],
    callbacks=[tg.train.PrintProgress()],
    epoch=3,
)

CASES: list[BadInput] = [
    # ---- save: what is saved
    BadInput(
        "save/a-tensor",
        lambda: tg.save({"w": tg.Tensor([1.0])}, DIR / "t.npz"),
        TypeError,
        ("cannot save obj['w']: a Tensor", "save its values (t.data", "model.state_dict()"),
    ),
    BadInput(
        "save/a-module",
        lambda: tg.save(_model(), DIR / "m.npz"),
        TypeError,
        ("cannot save obj: a Linear object", "save its state_dict()"),
    ),
    BadInput(
        "save/a-function",
        lambda: tg.save({"opt": {"fn": len}}, DIR / "f.npz"),
        TypeError,
        ("cannot save obj['opt']['fn']: a function or callable (builtin_function_or_method)", "re-create it"),
    ),
    BadInput(
        "save/tuple-key",
        lambda: tg.save({(1, 2): 3}, DIR / "k.npz"),
        TypeError,
        ("cannot save obj: dict keys must be str or int", "got (1, 2) (tuple)"),
    ),
    BadInput(
        "save/object-array",
        lambda: tg.save({"a": np.array([None])}, DIR / "o.npz"),
        TypeError,
        ("cannot save obj['a']: a numpy array of dtype object", "only bool, integer, float and complex arrays"),
    ),
    BadInput(
        "save/string-array",
        lambda: tg.save([np.array(["a"])], DIR / "s.npz"),
        TypeError,
        ("cannot save obj[0]: a numpy array of dtype <U1", "would need pickle"),
    ),
    BadInput(
        "save/a-set",
        lambda: tg.save({"s": {1, 2}}, DIR / "set.npz"),
        TypeError,
        ("cannot save obj['s']: a set", "tg.save writes None, bool, int, float, str, numpy arrays"),
    ),
    BadInput(
        "save/self-referencing-dict",
        lambda: tg.save(_cycle(), DIR / "c.npz"),
        SerializationError,
        ("cannot save obj['a']['self']: it is obj['a'] again", "reference cycle", "remove the back-reference"),
    ),
    BadInput(
        "save/self-referencing-list",
        lambda: tg.save((lambda lst: (lst.append(lst), lst)[1])([]), DIR / "l.npz"),
        SerializationError,
        ("cannot save obj[0]: it is obj again", "remove the back-reference"),
    ),
    BadInput(
        "save/too-deep",
        lambda: tg.save(_nested(MAX_DEPTH + 1), DIR / "d.npz"),
        SerializationError,
        ("obj nests deeper than 64 containers", "cannot save obj['x']['x']", "flatten it"),
    ),
    # ---- save: where
    BadInput(
        "save/onto-a-directory",
        lambda: tg.save({}, DIR),
        IsADirectoryError,
        (f"cannot save to {str(DIR)!r}: it is a directory", repr(os.path.join(str(DIR), "checkpoint.npz"))),
    ),
    BadInput(
        "save/missing-directory",
        lambda: tg.save({}, DIR / "nope" / "x.npz"),
        FileNotFoundError,
        ("the directory", "nope' does not exist", "os.makedirs(directory, exist_ok=True)"),
    ),
    BadInput(
        "save/path-a-number",
        lambda: tg.save({}, 3),
        TypeError,
        ("save: path must be a str or os.PathLike", "path=3 (int)", "pathlib.Path"),
    ),
    # ---- load
    BadInput(
        "load/missing-file",
        lambda: tg.load(DIR / "missing.npz"),
        FileNotFoundError,
        ("cannot load", "missing.npz': no such file", "check the path"),
    ),
    BadInput(
        "load/a-directory",
        lambda: tg.load(DIR),
        IsADirectoryError,
        (f"cannot load {str(DIR)!r}: it is a directory", "give the path of a file that tg.save wrote"),
    ),
    BadInput(
        "load/path-none", lambda: tg.load(None), TypeError, ("load: path must be a str or os.PathLike", "path=None")
    ),
    BadInput(
        "load/empty-file",
        lambda: tg.load(_file("empty.npz", b"")),
        SerializationError,
        ("empty.npz: not a file written by tg.save", "it is empty"),
    ),
    BadInput(
        "load/a-text-file",
        lambda: tg.load(_file("notes.txt", b"hello")),
        SerializationError,
        ("notes.txt: not a file written by tg.save", "not a zip/.npz archive", "truncated"),
    ),
    BadInput(
        "load/zip-without-metadata",
        lambda: tg.load(_zip("other.zip", {"readme.txt": "hi"})),
        SerializationError,
        ("other.zip: not a file written by tg.save", "no metadata.json in the archive"),
    ),
    BadInput(
        "load/newer-version",
        lambda: tg.load(_zip("newer.npz", {"metadata.json": _metadata("1", version=99)})),
        SerializationError,
        ("newer.npz: written by a newer version", "format version 99", "upgrade tinygrad_edu"),
    ),
    BadInput(
        "load/deep-metadata",
        lambda: tg.load(_zip("deep.npz", {"metadata.json": _metadata("[" * 500 + "]" * 500)})),
        SerializationError,
        ("deep.npz: metadata.json nests deeper than 194 levels", "not written by tg.save"),
    ),
    BadInput(
        "load/metadata-past-the-recursion-limit",
        lambda: tg.load(_zip("deeper.npz", {"metadata.json": _metadata("[" * 100_000 + "]" * 100_000)})),
        SerializationError,
        ("deeper.npz: metadata.json nests deeper than", "the file is corrupt or was not written by tg.save"),
    ),
    # ---- save_checkpoint
    BadInput(
        "save_checkpoint/model-without-state-dict",
        lambda: tg.save_checkpoint(DIR / "x.npz", model=[1, 2]),
        TypeError,
        ("save_checkpoint: model must have a state_dict() method", "model=[1, 2] (list)", "pass the model object"),
    ),
    BadInput(
        "save_checkpoint/history-a-dict",
        lambda: tg.save_checkpoint(DIR / "x.npz", history={"loss": []}),
        TypeError,
        ("save_checkpoint: history must be the History that fit returned", "history={'loss': []} (dict)"),
    ),
    BadInput(
        "save_checkpoint/epoch-negative",
        lambda: tg.save_checkpoint(DIR / "x.npz", epoch=-1),
        ValueError,
        ("save_checkpoint: epoch must be an int >= 0", "epoch=-1", "epoch=history.n_epochs"),
    ),
    BadInput(
        "save_checkpoint/stop-a-number",
        lambda: tg.save_checkpoint(DIR / "x.npz", stop=[tg.train.LossBelow(0.1), 3]),
        TypeError,
        ("save_checkpoint: stop must hold StopConditions", "got 3 (int) at stop[1]", "what you pass to fit(stop=...)"),
    ),
    BadInput(
        "save_checkpoint/callback-a-str",
        lambda: tg.save_checkpoint(DIR / "x.npz", callbacks=["print"]),
        TypeError,
        ("save_checkpoint: callbacks must hold callback objects", "got 'print' at callbacks[0]"),
    ),
    BadInput(
        "save_checkpoint/onto-a-directory",
        lambda: tg.save_checkpoint(DIR, epoch=1),
        IsADirectoryError,
        ("it is a directory", "checkpoint.npz"),
    ),
    # ---- load_checkpoint
    BadInput(
        "load_checkpoint/not-a-checkpoint",
        lambda: (tg.save([1, 2], DIR / "list.npz"), tg.load_checkpoint(DIR / "list.npz", model=_model())),
        SerializationError,
        ("list.npz: not a checkpoint (it holds a list, not a dict)", "load it with tg.load"),
    ),
    BadInput(
        "load_checkpoint/missing-entry",
        lambda: tg.load_checkpoint(CHECKPOINT, optimizer=tg.optim.SGD(_model().parameters(), lr=0.1)),
        ValueError,
        ("the checkpoint has no 'optimizer' entry", "(it has ['callbacks', 'epoch', 'model', 'stop'])", "optimizer="),
    ),
    BadInput(
        "load_checkpoint/model-of-another-shape",
        lambda: tg.load_checkpoint(CHECKPOINT, model=tg.nn.Linear(3, 1)),
        ValueError,
        ("ckpt.npz: checkpoint['model'] does not fit the Linear", "weight"),
    ),
    BadInput(
        "load_checkpoint/fewer-conditions",
        lambda: tg.load_checkpoint(CHECKPOINT, stop=tg.train.EarlyStopping()),
        ValueError,
        ("checkpoint['stop']: the saved states are for 2 object(s)", "but 1 were given", "in the same order"),
    ),
    BadInput(
        "load_checkpoint/conditions-in-another-order",
        lambda: tg.load_checkpoint(CHECKPOINT, stop=[tg.train.LossBelow(0.1), tg.train.EarlyStopping()]),
        ValueError,
        ("checkpoint['stop'][0] (LossBelow)", "the state was saved by 'EarlyStopping'", "in the same order"),
    ),
    BadInput(
        "load_checkpoint/another-callback",
        lambda: tg.load_checkpoint(CHECKPOINT, callbacks=[tg.train.LambdaCallback(on_epoch_end=print)]),
        ValueError,
        ("checkpoint['callbacks'][0] (LambdaCallback)", "saved by 'PrintProgress'", "load each object's own state"),
    ),
    BadInput(
        "load_checkpoint/strict-a-str",
        lambda: tg.load_checkpoint(CHECKPOINT, model=_model(), strict="no"),
        TypeError,
        ("load_checkpoint: strict must be True or False", "strict='no'"),
    ),
    BadInput(
        "load_checkpoint/path-a-number",
        lambda: tg.load_checkpoint(7),
        TypeError,
        ("load_checkpoint: path must be a str or os.PathLike", "path=7 (int)"),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input(case):
    check(case)
