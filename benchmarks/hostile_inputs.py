"""CPU cost of hostile inputs: each refused input and each largest-accepted molecule of
``tests/reliability/hostile.py``, end to end through ``Predictor.predict`` (validation,
features, domain). Prints one table of CPU milliseconds (process time, so a busy machine
inflates it less than wall time) and the outcome.

Run: python benchmarks/hostile_inputs.py [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from spepred.api import load_predictor
    from tests.reliability.hostile import ACCEPTED_CROSSLINKERS, ACCEPTED_WORST, REFUSED

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="bundle directory (default: the shipped bundle)")
    args = parser.parse_args(argv)
    predictor = load_predictor(args.model)
    predictor.predict(pd.DataFrame([{"monomer_smiles": "CCO"}]))  # warm imports and caches
    cases = [("refused", k, {"monomer_smiles": s}) for k, (s, _) in REFUSED.items()]
    cases += [("accepted", k, {"monomer_smiles": s, "crosslinker": "PETEA"}) for k, s in ACCEPTED_WORST.items()]
    cases += [("accepted", k, {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": s}) for k, s in ACCEPTED_CROSSLINKERS.items()]
    rows = []
    for kind, name, row in cases:
        t0 = time.process_time()
        out = predictor.predict(pd.DataFrame([row]))
        ms = 1000 * (time.process_time() - t0)
        status = out["status"].iloc[0]
        outcome = "ok" if status == "ok" else status.split(": ", 1)[-1]
        length = max(len(str(v)) for v in row.values())
        rows.append((kind, name, length, ms, outcome[-60:]))
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    print(f"{'kind':<9} {'input':<34} {'chars':>8} {'CPU ms':>9}  outcome")
    for kind, name, length, ms, outcome in rows:
        print(f"{kind:<9} {name:<34} {length:>8} {ms:>9.1f}  {outcome}")
    worst = max(r[3] for r in rows if r[0] == "accepted")
    refused = max(r[3] for r in rows if r[0] == "refused")
    print(f"\nworst accepted: {worst:.0f} CPU ms; slowest refusal: {refused:.1f} CPU ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
