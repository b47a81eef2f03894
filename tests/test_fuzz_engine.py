"""Fuzzing the engine: a Hypothesis state machine builds random graphs from the public ops and runs backward
passes on them, checking every gradient against central finite differences.

The machine keeps a pool of tensors: leaves (float64, some requiring grad) and results of ops applied to
them. Its rules create leaves; apply unary, reduction, shape and binary ops (broadcasting, indexing with
repeats, concatenate, stack, where, matmul, and reusing one tensor twice: diamonds); detach; compute under
``no_grad``; ``retain_grad``; run ``backward`` (with or without a seed, with or without ``retain_graph``) and
``tg.grad``; and zero gradients (to None or to zeros in place). For every tensor it also keeps a *recipe*
that recomputes it from the leaves' values, which gives the expected gradients by central differences
(:func:`tinygrad_edu.gradcheck.numerical_grad`): each backward adds ``d sum(seed * root) / d x`` to the
expected ``.grad`` of every leaf (and retained tensor) ``x`` the root depends on.

Checked after every step:

* ``.grad`` of every leaf that requires grad and of every retained tensor equals the accumulated
  expectation (``None`` where no backward reached it), with the tensor's shape and dtype; other tensors have
  no ``.grad``;
* no tensor's data ever changes (ops and backward passes never write into their inputs);
* ``requires_grad``/``is_leaf`` are what the graph says;
* errors happen exactly where documented: backward on a tensor that does not require grad, on a non-scalar
  without ``grad=``, with a ``grad=`` of another shape, and through a graph released by an earlier backward
  without ``retain_graph=True``; nothing else raises, and a refused backward changes no ``.grad``.

Values stay where finite differences are trustworthy: leaves are uniform in [-2, 2] (never exactly on a
kink), log/sqrt/division get arguments bounded away from 0 (``log(x*x + 1)``), results larger than 100 are
dropped, and kinks (relu, abs, clip, maximum, max) are only applied at least 1e-3 away from them. Exact ties
are exercised by ops that make them themselves and whose result is the identity (``maximum(t, t * 1)``, the
max over two copies of ``t``): both sides then move together, and the shared subgradient adds up to 1.

Budget: a few hundred steps in CI (``CI`` set, derandomized). A longer run::

    TINYGRAD_EDU_FUZZ_EXAMPLES=2000 TINYGRAD_EDU_FUZZ_STEPS=40 python -m pytest tests/test_fuzz_engine.py
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.gradcheck import numerical_grad

EXAMPLES = int(os.environ.get("TINYGRAD_EDU_FUZZ_EXAMPLES") or 40)
STEPS = int(os.environ.get("TINYGRAD_EDU_FUZZ_STEPS") or 15)

SHAPES = [(), (1,), (3,), (2, 3), (3, 1), (1, 3), (2, 1, 3), (2, 2), (1, 2, 2)]
LIMIT = 100.0  # results with larger magnitudes are dropped: finite differences stay accurate
MARGIN = 1e-3  # kinks are applied only this far from them (eps of the differences is 1e-6)
MAX_SIZE = 24
RTOL, ATOL = 1e-4, 1e-6
#: what the runs in this process did: examples, steps per rule, gradients compared, errors provoked
STATS: Counter[str] = Counter()


@dataclass(eq=False)
class Node:
    """A tensor of the machine and its recipe: ``fn(*parents)`` recomputes it (``parents is None``: a leaf)."""

    tensor: Tensor
    label: str
    fn: Callable[..., Tensor] | None = None
    parents: tuple[Node, ...] | None = None
    deps: frozenset[int] = frozenset()  # ids of the leaves requiring grad it depends on through the graph
    graph: frozenset[int] = frozenset()  # ids of the recorded (non-leaf) nodes of its graph, itself included
    snapshot: np.ndarray = field(default=None)  # its data when created: must never change

    def __post_init__(self) -> None:
        self.snapshot = self.tensor.data.copy()

    @property
    def recorded(self) -> bool:
        return self.parents is not None and self.tensor.grad_fn is not None

    def __repr__(self) -> str:
        return f"<{self.label} {self.tensor.shape}>"


def rebuild(node: Node, mapping: dict[int, Tensor], memo: dict[int, Tensor]) -> Tensor:
    """Recompute ``node`` from the leaves' values, with the tensors in ``mapping`` (by node id) substituted."""
    key = id(node)
    if key in mapping:
        return mapping[key]
    if key in memo:
        return memo[key]
    if node.parents is None:
        out = Tensor(node.tensor.data)
    else:
        out = node.fn(*[rebuild(p, mapping, memo) for p in node.parents])
    memo[key] = out
    return out


