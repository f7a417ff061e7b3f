"""Hostile molecules: refused at once with one clear reason, or featurized within a bounded
CPU time; a batch of them returns every row, each bad one with a status naming it.

Time is measured as CPU time of this process (``time.process_time``), not wall time, so a
busy machine cannot make these tests flaky. The bounds are ceilings against runaway inputs,
not speed targets (those live in ``benchmarks/hostile_inputs.py``): the worst accepted
molecule costs about 0.4 CPU-seconds, while without the ring cap a 500-ring ladder polymer
cost 7.6 CPU-seconds (65 s wall on the loaded machine) and would fail the ceiling.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from spepred.chem.resolve import resolve_crosslinkers, resolve_fillers, resolve_matrix, resolve_salt
from spepred.errors import SpepredError
from tests.reliability.hostile import ACCEPTED_CROSSLINKERS, ACCEPTED_WORST, REFUSED

#: CPU seconds one accepted molecule may cost, end to end (validation, features, domain).
MOLECULE_CPU_CEILING_S = 3.0
#: CPU seconds a refusal may cost (the caps run before RDKit sanitizes anything).
REFUSAL_CPU_CEILING_S = 0.5


@pytest.fixture(scope="module")
def predictor(tiny_trained):
    from spepred.api import load_predictor

    return load_predictor(tiny_trained[0].bundle_dir)


@pytest.mark.parametrize("name", REFUSED)
def test_refused_at_once_with_one_clear_line(name):
    smiles, reason = REFUSED[name]
    t0 = time.process_time()
    with pytest.raises(SpepredError, match=re.escape(reason)) as info:
        resolve_matrix(smiles)
    assert time.process_time() - t0 < REFUSAL_CPU_CEILING_S
    message = str(info.value)
    assert message.startswith("invalid monomer_smiles ")
    assert "\n" not in message and len(message) < 400  # the value is shortened, not echoed


@pytest.mark.parametrize("name", REFUSED)
def test_other_fields_refuse_the_same_input_quickly(name):
    smiles, _ = REFUSED[name]
    for resolver in (resolve_crosslinkers, resolve_fillers, resolve_salt):
        t0 = time.process_time()
        try:
            resolver(smiles)
        except SpepredError as err:
            assert "\n" not in str(err) and len(str(err)) < 600
        assert time.process_time() - t0 < REFUSAL_CPU_CEILING_S, resolver.__name__


def test_did_you_mean_on_a_huge_name_is_fast():
    """difflib is quadratic: a 100k-character 'crosslinker' once cost seconds per cell."""
    t0 = time.process_time()
    with pytest.raises(SpepredError, match="unknown crosslinker"):
        resolve_crosslinkers("PETEA" * 700)  # 3,500 characters: under the cell cap
    with pytest.raises(SpepredError, match="longer than 4000 characters"):
        resolve_crosslinkers("PETEA" * 20_000)
    assert time.process_time() - t0 < REFUSAL_CPU_CEILING_S


@pytest.mark.parametrize("name", ACCEPTED_WORST)
@pytest.mark.slow
def test_largest_accepted_matrix_molecules_cost_bounded_cpu(predictor, name):
    table = pd.DataFrame([{"monomer_smiles": ACCEPTED_WORST[name], "crosslinker": "PETEA"}])
    t0 = time.process_time()
    out = predictor.predict(table)
    assert time.process_time() - t0 < MOLECULE_CPU_CEILING_S
    assert out["status"].iloc[0] == "ok"
    assert np.isfinite(out["log10_sigma_S_cm_pred"].iloc[0])


@pytest.mark.parametrize("name", ACCEPTED_CROSSLINKERS)
def test_crosslinkers_with_many_reactive_groups_cost_bounded_cpu(predictor, name):
    table = pd.DataFrame([{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": ACCEPTED_CROSSLINKERS[name]}])
    t0 = time.process_time()
    out = predictor.predict(table)
    assert time.process_time() - t0 < MOLECULE_CPU_CEILING_S
    assert out["status"].iloc[0] == "ok"


def test_a_batch_of_hostile_rows_returns_every_row_with_a_status(predictor):
    rows = [{"monomer_smiles": s, "record_id": f"refused:{k}"} for k, (s, _) in REFUSED.items()]
    # an empty crosslinker or salt means none / the default; '.'-parts are one molecule there
    other = {k: s for k, (s, _) in REFUSED.items() if k not in ("empty", "whitespace", "too_many_components")}
    rows += [{"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": s, "record_id": f"xl:{k}"} for k, s in other.items()]
    rows += [{"monomer_smiles": "C=CC(=O)OCCO", "salt": s, "record_id": f"salt:{k}"} for k, s in other.items()]
    rows += [{"monomer_smiles": s, "record_id": f"ok:{k}"} for k, s in ACCEPTED_WORST.items()]
    table = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # shuffled, index kept
    out = predictor.predict(table)
    assert len(out) == len(table) and (out.index == table.index).all()
    assert (out["record_id"] == table["record_id"]).all()
    refused = out[~out["record_id"].str.startswith("ok:")]
    assert (refused["status"] != "ok").all()
    for _, row in refused.iterrows():
        column = {"refused": "monomer_smiles", "xl": "crosslinker", "salt": "salt"}[row["record_id"].split(":")[0]]
        assert row["status"].startswith(f"{column}: "), row["status"]
        assert np.isnan(row["log10_sigma_S_cm_pred"])
    assert (out.loc[out["record_id"].str.startswith("ok:"), "status"] == "ok").all()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("temperature_C", float("nan"), None),  # missing -> the 25 °C default
        ("temperature_C", float("inf"), "expected a finite number"),
        ("temperature_C", -float("inf"), "expected a finite number"),
        ("temperature_C", 1e308, "expected temperature between -100 and 300"),
        ("temperature_C", "1e999", "expected a finite number"),
        ("temperature_C", "hot", "expected a number"),
        ("temperature_C", "25\x00", "expected a number"),
        ("temperature_C", [25], "expected a number"),
        ("temperature_C", {"T": 25}, "expected a number"),
        ("temperature_C", b"25", None),
        ("temperature_C", True, None),
        ("filler_wt_pct", -1e-300, "expected filler loading between 0 and 100"),
        ("filler_wt_pct", 5, "a filler loading was given but no filler"),
        ("salt_molality_mol_kg", -0.0, None),
        ("salt_molality_mol_kg", 10**400, "expected"),
        ("mw_g_mol", 0, "expected polymer molecular weight between"),
        ("plasticized", "maybe", "expected true or false"),
        ("plasticized", float("nan"), None),
        ("crosslink_type", "x" * 10_000, "expected one of"),
        ("salt", 3.5, "unknown salt"),
        ("filler", ["SiO2"], "unknown filler"),
        ("crosslinker", 0, None),
    ],
)
def test_numbers_and_types_that_are_not_what_they_should_be(predictor, column, value, reason):
    table = pd.DataFrame([{"monomer_smiles": "C=CC(=O)OCCO", column: value}, {"monomer_smiles": "C=CC(=O)OCCO"}])
    out = predictor.predict(table)
    assert len(out) == 2 and out["status"].iloc[1] == "ok"
    status = out["status"].iloc[0]
    if reason is None:
        assert status == "ok" or status.startswith(f"{column}: "), status
    else:
        assert status.startswith(f"{column}: ") and reason in status, status
