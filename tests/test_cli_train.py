"""`spepred train` through main(): a user's table, bad rows, the printed CV table."""

from __future__ import annotations

import pandas as pd
import pytest

from spepred.cli import main
from tests.conftest import FIXTURES

TINY = FIXTURES / "tiny_train.csv"


@pytest.mark.slow
def test_train_on_a_users_table(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(
        ["train", "--data", str(TINY), "--model-dir", "my_model", "--cv-folds", "3", "-q", "--run-name", "lab-2026"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "mean baseline" in out and "log10_sigma_S_cm" in out
    assert "stages:" in out and "MLflow run" in out
    assert (tmp_path / "mlflow.db").exists()  # default store: SQLite in the working directory
    assert (tmp_path / "my_model" / "manifest.json").exists()
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("spepred").experiment_id])
    assert [r.info.run_name for r in runs] == ["lab-2026"]
    # the regime table: printed, logged as a table and as metrics
    assert "Per regime" in out and "MAE regime mean" in out
    assert "sigma_mae_dry_linear" in runs[0].data.metrics
    assert "regime_table.json" in {a.path for a in client.list_artifacts(runs[0].info.run_id)}


def test_train_with_bad_rows_lists_them_all_and_exits_2(tmp_path, capsys):
    table = pd.read_csv(TINY, dtype=str)
    table.loc[0, "monomer_smiles"] = "C1CC"
    table.loc[5, "temperature_C"] = "-400"
    bad = tmp_path / "bad.csv"
    table.to_csv(bad, index=False)
    code = main(["train", "--data", str(bad), "--model-dir", str(tmp_path / "m"), "--no-track"])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv row 1: column 'monomer_smiles'" in err
    assert "bad.csv row 6: column 'temperature_C'" in err
    assert "Traceback" not in err


def test_unknown_target_is_a_clear_error(tmp_path, capsys):
    code = main(["train", "--data", str(TINY), "--targets", "colour", "--no-track", "--model-dir", str(tmp_path / "m")])
    assert code == 2
    assert "unknown target" in capsys.readouterr().err
