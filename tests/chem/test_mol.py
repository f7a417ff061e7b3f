import pytest
from rdkit import Chem

from spepred.chem.mol import canonical_smiles, normalize_attachment_points, parse_smiles
from spepred.chem.polymer import network_unit, oligomer, reacted_form
from spepred.errors import InvalidSmilesError


@pytest.mark.parametrize(
    ("smiles", "reason"),
    [
        ("C1CC", "unclosed ring"),
        ("C(C)(C)(C)(C)C", "Explicit valence for atom # 0 C, 5, is greater than permitted"),
        ("CC(", "syntax error"),
        ("", "empty SMILES"),
        ("C" * 5000, "longer than"),
        ("CC\x00O", "control characters"),
        ("CCé", "non-ASCII"),
    ],
)
def test_parse_errors_name_field_value_and_reason(smiles, reason):
    with pytest.raises(InvalidSmilesError, match=reason) as info:
        parse_smiles(smiles, field="monomer_smiles")
    assert str(info.value).startswith("invalid monomer_smiles ")
    assert info.value.field == "monomer_smiles"


def test_non_string_is_an_error_not_a_crash():
    with pytest.raises(InvalidSmilesError, match="expected a SMILES string"):
        parse_smiles(3.5)


def test_dataset_markers_become_attachment_points():
    assert normalize_attachment_points("[Cu]CCO[Au]") == "[*]CCO[*]"
    assert normalize_attachment_points("[Mg]CC[Mg]") == "[*]CC[*]"
    # a real copper atom in a molecule with other ends is left alone
    assert normalize_attachment_points("[*]CC[Cu]CC[*]") == "[*]CC[Cu]CC[*]"
    assert canonical_smiles("[Cu]CCO[Au]") == canonical_smiles("*OCC*")


@pytest.mark.parametrize(
    ("monomer", "unit"),
    [
        ("C=CC(=O)OCCO", "*CC(*)C(=O)OCCO"),  # HEA -> poly(HEA) repeat unit
        ("C1OCCO1", "*COCCO*"),  # DOL ring-opening
        ("FC(F)(F)C1CO1", "*OCC(*)C(F)(F)F"),  # TFPO epoxide ring-opening
        ("O=C1CCCCCO1", "*OCCCCCC(*)=O"),  # caprolactone
        ("O=C1OC=CO1", "*C1OC(=O)OC1*"),  # vinylene carbonate -> poly(VC): the ring stays
        ("O=C1OC(=O)C=C1", "*C1C(=O)OC(=O)C1*"),  # maleic anhydride: addition, ring kept
        ("C=CC1=CC=CC=C1", "*CC(*)c1ccccc1"),  # styrene: the aromatic ring is not a vinyl
        ("[*]CCO[*]", "*CCO*"),  # repeat units stay
        ("OCCCCO", "OCCCCO"),  # no polymerizable group
    ],
)
def test_network_unit(monomer, unit):
    assert Chem.MolToSmiles(network_unit(parse_smiles(monomer))) == canonical_smiles(unit)


def test_reacted_crosslinker_is_saturated():
    petea = parse_smiles("C=CC(=O)OCC(COC(=O)C=C)(COC(=O)C=C)COC(=O)C=C")
    assert Chem.MolToSmiles(reacted_form(petea)) == canonical_smiles(
        "CCC(=O)OCC(COC(=O)CC)(COC(=O)CC)COC(=O)CC"
    )
    hdi = parse_smiles("O=C=NCCCCCCN=C=O")
    assert Chem.MolToSmiles(reacted_form(hdi)) == canonical_smiles("COC(=O)NCCCCCCNC(=O)OC")


def test_oligomer_joins_head_to_tail_and_caps():
    assert Chem.MolToSmiles(oligomer(parse_smiles("[*]CCO[*]"), 3)) == canonical_smiles(
        "CCCOCCOCCOC"
    )