def far_from(values: np.ndarray, kink: float | np.ndarray) -> bool:
    """No element within MARGIN of the kink, exactly on it included: at a kink the documented subgradient (relu'(0)
    = 0, clip passing the gradient at its bounds, ties shared equally) need not equal the central difference,
    and an exact tie inherited from upstream (x - x.detach(), copies of a value) need not survive a
    perturbation. Exact ties are exercised by ops that build them themselves (``max_of_copies``,
    ``maximum_self``), whose result is the identity."""
    return not bool((np.abs(np.asarray(values) - kink) < MARGIN).any())


def no_near_ties(x: np.ndarray, axis) -> bool:
    """For max/min over ``axis``: the extreme of each group is alone, the runner-up at least MARGIN away."""
    for extreme in (np.max(x, axis=axis, keepdims=True), np.min(x, axis=axis, keepdims=True)):
        if ((np.abs(x - extreme) < MARGIN).sum(axis=axis) > 1).any():
            return False
    return True


def pick_axis(shape: tuple[int, ...], k: int):
    if not shape:
        return None
    choices = [None, *range(len(shape)), *range(-len(shape), 0)]
    if len(shape) > 1:
        choices.append((0, len(shape) - 1))
    return choices[k % len(choices)]


# ---- unary ops: name -> builder(x_data, k) -> fn or None (not applicable here) --------------------------


def _unary_builders() -> dict[str, Callable[[np.ndarray, int], Callable[[Tensor], Tensor] | None]]:
    def axis_op(method):
        def build(x, k):
            axis = pick_axis(x.shape, k)
            keepdims = bool(k % 2)
            if method in ("max", "min") and not no_near_ties(x, axis):
                return None
            return lambda t: getattr(t, method)(axis=axis, keepdims=keepdims)

        return build

    def softmax(method):
        def build(x, k):
            if x.ndim == 0:
                return None
            axis = (k % (2 * x.ndim)) - x.ndim
            return lambda t: getattr(t, method)(axis=axis)

        return build

    def reshape(x, k):
        shapes = [(-1,), (x.size, 1), x.shape[::-1], (1, *x.shape)]
        shape = shapes[k % len(shapes)]
        return lambda t: t.reshape(shape)

    def transpose(x, k):
        perm = tuple(np.random.default_rng(k).permutation(x.ndim).tolist())
        return (lambda t: t.transpose(*perm)) if k % 3 else (lambda t: t.T)

    def getitem(x, k):
        if x.ndim == 0:
            return lambda t: t[...]
        n = x.shape[0]
        index = [
            (slice(None, None, -1),),
            0,
            np.array([n - 1, 0, n - 1]),  # repeated entries: the gradients add up (scatter-add)
            (Ellipsis, slice(0, 1)),
            x > 0,  # a boolean mask, fixed at creation
        ][k % 5]
        return lambda t: t[index]

    def affine(x, k):
        c, d = [0.5, -1.5, 2.0, 0.25][k % 4], [0.0, 1.0, -0.3][k % 3]
        return lambda t: t * c + d if k % 2 else d - c * t

    return {
        "neg": lambda x, k: lambda t: -t,
        "exp": lambda x, k: lambda t: t.exp(),
        "tanh": lambda x, k: lambda t: t.tanh(),
        "sigmoid": lambda x, k: lambda t: t.sigmoid(),
        "relu": lambda x, k: (lambda t: t.relu()) if far_from(x, 0.0) else None,
        "abs": lambda x, k: (lambda t: t.abs()) if far_from(x, 0.0) else None,
        "clip": lambda x, k: (lambda t: t.clip(-0.5, 0.5)) if far_from(abs(x), 0.5) else None,
        "square": lambda x, k: lambda t: t**2,
        "cube": lambda x, k: lambda t: t**3,
        "log": lambda x, k: lambda t: (t * t + 1.0).log(),
        "sqrt": lambda x, k: lambda t: (t * t + 0.25).sqrt(),
        "pow_half": lambda x, k: lambda t: (t * t + 0.5) ** 0.5,
        "reciprocal": lambda x, k: lambda t: 1.0 / (t * t + 1.0),
        "rpow": lambda x, k: lambda t: 1.5**t,
        "affine": affine,
        "sum": axis_op("sum"),
        "mean": axis_op("mean"),
        "max": axis_op("max"),
        "min": axis_op("min"),
        "logsumexp": axis_op("logsumexp"),
        "softmax": softmax("softmax"),
        "log_softmax": softmax("log_softmax"),
        "reshape": reshape,
        "transpose": transpose,
        "expand": lambda x, k: lambda t: t.expand(2, *t.shape),
        "getitem": getitem,
        "stack_self": lambda x, k: lambda t: tg.stack([t, t * 2.0], axis=k % (x.ndim + 1)),
        "concat_self": lambda x, k: (lambda t: tg.concatenate([t, t], axis=k % x.ndim)) if x.ndim else None,
        "matmul_self": lambda x, k: (lambda t: t @ t.T) if x.ndim == 2 else None,
        # exact ties, made by copies: max/maximum share the gradient, whose total must stay 1
        "max_of_copies": lambda x, k: lambda t: t.expand(2, *t.shape).max(axis=0),
        "maximum_self": lambda x, k: lambda t: tg.maximum(t, t * 1.0),
    }


