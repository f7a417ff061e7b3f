"""Polymer chemistry on RDKit molecules: network units, reacted crosslinkers, oligomers.

A chemist types monomers (``C=CC(=O)OCCO`` for HEA) while public datasets hold repeat units
(``[*]CC([*])C(=O)OCCO``). What ends up in the electrolyte is the polymer, so a monomer with
exactly one polymerizable group is featurized as the repeat unit it forms; a molecule with
several (a crosslinker) as its reacted, saturated form, which is what sits in the network.
"""

from __future__ import annotations

from rdkit import Chem

from spepred.chem.mol import n_attachment_points

# Chain-growth groups: SMARTS and the pair of atoms whose bond opens (a double bond turns
# single, in a ring or not; a single ring bond breaks) to give the two chain ends of the
# repeat unit.
_CHAIN_GROWTH: dict[str, tuple[Chem.Mol, tuple[int, int]]] = {
    key: (Chem.MolFromSmarts(smarts), pair)
    for key, (smarts, pair) in {
        "vinyl": ("[CX3;!a]=[CX3;!a]", (0, 1)),
        # RDKit calls vinylene carbonate aromatic (O=c1occo1); it polymerizes like a vinyl
        "vinylene_carbonate": ("O=c1[o;r5][c;r5][c;r5][o;r5]1", (3, 4)),
        "epoxide": ("[C;r3]1[O;r3][C;r3]1", (0, 1)),
        "oxetane": ("[C;r4]1[O;r4][C;r4][C;r4]1", (0, 1)),
        "cyclic_acetal": ("[O;R]1[CH2;R][O;R][C;R][C;R]1", (0, 1)),
        "cyclic_acetal6": ("[O;R]1[CH2;R][O;R][C;R][C;R][C;R]1", (0, 1)),
        "thf": ("[O;r5]1[CH2;r5][CH2;r5][CH2;r5][CH2;r5]1", (0, 1)),
        "lactone": ("[C;r6,r7;!$(C(=O)(O)O)](=O)[O;r6,r7]", (0, 2)),
    }.items()
}

# Step-growth / click groups: reactive, but a single one does not make a chain.
_STEP_GROWTH = {
    "isocyanate": Chem.MolFromSmarts("N=C=O"),
    "thiol": Chem.MolFromSmarts("[SX2H1]"),
}

_CC_DOUBLE = Chem.MolFromSmarts("[CX3;!a]=[CX3;!a]")
_SATURATE_RULES = [
    # (pattern, edit) pairs describing what a reacted group looks like in the network
    (Chem.MolFromSmarts("[NX2]=[CX2]=[OX1]"), "urethane"),
    (Chem.MolFromSmarts("[SX2H1]"), "thioether"),
    (Chem.MolFromSmarts("[C;r3]1[O;r3][C;r3]1"), "ether"),
]


def reactive_groups(mol: Chem.Mol) -> dict[str, int]:
    """Count chain-growth and step-growth groups by type (zero counts omitted)."""
    counts: dict[str, int] = {}
    for key, (patt, _) in _CHAIN_GROWTH.items():
        n = len(mol.GetSubstructMatches(patt))
        if n:
            counts[key] = n
    for key, patt in _STEP_GROWTH.items():
        n = len(mol.GetSubstructMatches(patt))
        if n:
            counts[key] = n
    return counts


def _finish(rw: Chem.RWMol, touched: tuple[int, ...] | list[int] = ()) -> Chem.Mol:
    """Sanitize an edited molecule, letting RDKit recompute hydrogens on edited atoms only
    (resetting them elsewhere would break aromatic [nH] and the like)."""
    out = rw.GetMol()
    for idx in touched:
        atom = out.GetAtomWithIdx(idx)
        if atom.GetAtomicNum() != 0:
            atom.SetNoImplicit(False)
            atom.SetNumExplicitHs(0)
    Chem.SanitizeMol(out)
    return out


