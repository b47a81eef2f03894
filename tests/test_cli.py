"""The tinygrad-edu command, end to end, in a temporary directory."""

import inspect
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import cli, expression

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_png(path: Path) -> None:
    assert path.exists(), path
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5_000, (path, len(data))


def test_demo_prints_the_table_and_writes_every_picture(tmp_path, capsys):
    status, out, _ = run(
        capsys, "demo", "--out", str(tmp_path), "--seeds", "0,1", "--n-samples", "400", "--no-progress"
    )
    assert status == 0
    for config in ("GD (full batch)", "mini-batch SGD (32)", "SGD (batch 1)"):
        assert config in out
    assert "grad evals to tol" in out and "stability" in out
    for name in ("loss_curves", "convergence", "stability", "trajectories", "lr_bound"):
        assert_png(tmp_path / f"{name}.png")
    assert "measured by tg.train.curvature: lambda_max = 10, kappa = 10" in out  # the demo's quadratic: L = 10
    graph = tmp_path / "graph.svg" if (tmp_path / "graph.svg").exists() else tmp_path / "graph.dot"
    text = graph.read_text()
    assert ("<svg" in text) if graph.suffix == ".svg" else text.startswith("digraph")
    assert "weight" in text
    assert str(tmp_path.resolve()) in out


def test_demo_without_dot_writes_dot_text_and_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no `dot` anywhere
    graph_file = cli._graph_file(cli._example_neuron(), tmp_path, "graph", ".png")
    out = capsys.readouterr().out
    assert graph_file.suffix == ".dot" and graph_file.read_text().startswith("digraph")
    assert "apt-get install graphviz" in out


def test_compare_prints_a_table_per_configuration(capsys):
    status, out, _ = run(
        capsys, "compare", "--dataset", "blobs", "--optimizers", "gd,sgd,momentum", "--batch-size", "16,full",
        "--epochs", "3", "--seeds", "0,1", "--n-samples", "120", "--no-progress",
    )  # fmt: skip
    assert status == 0
    assert "blobs: MLP 2-32-3" in out
    for label in ("GD (full batch)", "SGD (batch 16)", "SGD (full batch)", "momentum (batch 16)"):
        assert label in out
    assert "max_epochs" in out


def test_compare_json_parses_and_out_writes_pictures(tmp_path, capsys):
    status, out, err = run(
        capsys, "compare", "--dataset", "linear", "--optimizers", "gd,adam", "--lr", "0.05,0.1", "--epochs", "2",
        "--seeds", "0", "--n-samples", "80", "--json", "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    result = json.loads(out)
    assert len(result["summary"]) == 4  # 2 optimisers x 2 learning rates (gd: full batch only)
    assert {row["config"] for row in result["summary"]} >= {"GD (full batch, lr 0.05)", "adam (batch 32, lr 0.1)"}
    assert_png(tmp_path / "loss_curves.png")
    assert_png(tmp_path / "stability.png")
    assert "wrote" in err


def test_curvature_prints_the_bound_of_the_moons_mlp(capsys):
    status, out, _ = run(capsys, "curvature", "--dataset", "moons", "--n-samples", "200")
    assert status == 0
    assert out.startswith("moons: MLP 2-32-2, 150 training samples")
    values = dict(re.findall(r"^  (lambda_max|lambda_min) = (\S+)$", out, flags=re.MULTILINE))
    bound = float(re.search(r"lr bound   = 2/lambda_max = (\S+):", out).group(1))
    assert float(values["lambda_max"]) > 0 > float(values["lambda_min"])  # random weights: not convex
    assert bound == pytest.approx(2 / float(values["lambda_max"]), rel=1e-5)
    assert "kappa      = inf  (the loss is not convex here)" in out


def test_curvature_json_matches_the_library_and_trains_with_epochs(capsys):
    status, out, _ = run(capsys, "curvature", "--dataset", "linear", "--n-samples", "100", "--epochs", "5", "--json")
    assert status == 0
    report = json.loads(out)
    start, end = report["initial"], report["trained"]
    # linear regression: the Hessian 2 X^T X / n does not depend on the weights
    assert start["lambda_max"] == pytest.approx(end["lambda_max"], rel=1e-9)
    assert start["condition_number"] == pytest.approx(start["lambda_max"] / start["lambda_min"])
    assert start["max_stable_lr"] == pytest.approx(2 / start["lambda_max"])
    assert report["training"]["lr"] == pytest.approx(1 / start["lambda_max"])
    assert end["loss"] < start["loss"]
    problem = cli.make_problem("linear", 100, 0)
    X = np.asarray(problem.X, dtype=np.float64)
    eigenvalues = np.linalg.eigvalsh(2 * np.c_[X, np.ones(len(X))].T @ np.c_[X, np.ones(len(X))] / len(X))
    assert start["lambda_max"] == pytest.approx(eigenvalues[-1], rel=1e-8)
    assert start["lambda_min"] == pytest.approx(eigenvalues[0], rel=1e-6)


def test_curvature_json_has_null_for_an_undefined_kappa(capsys):
    status, out, _ = run(capsys, "curvature", "--n-samples", "100", "--json", "--method", "exact")
    report = json.loads(out)  # strict JSON: no Infinity
    assert status == 0 and report["initial"]["condition_number"] is None and report["initial"]["method"] == "exact"


@pytest.mark.parametrize(
    "target", ["neuron", "linear", "logistic", "mlp", "tanh(x*w + b) * 2", "relu(a) ** 2 + exp(b)"]
)
def test_graph_draws_examples_and_expressions(target, tmp_path, capsys):
    status, out, _ = run(capsys, "graph", target, "--out", str(tmp_path / "g.dot"))
    assert status == 0
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph") and "backward #1" in text
    assert f"wrote {tmp_path / 'g.dot'}" in out


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="needs Graphviz's dot")
def test_graph_renders_svg(tmp_path, capsys):
    assert run(capsys, "graph", "neuron", "--out", str(tmp_path / "n.svg"))[0] == 0
    assert "<svg" in (tmp_path / "n.svg").read_text()


