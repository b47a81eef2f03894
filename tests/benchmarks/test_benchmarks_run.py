"""The benchmark scripts keep working: each runs on tiny sizes and prints its table.

Speed itself is never asserted in tests (timings on shared machines are noise); this only checks that
every implementation in a benchmark ran and produced a positive figure.
"""

import runpy
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _main(script: str):
    return runpy.run_path(str(BENCHMARKS / script), run_name="benchmark_under_test")["main"]


def test_op_overhead_runs_every_implementation(capsys):
    results = _main("op_overhead.py")(["--ops", "40", "--repeats", "2"])
    assert {"numpy forward only", "numpy forward + hand backward", "tinygrad_edu forward + backward"} <= set(results)
    assert all(us > 0 for us in results.values())
    assert "us/op" in capsys.readouterr().out


@pytest.mark.parametrize("params", [1000])
def test_optim_step_runs_every_optimiser(params, capsys):
    results = _main("optim_step.py")(["--params", str(params), "--tensors", "2", "--repeats", "2"])
    assert len(results) >= 6
    assert all(ours > 0 and floor > 0 for ours, floor in results.values())
    assert "ratio" in capsys.readouterr().out


def test_train_loop_runs_fit_library_loop_and_numpy_floor(capsys):
    results = _main("train_loop.py")(["--samples", "256", "--batch-sizes", "32", "--repeats", "1"])
    assert set(results) == {32}
    assert all(seconds > 0 for seconds in results[32])
    assert "fit/floor" in capsys.readouterr().out
