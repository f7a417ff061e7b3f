"""The regime table of a training: out-of-fold predictions per regime beside the regime mean
of the same folds, Bradford on a line of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.models.regime_table import regime_mean_oof, regime_metrics, regime_table, regime_text


class _Target:
    def __init__(self, cv: pd.DataFrame) -> None:
        self.cv_predictions = cv


def _cv() -> pd.DataFrame:
    # fold 0 tests the gel of paper A; fold 1 the gel of paper B and a network
    return pd.DataFrame(
        {
            "record_id": ["b1", "b2", "g1", "g2", "n1"],
            "source": ["bradford2023", "bradford2023", "hatakeyama2022", "literature", "literature"],
            "group": ["bradford2023:P1", "bradford2023:P2", "hatakeyama2022:10.1/A", "literature:doi:10.1/b",
                      "literature:url:x"],
            "regime": ["dry_linear", "dry_linear", "gel", "gel", "dry_network"],
            "crosslinked": [False, False, False, True, True],
            "fold": [1, 0, 0, 1, 1],
            "y_true": [-6.0, -7.0, -3.0, -2.0, -5.0],
            "y_pred": [-6.5, -6.0, -3.5, -3.0, -4.0],
            "y_lo": [-7.0, -6.5, -4.0, -2.5, -6.0],
            "y_hi": [-5.0, -5.5, -2.0, -2.2, -3.0],
        }
    )


def test_the_regime_mean_is_the_fold_training_mean_of_the_regime():
    base = regime_mean_oof(_cv())
    # g1 (fold 0): the only training gel is g2 (-2); g2 (fold 1): g1 (-3)
    assert base[2] == -2.0 and base[3] == -3.0
    # n1 (fold 1): no training network, so the fold's mean of training rows (b2, g1)
    assert base[4] == pytest.approx(-5.0)
    assert base[0] == -7.0  # b1: the training dry linear row b2


def test_the_table_reads_the_rows_outside_bradford_per_regime():
    table = regime_table({"sigma": _Target(_cv())})
    by = table.set_index("regime")
    assert by.loc["gel", "n"] == 2 and by.loc["gel", "papers"] == 2
    assert by.loc["gel", "MAE model"] == pytest.approx(0.75)  # |-3.5+3|, |-3+2|
    assert by.loc["gel", "MAE regime mean"] == pytest.approx(1.0)
    assert by.loc["gel", "model < mean"] == "yes"
    assert by.loc["gel", "coverage_90"] == pytest.approx(0.5)
    assert by.loc["dry_network", "bias model"] == pytest.approx(1.0)
    assert by.loc["all outside Bradford", "n"] == 3
    assert by.loc["bradford2023", "n"] == 2
    assert "dry_linear" not in by.index  # no dry linear row outside Bradford here
    metrics = regime_metrics(table)
    assert metrics["sigma_mae_gel"] == pytest.approx(0.75)
    assert metrics["sigma_n_all_outside_Bradford"] == 3
    assert "gel" in regime_text(table)


def test_targets_without_regimes_are_left_out():
    assert regime_table({"sigma": _Target(_cv().drop(columns="regime"))}).empty
    assert regime_text(regime_table({})) == ""
