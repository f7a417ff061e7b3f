"""Merge the curators' chemical additions into the chemical dictionary.

    python curation/merge_chemicals.py            # writes data/raw/review/chemicals.csv
    python curation/merge_chemicals.py --check    # only says what it would add

Each ``data/raw/literature/chemicals_<part>.csv`` row is added unless its name (or an alias)
is already known: the dictionary, then the earlier parts, win. Aliases that already name
another chemical are dropped from the added row. Liquids (roles solvent, plasticizer,
ionic_liquid) without a ``liquid_class`` get one from their structure; every added SMILES
must parse. The merged table is validated by loading it as a dictionary before it is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from rdkit import Chem

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from spepred.chem.dictionary import (  # noqa: E402
    LIQUID_CLASSES,
    LIQUID_ROLES,
    ChemicalDictionary,
    normalize_name,
)

DICTIONARY = ROOT / "data" / "raw" / "review" / "chemicals.csv"
LIT = ROOT / "data" / "raw" / "literature"

_LIQUID_SMARTS = {
    k: Chem.MolFromSmarts(v)
    for k, v in {
        "carbonate": "O=C(O)O", "nitrile": "C#N", "sulfone": "[#6]S(=O)(=O)[#6]",
        "amide": "C(=O)N", "ester": "[#6]C(=O)O[#6]", "ether": "[#6][OX2][#6]",
    }.items()
}


def liquid_class(smiles: str) -> str:
    """The class of a liquid from its structure (``unspecified`` without one)."""
    if not smiles:
        return "unspecified"
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return "other"
    if any(a.GetFormalCharge() for a in mol.GetAtoms()):
        return "ionic_liquid"
    for key, patt in _LIQUID_SMARTS.items():
        if mol.HasSubstructMatch(patt):
            return key
    return "other"


def merge() -> tuple[str, list[str]]:
    text = DICTIONARY.read_text(encoding="utf-8")
    base = list(csv.DictReader(io.StringIO(text)))
    fields = list(base[0])
    known = {normalize_name(n) for r in base for n in [r["name"], *r["aliases"].split(";")] if n.strip()}
    added, log = [], []
    for path in sorted(LIT.glob("chemicals_*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                name = (row.get("name") or "").strip()
                if not name or normalize_name(name) in known:
                    log.append(f"{path.name}: {name!r} already known, not added")
                    continue
                row = {k: (row.get(k) or "").strip() for k in fields}
                aliases = [a.strip() for a in row["aliases"].split(";") if a.strip()]
                kept = [a for a in aliases if normalize_name(a) not in known and normalize_name(a) != normalize_name(name)]
                clash = sorted(a for a in aliases if normalize_name(a) in known)
                if clash:
                    log.append(f"{path.name}: {name!r}: aliases {clash} already name another chemical, dropped")
                row["aliases"] = ";".join(dict.fromkeys(kept))
                if row["smiles"] and Chem.MolFromSmiles(row["smiles"]) is None:
                    raise SystemExit(f"{path.name}: {name!r}: SMILES {row['smiles']!r} does not parse")
                roles = set(filter(None, row["role"].split(";")))
                if roles & set(LIQUID_ROLES):
                    if row["liquid_class"] not in LIQUID_CLASSES:
                        row["liquid_class"] = liquid_class(row["smiles"])
                else:
                    row["liquid_class"] = ""
                if "not in review" not in row["notes"]:
                    row["notes"] = (f"not in review; added for the literature corpus ({path.stem}). " + row["notes"]).strip()
                known |= {normalize_name(n) for n in [name, *kept]}
                added.append(row)
                log.append(f"{path.name}: added {name!r}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(base + added)
    merged = out.getvalue()
    ChemicalDictionary.from_csv_text(merged)  # raises on a clash or an unknown role
    return merged, log


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="say what would be added; write nothing")
    args = ap.parse_args(argv)
    merged, log = merge()
    print("\n".join(log))
    n = sum(1 for line in log if ": added " in line)
    if not args.check:
        DICTIONARY.write_text(merged, encoding="utf-8", newline="")
        print(f"{n} chemical(s) added to {DICTIONARY.relative_to(ROOT)}")
    else:
        print(f"{n} chemical(s) would be added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
