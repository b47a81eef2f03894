"""examples/cnn_digits.py, run in full (about 10 s here): the CNN reaches at least 97% test accuracy on the
digits, and the table it prints says so, next to the MLP and logistic regression."""

import re
import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cnn_digits.py"


def test_cnn_reaches_97_percent_and_prints_the_table(capsys):
    rows = runpy.run_path(str(EXAMPLE))["main"]()  # the defaults: 30 epochs, seed 0
    out = capsys.readouterr().out
    assert [row["model"] for row in rows] == ["logistic regression", "MLP 64-64-10", "CNN conv3x3(8)-pool-linear"]
    assert [row["params"] for row in rows] == [650, 4810, 8 * 9 + 8 + 128 * 10 + 10]
    printed = {
        m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^(.+?) +\d+ +(0\.\d{4}) +[\d.]+$", out, re.M)
    }
    assert printed == {row["model"]: round(row["accuracy"], 4) for row in rows}
    cnn = printed["CNN conv3x3(8)-pool-linear"]
    assert cnn >= 0.97
    assert cnn >= max(printed["MLP 64-64-10"], printed["logistic regression"])
    assert "1347 train / 450 test images" in out and "test accuracy" in out


def test_quick_flag_runs_three_epochs_that_already_learn(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["cnn_digits.py", "--quick"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "3 epochs" in out
    accuracies = [float(a) for a in re.findall(r" (0\.\d{4}) ", out)]
    assert len(accuracies) == 3 and min(accuracies) > 0.85  # chance is 0.1
