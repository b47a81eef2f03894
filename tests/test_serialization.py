"""tg.save / tg.load and checkpoints: exact round trips (values, dtypes, shapes, Python types), the file format
(an .npz that numpy opens with allow_pickle=False, plus metadata.json), refusals, atomic writes under failures
and crashes mid-write, clear errors for corrupt, truncated and foreign files and for state dicts that do not
fit, and a training run resumed from a checkpoint that continues bit for bit."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, serialization
from tinygrad_edu.serialization import SerializationError

ROOT = Path(__file__).resolve().parents[1]
F = tg.nn.functional


def assert_same(a, b, where="obj"):
    """Equal structure, Python types, and arrays equal bit for bit with the same dtype and shape (NaN == NaN)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    elif isinstance(a, tg.train.History):
        assert_same(a.to_dict(), b.to_dict(), f"{where}.to_dict()")
    else:
        assert a == b, where


def roundtrip(obj, tmp_path, name="obj.npz"):
    path = tmp_path / name
    tg.save(obj, path)
    return tg.load(path)


def trained(seed=0, epochs=3):
    """A small MLP trained with Adam on Iris: a model, optimiser, loader and History with real state."""
    tg.manual_seed(seed)
    X, y = tg.data.load_iris()
    model = tg.nn.MLP([4, 8, 3])
    opt = tg.optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.99), amsgrad=True)
    loader = tg.data.DataLoader(X, y, batch_size=32)
    history = tg.train.fit(
        model, F.cross_entropy, opt, loader, epochs=epochs, record_params=5, metrics=["accuracy"], progress=False
    )
    return model, opt, loader, history


# --------------------------------------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------------------------------------


def test_model_state_dict_roundtrip_is_exact(tmp_path):
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 2, dtype=np.float64))
    state = model.state_dict()
    loaded = roundtrip(state, tmp_path)
    assert_same(state, loaded)
    assert all(a.flags.writeable for a in loaded.values())
    fresh = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 2, dtype=np.float64))
    fresh.load_state_dict(loaded)
    for p, q in zip(model.parameters(), fresh.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_optimizer_state_dict_roundtrip_keeps_int_keys_tuples_and_numbers(tmp_path):
    _, opt, _, _ = trained()
    state = opt.state_dict()
    loaded = roundtrip(state, tmp_path)
    assert_same(state, loaded)
    assert sorted(loaded["state"]) == [0, 1, 2, 3]  # parameter indices stay ints
    assert loaded["param_groups"][0]["betas"] == (0.9, 0.99)  # a tuple, as saved
    assert type(loaded["state"][0]["step"]) is int


def test_history_roundtrip_with_snapshots_nan_and_stop_reason(tmp_path):
    _, _, _, history = trained()
    history.loss[1] = math.nan
    history.train_loss.append(math.inf)
    history.last_good_params = {"layers.0.weight": np.ones((8, 4), np.float32)}
    history.last_good_iteration = 3
    loaded = roundtrip(history, tmp_path)
    assert isinstance(loaded, tg.train.History) and isinstance(loaded.stop_reason, tg.train.StopReason)
    assert_same(history, loaded)
    assert loaded.params["layers.0.weight"][0].dtype == np.float32
    np.testing.assert_array_equal(loaded.param_trajectory("layers.2.bias"), history.param_trajectory("layers.2.bias"))


def test_checkpoint_dict_of_everything(tmp_path):
    model, opt, loader, history = trained()
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "history": history,
        "epoch": 3,
        "loader": loader.state_dict(),
        "extra": {
            "note": "lr sweep",
            "none": None,
            "flag": True,
            "big": 2**70,
            "nan": math.nan,
            "ninf": -math.inf,
            "np_scalars": [np.float32(1.5), np.int64(-3), np.bool_(True), np.float16(0.1)],
            "zero_d": np.array(2.5),
            "empty": np.zeros((0, 3), np.int8),
            "complex": np.array([1 + 2j]),
            "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
            "view": np.arange(10)[::3],
            "nested": ((1, [2, (3,)]), {4: "four", "__tg__": "not a tag"}),
        },
    }
    loaded = roundtrip(checkpoint, tmp_path)
    assert_same(checkpoint, loaded)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (Tensor([1.0]), "obj['w']: a Tensor; save its values"),
        (tg.nn.Linear(2, 1), "obj['w']: a Linear object; save its state_dict()"),
        (lambda x: x, "obj['w']: a function or callable"),
        ({1, 2}, "obj['w']: a set"),
        (np.array(["a", "b"]), "obj['w']: a numpy array of dtype <U1"),
        (np.array([object()]), "obj['w']: a numpy array of dtype object"),
        ({(1, 2): 3}, "obj['w']: dict keys must be str or int, got (1, 2)"),
    ],
)
def test_what_cannot_be_saved_without_pickle_is_refused_with_its_path(tmp_path, value, fragment):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=None) as info:
        tg.save({"w": value}, path)
    assert fragment in str(info.value)
    assert not path.exists() and list(tmp_path.iterdir()) == []  # nothing written


