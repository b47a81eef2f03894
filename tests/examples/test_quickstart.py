"""The README's first command runs examples/quickstart.py: it must print its checks and they must hold."""

import runpy
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


def test_quickstart_gradients_match_hand_derived_and_gradcheck(capsys):
    result = runpy.run_path(str(EXAMPLE))["main"]()
    out = capsys.readouterr().out
    assert "matches the hand-derived formulas: True" in out
    assert "gradcheck (finite differences): True" in out
    np.testing.assert_allclose(result["x_grad"], result["by_hand_x"], rtol=1e-6)
    np.testing.assert_allclose(result["w_grad"], result["by_hand_w"], rtol=1e-6)
