"""Labels stated as bounds, used as a check: does a model's prediction respect them?

A value a paper states as "above 4.5 V" or "up to 10⁻³ S/cm" is a bound, never a point
label (the converters keep it out of training, see ``docs/data.md``). It still says
something a model must not contradict: a predicted window of 4.0 V for a system stated
"> 4.5 V" is wrong by at least 0.5 V whatever its true value. This benchmark collects every
label of the review records and the literature corpus whose ``bounds`` cell says ``col>``
or ``col<`` (``col~``, "about", is a point with an honest tolerance and trains as one),
asks the bundle for the same formulation (at the stated σ temperature; rows without a
stated σ temperature are skipped for σ), and reports per property how many predictions
satisfy the bound, and by how far the others miss it. Beside it: the same check for
predicting the mean of the bundle's own training labels (the constant-guess baseline), so
that "respects 80 % of the bounds" can be read against what a constant does.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/bounds_check.py [--model models/default]
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from _bench import ROOT, finish, header, parser

#: raw bounded column -> (prediction column, value -> model space, unit of the misses)
PROPERTIES = {
    "sigma_S_cm": ("log10_sigma_S_cm_pred", math.log10, "log10(S/cm)", "log10_sigma_S_cm"),
    "esw_V": ("esw_V_pred", float, "V", "esw_V"),
    "strength_MPa": ("strength_MPa_pred", math.log10, "log10(MPa)", "strength_MPa"),
}
_BOUND = re.compile(r"^(?P<col>[a-zA-Z_]+)(?P<op>[<>])$")
#: formulation columns handed to the predictor (the liquid columns where it knows them)
FORMULATION = (
    "monomer_smiles", "crosslinker", "crosslink_type", "filler", "filler_wt_pct", "salt",
    "salt_molality_mol_kg", "mw_g_mol", "plasticized", "liquids", "liquid_wt_pct",
    "crosslinker_wt_pct",
)


def bounded_labels() -> pd.DataFrame:
    """One row per bounded label: record, property, ``>``/``<``, the stated value (its
    column's unit) and the σ temperature, with the formulation row the converters make."""
    from spepred.data.converters import convert_review, read_review_records
    from spepred.data.literature import convert_literature, read_literature

    out = []
    for raw in (read_review_records(), read_literature()):
        raw = raw.astype(object).where(raw.notna(), "").astype(str)
        table = (convert_review(raw) if "ref" in raw.columns else convert_literature(raw))[0]
        by_id = table.set_index("record_id")
        for rec in raw.to_dict("records"):
            for spec in (s.strip() for s in rec.get("bounds", "").split(";") if s.strip()):
                m = _BOUND.match(spec)
                if not m or m["col"] not in PROPERTIES or rec["record_id"] not in by_id.index:
                    continue
                try:
                    value = float(rec[m["col"]])
                except ValueError:
                    continue
                temp = rec.get("sigma_T_C", "")
                if m["col"] == "sigma_S_cm":
                    try:
                        temp = float(temp)
                    except ValueError:
                        continue  # σ bound without its temperature: nothing to compare with
                else:
                    temp = 25.0
                row = by_id.loc[rec["record_id"]]
                form = {c: row[c] for c in FORMULATION if c in row.index}
                out.append({"record_id": rec["record_id"], "property": m["col"], "op": m["op"],
                            "value": value, "temperature_C": temp, **form})
    return pd.DataFrame(out)


def check(bounds: pd.DataFrame, predicted: np.ndarray, prop: str) -> dict:
    """Share of the predictions on the right side of their bound, and the misses' size."""
    to_space = PROPERTIES[prop][1]
    stated = np.array([to_space(v) if v > 0 or to_space is float else np.nan for v in bounds["value"]])
    above = bounds["op"].to_numpy() == ">"
    ok = np.isfinite(predicted)
    gap = np.where(above, stated - predicted, predicted - stated)  # > 0: bound violated
    held = (gap <= 0) & ok
    miss = gap[(gap > 0) & ok]
    return {
        "n": int(ok.sum()),
        "held": int(held.sum()),
        "share": float(held.sum() / ok.sum()) if ok.any() else math.nan,
        "median_miss": float(np.median(miss)) if len(miss) else 0.0,
    }


def training_means(predictor) -> dict[str, float]:
    """Mean training label per property (strength: of log10 MPa, then back to MPa), from the
    sources the bundle says it was trained on."""
    from spepred.data.build import build_formulations

    sources = tuple(predictor.info()["rows_per_source"])
    table, _card = build_formulations(sources, download=False)
    out = {}
    for _prop, (_col, _to, _unit, label) in PROPERTIES.items():
        values = pd.to_numeric(table[label], errors="coerce").dropna()
        if label == "strength_MPa":
            values = values[values > 0]
            out[label] = float(10 ** np.log10(values).mean()) if len(values) else None
        else:
            out[label] = float(values.mean()) if len(values) else None
    return out


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "default", help="the bundle under test")
    args = ap.parse_args()

    from spepred.api import load_predictor

    predictor = load_predictor(args.model)
    bounds = bounded_labels()
    shown = args.model.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    lines = [header("bounds_check"),
             f"Bundle {shown} (model {predictor.model_version}); labels stated as bounds in the "
             "review records and the literature corpus (never training labels).",
             "held = predictions on the right side of the stated bound; median miss = how far the "
             "others are on the wrong side; mean = the bundle's training-label mean as a constant guess.",
             ""]
    head = f"{'property':<14} {'unit':<12} {'bounds':>6} {'> / <':>7} {'held model':>11} {'share':>6} {'median miss':>12} {'held mean':>10} {'share':>6}"
    lines += [head, "-" * len(head)]
    metrics = {}
    label_means = training_means(predictor)
    for prop, (pred_col, _to, unit, label) in PROPERTIES.items():
        sub = bounds[bounds["property"] == prop].reset_index(drop=True)
        if sub.empty:
            lines.append(f"{prop:<14} {unit:<12} {0:>6}")
            continue
        cols = [c for c in FORMULATION if c in sub.columns]
        table = sub[[*cols, "temperature_C"]]
        preds = predictor.predict(table)
        got = pd.to_numeric(preds[pred_col], errors="coerce").to_numpy(float)
        if prop == "strength_MPa":
            got = np.log10(np.where(got > 0, got, np.nan))
        res = check(sub, got, prop)
        mean = label_means.get(label)
        if mean is not None and prop == "strength_MPa":
            mean = math.log10(mean) if mean > 0 else math.nan
        res_mean = check(sub, np.full(len(sub), np.nan if mean is None else mean), prop)
        n_gt = int((sub["op"] == ">").sum())
        lines.append(
            f"{prop:<14} {unit:<12} {len(sub):>6} {f'{n_gt}/{len(sub) - n_gt}':>7} {res['held']:>11} "
            f"{res['share']:>6.2f} {res['median_miss']:>12.3f} "
            f"{res_mean['held'] if mean is not None else '-':>10} "
            f"{res_mean['share'] if mean is not None else math.nan:>6.2f}"
        )
        metrics[f"{prop}_bounds_held_share"] = res["share"]
    text = "\n".join(lines)
    finish("bounds_check", text, args, params={"model": str(args.model)}, metrics=metrics, files=[])


if __name__ == "__main__":
    main()