def test_gradcheck_prints_every_op_and_passes(capsys):
    status, out, _ = run(capsys, "gradcheck")
    assert status == 0
    for op in ("matmul", "softmax", "getitem", "crossentropy", "maximum"):
        assert f"\n{op} " in out
    assert out.rstrip().endswith("passed, 0 failed")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "--lr", "abc"], "argument --lr: cannot read 'abc' as a number"),
        (["compare", "--lr", "-1"], "argument --lr: -1 is out of range: a learning rate must be a finite number > 0"),
        (["compare", "--lr", "nan"], "argument --lr: nan is out of range"),
        (["compare", "--batch-size", "0"], "argument --batch-size: 0 is out of range: a batch size must be >= 1"),
        (["compare", "--optimizers", "sgd,lbfgs"], "argument --optimizers: unknown optimiser 'lbfgs'"),
        (["compare", "--epochs", "0"], "argument --epochs: 0 is out of range: the number of epochs must be >= 1"),
        (["gradcheck", "--seed", "-1"], "argument --seed: -1 is out of range: a seed must be >= 0"),
        (["graph", "x +* y"], "cannot draw 'x +* y': invalid syntax at column 4"),
        (["graph", "x.__class__"], "attribute access (.__class__) at column 2 is not part of the expression language"),
        (["graph", "open('f')"], "unknown function 'open' at column 1"),
        (["graph", "2 + 3"], "does not depend on any variable"),
        (["graph", "neuron", "--out", "g.txt"], "argument --out: 'g.txt' has no graph file suffix"),
        (["curvature", "--epochs", "-1"], "argument --epochs: -1 is out of range: the number of training epochs"),
        (["curvature", "--n-samples", "5"], "argument --n-samples: 5 is out of range"),
        (["curvature", "--method", "qr"], "argument --method: invalid choice: 'qr'"),
    ],
)
def test_bad_values_give_one_line_errors_and_status_2(argv, message, capsys):
    try:
        status = cli.main(argv)
    except SystemExit as exit_info:  # argparse's own errors
        status = exit_info.code
    out, err = capsys.readouterr()
    assert status == 2
    assert message in err and err.count("\n") == 1 and out == ""
    assert err.startswith(f"tinygrad-edu {argv[0]}: error: ")


@pytest.mark.parametrize("argv", [["compare", "--dataset", "nope"], ["demo", "--bogus"], ["frobnicate"], []])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-edu") and err.count("\n") == 1 and "error:" in err


@pytest.mark.parametrize("command", ["demo", "compare", "graph", "gradcheck", "curvature"])
def test_help_for_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: tinygrad-edu" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "tinygrad_edu", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "demo" in done.stdout and "gradcheck" in done.stdout


# ---- the expression language is a sandbox: a hostile corpus ---------------------------------------------

