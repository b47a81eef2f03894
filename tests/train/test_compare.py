"""compare: every configuration on the same problem and seeds; tidy records and a summary derived from them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from train_helpers import F, regression

import tinygrad_edu as tg
from tinygrad_edu.train import Comparison, Config, Problem, compare

TIMING = {"wall_time", "time_to_tol"}


def problem(n: int = 100, seed: int = 0) -> Problem:
    X, y, _ = regression(n=n + 20, seed=seed)
    X, Xv, y, yv = tg.data.train_test_split(X, y, test_size=20, seed=seed)
    return Problem(
        model=lambda: tg.nn.Linear(3, 1, dtype=np.float64),
        loss_fn=F.mse_loss,
        X=X,
        y=y,
        val_data=(Xv, yv),
        metrics=["r2_score"],
        name="linear regression",
    )


CONFIGS = [
    Config("GD", lambda p: tg.optim.GD(p, lr=0.1), batch_size=None, epochs=30),
    Config("SGD, batch 10", lambda p: tg.optim.SGD(p, lr=0.05), batch_size=10, epochs=5),
]


@pytest.fixture(scope="module")
def result() -> Comparison:
    return compare(CONFIGS, problem(), seeds=(0, 1, 2), tol=0.05, record_params=True)


def test_histories_per_configuration_and_seed(result):
    assert result.configs == ["GD", "SGD, batch 10"] and result.seeds == (0, 1, 2)
    for name in result.configs:
        hs = result[name]
        assert [h.info["seed"] for h in hs] == [0, 1, 2] and {h.info["config"] for h in hs} == {name}
        assert [h.name for h in hs] == [f"{name}, seed {s}" for s in (0, 1, 2)]
    assert result["GD"][0].n_iterations == 30 and result["SGD, batch 10"][0].n_iterations == 50
    assert result["SGD, batch 10"][0].train_loss_mode == "full"  # a fair objective for every configuration


def test_every_configuration_starts_from_the_same_parameters_for_a_seed(result):
    for seed in range(3):
        gd0 = result["GD"][seed].params["weight"][0]
        np.testing.assert_array_equal(gd0, result["SGD, batch 10"][seed].params["weight"][0])
    assert not np.array_equal(result["GD"][0].params["weight"][0], result["GD"][1].params["weight"][0])


def test_records_are_read_off_the_histories(result):
    assert len(result.records) == 6
    for row in result.records:
        h = result[row["config"]][row["seed"]]
        m = h.first_reaching(0.05)
        assert row["final_train_loss"] == h.train_loss[-1] and row["final_val_loss"] == h.val_loss[-1]
        assert row["final_val_r2_score"] == h.metrics["val_r2_score"][-1]
        assert (row["epochs"], row["iterations"], row["grad_evals"]) == (h.n_epochs, h.n_iterations, h.grad_evals[-1])
        assert row["reached"] and row["grad_evals_to_tol"] == m.grad_evals and row["epochs_to_tol"] == m.epoch
        assert row["stop"] == "max_epochs"
        last = np.array(h.last_epoch_losses())
        assert row["last_epoch_loss"] == pytest.approx(last.mean()) and row["last_epoch_loss_std"] == pytest.approx(
            last.std()
        )


def test_summary_is_mean_and_std_over_seeds(result):
    by_name = {row["config"]: row for row in result.summary}
    for name, row in by_name.items():
        rows = [r for r in result.records if r["config"] == name]
        finals = [r["final_train_loss"] for r in rows]
        assert row["final_train_loss_mean"] == pytest.approx(np.mean(finals))
        assert row["final_train_loss_std"] == pytest.approx(np.std(finals, ddof=1))
        assert row["grad_evals_to_tol"] == pytest.approx(np.mean([r["grad_evals_to_tol"] for r in rows]))
        assert row["stability"] == pytest.approx(np.std([r["last_epoch_loss"] for r in rows], ddof=1))
        assert row["reached"] == "3/3" and row["stop_reasons"] == {"max_epochs": 3} and row["runs"] == 3
    assert by_name["GD"]["noise"] == 0.0  # one batch per epoch: nothing fluctuates within it
    assert by_name["SGD, batch 10"]["noise"] > 0.0
    # the headline of batch vs mini-batch: fewer samples seen to reach the tolerance
    assert by_name["SGD, batch 10"]["grad_evals_to_tol"] < by_name["GD"]["grad_evals_to_tol"]


def test_print_summary_renders_a_table(result, capsys):
    result.print_summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "linear regression: 3 seeds [0, 1, 2]; mean ± std over seeds; tol: train_loss <= 0.05"
    header = out[1].split("  ")
    assert header[0].strip() == "config" and "val_r2_score" in out[1] and "grad evals to tol" in out[1]
    assert set(out[2]) <= {"-", " "}
    assert out[3].startswith("GD ") and out[4].startswith("SGD, batch 10") and "max_epochs x3" in out[3]
    assert " ± " in out[3] and "3/3" in out[4]
    assert result.format_summary() == "\n".join(out)


def test_compare_is_reproducible_and_serialisable(result):
    again = compare(CONFIGS, problem(), seeds=(0, 1, 2), tol=0.05)
    strip = [{k: v for k, v in r.items() if k not in TIMING} for r in result.records]
    assert strip == [{k: v for k, v in r.items() if k not in TIMING} for r in again.records]
    d = json.loads(result.to_json())
    assert d["configs"] == result.configs and len(d["histories"]["GD"]) == 3
    assert tg.train.History.from_dict(d["histories"]["GD"][0]).loss == result["GD"][0].loss


def test_to_dataframe(result):
    pytest.importorskip("pandas")
    assert len(result.to_dataframe()) == 6 and len(result.to_dataframe("summary")) == 2
    with pytest.raises(ValueError, match="which must be 'records' or 'summary'"):
        result.to_dataframe("runs")


def test_dict_configs_problem_factories_and_no_tolerance():
    configs = {"mini-batch 25": {"optimizer": lambda p: tg.optim.SGD(p, lr=0.05), "batch_size": 25, "epochs": 2}}
    res = compare(configs, lambda seed: problem(n=50, seed=seed), seeds=(3, 4))
    assert res.configs == ["mini-batch 25"] and "reached" not in res.summary[0]
    assert not np.array_equal(res["mini-batch 25"][0].loss, res["mini-batch 25"][1].loss)
    assert "grad evals to tol" not in res.format_summary()


@pytest.mark.parametrize(
    ("configs", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "needs at least one Config"),
        ([CONFIGS[0], CONFIGS[0]], {}, ValueError, "configuration names must be unique"),
        (["GD"], {}, TypeError, "configs must be tg.train.Config objects"),
        (CONFIGS, {"seeds": ()}, ValueError, "needs at least one seed"),
        (CONFIGS, {"problem": lambda seed: 3}, TypeError, "problem must be a tg.train.Problem"),
        (CONFIGS, {"tol": 0.1, "monitor": "val_accuracy"}, ValueError, "monitor='val_accuracy' is not recorded"),
    ],
)
def test_compare_errors(configs, kwargs, error, match):
    kwargs.setdefault("problem", problem())
    with pytest.raises(error, match=match):
        compare(configs, **kwargs)
