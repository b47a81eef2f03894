"""examples/gd_vs_sgd.py, run small: its headline must hold. To reach the loss tolerance, SGD (batch 1) and
mini-batch SGD need far fewer gradient evaluations than full-batch GD, while GD ends closest to the least-squares
optimum and is the most stable across seeds."""

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gd_vs_sgd.py"


def test_sgd_and_mini_batches_reach_the_tolerance_with_far_fewer_gradient_evaluations(capsys, tmp_path):
    module = runpy.run_path(str(EXAMPLE))
    result = module["main"](n_samples=1000, tol_factor=1.5, out_dir=tmp_path / "pictures")  # 800 samples, 3 seeds
    out = capsys.readouterr().out
    gd, sgd, minibatch = result.summary
    assert [row["config"] for row in result.summary] == [
        "GD (full batch)",
        "SGD (batch 1)",
        "mini-batch SGD (batch 32)",
    ]
    assert [row["reached"] for row in result.summary] == ["3/3"] * 3
    # the headline: counted in samples seen, stochastic steps win by an order of magnitude
    assert sgd["grad_evals_to_tol"] == 800  # one epoch
    assert gd["grad_evals_to_tol"] >= 20 * sgd["grad_evals_to_tol"]
    assert gd["grad_evals_to_tol"] >= 5 * minibatch["grad_evals_to_tol"]
    # GD's steady descent: it ends at the least-squares loss, identically for every seed
    _, best_loss, _ = module["make_problem"](1000, 10, 0.5)
    assert gd["final_train_loss_mean"] == pytest.approx(best_loss, rel=1e-4)
    assert gd["final_train_loss_mean"] < min(sgd["final_train_loss_mean"], minibatch["final_train_loss_mean"])
    assert gd["stability"] < 1e-5 < min(sgd["stability"], minibatch["stability"])
    # what it printed: the table (title, header, rule, three rows) and the headline
    lines = out.splitlines()
    assert "3 seeds [0, 1, 2]" in lines[0] and "grad evals to tol" in lines[1]
    assert lines[3].startswith("GD (full batch)") and lines[4].startswith("SGD (batch 1)")
    assert "SGD (batch 1): 800 gradient evaluations to the tolerance" in out and "fewer than GD's" in out
    # with out_dir: the pictures, as PNG files
    for name in ("loss_curves", "convergence", "stability"):
        png = tmp_path / "pictures" / f"{name}.png"
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 10_000
        assert f"wrote {png}" in out