def test_saving_into_a_missing_directory_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the directory .*missing.* does not exist"):
        tg.save({"w": np.ones(2)}, tmp_path / "missing" / "x.npz")


def test_the_file_is_an_npz_with_json_metadata_that_numpy_reads_without_pickle(tmp_path):
    path = tmp_path / "model.npz"
    state = {"w": np.arange(6.0).reshape(2, 3), "b": np.zeros(3, np.float32)}
    tg.save(state, path)
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["a0", "a1", "metadata.json"]
        metadata = json.loads(npz["metadata.json"])
        np.testing.assert_array_equal(npz["a0"], state["w"])
    assert metadata["format"] == serialization.FORMAT and metadata["version"] == 1
    assert metadata["arrays"]["a1"] == {"dtype": "<f4", "shape": [3]}
    assert metadata["object"] == {"w": {"__tg__": "ndarray", "key": "a0"}, "b": {"__tg__": "ndarray", "key": "a1"}}
    assert zipfile.ZipFile(path).testzip() is None


# --------------------------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------------------------


def _good_file(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"w": np.arange(1000.0)}, path)
    return path, path.read_bytes()


def _fail_mid_array(monkeypatch):
    """Make the array writer write part of the data and then fail, as a full disk would."""
    real = np.lib.format.write_array

    def failing(fp, array, **kwargs):
        fp.write(b"\x93NUMPY partial data")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    return real


