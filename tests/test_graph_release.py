"""Backward frees the graph: saved arrays and the links that kept intermediate results alive (issue 15, part 3).

After ``loss.backward()`` without ``retain_graph`` a loss that is still alive holds a few small placeholders
(:class:`tg.ReleasedTensor`) instead of every activation; what the user still holds keeps its values and
gradients, and ``draw_graph`` still shows the whole structure.
"""

import gc
import re
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant
from test_fuzz_engine import EngineMachine

import tinygrad_edu as tg
from tinygrad_edu import engine as engine_module
from tinygrad_edu import ops

MB = 2**20
BIG = 2**17  # float64 elements: 1 MiB, far above tg.engine.RELEASE_MIN_BYTES


def chain(x: tg.Tensor, n_ops: int) -> tg.Tensor:
    """``n_ops`` elementwise ops (alternately * 1.0001 and tanh), each result a new intermediate."""
    h = x
    for i in range(n_ops):
        h = h * 1.0001 if i % 2 == 0 else h.tanh()
    return h.sum()


def traced_bytes_after(fn) -> int:
    """Bytes still allocated (tracemalloc) after ``fn()`` ran, while its result is alive."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = fn()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    del result
    return held


# ---- memory ------------------------------------------------------------------------------------------------


def test_a_live_loss_holds_no_activations_after_backward():
    x = tg.Tensor(np.random.default_rng(0).uniform(-1, 1, BIG), requires_grad=True)

    def forward_backward(retain_graph: bool):
        loss = chain(x, 20)
        loss.backward(retain_graph=retain_graph)
        return loss

    released = traced_bytes_after(lambda: forward_backward(False))
    kept = traced_bytes_after(lambda: forward_backward(True))
    # x.grad (1 MiB) is allocated by the first call only; 20 intermediates of 1 MiB stay with retain_graph
    assert released < 1.2 * MB
    assert kept > 20 * MB


def test_the_usual_loop_holds_one_graph_less_at_its_peak():
    """``loss`` lives until the next iteration: its activations must not add to the next step's peak."""
    rng = np.random.default_rng(1)
    model = tg.nn.MLP([256, 512, 512, 10])
    opt = tg.optim.SGD(model.parameters(), lr=0.01)
    X = tg.Tensor(rng.standard_normal((512, 256)))
    y = rng.integers(0, 10, 512)

    def peak_of_three_steps() -> int:
        gc.collect()
        tracemalloc.start()
        try:
            loss = None
            for _ in range(3):
                opt.zero_grad()
                loss = tg.nn.functional.cross_entropy(model(X), y)
                loss.backward()
                opt.step()
            after = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return after

    current, _ = peak_of_three_steps()
    # what remains while the last loss is alive: parameter gradients (model-sized), not the activations of
    # 512 x (512 + 512 + 512 + 10) float64 (6.3 MB)
    grads = sum(p.data.nbytes for p in model.parameters())
    assert current < grads + 1 * MB


def test_backward_frees_intermediates_as_it_goes():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    loss = chain(x, 6)
    first = loss.inputs[0]  # the last intermediate: alive while this test holds it
    loss.backward()
    assert first.data.shape == (BIG,)  # what you hold keeps its values
    assert isinstance(first.inputs[0], tg.ReleasedTensor)  # what nobody holds is gone


# ---- what stays visible ------------------------------------------------------------------------------------


def test_inputs_give_back_the_tensors_you_hold():
    x = tg.Tensor(np.ones(BIG), requires_grad=True, name="x")
    h = x * 2.0
    k = h.tanh()
    loss = k.sum()
    loss.backward()
    assert loss.inputs[0] is k and k.inputs[0] is h and h.inputs[0] is x
    np.testing.assert_allclose(h.data, 2.0)