def open_group(mol: Chem.Mol, key: str) -> Chem.Mol:
    """Open the first group ``key`` of ``mol`` into a repeat unit with two ``*`` ends."""
    patt, (i, j) = _CHAIN_GROWTH[key]
    match = mol.GetSubstructMatch(patt)
    if not match:
        raise ValueError(f"no {key} group")
    a, b = match[i], match[j]
    rw = Chem.RWMol(mol)
    if mol.GetBondBetweenAtoms(a, b).GetIsAromatic():
        Chem.Kekulize(rw, clearAromaticFlags=True)
    bond = rw.GetBondBetweenAtoms(a, b)
    if bond.GetBondType() == Chem.BondType.DOUBLE:
        # addition across the C=C; a ring C=C (vinylene carbonate, maleic anhydride,
        # maleimides) keeps its ring: poly(VC) is *C1OC(=O)OC1*, not a ring-opened chain
        bond.SetBondType(Chem.BondType.SINGLE)
    else:  # ring-opening groups (epoxide, oxetane, acetal, lactone): the ring bond breaks
        rw.RemoveBond(a, b)
    for atom_idx in (a, b):
        star = rw.AddAtom(Chem.Atom(0))
        rw.AddBond(atom_idx, star, Chem.BondType.SINGLE)
    return _finish(rw, (a, b))


def network_unit(mol: Chem.Mol) -> Chem.Mol:
    """The unit a matrix component contributes to the polymer network.

    * a repeat unit (has ``*``), an ion, or a molecule without reactive group: as is;
    * a monomer with exactly one chain-growth group: the repeat unit it forms;
    * a molecule with two or more reactive groups (a crosslinker or a step-growth
      monomer): its reacted, saturated form.
    """
    if n_attachment_points(mol) or any(a.GetFormalCharge() for a in mol.GetAtoms()):
        return mol
    groups = reactive_groups(mol)
    n_chain = sum(v for k, v in groups.items() if k in _CHAIN_GROWTH)
    if n_chain == 1 and sum(groups.values()) == 1:
        key = next(k for k in groups if k in _CHAIN_GROWTH)
        return open_group(mol, key)
    if groups:
        return reacted_form(mol)
    return mol


def reacted_form(mol: Chem.Mol) -> Chem.Mol:
    """A crosslinker as it sits in the network.

    Non-aromatic C=C become single bonds, isocyanates become methyl urethanes, thiols
    methyl thioethers, epoxides methyl ethers of the opened ring. Other atoms untouched.
    """
    rw = Chem.RWMol(mol)
    touched: list[int] = []
    for a, b in mol.GetSubstructMatches(_CC_DOUBLE):
        rw.GetBondBetweenAtoms(a, b).SetBondType(Chem.BondType.SINGLE)
        touched += [a, b]
    out = _finish(rw, touched)
    for patt, kind in _SATURATE_RULES:
        for _ in range(32):  # bounded: at most 32 groups of one kind are rewritten
            match = out.GetSubstructMatch(patt)
            if not match:
                break
            rw = Chem.RWMol(out)
            if kind == "urethane":  # N=C=O + HO-CH3 -> NH-C(=O)-O-CH3
                n, c, o = match
                rw.GetBondBetweenAtoms(n, c).SetBondType(Chem.BondType.SINGLE)
                rw.GetBondBetweenAtoms(c, o).SetBondType(Chem.BondType.DOUBLE)
                ox = rw.AddAtom(Chem.Atom(8))
                me = rw.AddAtom(Chem.Atom(6))
                rw.AddBond(c, ox, Chem.BondType.SINGLE)
                rw.AddBond(ox, me, Chem.BondType.SINGLE)
                edited = (n, c, o, ox, me)
            elif kind == "thioether":
                (s,) = match
                me = rw.AddAtom(Chem.Atom(6))
                rw.AddBond(s, me, Chem.BondType.SINGLE)
                edited = (s, me)
            else:  # epoxide: break one C-O ring bond, methylate the oxygen
                c1, o, _c2 = match
                rw.RemoveBond(c1, o)
                me = rw.AddAtom(Chem.Atom(6))
                rw.AddBond(o, me, Chem.BondType.SINGLE)
                edited = (c1, o, me)
            out = _finish(rw, edited)
    return out


