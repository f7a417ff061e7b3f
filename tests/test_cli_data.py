"""CLI: data build and featurize, through the real main()."""

import pandas as pd
import pytest

from spepred.cli import main
from tests.conftest import FIXTURES, needs_mirror


def test_help_lists_commands(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "data" in out and "featurize" in out


@needs_mirror
@pytest.mark.slow
def test_data_build_prints_a_card(mirror, tmp_path, capsys):
    out = tmp_path / "formulations.parquet"
    assert main(["data", "build", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "bradford2023" in text and "data hash" in text
    assert len(pd.read_parquet(out)) > 17000


def test_data_build_offline_says_what_is_missing(no_mirror, tmp_path, capsys):
    out = tmp_path / "f.parquet"
    assert main(["data", "build", "--offline", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "MISSING bradford2023" in text
    # what ships with the package builds offline: the review's records and the literature corpus
    assert set(pd.read_parquet(out)["source"]) == {"pei2025_review", "literature"}


def test_data_build_without_output_writes_nothing(no_mirror, tmp_path, monkeypatch, capsys):
    """`data build` prints the card; the table is written only where --output says (train
    never read data/processed/formulations.parquet: it builds the table itself)."""
    monkeypatch.chdir(tmp_path)
    assert main(["data", "build", "--offline"]) == 0
    text = capsys.readouterr().out
    assert "data hash" in text and "wrote" not in text
    assert list(tmp_path.iterdir()) == []


def test_featurize_accounts_for_every_row(tmp_path, capsys):
    out = tmp_path / "features.parquet"
    assert main(["featurize", "--input", str(FIXTURES / "formulations_bad_rows.csv"), "--output", str(out), "-q"]) == 0
    feats = pd.read_parquet(out)
    errors = pd.read_csv(tmp_path / "features.errors.csv")
    n_input = len(pd.read_csv(FIXTURES / "formulations_bad_rows.csv"))
    assert set(feats["row"]) | set(errors["row"]) == set(range(1, n_input + 1))
    assert not set(feats["row"]) & set(errors["row"])
    assert "PETA" in set(errors["value"].astype(str))


def test_featurize_missing_file_is_exit_2(tmp_path, capsys):
    assert main(["featurize", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "f.parquet")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "Traceback" not in err