def test_a_released_tensor_keeps_its_place_in_the_graph():
    x = tg.Tensor(np.ones(BIG, np.float32), requires_grad=True, name="x")
    loss = ((x * 2.0).exp() * 3.0).sum()
    loss.backward()
    (mul3,) = [loss.inputs[0]]
    ghost = mul3.inputs[0]
    assert isinstance(ghost, tg.ReleasedTensor)
    assert ghost.shape == (BIG,) and ghost.dtype == np.float32 and ghost.ndim == 1 and ghost.size == BIG
    assert isinstance(ghost.grad_fn, ops.Exp) and not ghost.is_leaf and ghost.requires_grad
    assert isinstance(ghost.inputs[0], tg.ReleasedTensor) and ghost.inputs[0].inputs[0] is x
    assert repr(ghost) == f"ReleasedTensor(shape=({BIG},), dtype=float32, grad_fn=<Exp>)"


def test_reading_a_released_tensor_says_how_to_keep_it():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    loss = (x.exp() * 3.0).sum()
    loss.backward()
    ghost = loss.inputs[0].inputs[0]
    with pytest.raises(RuntimeError, match=r"values of the output of Exp \(shape \(131072,\), float64\) were released"):
        _ = ghost.data
    with pytest.raises(RuntimeError, match=r"retain_grad\(\).*retain_graph=True"):
        ghost * 2.0
    with pytest.raises(RuntimeError, match="released by backward"):
        np.asarray(ghost)


def test_a_named_released_tensor_is_named_in_the_error():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    h = x.exp()
    h.name = "h"
    loss = h.sum()
    del h
    loss.backward()
    with pytest.raises(RuntimeError, match=r"the values of 'h' \(shape"):
        _ = loss.inputs[0].data


def test_parameters_retain_grad_tensors_and_small_tensors_keep_their_links():
    w = tg.Tensor(np.ones(BIG), requires_grad=True, name="w")  # a parameter: backward writes its .grad
    h = w * 2.0
    h.retain_grad()
    s = tg.Tensor([1.0, 2.0], requires_grad=True) * 3.0  # small: a placeholder would save nothing
    loss = h.sum() + (s * s).sum()
    del h, s
    loss.backward()
    (left, right) = loss.inputs
    kept = left.inputs[0]
    assert type(kept) is tg.Tensor and kept.grad is not None and kept.inputs[0] is w
    small = right.inputs[0].inputs[0]
    assert type(small) is tg.Tensor and np.array_equal(small.data, [3.0, 6.0])


def test_constants_that_only_the_graph_holds_are_released_too():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    loss = (x * tg.Tensor(np.full(BIG, 2.0))).sum()
    loss.backward()
    constant = loss.inputs[0].inputs[1]
    assert isinstance(constant, tg.ReleasedTensor) and constant.is_leaf and not constant.requires_grad


def test_retain_graph_releases_nothing():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    loss = chain(x, 4)
    loss.backward(retain_graph=True)
    node = loss
    while not node.is_leaf:
        node = node.inputs[0]
        assert type(node) is tg.Tensor
    loss.backward()  # the graph is complete: a second pass works
    np.testing.assert_allclose(x.grad, 2 * x.grad / 2)


def test_a_second_backward_still_says_how_to_fix_it():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    loss = chain(x, 4)
    loss.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        loss.backward()


def test_tg_grad_releases_the_graph_too():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    loss = (x.exp() * 3.0).sum()
    (g,) = tg.grad(loss, x)
    np.testing.assert_allclose(g, 3 * np.e)
    assert isinstance(loss.inputs[0].inputs[0], tg.ReleasedTensor)


def test_shared_intermediates_get_one_placeholder():
    x = tg.Tensor(np.ones(BIG), requires_grad=True)
    h = x.exp()
    loss = (h * h + h).sum()
    del h
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * np.e**2 + np.e)
    add = loss.inputs[0]
    mul = add.inputs[0]
    assert mul.inputs[0] is mul.inputs[1] is add.inputs[1]


# ---- pictures after backward -------------------------------------------------------------------------------


def test_draw_graph_after_backward_shows_the_structure_and_what_you_hold():
    x = tg.Tensor(np.ones(BIG), requires_grad=True, name="x")
    before = tg.viz.draw_graph((x.exp() * 3.0).sum())
    loss = (x.exp() * 3.0).sum()
    loss.backward()
    after = tg.viz.draw_graph(loss)
    assert after.source.count("->") == before.source.count("->")
    assert "data released by backward()" in after.source
    assert re.search(r"<B>x</B>.*grad", after.source)  # the parameter's gradient is drawn


