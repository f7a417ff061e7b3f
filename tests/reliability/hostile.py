"""Adversarial molecules and cells shared by the reliability tests and the benchmark.

Each builder returns SMILES text; the largest *accepted* inputs sit just under the caps of
:mod:`spepred.chem.mol` (heavy atoms, rings, attachment points) so that the worst case that
still gets featurized is measured, not a comfortable one.
"""

from __future__ import annotations

from rdkit import Chem


def grid(rows: int, cols: int, *, ends: bool = False) -> str:
    """A ``rows x cols`` square lattice of sp3 carbons: ``(rows-1)*(cols-1)`` fused rings
    (a ladder polymer for ``rows=2``), with two ``*`` ends at opposite corners if asked."""
    rw = Chem.RWMol()
    idx = {}
    for i in range(rows):
        for j in range(cols):
            idx[i, j] = rw.AddAtom(Chem.Atom(6))
    for i in range(rows):
        for j in range(cols):
            if i + 1 < rows:
                rw.AddBond(idx[i, j], idx[i + 1, j], Chem.BondType.SINGLE)
            if j + 1 < cols:
                rw.AddBond(idx[i, j], idx[i, j + 1], Chem.BondType.SINGLE)
    if ends:
        for atom in (idx[0, 0], idx[rows - 1, cols - 1]):
            star = rw.AddAtom(Chem.Atom(0))
            rw.AddBond(atom, star, Chem.BondType.SINGLE)
    return Chem.MolToSmiles(rw.GetMol())


#: Inputs that must be refused with a clear reason, fast (reason fragment expected).
REFUSED: dict[str, tuple[str, str]] = {
    "empty": ("", "empty"),
    "whitespace": ("   \t ", "empty"),
    "nul_byte": ("CC\x00O", "control characters"),
    "unicode_letters": ("CCé", "non-ASCII"),
    "unicode_digits": ("C١CC١", "non-ASCII"),
    "emoji": ("C🧪C", "non-ASCII"),
    "rtl_override": ("CC\u202eOC", "non-ASCII"),
    "huge_string_10k": ("C" * 10_000, "longer than 4000"),
    "huge_string_1M": ("C" * 1_000_000, "longer than 4000"),
    "too_many_heavy_atoms": ("C" * 1500, "more than 1000 heavy atoms"),
    "ladder_polymer_499_rings": (grid(2, 500, ends=True), "more than 100 rings"),
    "fused_grid_576_rings": (grid(25, 25, ends=True), "more than 100 rings"),
    "polyphenylene_160_rings": ("[*]" + "c1ccc(cc1)" * 160 + "[*]", "more than 100 rings"),
    "hundred_attachment_points": ("".join("C([*])" for _ in range(100)), "more than 16 attachment points"),
    "hundred_stars_on_one_atom": ("C(" + ")(".join(["[*]"] * 100) + ")", "more than 16 attachment points"),
    "pentavalent_carbon": ("C(C)(C)(C)(C)C", "Explicit valence"),
    "unclosed_ring": ("C1CC", "unclosed ring"),
    "nested_unclosed_rings": ("".join(f"C{i % 9 + 1}" for i in range(1, 500)), "unclosed ring"),
    "unbalanced_branches": ("C(C(C(C", "extra open parentheses"),
    "deep_unclosed_branches": ("C" + "(C" * 1000, "extra open parentheses"),
    "too_many_components": (".".join(["CCO"] * 40), "at most 32 components"),
    "bad_element": ("[Xx]CC", "syntax error"),
    "bad_aromatic": ("c1cccc1", "kekulize"),
    "garbage": ("}{;'\"\\", "syntax error"),
}

#: The largest inputs that are still accepted: featurization must finish and stay bounded.
ACCEPTED_WORST: dict[str, str] = {
    # 1000 heavy atoms in a repeat unit: descriptors run on its 3000-atom capped trimer
    "repeat_unit_1000_heavy_atoms": "[*]" + "OCC" * 333 + "C[*]",
    "monomer_1000_heavy_atoms": "C=C" + "C" * 998,
    "branched_ether_901_heavy_atoms": "[*]C(" + "COC" * 300 + ")[*]",
    "siloxane_996_heavy_atoms": "[*]" + "[Si](C)(C)O" * 249 + "[*]",
    # 100 fused rings (the ring cap) in a ladder repeat unit
    "ladder_100_rings": grid(2, 101, ends=True),
    "fused_grid_100_rings": grid(11, 11, ends=True),
    "sixteen_attachment_points": "".join("C([*])" for _ in range(16)),
    "deeply_nested_branches": "C" + "(C" * 900 + ")" * 900,
    "exotic_elements": "[U+6].[Pu].[Og].[Ts]",
    "32_components": ".".join(f"C{'C' * i}O" for i in range(32)),
}

#: Crosslinkers with many reactive groups: each group is rewritten into its reacted form.
ACCEPTED_CROSSLINKERS: dict[str, str] = {
    "sixty_isocyanates": "O=C=N" + "CCCCCCCCCC(N=C=O)" * 60 + "CN=C=O",
    "sixty_thiols": "SC" + "CCCCCCCC(S)" * 60 + "CS",
    "forty_epoxides": "C1OC1" + "CCCCCCCC(C2OC2)" * 40,
    "mixed_groups": "O=C=N" + "CC(S)CC(C1OC1)CC(N=C=O)CC(OC(=O)C=C)" * 25,
}
