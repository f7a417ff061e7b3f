"""Mondrian split-conformal intervals conditioned on domain similarity."""

from __future__ import annotations

import numpy as np

from spepred.models.intervals import binned_quantiles, conformal_quantile, interval, similarity_bin


def test_similarity_bins():
    sim = np.array([1.0, 0.999, 0.99, 0.6, 0.59, 0.0, np.nan])
    assert similarity_bin(sim).tolist() == [0, 0, 1, 1, 2, 2, 2]


def test_each_bin_gets_its_own_quantile_and_small_bins_fall_back():
    rng = np.random.default_rng(0)
    seen = np.abs(rng.normal(0, 0.3, 2000))
    unseen = np.abs(rng.normal(0, 1.5, 2000))
    res = np.concatenate([seen, unseen, [9.0] * 10])
    sim = np.concatenate([np.ones(2000), np.full(2000, 0.3), np.full(10, 0.8)])
    q = binned_quantiles(res, sim, 0.1)
    assert q["n"] == [2000, 10, 2000]
    assert q["q"][0] == conformal_quantile(seen, 0.1)
    assert q["q"][2] == conformal_quantile(unseen, 0.1)
    assert q["q"][1] == q["q_all"]  # 10 residuals are too few for a bin of their own
    assert q["q"][0] < q["q_all"] < q["q"][2]


def test_interval_uses_the_bin_of_each_query_and_stays_in_label_range():
    q = {"edges": [0.999, 0.6], "q": [0.5, 1.0, 2.0], "n": [100, 100, 100], "q_all": 1.0}
    z = np.array([0.0, 0.0, 0.0, 9.5])
    lo, hi = interval(z, np.array([1.0, 0.7, 0.1, 1.0]), q, 1.0, (-5.0, 10.0))
    assert lo.tolist() == [-0.5, -1.0, -2.0, 9.0]
    assert hi.tolist() == [0.5, 1.0, 2.0, 10.0]  # clipped at the highest training label
    lo1, hi1 = interval(z, None, None, 1.5, (-5.0, 10.0))  # bundles with one width only
    assert lo1.tolist() == [-1.5, -1.5, -1.5, 8.0]


def test_coverage_is_near_nominal_per_bin_on_fresh_draws():
    rng = np.random.default_rng(1)
    cal = np.concatenate([np.abs(rng.normal(0, 0.3, 3000)), np.abs(rng.normal(0, 1.5, 3000))])
    sim = np.concatenate([np.ones(3000), np.zeros(3000)])
    q = binned_quantiles(cal, sim, 0.1)
    for s, scale in ((1.0, 0.3), (0.0, 1.5)):
        err = rng.normal(0, scale, 5000)
        lo, hi = interval(np.zeros(5000), np.full(5000, s), q, q["q_all"], (-100, 100))
        cover = np.mean((err >= lo) & (err <= hi))
        assert 0.87 < cover < 0.93


def test_crosslinked_queries_get_at_least_the_crosslinked_quantile():
    rng = np.random.default_rng(2)
    res = np.concatenate([np.abs(rng.normal(0, 0.3, 1000)), np.abs(rng.normal(0, 1.0, 40))])
    xl = np.concatenate([np.zeros(1000, bool), np.ones(40, bool)])
    q = binned_quantiles(res, np.ones(1040), 0.1, crosslinked=xl)
    assert q["n_crosslinked"] == 40 and q["q_crosslinked"] == conformal_quantile(res[xl], 0.1)
    lo, hi = interval(np.zeros(2), np.ones(2), q, q["q_all"], (-9, 9), crosslinked=np.array([False, True]))
    assert hi[0] == q["q"][0] < hi[1] == q["q_crosslinked"]
    few = binned_quantiles(res[:1010], np.ones(1010), 0.1, crosslinked=np.r_[np.zeros(1000, bool), np.ones(10, bool)])
    assert few["n_crosslinked"] == 10 and "q_crosslinked" not in few


def test_each_regime_with_enough_residuals_gets_its_own_width():
    """A gel gets the width gels earn: regimes are calibrated apart, a small regime falls
    back to the pooled bins, and a thin similarity bin of a regime is the regime's level
    scaled by the pooled ratio of that bin."""
    rng = np.random.default_rng(2)
    dry = np.abs(rng.normal(0, 0.3, 600))
    gel = np.abs(rng.normal(0, 1.2, 600))
    few = np.abs(rng.normal(0, 5.0, 10))
    res = np.concatenate([dry, gel, few])
    reg = np.array(["dry_linear"] * 600 + ["gel"] * 600 + ["composite"] * 10, dtype=object)
    sim = np.concatenate([np.ones(600), np.r_[np.ones(560), np.full(40, 0.3)], np.ones(10)])
    q = binned_quantiles(res, sim, 0.1, regimes=reg)
    assert set(q["regimes"]) == {"dry_linear", "gel"}  # 10 composite residuals: pooled
    g = q["regimes"]["gel"]
    assert g["n"] == 600 and g["q_all"] == conformal_quantile(gel, 0.1)
    assert g["q"][0] == conformal_quantile(gel[:560], 0.1)  # its own bin: 560 residuals
    assert g["q"][2] == g["q_all"] * q["q"][2] / q["q_all"]  # 40 residuals: scaled
    assert q["regimes"]["dry_linear"]["q"][0] == conformal_quantile(dry, 0.1)
    z = np.zeros(4)
    lo, hi = interval(z, np.ones(4), q, q["q_all"], (-50.0, 50.0),
                      regimes=np.array(["dry_linear", "gel", "composite", "dry_network"], dtype=object))
    assert hi[0] == q["regimes"]["dry_linear"]["q"][0] < q["q"][0] < hi[1] == g["q"][0]
    assert hi[2] == hi[3] == q["q"][0]  # no regime bins of their own: the pooled ones
    # bundles from before regimes, and queries without regimes: unchanged widths
    lo0, hi0 = interval(z, np.ones(4), {k: v for k, v in q.items() if k != "regimes"}, q["q_all"], (-50.0, 50.0))
    assert (hi0 == q["q"][0]).all()
    assert (interval(z, np.ones(4), q, q["q_all"], (-50.0, 50.0))[1] == hi0).all()


def test_per_regime_widths_cover_each_regime_on_fresh_draws():
    rng = np.random.default_rng(3)
    scale = {"dry_linear": 0.3, "gel": 1.5}

    def draw(n):
        reg = rng.choice(list(scale), n)
        return np.abs(rng.normal(0, [scale[r] for r in reg])), reg.astype(object)

    res, reg = draw(4000)
    q = binned_quantiles(res, np.ones(len(res)), 0.1, regimes=reg)
    fresh, freg = draw(4000)
    lo, hi = interval(np.zeros(len(fresh)), np.ones(len(fresh)), q, q["q_all"], (-99.0, 99.0), regimes=freg)
    for r in scale:
        inside = np.mean(fresh[freg == r] <= hi[freg == r])
        assert 0.87 <= inside <= 0.93, (r, inside)
    pooled = np.mean(fresh[freg == "gel"] <= q["q_all"])  # one width for all under-covers gels
    assert pooled < 0.85
