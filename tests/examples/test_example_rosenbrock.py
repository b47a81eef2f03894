"""examples/optimizers_on_rosenbrock.py, run small: its headline (momentum beats plain GD on Rosenbrock) must hold."""

import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "optimizers_on_rosenbrock.py"


def test_momentum_methods_and_adam_reach_1e_6_before_gd(capsys):
    results = runpy.run_path(str(EXAMPLE))["main"](max_iters=3000, tol=1e-6)
    out = capsys.readouterr().out
    gd, heavy_ball, nesterov, adam = (results[name] for name in results)
    assert list(results) == [
        "GD (lr=1e-3)",
        "SGD+momentum (lr=5e-4, m=0.95)",
        "Nesterov (lr=5e-4, m=0.95)",
        "Adam (lr=2e-2)",
    ]
    # plain GD crawls along the valley: not within 3000 iterations (it needs ~15 700), still far from (1, 1)
    assert gd["iterations_to_tol"] is None and gd["final_error"] > 0.1
    assert "not within 3000" in out
    # momentum, Nesterov (~1400 iterations) and Adam (~2300) get there, and end close to the minimum
    for r in (heavy_ball, nesterov, adam):
        assert r["iterations_to_tol"] is not None and r["iterations_to_tol"] < 3000
        assert r["final_error"] < 1e-3
    assert heavy_ball["iterations_to_tol"] < adam["iterations_to_tol"]
    assert nesterov["iterations_to_tol"] < adam["iterations_to_tol"]
