"""Physics sanity table: the shipped bundle on reference systems, beside their literature values.

Each reference system is a formulation spepred is asked about and, where the curated data
hold one, the measured value of a comparable system with its source and a short quote
taken from the curated files (``data/raw/literature/part_*.csv``,
``data/raw/review/records.csv``, ``data/raw/review/linear_references.csv``; nothing is
typed in here). Where no curated row matches, the table says "no curated value".

Then the three directions chemists rely on, as PASS/FAIL for the bundle under test:
adding a carbonate liquid raises σ at 25 °C by at least a decade; PEO's window stays below
4.3 V; a dry PEGDA network is stiffer than its gel. ``tests/models/test_sanity.py`` asserts
them for a bundle trained with the default configuration on the default data (or the one
``SPEPRED_SANITY_BUNDLE`` names).

Run: python benchmarks/sanity.py [--model models/default]
"""

from __future__ import annotations

import glob
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from _bench import ROOT, finish, header, parser

REVIEW_DOI = "10.1016/j.revmat.2025.100013"
EO_G_MOL = 44.053  # C2H4O, one ethylene oxide unit
#: EO:Li 20 as mol LiTFSI per kg PEO
EO20_MOL_KG = 1000.0 / (20 * EO_G_MOL)

PEO20 = {"monomer_smiles": "PEO", "salt": "LiTFSI", "salt_molality_mol_kg": round(EO20_MOL_KG, 3)}
PEGDA_DRY = {"monomer_smiles": "PEGDA", "crosslinker": "PEGDA", "salt": "LiTFSI", "salt_molality_mol_kg": 1.0}
# 1 M LiPF6 in EC/DEC soaked into the same network: the liquid is only the plasticized flag
# to today's featurizer, and its salt per kg polymer is not defined (left empty)
PEGDA_GEL = {"monomer_smiles": "PEGDA", "crosslinker": "PEGDA", "salt": "LiPF6", "plasticized": True}
PROPS = {"sigma": "log10_sigma_S_cm", "esw": "esw_V", "strength": "strength_MPa"}


@dataclass(frozen=True)
class Reference:
    """One reference system, one property; ``cite`` points into the curated files:
    ``("literature"|"review", record_id, needle)`` or ``("linear", system, property)``."""

    system: str
    prop: str
    formulation: dict = field(default_factory=dict)
    cite: tuple | None = None
    note: str = ""


REFERENCES = (
    Reference("PEO/LiTFSI, EO:Li 20, 25 °C", "sigma", {**PEO20, "temperature_C": 25.0},
              ("linear", "linear PEO", "sigma_S_cm"), "the review's range for linear PEO at room temperature, salt not named"),
    Reference("PEO/LiTFSI, EO:Li 20, 60 °C", "sigma", {**PEO20, "temperature_C": 60.0},
              ("linear", "PEO-alkali metal salt complex (Armand et al., 1979)", "sigma_S_cm"), "Armand 1979, 40-60 °C, salt not named"),
    Reference("PEO/LiTFSI, EO:Li 20", "esw", {**PEO20, "temperature_C": 25.0},
              ("linear", "PEO-based SPEs", "esw_V"), "oxidation onset"),
    Reference("PEO/LiTFSI film, EO:Li 20", "strength", {**PEO20, "temperature_C": 25.0}, None),
    Reference("PVDF-HFP gel, LiTFSI in EC/DEC (80 wt% solution)", "sigma",
              {"monomer_smiles": "PVDF-HFP", "salt": "LiTFSI", "plasticized": True, "temperature_C": 25.0},
              ("literature", "lit-c-055", "10(-2)"), "temperature not stated; an order of magnitude"),
    Reference("dry PEGDA network, LiTFSI 1 mol/kg", "sigma", {**PEGDA_DRY, "temperature_C": 25.0}, None),
    Reference("dry PEGDA network, LiTFSI 1 mol/kg", "strength", {**PEGDA_DRY, "temperature_C": 25.0}, None),
    Reference("PEGDA network + 1 M LiPF6 in EC/DEC", "sigma", {**PEGDA_GEL, "temperature_C": 25.0}, None),
    Reference("PEGDA network + 1 M LiPF6 in EC/DEC", "esw", {**PEGDA_GEL, "temperature_C": 25.0},
              ("literature", "lit-a-060", "4.5 V"), "PEGDA gel with 1 M LiClO4 in EC:DEC or EC:PC (not LiPF6)"),
    Reference("PEGDA network + 1 M LiPF6 in EC/DEC", "strength", {**PEGDA_GEL, "temperature_C": 25.0}, None),
    Reference("PEO/LiTFSI + 10 wt% LLZTO, 25 °C", "sigma",
              {**PEO20, "filler": "LLZTO", "filler_wt_pct": 10.0, "temperature_C": 25.0},
              ("literature", "lit-b-001", "S cm"), "PEO/LLZTO; loading and salt not stated in the excerpt"),
    Reference("PEO/LiTFSI + 10 wt% LLZTO", "esw", {**PEO20, "filler": "LLZTO", "filler_wt_pct": 10.0, "temperature_C": 25.0},
              ("literature", "lit-b-001", "5.24"), "same row"),
    Reference("succinonitrile-plasticized PUA network, 25 °C", "sigma",
              {"monomer_smiles": "PUA", "crosslinker": "PUA", "salt": "LiTFSI", "plasticized": True, "temperature_C": 25.0},
              ("literature", "lit-a-014", "1.63"), "salt not named in the abstract (LiTFSI asked)"),
    Reference("succinonitrile-plasticized PUA network", "strength",
              {"monomer_smiles": "PUA", "crosslinker": "PUA", "salt": "LiTFSI", "plasticized": True, "temperature_C": 25.0},
              ("literature", "lit-a-014", "6.5 MPa"), "same row"),
)


