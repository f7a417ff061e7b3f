"""Predictions of the shipped bundle, pinned bit for bit.

Every refactor below the bundle (validation, featurizer caches, the prediction path) must
leave what ``models/default`` predicts unchanged to the last bit: this test compares every
output column of a few formulations with the exact float reprs stored in
``tests/fixtures/pinned_predictions.json``.

The fixture belongs to one trained bundle. After retraining ``models/default`` (and only
then), refresh it with::

    python tests/models/test_pinned_predictions.py --regenerate

and commit the new fixture with the new bundle.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pinned_predictions.json"
REGENERATE = "python tests/models/test_pinned_predictions.py --regenerate"

#: name -> (rows of a formulation table) or {"curve": keywords of Predictor.sigma_curve}.
CASES: dict[str, dict] = {
    "peo_litfsi_dry_25C": {"rows": [
        {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFSI", "salt_molality_mol_kg": 1.0, "temperature_C": 25.0},
    ]},
    "peo_litfsi_dry_60C": {"rows": [
        {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFSI", "salt_molality_mol_kg": 1.0, "temperature_C": 60.0},
    ]},
    "hea_petea_litfsi": {"rows": [
        {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "crosslink_type": "small_molecule",
         "salt": "LiTFSI", "temperature_C": 25.0},
    ]},
    "peo_llzto_composite": {"rows": [
        {"monomer_smiles": "[*]CCO[*]", "salt": "LiTFSI", "filler": "LLZTO", "filler_wt_pct": 10.0,
         "temperature_C": 30.0},
    ]},
    "pegda_plasticized": {"rows": [
        {"monomer_smiles": "C=CC(=O)OCCOC", "crosslinker": "PEGDA", "salt": "LiFSI",
         "salt_molality_mol_kg": 1.2, "plasticized": True, "temperature_C": 25.0},
    ]},
    "hea_petea_sigma_curve": {"curve": {
        "temperatures": [-20.0, 0.0, 25.0, 40.0, 60.0, 80.0, 100.0],
        "smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI",
    }},
    "siloxane_fluorinated_out_of_domain": {"rows": [
        {"monomer_smiles": "[*][Si](C)(C)O[*]", "crosslinker": "C=CC(F)(F)C(F)(F)C=C", "salt": "LiPF6",
         "temperature_C": -20.0},
    ]},
    "mixed_batch_with_a_bad_row": {"rows": [
        {"monomer_smiles": "[*]CC([*])C#N", "salt": "LiTFSI", "salt_molality_mol_kg": 0.8, "temperature_C": 25.0},
        {"monomer_smiles": "C(C)(C)(C)(C)C", "salt": "LiTFSI", "temperature_C": 25.0},
        {"monomer_smiles": "[*]CCCCCC(=O)O[*]", "crosslinker": "HDI", "crosslink_type": "h_bond",
         "salt": "LiTFSI", "temperature_C": 50.0},
    ]},
}


def _predictor():
    from spepred.api import load_predictor, shipped_model_path

    return load_predictor(shipped_model_path())


def _encode(value: object) -> object:
    """A cell as an exact, JSON-safe token: floats as ``repr`` (round-trips bit for bit,
    NaN and infinities included), everything else as its plain Python value."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float):
        return {"float": repr(value)}
    return value


def predict_case(predictor, case: dict) -> dict[str, list]:
    """The output columns of one case, encoded (see :func:`_encode`)."""
    from spepred.models.predictor import OUTPUT_COLUMNS

    if "curve" in case:
        kwargs = dict(case["curve"])
        out = predictor.sigma_curve(kwargs.pop("temperatures"), **kwargs)
    else:
        out = predictor.predict(pd.DataFrame(case["rows"]))
    return {c: [_encode(v) for v in out[c].tolist()] for c in OUTPUT_COLUMNS}


def regenerate() -> None:
    predictor = _predictor()
    data = {
        "about": f"Predictions of the shipped bundle (tests/models/test_pinned_predictions.py); refresh with `{REGENERATE}`",
        "model_version": predictor.model_version,
        "cases": {name: predict_case(predictor, case) for name, case in CASES.items()},
    }
    # one line per output column: a diff of the fixture reads as a diff of predictions
    lines = ["{", f' "about": {json.dumps(data["about"])},', f' "model_version": {json.dumps(data["model_version"])},', ' "cases": {']
    for k, (name, columns) in enumerate(data["cases"].items()):
        lines.append(f"  {json.dumps(name)}: {{")
        cols = [f"   {json.dumps(c)}: {json.dumps(v)}" for c, v in columns.items()]
        lines.append(",\n".join(cols))
        lines.append("  }" + ("," if k < len(data["cases"]) - 1 else ""))
    lines += [" }", "}"]
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == data
    FIXTURE.write_text(text, encoding="utf-8")
    print(f"wrote {FIXTURE} ({len(CASES)} cases, model {predictor.model_version})")


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def predictor():
    return _predictor()


def test_fixture_matches_the_shipped_bundle(pinned, predictor):
    assert pinned["model_version"] == predictor.model_version, (
        f"the shipped bundle is {predictor.model_version}, the fixture pins {pinned['model_version']}: "
        f"after retraining, refresh it with `{REGENERATE}`"
    )
    assert set(pinned["cases"]) == set(CASES), f"cases changed: run `{REGENERATE}`"


@pytest.mark.parametrize("name", list(CASES))
def test_predictions_are_bit_identical(name, pinned, predictor):
    if pinned["model_version"] != predictor.model_version:
        pytest.fail(f"fixture is for {pinned['model_version']}, bundle is {predictor.model_version}: `{REGENERATE}`")
    expected = pinned["cases"][name]
    got = predict_case(predictor, CASES[name])
    missing = [c for c in expected if c not in got]
    assert not missing, f"output columns gone: {missing}"
    diffs = [
        f"{c}[{i}]: pinned {e!r}, now {g!r}"
        for c in expected
        for i, (e, g) in enumerate(zip(expected[c], got[c], strict=True))
        if e != g
    ]
    assert not diffs, "predictions changed:\n" + "\n".join(diffs)


def test_encoding_can_tell_one_ulp():
    """The comparison is exact: one unit in the last place is a difference."""
    x = 0.1 + 0.2
    assert _encode(x) != _encode(math.nextafter(x, 1.0))
    assert _encode(float("nan")) == _encode(float("nan"))


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(f"usage: {REGENERATE}")
    regenerate()
