"""The tinygrad-edu command, end to end, in a temporary directory."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu import cli

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
    for name in ("loss_curves", "convergence", "stability", "trajectories"):
        assert_png(tmp_path / f"{name}.png")
    graph = tmp_path / "graph.svg" if (tmp_path / "graph.svg").exists() else tmp_path / "graph.dot"
    text = graph.read_text()
    assert ("<svg" in text) if graph.suffix == ".svg" else text.startswith("digraph")
    assert "weight" in text
    assert str(tmp_path.resolve()) in out


def test_demo_without_dot_writes_dot_text_and_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no `dot` anywhere
    graph_file = cli._graph_file(cli._example_neuron(), tmp_path, "graph")
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
        (["compare", "--lr", "abc"], "--lr: cannot read 'abc'"),
        (["compare", "--lr", "-1"], "--lr: cannot read '-1'"),
        (["compare", "--batch-size", "0"], "--batch-size: cannot read '0'"),
        (["compare", "--optimizers", "sgd,lbfgs"], "unknown optimiser 'lbfgs'"),
        (["compare", "--epochs", "0"], "--epochs must be >= 1"),
        (["graph", "x +* y"], "cannot evaluate"),
        (["graph", "x.__class__"], "double underscores"),
        (["graph", "open('f')"], "only names, numbers"),
        (["graph", "2 + 3"], "does not depend on any variable"),
        (["graph", "neuron", "--out", "g.txt"], "--out must end in"),
    ],
)
def test_bad_values_give_one_line_errors_and_status_2(argv, message, capsys):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert message in err and err.count("\n") == 1 and out == ""


@pytest.mark.parametrize("argv", [["compare", "--dataset", "nope"], ["demo", "--bogus"], ["frobnicate"], []])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-edu") and err.count("\n") == 1 and "error:" in err


@pytest.mark.parametrize("command", ["demo", "compare", "graph", "gradcheck"])
def test_help_for_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: tinygrad-edu" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "tinygrad_edu", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "demo" in done.stdout and "gradcheck" in done.stdout