def cap_ends(mol: Chem.Mol, cap: int = 6) -> Chem.Mol:
    """Replace every ``*`` by an atom of atomic number ``cap`` (a methyl by default)."""
    if not n_attachment_points(mol):
        return mol
    rw = Chem.RWMol(mol)
    touched = []
    for atom in rw.GetAtoms():
        if atom.GetAtomicNum() == 0:
            atom.SetAtomicNum(cap)
            atom.SetIsotope(0)
            atom.SetFormalCharge(0)
            atom.SetIsAromatic(False)
            touched.append(atom.GetIdx())
    return _finish(rw, touched)


def oligomer(repeat_unit: Chem.Mol, n: int = 3, cap: int = 6) -> Chem.Mol:
    """A capped ``n``-mer built head-to-tail from a repeat unit with two ``*`` ends.

    Units with other than two ends are only capped. Used where a descriptor needs a real
    molecule (3D conformers, xTB orbital energies).
    """
    dummies = [a.GetIdx() for a in repeat_unit.GetAtoms() if a.GetAtomicNum() == 0]
    if len(dummies) != 2 or n < 2:
        return cap_ends(repeat_unit, cap)
    head, tail = dummies
    rw = Chem.RWMol(repeat_unit)
    chain_tail = tail
    drop: list[int] = []
    for _ in range(n - 1):
        offset = rw.GetNumAtoms()
        rw.InsertMol(repeat_unit)
        new_head, new_tail = head + offset, tail + offset
        left = rw.GetAtomWithIdx(chain_tail).GetNeighbors()[0].GetIdx()
        right = rw.GetAtomWithIdx(new_head).GetNeighbors()[0].GetIdx()
        rw.AddBond(left, right, Chem.BondType.SINGLE)
        drop += [chain_tail, new_head]
        chain_tail = new_tail
    for idx in sorted(drop, reverse=True):
        rw.RemoveAtom(idx)
    return cap_ends(_finish(rw), cap)


def embed_3d(mol: Chem.Mol, *, seed: int = 42, max_atoms: int = 250):
    """A deterministic 3D geometry for ``mol`` (hydrogens added, ETKDG + MMFF).

    Returns ``(atomic_numbers, positions_angstrom, charge, unpaired_electrons)`` or ``None``
    when the molecule is too large (more than ``max_atoms`` atoms with hydrogens) or RDKit
    cannot embed it.
    """
    import numpy as np
    from rdkit.Chem import AllChem

    mh = Chem.AddHs(mol)
    if mh.GetNumAtoms() > max_atoms:
        return None
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    params.maxIterations = 200
    if AllChem.EmbedMolecule(mh, params) != 0:
        return None
    if AllChem.MMFFHasAllMoleculeParams(mh):
        AllChem.MMFFOptimizeMolecule(mh, maxIters=200)
    nums = np.array([a.GetAtomicNum() for a in mh.GetAtoms()], dtype=int)
    pos = mh.GetConformer().GetPositions()
    charge = Chem.GetFormalCharge(mh)
    electrons = int(nums.sum()) - charge
    unpaired = sum(a.GetNumRadicalElectrons() for a in mh.GetAtoms()) or electrons % 2
    return nums, pos, charge, unpaired


def xtb_ready(smiles_mol: Chem.Mol, *, max_heavy: int = 120) -> Chem.Mol | None:
    """The real molecule whose orbitals stand for a component: a capped trimer for repeat
    units (a capped single unit when the trimer is too big); ``None`` for bare ions and
    for molecules larger than ``max_heavy`` heavy atoms."""
    mol = smiles_mol
    if mol.GetNumHeavyAtoms() <= 1:
        return None
    if n_attachment_points(mol) == 2:
        tri = oligomer(mol, 3)
        mol = tri if tri.GetNumHeavyAtoms() <= max_heavy else cap_ends(mol)
    else:
        mol = cap_ends(mol)
    return mol if mol.GetNumHeavyAtoms() <= max_heavy else None


