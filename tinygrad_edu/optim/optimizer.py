r"""``Optimizer``: the base class of every optimiser (parameter groups, state, ``zero_grad``, ``state_dict``).

An optimiser owns a list of *parameter groups*. Each group is a dict with the key ``"params"`` (a list of
leaf Tensors that require grad) and one entry per hyper-parameter (``"lr"``, ``"momentum"``, ...), so that
different parts of a model can train with different settings::

    opt = tg.optim.SGD([{"params": [W]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)

A group that omits a hyper-parameter takes the optimiser's default. Schedules change ``group["lr"]``.

``opt.step()`` reads each parameter's ``.grad`` and updates ``param.data`` **in place** (so every reference
to the Tensor or to its array sees the new values), under ``no_grad``; it never writes into ``.grad``, and it
skips parameters whose ``.grad`` is ``None``. What an optimiser remembers between steps (momentum buffers,
moment estimates, step counters) lives in ``opt.state[param]``, a dict of numpy arrays and numbers that you
can read (and plot) at any time.
"""

from __future__ import annotations

import copy
import math
import numbers
import reprlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import check_flag
from ..tensor import Tensor, enable_grad

__all__ = ["Optimizer", "ParamsT"]

#: What an optimiser accepts as ``params``: Tensors, or dicts with a ``"params"`` entry (parameter groups).
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``step``, ``state_dict``.

    Parameters
    ----------
    params : iterable of Tensors, or iterable of dicts
        The leaf Tensors to optimise (each with ``requires_grad=True``), or parameter groups: dicts with a
        ``"params"`` entry and optional per-group hyper-parameters that override ``defaults``.
    defaults : mapping
        The hyper-parameters of a group that does not set them.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` plus every hyper-parameter. Change ``group["lr"]`` to change the
        learning rate (that is what the schedules do).
    state : dict
        ``state[param]`` is the dict of what the optimiser remembers about ``param`` (e.g.
        ``"momentum_buffer"``); empty until the first step that updates it.
    defaults : dict
        The default hyper-parameters.

    Subclasses implement :meth:`step` and may override :meth:`_check_hyperparameters`, which validates the
    defaults and every group.
    """

    def __init__(self, params: ParamsT, defaults: Mapping[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self._check_hyperparameters(self.defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._work: dict[tuple[str, int], np.ndarray] = {}
        self._blocks: dict[np.dtype, np.ndarray] = {}  # a work block per dtype for huge parameters (subtract_scaled)
        groups = _materialize(params, "params")
        if not groups:
            raise ValueError(_empty_params_message(type(self).__name__, params))
        if all(isinstance(g, Mapping) for g in groups):
            for group in groups:
                self.add_param_group(dict(group))
        elif any(isinstance(g, Mapping) for g in groups):
            raise TypeError("params mixes parameter-group dicts and Tensors; pass either Tensors or only dicts")
        else:
            self.add_param_group({"params": groups})

    # ---- parameter groups -----------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional hyper-parameters).

        Useful to start training new layers mid-way (fine-tuning). Missing hyper-parameters are filled in
        from ``defaults``; the group is validated like the constructor's arguments.
        """
        example = "e.g. {'params': [w], 'lr': 0.01}"
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"a parameter group must be a dict with a 'params' entry, got {type(param_group).__name__} "
                f"({reprlib.repr(param_group)}); pass {example}"
            )
        if "params" not in param_group:
            raise ValueError(
                f"a parameter group needs a 'params' entry, got keys {sorted(param_group)}; pass {example}"
            )
        where = f"parameter group {len(self.param_groups)}"
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else _materialize(params, f"{where}'s params")
        if not group["params"]:
            raise ValueError(f"{where} has an empty parameter list; {_empty_params_message('', params)}")
        for i, p in enumerate(group["params"]):
            _check_param(p, f"{where}, parameter {i}")
        self._check_not_already_optimised(group["params"], where)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        try:
            self._check_hyperparameters(group)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{where}: {err}") from None
        self.param_groups.append(group)

    def _check_not_already_optimised(self, params: list[Tensor], where: str) -> None:
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(
                    f"{where}, parameter {i} ({_describe(p)}) appears twice in this optimiser (in one group or in "
                    "two); each parameter may be listed once, or it would be updated twice per step"
                )
            seen.add(id(p))

    def _check_hyperparameters(self, hp: Mapping[str, Any]) -> None:
        """Raise ``ValueError``/``TypeError`` naming the offending value; subclasses extend this."""
        if "lr" in hp:
            check_non_negative("lr", hp["lr"])

    def _hyperparameter_names(self) -> set[str]:
        """The hyper-parameters every group of this optimiser has (a saved group must have them too)."""
        return set(self.defaults)

    # ---- the step ---------------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters before the next backward pass.

        Parameters
        ----------
        set_to_none : bool, default True
            Set ``.grad`` to ``None`` (the next backward creates a fresh array, and ``step`` skips a parameter
            that received no gradient). With ``False``, existing ``.grad`` arrays are filled with zeros in
            place, as PyTorch does.
        """
        check_flag(set_to_none, "set_to_none")
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif isinstance(p.grad, Tensor):  # a gradient with a graph (create_graph=True): replaced
                    p.grad = np.zeros_like(p.data)
                elif p.grad.flags.writeable:
                    p.grad.fill(0)
                else:  # a read-only array assigned to .grad (or a broadcast view): replaced, never written
                    p.grad = np.zeros_like(p.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a ``.grad``; return ``closure()``'s loss if a closure is given.

        ``closure`` re-evaluates the model: it typically calls ``zero_grad()``, computes the loss, calls
        ``loss.backward()`` and returns the loss. It is run with gradient recording enabled.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """Run the closure (if any) with gradient recording on, even though ``step`` runs under no_grad."""
        if closure is None:
            return None
        if not callable(closure):
            raise TypeError(
                f"closure must be a callable that returns the loss, got {reprlib.repr(closure)} "
                f"({type(closure).__name__}); pass a function, e.g. def closure(): ...; return loss"
            )
        with enable_grad():
            return closure()

    def _subtract_scaled(self, theta: np.ndarray, direction: np.ndarray, lr: float) -> None:
        """:math:`\\theta \\leftarrow \\theta - \\eta\\, d` in place (``direction`` is not written): the last
        line of every update, see :func:`subtract_scaled`."""
        if theta.size <= UPDATE_BLOCK:  # the usual parameter: one temporary, which malloc hands back warm
            theta -= direction * lr
            return
        block = self._blocks.get(theta.dtype)
        if block is None:
            block = self._blocks[theta.dtype] = np.empty(UPDATE_BLOCK, dtype=theta.dtype)
        subtract_scaled(theta, direction, lr, block)

    def _scratch(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A work array of ``like``'s shape and dtype for an update's temporaries, reused across parameters and
        steps (allocating fresh temporaries of a large parameter at every step costs more than the arithmetic).
        One flat buffer per dtype and slot, as large as the largest parameter; never part of ``state``."""
        key = (like.dtype.str, slot)
        buf = self._work.get(key)
        if buf is None or buf.size < like.size:
            buf = self._work[key] = np.empty(like.size, dtype=like.dtype)
        return buf[: like.size].reshape(like.shape)

    # ---- saving and resuming ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimiser: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index]}]}``.

        As in PyTorch, parameters are referred to by their position (counting through the groups in order),
        so the dict can be loaded into an optimiser built over other Tensors of the same shapes (a model
        re-created from a checkpoint). Unlike PyTorch's, the arrays are copies: later steps do not change a
        saved state dict, and the entry ``"optimizer"`` names the class that saved it (``"SGD"``), so that
        :meth:`load_state_dict` can refuse a state saved by another optimiser with a message naming both.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _copy_value(v) for k, v in s.items()}
            for p, s in self.state.items()
            if s and id(p) in index
        }
        return {"state": state, "param_groups": groups, "optimizer": type(self).__name__}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (values are copied in).

        The optimiser must be of the class that saved the state (when the dict names it), with the same number
        of groups, the same number of parameters each, and the same hyper-parameters, as the one that was
        saved; arrays are checked against the parameters' shapes and cast to their dtypes. Everything is
        checked before anything changes: a refused state dict leaves the optimiser as it was.

        Raises
        ------
        TypeError
            If ``state_dict`` (or a part of it) is not a dict or list as :meth:`state_dict` makes them.
        ValueError
            If it was saved by another optimiser class, or does not fit this optimiser's groups.
        """
        saved_groups, saved_state = self._check_saved_layout(state_dict)
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {i} has {len(group['params'])} parameter(s) but the state dict's group has "
                    f"{len(saved['params'])}; build the optimiser over the same parameters as the saved one"
                )
            by_index.update(zip(saved["params"], group["params"], strict=True))
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for idx, values in saved_state.items():
            if idx not in by_index:
                raise ValueError(
                    f"the state dict has state for parameter index {idx}, which no group lists (the groups list "
                    f"{sorted(by_index)}); save and load with the same parameters"
                )
            if not isinstance(values, Mapping):
                raise TypeError(
                    f"the state dict's state for parameter {idx} must be a dict, got {type(values).__name__} "
                    f"({reprlib.repr(values)}); pass a dict made by state_dict()"
                )
            p = by_index[idx]
            new_state[p] = {k: _restore_value(v, p, k, idx) for k, v in values.items()}
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            restored = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            restored["params"] = group["params"]
            try:
                self._check_hyperparameters(restored)
            except (TypeError, ValueError) as err:
                raise type(err)(f"parameter group {i} of the state dict: {err}") from None
            new_groups.append(restored)
        self.state = new_state
        self.param_groups = new_groups

    def _check_saved_layout(self, state_dict: Any) -> tuple[list[Mapping[str, Any]], Mapping[Any, Any]]:
        """The saved groups and state, after checking the dict's layout, its class and its group count."""
        cls = type(self).__name__
        made_by = f"as made by {cls}.state_dict()"
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{cls}.load_state_dict expects a dict with 'state' and 'param_groups' ({made_by}), got "
                f"{type(state_dict).__name__} {reprlib.repr(state_dict)}; pass opt.state_dict() or tg.load(path)"
            )
        if not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                f"load_state_dict expects a dict with 'state' and 'param_groups', {made_by}; got keys "
                f"{sorted(map(str, state_dict))}"
            )
        saved_cls = state_dict.get("optimizer")
        if saved_cls is not None and saved_cls != cls:
            raise ValueError(
                f"the state dict was saved by {saved_cls} but this optimiser is {cls}: their hyper-parameters and "
                f"state differ. Load it into a new {saved_cls}, or start the {cls} from scratch"
            )
        groups, state = state_dict["param_groups"], state_dict["state"]
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
            raise TypeError(
                f"the state dict's 'param_groups' must be a list of dicts, got {type(groups).__name__} "
                f"{reprlib.repr(groups)}; pass a dict {made_by}"
            )
        if not isinstance(state, Mapping):
            raise TypeError(
                f"the state dict's 'state' must be a dict of parameter index to state, got {type(state).__name__} "
                f"{reprlib.repr(state)}; pass a dict {made_by}"
            )
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"the state dict has {len(groups)} parameter group(s) but this optimiser has "
                f"{len(self.param_groups)}; build the optimiser with the same groups as the saved one"
            )
        expected = self._hyperparameter_names()
        for i, saved in enumerate(groups):
            if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), Sequence):
                raise TypeError(
                    f"parameter group {i} of the state dict must be a dict with a 'params' list, got "
                    f"{reprlib.repr(saved)}; pass a dict {made_by}"
                )
            missing = expected - set(saved)
            if missing:
                found = sorted(k for k in saved if k != "params")
                raise ValueError(
                    f"parameter group {i} of the state dict lacks {sorted(missing)}: it has the hyper-parameters "
                    f"{found}, a {cls} has {sorted(expected)}, so it was saved by another optimiser class; load it "
                    "into the class that saved it"
                )
        return list(groups), state

    # ---- display ----------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------
# helpers shared by the optimisers
# --------------------------------------------------------------------------------------------------------


def _empty_params_message(cls: str, params: Any) -> str:
    """Why ``params`` gave no parameters: an exhausted iterator (``model.parameters()`` used twice) or an
    empty list, and the fix."""
    prefix = f"{cls} got an empty parameter list: " if cls else ""
    if isinstance(params, Iterator):
        return (
            f"{prefix}params is an exhausted iterator ({type(params).__name__}); a generator such as "
            "model.parameters() can be read only once: pass list(model.parameters()), or call it again"
        )
    return f"{prefix}params={reprlib.repr(params)}; pass the Tensors to optimise, e.g. model.parameters()"


def _materialize(params: Any, what: str) -> list[Any]:
    if isinstance(params, Tensor):
        raise TypeError(
            f"{what} should be an iterable of Tensors or of parameter-group dicts, got a single Tensor "
            f"({_describe(params)}); wrap it in a list: [x]"
        )
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{what} should be an ordered collection (a list), got a {type(params).__name__}: the order of a set "
            "changes between runs, and state_dict() refers to parameters by position"
        )
    if isinstance(params, Mapping):
        raise TypeError(
            f"{what} should be an iterable of Tensors or a list of parameter-group dicts, got one dict "
            f"(keys {sorted(map(str, params))}); wrap it in a list: [group]"
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{what} should be an iterable of Tensors or of parameter-group dicts, got {type(params).__name__} "
            f"({reprlib.repr(params)}); pass a list, e.g. model.parameters() or [w, b]"
        ) from None


def _describe(p: Tensor) -> str:
    name = f"name={p.name!r}, " if p.name is not None else ""
    return f"{name}shape={p.shape}, dtype={p.dtype}"


def _check_param(p: Any, where: str) -> None:
    if not isinstance(p, Tensor):
        raise TypeError(
            f"{where} is a {type(p).__name__}, not a Tensor: optimisers update Tensors only, got "
            f"{reprlib.repr(p)}; create it with Tensor(values, requires_grad=True)"
        )
    if not p.requires_grad:
        raise ValueError(
            f"{where} ({_describe(p)}) does not require grad, so it would never get a .grad to step with; "
            "create it with requires_grad=True or call .requires_grad_()"
        )
    if not p.is_leaf:
        raise ValueError(
            f"{where} ({_describe(p)}) is not a leaf: it was computed by an op, so updating its data would not "
            "change what it was computed from; optimise the leaf Tensors it came from"
        )


def _copy_value(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _restore_value(value: Any, p: Tensor, key: str, idx: int) -> Any:
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return copy.deepcopy(value)
    if value.shape != p.shape:
        raise ValueError(
            f"state {key!r} of parameter {idx} has shape {value.shape} but the parameter has shape {p.shape}"
        )
    return np.array(value, dtype=p.dtype, copy=True)


#: The example each hyper-parameter's error message suggests (0 for those not listed).
_EXAMPLES = {
    "lr": 0.01,
    "momentum": 0.9,
    "alpha": 0.99,
    "eps": 1e-8,
    "weight_decay": 1e-4,
    "c": 1e-4,
    "shrink": 0.5,
    "gamma": 0.1,
    "power": 1.0,
    "decay": 0.01,
}


def _fix(name: str) -> str:
    return f"pass e.g. {name}={_EXAMPLES.get(name, 0.0)!r}"


def check_real(name: str, value: Any) -> float:
    """``value`` as a float, or ``TypeError`` naming it (booleans and strings are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}); {_fix(name)}")
    return float(value)


def non_negative_problem(value: float) -> str | None:
    """What is wrong with ``value`` as a rate such as ``lr`` (``"must be >= 0"``, ``"must be finite"``), or
    ``None``: the one rule for learning rates, used by the optimisers and by every schedule's ``step()``."""
    if math.isnan(value) or value < 0:
        return "must be >= 0"
    if math.isinf(value):
        return "must be finite"
    return None


def needs_closure(optimizer: Any) -> bool:
    """Whether ``optimizer.step`` must be given a closure: its ``requires_closure`` says so (LBFGS, Newton), or
    (for GD, which predates that attribute) it uses a line search. What ``tg.train.fit`` and the curvature
    pictures ask before stepping."""
    flag = getattr(optimizer, "requires_closure", None)
    if flag is not None:
        return bool(flag)
    return getattr(optimizer, "line_search", None) is not None


def closure_loss_value(loss: Any, example: str) -> float:
    """The loss a ``step(closure)``'s closure returned, as a float (a one-element Tensor or array, or a real
    number), or a ``TypeError`` that says what the closure must return, ending with ``example`` (a closure)."""
    if isinstance(loss, Tensor | np.ndarray):
        values = loss.data if isinstance(loss, Tensor) else loss
        if values.size == 1:
            return float(values.reshape(-1)[0])
        what = f"a {type(loss).__name__} of shape {values.shape}"
    elif isinstance(loss, numbers.Real) and not isinstance(loss, bool):
        return float(loss)
    else:
        what = f"{reprlib.repr(loss)} ({type(loss).__name__})"
    raise TypeError(
        f"the closure must return the loss (a one-element Tensor or a number), got {what}; reduce the loss to "
        f"one number (e.g. .mean()) and return it: {example}"
    )


def check_non_negative(name: str, value: Any) -> None:
    """``ValueError`` unless ``value`` is finite and ``>= 0`` (NaN and infinity fail)."""
    problem = non_negative_problem(check_real(name, value))
    if problem is not None:
        raise ValueError(f"{name} {problem}, got {name}={value!r}; {_fix(name)} (a finite number >= 0)")


def check_unit_interval(name: str, value: Any, *, closed: bool = False) -> None:
    """``ValueError`` unless ``0 <= value < 1`` (``<= 1`` with ``closed=True``)."""
    v = check_real(name, value)
    if not (0.0 <= v <= 1.0 if closed else 0.0 <= v < 1.0):
        interval = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {name}={value!r}; {_fix(name)}")


#: The size (in elements) from which :func:`subtract_scaled` updates a parameter in blocks of this many.
#: Below it, ``theta -= direction * lr`` takes one temporary, which malloc hands back from the step before
#: (still in cache); above it, a temporary would be a fresh mapping of memory at every step (glibc maps blocks
#: over 32 MiB directly: page faults on every write), so a reused block of 2^20 elements (4 MiB of float32)
#: bounds it. Blocks of 2^15 elements for every parameter, sized for the CPU's cache, measured slower:
#: ``python benchmarks/optim_step.py`` (1M float32 in 10 tensors, one BLAS thread, 2026-12-07) took 0.85 and
#: 0.63 ms per step for GD and SGD with them, 0.67-0.82 and 0.53-0.65 ms this way (the numpy loop: 0.63-0.78
#: and 0.49-0.66 ms in the same runs), and the MLP step of ``benchmarks/run.py`` at batch 32 went from 1.33x
#: to 1.29x the floor.
UPDATE_BLOCK = 1 << 20


def subtract_scaled(theta: np.ndarray, direction: np.ndarray, lr: float, block: np.ndarray) -> None:
    """``theta -= lr * direction`` in place, without writing ``direction`` (often the caller's ``.grad``).

    numpy has no fused scaled add (BLAS's axpy), so ``lr * direction`` needs a temporary. A contiguous
    parameter larger than ``block`` (the optimiser's reused work array, see :data:`UPDATE_BLOCK`) is updated in
    pieces of ``block.size`` elements, so that the temporary never grows beyond it; anything else takes one
    temporary.
    """
    n, step = theta.size, block.size
    if n <= step or not (theta.flags.c_contiguous and direction.flags.c_contiguous and theta.shape == direction.shape):
        theta -= direction * lr
        return
    flat_theta, flat_dir = theta.reshape(-1), direction.reshape(-1)  # views: both are C-contiguous
    for start in range(0, n, step):
        stop = min(start + step, n)
        tmp = np.multiply(flat_dir[start:stop], lr, out=block[: stop - start])
        flat_theta[start:stop] -= tmp


def checked_grad(p: Tensor) -> np.ndarray:
    """``p.grad`` as an array of ``p``'s dtype; a wrong shape raises instead of broadcasting silently."""
    g = p.grad
    if isinstance(g, Tensor):  # after backward(create_graph=True): step with its values, not its graph
        g = g.data
    if not isinstance(g, np.ndarray):
        raise TypeError(
            f"the .grad of a parameter ({_describe(p)}) is a {type(g).__name__} ({reprlib.repr(g)}); it must be a "
            f"numpy array of shape {p.shape}: assign np.asarray(...) or let backward() fill it"
        )
    if g.shape != p.data.shape:
        raise ValueError(
            f"the .grad of a parameter ({_describe(p)}) has shape {g.shape}; it must equal the shape: assign a "
            f"gradient of shape {p.shape}"
        )
    if g.dtype != p.data.dtype:
        g = g.astype(p.data.dtype)
    return g


def decayed_grad(g: np.ndarray, theta: np.ndarray, weight_decay: float, maximize: bool, out: np.ndarray) -> np.ndarray:
    r""":math:`\pm g + \lambda\theta`, written into ``out`` when it differs from ``g``; ``g`` (the caller's
    ``.grad``) is never written."""
    if weight_decay != 0.0:
        np.multiply(theta, weight_decay, out=out)
        if maximize:
            out -= g
        else:
            out += g
        return out
    if maximize:
        return np.negative(g, out=out)
    return g
