"""Featurization speed and memory: 1,000,000 formulation rows from <= 500 building blocks.

Prints a table: rows/s end to end (validation + features), distinct building blocks/s on a
cold cache, ms per unique component without xTB, seconds per component with xTB (if tblite
is installed), peak RSS. Run: python benchmarks/featurize_speed.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from spepred.chem.dictionary import load_dictionary


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def library(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """Random formulations over a fixed pool of building blocks (<= 500 distinct)."""
    d = load_dictionary()
    monomers = [c.smiles for c in d.chemicals if c.has_role("monomer", "polymer") and c.smiles]
    try:  # the Bradford repeat units, when the dataset is reachable (mirror or cache)
        from spepred.data.sources import fetch

        bradford = pd.read_csv(fetch("bradford2023", download=False))["smiles"].unique()
        monomers += sorted(bradford)[:260]
    except Exception as err:  # benchmark still runs on dictionary monomers alone
        print(f"(Bradford polymers not available: {err})", file=sys.stderr)
    crosslinkers = [c.name for c in d.chemicals if c.has_role("crosslinker") and c.smiles][:40]
    fillers = ["", "SiO2", "TiO2", "Al2O3", "UiO-66", "LLZO"]
    salts = ["LiTFSI", "LiFSI", "LiClO4", "LiPF6", "LiBF4", "LiBOB", "LiDFOB"]
    # matrices: single monomers and some binary mixtures
    rng = np.random.default_rng(seed)
    singles = monomers
    pairs = [f"{a}.{b}" for a, b in rng.choice(singles, size=(150, 2))]
    matrices = singles + pairs
    n_unique = len(set(singles)) + len(crosslinkers) + len(fillers) + len(salts)
    def pick(pool: list[str]) -> np.ndarray:
        # index an object array: rng.choice on strings would build a fixed-width unicode
        # array as wide as the longest SMILES (GiBs for a million rows)
        return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n_rows)]

    table = pd.DataFrame(
        {
            "monomer_smiles": pick(matrices),
            "crosslinker": pick(crosslinkers),
            "filler": pick(fillers),
            "filler_wt_pct": rng.choice([np.nan, 5.0, 10.0], n_rows),
            "salt": pick(salts),
            "salt_molality_mol_kg": rng.uniform(0.2, 3.0, n_rows).round(2),
            "temperature_C": rng.choice(np.arange(-20, 121, 10), n_rows).astype(float),
        }
    )
    table.loc[table["filler"] == "", "filler_wt_pct"] = np.nan
    return table, n_unique


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xtb-sample", type=int, default=5, help="components timed with xTB")
    args = ap.parse_args()

    from spepred.api import featurize
    from spepred.chem import descriptors as D
    from spepred.chem.resolve import resolve_matrix

    table, n_unique = library(args.rows)
    rows_out = []

    # cold per-component cost: distinct matrix components, descriptors + fingerprint
    comps = sorted({c for m in table["monomer_smiles"].unique() for c in m.split(".")})
    t0 = time.perf_counter()
    for smi in comps:
        for c in resolve_matrix(smi):
            D.general_descriptors(c.smiles)
            D.group_counts(c.smiles)
            D.backbone_descriptors(c.smiles)
            D.morgan_counts(c.smiles, 2, 256)
    per_comp_ms = (time.perf_counter() - t0) / len(comps) * 1e3
    rows_out.append(("unique matrix components", f"{len(comps)}"))
    rows_out.append(("ms per unique component (no xTB)", f"{per_comp_ms:.2f}"))

    t0 = time.perf_counter()
    normalized, result = featurize(table)
    dt = time.perf_counter() - t0
    X = result.features
    rows_out += [
        ("rows", f"{len(table):,}"),
        ("unique components (matrix + crosslinker + filler + salt)", f"{n_unique}"),
        ("distinct matrix strings (incl. binary mixtures)", f"{table['monomer_smiles'].nunique()}"),
        ("features per row", f"{X.shape[1]}"),
        ("feature matrix dtype / GiB", f"{X.dtype} / {X.nbytes / 1024**3:.2f}"),
        ("rows featurized ok", f"{int(result.ok.sum()):,}"),
        ("wall time end to end (s)", f"{dt:.1f}"),
        ("rows/s", f"{len(table) / dt:,.0f}"),
        ("unique components/s (cold, incl. row assembly)", f"{n_unique / dt:,.1f}"),
        ("peak RSS (GiB)", f"{peak_rss_gib():.2f}"),
    ]

    try:
        from spepred.featurize.orbital import frontier_orbitals, xtb_available
    except ImportError:  # pragma: no cover
        xtb_available = lambda: False  # noqa: E731
    if xtb_available() and args.xtb_sample:
        sample = [resolve_matrix(s)[0].smiles for s in comps[: args.xtb_sample]]
        t0 = time.perf_counter()
        for smi in sample:
            frontier_orbitals(smi)
        rows_out.append(
            ("s per component with xTB (cold cache)", f"{(time.perf_counter() - t0) / len(sample):.2f}")
        )
    else:
        rows_out.append(("s per component with xTB", "tblite not installed"))

    width = max(len(k) for k, _ in rows_out)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 16}")
    for k, v in rows_out:
        print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