# --- canonical repeat units --------------------------------------------------------------
#
# A periodic chain can be written from any backbone atom and as any whole multiple of its
# repeat unit: [*]CCO[*], [*]COC[*] and [*]CCOCCO[*] are all PEO. spepred keys a polymer by
# one form, following the two steps of the PSMILES canonicalization of Kuenneth and
# Ramprasad (polyBERT, Nat. Commun. 2023; github.com/Ramprasad-Group/canonicalize_psmiles):
# first the shortest period, then one frame. The frame rule is ours: of every way to cut
# the chain at a single, non-ring backbone bond, the one whose RDKit canonical SMILES sorts
# first. It depends on the graph only, never on where the input started, and it also covers
# the units the ring-closure trick cannot (one or two backbone atoms, stars on bonded
# atoms). Units are compared with their stereo (molzip keeps chirality across the joins).

_HEAD, _TAIL = 1, 2  # isotope labels of the two ends while a unit is cut and joined


def _ends(mol: Chem.Mol) -> tuple[int, int, int, int] | None:
    """(head star, head atom, tail star, tail atom) of a linear repeat unit, else None.

    A linear repeat unit has exactly two ``*``, each single-bonded to one real atom of the
    same fragment; anything else (end groups, branched or ladder units, ``=*``) is not a
    periodic chain this module can rotate, and is left as written.
    """
    matches = mol.GetSubstructMatches(_STAR)  # in C++: no Python loop over every atom
    if len(matches) != 2:
        return None
    stars = [mol.GetAtomWithIdx(i) for (i,) in sorted(matches)]
    out: list[int] = []
    for star in stars:
        bonds = star.GetBonds()
        if len(bonds) != 1 or bonds[0].GetBondType() != Chem.BondType.SINGLE:
            return None
        nbr = bonds[0].GetOtherAtom(star)
        if nbr.GetAtomicNum() == 0:
            return None
        out += [star.GetIdx(), nbr.GetIdx()]
    frags = Chem.GetMolFrags(mol)
    if len(frags) != 1:
        return None
    return out[0], out[1], out[2], out[3]


def _labelled(mol: Chem.Mol, head: int, tail: int) -> Chem.RWMol:
    """A copy with the head star labelled ``_HEAD`` and the tail star ``_TAIL``."""
    rw = Chem.RWMol(mol)
    for idx, label in ((head, _HEAD), (tail, _TAIL)):
        atom = rw.GetAtomWithIdx(idx)
        atom.SetIsotope(label)
        atom.SetAtomMapNum(0)
    return rw


def _cut_bonds(mol: Chem.Mol, head: int, tail: int) -> list[tuple[int, int]]:
    """The backbone bonds a chain can be cut at, head to tail, as (head-side atom, other).

    Bonds of the shortest star-to-star path that are single and in no ring: every path
    between the ends runs through them (ring bonds have a way round), so they are the same
    set whichever path is taken. The two star bonds are the cut the unit was written with.
    """
    path = Chem.GetShortestPath(mol, head, tail)
    out = []
    for p, q in zip(path[:-1], path[1:], strict=True):
        bond = mol.GetBondBetweenAtoms(p, q)
        if bond.GetBondType() == Chem.BondType.SINGLE and not bond.IsInRing():
            out.append((p, q))
    return out


def _fragment(mol: Chem.Mol, cuts: list[tuple[int, int]]) -> Chem.Mol:
    """Break ``mol`` at ``cuts``; the new end on the head-side atom is labelled ``_TAIL``,
    the one on the other atom ``_HEAD`` (so every piece reads head to tail)."""
    bonds, labels = [], []
    for p, q in cuts:
        bond = mol.GetBondBetweenAtoms(p, q)
        bonds.append(bond.GetIdx())
        # RDKit gives the first label to the end that replaces the begin atom, i.e. the
        # one attached to the end atom
        labels.append((_TAIL, _HEAD) if bond.GetBeginAtomIdx() == q else (_HEAD, _TAIL))
    return Chem.FragmentOnBonds(mol, bonds, addDummies=True, dummyLabels=labels)