def _binary_builders() -> dict[str, Callable[[np.ndarray, np.ndarray, int], Callable[..., Tensor] | None]]:
    def broadcasting(op, kinked=False):
        """``op`` on operands that broadcast together (else on ``a`` and ``b``'s mean); ``kinked``: maximum or
        minimum, applied only where the operands are not nearly tied."""

        def build(a, b, k):
            try:
                shape = np.broadcast_shapes(a.shape, b.shape)
            except ValueError:  # shapes that do not broadcast: combine with b's mean instead
                if kinked and not far_from(a - b.mean(), 0.0):
                    return None
                return lambda s, t: op(s, t.mean())
            if kinked and not far_from(np.broadcast_to(a, shape) - np.broadcast_to(b, shape), 0.0):
                return None
            return op

        return build

    def where(a, b, k):
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            return None
        mask = a > 0  # fixed at creation: a constant of the graph
        return lambda s, t: tg.where(mask, s, t)

    def matmul(a, b, k):
        if a.ndim >= 1 and b.ndim >= 1 and a.shape[-1] == b.shape[-2 if b.ndim > 1 else 0]:
            try:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])  # the batch axes
            except ValueError:
                return None
            return lambda s, t: s @ t
        if a.size == b.size:
            return lambda s, t: s.reshape(-1) @ t.reshape(-1)
        return None

    def concat(a, b, k):
        if a.ndim and a.ndim == b.ndim and a.shape[1:] == b.shape[1:]:
            return lambda s, t: tg.concatenate([s, t], axis=0)
        if a.shape == b.shape:
            return lambda s, t: tg.stack([s, t], axis=k % (a.ndim + 1))
        return None

    return {
        "add": broadcasting(lambda s, t: s + t),
        "sub": broadcasting(lambda s, t: s - t),
        "mul": broadcasting(lambda s, t: s * t),
        "div": broadcasting(lambda s, t: s / (t * t + 1.0)),
        "pow": broadcasting(lambda s, t: (s * s + 0.5) ** t.tanh()),
        "maximum": broadcasting(lambda s, t: tg.maximum(s, t), kinked=True),
        "minimum": broadcasting(lambda s, t: s.minimum(t), kinked=True),
        "where": where,
        "matmul": matmul,
        "concat": concat,
    }


UNARY = _unary_builders()
BINARY = _binary_builders()


