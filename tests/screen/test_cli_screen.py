"""``spepred screen``: exit codes, messages, printed summary, files."""

from __future__ import annotations

import pandas as pd
import pytest

from spepred.cli import main


@pytest.mark.slow
def test_screen_command_end_to_end(tmp_path, capsys, bundle):
    out = tmp_path / "out"
    code = main(
        ["screen", "--monomers", "C=CC(=O)OCCO", "[*]CCO[*]", "--crosslinkers", "PETEA", "none", "--fillers", "none",
         "SiO2:5", "--salts", "LiTFSI", "--temperature", "25", "60", "--require", "window>=4", "--output", str(out),
         "--workers", "1", "--model", str(bundle), "--top", "5", "--format", "csv", "-q"]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "2 monomers x 2 crosslinkers x 2 fillers x 1 salts x 2 temperature_C = 16 formulations" in text
    assert "meet window >= 4 V" in text and "Pareto front (σ, window, strength)" in text
    assert "σ (S/cm)" in text and "strength (MPa)" in text
    pred = pd.read_csv(out / "predictions.csv")
    assert len(pred) == 16 and {"pareto_front", "rank", "score", "status"} <= set(pred.columns)
    top = pd.read_csv(out / "top.csv")
    assert top["rank"].tolist() == [1, 2, 3, 4, 5]
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pd.read_csv(out / "pareto.csv")["pareto_front"].all()


def test_screen_spec_error_is_one_clear_message(tmp_path, capsys):
    spec = tmp_path / "lib.yaml"
    spec.write_text("monomers: ['C=CC(=O)OCCO']\ncrosslinkers: [PETA]\ntemperature_C: [-500]\n")
    code = main(["screen", "--spec", str(spec), "--output", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "lib.yaml: 2 problem(s)" in err
    assert "crosslinkers: unknown crosslinker 'PETA'; did you mean 'PETEA'?" in err
    assert "temperature_C: invalid value -500: expected temperature between -100 and 300 °C" in err
    assert "Traceback" not in err
    code = main(["screen", "--monomers", "C=CC(=O)OCCO", "--require", "window=>4", "--output", str(tmp_path / "o")])
    assert code == 2 and "invalid threshold 'window=>4'" in capsys.readouterr().err
