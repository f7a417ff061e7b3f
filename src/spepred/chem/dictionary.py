"""The chemical dictionary: names chemists type (``PETEA``, ``LiTFSI``, ``UiO-66-NH2``) to
structures and roles.

The table is ``data/raw/review/chemicals.csv``, shipped inside the package
(``spepred/resources/chemicals.csv``) so that an installed spepred resolves names.
Lookups are case-insensitive and ignore spaces, hyphens, underscores and subscript digits;
near misses get a did-you-mean suggestion.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from spepred.errors import InvalidSmilesError, SpepredError, UnknownChemicalError

ROLES = frozenset(
    {
        "monomer",
        "polymer",
        "crosslinker",
        "chain_extender",
        "salt",
        "plasticizer",
        "solvent",
        "ionic_liquid",
        "filler",
        "additive",
        "initiator",
    }
)
FILLER_CLASSES = (
    "oxide",
    "ceramic_conductor",
    "mof",
    "poss",
    "metal_oxo_cluster",
    "cof",
    "fiber",
    "other",
)
CROSSLINK_TYPES = (
    "h_bond",
    "metal_coordination",
    "mechanical_interlock",
    "small_molecule",
    "inorganic_particle",
    "organic_inorganic_hybrid",
    "macromolecular",
    "biomass",
)
PHYSICAL_TYPES = frozenset({"h_bond", "metal_coordination", "mechanical_interlock"})
#: Classes of the liquid components (solvents, plasticizers, ionic liquids) of gels.
LIQUID_CLASSES = (
    "carbonate",
    "ether",
    "nitrile",
    "ester",
    "sulfone",
    "amide",
    "ionic_liquid",
    "other",
    "unspecified",  # a liquid electrolyte the source does not name
)
LIQUID_ROLES = ("solvent", "plasticizer", "ionic_liquid")

#: Lowest similarity a did-you-mean candidate can have and still be listed (0.6 - 0.02).
_SCREEN = 0.58

_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789012345678" + "9+-")


def normalize_name(name: str) -> str:
    """The lookup key of a name: case-folded, without spaces, hyphens and underscores."""
    key = name.translate(_SUBSCRIPTS).casefold()
    for ch in " -_\t":
        key = key.replace(ch, "")
    return key


@dataclass(frozen=True)
class Chemical:
    """One row of the chemical dictionary."""

    name: str
    aliases: tuple[str, ...]
    full_name: str
    smiles: str
    roles: frozenset[str]
    reactive_group: str
    functionality: float | None
    crosslink_type: str
    filler_class: str
    mw_g_mol: float | None
    liquid_class: str = ""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def _float_or_none(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


class ChemicalDictionary:
    """Name -> :class:`Chemical` lookup with did-you-mean for near misses."""

    def __init__(self, chemicals: Iterable[Chemical]) -> None:
        self.chemicals: tuple[Chemical, ...] = tuple(chemicals)
        self._by_key: dict[str, Chemical] = {}
        for chem in self.chemicals:
            for label in (chem.name, *chem.aliases):
                key = normalize_name(label)
                other = self._by_key.get(key)
                if other is not None and other is not chem:
                    raise SpepredError(
                        f"chemical dictionary: {label!r} names both {other.name!r} and "
                        f"{chem.name!r}"
                    )
                self._by_key[key] = chem

    @classmethod
    def from_csv_text(cls, text: str) -> ChemicalDictionary:
        rows = csv.DictReader(io.StringIO(text))
        chems = []
        for i, row in enumerate(rows, start=2):
            roles = frozenset(r.strip() for r in (row.get("role") or "").split(";") if r.strip())
            unknown = roles - ROLES
            if unknown:
                raise SpepredError(f"chemicals.csv line {i}: unknown role(s) {sorted(unknown)}")
            chems.append(
                Chemical(
                    name=row["name"].strip(),
                    aliases=tuple(
                        a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()
                    ),
                    full_name=(row.get("full_name") or "").strip(),
                    smiles=(row.get("smiles") or "").strip(),
                    roles=roles,
                    reactive_group=(row.get("reactive_group") or "").strip() or "none",
                    functionality=_float_or_none(row.get("functionality", "")),
                    crosslink_type=(row.get("crosslink_type") or "").strip(),
                    filler_class=(row.get("filler_class") or "").strip(),
                    mw_g_mol=_float_or_none(row.get("mw_g_mol", "")),
                    liquid_class=(row.get("liquid_class") or "").strip(),
                )
            )
        return cls(chems)

    def __len__(self) -> int:
        return len(self.chemicals)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._by_key

    def get(self, name: str) -> Chemical | None:
        """The chemical called ``name`` (or an alias of it), or ``None``."""
        return self._by_key.get(normalize_name(name))

    def suggestions(self, name: str, roles: Iterable[str] = ()) -> list[str]:
        """Close names for a near miss, best first, restricted to ``roles`` if given."""
        roles = tuple(roles)
        pool: dict[str, str] = {}
        for chem in self.chemicals:
            if roles and not chem.has_role(*roles):
                continue
            for label in (chem.name, *chem.aliases):
                pool.setdefault(normalize_name(label), chem.name)
        key = normalize_name(name)
        # ratio() is quadratic in the length of the input: screen with its cheap upper
        # bounds first (a 5,000-character SMILES would otherwise cost seconds). Anything
        # that could still be listed (within 0.02 of a best score >= 0.6) passes the screen.
        matcher = difflib.SequenceMatcher(None)
        matcher.set_seq1(key)
        scored = []
        for k, v in pool.items():
            matcher.set_seq2(k)
            if matcher.real_quick_ratio() >= _SCREEN and matcher.quick_ratio() >= _SCREEN:
                scored.append((matcher.ratio(), v))
        scored.sort(reverse=True)
        if not scored or scored[0][0] < 0.6:
            return []
        best = scored[0][0]
        out: list[str] = []
        for score, label in scored:
            if score < best - 0.02 or len(out) == 3:
                break
            if label not in out:
                out.append(label)
        return out

    def lookup(self, name: str, *, role: str, roles: Iterable[str] = ()) -> Chemical:
        """The chemical called ``name``; raise :class:`UnknownChemicalError` with
        suggestions (drawn from ``roles``) when there is none."""
        chem = self.get(name)
        if chem is None:
            raise UnknownChemicalError(name, role=role, suggestions=self.suggestions(name, roles))
        return chem

    def to_records(self) -> list[dict[str, object]]:
        """The dictionary as JSON-ready records (for ``GET /chemicals``)."""
        return [
            {
                "name": c.name,
                "aliases": list(c.aliases),
                "full_name": c.full_name,
                "smiles": c.smiles,
                "roles": sorted(c.roles),
                "reactive_group": c.reactive_group,
                "functionality": c.functionality,
                "crosslink_type": c.crosslink_type,
                "filler_class": c.filler_class,
                "mw_g_mol": c.mw_g_mol,
                "liquid_class": c.liquid_class,
            }
            for c in self.chemicals
        ]


@lru_cache(maxsize=1)
def load_dictionary() -> ChemicalDictionary:
    """The dictionary shipped with the package."""
    text = resources.files("spepred.resources").joinpath("chemicals.csv").read_text("utf-8")
    return ChemicalDictionary.from_csv_text(text)


__all__ = [
    "CROSSLINK_TYPES",
    "FILLER_CLASSES",
    "LIQUID_CLASSES",
    "LIQUID_ROLES",
    "PHYSICAL_TYPES",
    "Chemical",
    "ChemicalDictionary",
    "InvalidSmilesError",
    "load_dictionary",
    "normalize_name",
]
