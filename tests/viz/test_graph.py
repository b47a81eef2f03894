"""tinygrad_edu.viz.graph: the computation graph as a graphviz.Digraph.

The DOT text is parsed back into nodes and edges, so the tests check structure (counts, which node feeds
which), labels (op names, formulas, shapes, values, gradients) and styling; rendering with `dot` is checked
where it is installed.
"""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import ops
from tinygrad_edu.nn import MLP, Module
from tinygrad_edu.viz import graph as viz_graph

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")

PARAMETER, CONSTANT, INTERMEDIATE, OUTPUT, OP, MODULE = (
    'fillcolor="#dbeafe"',
    'fillcolor="#f3f4f6"',
    'fillcolor="#ffffff"',
    'fillcolor="#dcfce7"',
    'fillcolor="#fef3c7"',
    'fillcolor="#ede9fe"',
)
NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")


def parse(graph):
    """{node id: attribute text} and [(src, dst, attribute text)] from the DOT source, without the legend."""
    nodes, edges = {}, []
    for line in graph.source.splitlines():
        if m := EDGE.match(line):
            edges.append((m[1], m[2], m[3] or ""))
        elif (m := NODE.match(line)) and m[1] not in ("graph", "node", "edge", "legend"):
            nodes[m[1]] = m[2]
    return nodes, edges


def node_named(nodes, name):
    """The id of the node whose label starts its name row with <B>name</B>."""
    found = [key for key, attrs in nodes.items() if f"<B>{name}</B>" in attrs]
    assert len(found) == 1, (name, found)
    return found[0]


def op_names(nodes):
    return sorted(re.search(r"<B>(\w+)</B>", attrs)[1] for attrs in nodes.values() if OP in attrs)


def micrograd_example():
    """micrograd's README expression: L = (a * b + c) * f."""
    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(-3.0, requires_grad=True, name="b")
    c = tg.Tensor(10.0, requires_grad=True, name="c")
    f = tg.Tensor(-2.0, requires_grad=True, name="f")
    e = a * b
    d = e + c
    L = d * f
    e.name, d.name, L.name = "e", "d", "L"
    return L


