"""Screening speed: the local engine end to end on a million formulations, Spark local[2].

Prints one table. Targets: local engine >= 1,000,000 formulations per minute end to end
(spec expansion, prediction, ranking, Pareto front, final Parquet, plot) on the 2-core
machine for a library from <= 500 unique building blocks, peak memory <= 6 GiB (all
processes together). Spark local[2]: rows/s and the overhead ratio against the local engine
on the same (smaller) library. A second table shows where the time of one chunk goes.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/screen_speed.py
     [--monomers 200] [--chunk-rows 50000] [--spark-rows 100000] [--no-spark]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

CROSSLINKERS = ["PETEA", "PEGDA", "HDI", "TEGDMA", "TMPTA", "PEGDMA", "TTE", "MBA", "ETPTA", "none"]
FILLERS = ["none", "SiO2:5,10", "LLZO:10,20"]  # 5 levels, 2 fillers
SALTS = ["LiTFSI", "LiFSI", "LiPF6", "LiClO4"]
TEMPERATURES = [0, 25, 50, 75, 100]
MOLALITIES = [0.5, 1.0, 1.5, 2.0, 3.0]


class PeakRSS:
    """Samples the resident memory of this process and all its children (the workers)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def _sample(self) -> int:
        try:
            import psutil
        except ImportError:  # the parent's own peak only
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.thread.join()
        self.peak = max(self.peak, self._sample())


def monomers(n: int) -> list[str]:
    from spepred.data.converters import convert_polyinfo
    from spepred.data.sources import fetch

    table, _ = convert_polyinfo(fetch("polyinfo_candidates"))
    return list(dict.fromkeys(table["monomer_smiles"]))[:n]


def spec(n_monomers: int, *, salts=SALTS, temps=TEMPERATURES, molal=MOLALITIES) -> dict:
    return {
        "name": "benchmark",
        "monomers": monomers(n_monomers),
        "crosslinkers": CROSSLINKERS,
        "fillers": FILLERS,
        "salts": list(salts),
        "temperature_C": list(temps),
        "salt_molality_mol_kg": list(molal),
    }


def run(lib, out: Path, **kw):
    from spepred import api

    with PeakRSS() as mem:
        t0 = time.perf_counter()
        res = api.screen(lib, output=out, **kw)
        wall = time.perf_counter() - t0
    return res, wall, mem.peak


