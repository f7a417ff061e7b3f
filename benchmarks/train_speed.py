"""Full default training (review + public datasets, grouped CV, bundle, MLflow run) on this
machine: prints per-stage wall times. Target: <= 3 minutes on 2 cores.

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/train_speed.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    from spepred.api import train

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = train(
            model_dir=Path(tmp) / "bundle",
            tracking_uri=f"sqlite:///{tmp}/mlflow.db",
            experiment="train-speed",
            register=True,
        )
        total = time.perf_counter() - t0
    timings = dict(report.result.timings_s)
    accounted = sum(timings.values())
    timings["data build + validation"] = total - accounted
    print(f"{'stage':<28}{'seconds':>10}")
    print("-" * 38)
    for stage, secs in timings.items():
        print(f"{stage:<28}{secs:>10.1f}")
    print("-" * 38)
    print(f"{'total (wall)':<28}{total:>10.1f}")
    print(f"{'target':<28}{'<= 180':>10}")
    rows = ", ".join(f"{k} {v}" for k, v in report.result.rows_per_source.items())
    print(f"labelled rows: {rows}")
    return 0 if total <= 180 else 1


if __name__ == "__main__":
    sys.exit(main())