def _unlabelled_smiles(mol: Chem.Mol) -> str:
    rw = Chem.RWMol(mol)
    for atom in rw.GetAtoms():
        if atom.GetAtomicNum() == 0:
            atom.SetIsotope(0)
            atom.SetAtomMapNum(0)
    return Chem.MolToSmiles(rw)


def _shortest_period(mol: Chem.Mol, head: int, tail: int) -> Chem.Mol:
    """The shortest unit whose head-to-tail repetition is ``mol`` (labelled ends)."""
    from math import gcd

    counts: dict[tuple[int, int], int] = {}
    n_h = 0
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum():
            key = (atom.GetAtomicNum(), atom.GetFormalCharge())
            counts[key] = counts.get(key, 0) + 1
            n_h += atom.GetTotalNumHs()
    g = 0
    for v in (*counts.values(), n_h):
        g = gcd(g, v)
    if g < 2:  # k copies of a unit hold a multiple of k of every element
        return mol
    n_heavy = sum(counts.values())
    cuts = _cut_bonds(mol, head, tail)[1:-1]  # the star bonds are no internal cut
    if not cuts:
        return mol
    # real atoms on the head side of each cut, from one fragmentation at every cut (the
    # pieces follow the path; the atoms keep their indices, new ends come last)
    frag_of = [0] * mol.GetNumAtoms()
    sizes = []
    split = _fragment(mol, cuts)
    for f, atoms in enumerate(Chem.GetMolFrags(split)):
        sizes.append(sum(1 for i in atoms if split.GetAtomWithIdx(i).GetAtomicNum()))
        for i in atoms:
            if i < len(frag_of):
                frag_of[i] = f
    prefix, total = {}, 0
    for p, q in cuts:
        total += sizes[frag_of[p]]
        prefix[total] = (p, q)
    for k in sorted((k for k in range(2, g + 1) if g % k == 0), reverse=True):
        size = n_heavy // k
        at = [prefix.get(size * i) for i in range(1, k)]
        if None in at:
            continue
        pieces = Chem.GetMolFrags(_fragment(mol, at), asMols=True, sanitizeFrags=False)
        # each piece carries its ends as head/tail labels, so a head-to-head dimer
        # (*CCOOCC*) is not mistaken for two head-to-tail units
        if len({Chem.MolToSmiles(p) for p in pieces}) == 1:
            return pieces[0]
    return mol


def _rotations(unit: Chem.Mol, head: int, tail: int) -> list[str]:
    """Canonical SMILES of every frame of a unit whose ends are ``head`` and ``tail``."""
    plain = Chem.RWMol(unit)
    for idx in (head, tail):
        plain.GetAtomWithIdx(idx).SetIsotope(0)
    out = [Chem.MolToSmiles(plain)]
    # the written ends join into one backbone bond (same map number, zipped), then the
    # chain is cut at (p, q): another frame of the same chain
    for idx in (head, tail):
        plain.GetAtomWithIdx(idx).SetAtomMapNum(1)
    for p, q in _cut_bonds(unit, head, tail)[1:-1]:
        bond = plain.GetBondBetweenAtoms(p, q).GetIdx()
        broken = Chem.FragmentOnBonds(plain, [bond], addDummies=True, dummyLabels=[(0, 0)])
        out.append(Chem.MolToSmiles(Chem.molzip(broken)))
    return out


