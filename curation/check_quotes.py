"""Re-check every literature row against the stored text it was curated from.

    python curation/check_quotes.py [data/raw/literature/part_a.csv ...] [--report PATH]

For each row: (1) every fragment of ``quote`` (fragments joined by ``[...]``) must occur in
the saved text of ``url`` (kept by ``save_source.py``; whitespace, dashes, minus signs and
superscripts are normalized), and (2) every label number of the row must be found among the
numbers of the quote, in the column's unit or one the papers use (mS/cm, µS/cm, kPa, GPa,
K, kJ/mol). The report lists every row that fails, and a summary; it is written to
``data/raw/literature/curation_report.md`` when run over all parts. Without the saved texts
(a machine other than the curator's) the quote check is reported as "text not cached" and
only the number check runs.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
import unicodedata
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "src"))
from save_source import source_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIT = ROOT / "data" / "raw" / "literature"

#: label column -> factors from a number as printed in a paper to the column's unit
LABELS: dict[str, tuple[float, ...]] = {
    "sigma_S_cm": (1.0, 1e-3, 1e-6),  # S/cm, mS/cm, µS/cm; a × 10^b is read as one number
    "esw_V": (1.0,),
    "strength_MPa": (1.0, 1e-3, 1e3),
    "modulus_MPa": (1.0, 1e-3, 1e3),
    "elongation_pct": (1.0,),
    "t_li": (1.0, 0.01),
    "ea_eV": (1.0, 1 / 96.485, 1 / 23.06, 1 / 96485),
    "tg_C": (1.0,),
    "sigma_T_C": (1.0,),
    "filler_wt_pct": (1.0,),
    "crosslinker_wt_pct": (1.0,),
    "liquid_wt_pct": (1.0,),
}

_TRANS = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
    "\u00d7": "x", "\u2217": "*", "\u00b7": "x", "\u22c5": "x",
    "\u2070": "0", "\u00b9": "1", "\u00b2": "2", "\u00b3": "3", "\u2074": "4", "\u2075": "5",
    "\u2076": "6", "\u2077": "7", "\u2078": "8", "\u2079": "9", "\u207b": "-", "\u207a": "+",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}


_TAG = re.compile(r"</?(?:sup|sub|i|b|em|strong|span)[^>]*>", re.I)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(str.maketrans(_TRANS))
    return re.sub(r"\s+", " ", text).strip().casefold()


def _squash(text: str) -> str:
    return re.sub(r"[\s]", "", normalize(text))


_NUM = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?")
#: a × 10^b, the mantissa with a decimal point or a decimal comma ("8,37 x 10-4" in Indonesian)
_SCI = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:x|\*|×)\s*10\s*\^?\s*\(?\s*([-+]?\s*\d+)\)?", re.I)
#: a bare power of ten ("higher than 10(-4) S cm(-1)", "exceeding 10 -3 S/cm")
_POW = re.compile(r"(?<![\d.x*])10\s*\^?\s*\(?\s*(-\s*\d+)\)?")
_SCI_E = re.compile(r"(\d+(?:\.\d+)?)\s*e\s*([-+]?\d+)", re.I)


def numbers(text: str) -> set[float]:
    """Every number a quote holds: plain numbers and a × 10^b / aE-b values (HTML sup/sub
    tags, as stored pages often keep them, are read through)."""
    t = normalize(_TAG.sub(" ", text))
    out: set[float] = set()
    for m in _SCI.finditer(t):
        out.add(float(m.group(1).replace(",", ".")) * 10 ** int(m.group(2).replace(" ", "")))
    for m in _POW.finditer(t):
        out.add(10.0 ** int(m.group(1).replace(" ", "")))
    for m in _SCI_E.finditer(t):
        out.add(float(m.group(1)) * 10 ** int(m.group(2)))
    for m in _NUM.finditer(t):
        try:
            out.add(float(m.group(0).replace(",", ".")))
        except ValueError:
            pass
    return out


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=2e-3, abs_tol=1e-12)


def value_in_quote(col: str, value: float, found: set[float]) -> bool:
    if col == "sigma_T_C":
        # a temperature printed in K; a range like 25-80 gives its ends
        return any(_close(value, f) or abs(value - (f - 273.15)) <= 0.6 or abs(value - (f - 273)) <= 0.01
                   for f in found)
    for factor in LABELS[col]:
        if any(_close(value, f * factor) or _close(value, -f * factor) for f in found):
            return True
    return False


def check_rows(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    problems: list[str] = []
    texts: dict[str, str | None] = {}
    for i, row in enumerate(rows, start=2):
        rid = row.get("record_id", f"line {i}")
        url = (row.get("url") or "").strip()
        quote = row.get("quote") or ""
        if not url:
            problems.append(f"{rid}: no url")
        if not quote.strip():
            problems.append(f"{rid}: no quote")
            continue
        if url not in texts:
            p = source_path(url)
            texts[url] = _squash(p.read_text(encoding="utf-8")) if p.exists() else None
        text = texts[url]
        if text is None:
            row["_text"] = "not cached"
        else:
            missing = [frag for frag in re.split(r"\s*\[(?:\.\.\.|…)\]\s*", quote)
                       if frag.strip() and _squash(frag.strip(" .;,")) not in text]
            row["_text"] = "ok" if not missing else "missing"
            for frag in missing:
                problems.append(f"{rid}: quote fragment not in the saved text of {url}: {frag[:90]!r}")
        found = numbers(quote)
        for col in LABELS:
            cell = (row.get(col) or "").strip()
            if not cell:
                continue
            for part in cell.split(";"):
                part = part.strip()
                if not part:
                    continue
                try:
                    v = float(part)
                except ValueError:
                    problems.append(f"{rid}: {col} {part!r} is not a number")
                    continue
                if not value_in_quote(col, v, found):
                    problems.append(f"{rid}: {col} = {part} not found among the quote's numbers")
    return rows, problems


def _with_additions() -> None:
    """Resolve names through the dictionary plus the curators' ``chemicals_*.csv`` additions
    (merged into ``data/raw/review/chemicals.csv`` when the corpus lands)."""
    import spepred.chem.dictionary as dictionary
    import spepred.chem.resolve as resolve

    base = (ROOT / "data" / "raw" / "review" / "chemicals.csv").read_text(encoding="utf-8")
    header = base.splitlines()[0].split(",")
    known = {dictionary.normalize_name(n) for c in dictionary.ChemicalDictionary.from_csv_text(base).chemicals
             for n in (c.name, *c.aliases)}
    extra = []
    for path in sorted(LIT.glob("chemicals_*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                labels = [row.get("name") or ""] + (row.get("aliases") or "").split(";")
                keys = {dictionary.normalize_name(n) for n in labels if n.strip()}
                if dictionary.normalize_name(row.get("name") or "") in known:
                    continue  # already in the dictionary (or added by another part): the first wins
                row["aliases"] = ";".join(a for a in (row.get("aliases") or "").split(";")
                                          if a.strip() and dictionary.normalize_name(a) not in known)
                known |= keys
                extra.append({k: row.get(k, "") or "" for k in header})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header)
    writer.writerows(extra)
    combined = dictionary.ChemicalDictionary.from_csv_text(base.rstrip("\n") + "\n" + buf.getvalue())
    dictionary.load_dictionary = resolve.load_dictionary = lambda: combined  # type: ignore[assignment]
    for fn in (resolve.resolve_salt, resolve.resolve_crosslinkers, resolve.resolve_fillers):
        getattr(fn, "cache_clear", lambda: None)()


def table_problems(path: Path) -> list[str]:
    from spepred.data.literature import literature_problems

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    from spepred.data.literature import LITERATURE_COLUMNS

    if tuple(frame.columns) != LITERATURE_COLUMNS:
        return [f"columns differ from COLUMNS.md: {sorted(set(frame.columns) ^ set(LITERATURE_COLUMNS))} (or order)"]
    return literature_problems(frame)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--report", type=Path, default=None)
    args = ap.parse_args(argv)
    files = args.files or sorted(LIT.glob("part_*.csv"))
    report = args.report or (LIT / "curation_report.md" if not args.files else None)
    lines = ["# Literature corpus: quote check", "",
             "Made by `python curation/check_quotes.py` against the stored texts the rows were",
             "curated from (kept outside the repository).", "",
             "| file | rows | quotes found in text | text not cached | problems |", "|---|---|---|---|---|"]
    all_problems: list[str] = []
    try:
        _with_additions()
    except Exception as err:  # a broken additions file must not hide the quote check
        all_problems.append(f"chemicals_*.csv: {err}")
    for f in files:
        rows, problems = check_rows(f)
        try:
            problems += table_problems(f)
        except Exception as err:
            problems.append(f"table check failed: {err}")
        ok = sum(r.get("_text") == "ok" for r in rows)
        nc = sum(r.get("_text") == "not cached" for r in rows)
        lines.append(f"| {f.name} | {len(rows)} | {ok} | {nc} | {len(problems)} |")
        all_problems += [f"{f.name}: {p}" for p in problems]
    lines += ["", f"{len(all_problems)} problem(s)."] + [f"- {p}" for p in all_problems]
    text = "\n".join(lines) + "\n"
    print(text)
    if report:
        report.write_text(text, encoding="utf-8")
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
