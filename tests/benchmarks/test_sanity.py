"""benchmarks/sanity.py: every literature value it prints comes from a curated row whose
quote holds the number, and a reference without one says so."""

from __future__ import annotations

import math

from tests.conftest import benchmark_fixture

sanity = benchmark_fixture("sanity", "sanity")


def test_every_cited_value_comes_from_its_quote(sanity):
    lit, review, linear = sanity.load_curated()
    for ref in sanity.REFERENCES:
        got = sanity.curated(ref, lit, review, linear)
        if ref.cite is None:
            assert got["shown"] == "no curated value" and math.isnan(got["value"])
            continue
        assert math.isfinite(got["value"]), ref
        assert got["source"] and got["quote"].startswith('"'), ref
        if ref.cite[0] != "linear":
            assert ref.cite[2] in got["quote"], ref


def test_quote_picks_the_fragment_with_the_number(sanity):
    q = sanity._quote("strong film (6.5 MPa) [...] conductivity of 1.63 x 10-3 S/cm", "1.63")
    assert q == '"conductivity of 1.63 x 10-3 S/cm"'
