"""How far papers disagree on the same electrolyte: a yardstick for the held-out-paper targets.

The regime evaluation (``benchmarks/regimes.py``) holds whole papers out. Part of every
held-out error is not the model's: two laboratories that measure the *same* formulation
report different values (a window read off LSV at another scan rate, current threshold or
electrode; a σ with other cells, drying, or film thickness). This script measures that part.

A **replicate** is a labelled row outside Bradford whose formulation was also measured by at
least one *other paper*: same matrix (canonical components, any spelling), crosslinker,
salt, salt molality (binned 0.05 wide in log10), liquid components, filler, and for σ the
temperature rounded to 5 °C (the window, strength and t+ are compared as stated, almost all
at room temperature). For each replicate row, the **other-papers mean** predicts it by the
mean, over the other papers, of each paper's mean value there. That predictor knows the
exact system and is wrong only by how much papers disagree; no model held out by paper can
be expected to do better on average (it is not a strict floor: a model can tell two papers
apart by what the key ignores, such as molecular weight or crosslinker content). The
*loose* rows match on matrix, crosslinker, salt and liquids only: more replicates for the
window, whose papers rarely repeat a molality, and an upper yardstick rather than a floor.

Printed per property: the rows and papers that have replicates, the other-papers-mean MAE,
its median, and the issue's target for the same property (issue 16).

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/paper_floor.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _bench import Clock, finish, header, parser

#: label column -> (unit of the errors, model-space transform, the issue's MAE target)
PROPERTIES = {
    "log10_sigma_S_cm": ("log10(S/cm)", None, "0.60 overall"),
    "esw_V": ("V", None, "0.20"),
    "strength_MPa": ("log10(MPa)", np.log10, "0.75 x mean baseline"),
    "t_li": ("1", None, "(none: beat the mean)"),
}
EXCLUDED_SOURCES = ("bradford2023",)


def formulation_key(rows: pd.DataFrame, with_temperature: bool, loose: bool = False) -> pd.Series:
    """One text per formulation (see the module docstring)."""
    from spepred.chem.resolve import matrix_key

    def text(col: str) -> pd.Series:
        return rows[col].fillna("").astype(str).str.strip().str.lower() if col in rows else pd.Series("", index=rows.index)

    matrix = rows["monomer_smiles"].astype(str).map(lambda s: _safe_key(matrix_key, s))
    molality = np.round(np.log10(rows["salt_molality_mol_kg"].astype(float).fillna(0.0) + 1e-3) / 0.05)
    parts = [matrix, text("crosslinker"), text("salt"), text("liquids")]
    if not loose:
        parts += [pd.Series(molality, index=rows.index).astype(str), text("filler")]
    if with_temperature:
        parts.append((rows["temperature_C"].astype(float) / 5).round().astype(str))
    key = parts[0]
    for p in parts[1:]:
        key = key + "|" + p
    return key


def _safe_key(fn, s: str) -> str:
    try:
        return fn(s)
    except Exception:  # an unreadable cell is its own formulation
        return s


def other_papers_mean(rows: pd.DataFrame, y: pd.Series, key: pd.Series) -> pd.DataFrame:
    """Every row with a replicate in another paper, with the other papers' mean there."""
    from spepred.data.splits import paper_key

    frame = pd.DataFrame({"key": key, "paper": paper_key(rows["group"]), "y": y, "regime": rows["regime"]})
    frame = frame[frame["y"].notna()]
    per_paper = frame.groupby(["key", "paper"])["y"].mean().rename("paper_y").reset_index()
    total = per_paper.groupby("key")["paper_y"].agg(["sum", "size"])
    per_paper = per_paper.join(total, on="key")
    per_paper = per_paper[per_paper["size"] > 1]
    per_paper["other_y"] = (per_paper["sum"] - per_paper["paper_y"]) / (per_paper["size"] - 1)
    return frame.merge(per_paper[["key", "paper", "other_y"]], on=["key", "paper"])


def main() -> None:
    args = parser(__doc__).parse_args()
    clock = Clock()
    from spepred import api
    from spepred.data.regimes import regime

    table, _ = api.load_training_table()
    rows = table[~table["source"].isin(EXCLUDED_SOURCES)].copy()
    rows["regime"] = regime(rows).to_numpy()
    clock(f"{len(rows)} rows outside Bradford")
    lines = [
        header("paper_floor"),
        "Replicates: labelled rows outside Bradford whose formulation (matrix, crosslinker, salt, molality bin, liquids, "
        "filler; σ also temperature to 5 °C) another paper also measured. other-papers mean: the mean of the other "
        "papers' values for that formulation (knows the system, not the laboratory). (loose): the same with the "
        "matrix, crosslinker, salt and liquids only (molality and filler ignored; σ still at its temperature).",
        "",
        f"{'property':<26}{'unit':<13}{'labels':>7}{'replicate rows':>16}{'papers':>8}{'formulations':>14}"
        f"{'MAE other papers':>18}{'median':>9}  issue target (MAE)",
    ]
    metrics: dict[str, float] = {}
    for label, (unit, transform, target) in PROPERTIES.items():
        y = rows[label].astype(float)
        if transform is not None:
            y = y.where(y > 0).map(transform)
        for loose in (False, True):
            key = formulation_key(rows, with_temperature=label == "log10_sigma_S_cm", loose=loose)
            lines += _one(rows, y, key, label, loose, unit, target, metrics)
    lines.append("")
    lines.append(f"total {time.perf_counter() - clock.t0:.0f} s")
    finish("paper_floor", "\n".join(lines), args, params={"excluded": ",".join(EXCLUDED_SOURCES)}, metrics=metrics, files=[])


def _one(rows, y, key, label, loose, unit, target, metrics) -> list[str]:
    lines = []
    tag = label + ("_loose" if loose else "")
    label = label + (" (loose)" if loose else "")
    hit = other_papers_mean(rows, y, key)
    err = (hit["other_y"] - hit["y"]).abs()
    mae = float(err.mean()) if len(hit) else float("nan")
    med = float(err.median()) if len(hit) else float("nan")
    lines.append(
        f"{label:<26}{unit:<13}{int(y.notna().sum()):>7}{len(hit):>16}{hit['paper'].nunique():>8}"
        f"{hit['key'].nunique():>14}{mae:>18.3f}{med:>9.3f}  {target}"
    )
    metrics[f"{tag}.replicate_rows"] = float(len(hit))
    metrics[f"{tag}.other_papers_mae"] = mae
    for r, g in hit.groupby("regime"):
        e = (g["other_y"] - g["y"]).abs()
        lines.append(f"{'  ' + r:<26}{'':<13}{'':>7}{len(g):>16}{g['paper'].nunique():>8}{g['key'].nunique():>14}"
                     f"{e.mean():>18.3f}{e.median():>9.3f}")
    return lines


if __name__ == "__main__":
    main()
