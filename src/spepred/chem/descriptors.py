"""Numbers computed from one molecule: the chemistry the review says matters for Li+ transport
(polar coordinating groups, chain flexibility, crystallinity proxies), general RDKit 2D
descriptors, Morgan fragments, anion descriptors. Every function takes a canonical SMILES
(what :mod:`spepred.chem.resolve` returns) and returns plain numbers; results are cached.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors
from rdkit.Chem import rdFingerprintGenerator

from spepred.chem.mol import n_attachment_points, parse_smiles
from spepred.chem.polymer import cap_ends, oligomer

# Li+-coordinating and other functional groups, counted per network unit.
GROUP_SMARTS: dict[str, str] = {
    "ether_O": "[OX2]([#6;!$(C=O)])[#6;!$(C=O)]",
    "carbonyl": "[CX3]=[OX1]",
    "ester": "[#6][CX3](=O)[OX2][#6]",
    "carbonate": "[OX2][CX3](=O)[OX2]",
    "nitrile": "[CX2]#[NX1]",
    "CF": "[#6]F",
    "urethane": "[NX3][CX3](=O)[OX2]",
    "urea": "[NX3][CX3](=O)[NX3]",
    "amide": "[NX3;!$(N-C(=O)-[O,N])][CX3](=O)[#6]",
    "hydroxyl": "[OX2H][#6;!$(C=O)]",
    "carboxylic_acid": "[CX3](=O)[OX2H1]",
    "amine": "[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a)]",
    "sulfonyl": "[SX4](=O)(=O)",
    "borate": "[B]~[O]",
    "disulfide": "[SX2][SX2]",
    "siloxane": "[Si][OX2]",
    "phosphorus_oxo": "[PX4]=O",
    "ethylene_oxide": "[OX2;H0;!$(O-C=O)][CH2X4][CH2X4][OX2;H0;!$(O-C=O)]",
    "anionic_site": "[-]",
}
_GROUP_PATTERNS = {k: Chem.MolFromSmarts(v) for k, v in GROUP_SMARTS.items()}
GROUP_NAMES = tuple(GROUP_SMARTS)

#: Per-unit (extensive) and per-heavy-atom (intensive) general descriptors, in order.
GENERAL_NAMES = (
    "heavy_atoms",
    "mw_g_mol",
    "logp_per_heavy_atom",
    "tpsa_A2_per_heavy_atom",
    "hbd_per_heavy_atom",
    "hba_per_heavy_atom",
    "frac_csp3",
    "rotatable_bond_frac",
    "aromatic_atom_frac",
    "ring_atom_frac",
    "hetero_atom_frac",
    "O_frac",
    "N_frac",
    "S_frac",
    "F_frac",
    "Si_frac",
    "halogen_frac",
    "molar_refractivity_per_heavy_atom",
    "labute_asa_A2_per_heavy_atom",
    "charge_abs",
)
BACKBONE_NAMES = (
    "is_repeat_unit",
    "backbone_atoms",
    "backbone_ring_frac",
    "backbone_flexible_bond_frac",
    "side_chain_frac",
)

_MORGAN_GENERATORS: dict[tuple[int, int], object] = {}


def _heavy(mol: Chem.Mol) -> int:
    """Heavy atoms (RDKit counts atomic number > 1: attachment points ``*`` excluded)."""
    return mol.GetNumHeavyAtoms()


# Parsed molecules and their real-molecule forms are shared by the descriptor functions
# below (each is cached by SMILES itself); a small cache is enough, as one building block's
# descriptors are computed one after the other. Callers never modify these molecules.
@lru_cache(maxsize=1024)
def _mol(smiles: str) -> Chem.Mol:
    return parse_smiles(smiles)


@lru_cache(maxsize=1024)
def _real(smiles: str) -> tuple[Chem.Mol, int]:
    return _real_molecule(_mol(smiles))


def _real_molecule(mol: Chem.Mol) -> tuple[Chem.Mol, int]:
    """A real molecule standing for ``mol`` and how many units it holds.

    Repeat units with two ends become a methyl-capped trimer (so that descriptors see the
    junctions as they are in the chain), other units are capped.
    """
    if n_attachment_points(mol) == 2:
        return oligomer(mol, 3), 3
    return cap_ends(mol), 1


@lru_cache(maxsize=65536)
def group_counts(smiles: str) -> tuple[float, ...]:
    """Counts of :data:`GROUP_SMARTS` per network unit (order of :data:`GROUP_NAMES`)."""
    real, units = _real(smiles)
    return tuple(len(real.GetSubstructMatches(p)) / units for p in _GROUP_PATTERNS.values())


_ELEMENT_FRACS = {"O": 8, "N": 7, "S": 16, "F": 9, "Si": 14}
_HALOGENS = (9, 17, 35, 53)


@lru_cache(maxsize=65536)
def general_descriptors(smiles: str) -> tuple[float, ...]:
    """RDKit 2D descriptors per unit / per heavy atom (order of :data:`GENERAL_NAMES`)."""
    mol = _mol(smiles)
    real, units = _real(smiles)
    # one pass over the atoms (RDKit's Python atom sequence is slow to iterate)
    atoms = [
        (a.GetAtomicNum(), a.GetIsAromatic(), a.IsInRing(), a.GetFormalCharge())
        for a in real.GetAtoms()
    ]
    heavy = [a for a in atoms if a[0] > 1]
    ha = max(len(heavy), 1)
    z = np.array([a[0] for a in heavy], dtype=np.int64)
    n_bonds = max(real.GetNumBonds(), 1)
    log_p, mr = rdMolDescriptors.CalcCrippenDescriptors(real)
    # size from the unit itself (caps excluded; RDKit gives '*' zero mass), the rest per
    # heavy atom of the capped oligomer, where junction chemistry is right
    return (
        float(_heavy(mol)),
        Descriptors.MolWt(mol),
        log_p / ha,
        rdMolDescriptors.CalcTPSA(real) / ha,
        Lipinski.NumHDonors(real) / ha,
        Lipinski.NumHAcceptors(real) / ha,
        rdMolDescriptors.CalcFractionCSP3(real),
        rdMolDescriptors.CalcNumRotatableBonds(real) / n_bonds,
        sum(a[1] for a in heavy) / ha,
        sum(a[2] for a in heavy) / ha,
        int(np.count_nonzero(z != 6)) / ha,
        *(int(np.count_nonzero(z == _ELEMENT_FRACS[e])) / ha for e in ("O", "N", "S", "F", "Si")),
        int(np.isin(z, _HALOGENS).sum()) / ha,
        mr / ha,
        rdMolDescriptors.CalcLabuteASA(real) / ha,
        float(sum(abs(a[3]) for a in heavy)) / units,
    )


@lru_cache(maxsize=65536)
def backbone_descriptors(smiles: str) -> tuple[float, ...]:
    """Chain-flexibility proxies of a repeat unit (order of :data:`BACKBONE_NAMES`).

    The backbone is the shortest path between the two ``*`` ends. For molecules (no two
    ends) everything but ``is_repeat_unit`` is NaN: not applicable, not zero.
    """
    mol = _mol(smiles)
    ends = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() == 0]
    if len(ends) != 2:
        return (0.0, np.nan, np.nan, np.nan, np.nan)
    path = Chem.GetShortestPath(mol, ends[0], ends[1])
    inner = path[1:-1]
    if not inner:
        return (1.0, 0.0, np.nan, np.nan, np.nan)
    ring = sum(mol.GetAtomWithIdx(i).IsInRing() for i in inner)
    bonds = [mol.GetBondBetweenAtoms(a, b) for a, b in zip(path[:-1], path[1:], strict=False)]
    flexible = sum(
        b.GetBondType() == Chem.BondType.SINGLE and not b.IsInRing() for b in bonds
    )
    heavy = max(_heavy(mol), 1)
    return (
        1.0,
        float(len(inner)),
        ring / len(inner),
        flexible / len(bonds),
        1.0 - len(inner) / heavy,
    )


def _generator(radius: int, size: int):
    key = (radius, size)
    gen = _MORGAN_GENERATORS.get(key)
    if gen is None:
        gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)
        _MORGAN_GENERATORS[key] = gen
    return gen


@lru_cache(maxsize=65536)
def morgan_counts(smiles: str, radius: int, size: int) -> np.ndarray:
    """Folded Morgan count fingerprint (float32, read-only)."""
    mol = _mol(smiles)
    arr = _generator(radius, size).GetCountFingerprintAsNumPy(mol).astype(np.float32)
    arr.setflags(write=False)
    return arr


#: Fingerprints and fragment sets kept per process for the applicability domain (about
#: 3 KB a molecule together): a long-running server sees an endless stream of new molecules.
DOMAIN_CACHE_SIZE = 8192


@lru_cache(maxsize=DOMAIN_CACHE_SIZE)
def morgan_bits(smiles: str, radius: int = 2, size: int = 2048):
    """Folded Morgan bit vector (RDKit ExplicitBitVect) for Tanimoto similarity."""
    return _generator(radius, size).GetFingerprint(_mol(smiles))


@lru_cache(maxsize=DOMAIN_CACHE_SIZE)
def fragment_ids(smiles: str, radius: int = 2) -> frozenset[int]:
    """Unfolded Morgan fragment identifiers (the 'substructures' of a molecule)."""
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius)
    return frozenset(gen.GetSparseCountFingerprint(_mol(smiles)).GetNonzeroElements())



ANION_NAMES = (
    "anion_heavy_atoms",
    "anion_mw_g_mol",
    "anion_charge",
    "anion_F_count",
    "anion_F_frac",
    "anion_sulfonyl_count",
    "anion_imide_N",
    "anion_boron",
    "anion_aromatic_frac",
    "anion_delocalization",
    "li_per_formula",
    "salt_mw_g_mol",
)


@lru_cache(maxsize=4096)
def anion_descriptors(salt_smiles: str) -> tuple[float, ...]:
    """Anion size, fluorination and charge-delocalization proxies (order of ANION_NAMES).

    Delocalization proxy: electronegative atoms (O, N, F) per unit of anion charge - the
    more of them share the charge, the weaker the Li+-anion pairing.
    """
    mol = parse_smiles(salt_smiles, field="salt")
    frags = Chem.GetMolFrags(mol, asMols=True)
    anions = [f for f in frags if sum(a.GetFormalCharge() for a in f.GetAtoms()) < 0]
    n_li = sum(1 for a in mol.GetAtoms() if a.GetSymbol() == "Li")
    if not anions:
        return (np.nan,) * 10 + (float(n_li), Descriptors.MolWt(mol))
    anion = max(anions, key=lambda f: f.GetNumHeavyAtoms())
    ha = max(anion.GetNumHeavyAtoms(), 1)
    atoms = list(anion.GetAtoms())
    charge = abs(sum(a.GetFormalCharge() for a in atoms))
    n_f = sum(a.GetSymbol() == "F" for a in atoms)
    eneg = sum(a.GetSymbol() in ("O", "N", "F") for a in atoms)
    return (
        float(ha),
        Descriptors.MolWt(anion),
        float(-charge),
        float(n_f),
        n_f / ha,
        float(len(anion.GetSubstructMatches(_GROUP_PATTERNS["sulfonyl"]))),
        float(anion.HasSubstructMatch(_IMIDE)),
        float(any(a.GetSymbol() == "B" for a in atoms)),
        sum(a.GetIsAromatic() for a in atoms) / ha,
        eneg / max(charge, 1),
        float(n_li),
        Descriptors.MolWt(mol),
    )


_IMIDE = Chem.MolFromSmarts("[N-](S(=O)=O)S(=O)=O")


FP_BITS = 2048


def packed_fingerprints(smiles: list[str], bits: int = FP_BITS) -> np.ndarray:
    """Morgan (r=2) bit vectors of ``smiles`` packed into uint8 rows (savable with NumPy)."""
    out = np.zeros((len(smiles), bits // 8), dtype=np.uint8)
    for i, s in enumerate(smiles):
        arr = np.zeros(bits, dtype=np.uint8)
        DataStructs.ConvertToNumpyArray(morgan_bits(s, 2, bits), arr)
        out[i] = np.packbits(arr)
    return out


def unpack_fingerprints(packed: np.ndarray, bits: int = FP_BITS) -> list:
    """Inverse of :func:`packed_fingerprints` (RDKit bit vectors for bulk Tanimoto)."""
    fps = []
    for row in packed:
        bv = DataStructs.ExplicitBitVect(bits)
        bv.SetBitsFromList(np.flatnonzero(np.unpackbits(row)).tolist())
        fps.append(bv)
    return fps


def max_tanimoto(smiles: str, pool: list, bits: int = FP_BITS) -> float:
    """Highest Tanimoto similarity of ``smiles`` to any fingerprint of ``pool`` (0 if empty)."""
    if not pool:
        return 0.0
    return float(max(DataStructs.BulkTanimotoSimilarity(morgan_bits(smiles, 2, bits), pool)))


def long_chain(smiles: str, min_heavy: int = 30) -> Chem.Mol:
    """A repeat unit lengthened to at least ``min_heavy`` heavy atoms: the polymer of
    Bradford et al.'s recipe (enough head-to-tail units, ends capped with carbon). Molecules
    without two ends (salts, monomers) come back as they are."""
    mol = _mol(smiles)
    if n_attachment_points(mol) == 2:
        mol = oligomer(mol, max(math.ceil(min_heavy / max(_heavy(mol), 1)), 1))
    return mol


@lru_cache(maxsize=65536)
def long_chain_bits(smiles: str, min_heavy: int = 30, radius: int = 3, size: int = 128) -> np.ndarray:
    """Morgan bit vector of :func:`long_chain` (the anchor recipe's polymer and salt bits)."""
    mol = long_chain(smiles, min_heavy)
    arr = np.asarray(_generator(radius, size).GetFingerprintAsNumPy(mol), dtype=np.float32)
    arr.setflags(write=False)
    return arr
