"""Smoke tests of examples/linear_regression.py and examples/logistic_regression.py: small runs that must
print one line per epoch and reach a good final metric."""

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def epoch_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"epoch +\d+ ", line)]


def test_linear_regression_example_reaches_the_least_squares_fit(capsys):
    final = load("linear_regression").main(n_samples=60, n_features=2, epochs=40, seed=1)
    lines = epoch_lines(capsys.readouterr().out)
    assert len(lines) == 40 and all(" rmse " in line and " r2 " in line for line in lines)
    assert final["r2"] > 0.99
    assert final["rmse"] < 0.15  # the noise level is 0.1
    assert final["max_param_error_vs_lstsq"] < 1e-3


def test_logistic_regression_example_separates_the_blobs(capsys):
    final = load("logistic_regression").main(n_samples=80, epochs=15, seed=0)
    lines = epoch_lines(capsys.readouterr().out)
    assert len(lines) == 15 and all(" accuracy " in line and " log_loss " in line for line in lines)
    assert final["accuracy"] >= 0.97
    assert final["log_loss"] < 0.2
    assert final["f1"] >= 0.97


@pytest.mark.parametrize("name", ["linear_regression", "logistic_regression"])
def test_examples_log_every_n_epochs_and_the_last(name, capsys):
    load(name).main(n_samples=40, epochs=7, log_every=3)
    numbers = [int(line.split()[1]) for line in epoch_lines(capsys.readouterr().out)]
    assert numbers == [3, 6, 7]
