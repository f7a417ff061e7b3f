"""Single-formulation HTTP throughput of two spepred source trees, measured alternately.

On a shared machine a throughput figure moves with the neighbours' load; comparing two
versions is only fair when their runs alternate under the same conditions. Each round
starts ``spepred serve`` (its default model) from the ``--before`` tree, loads it with
``wrk`` (``predict_speed.py``'s request mix: one formulation per request), stops it, then
does the same from the current tree (or ``--after``). Loopback only; bounded in time.

Get an older tree with ``git archive <commit> | tar -x -C /tmp/old`` (the whole tree: the
package's resources are links into ``data/`` and ``models/``).

Run: python benchmarks/http_ab.py --before /tmp/old [--rounds 2] [--seconds 15] [--connections 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from predict_speed import WRK_SCRIPT, free_port, load_average, wrk_load  # noqa: E402

HERE = Path(__file__).resolve().parents[1]


def _measure(src: Path, connections: int, seconds: int, script: Path) -> tuple[float, float, float, float]:
    import httpx

    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(src / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "spepred.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server from {src} did not start")
            time.sleep(0.3)
        load = os.getloadavg()[0]
        rps, p50, p99 = wrk_load(f"http://127.0.0.1:{port}", connections, seconds, script)
        return rps, p50, p99, load
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, type=Path, help="source tree of the earlier version")
    ap.add_argument("--after", type=Path, default=HERE, help="source tree of the later version (this one)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=4)
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    script = Path(tempfile.mkdtemp(prefix="spepred-ab-")) / "request.lua"
    script.write_text(WRK_SCRIPT)
    print(f"{args.rounds} rounds, {args.seconds} s each, {args.connections} connections (wrk, 1 thread); "
          f"load average at start {load_average()}")
    print(f"{'round':>5}  {'version':<7}  {'req/s':>8}  {'p50 (ms)':>8}  {'p99 (ms)':>8}  {'load (1 min)':>12}")
    for r in range(1, min(args.rounds, 5) + 1):
        for name, src in (("before", args.before), ("after", args.after)):
            rps, p50, p99, load = _measure(src.resolve(), args.connections, min(args.seconds, 60), script)
            print(f"{r:>5}  {name:<7}  {rps:8.1f}  {p50:8.2f}  {p99:8.2f}  {load:12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