def _quote(text: str, needle: str, width: int = 170) -> str:
    """The ``[...]``-separated fragment of a curated quote that holds ``needle``, shortened."""
    text = re.sub(r"\s+", " ", str(text).replace("-\n", "").replace("\n", ""))
    frags = [f.strip() for f in text.split("[...]")]
    frag = next((f for f in frags if needle in f), frags[0])
    if len(frag) > width:
        at = max(frag.find(needle), 0)
        start = max(0, min(at - width // 2, len(frag) - width))
        frag = ("…" if start else "") + frag[start : start + width] + "…"
    return f'"{frag}"'


def curated(ref: Reference, lit: pd.DataFrame, review: pd.DataFrame, linear: pd.DataFrame) -> dict:
    """The literature value of ``ref`` (model space: log10 for σ and strength) and its source."""
    if ref.cite is None:
        return {"value": math.nan, "shown": "no curated value", "source": "", "quote": ""}
    kind, key, needle = ref.cite
    if kind == "linear":
        row = linear[(linear["system"] == key) & (linear["property"] == needle)].iloc[0]
        lo, hi = float(row["value_low"]) if pd.notna(row["value_low"]) else math.nan, float(row["value_high"])
        t_lo, t_hi = row["T_C_low"], row["T_C_high"]
        t = "" if pd.isna(t_lo) else f" at {t_lo:g} °C" if t_lo == t_hi else f" at {t_lo:g}-{t_hi:g} °C"
        if needle == "sigma_S_cm":
            value = (math.log10(lo) + math.log10(hi)) / 2  # a range: the error is to its middle
            shown = f"{lo:.0e} to {hi:.0e} S/cm{t}" if lo != hi else f"{lo:.0e} S/cm{t}"
        else:
            value, shown = hi, f"{hi:g} V"
        ref_no = f"[{int(row['ref'])}] " if pd.notna(row["ref"]) else ""
        return {"value": value, "shown": shown, "source": f"review {ref_no}doi:{REVIEW_DOI}",
                "quote": _quote(row["quote"], needle="10" if needle == "sigma_S_cm" else "V")}
    table = lit if kind == "literature" else review
    row = table.loc[key]
    col = {"sigma": "sigma_S_cm", "esw": "esw_V", "strength": "strength_MPa"}[ref.prop]
    v = float(row[col])
    if ref.prop == "sigma":
        t = row["sigma_T_C"]
        shown = f"{v:.3g} S/cm" + (f" at {t:g} °C" if pd.notna(t) else " (T not stated)")
        value = math.log10(v)
    elif ref.prop == "strength":
        shown, value = f"{v:g} MPa", math.log10(v)
    else:
        shown, value = f"{v:g} V", v
    where = f"doi:{row['doi']}" if kind == "literature" and pd.notna(row.get("doi")) else (row.get("url") or "")
    if kind == "review":
        where = f"review [{row['ref']}] doi:{REVIEW_DOI}"
    return {"value": value, "shown": shown, "source": f"{key} {where}", "quote": _quote(row["quote"], needle)}


def load_curated() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    raw = ROOT / "data" / "raw"
    lit = pd.concat([pd.read_csv(p) for p in sorted(glob.glob(str(raw / "literature" / "part_*.csv")))])
    review = pd.read_csv(raw / "review" / "records.csv")
    linear = pd.read_csv(raw / "review" / "linear_references.csv")
    return lit.set_index("record_id"), review.set_index("record_id"), linear


def _predict(predictor, formulation: dict) -> pd.Series:
    return predictor.predict(pd.DataFrame([formulation])).iloc[0]


def shown_prediction(out: pd.Series, prop: str) -> tuple[float, str]:
    """Model-space value and a readable string with the 90 % interval."""
    label = PROPS[prop]
    v, lo, hi = (float(out[f"{label}_{s}"]) for s in ("pred", "lo", "hi"))
    if prop == "sigma":
        return v, f"{10**v:.2g} S/cm [{10**lo:.1g}, {10**hi:.1g}]"
    if prop == "strength":
        return math.log10(v), f"{v:.3g} MPa [{lo:.2g}, {hi:.2g}]"
    return v, f"{v:.2f} V [{lo:.2f}, {hi:.2f}]"


def directions(predictor) -> list[dict]:
    """The three pinned directions, each with its numbers and PASS/FAIL."""
    dry = _predict(predictor, {**PEGDA_DRY, "temperature_C": 25.0})
    gel = _predict(predictor, {**PEGDA_GEL, "temperature_C": 25.0})
    # the same network, same salt and amount, only the liquid added: what the liquid alone does
    dry_pf6 = _predict(predictor, {**PEGDA_DRY, "salt": "LiPF6", "temperature_C": 25.0})
    wet_pf6 = _predict(predictor, {**PEGDA_DRY, "salt": "LiPF6", "plasticized": True, "temperature_C": 25.0})
    peo = _predict(predictor, {**PEO20, "temperature_C": 25.0})
    s = "log10_sigma_S_cm_pred"
    d_ref, d_pure = float(gel[s] - dry[s]), float(wet_pf6[s] - dry_pf6[s])
    return [
        {"key": "carbonate_liquid_raises_sigma",
         "direction": "carbonate liquid raises σ at 25 °C by >= 1 decade (dry PEGDA/LiTFSI -> + 1 M LiPF6 EC/DEC)",
         "value": d_ref, "shown": f"Δlog10 σ = {d_ref:+.2f}", "pass": d_ref >= 1.0},
        {"key": "liquid_alone_raises_sigma",
         "direction": "  same, only the liquid changes (PEGDA, LiPF6 1 mol/kg, dry -> plasticized)",
         "value": d_pure, "shown": f"Δlog10 σ = {d_pure:+.2f}", "pass": d_pure >= 1.0},
        {"key": "peo_window_below_4_3_V",
         "direction": "PEO/LiTFSI (EO:Li 20) window < 4.3 V", "value": float(peo["esw_V_pred"]),
         "shown": f"{float(peo['esw_V_pred']):.2f} V", "pass": float(peo["esw_V_pred"]) < 4.3},
        {"key": "dry_network_stiffer_than_gel",
         "direction": "dry PEGDA network stiffer than its gel", "value": float(dry["strength_MPa_pred"] - gel["strength_MPa_pred"]),
         "shown": f"{float(dry['strength_MPa_pred']):.3g} vs {float(gel['strength_MPa_pred']):.3g} MPa",
         "pass": float(dry["strength_MPa_pred"]) > float(gel["strength_MPa_pred"])},
    ]


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "default", help="bundle to check (read only)")
    args = ap.parse_args()

    from evaluation import format_table
    from spepred.models.predictor import Predictor

    predictor = Predictor.load(args.model)
    lit, review, linear = load_curated()
    rows, quotes, metrics = [], [], {}
    for i, ref in enumerate(REFERENCES, 1):
        out = _predict(predictor, ref.formulation)
        value, shown = shown_prediction(out, ref.prop)
        cur = curated(ref, lit, review, linear)
        err = value - cur["value"] if not math.isnan(cur["value"]) else math.nan
        rows.append({"#": i, "system": ref.system, "property": ref.prop, "spepred (90 % interval)": shown,
                     "literature": cur["shown"], "error": err, "in domain": bool(out["in_domain"])})
        if cur["source"]:
            quotes.append(f"[{i}] {cur['source']}; {ref.note}: {cur['quote']}")
        metrics[f"ref{i}.{ref.prop}.pred"] = value
    dirs = directions(predictor)
    for j, d in enumerate(dirs):
        metrics[f"direction{j}.pass"] = float(d["pass"])
    model = args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model
    text = "\n".join(
        [
            header("sanity"),
            f"{model} (model_version {predictor.model_version}) on reference systems. "
            "σ in S/cm (error in log10 units), window in V, strength in MPa (error in log10 units; to the middle of a stated range). "
            f"EO:Li 20 is {PEO20['salt_molality_mol_kg']} mol/kg.",
            "",
            format_table(pd.DataFrame(rows), floatfmt="{:+.2f}"),
            "",
            "Sources (quotes from the curated rows):",
            *quotes,
            "",
            "Directions:",
            *[f"{'PASS' if d['pass'] else 'FAIL'}  {d['direction']}: {d['shown']}" for d in dirs],
        ]
    )
    finish("sanity", text, args, params={"model": str(model)}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
