"""One canonical form per periodic polymer, and everything keyed by it agrees.

Issue 19: at 60 °C the shipped bundle predicted log σ -3.99 for [*]CCO[*], -3.91 for
[*]CCOCCO[*] and -4.06 for [*]COC[*], three spellings of PEO.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem

from spepred.chem.mol import parse_smiles
from spepred.chem.polymer import canonical_polymer_smiles, canonical_repeat_unit
from spepred.chem.resolve import matrix_key, resolve_matrix

PEO = ("[*]CCO[*]", "[*]CCOCCO[*]", "[*]COC[*]", "[*]OCC[*]", "[Cu]CCO[Au]", "*OCCOCCOCC*")


def canon(smiles: str) -> str:
    return Chem.MolToSmiles(canonical_repeat_unit(parse_smiles(smiles)))


def test_peo_spellings_are_one_polymer():
    assert {canon(s) for s in PEO} == {"*COC*"}
    assert {matrix_key(s) for s in PEO} == {"*COC*"}


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (("[*]C[*]", "[*]CC[*]", "[*]CCCC[*]"), "*C*"),  # polyethylene
        (("[*]CC([*])C", "[*]CC(CC([*])C)C", "CC([*])C[*]"), "*CC(*)C"),  # polypropylene
        (("[*]C(F)(F)[*]", "FC(F)([*])[*]"), "*C(*)(F)F"),  # one backbone atom
        (("[*]c1ccc([*])cc1", "[*]c1ccc(-c2ccc([*])cc2)cc1"), "*c1ccc(*)cc1"),
        # PCL as Bradford writes it twice (86 and 28 rows)
        (("*CCCCCC(=O)O*", "*CCCCCOC(*)=O"), canon("*CCCCCC(=O)O*")),
        (("*CCN(*)C", "*CN(C)C*"), canon("*CCN(*)C")),
    ],
)
def test_rotations_and_repetitions(spellings, expected):
    assert {canon(s) for s in spellings} == {expected}


def test_head_to_head_is_not_halved():
    # *CCOOCC* reads C-C-O-O-C-C: two CCO units head to head, not (CCO)2 = CCOCCO
    assert canon("[*]CCOOCC[*]") != canon("[*]CCO[*]")
    assert canon("[*]CCOOCC[*]") == canon("[*]OOCCCC[*]")


def cyclic(smiles: str, n: int = 3) -> str:
    """n copies of a unit zipped head to tail into a ring: the same ring for every frame of
    the same chain (molzip keeps stereo across the joins)."""
    copies = []
    for i in range(n):
        rw = Chem.RWMol(Chem.MolFromSmiles(smiles))
        head, tail = (a for a in rw.GetAtoms() if a.GetAtomicNum() == 0)
        head.SetAtomMapNum(i + 1)
        tail.SetAtomMapNum((i + 1) % n + 1)
        copies.append(rw)
    combined = copies[0]
    for c in copies[1:]:
        combined = Chem.CombineMols(combined, c)
    return Chem.MolToSmiles(Chem.molzip(combined))


def test_stereo_survives_the_new_frame():
    cellulose = "OC[C@H]1O[C@@H]([*])[C@H](O)[C@@H](O)[C@@H]1O[*]"
    out = canon(cellulose)
    centers = Chem.FindMolChiralCenters
    assert len(centers(Chem.MolFromSmiles(out))) == len(centers(Chem.MolFromSmiles(cellulose))) == 5
    assert cyclic(out) == cyclic(cellulose)  # the same chain, stereo included
    assert canon(out) == out
    # the enantiomeric unit stays a different polymer
    mirror = cellulose.replace("@@", "§").replace("@", "@@").replace("§", "@")
    assert canon(mirror) != out


@pytest.mark.parametrize(
    "smiles",
    ["CCO", "C=CC(=O)OCCO", "[Li+].[N-](S(=O)(=O)C(F)(F)F)S(=O)(=O)C(F)(F)F",
     "[*]CC([*])C(=O)OCCO", "[*]C(C)C(C[*])[*]", "[*]=CC=[*]"],
)
def test_non_chains_and_canonical_units_are_left_alone(smiles):
    mol = parse_smiles(smiles)
    assert Chem.MolToSmiles(canonical_repeat_unit(mol)) == Chem.MolToSmiles(mol)


def test_blends_are_canonical_per_component():
    assert canonical_polymer_smiles(parse_smiles("[*]CCO[*].[*]CC([*])C#N")) == canonical_polymer_smiles(
        parse_smiles("N#CC([*])C[*].[*]OCC[*]")
    )


# --- Hypothesis: any rotation or repetition, identical features and prediction ----------

# Backbone segments, each bonded to the next by a single bond; a chain is a cyclic word of
# them, so shifting the word is a rotation of the chain and repeating it a repetition.
SEGMENTS = ("C", "C(C)", "O", "C(=O)", "N", "N(C)", "c1ccc(cc1)", "C(F)(F)", "[Si](C)(C)", "S",
            "C(C#N)", "C(OCCO)", "C1CCC(CC1)")

words = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6)


def unit(word: list[str]) -> str:
    return "[*]" + "".join(word) + "[*]"


@lru_cache(maxsize=1)
def _predictor():
    import spepred

    return spepred.load_predictor()


def _features(smiles: list[str]) -> np.ndarray:
    p = _predictor()
    table = pd.DataFrame({"monomer_smiles": smiles, "crosslinker": "PETEA", "salt": "LiTFSI",
                          "temperature_C": 60.0})
    from spepred.data.schema import validate_formulations

    normalized, errors = validate_formulations(table)
    assert not errors
    return p.bundle.featurizer.transform(normalized).features


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=words, shift=st.integers(0, 5), times=st.integers(1, 3))
@pytest.mark.slow
def test_any_frame_gives_one_feature_vector_and_one_prediction(word, shift, times):
    shift %= len(word)
    rotated = word[shift:] + word[:shift]
    spellings = [unit(word), unit(rotated * times), unit(list(reversed(word)))]
    assert len({canon(s) for s in spellings}) == 1
    p = _predictor()
    out = p.predict(pd.DataFrame({"monomer_smiles": spellings, "crosslinker": "PETEA",
                                  "salt": "LiTFSI", "temperature_C": 60.0}))
    assert (out["status"] == "ok").all(), out["status"].tolist()
    for col in ("log10_sigma_S_cm_pred", "esw_V_pred", "strength_MPa_pred", "domain_similarity"):
        values = out[col].to_numpy()
        assert np.array_equal(values, values[:1].repeat(len(values)), equal_nan=True), (col, values)
    X = _features(spellings)
    assert np.array_equal(X[0], X[1], equal_nan=True)
    assert np.array_equal(X[0], X[2], equal_nan=True)


def test_issue_peo_spellings_predict_alike_with_the_shipped_bundle():
    out = _predictor().predict(pd.DataFrame({"monomer_smiles": list(PEO), "temperature_C": 60.0}))
    assert out["log10_sigma_S_cm_pred"].nunique() == 1
    assert out["domain_similarity"].nunique() == 1


def test_resolve_matrix_gives_the_canonical_component():
    assert [c.smiles for c in resolve_matrix("[*]CCOCCO[*].[*]OCC[*]")] == ["*COC*", "*COC*"]


# --- everything keyed by a polymer --------------------------------------------------------


def test_bradford_spellings_of_one_polymer_are_one_group(tmp_path):
    from spepred.data.converters import convert_bradford

    path = tmp_path / "bradford.csv"
    pd.DataFrame(
        {
            "smiles": ["[Cu]CCCCCC(=O)O[Au]", "[Cu]CCCCCOC([Au])=O", "[Cu]CCO[Au]"],
            "conductivity": [-5.0, -5.2, -4.0],
            "mw": [1e4, 1e4, 1e5],
            "salt smiles": ["[Li+].[O-]Cl(=O)(=O)=O"] * 3,
            "molality": [1.0, 1.0, 1.0],
            "temperature": [60.0, 60.0, 60.0],
        }
    ).to_csv(path, index=False)
    rows, _ = convert_bradford(path)
    assert rows["group"].nunique() == 2
    assert rows.loc[0, "group"] == rows.loc[1, "group"]
    assert rows.loc[0, "monomer_smiles"] == rows.loc[1, "monomer_smiles"]


def test_cv_groups_merge_spellings_across_sources():
    from spepred.data.splits import polymer_groups
    from spepred.models.train import _matrix_keys

    groups = np.array(["pei2025:ref1", "bradford2023:P001", "pei2025:ref2"])
    monomers = pd.Series(["[*]CCOCCO[*]", "[*]COC[*]", "[*]CC([*])C#N"])
    labels = polymer_groups(groups, _matrix_keys(monomers))
    assert labels[0] == labels[1] != labels[2]


def test_screening_library_screens_one_polymer_once():
    from spepred.screen.spec import build_library

    lib = build_library({"monomers": ["[*]CCO[*]", "[*]COC[*]", "[*]CCOCCO[*]", "C=CC(=O)OCCO"],
                         "crosslinkers": ["PETEA"]})
    assert lib.n_rows == 2


def test_a_dictionary_name_and_any_spelling_of_its_polymer_are_one_component():
    assert resolve_matrix("PEO") == tuple(
        type(c)(input="PEO", smiles=c.smiles, is_repeat_unit=c.is_repeat_unit) for c in resolve_matrix("[*]COCCOC[*]")
    )
    assert matrix_key("PTMG") == matrix_key("[*]OCCCC[*]") == matrix_key("[*]CCOCC[*]")
    assert matrix_key("PEO.PAN") == matrix_key("N#CC([*])C[*].[*]OCCOCC[*]")


# --- the memo of canonical units ------------------------------------------------------------


def _units_of_the_default_data() -> list[str]:
    from tests.conftest import MIRROR, skip_unless_required

    if not (MIRROR / "bradford2023" / "clean_train_data.csv").exists():
        skip_unless_required("dataset mirror not found (set SPEPRED_DATA_MIRROR)")
    from spepred.data.converters import convert_bradford

    rows, _ = convert_bradford(MIRROR / "bradford2023" / "clean_train_data.csv")
    units = {p for s in rows["monomer_smiles"].dropna().unique() for p in s.split(".")}
    return sorted(u for u in units if "*" in u)


def test_a_canonical_unit_is_its_own_canonical_form_and_the_memo_changes_nothing():
    """The memo maps a canonical SMILES to itself without computing it: that is only right if
    canonicalizing a canonical unit gives it back, for every unit of Bradford."""
    from spepred.chem import polymer

    units = _units_of_the_default_data()
    assert len(units) > 100
    polymer._CANONICAL_UNITS.clear()
    fresh = {}
    for u in units:  # computed, never looked up: each input is new to an emptied memo
        polymer._CANONICAL_UNITS.clear()
        fresh[u] = canon(u)
    polymer._CANONICAL_UNITS.clear()
    remembered = {u: canon(u) for u in units}
    assert remembered == fresh
    for c in set(fresh.values()):
        polymer._CANONICAL_UNITS.clear()
        assert canon(c) == c
        assert Chem.MolToSmiles(Chem.MolFromSmiles(c)) == c  # what the memo is keyed by


def test_the_memo_is_bounded():
    from spepred.chem import polymer

    polymer._CANONICAL_UNITS.clear()
    old = polymer._CANONICAL_UNITS_MAX
    try:
        polymer._CANONICAL_UNITS_MAX = 4
        for n in range(2, 12):
            canon("[*]" + "C" * n + "O[*]")
            assert len(polymer._CANONICAL_UNITS) <= 4 + 1
    finally:
        polymer._CANONICAL_UNITS_MAX = old
        polymer._CANONICAL_UNITS.clear()
    assert canon("[*]COC[*]") == canon("[*]CCO[*]")