HOSTILE = {
    "attribute": "x.data",
    "attribute-chain": "x.data.ctypes",
    "dunder-chain": "x.__class__.__mro__",
    "dunder-subclasses": "x.__class__.__base__.__subclasses__()",
    "globals": "tanh.__globals__",
    "format-string": "'{0.__class__}'.format(x)",
    "format-walk": "'{0.__init__.__globals__[os].environ}'.format(x)",
    "f-string": "f'{x.__class__}'",
    "f-string-nested": "f'{f\"{x}\"}'",
    "string-concat": "'a' + 'b'",
    "string-without-quotes": "chr(111) + chr(115)",
    "str-of-tensor": "str(x)[0]",
    "lambda": "(lambda: x)()",
    "list-comprehension": "[c for c in x.__class__.__mro__]",
    "generator": "sum(c for c in x)",
    "dict-comprehension": "{k: 1 for k in x}",
    "import-call": "__import__('os').system('true')",
    "import-statement": "import os",
    "from-import": "from os import path",
    "builtins": "__builtins__",
    "eval": "eval('1+1')",
    "exec": "exec('x=1')",
    "open": "open('/etc/passwd')",
    "getattr": "getattr(x, 'data')",
    "keyword": "exp(x=1)",
    "double-star-kwargs": "maximum(**x)",
    "subscript": "x[0]",
    "slice": "x[::-1]",
    "walrus": "(y := x) * y",
    "conditional": "x if x else x",
    "comparison": "x < 1",
    "boolean": "x and x",
    "matmul": "x @ x",
    "floor-div": "x // 2",
    "bit-ops": "~x | 1",
    "semicolon": "x; import os",
    "assignment": "x = 1",
    "newline": "x\nimport os",
    "null-byte": "x\x00",
    "bidi-override": "x\u202e + y",
    "huge-power": "x*9**9**9",
    "huge-power-2": "2**10**100",
    "huge-power-3": "x**(10**10)",
    "huge-number": "x * 1" + "0" * 500,
    "long-input": "x+" * 50_000 + "x",
    "deep-parens": "(" * 10_000 + "x" + ")" * 10_000,
    "deep-minus": "-" * 10_000 + "x",
    "deep-minus-short": "-" * 999 + "x",
    "deep-calls": "exp(" * 150 + "x" + ")" * 150,
    "complex": "1j * x",
    "bool": "True + x",
    "none": "None",
    "bytes": "b'x' * 2",
    "underscore-name": "_x",
    "empty": "",
    "blank": "   ",
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_expressions_are_refused_with_one_line_and_status_2_quickly(text, tmp_path, capsys):
    target = tmp_path / "never-written.dot"
    start = time.perf_counter()
    status = cli.main(["graph", "--out", str(target), "--", text])
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("tinygrad-edu graph: error: cannot draw ") and err.count("\n") == 1, err
    assert len(err) < 500  # a 10^5-character input is shortened, not echoed
    assert elapsed < 1.0, f"{elapsed:.3f} s"  # a bound on hangs, not a benchmark
    assert not target.exists()


def test_nothing_reaches_pythons_eval():
    for module in (cli, expression):
        source = inspect.getsource(module)
        assert not re.search(r"(?<![\w.])(eval|exec|compile)\(", source), module.__name__


def test_hostile_expression_through_python_dash_m(tmp_path):
    corpus = [HOSTILE["format-walk"], HOSTILE["huge-power"], HOSTILE["long-input"], HOSTILE["deep-parens"]]
    env = {**os.environ, "TG_SECRET_MARKER": "s3cr3t-v4lue", "PYTHONPATH": str(Path(cli.__file__).parents[1])}
    for text in corpus:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "tinygrad_edu", "graph", "--", text],
            capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env,
        )  # fmt: skip
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("tinygrad-edu graph: error: cannot draw ") and done.stderr.count("\n") == 1
        assert "s3cr3t-v4lue" not in done.stderr and "tinygrad_edu/" not in done.stderr  # no environment, no paths
        assert time.perf_counter() - start < 30  # includes starting Python and importing numpy
    assert list(tmp_path.iterdir()) == []


def test_expressions_with_leading_minus_go_after_double_dash(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["graph", "-x*y"])
    assert exit_info.value.code == 2
    assert "an expression that starts with '-' goes after '--'" in capsys.readouterr().err
    status, _, _ = run(capsys, "graph", "--out", str(tmp_path / "g.dot"), "--", "-x*y")
    assert status == 0 and (tmp_path / "g.dot").read_text().startswith("digraph")


def test_graph_expression_values_and_gradients_are_drawn(tmp_path, capsys):
    status, _, _ = run(capsys, "graph", "x*w + b", "--out", str(tmp_path / "g.dot"))
    text = (tmp_path / "g.dot").read_text()
    assert status == 0
    # the seeded leaves: x = 0.55, w = -0.92, b = -1.84; d/dx = w, d/dw = x, d/db = 1
    for fragment in ("x", "w", "b", "0.55", "-0.92", "-1.84"):
        assert fragment in text


def test_graph_out_that_cannot_be_written_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, out, err = run(capsys, "graph", "neuron", "--out", str(blocker / "g.dot"))
    assert status == 2 and out == "" and err.count("\n") == 1
    assert f"--out: cannot write '{blocker / 'g.dot'}'" in err and "give a file name in a directory" in err


def test_demo_and_compare_check_out_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for command in ("demo", "compare"):
        start = time.perf_counter()
        status, out, err = run(capsys, command, "--out", str(blocker / "pictures"), "--no-progress")
        assert status == 2 and out == "" and err.count("\n") == 1
        assert f"--out: cannot create the directory '{blocker / 'pictures'}' (" in err
        assert time.perf_counter() - start < 5  # refused before any training