def test_backward_order_is_the_same_before_and_after_backward():
    x = tg.Tensor(np.ones(BIG), requires_grad=True, name="x")
    h = x.exp()
    loss = (h * h + h.tanh()).sum()
    del h
    names_before = [type(t.grad_fn).__name__ for t in tg.viz.backward_order(loss)]
    loss.backward()
    names_after = [type(t.grad_fn).__name__ for t in tg.viz.backward_order(loss)]
    assert names_before == names_after


def test_retain_grads_pictures_keep_every_value_and_gradient():
    x = tg.Tensor(np.ones(BIG), requires_grad=True, name="x")
    loss = (x.exp() * 3.0).sum()
    tg.viz.retain_grads(loss)
    loss.backward()
    source = tg.viz.draw_graph(loss).source
    assert "released" not in source
    assert source.count(">grad ") >= 4  # x, exp, mul and the loss


def test_collapsed_module_pictures_work_after_backward():
    model = tg.nn.MLP([300, 300, 3])
    X = tg.Tensor(np.random.default_rng(0).standard_normal((64, 300)), name="X")
    with tg.viz.trace_modules():
        loss = tg.nn.functional.cross_entropy(model(X), np.zeros(64, dtype=np.int64))
    loss.backward()
    source = tg.viz.draw_graph(loss, collapse_modules=True).source
    assert "Linear(300→300)" in source and "Linear(300→3)" in source


# ---- the engine's fuzzer, with every link released ---------------------------------------------------------


class ReleasingEverything(EngineMachine):
    """``tests/test_fuzz_engine.py``'s state machine (random graphs, backward with and without retain_graph,
    tg.grad, retain_grad, zeroing) with a release limit of 0 bytes, so that every backward replaces links by
    placeholders: gradients, errors and the tensors it holds must be exactly as without the release."""

    def __init__(self) -> None:
        super().__init__()
        self._limit = engine_module.RELEASE_MIN_BYTES
        engine_module.RELEASE_MIN_BYTES = 0

    def teardown(self) -> None:
        engine_module.RELEASE_MIN_BYTES = self._limit

    @invariant()
    def released_graphs_keep_their_structure(self) -> None:
        """Walking a graph after backward released it reaches the same parameters as before."""
        tensor_of = {id(n): n.tensor for n in self.all}
        for n in self.all:
            if not n.recorded:
                continue
            order = tg.viz.backward_order(n.tensor)
            reached = {id(t) for t in order if t.is_leaf and t.requires_grad}
            assert reached == {id(tensor_of[k]) for k in n.deps if k in tensor_of}, n


TestEngineFuzzReleasingEverything = ReleasingEverything.TestCase
TestEngineFuzzReleasingEverything.settings = settings(
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_release_threshold_under_its_old_name_warns_and_still_applies(monkeypatch):
    # tg.tensor.RELEASE_MIN_BYTES moved to tg.engine (issue 16): reads and assignments go to the engine's
    monkeypatch.setattr(engine_module, "RELEASE_MIN_BYTES", engine_module.RELEASE_MIN_BYTES)
    with pytest.warns(DeprecationWarning, match=r"moved to tinygrad_edu\.engine\.RELEASE_MIN_BYTES"):
        assert tg.tensor.RELEASE_MIN_BYTES == 64 * 1024
    with pytest.warns(DeprecationWarning, match=r"use tg\.engine\.RELEASE_MIN_BYTES"):
        tg.tensor.RELEASE_MIN_BYTES = 0
    assert engine_module.RELEASE_MIN_BYTES == 0
    x = tg.Tensor(np.ones(4), requires_grad=True)
    h = x * 2.0
    (h * h).sum().backward()  # a 32-byte intermediate, released now that the threshold is 0
    assert isinstance(h.grad_fn, ops.Mul) and h.grad_fn.args == ()
    with pytest.raises(AttributeError, match="has no attribute 'NOT_A_NAME'"):
        tg.tensor.NOT_A_NAME  # noqa: B018
