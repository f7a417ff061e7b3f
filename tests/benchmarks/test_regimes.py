"""benchmarks/regimes.py on a handful of synthetic rows: whole papers per fold (one DOI is
one paper across sources), Bradford only trains, the regime-mean baseline is the mean of
that regime's training rows, and every labelled row is scored once per property."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spepred.data.splits import paper_key
from tests.conftest import BENCHMARKS, benchmark_fixture, skip_unless_required

reg = benchmark_fixture("regimes", "reg")


def _table(reg) -> pd.DataFrame:
    # (source, group, regime, crosslinked, sigma, esw, strength)
    spec = [
        ("bradford2023", "bradford2023:P1", "dry_linear", False, -5.0, np.nan, np.nan),
        ("bradford2023", "bradford2023:P2", "dry_linear", False, -7.0, np.nan, np.nan),
        ("hatakeyama2022", "hatakeyama2022:10.1000/ABC", "gel", False, -3.0, np.nan, np.nan),
        ("literature", "literature:doi:10.1000/abc", "gel", True, -2.0, 4.5, 2.0),
        ("hatakeyama2022", "hatakeyama2022:no-reference", "dry_linear", False, -6.0, np.nan, np.nan),
        ("hatakeyama2022", "hatakeyama2022:no-reference", "gel", False, -4.0, np.nan, np.nan),
        ("literature", "literature:url:http://x", "dry_network", True, -5.5, 4.0, 10.0),
        ("literature", "literature:doi:10.2000/q", "composite", True, np.nan, 5.0, np.nan),
        ("pei2025_review", "pei2025:ref7", "dry_network", True, -4.5, np.nan, 100.0),
        ("pei2025_review", "pei2025:ref8", "gel", True, np.nan, np.nan, 0.0),  # strength 0: no log label
        ("literature", "literature:doi:10.3000/z", "gel", False, -3.5, np.nan, 1.0),
    ]
    t = pd.DataFrame(spec, columns=["source", "group", "regime", "crosslinked", "log10_sigma_S_cm", "esw_V", "strength_MPa"])
    t["t_li"] = np.nan  # the fourth property: labels of its own tested below
    t.loc[[3, 6], "t_li"] = [0.4, 0.6]
    t["record_id"] = [f"r{i}" for i in range(len(t))]
    t["paper"] = paper_key(t["group"]).to_numpy()
    return t


def _fake_fit_predict(calls):
    """A 'model' predicting the training mean of each label, recording what it trained on."""

    def fit_predict(train, test):
        calls.append((set(train["record_id"]), set(test["record_id"])))
        return pd.DataFrame(
            {
                "log10_sigma_S_cm_pred": train["log10_sigma_S_cm"].mean(),
                "log10_sigma_S_cm_lo": -9.0,
                "log10_sigma_S_cm_hi": 0.0,
                "esw_V_pred": 4.0,
                "strength_MPa_pred": 10.0,
            },
            index=range(len(test)),
        )

    return fit_predict


def test_one_doi_is_one_paper_across_sources(reg):
    t = _table(reg)
    assert t.loc[2, "paper"] == t.loc[3, "paper"] == "doi:10.1000/abc"
    assert t.loc[4, "paper"] == t.loc[5, "paper"] == "hatakeyama2022:no-reference"
    assert t.loc[6, "paper"] == "literature:url:http://x"


def test_papers_never_straddle_and_bradford_only_trains(reg):
    t = _table(reg)
    scored = reg.test_mask(t)
    assert not scored[t["source"] == "bradford2023"].any()
    assert not scored[9]  # a review row whose only label is a strength of 0
    fold = np.full(len(t), -1)
    fold[scored] = reg.make_folds(t["paper"].to_numpy()[scored], t["regime"].to_numpy()[scored], 3, 0)
    calls = []
    preds = reg.evaluate(t, fold, _fake_fit_predict(calls), None)
    for train_ids, test_ids in calls:
        assert not train_ids & test_ids
        train_papers = set(t.loc[t["record_id"].isin(train_ids), "paper"])
        test_papers = set(t.loc[t["record_id"].isin(test_ids), "paper"])
        assert not train_papers & test_papers
        assert {"r0", "r1"} <= train_ids  # Bradford trains in every fold
    # every labelled, scored row once per property it carries
    for key, label, _ in reg.PROPERTIES:
        y = reg.to_model_space(label, t[label])
        expected = set(t.loc[scored & np.isfinite(y), "record_id"])
        got = preds.loc[preds["property"] == key, "record_id"]
        assert got.is_unique and set(got) == expected


def test_regime_mean_is_the_mean_of_that_regimes_training_rows(reg):
    t = _table(reg)
    scored = reg.test_mask(t)
    fold = np.full(len(t), -1)
    # hold out the DOI paper 10.1000/abc (rows 2 and 3, gels) alone
    fold[scored] = 1
    fold[[2, 3]] = 0
    preds = reg.evaluate(t, fold, _fake_fit_predict([]), None)
    held = preds[(preds["fold"] == 0) & (preds["property"] == "sigma")]
    # gels training in fold 0: rows 5 (-4.0) and 10 (-3.5); rows 2, 3 are test rows
    np.testing.assert_allclose(held["regime_mean"], [-3.75, -3.75])
    dry_net = preds[(preds["fold"] == 1) & (preds["property"] == "sigma") & (preds["regime"] == "dry_network")]
    # dry networks training in fold 1: none of the sigma rows -> mean of all training sigma
    train_sigma = t.loc[fold != 1, "log10_sigma_S_cm"].dropna()
    np.testing.assert_allclose(dry_net["regime_mean"], train_sigma.mean())
    # strength in log10: the model space of the baseline
    means, _ = reg.regime_means(t.iloc[[6, 8]].assign(regime="dry_network"), "strength_MPa")
    assert means["dry_network"] == pytest.approx(1.5)


def test_summary_rows_and_coverage(reg):
    t = _table(reg)
    scored = reg.test_mask(t)
    fold = np.full(len(t), -1)
    fold[scored] = reg.make_folds(t["paper"].to_numpy()[scored], t["regime"].to_numpy()[scored], 3, 0)
    preds = reg.evaluate(t, fold, _fake_fit_predict([]), None)
    s = reg.summarize(preds).set_index(["property", "regime"])
    n_sigma = int(np.isfinite(t.loc[scored, "log10_sigma_S_cm"]).sum())
    assert s.loc[("sigma", "all"), "n"] == n_sigma
    assert s.loc[("sigma", "crosslinked"), "n"] + s.loc[("sigma", "not crosslinked"), "n"] == n_sigma
    assert s.loc[("sigma", "all"), "coverage_90"] == 1.0  # every value inside [-9, 0]
    assert s.loc[("sigma", "all"), "coverage 95% CI"] == "1.00–1.00"
    assert np.isnan(s.loc[("esw", "all"), "coverage_90"])  # no interval given: not counted as covered


def test_coverage_interval_resamples_papers_not_rows(reg):
    # two papers of 50 rows: one all inside, one all outside. Rows resampled would give a
    # narrow interval around 0.5; papers resampled give 0, 0.5 or 1
    inside = np.r_[np.ones(50), np.zeros(50)]
    papers = np.r_[np.full(50, "a"), np.full(50, "b")]
    lo, hi = reg.coverage_interval(inside, papers)
    assert lo == 0.0 and hi == 1.0
    # many small papers, 90 % inside: the interval holds 0.9 and is a few points wide
    rng = np.random.default_rng(1)
    inside = rng.random(400) < 0.9
    papers = np.repeat(np.arange(100), 4).astype(str)
    lo, hi = reg.coverage_interval(inside, papers)
    assert lo < inside.mean() < hi and 0.02 < hi - lo < 0.12
    assert np.isnan(reg.coverage_interval(np.ones(5), np.full(5, "a"))[0])


def test_the_shipped_baseline_is_the_bundle_of_the_start_of_the_issue(reg, tmp_path):
    import subprocess

    if subprocess.run(["git", "-C", str(BENCHMARKS), "cat-file", "-e", f"{reg.SHIPPED_REF}^{{commit}}"]).returncode:
        skip_unless_required(f"no git history with {reg.SHIPPED_REF} here")
    bundle = reg.extract_shipped(reg.SHIPPED_REF, tmp_path)
    assert (bundle / "bundle.json").exists() and (bundle / "model_sigma.ubj").exists()
    # that commit's bundle, whatever models/default holds now
    assert '"created_utc": "2026-12-01T22:14:11Z"' in (bundle / "bundle.json").read_text()


def test_an_unknown_shipped_ref_is_one_clear_message(reg, tmp_path):
    with pytest.raises(SystemExit, match=r"cannot read the shipped bundle models/default at nosuchref"):
        reg.extract_shipped("nosuchref", tmp_path)


def test_candidates_are_train_configs(reg):
    cfg = reg.candidate_config("default", cv_folds=2, targets=("sigma",))
    assert cfg.cv_folds == 2 and cfg.targets == ("sigma",)
    with pytest.raises(SystemExit, match="unknown candidate 'nope'"):
        reg.candidate_config("nope")
