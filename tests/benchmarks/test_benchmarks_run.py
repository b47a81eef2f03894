"""The benchmark scripts keep working: each runs on tiny sizes and prints its table.

Speed itself is never asserted in tests (timings on shared machines are noise); this only checks that
every implementation in a benchmark ran and produced a positive figure, and that the suite's outputs (table,
JSON, the Markdown page) are complete.
"""

import json
import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(autouse=True)
def _benchmarks_importable(monkeypatch):
    """The scripts import their shared workloads (benchmarks/_workloads.py) as a sibling module, as they do when
    run as ``python benchmarks/<script>.py``."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))


def _main(script: str):
    return runpy.run_path(str(BENCHMARKS / script), run_name="benchmark_under_test")["main"]


def test_op_overhead_runs_every_implementation(capsys):
    results = _main("op_overhead.py")(["--ops", "40", "--repeats", "2"])
    assert {"numpy forward only", "numpy forward + hand backward", "tinygrad_edu forward + backward"} <= set(results)
    assert all(us > 0 for us in results.values())
    assert "us/op" in capsys.readouterr().out


def test_op_rules_times_every_case(capsys):
    results = _main("op_rules.py")(["--repeats", "1"])
    assert {"ce", "bce_logits", "sigmoid", "linear", "softmax"} <= set(results)
    assert all(us > 0 for us in results.values())
    assert "(512, 200) float64 batch" in capsys.readouterr().out


@pytest.mark.parametrize("params", [1000])
def test_optim_step_runs_every_optimiser(params, capsys):
    results = _main("optim_step.py")(["--params", str(params), "--tensors", "2", "--repeats", "2"])
    assert len(results) >= 6
    assert all(ours > 0 and floor > 0 for ours, floor in results.values())
    assert "ratio" in capsys.readouterr().out


def test_train_loop_runs_fit_with_and_without_copies_library_loop_and_numpy_floor(capsys):
    results = _main("train_loop.py")(["--samples", "256", "--batch-sizes", "32", "--repeats", "1"])
    assert set(results) == {32}
    assert results[32]._fields == ("fit", "fit_no_copies", "loop", "floor")
    assert all(seconds > 0 for seconds in results[32])
    out = capsys.readouterr().out
    assert "fit/floor" in out and "fit, no copies (ms)" in out and "copies: the share of fit's time" in out


def test_suite_runs_every_workload_and_writes_json_and_markdown(tmp_path, capsys):
    """`run.py --smoke`: the same code paths as a full run (subprocess workers included) on tiny sizes."""
    out_json, out_md = tmp_path / "bench.json", tmp_path / "performance.md"
    # --threads 0: leave the BLAS threads of this test process as they are
    rows = _main("run.py")(["--smoke", "--threads", "0", "--json", str(out_json), "--markdown", str(out_md)])

    workloads = {"mlp_step", "op_overhead", "deep_chain", "logreg_gd", "memory", "train_loop"}
    assert {r.workload for r in rows} == workloads
    timed = [r for r in rows if r.unit != "MB" and r.workload != "train_loop"]  # train_loop: ours vs numpy only
    assert all(r.ours > 0 and r.numpy > 0 for r in timed)
    assert all((r.torch is not None) == ("torch" in sys.modules) for r in timed)
    # every target of the issue has a row that evaluates it
    targets = {(r.workload, r.target.split(":")[0].split(" ")[0]) for r in rows if r.target}
    assert {("mlp_step", "<="), ("op_overhead", "<="), ("deep_chain", "flat"), ("logreg_gd", "<=")} <= targets
    assert {("memory", "<="), ("memory", "flat")} <= targets
    (flat,) = [r for r in rows if r.check and r.check[0] == "flat"]  # deep_chain: shown next to the floor's own ratio
    # the loop that keeps each loss until the next step, and the memory a graph holds after backward
    memory = {r.case: r for r in rows if r.workload == "memory"}
    (kept,) = [r for case, r in memory.items() if "each loss kept until the next step" in case]
    (held,) = [r for case, r in memory.items() if case.startswith("after backward, loss alive: 4 intermediates")]
    assert kept.check == ("numpy", 1.3) and kept.numpy is not None
    assert held.ours >= 0 and held.numpy is not None and held.unit == "MB"
    assert flat.reference > 0 and f"numpy floor {flat.reference:.2f}x" in flat.target

    table = capsys.readouterr().out
    assert "BLAS" in table and "ours / numpy" in table
    payload = json.loads(out_json.read_text())
    assert payload["machine"]["numpy"] and len(payload["rows"]) == len(rows)
    page = out_md.read_text()
    assert page.startswith("# Performance") and "| workload |" in page and "## What each number means" in page
    assert page.count("\n| ") == len(rows) + 2  # header, alignment row, one line per row


def test_suite_page_from_saved_results_with_a_before_table(tmp_path, capsys):
    """`--from-json` redraws the page from saved results without measuring; `--baseline` adds an earlier run's
    table, judged against the current targets."""
    saved = tmp_path / "after.json"
    rows = _main("run.py")(["--smoke", "--threads", "0", "--only", "mlp_step", "logreg_gd", "--json", str(saved)])
    before = json.loads(saved.read_text())
    before["rows"][0]["ours"] *= 2  # an earlier, slower library
    before["rows"][0]["check"] = ["numpy", 99.0]  # an older target: replaced by this run's
    (tmp_path / "before.json").write_text(json.dumps(before))
    page = tmp_path / "performance.md"
    argv = ["--from-json", str(saved), "--baseline", str(tmp_path / "before.json"), "--baseline-label", "abc123"]
    redrawn = _main("run.py")([*argv, "--markdown", str(page)])

    assert [(r.workload, r.ours, r.target) for r in redrawn] == [(r.workload, r.ours, r.target) for r in rows]
    text = page.read_text()
    head, tail = text.split("### Before: abc123")
    assert head.count("\n| mlp_step |") == 1 and tail.count("\n| mlp_step |") == 1
    fmt = runpy.run_path(str(BENCHMARKS / "run.py"))["_fmt"]
    slower = next(line.split(" | ") for line in tail.splitlines() if line.startswith("| mlp_step |"))
    assert slower[3] == fmt(rows[0].ours * 2)  # the "ours" column of the earlier run
    assert slower[-1].startswith("<= 1.15x numpy (")  # judged by this run's target
    assert "== before: abc123" in capsys.readouterr().out


def test_overhead_times_every_phase_for_both_mlps(capsys):
    results = _main("overhead.py")(["--steps", "20"])
    assert len(results) == 2
    for r in results.values():
        assert {"zero_grad", "forward", "loss", "backward", "step", "numpy floor"} <= set(r)
        assert all(us > 0 for us in r.values())
        assert r["ours (sum of phases)"] == pytest.approx(
            sum(r[p] for p in ("zero_grad", "forward", "loss", "backward", "step"))
        )
    out = capsys.readouterr().out
    assert "tiny MLP 8-8-8-4, batch 4" in out and "ours - floor" in out


def test_ab_times_an_earlier_tree_against_this_one(capsys):
    """`ab.py <tree> ...`: the earlier library is imported beside this one; here the "earlier" tree is this one."""
    results = _main("ab.py")([str(BENCHMARKS.parent), "mlp32", "chain", "--scale", "0.002"])
    assert set(results) == {"mlp32", "chain"}
    assert all(set(m) == {"after", "before", "floor"} and min(m.values()) > 0 for m in results.values())
    assert "after / before" in capsys.readouterr().out


def test_hvp_cost_names_every_workload_with_finite_ratios(tmp_path, capsys):
    """`hvp_cost.py --quick`: a gradient, tg.hvp, a HessianOperator's build and product for every workload."""
    import math

    out_json = tmp_path / "hvp.json"
    results = _main("hvp_cost.py")(["--quick", "--threads", "0", "--json", str(out_json)])
    assert set(results) == {"mlp32", "mlp256", "moons", "logreg"}
    for r in results.values():
        assert min(r.gradient, r.hvp, r.build, r.product) > 0
        assert all(math.isfinite(x) and x > 0 for x in (r.hvp_ratio, r.build_ratio, r.product_ratio))
    out = capsys.readouterr().out
    for name in (
        "MLP 784-256-128-10, batch 32",
        "MLP 784-256-128-10, batch 256",
        "moons MLP 2-32-2",
        "logistic regression 20,000 x 100",
    ):
        (line,) = [line for line in out.splitlines() if line.startswith(name)]
        ratios = [float(x) for x in line.split()[-3:]]  # hvp/grad, build/grad, product/grad
        assert all(math.isfinite(x) and x > 0 for x in ratios)
    assert "hvp/grad" in out and "theory: reverse over reverse" in out and "2-4x" in out
    payload = json.loads(out_json.read_text())
    assert len(payload["rows"]) == 4 and payload["machine"]["numpy"]
    assert all(math.isfinite(row["hvp_ratio"]) for row in payload["rows"])


def test_conv_benchmark_times_every_layer_quickly(capsys):
    results = _main("conv.py")(["--quick", "--threads", "0", "--col2im"])
    assert len(results) == 5 and {label.split(" (")[0] for label in results} >= {"conv 1->6 5x5 on 28x28"}
    assert all(ms > 0 and (ref is None or ref > 0) for ms, ref in results.values())
    assert all((ref is not None) == ("torch" in sys.modules) for _, ref in results.values())
    out = capsys.readouterr().out
    assert "ratio" in out and "np.add.at" in out