def test_a_failure_mid_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path, before = _good_file(tmp_path)
    _fail_mid_array(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        tg.save({"w": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(tg.load(path)["w"], np.arange(1000.0))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # the temporary file was removed


def test_a_failure_mid_write_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    _fail_mid_array(monkeypatch)
    with pytest.raises(OSError):
        tg.save({"w": np.zeros(3)}, tmp_path / "new.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_rename_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path, before = _good_file(tmp_path)

    def failing_replace(src, dst):
        raise PermissionError("simulated: rename refused")

    monkeypatch.setattr(serialization.os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        tg.save({"w": np.zeros(5)}, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_the_data_is_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(serialization.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    tg.save({"w": np.ones(3)}, tmp_path / "x.npz")
    assert events[:2] == ["fsync", "replace"]


def test_a_crash_mid_write_never_leaves_a_truncated_file_under_the_name(tmp_path):
    """A process killed (os._exit) in the middle of writing an array: the old file is untouched."""
    path, before = _good_file(tmp_path)
    script = textwrap.dedent(
        f"""
        import os, numpy as np, tinygrad_edu as tg
        def dying(fp, array, **kwargs):
            fp.write(b"\\x93NUMPY half of the data")
            fp.flush()
            os._exit(3)
        np.lib.format.write_array = dying
        tg.save({{"w": np.zeros(10**6)}}, {str(path)!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert path.read_bytes() == before
    np.testing.assert_array_equal(tg.load(path)["w"], np.arange(1000.0))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.npz"]
    assert all(n.startswith(".model.npz.") and n.endswith(".tmp") for n in leftovers)  # hidden, never loaded


# --------------------------------------------------------------------------------------------------------
# corrupt, truncated and foreign files
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 3, 30, 0.5, -1])
def test_truncated_files_raise_a_clear_error_naming_the_file(tmp_path, keep):
    path, data = _good_file(tmp_path)
    n = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    path.write_bytes(data[:n])
    with pytest.raises(SerializationError, match="truncated") as info:
        tg.load(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


def test_a_flipped_bit_in_the_array_data_is_detected(tmp_path):
    path = tmp_path / "x.npz"
    values = np.arange(1000.0)
    tg.save({"w": values}, path)
    data = bytearray(path.read_bytes())
    offset = bytes(data).find(values.tobytes())
    assert offset > 0
    data[offset + 4000] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match=r"corrupt.*(CRC|crc)") as info:
        tg.load(path)
    assert str(path) in str(info.value)


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an archive")
    with pytest.raises(SerializationError, match=r"notes.txt: not a file written by tg.save \(it is not a zip"):
        tg.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    with pytest.raises(SerializationError, match=r"plain.npz: not a file written by tg.save \(no metadata.json"):
        tg.load(plain)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{"metadata.json": np.ones(1)}, a0=np.array([object()], dtype=object))
    with pytest.raises(SerializationError, match=r"pickled.npz: not a file written by tg.save \(metadata.json is not"):
        tg.load(pickled)
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "missing.npz")


def test_a_pickled_array_inside_is_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    tg.save({"w": np.ones(1)}, path)
    with zipfile.ZipFile(path) as z:
        metadata = z.read("metadata.json")
    with zipfile.ZipFile(path, "w") as z:  # the same names, but a0.npy now holds a pickled object array
        z.writestr("metadata.json", metadata)
        with z.open("a0.npy", "w") as member:
            np.lib.format.write_array(member, np.array([{"pickled": True}], dtype=object), allow_pickle=True)
    with pytest.raises(SerializationError, match=r"evil.npz: cannot read it.*allow_pickle=False"):
        tg.load(path)


def _rewrite_metadata(path, change):
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    metadata = json.loads(members["metadata.json"])
    change(metadata)
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(format="something.else"), "format 'something.else'"),
        (lambda m: m.update(version=99), "written by a newer version"),
        (lambda m: m["arrays"].update(a0={"dtype": "<f4", "shape": [1000]}), "the file is corrupt"),
        (lambda m: m["arrays"].update(a7={"dtype": "<f8", "shape": [1]}), "'a7' listed in metadata.json is missing"),
        (lambda m: m.update(object={"__tg__": "Pickle", "x": 1}), "unknown entry type 'Pickle'"),
        (lambda m: m.pop("object"), "lacks its 'arrays' or 'object' entry"),
    ],
)
def test_inconsistent_metadata_is_reported(tmp_path, change, message):
    path, _ = _good_file(tmp_path)
    _rewrite_metadata(path, change)
    with pytest.raises(SerializationError, match=message) as info:
        tg.load(path)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------------------------------------
# state dicts that do not fit
# --------------------------------------------------------------------------------------------------------


def test_a_state_dict_with_missing_keys_wrong_shapes_or_dtypes_is_refused(tmp_path):
    model = tg.nn.MLP([2, 3, 1])
    state = model.state_dict()
    missing = dict(state)
    del missing["layers.2.bias"]
    wrong_shape = {**state, "layers.0.weight": np.zeros((2, 3), np.float32)}
    wrong_dtype = {**state, "layers.0.bias": state["layers.0.bias"].astype(np.float64)}
    for name, bad, error, fragment in [
        ("missing", missing, ValueError, "Missing keys: 'layers.2.bias'"),
        ("shape", wrong_shape, ValueError, "layers.0.weight"),
        ("dtype", wrong_dtype, TypeError, "layers.0.bias"),
    ]:
        tg.save(bad, tmp_path / f"{name}.npz")
        before = [p.data.copy() for p in model.parameters()]
        with pytest.raises(error, match=fragment):
            model.load_state_dict(tg.load(tmp_path / f"{name}.npz"))
        tg.save_checkpoint(tmp_path / f"ckpt_{name}.npz", model=tg.nn.MLP([2, 3, 1]))
        checkpoint = tg.load(tmp_path / f"ckpt_{name}.npz")
        checkpoint["model"] = bad
        tg.save(checkpoint, tmp_path / f"ckpt_{name}.npz")
        with pytest.raises(error) as info:
            tg.load_checkpoint(tmp_path / f"ckpt_{name}.npz", model=model)
        assert f"ckpt_{name}.npz: checkpoint['model'] does not fit the MLP" in str(info.value)
        assert fragment in str(info.value)
        for p, b in zip(model.parameters(), before, strict=True):  # nothing was changed
            np.testing.assert_array_equal(p.data, b)


def test_load_checkpoint_names_a_missing_entry_and_a_misfit_optimizer(tmp_path):
    model = tg.nn.Linear(2, 1)
    tg.save_checkpoint(tmp_path / "c.npz", model=model, epoch=1)
    with pytest.raises(ValueError, match=r"c.npz: the checkpoint has no 'optimizer' entry"):
        tg.load_checkpoint(tmp_path / "c.npz", optimizer=tg.optim.SGD(model.parameters(), lr=0.1))
    other = tg.nn.MLP([2, 2, 1])
    tg.save_checkpoint(tmp_path / "o.npz", optimizer=tg.optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"o.npz: checkpoint\['optimizer'\] does not fit the SGD: parameter group 0"):
        tg.load_checkpoint(tmp_path / "o.npz", optimizer=tg.optim.SGD(model.parameters(), lr=0.1))
    tg.save([1, 2], tmp_path / "list.npz")
    with pytest.raises(SerializationError, match="not a checkpoint"):
        tg.load_checkpoint(tmp_path / "list.npz", model=model)
    with pytest.raises(TypeError, match="optimizer must have a state_dict"):
        tg.save_checkpoint(tmp_path / "e.npz", optimizer=[model.weight])


# --------------------------------------------------------------------------------------------------------
# the data loader's position
# --------------------------------------------------------------------------------------------------------


def test_loader_state_resumes_the_epoch_order_also_with_a_drawn_seed():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    tg.manual_seed(1)
    a = tg.data.DataLoader(X, y, batch_size=3)  # seed=None: drawn from the global generator
    for _ in a:
        pass
    state = a.state_dict()
    assert state["epoch"] == 1 and state["n_samples"] == 10
    tg.manual_seed(2)
    b = tg.data.DataLoader(X, y, batch_size=3)
    b.load_state_dict(state)
    for _ in range(2):
        assert [yb.tolist() for _, yb in a] == [yb.tolist() for _, yb in b]


def test_loader_state_from_other_data_is_refused():
    small = tg.data.DataLoader(np.zeros((4, 1)), batch_size=2, seed=0)
    with pytest.raises(ValueError, match="saved for a data set of 10 samples, this loader has 4"):
        small.load_state_dict({"epoch": 1, "seed": 0, "n_samples": 10})
    with pytest.raises(ValueError, match="a dict with 'epoch' and 'seed'"):
        small.load_state_dict({"epoch": 1})
    with pytest.raises(ValueError, match="non-negative"):
        small.load_state_dict({"epoch": -1, "seed": 0})
    assert small.epoch == 0


# --------------------------------------------------------------------------------------------------------
# resuming training continues the identical trajectory
# --------------------------------------------------------------------------------------------------------


def _setup(seed):
    """Model, optimiser (Adam), schedule and a shuffling mini-batch loader whose seed is drawn from ``seed``."""
    tg.manual_seed(seed)
    X, y = tg.data.load_iris()
    model = tg.nn.MLP([4, 8, 3])
    opt = tg.optim.Adam(model.parameters(), lr=0.02)
    sched = tg.optim.StepLR(opt, step_size=1, gamma=0.7)
    loader = tg.data.DataLoader(X, y, batch_size=16)
    return model, opt, sched, loader


def _fit(model, opt, sched, loader, epochs):
    return tg.train.fit(model, F.cross_entropy, opt, loader, epochs=epochs, scheduler=sched, progress=False)


def test_a_resumed_run_continues_the_identical_trajectory(tmp_path):
    straight = _setup(0)
    h_straight = _fit(*straight, epochs=4)

    first = _setup(0)
    h_first = _fit(*first, epochs=2)
    model, opt, sched, loader = first
    path = tmp_path / "ckpt.npz"
    tg.save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, loader=loader, history=h_first, epoch=2)

    resumed = _setup(123)  # a fresh session: other initial weights, another drawn loader seed
    model2, opt2, sched2, loader2 = resumed
    assert not np.array_equal(model2.layers[0].weight.data, model.layers[0].weight.data)
    checkpoint = tg.load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2, loader=loader2)
    assert checkpoint["epoch"] == 2 and checkpoint["history"].n_epochs == 2
    h_second = _fit(*resumed, epochs=2)

    for p, q in zip(straight[0].parameters(), model2.parameters(), strict=True):
        assert p.data.tobytes() == q.data.tobytes()
    assert_same(straight[1].state_dict(), opt2.state_dict())
    assert h_straight.loss == checkpoint["history"].loss + h_second.loss
    assert h_straight.grad_norm == checkpoint["history"].grad_norm + h_second.grad_norm
    assert h_straight.lr == checkpoint["history"].lr + h_second.lr


def test_resuming_without_the_loader_state_would_not_be_identical(tmp_path):
    """Why the checkpoint holds the loader's position: without it the epochs replay the first orders."""
    first = _setup(0)
    _fit(*first, epochs=1)
    path = tmp_path / "ckpt.npz"
    tg.save_checkpoint(path, model=first[0], optimizer=first[1], scheduler=first[2])
    straight = _setup(0)
    h_straight = _fit(*straight, epochs=2)
    resumed = _setup(0)
    tg.load_checkpoint(path, model=resumed[0], optimizer=resumed[1], scheduler=resumed[2])
    h_second = _fit(*resumed, epochs=1)
    assert h_second.loss != h_straight.loss[len(h_second.loss) :]


# --------------------------------------------------------------------------------------------------------
# paths, cycles and depth: the library's errors, never an OSError text or a RecursionError
# --------------------------------------------------------------------------------------------------------


def test_saving_onto_a_directory_names_it_and_the_fix(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        tg.save({"w": np.ones(2)}, tmp_path)
    message = str(info.value)
    assert f"cannot save to {str(tmp_path)!r}: it is a directory" in message
    assert repr(os.path.join(str(tmp_path), "checkpoint.npz")) in message
    assert list(tmp_path.iterdir()) == []  # not even a temporary file
    with pytest.raises(IsADirectoryError, match="it is a directory; give the path of a file"):
        tg.load(tmp_path)


@pytest.mark.parametrize(
    ("make", "where", "again"),
    [
        (lambda: (d := {"a": {"x": 1}}, d["a"].__setitem__("self", d["a"]))[0], "obj['a']['self']", "obj['a']"),
        (lambda: (d := {"w": np.ones(1)}, d.__setitem__("me", d))[0], "obj['me']", "obj"),
        (lambda: (lst := [1, 2], lst.append(lst))[0], "obj[2]", "obj"),
        (lambda: (lst := [], {"k": (lst,)}, lst.append({"back": lst}))[1], "obj['k'][0][0]['back']", "obj['k'][0]"),
    ],
)
def test_a_self_referencing_object_is_refused_with_the_path_to_the_cycle(tmp_path, make, where, again):
    path = tmp_path / "cycle.npz"
    with pytest.raises(SerializationError) as info:
        tg.save(make(), path)
    message = str(info.value)
    assert f"cannot save {where}: it is {again} again" in message
    assert "reference cycle" in message and "remove the back-reference" in message
    assert not path.exists()


def test_shared_but_acyclic_references_are_saved_twice():
    shared = {"lr": 0.1}
    obj = {"a": shared, "b": [shared, shared]}
    encoder = serialization._Encoder()
    tree = encoder.encode(obj, "obj")
    assert tree == {"a": {"lr": 0.1}, "b": [{"lr": 0.1}, {"lr": 0.1}]}


def _nested(depth):
    obj = {"leaf": 1.0}
    for _ in range(depth - 1):
        obj = {"x": obj}
    return obj


def test_nesting_up_to_the_limit_round_trips_and_deeper_is_refused(tmp_path):
    deepest = _nested(serialization.MAX_DEPTH)
    assert roundtrip(deepest, tmp_path) == deepest
    with pytest.raises(SerializationError, match=f"obj nests deeper than {serialization.MAX_DEPTH} containers"):
        tg.save(_nested(serialization.MAX_DEPTH + 1), tmp_path / "deep.npz")
    with pytest.raises(SerializationError, match="nests deeper than 64"):
        tg.save(_nested(100_000), tmp_path / "deeper.npz")  # far past the recursion limit: still our error


def _file_with_object(path, obj_json):
    text = '{"format": "tinygrad_edu.save", "version": 1, "arrays": {}, "object": ' + obj_json + "}"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", text)


@pytest.mark.parametrize("depth", [300, 100_000])
def test_loading_metadata_nested_too_deeply_raises_a_serialization_error(tmp_path, depth):
    """300 levels parse (then the depth check refuses); 100 000 make json's own parser recurse too deeply."""
    path = tmp_path / "deep.npz"
    _file_with_object(path, "[" * depth + "]" * depth)
    with pytest.raises(SerializationError) as info:
        tg.load(path)
    message = str(info.value)
    assert str(path) in message and "metadata.json nests deeper than" in message
    assert "not written by tg.save" in message


def test_save_and_load_name_a_path_that_is_not_a_path(tmp_path):
    with pytest.raises(TypeError, match=r"save: path must be a str or os.PathLike .* got path=3 \(int\)"):
        tg.save({}, 3)
    with pytest.raises(TypeError, match=r"load: path must be a str or os.PathLike .* got path=None"):
        tg.load(None)
    with pytest.raises(FileNotFoundError, match="no such file; check the path"):
        tg.load(tmp_path / "missing.npz")


# --------------------------------------------------------------------------------------------------------
# stopping conditions and callbacks in checkpoints
# --------------------------------------------------------------------------------------------------------


def _early_stopping_run(tmp_path):
    X, y, _ = tg.data.make_linear_regression(40, 2, noise=0.1, seed=0)
    tg.manual_seed(0)
    model = tg.nn.Linear(2, 1, dtype=X.dtype)
    opt = tg.optim.SGD(model.parameters(), lr=0.05)
    stop = [tg.train.EarlyStopping(patience=9, monitor="train_loss", mode="max"), tg.train.LossBelow(1e-9)]
    h = tg.train.fit(model, F.mse_loss, opt, (X, y), epochs=3, stop=stop, progress=False)
    path = tmp_path / "ckpt.npz"
    tg.save_checkpoint(path, history=h, stop=stop, callbacks=tg.train.PrintProgress())
    return path, stop


def test_stop_and_callbacks_states_load_into_new_objects(tmp_path):
    path, stop = _early_stopping_run(tmp_path)
    new = [tg.train.EarlyStopping(patience=9, monitor="train_loss", mode="max"), tg.train.LossBelow(1e-9)]
    ckpt = tg.load_checkpoint(path, stop=new, callbacks=[tg.train.PrintProgress()])
    assert (new[0].best, new[0].best_epoch, new[0].wait) == (stop[0].best, 1, 2)
    assert ckpt["history"].fit_state["divergence"]["type"] == "Divergence"


@pytest.mark.parametrize(
    ("stop", "error", "says"),
    [
        (
            [tg.train.EarlyStopping()],
            ValueError,
            "checkpoint['stop']: the saved states are for 2 object(s) ['EarlyStopping', 'LossBelow'], but 1 were given",
        ),
        (
            [tg.train.LossBelow(1e-9), tg.train.EarlyStopping()],
            ValueError,
            "checkpoint['stop'][0] (LossBelow): LossBelow.load_state_dict: the state was saved by 'EarlyStopping'",
        ),
        (
            [tg.train.EarlyStopping(), tg.train.MaxEpochs(3)],
            ValueError,
            "checkpoint['stop'][1] (MaxEpochs): MaxEpochs.load_state_dict: the state was saved by 'LossBelow'",
        ),
    ],
)
def test_stop_states_that_do_not_fit_are_refused_and_nothing_changes(tmp_path, stop, error, says):
    path, _ = _early_stopping_run(tmp_path)
    before = [c.state_dict() for c in stop]
    with pytest.raises(error) as info:
        tg.load_checkpoint(path, stop=stop)
    assert str(path) in str(info.value) and says in str(info.value)
    for c, state in zip(stop, before, strict=True):
        assert_same(c.state_dict(), state)  # the first EarlyStopping was loaded, then put back


def test_a_state_with_missing_keys_is_refused_naming_them():
    early = tg.train.EarlyStopping()
    state = early.state_dict()
    del state["wait"]
    with pytest.raises(ValueError, match=r"EarlyStopping.load_state_dict: the state lacks the key\(s\) \['wait'\]"):
        early.load_state_dict(state)
    with pytest.raises(TypeError, match=r"state must be a dict made by Divergence\.state_dict"):
        tg.train.Divergence().load_state_dict([1])


def test_a_checkpoint_without_stop_states_says_so(tmp_path):
    path = tmp_path / "plain.npz"
    tg.save_checkpoint(path, epoch=1)
    with pytest.raises(ValueError, match=r"the checkpoint has no 'stop' entry \(it has \['epoch'\]\); save it with"):
        tg.load_checkpoint(path, stop=[tg.train.LossBelow(0.1)])
