"""Memory of the applicability domain's score caches in a long-running process.

Scores N distinct molecules (one ``predict`` call each, as a server answering single
formulations would) through the shipped bundle's domain, with the predictor's cache as
shipped (a :class:`spepred.cache.FeatureCache` bounded to
``spepred.models.predictor.BLOCK_CACHE_SIZE`` entries per namespace) and with an unbounded
one (what spepred did before), each in a fresh process, and prints the resident memory
growth and the cache entries at the end.

    python benchmarks/domain_cache.py [--molecules 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _molecules(n: int) -> list[str]:
    out = []
    a = 0
    while len(out) < n:
        for b in range(200):
            out.append("C" * (a + 1) + "O" + "C" * (b + 1) + "N")
            if len(out) == n:
                break
        a += 1
    return out


def worker(n: int, bounded: bool) -> dict:
    import numpy as np

    from spepred.api import load_predictor
    from spepred.cache import FeatureCache
    from spepred.models.domain import COMPONENT_NAMESPACE, PAIR_NAMESPACE

    predictor = load_predictor()
    cache = predictor.cache
    if not bounded:  # as before: unbounded domain caches, 65,536-entry fingerprint caches
        from functools import lru_cache

        from spepred.chem import descriptors as D

        cache = FeatureCache(maxsize=None)
        D.morgan_bits = lru_cache(maxsize=65536)(D.morgan_bits.__wrapped__)
        D.fragment_ids = lru_cache(maxsize=65536)(D.fragment_ids.__wrapped__)
    domain = predictor.bundle.domain
    mols = _molecules(n)
    warm = mols[:200]
    domain.score({"monomer_smiles": np.array(warm, dtype=object), "crosslinker": np.array(["none"] * len(warm), dtype=object)}, cache=cache)
    rss0 = _rss_mib()
    t0 = time.process_time()
    checkpoints = {}
    step = max(1, (n - 200) // 4)
    for i, m in enumerate(mols[200:], 1):  # one call per molecule, as a server answering single requests
        domain.score({"monomer_smiles": np.array([m], dtype=object), "crosslinker": np.array(["none"], dtype=object)}, cache=cache)
        if i % step == 0:
            checkpoints[i] = _rss_mib() - rss0
    return {
        "cpu_s": time.process_time() - t0,
        "rss_growth_mib": _rss_mib() - rss0,
        "checkpoints": checkpoints,
        "molecules": n - 200,
        "components": cache.sizes().get(COMPONENT_NAMESPACE, 0),
        "pairs": cache.sizes().get(PAIR_NAMESPACE, 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, default=20_000)
    parser.add_argument("--worker", choices=("bounded", "unbounded"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.molecules, args.worker == "bounded")))
        return 0
    rows = []
    for mode in ("unbounded", "bounded"):
        proc = subprocess.run(
            [sys.executable, __file__, "--molecules", str(args.molecules), "--worker", mode],
            capture_output=True, text=True, check=True,
        )
        rows.append((mode, json.loads(proc.stdout.strip().splitlines()[-1])))
    from spepred.models.predictor import BLOCK_CACHE_SIZE

    print(f"domain score caches, {rows[0][1]['molecules']:,} distinct molecules scored one call each")
    print(f"(bound: {BLOCK_CACHE_SIZE:,} components, {BLOCK_CACHE_SIZE:,} pairs)")
    print()
    marks = list(rows[0][1]["checkpoints"])
    head = "".join(f"{'after ' + format(int(k), ',') :>15}" for k in marks)
    print(f"{'caches':<10}{head}  {'component entries':>18} {'pair entries':>13} {'CPU s':>7}   (RSS growth, MiB)")
    for mode, r in rows:
        cells = "".join(f"{v:>15.1f}" for v in r["checkpoints"].values())
        print(f"{mode:<10}{cells}  {r['components']:>18,} {r['pairs']:>13,} {r['cpu_s']:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