def _ring_frame(unit: Chem.Mol, head: int, tail: int) -> str | None:
    """The frame of a unit with three or more backbone atoms, from one canonical ranking.

    The unit is closed on itself (its two end atoms bonded: one period of the chain as a
    ring, the same ring whichever frame it was written in) and RDKit ranks the ring's atoms
    canonically; the chain is cut at the cuttable bond whose atoms rank lowest. One ranking
    instead of one SMILES per frame: a 600-atom Bradford unit has dozens of frames. Returns
    ``None`` when the end atoms are one atom or already bonded (no ring to close).
    """
    a = unit.GetAtomWithIdx(head).GetNeighbors()[0].GetIdx()
    b = unit.GetAtomWithIdx(tail).GetNeighbors()[0].GetIdx()
    if a == b or unit.GetBondBetweenAtoms(a, b) is not None:
        return None
    cuts = [(a, b), *_cut_bonds(unit, head, tail)[1:-1]]
    rw = Chem.RWMol(unit)
    for idx in (head, tail):
        rw.GetAtomWithIdx(idx).SetIsotope(0)
        rw.GetAtomWithIdx(idx).SetAtomMapNum(1)
    try:
        ring = Chem.molzip(rw)
    except Exception:  # RDKit refuses a closure it cannot represent: take the slow road
        return None
    # molzip drops the two stars and keeps every other atom in order
    lo, hi = sorted((head, tail))

    def new(i: int) -> int:
        return i - (i > lo) - (i > hi)

    ranks = list(Chem.CanonicalRankAtoms(ring, breakTies=True))
    p, q = min(cuts, key=lambda c: sorted((ranks[new(c[0])], ranks[new(c[1])])))
    bond = ring.GetBondBetweenAtoms(new(p), new(q)).GetIdx()
    cut = Chem.FragmentOnBonds(ring, [bond], addDummies=True, dummyLabels=[(0, 0)])
    return Chem.MolToSmiles(cut)


def _star_indices(mol: Chem.Mol) -> tuple[int, int]:
    """(head, tail) star indices of a unit with labelled ends."""
    stars = {mol.GetAtomWithIdx(i).GetIsotope(): i for (i,) in mol.GetSubstructMatches(_STAR)}
    return stars[_HEAD], stars[_TAIL]


_STAR = Chem.MolFromSmarts("[#0]")


def canonical_repeat_unit(mol: Chem.Mol) -> Chem.Mol:
    """One form per periodic polymer: the shortest period, in a frame fixed by the graph.

    Any rotation (``[*]CCO[*]``, ``[*]COC[*]``) or repetition (``[*]CCOCCO[*]``) of a linear
    repeat unit gives the same molecule and so the same canonical SMILES (``*CCO*``).
    Molecules that are not linear repeat units with two single-bonded ``*`` ends (monomers,
    crosslinkers, ions, units with end groups) are returned unchanged.
    """
    ends = _ends(mol)
    if ends is None:
        return mol
    key = Chem.MolToSmiles(mol)
    best = _CANONICAL_UNITS.get(key)
    if best is None:
        head, _, tail, _ = ends
        unit = _shortest_period(_labelled(mol, head, tail), head, tail)
        head, tail = _star_indices(unit)
        best = _ring_frame(unit, head, tail)
        if best is None:
            best = min(_rotations(unit, head, tail))
        if len(_CANONICAL_UNITS) >= _CANONICAL_UNITS_MAX:
            _CANONICAL_UNITS.clear()
        _CANONICAL_UNITS[key] = best
        # the canonical form is its own canonical form (tests/chem pin it on every unit of
        # the default data): a table that was canonicalized once (a converter's output,
        # validated again by the loader) costs a dictionary lookup the second time
        _CANONICAL_UNITS.setdefault(best, best)
    return Chem.MolFromSmiles(best)


#: SMILES of a linear repeat unit -> its canonical SMILES. A pure function of the graph, so
#: one process-wide memo (bounded) is safe; it halves loading the default training table,
#: whose SMILES are canonicalized by the converters and then again by validation.
_CANONICAL_UNITS: dict[str, str] = {}
_CANONICAL_UNITS_MAX = 1 << 16


def canonical_polymer_smiles(mol: Chem.Mol) -> str:
    """Canonical SMILES of a molecule, each repeat-unit fragment in its canonical form."""
    frags = Chem.GetMolFrags(mol, asMols=True)
    return ".".join(sorted(Chem.MolToSmiles(canonical_repeat_unit(f)) for f in frags))
