"""tinygrad_edu.engine: the graph walk (consumer_counts, topological_order, backward_order) and the pass's
independence (nested passes, errors, threads). The gradients themselves are tested in test_backward.py."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import engine, ops
from tinygrad_edu.tensor import apply_op


def leaf(values, name: str | None = None) -> tg.Tensor:
    return tg.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


def label(t: tg.Tensor) -> str:
    return t.name or t.grad_fn.name


def test_consumer_counts_lists_the_nodes_with_several_consumers():
    a, b = leaf([2.0], "a"), leaf([-3.0], "b")
    L = ((a * b).tanh() + a).sum()
    assert {label(t): n for t, n in engine.consumer_counts(L).items()} == {"a": 2}


def test_consumer_counts_of_a_diamond_and_of_an_input_used_twice_by_one_op():
    x = leaf([1.0, 2.0], "x")
    h = x.exp()
    h.name = "h"
    y = h * h  # one op, two edges into h
    y.name = "y"
    L = (y + h.tanh() + x).sum()  # h: 3 edges (mul twice, tanh); x: exp and the add
    assert {label(t): n for t, n in engine.consumer_counts(L).items()} == {"h": 3, "x": 2}
    L.backward()
    e = np.exp(x.data)
    np.testing.assert_allclose(x.grad, (2 * e + (1 - np.tanh(e) ** 2)) * e + 1)


def test_consumer_counts_of_a_chain_is_empty_and_constants_are_not_walked():
    c = tg.Tensor(np.ones(3))  # a constant, used by every op: no gradient reaches it
    h = leaf([0.5, 1.0, 1.5])
    for _ in range(5):
        h = h * c + c
    assert engine.consumer_counts(h.sum()) == {}


def test_topological_order_puts_every_consumer_first():
    a, b = leaf([2.0], "a"), leaf([-3.0], "b")
    L = ((a * b).tanh() + a).sum()
    order = [label(t) for t in engine.topological_order(L, engine.consumer_counts(L))]
    assert order == ["sum", "add", "tanh", "mul", "b", "a"]  # a waits for add and mul
    assert [label(t) for t in engine.backward_order(L)] == order
    assert engine.backward_order(tg.Tensor([1.0]).sum()) == []  # nothing requires grad


def test_a_walk_after_a_walk_that_stopped_early_counts_from_scratch():
    # a walk that raised (here: part of the graph released) leaves stamps behind; the next walk has its own
    x = leaf(np.ones(3), "x")
    shared = x.exp()
    first = (shared * 2.0).sum()
    first.backward()  # releases the ops below `first`: exp's saved values are gone
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        engine.consumer_counts((shared + shared).sum())
    assert {label(t): n for t, n in engine.consumer_counts((shared + shared).sum(), released_ok=True).items()} == {
        "exp": 2
    }


class _GradInside(ops.Function):
    """y = x; its rule runs a whole pass of its own over a graph that shares the leaf ``w`` with the outer one
    (so the inner walk stamps nodes that the outer walk stamped too)."""

    def __init__(self, w: tg.Tensor) -> None:
        self.w = w

    def forward(self, x):
        return x.copy()

    def vjp(self, grad, out, x):
        with tg.enable_grad():
            (gw,) = tg.grad((self.w * self.w * 3.0).sum(), self.w)  # 6 w, by a nested pass
        return (grad * gw,)


def test_a_pass_nested_in_a_rule_does_not_disturb_the_outer_pass():
    w = leaf([1.0, 2.0], "w")
    h = apply_op(_GradInside(w), w)  # h = w, with gradient grad * 6 w
    L = (h * w + w).sum()  # w has three consumers in the outer graph
    L.backward()
    np.testing.assert_allclose(w.grad, w.data * 6 * w.data + w.data + 1)


def test_an_error_in_a_rule_leaves_nothing_behind():
    class Fails(ops.Function):
        def forward(self, x):
            return x.copy()

        def vjp(self, grad, out, x):
            raise ValueError("boom")

    w = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match="boom"):
        (apply_op(Fails(), w) + w).sum().backward()
    assert w.grad is None or np.all(np.isfinite(w.grad))
    w.grad = None
    (w * w + w).sum().backward()  # the next pass through the same leaf counts from scratch
    np.testing.assert_allclose(w.grad, 2 * w.data + 1)


def test_passes_and_walks_in_several_threads_share_parameters_correctly():
    w = leaf(np.linspace(-1, 1, 8))
    errors: list[BaseException] = []
    results: list[np.ndarray] = []

    def work(seed: int) -> None:
        try:
            rng = np.random.default_rng(seed)
            for _ in range(30):
                x = tg.Tensor(rng.standard_normal(8))
                h = w * x
                L = (h * h + h + w).sum()
                order = engine.backward_order(L)  # a walk of its own, racing the other threads' passes
                assert order[0] is L and order[-1] is w
                (g,) = tg.grad(L, w)
                np.testing.assert_allclose(g, 2 * w.data * x.data**2 + x.data + 1)
            results.append(g)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 4