class EngineMachine(RuleBasedStateMachine):
    """Random graphs, random backward passes, every gradient checked against finite differences."""

    nodes = Bundle("nodes")

    def __init__(self) -> None:
        super().__init__()
        self.all: list[Node] = []
        self.expected: dict[int, np.ndarray | None] = {}  # id(node) -> expected .grad (grad leaves, retained nodes)
        self.retained: set[int] = set()
        self.freed: set[int] = set()  # ids of recorded nodes whose saved arrays were released
        self.counter = 0
        STATS["example"] += 1

    # ---- helpers ------------------------------------------------------------------------------------------

    def _add(self, node: Node) -> Node:
        self.all.append(node)
        self.counter += 1
        return node

    def _leaf(self, data: np.ndarray, requires_grad: bool, label: str) -> Node:
        t = Tensor(data, requires_grad=requires_grad)
        node = Node(t, label)
        if requires_grad:
            node.deps = frozenset({id(node)})
            self.expected[id(node)] = None
        return self._add(node)

    def _apply(self, fn: Callable[..., Tensor], parents: tuple[Node, ...], label: str):
        """Apply ``fn`` to the parents' tensors (recording the graph), or drop the result if it leaves the range
        where finite differences are trustworthy."""
        out = fn(*[p.tensor for p in parents])
        assert isinstance(out, Tensor) and out.dtype == np.float64, (label, out)
        if not 0 < out.size <= MAX_SIZE or not np.isfinite(out.data).all() or np.abs(out.data).max() > LIMIT:
            STATS["results dropped (empty, > 100 or not finite)"] += 1
            return multiple()  # empty results (tested in test_edge_cases.py) and large values are not kept
        STATS["op " + label.split("#")[0]] += 1
        node = Node(out, label, fn, parents)
        if out.grad_fn is not None:
            assert out.requires_grad and any(p.tensor.requires_grad for p in parents)
            node.deps = frozenset().union(*(p.deps for p in parents))
            node.graph = frozenset({id(node)}).union(*(p.graph for p in parents))
            self._check_new(node)
        else:
            assert not out.requires_grad and not any(p.tensor.requires_grad for p in parents)
        return self._add(node)

    def _check_new(self, node: Node) -> None:
        """Every new node's vector-Jacobian product with respect to the leaves it depends on, by tg.grad (which
        keeps the graph and writes no .grad), against finite differences."""
        if node.graph & self.freed:
            return
        leaves = [n for n in self.all if id(n) in node.deps]
        u = np.random.default_rng(self.counter).normal(size=node.tensor.shape)
        got = tg.grad(node.tensor, [n.tensor for n in leaves], grad_outputs=u, retain_graph=True)
        for leaf, g, want in zip(leaves, got, self._numeric(node, leaves, u), strict=True):
            assert g is not None and g.shape == leaf.tensor.shape, (node, leaf)
            np.testing.assert_allclose(g, want, rtol=RTOL, atol=ATOL, err_msg=f"d {node} / d {leaf}")
        STATS["new nodes checked"] += 1
        STATS["gradients compared with finite differences"] += len(leaves)

    def _numeric(self, root: Node, targets: list[Node], seed: np.ndarray) -> list[np.ndarray]:
        """d sum(seed * root) / d target by central differences, for each target (the others stay as they are:
        a retained tensor is a variable only in its own derivative)."""
        results = []
        for target in targets:

            def fn(x, target=target):
                return rebuild(root, {id(target): x}, {})

            (g,) = numerical_grad(fn, [Tensor(target.tensor.data, requires_grad=True)], grad_output=seed)
            results.append(g)
        return results

    def _targets(self, root: Node) -> list[Node]:
        """What a backward from ``root`` writes: the grad leaves it depends on, and the retained nodes of its
        graph (and itself when it is a grad leaf or retained)."""
        return [n for n in self.all if id(n) in self.expected and (id(n) in root.deps or id(n) in root.graph)]

    # ---- building -----------------------------------------------------------------------------------------

    @initialize(target=nodes, shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**32 - 1))
    def first_leaf(self, shape, seed):
        STATS["step"] += 1
        return self._leaf(np.random.default_rng(seed).uniform(-2, 2, shape), True, "x0")

    @rule(
        target=nodes,
        shape=st.sampled_from(SHAPES),
        requires_grad=st.sampled_from([True, True, True, False]),
        seed=st.integers(0, 2**32 - 1),
    )
    def new_leaf(self, shape, requires_grad, seed):
        STATS["step"] += 1
        STATS["rule new_leaf"] += 1
        data = np.random.default_rng(seed).uniform(-2, 2, shape)
        return self._leaf(data, requires_grad, f"x{self.counter}" if requires_grad else f"c{self.counter}")

    @rule(
        target=nodes,
        x=nodes,
        y=nodes,
        names=st.lists(st.sampled_from(sorted(UNARY) + sorted(BINARY)), min_size=1, max_size=4),
        k=st.integers(0, 10**6),
    )
    def grow(self, x, y, names, k):
        """A chain of 1 to 4 ops from ``x`` (a tensor that requires grad, most of the time); binary ops take
        ``y`` (or the chain's own current tensor: a diamond) as their other operand."""
        STATS["step"] += 1
        STATS["rule grow"] += 1
        grad_nodes = [n for n in self.all if n.tensor.requires_grad]
        if not x.tensor.requires_grad and grad_nodes and k % 4:
            x = grad_nodes[k % len(grad_nodes)]
        made, current = [], x
        for i, name in enumerate(names):
            j = (k >> i) % 100
            if name in UNARY:
                fn, parents = UNARY[name](current.tensor.data, j), (current,)
            else:
                other = current if j % 5 == 0 else y
                fn, parents = BINARY[name](current.tensor.data, other.tensor.data, j), (current, other)
            if fn is None:
                continue
            node = self._apply(fn, parents, f"{name}#{self.counter}")
            if isinstance(node, Node):
                made.append(node)
                current = node
        return multiple(*made)

    @rule(target=nodes, x=nodes, mode=st.sampled_from(["detach", "detach_requires_grad", "no_grad"]))
    def cut(self, x, mode):
        """``x.detach()`` (a constant sharing the values), ``x.detach().requires_grad_()`` (a new parameter), or
        an op computed under ``no_grad`` (a constant)."""
        STATS["step"] += 1
        STATS[f"rule cut ({mode})"] += 1
        if mode == "no_grad":
            with tg.no_grad():
                out = (x.tensor * 0.5).tanh()
            assert out.grad_fn is None and not out.requires_grad and out.is_leaf
            return self._add(Node(out, f"no_grad#{self.counter}"))
        d = x.tensor.detach()
        assert d.is_leaf and not d.requires_grad and d.data is x.tensor.data
        if mode == "detach":
            return self._add(Node(d, f"detached_{x.label}"))
        d.requires_grad_()
        node = Node(d, f"leaf_of_{x.label}")
        node.deps = frozenset({id(node)})
        self.expected[id(node)] = None
        return self._add(node)

    @precondition(lambda self: any(n.recorded and id(n) not in self.expected for n in self.all))
    @rule(k=st.integers(0, 10**6))
    def retain_grad(self, k):
        STATS["step"] += 1
        STATS["rule retain_grad"] += 1
        candidates = [n for n in self.all if n.recorded and id(n) not in self.expected]
        node = candidates[k % len(candidates)]
        node.tensor.retain_grad()
        self.expected[id(node)] = None
        self.retained.add(id(node))

    # ---- backward -----------------------------------------------------------------------------------------

    @rule(
        root=nodes,
        mode=st.sampled_from(["seed", "seed", "no seed", "wrong shape"]),
        retain_graph=st.booleans(),
        seed=st.integers(0, 2**32 - 1),
    )
    def backward(self, root, mode, retain_graph, seed):
        """``root.backward(grad)`` with a random seed, without one, or with one of the wrong shape."""
        STATS["step"] += 1
        STATS[f"rule backward ({mode})"] += 1
        t = root.tensor
        grad = np.random.default_rng(seed).normal(size=t.shape) if mode == "seed" else None
        if mode == "wrong shape":
            if t.requires_grad:
                self._refused(lambda: t.backward(np.ones((*t.shape, 2))), ValueError, "got a gradient of shape")
        elif not t.requires_grad:
            self._refused(lambda: t.backward(grad), RuntimeError, "does not require grad")
        elif grad is None and t.size != 1:
            self._refused(lambda: t.backward(), RuntimeError, "needs grad= for a non-scalar output")
        elif root.graph & self.freed:
            self._refused(lambda: t.backward(grad, retain_graph=retain_graph), RuntimeError, "retain_graph=True")
        else:
            targets = self._targets(root)
            weights = np.ones(t.shape) if grad is None else grad
            increments = self._numeric(root, targets, weights) if targets else []
            t.backward(grad, retain_graph=retain_graph)
            STATS["backward checked"] += 1
            STATS["gradients compared with finite differences"] += len(targets)
            for target, inc in zip(targets, increments, strict=True):
                prev = self.expected[id(target)]
                self.expected[id(target)] = inc if prev is None else prev + inc
            if not retain_graph:
                self.freed |= root.graph

    @rule(root=nodes, seed=st.integers(0, 2**32 - 1), retain_graph=st.booleans(), k=st.integers(0, 10**6))
    def grad_function(self, root, seed, retain_graph, k):
        """tg.grad returns the gradients and writes no .grad."""
        STATS["step"] += 1
        STATS["rule grad_function"] += 1
        t = root.tensor
        candidates = [n for n in self.all if n.tensor.requires_grad]
        if not t.requires_grad or not candidates or root.graph & self.freed:
            return
        inputs = [candidates[k % len(candidates)], candidates[(k // 7) % len(candidates)]]
        u = np.random.default_rng(seed).normal(size=t.shape)
        before = {id(n): None if n.tensor.grad is None else n.tensor.grad.copy() for n in self.all}
        got = tg.grad(t, [n.tensor for n in inputs], grad_outputs=u, retain_graph=retain_graph)
        reached = [n for n in inputs if id(n) in root.deps or id(n) in root.graph]
        numeric = dict(zip(map(id, reached), self._numeric(root, reached, u), strict=True)) if reached else {}
        STATS["tg.grad checked"] += 1
        STATS["gradients compared with finite differences"] += len(reached)
        for n, g in zip(inputs, got, strict=True):
            if id(n) in numeric:
                assert g is not None and g.shape == n.tensor.shape and g.dtype == n.tensor.dtype
                np.testing.assert_allclose(g, numeric[id(n)], rtol=RTOL, atol=ATOL, err_msg=f"tg.grad wrt {n}")
            else:
                assert g is None, f"tg.grad wrt {n}, which {root} does not depend on"
        self._assert_grads_unchanged(before)
        if not retain_graph:
            self.freed |= root.graph

    def _refused(self, call: Callable[[], None], error: type, fragment: str) -> None:
        before = {id(n): None if n.tensor.grad is None else n.tensor.grad.copy() for n in self.all}
        with pytest.raises(error, match=fragment):
            call()
        STATS[f"refused: {fragment}"] += 1
        self._assert_grads_unchanged(before)

    def _assert_grads_unchanged(self, before: dict[int, np.ndarray | None]) -> None:
        for n in self.all:
            now = n.tensor.grad
            assert (now is None) == (before[id(n)] is None), n
            assert now is None or np.array_equal(now, before[id(n)]), n

    # ---- zeroing ------------------------------------------------------------------------------------------

    @rule(mode=st.sampled_from(["to None", "to zeros", "retained"]))
    def zero_grad(self, mode):
        """``zero_grad()`` of an optimiser over every parameter (to None, or to zeros in place), or clear the
        retained tensors' ``.grad``."""
        STATS["step"] += 1
        STATS[f"rule zero_grad ({mode})"] += 1
        if mode == "retained":
            for n in self.all:
                if id(n) in self.retained:
                    n.tensor.grad = None
                    self.expected[id(n)] = None
            return
        params = [n for n in self.all if n.tensor.requires_grad and n.tensor.is_leaf]
        if params:
            tg.optim.SGD([n.tensor for n in params], lr=0.0).zero_grad(set_to_none=mode == "to None")
        for n in params:
            prev = self.expected[id(n)]
            self.expected[id(n)] = None if mode == "to None" or prev is None else np.zeros_like(prev)

    # ---- invariants ---------------------------------------------------------------------------------------

    @invariant()
    def gradients_match_finite_differences(self):
        for n in self.all:
            g = n.tensor.grad
            if id(n) not in self.expected:
                assert g is None, f"{n} has a .grad but is neither a leaf that requires grad nor retained"
                continue
            want = self.expected[id(n)]
            if want is None:
                assert g is None, f"{n}.grad should be None (no backward reached it since it was zeroed)"
                continue
            assert g is not None, f"{n}.grad is None, expected {want}"
            assert g.shape == n.tensor.shape and g.dtype == n.tensor.dtype, f"{n}.grad: {g.shape} {g.dtype}"
            np.testing.assert_allclose(g, want, rtol=RTOL, atol=ATOL, err_msg=f"{n}.grad")

    @invariant()
    def data_never_changes_and_flags_are_consistent(self):
        for n in self.all:
            np.testing.assert_array_equal(n.tensor.data, n.snapshot, err_msg=f"{n}.data was modified")
            assert n.tensor.is_leaf == (n.tensor.grad_fn is None)
            if n.parents is None:
                assert n.tensor.requires_grad == (id(n) in n.deps)
            else:
                assert n.tensor.requires_grad == (n.tensor.grad_fn is not None) == bool(n.graph)


TestEngineFuzz = EngineMachine.TestCase
TestEngineFuzz.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
