import pandas as pd
import pytest

from spepred.chem.dictionary import CROSSLINK_TYPES, FILLER_CLASSES, load_dictionary
from spepred.chem.mol import parse_smiles
from spepred.chem.resolve import resolve_crosslinkers, resolve_fillers, resolve_salt
from spepred.errors import UnknownChemicalError
from tests.conftest import ROOT

CHEMICALS = ROOT / "data" / "raw" / "review" / "chemicals.csv"
RECORDS = ROOT / "data" / "raw" / "review" / "records.csv"


def test_packaged_dictionary_is_the_curated_file():
    shipped = load_dictionary()
    assert len(shipped) == len(pd.read_csv(CHEMICALS))


def test_every_smiles_parses_and_vocabularies_hold():
    table = pd.read_csv(CHEMICALS, dtype=str).fillna("")
    for row in table.itertuples():
        if row.smiles:
            parse_smiles(row.smiles, field=f"smiles of {row.name}")
        assert row.crosslink_type in ("", *CROSSLINK_TYPES), row.name
        assert row.filler_class in ("", *FILLER_CLASSES), row.name
        if "filler" in row.role.split(";"):
            assert row.filler_class, f"filler {row.name} has no filler_class"


@pytest.mark.parametrize(
    "name",
    ["TMPTA", "PEGDMA", "ETPTA", "DPHA", "TEGDA", "MBA", "PETMP", "LiFSI", "LiPF6", "LiClO4",
     "LiBF4", "LiDFOB", "LiBOB", "LiNO3", "PETEA", "PEGDA", "HDI", "HEA", "LiTFSI"],
)
def test_common_chemicals_are_known(name):
    assert load_dictionary().get(name) is not None


def test_lookup_ignores_case_spacing_and_uses_aliases():
    d = load_dictionary()
    assert d.get("petea").name == "PETEA"
    assert d.get("UIO-66-NH2").name == d.get("UiO-66-NH2").name
    assert d.get("pentaerythritol tetraacrylate").name == "PETEA"
    assert d.get("UiO-66-NH₂").name == "UiO-66-NH2"  # subscript digits


def test_did_you_mean_for_near_misses():
    with pytest.raises(UnknownChemicalError) as info:
        resolve_crosslinkers("PETA")
    assert str(info.value) == "unknown crosslinker 'PETA'; did you mean 'PETEA'?"
    with pytest.raises(UnknownChemicalError, match="did you mean 'LiTFSI'"):
        resolve_salt("LiTFS")
    with pytest.raises(UnknownChemicalError, match="unknown filler 'zzzz'"):
        resolve_fillers("zzzz")


def test_every_name_in_the_records_resolves():
    d = load_dictionary()
    records = pd.read_csv(RECORDS, dtype=str).fillna("")
    for rec in records.itertuples():
        for col in ("matrix", "crosslinkers", "fillers", "salt"):
            for name in filter(None, (n.strip() for n in getattr(rec, col).split(";"))):
                if col == "salt" and name == "none":  # a salt-free system, said explicitly
                    continue
                assert d.get(name) is not None, f"{rec.record_id}: {col} {name!r} unknown"


def test_salt_smiles_spellings_meet_the_name():
    a = resolve_salt("O=S([N-]S(=O)(C(F)(F)F)=O)(C(F)(F)F)=O.[Li+]")
    b = resolve_salt("LiTFSI")
    assert a == b and a.label == "LiTFSI"
    assert resolve_salt("none") is None


def test_every_dictionary_chemical_resolves_in_its_roles():
    from spepred.chem.resolve import resolve_matrix

    for chem in load_dictionary().chemicals:
        if chem.has_role("crosslinker"):
            resolve_crosslinkers(chem.name)
        if chem.smiles and chem.has_role("monomer", "polymer", "chain_extender"):
            resolve_matrix(chem.smiles)
        if chem.has_role("salt"):
            resolve_salt(chem.name)
        if chem.has_role("filler"):
            resolve_fillers(chem.name)


def test_every_liquid_has_a_class_and_nothing_else_does():
    from spepred.chem.dictionary import LIQUID_CLASSES, LIQUID_ROLES

    for chem in load_dictionary().chemicals:
        if chem.has_role(*LIQUID_ROLES):
            assert chem.liquid_class in LIQUID_CLASSES, chem.name
        else:
            assert chem.liquid_class == "", chem.name
    d = load_dictionary()
    assert d.get("EC").liquid_class == "carbonate" and d.get("SN").liquid_class == "nitrile"
    assert d.get("EMIM-TFSI").liquid_class == "ionic_liquid" and d.get("TEGDME").liquid_class == "ether"