def mlp_loss(trace: bool = False):
    """Cross-entropy of a 2-layer MLP(4 -> 8 -> 3) on 16 samples."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    model = MLP([4, 8, 3])
    X = tg.Tensor(rng.normal(size=(16, 4)), dtype=np.float32, name="X")
    y = rng.integers(0, 3, size=16)
    if trace:
        with tg.viz.trace_modules():
            loss = tg.nn.functional.cross_entropy(model(X), y)
    else:
        loss = tg.nn.functional.cross_entropy(model(X), y)
    loss.name = "loss"
    return model, X, loss


def chain(n: int):
    x = tg.Tensor(1.0, requires_grad=True, name="x")
    y = x
    for i in range(n):
        y = y * 1.0001 if i % 2 else y + 0.5
    return x, y


# --------------------------------------------------------------------------------------------------------
# structure and labels
# --------------------------------------------------------------------------------------------------------


def test_micrograd_expression_has_7_tensors_3_ops_and_9_edges():
    graph = tg.viz.draw_graph(micrograd_example(), legend=False)
    nodes, edges = parse(graph)
    assert len(nodes) == 10 and graph.num_nodes == 10 and graph.num_hidden == 0
    assert len(edges) == 9
    assert op_names(nodes) == ["add", "mul", "mul"]
    assert "legend" not in graph.source
    # L = d * f: d and f feed the mul that produces L
    L, d, f = (node_named(nodes, n) for n in "Ldf")
    (op,) = [src for src, dst, _ in edges if dst == L]
    assert sorted(src for src, dst, _ in edges if dst == op) == sorted([d, f])


def test_values_and_gradients_are_in_the_labels():
    L = micrograd_example()
    tg.viz.retain_grads(L)
    L.backward()
    nodes, _ = parse(tg.viz.draw_graph(L))
    # L = (2 * -3 + 10) * -2 = -8; dL/dd = f = -2, dL/df = d = 4, dL/da = f b = 6, dL/db = f a = -4
    expected = {"a": (2, 6), "b": (-3, -4), "c": (10, -2), "f": (-2, 4), "e": (-6, -2), "d": (4, -2), "L": (-8, 1)}
    for name, (data, grad) in expected.items():
        label = nodes[node_named(nodes, name)]
        assert f"data {data}<" in label and f"grad {grad}<" in label, name
        assert "scalar float32" in label


def test_before_backward_parameters_show_grad_none_and_intermediates_no_grad_row():
    nodes, _ = parse(tg.viz.draw_graph(micrograd_example()))
    assert "grad None" in nodes[node_named(nodes, "a")]
    assert "grad" not in nodes[node_named(nodes, "e")]


def test_only_leaves_keep_grad_unless_retain_grads():
    L = micrograd_example()
    L.backward()
    nodes, _ = parse(tg.viz.draw_graph(L))
    assert "grad 6<" in nodes[node_named(nodes, "a")]
    assert "grad" not in nodes[node_named(nodes, "d")]
    L2 = micrograd_example()
    assert tg.viz.retain_grads(L2) == 3  # e, d and L
    L2.backward()
    nodes, _ = parse(tg.viz.draw_graph(L2))
    assert "grad -2<" in nodes[node_named(nodes, "d")]


def test_python_scalars_are_written_into_the_op_label_not_drawn():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    y = ((2 - x) ** 2 * 0.5 + 1.5).maximum(0.0) / 4
    graph = tg.viz.draw_graph(y, legend=False)
    nodes, edges = parse(graph)
    assert len(nodes) == 1 + 6 + 6  # x, six results, six ops: no node for any of the scalars
    assert len(edges) == 12
    text = graph.source
    for formula in ("2 − x", "x ** 2", "x × 0.5", "x + 1.5", "max(x, 0)", "x / 4"):
        assert f">{formula}<" in text, formula


def test_tiny_tensors_show_values_and_larger_ones_statistics():
    small = tg.Tensor([[1.0, -2.0, 3.0], [4.0, 5.5, 6.0]], name="small")
    big = tg.Tensor(np.arange(12.0).reshape(3, 4), name="big")
    w = tg.Tensor(np.full(7, 0.5), requires_grad=True, name="w")
    p = tg.Tensor(2.0, requires_grad=True, dtype=np.float64, name="p")
    loss = (small * p).sum() + (big * p).sum() + w.sum()
    loss.backward()
    nodes, _ = parse(tg.viz.draw_graph(loss))
    assert "data [[1, -2, 3], [4, 5.5, 6]]" in nodes[node_named(nodes, "small")]
    big_label = nodes[node_named(nodes, "big")]  # 0..11: mean 5.5, std 3.452, min 0, max 11
    assert "(3, 4) float64" in big_label
    assert "data mean 5.5  std 3.452" in big_label and "min 0  max 11" in big_label
    w_label = nodes[node_named(nodes, "w")]  # grad = ones(7): norm sqrt(7) = 2.646
    assert "(7,) float64" in w_label
    assert "grad norm 2.646  mean 1" in w_label and "min 1  max 1" in w_label


def test_nan_and_inf_are_counted_and_left_out_of_the_statistics():
    t = tg.Tensor([1.0, np.nan, 3.0, np.inf, 5.0, 7.0, np.nan], name="t")
    nodes, _ = parse(tg.viz.draw_graph(t))
    label = nodes[node_named(nodes, "t")]
    assert "data mean 4  std 2.236" in label and "min 1  max 7" in label and "2 nan, 1 inf" in label


def test_show_options_remove_rows():
    L = micrograd_example()
    L.backward()
    nodes, _ = parse(tg.viz.draw_graph(L, show_data=False, show_grad=False, show_shapes=False))
    label = nodes[node_named(nodes, "a")]
    assert "data" not in label and "grad" not in label and "float32" not in label
    nodes, _ = parse(tg.viz.draw_graph(L, show_data=False))
    label = nodes[node_named(nodes, "a")]
    assert "data" not in label and "grad 6<" in label and "scalar float32" in label


def test_op_attributes_index_and_operand_edge_labels():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    m = x[:, 1:]
    cat = tg.concatenate([m, m * 2], axis=1)
    s = cat.sum(axis=1, keepdims=True)
    picked = tg.where(np.array([[True], [False]]), s, 0.0)
    out = (picked - x.mean()).reshape(-1) @ tg.Tensor([1.0, 2.0], name="v")
    graph = tg.viz.draw_graph(out, legend=False)
    nodes, edges = parse(graph)
    text = graph.source
    assert ">x[:, 1:]<" in text  # getitem in numpy's syntax
    assert "axis=1, keepdims=True" in text  # sum's attributes; keepdims=False and axis=None are not shown
    assert ">where(cond, a, 0)<" in text and ">a − b<" in text and ">a @ b<" in text
    assert "shape=(-1,)" in text
    edge_labels = sorted(re.search(r"label=(\w+)", attrs)[1] for _, _, attrs in edges if "label=" in attrs)
    # concatenate: 0, 1; where: cond (the numpy array, a constant node), a; sub: a, b; matmul: a, b
    assert edge_labels == ["0", "1", "a", "a", "a", "b", "b", "cond"]
    arrays = [k for k, attrs in nodes.items() if "<B>array</B>" in attrs]
    assert len(arrays) == 1 and CONSTANT in nodes[arrays[0]] and "(2, 1) bool" in nodes[arrays[0]]
    # x * x: a commutative op, two edges from the same node, no labels
    sq = tg.viz.draw_graph(x * x, legend=False)
    _, sq_edges = parse(sq)
    assert [(s, d) for s, d, a in sq_edges if d == "op0"] == [("t1", "op0"), ("t1", "op0")]
    assert "label=" not in "".join(a for _, _, a in sq_edges)


def test_two_layer_mlp_counts_labels_and_styles():
    model, _, loss = mlp_loss()
    list(model.parameters())  # names the parameters layers.0.weight ...
    loss.backward()
    graph = tg.viz.draw_graph(loss)
    nodes, edges = parse(graph)
    # tensors: X, 4 parameters, 2 linear outputs, relu, loss = 9; the labels array = 1;
    # ops: linear (x @ W.T + b, one fused node per layer), relu, linear, crossentropy = 4
    assert len(nodes) == 14
    assert len(edges) == 4 + (3 + 1 + 3 + 2)  # one edge out of each op, one into it per input
    assert op_names(nodes) == sorted(["linear", "relu", "linear", "crossentropy"])
    styles = {kind: sum(kind in attrs for attrs in nodes.values()) for kind in (PARAMETER, CONSTANT, OUTPUT, OP)}
    assert styles == {PARAMETER: 4, CONSTANT: 2, OUTPUT: 1, OP: 4}
    assert sum(INTERMEDIATE in attrs for attrs in nodes.values()) == 3  # 2 linear outputs, relu
    for name, shape in (("layers.0.weight", "(8, 4)"), ("layers.0.bias", "(8,)"), ("layers.2.weight", "(3, 8)")):
        label = nodes[node_named(nodes, name)]
        assert PARAMETER in label and f"{shape} float32" in label
    w = model.layers[0].weight
    w_label = nodes[node_named(nodes, "layers.0.weight")]
    assert f"grad norm {viz_graph._num(np.linalg.norm(w.grad))}" in w_label
    assert f"data mean {viz_graph._num(w.data.mean())}  std {viz_graph._num(w.data.std())}" in w_label
    b2 = model.layers[2].bias
    assert f"grad {viz_graph._values(b2.grad)}<" in nodes[node_named(nodes, "layers.2.bias")]
    assert CONSTANT in nodes[node_named(nodes, "X")] and "(16, 4) float32" in nodes[node_named(nodes, "X")]
    loss_label = nodes[node_named(nodes, "loss")]
    assert (
        OUTPUT in loss_label and "peripheries=2" in loss_label and f"data {viz_graph._num(loss.item())}<" in loss_label
    )
    assert "reduction=mean" in graph.source
    # no gradient flows into X or the labels: their edges are dashed, all others solid
    dashed = [(s, d) for s, d, a in edges if "dashed" in a]
    assert sorted(s for s, _ in dashed) == sorted([node_named(nodes, "X"), node_named(nodes, "array")])


def test_legend_explains_every_style():
    source = tg.viz.draw_graph(micrograd_example(), show_backward_order=True).source
    legend = next(line for line in source.splitlines() if line.strip().startswith("legend ["))
    for colour in ("#dbeafe", "#f3f4f6", "#ffffff", "#dcfce7", "#fef3c7"):
        assert colour in legend
    assert "parameter" in legend and "constant" in legend and "output" in legend and "backward()" in legend


def test_a_tensor_without_graph_is_one_output_node():
    graph = tg.viz.draw_graph(tg.Tensor([1.0, 2.0], name="c"), show_backward_order=True)
    nodes, edges = parse(graph)
    assert list(nodes) == ["t0"] and edges == [] and OUTPUT in nodes["t0"] and "backward #" not in nodes["t0"]


def test_arguments_are_checked():
    L = micrograd_example()
    with pytest.raises(TypeError, match="needs a Tensor"):
        tg.viz.draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        tg.viz.draw_graph(L, rankdir="sideways")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes"):
            tg.viz.draw_graph(L, max_nodes=bad)
    assert "rankdir=TB" in tg.viz.draw_graph(L, rankdir="TB").source


# --------------------------------------------------------------------------------------------------------
# backward order
# --------------------------------------------------------------------------------------------------------


def test_backward_order_numbers_the_micrograd_example():
    L = micrograd_example()
    L.backward()
    nodes, _ = parse(tg.viz.draw_graph(L, show_backward_order=True))
    # LIFO: L; its inputs d, f are pushed, f popped first; then d; c and e pushed, e's inputs a, b last
    expected = {"L": 1, "f": 2, "d": 3, "c": 4, "e": 5, "b": 6, "a": 7}
    for name, number in expected.items():
        assert f"backward #{number}<" in nodes[node_named(nodes, name)], name
    assert [t.name for t in tg.viz.backward_order(L)] == list(expected)


def record_engine_order(monkeypatch, op_classes):
    """Patch each op class's rule to log which op runs when: the engine's real visiting order."""
    calls = []
    for cls in op_classes:
        original = cls.vjp

        def vjp(self, grad, out, *inputs, original=original):
            calls.append(id(self))
            return original(self, grad, out, *inputs)

        monkeypatch.setattr(cls, "vjp", vjp)
    return calls


def test_backward_order_is_the_order_the_engine_uses(monkeypatch):
    used = [
        ops.Tanh,
        ops.Mul,
        ops.Add,
        ops.Exp,
        ops.Sum,
        ops.Sub,
        ops.Linear,
        ops.Relu,
        ops.CrossEntropy,
    ]
    calls = record_engine_order(monkeypatch, used)
    # a diamond (b used twice), a reused leaf and a constant: Kahn's algorithm waits for both consumers of b
    a = tg.Tensor([0.5, -1.0], requires_grad=True, name="a")
    b = a.tanh()
    c = (b * b + b.exp() * a).sum() - tg.Tensor([1.0, 2.0]).sum()
    predicted = [id(t.grad_fn) for t in tg.viz.backward_order(c) if not t.is_leaf]
    c.backward()
    assert calls == predicted and len(calls) == 7
    # the MLP: the fused linear layers, relu and the fused loss
    calls.clear()
    _, _, loss = mlp_loss()
    predicted = [id(t.grad_fn) for t in tg.viz.backward_order(loss) if not t.is_leaf]
    loss.backward()
    assert calls == predicted and len(calls) == 4


def test_backward_order_after_backward_and_without_grad():
    L = micrograd_example()
    before = [t.name for t in tg.viz.backward_order(L)]
    L.backward()  # releases the saved arrays; the structure stays
    assert [t.name for t in tg.viz.backward_order(L)] == before
    assert tg.viz.backward_order(tg.Tensor(1.0)) == []
    with pytest.raises(TypeError):
        tg.viz.backward_order(1.0)


# --------------------------------------------------------------------------------------------------------
# deep graphs and truncation
# --------------------------------------------------------------------------------------------------------


def test_a_50000_op_chain_is_walked_without_recursion():
    x, y = chain(50_000)
    graph = tg.viz.draw_graph(y, show_backward_order=True)  # default max_nodes=500
    nodes, _ = parse(graph)
    assert graph.num_nodes == 500 and len(nodes) == 500 + 1  # and the marker
    assert graph.num_hidden == 100_001 - 500  # 50,001 tensors and 50,000 ops in all
    assert f"… {100_001 - 500} more nodes" in graph.source
    # breadth first from the output: t0 is the root, t1 its input ...; numbered 1, 2, 3 ... by backward
    for k in (0, 1, 100, 249):
        assert f"backward #{k + 1}<" in nodes[f"t{k}"]
    assert OUTPUT in nodes["t0"] and ">x × 1.0001<" in nodes["op0"] and ">x + 0.5<" in nodes["op1"]
    order = tg.viz.backward_order(y)
    assert len(order) == 50_001 and order[0] is y and order[-1] is x


def test_max_nodes_truncates_with_a_marker_linked_to_the_cut():
    _, y = chain(300)
    graph = tg.viz.draw_graph(y, max_nodes=50, legend=False)
    nodes, edges = parse(graph)
    assert graph.num_nodes == 50 and graph.num_hidden == 601 - 50
    assert "… 551 more nodes" in nodes["more"] and "max_nodes=50" in nodes["more"]
    assert [(s, d) for s, d, _ in edges if s == "more"] == [("more", "op24")]  # t25 was cut
    assert all(s in nodes and d in nodes for s, d, _ in edges)
    full = tg.viz.draw_graph(y, max_nodes=None, legend=False)
    assert full.num_nodes == 601 and full.num_hidden == 0 and "more" not in parse(full)[0]


# --------------------------------------------------------------------------------------------------------
# collapse_modules
# --------------------------------------------------------------------------------------------------------


def test_collapse_modules_draws_each_layer_call_as_one_box():
    model, _, loss = mlp_loss(trace=True)
    list(model.parameters())
    loss.backward()
    graph = tg.viz.draw_graph(loss, collapse_modules=True, legend=False)
    nodes, edges = parse(graph)
    # X, 4 parameters, 3 boxes, 3 layer outputs, the labels array, crossentropy, loss
    assert len(nodes) == 14 and len(edges) == 13
    boxes = {re.search(r"<B>([^<]+)</B>", attrs)[1]: key for key, attrs in nodes.items() if MODULE in attrs}
    assert set(boxes) == {"Linear(4→8)", "ReLU", "Linear(8→3)"}
    assert "layers.0<" in nodes[boxes["Linear(4→8)"]] and "layers.2<" in nodes[boxes["Linear(8→3)"]]
    assert op_names(nodes) == ["crossentropy"]
    into = {box: sorted(s for s, d, _ in edges if d == key) for box, key in boxes.items()}
    assert into["Linear(4→8)"] == sorted(node_named(nodes, n) for n in ("X", "layers.0.weight", "layers.0.bias"))
    (hidden,) = [d for s, d, _ in edges if s == boxes["ReLU"]]
    assert into["Linear(8→3)"] == sorted(
        [hidden, node_named(nodes, "layers.2.weight"), node_named(nodes, "layers.2.bias")]
    )
    assert into["ReLU"] == [d for s, d, _ in edges if s == boxes["Linear(4→8)"]]
    # one frame, labelled MLP (its Sequential is merged into it), holding the parameters but not X
    assert graph.source.count("subgraph cluster_") == 1 and "<B>MLP</B>" in graph.source
    assert "Sequential" not in graph.source
    cluster = graph.source[graph.source.index("subgraph cluster_") :]
    cluster = cluster[: cluster.index("\n\t}")]
    assert "<B>layers.0.weight</B>" in cluster and "<B>X</B>" not in cluster and "<B>loss</B>" not in cluster


def test_collapse_modules_needs_a_traced_forward_pass():
    _, _, loss = mlp_loss(trace=False)
    with pytest.raises(ValueError, match="trace_modules"):
        tg.viz.draw_graph(loss, collapse_modules=True)


def test_trace_modules_restores_module_call_and_nests():
    original = Module.__call__
    with tg.viz.trace_modules():
        assert Module.__call__ is not original
        with tg.viz.trace_modules():
            pass
        assert Module.__call__ is not original
    assert Module.__call__ is original
    with pytest.raises(RuntimeError), tg.viz.trace_modules():
        raise RuntimeError("the forward pass failed")
    assert Module.__call__ is original


def test_shared_module_called_twice_gets_two_boxes_and_the_records_die_with_the_graph():
    tg.manual_seed(1)
    layer = tg.nn.Linear(3, 2)
    a, b = tg.Tensor(np.ones((1, 3)), name="a"), tg.Tensor(np.zeros((1, 3)), name="b")
    with tg.viz.trace_modules():
        out = (layer(a) - layer(b)).sum()
    nodes, edges = parse(tg.viz.draw_graph(out, collapse_modules=True, legend=False))
    boxes = [key for key, attrs in nodes.items() if MODULE in attrs]
    assert len(boxes) == 2
    weight = node_named(nodes, "weight")
    assert sorted(d for s, d, _ in edges if s == weight) == sorted(boxes)  # one parameter node feeds both
    before = len(viz_graph._CALLS_BY_OUTPUT)
    del out, nodes
    assert len(viz_graph._CALLS_BY_OUTPUT) == before - 2  # weak references: no graph is kept alive


# --------------------------------------------------------------------------------------------------------
# escaping
# --------------------------------------------------------------------------------------------------------

HOSTILE = 'q"{b}<i>&amp;\\ \n\t\x00\u2028\ud800 é ]]> -- } digraph { evil -> x }'
# what the label shows: control characters as escapes, then &, <, >, " as entities
HOSTILE_SHOWN = "q&quot;{b}&lt;i&gt;&amp;amp;\\ \\n\\t\\x00\\u2028\\ud800 é ]]&gt; -- } …"  # cut at 48 characters


def hostile_graph():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name=HOSTILE)
    c = tg.Tensor([3.0, 4.0], name='"; } digraph { evil -> x } //')
    out = (x * c).sum()
    out.name = 'out\\"put'
    return out


def test_hostile_names_are_escaped_into_one_line_labels():
    graph = tg.viz.draw_graph(hostile_graph())
    nodes, edges = parse(graph)  # every node still parses as one line: no raw newline reached the DOT text
    assert len(nodes) == 6 and len(edges) == 5
    assert HOSTILE_SHOWN in nodes["t1"] or HOSTILE_SHOWN in nodes["t2"]
    assert "&quot;; } digraph { evil -&gt; x } //" in graph.source and "out\\&quot;put" in nodes["t0"]
    for raw in ("\n", "\t", "\x00", "\u2028", "\ud800"):
        assert raw not in "".join(nodes.values())
    assert "evil" not in "".join(nodes)  # no name is ever used as a node id
    graph.source.encode("utf-8")  # a lone surrogate would fail here


@needs_dot
def test_hostile_names_render_with_dot(tmp_path):
    graph = tg.viz.draw_graph(hostile_graph())
    result = subprocess.run(["dot", "-Tsvg"], input=graph.source.encode("utf-8"), capture_output=True, check=False)
    assert result.returncode == 0 and result.stderr == b""
    svg = tg.viz.save_graph(graph, tmp_path / "hostile.svg").read_text(encoding="utf-8")
    assert HOSTILE_SHOWN.replace(" é ]]&gt; -- } …", "") in svg
    assert "&quot;; } digraph { evil &#45;&gt; x } //" in svg and "out\\&quot;put" in svg


# --------------------------------------------------------------------------------------------------------
# rendering, files, Jupyter, missing dot
# --------------------------------------------------------------------------------------------------------


@needs_dot
def test_save_graph_renders_svg_png_pdf_and_jupyter_shows_svg(tmp_path):
    L = micrograd_example()
    L.backward()
    svg = tg.viz.save_graph(L, tmp_path / "g.svg", show_backward_order=True)
    assert svg.read_text().lstrip().startswith("<?xml") and "backward #7" in svg.read_text()
    assert tg.viz.save_graph(L, tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert tg.viz.save_graph(L, tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
    assert tg.viz.save_graph(L, tmp_path / "g.image", format="png").read_bytes()[:4] == b"\x89PNG"
    bundle = tg.viz.draw_graph(L)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]
    _, _, loss = mlp_loss(trace=True)
    assert "Linear(4→8)" in tg.viz.save_graph(loss, tmp_path / "m.svg", collapse_modules=True).read_text()


def test_save_graph_writes_dot_text_and_checks_its_arguments(tmp_path):
    L = micrograd_example()
    graph = tg.viz.draw_graph(L)
    for name, kwargs in (("g.dot", {}), ("g.gv", {}), ("g.txt", {"format": "dot"})):
        path = tg.viz.save_graph(graph, tmp_path / name, **kwargs)
        assert path == tmp_path / name and path.read_text(encoding="utf-8") == graph.source
    assert (
        tg.viz.save_graph(L, tmp_path / "h.dot", legend=False).read_text() == tg.viz.draw_graph(L, legend=False).source
    )
    with pytest.raises(ValueError, match="format must be one of"):
        tg.viz.save_graph(graph, tmp_path / "g.jpg", format="jpg")
    with pytest.raises(TypeError, match="legend"):
        tg.viz.save_graph(graph, tmp_path / "g.dot", legend=False)


def test_without_dot_the_source_and_dot_files_work_and_rendering_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # the lookup of `dot` fails
    L = micrograd_example()
    graph = tg.viz.draw_graph(L)
    assert graph.source.startswith("digraph computation_graph {")
    assert tg.viz.save_graph(graph, tmp_path / "g.dot").read_text(encoding="utf-8") == graph.source
    attempts = (
        lambda: tg.viz.save_graph(L, tmp_path / "g.svg"),
        lambda: graph.pipe(format="png"),
        lambda: graph.render(tmp_path / "r"),
    )
    for attempt in attempts:
        with pytest.raises(tg.viz.GraphvizNotFoundError) as info:
            attempt()
        message = str(info.value)
        for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz", 'format="dot"'):
            assert hint in message
    assert not (tmp_path / "g.svg").exists()
    # Jupyter's inline display does not fail the cell: it shows the install hint and the DOT text instead
    shown = graph._repr_mimebundle_()["text/plain"]
    assert "apt-get install graphviz" in shown and graph.source in shown


def test_import_tinygrad_edu_does_not_import_graphviz():
    code = "import sys, tinygrad_edu as tg; assert 'graphviz' not in sys.modules; tg.viz.draw_graph; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr
