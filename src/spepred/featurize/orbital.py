"""Frontier-orbital descriptors for the electrochemical window: GFN2-xTB (``tblite``) HOMO,
LUMO and gap of each organic component, on a deterministic RDKit 3D conformer of the capped
oligomer / reacted crosslinker / anion.

Optional: needs the ``xtb`` extra (``pip install spepred[xtb]``). Results are cached on
disk by canonical SMILES (``$SPEPRED_CACHE_DIR/xtb``); a molecule that cannot be computed
(too large, no conformer, SCF failure) gets NaN, cached too, and never stops a batch.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from spepred.cache import JsonCache, default_cache_root
from spepred.chem.mol import parse_smiles
from spepred.chem.polymer import embed_3d, xtb_ready
from spepred.chem.resolve import resolve_crosslinkers, resolve_matrix, resolve_salt
from spepred.errors import SpepredError
from spepred.featurize.blocks import KeyedBlock

log = logging.getLogger(__name__)

HARTREE_EV = 27.211386245988
BOHR_ANGSTROM = 0.529177210903
XTB_CACHE_VERSION = "gfn2-v1"


def xtb_available() -> bool:
    try:
        import tblite.interface  # noqa: F401
    except ImportError:
        return False
    return True


def _compute(smiles: str) -> dict:
    from tblite.interface import Calculator

    mol = xtb_ready(parse_smiles(smiles))
    if mol is None:
        return {"homo_eV": None, "lumo_eV": None, "status": "skipped: ion or too large"}
    geom = embed_3d(mol)
    if geom is None:
        return {"homo_eV": None, "lumo_eV": None, "status": "skipped: no 3D conformer"}
    nums, pos, charge, unpaired = geom
    calc = Calculator("GFN2-xTB", nums, pos / BOHR_ANGSTROM, charge=float(charge), uhf=int(unpaired))
    calc.set("verbosity", 0)
    calc.set("max-iter", 250)
    try:
        res = calc.singlepoint()
    except RuntimeError as err:  # SCF did not converge
        return {"homo_eV": None, "lumo_eV": None, "status": f"failed: {err}"}
    energies = np.asarray(res.get("orbital-energies")) * HARTREE_EV
    occ = np.asarray(res.get("orbital-occupations"))
    occupied, virtual = energies[occ > 1e-3], energies[occ <= 1e-3]
    if not len(occupied) or not len(virtual):
        return {"homo_eV": None, "lumo_eV": None, "status": "failed: no HOMO/LUMO"}
    return {"homo_eV": float(occupied.max()), "lumo_eV": float(virtual.min()), "status": "ok"}


@lru_cache(maxsize=65536)
def frontier_orbitals(smiles: str) -> tuple[float, float]:
    """(HOMO, LUMO) in eV of one canonical SMILES, from the disk cache or GFN2-xTB."""
    cache = JsonCache(default_cache_root() / "xtb" / XTB_CACHE_VERSION)
    entry = cache.get(smiles)
    if entry is None:
        entry = _compute(smiles)
        cache.put(smiles, entry)
    homo, lumo = entry.get("homo_eV"), entry.get("lumo_eV")
    return (math.nan if homo is None else homo, math.nan if lumo is None else lumo)


class OrbitalBlock(KeyedBlock):
    """HOMO/LUMO/gap of matrix (max HOMO, min LUMO over components), reacted crosslinker,
    salt anion, and of the whole formulation (the weakest link sets the window)."""

    name = "orbital"
    key_columns = ("monomer_smiles", "crosslinker", "salt")

    def __init__(self, config) -> None:
        super().__init__(config)
        if not xtb_available():
            raise SpepredError(
                "the orbital feature block needs tblite: pip install 'spepred[xtb]'"
            )

    def _names(self) -> Sequence[str]:
        return [
            "matrix_homo_eV",
            "matrix_lumo_eV",
            "crosslinker_homo_eV",
            "crosslinker_lumo_eV",
            "anion_homo_eV",
            "max_homo_eV",
            "min_lumo_eV",
            "gap_eV",
        ]

    def compute(self, monomer_smiles: str, crosslinker: str, salt: str) -> np.ndarray:
        m = [frontier_orbitals(c.smiles) for c in resolve_matrix(monomer_smiles)]
        x = [
            frontier_orbitals(c.reacted_smiles)
            for c in resolve_crosslinkers(crosslinker)
            if c.reacted_smiles
        ]
        s = resolve_salt(salt)
        a = frontier_orbitals(s.anion_smiles) if s is not None and s.anion_smiles else (math.nan, math.nan)

        def top(vals: list[float], fn) -> float:
            vals = [v for v in vals if not math.isnan(v)]
            return fn(vals) if vals else math.nan

        m_h, m_l = top([h for h, _ in m], max), top([lu for _, lu in m], min)
        x_h, x_l = top([h for h, _ in x], max), top([lu for _, lu in x], min)
        max_homo = top([m_h, x_h, a[0]], max)
        min_lumo = top([m_l, x_l], min)
        return np.array(
            [m_h, m_l, x_h, x_l, a[0], max_homo, min_lumo, min_lumo - max_homo],
            dtype=np.float32,
        )


__all__ = ["OrbitalBlock", "frontier_orbitals", "xtb_available"]