def breakdown(lib, chunk_rows: int) -> list[tuple[str, float]]:
    """Where the time of one chunk goes, single process, building blocks already cached
    (the steady state of a long screen). Re-traces Predictor.predict's stages."""
    import numpy as np

    from spepred.api import default_model_path
    from spepred.data.schema import validate_columns
    from spepred.screen.local import ChunkPredictor
    from spepred.screen.store import table_to_parquet_bytes

    w = ChunkPredictor(lib, default_model_path())
    w.predict(0, chunk_rows)  # warm: every building block of the first chunk computed
    p, b = w.predictor, w.predictor.bundle
    out = []
    t = time.perf_counter()
    table = lib.chunk(0, chunk_rows)
    out.append(("expand spec -> rows", time.perf_counter() - t))
    t = time.perf_counter()
    cols, _ = validate_columns(table)
    out.append(("validate (schema.validate_columns)", time.perf_counter() - t))
    t = time.perf_counter()
    feats = b.featurizer.transform(cols, cache=p.cache)
    out.append(("featurize (cached blocks: gather + conditions)", time.perf_counter() - t))
    X = feats.features[feats.ok]
    for key, booster in b.boosters.items():
        t = time.perf_counter()
        index = b.feature_index(key)  # the target's own features (None: all of them)
        booster.inplace_predict(X if index is None else np.ascontiguousarray(X[:, index]))
        out.append((f"XGBoost {key}", time.perf_counter() - t))
    t = time.perf_counter()
    b.domain.score({c: np.asarray(cols[c])[feats.ok] for c in ("monomer_smiles", "crosslinker")}, cache=p.cache)
    out.append(("applicability domain", time.perf_counter() - t))
    t = time.perf_counter()
    pred = p.predict(table)
    total = time.perf_counter() - t
    t = time.perf_counter()
    from spepred.screen.store import to_arrow

    arrow = to_arrow(pred, w.schema)
    out.append(("to Arrow", time.perf_counter() - t))
    t = time.perf_counter()
    table_to_parquet_bytes(arrow)
    out.append(("Parquet (zstd) of the chunk", time.perf_counter() - t))
    accounted = sum(s for name, s in out[1:] if not name.startswith(("to Arrow", "Parquet")))
    out.append(("rest of Predictor.predict (output frame, warnings)", max(0.0, total - accounted)))
    out.append(("= Predictor.predict, whole", total))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--monomers", type=int, default=200, help="monomers (x 10 x 5 x 4 x 5 x 5 formulations)")
    ap.add_argument("--chunk-rows", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--spark-rows", type=int, default=100_000, help="library size for the Spark comparison")
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args()

    from spepred.screen import load_spec

    lib = load_spec(spec(args.monomers))
    uniq = lib.unique_components()
    n_unique = sum(uniq.values())
    rows = []
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        res, wall, peak = run(lib, tmp / "local", workers=args.workers, chunk_rows=args.chunk_rows)
        t = res.timings_s
        rows.append(("local", lib.n_rows, n_unique, res.stats["workers"], wall, t["predict"], peak))
        # rerun: every chunk reused, only ranking / Pareto / writing
        res2, wall2, peak2 = run(lib, tmp / "local", workers=args.workers, chunk_rows=args.chunk_rows)
        assert res2.stats["chunks_computed"] == 0
        rows.append(("local, resumed (all chunks reused)", lib.n_rows, n_unique, 0, wall2, res2.timings_s["predict"], peak2))
        spark_rows = []
        if not args.no_spark:
            n_mon = max(1, round(args.spark_rows / (lib.n_rows / args.monomers)))
            small = load_spec(spec(n_mon))
            su = sum(small.unique_components().values())
            lres, lwall, lpeak = run(small, tmp / "l-small", workers=args.workers, chunk_rows=args.chunk_rows)
            sres, swall, speak = run(small, tmp / "s-small", engine="spark", spark_master="local[2]", chunk_rows=args.chunk_rows)
            import pandas as pd

            same = pd.read_parquet(lres.files["predictions"]).equals(pd.read_parquet(sres.files["predictions"]))
            spark_rows = [
                ("local (same library)", small.n_rows, su, lres.stats["workers"], lwall, lres.timings_s["predict"], lpeak),
                ("spark local[2]", small.n_rows, su, 2, swall, sres.timings_s["predict"], speak),
            ]
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    print(f"library: {lib.describe()}; unique building blocks: {uniq}")
    print()
    hdr = f"{'engine':<36}{'rows':>11}{'unique':>8}{'procs':>6}{'wall s':>9}{'predict s':>10}{'rows/min':>13}{'rows/s':>10}{'peak RSS':>11}"
    print(hdr)
    print("-" * len(hdr))
    for name, n, u, procs, w, pr, peak in rows + spark_rows:
        print(
            f"{name:<36}{n:>11,}{u:>8}{procs:>6}{w:>9.1f}{pr:>10.1f}{n / w * 60:>13,.0f}{n / w:>10,.0f}"
            f"{peak / 2**30:>9.2f} GiB"
        )
    if spark_rows:
        ratio = spark_rows[1][4] / spark_rows[0][4]
        print(f"\nspark local[2] / local wall time on {spark_rows[0][1]:,} rows: {ratio:.2f}x "
              f"(identical predictions: {'yes' if same else 'NO'})")
    print(f"\ntarget: >= 1,000,000 rows/min end to end, peak RSS <= 6 GiB: "
          f"{'met' if rows[0][1] / rows[0][4] * 60 >= 1e6 and rows[0][6] <= 6 * 2**30 else 'NOT met'}")

    print(f"\nwhere the time of one {args.chunk_rows:,}-row chunk goes (one process, blocks cached):")
    for name, secs in breakdown(lib, args.chunk_rows):
        print(f"  {name:<56}{secs:>8.3f} s")
    print(f"  (one process; two worker processes run two chunks at a time)")

if __name__ == "__main__":
    main()
