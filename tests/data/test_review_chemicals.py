"""The chemical dictionary behind the review records: right structures, every review name.

``tests/chem/test_dictionary.py`` checks that SMILES parse and names resolve; these tests
check the chemistry of the curated rows (formulas, reactive-group counts, masses) and that the
names the review prints are all known.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors, rdMolDescriptors

from spepred.chem.dictionary import load_dictionary
from tests.conftest import ROOT

CHEMICALS = ROOT / "data" / "raw" / "review" / "chemicals.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(CHEMICALS, dtype=str).fillna("")


def _mol(name: str) -> Chem.Mol:
    chem = load_dictionary().get(name)
    assert chem is not None and chem.smiles, name
    return Chem.MolFromSmiles(chem.smiles)


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("PETEA", "C17H20O8"),  # pentaerythritol tetraacrylate, not the triacrylate
        ("TMPTA", "C15H20O6"),
        ("ETPTA", "C21H32O9"),  # EO3 drawn
        ("DPHA", "C28H34O13"),
        ("TEGDA", "C12H18O6"),
        ("TEGDMA", "C14H22O6"),
        ("MBA", "C7H10N2O2"),
        ("PETMP", "C17H28O8S4"),
        ("OFHDODA", "C12H10F8O4"),
        ("PEE", "C17H28O8"),
        ("TTE", "C15H26O6"),
        ("HDI", "C8H12N2O2"),
        ("MDI", "C15H10N2O2"),
        ("IPDI", "C12H18N2O2"),
        ("TDI", "C9H6N2O2"),
        ("BHDS", "C4H10O2S2"),
        ("DBNPG", "C5H10Br2O2"),
        ("UPy", "C6H8N4O2"),
        ("HEA", "C5H8O3"),
        ("VEC", "C5H6O3"),
        ("TFPO", "C3H3F3O"),
        ("GPTMS", "C9H20O5Si"),
        ("18C6", "C12H24O6"),
        ("POSS-8vinyl", "C16H24O12Si8"),
        ("POSS-epoxy", "C48H88O28Si8"),
        ("alpha-CD", "C36H60O30"),
        ("LiTFSI", "C2F6LiNO4S2"),
        ("LiFSI", "F2LiNO4S2"),
        ("LiPF6", "F6LiP"),
        ("LiBF4", "BF4Li"),
        ("LiClO4", "ClLiO4"),
        ("LiDFOB", "C2BF2LiO4"),
        ("LiBOB", "C4BLiO8"),
        ("LiNO3", "LiNO3"),
        ("Pyr13TFSI", "C10H18F6N2O4S2"),
        ("AMPyr-TFSI", "C10H16F6N2O4S2"),
    ],
)
def test_pinned_formulas(name, formula):
    assert rdMolDescriptors.CalcMolFormula(_mol(name)) == formula


def test_pinned_structures():
    smiles = {n: Chem.MolToSmiles(_mol(n)) for n in ("HDI", "PEGDA", "UPy", "PDOL", "DOL")}
    assert smiles["HDI"] == "O=C=NCCCCCCN=C=O"  # linear hexamethylene
    pegda = _mol("PEGDA")
    assert len(pegda.GetSubstructMatches(Chem.MolFromSmarts("[CH2]=[CH]C(=O)O[CH2][CH2]O"))) == 2
    assert set(a.GetSymbol() for a in pegda.GetAtoms()) == {"C", "O"}
    # UPy as its name says, the 4[1H]-pyrimidinone: ring N-H next to the methyl-bearing carbon
    assert _mol("UPy").HasSubstructMatch(Chem.MolFromSmarts("[CH3]c1[nH]c(NC(N)=O)nc(=O)c1"))
    # PDOL is the repeat unit that DOL gives on ring opening
    from spepred.chem.resolve import resolve_matrix

    assert resolve_matrix("C1COCO1")[0].smiles == resolve_matrix(smiles["PDOL"])[0].smiles


_GROUPS = {
    "acrylate": "[CX3;!a]=[CX3;!a]",
    "methacrylate": "[CX3;!a]=[CX3;!a]",
    "vinyl": "[CX3;!a]=[CX3;!a]",
    "allyl": "[CX3;!a]=[CX3;!a]",
    "acrylamide": "[CX3;!a]=[CX3;!a]",
    "epoxide": "C1OC1",
    "isocyanate": "N=C=O",
    "thiol": "[SX2H1]",
    "hydroxyl": "[OX2H1]",
    "aldehyde": "[CX3H1]=O",
}
#: functionality that is not the count of reactive_group, and why
_FUNCTIONALITY_EXCEPTIONS = {
    "GPTMS": "1 epoxide + 3 hydrolysable Si-OMe",
}


def test_functionality_is_the_count_of_reactive_groups(table):
    wrong = []
    for row in table.itertuples():
        if not row.smiles or "*" in row.smiles or not row.functionality:
            continue
        if row.name in _FUNCTIONALITY_EXCEPTIONS:
            continue
        mol = Chem.MolFromSmiles(row.smiles)
        if row.reactive_group == "amine":  # active N-H
            n = sum(a.GetTotalNumHs() for a in mol.GetAtoms() if a.GetSymbol() == "N")
        elif row.reactive_group == "metal_ion":  # formal valence of the cation
            n = max(a.GetFormalCharge() for a in mol.GetAtoms())
        elif row.reactive_group == "alkoxysilane":
            n = len(mol.GetSubstructMatches(Chem.MolFromSmarts("[Si]O[CX4]")))
        elif row.reactive_group in _GROUPS:
            n = len(mol.GetSubstructMatches(Chem.MolFromSmarts(_GROUPS[row.reactive_group])))
        else:
            continue
        if n != float(row.functionality):
            wrong.append((row.name, row.reactive_group, row.functionality, n))
    assert not wrong, wrong


def test_molar_masses_match_the_structures(table):
    wrong = []
    for row in table.itertuples():
        if not row.smiles or "*" in row.smiles or not row.mw_g_mol:
            continue
        mw = Descriptors.MolWt(Chem.MolFromSmiles(row.smiles))
        # oligomers carry a nominal commercial Mn; the drawn n is close to it
        tolerance = 0.25 * mw if "nominal" in row.notes else 0.05
        if not math.isclose(mw, float(row.mw_g_mol), abs_tol=tolerance):
            wrong.append((row.name, row.mw_g_mol, round(mw, 2)))
    assert not wrong, wrong


#: Names as the review prints them (text and captions), each must resolve.
REVIEW_NAMES = [
    "poly(ethylene oxide)", "PVDF", "PAN", "PMMA", "PEG",
    "polytetrahydrofuran", "PTMG", "PCL", "polycaprolactone diol", "HDI",
    "hexamethylene diisocyanate", "2-hydroxyethyl disulfide", "BHDS", "MDI", "DBNPG",
    "2,2-bis(bromomethyl)-1,3-propanediol", "LiTFSI",
    "lithium bis(trifluoromethanesulfonyl)imide", "UiO-66-NH₂", "UIO-66-NH₂", "UPy",
    "2-ureido-4-pyrimidone", "Cu²⁺", "Ca²⁺", "Fe³⁺", "Co²⁺", "Zn²⁺", "CuF₂", "CaSO₄",
    "sodium alginate", "SA", "calcium chloride", "chitosan", "CS", "ZIF-67", "CF",
    "cellulose", "SN", "Ni(TFSI)2", "nickel (II) bis-(trifluoromethane sulfonimide)",
    "poly(dimethylsiloxane)", "polyrotaxane", "PR", "α-cyclodextrin", "CBPQT(4+)",
    "polyacrylic acid", "18-crown ether-6", "18C6", "poly(ethylene glycol)",
    "poly(ethylene glycol) diacrylate", "PEGDA", "butyl acrylate", "BA",
    "2,2,3,3,4,4,5,5-octafluoro-1,6-hexanediol diacrylate", "OFHDODA",
    "1-allyl-1-methyl-pyrrolidinium bis(trifluoromethanesulfonyl) imide",
    "vinyl ethylene carbonate", "VEC", "trifluoropropene oxide", "TFPO",
    "pentaerythritol glycidyl ether", "PEE", "1,3-dioxolane", "1, 3-dioxolane", "DOL",
    "trimethylolpropane triglycidyl ether", "TTE", "LiNO₃", "LiBF₄",
    "pentaerythritol tetraacrylate", "PETEA", "2-hydroxyethyl acrylate", "HEA",
    "Al₂O₃", "ZrO₂", "SiO₂", "TiO₂", "Li0.33La0.557TiO3", "Li7La2.75Ca0.25Zr1.75Nb0.25O12",
    "Li6.4La3Zr2Al0.2O12", "poly(propylene oxide)", "PPO", "hairy silica", "acrylamide",
    "AM", "poly(ethylene glycol) methyl ether methacrylate", "PEGMEM", "nano-SiO₂",
    "end-epoxidized SiO₂", "KMSP", "nano-TiO₂", "PDOL", "polyhedral oligomeric silsesquioxane",
    "POSS", "MOCs", "MOFs", "epoxy-modified POSS", "amine-terminated poly(ethylene glycol)",
    "PEG2000", "glycidyl ether oxypropyl cage polyhedral silsesquioxane",
    "titanium-oxo clusters", "TOC", "glycerol", "PTHF", "H2O", "nano-Al-O", "UIO-66",
    "tetrakis(3-mercaptopropionic acid) pentaerythritol", "PETMP", "Vinyl-ZIF-8",
    "polyethylene glycol (ethylene glycol) diacrylate", "Zr-BPDC-2SO₃H", "UiO-66",
    "TANs", "PVC", "PVA", "PAA", "PVDF-HFP", "hyperbranched polyethylene glycol", "HPEG",
    "isophorone diisocyanate", "IPDI", "PrTFSI", "PAN nanofibers",
    "covalent organic framework", "COF", "SCOF", "PEP", "polyethylenimine", "PEI", "PEGDE",
    "PEA", "LiPF6", "DMC", "FEC", "dopamine methacrylate", "starch", "lignin", "chitin",
    "cellulose acetate", "CAB", "methyl cellulose", "MC", "ethyl cellulose",
    "hydroxy ethyl cellulose", "HEC", "α-CD", "β-CD", "γ-CD", "allyl chloride",
    "acryloyl modified cellulose", "AC", "corn starch",
    "g-(2,3-epoxy-propoxy) propyl trimethoxysilane", "soy protein isolate", "SPI", "PA",
    "BDE", "polycarbonates", "LiTFSI",
]


def test_every_name_the_review_prints_resolves():
    d = load_dictionary()
    missing = [n for n in REVIEW_NAMES if d.get(n) is None]
    assert not missing, missing
    # the review's own abbreviations that clash with common ones are kept apart
    assert d.get("ethyl cellulose").name == "EthC" and d.get("EC").name == "EC"
    assert d.get("polycarbonates").name == "polycarbonate" and d.get("PC").name == "PC"


def test_frameworks_have_the_crosslink_type_of_their_chemistry():
    d = load_dictionary()
    for name in ("COF", "SCOF"):  # all-organic frameworks; [118] sits in sec. 4.4
        assert d.get(name).crosslink_type == "macromolecular"
        assert d.get(name).filler_class == "cof"
    for chem in d.chemicals:
        if chem.filler_class in ("mof", "poss", "metal_oxo_cluster"):
            assert chem.crosslink_type == "organic_inorganic_hybrid", chem.name
