"""Prediction speed: CLI start-up, a cold single prediction, batch throughput, HTTP load.

Prints one table. Targets: ``spepred --help`` <= 0.5 s; cold ``spepred predict`` <= 2.5 s;
batch >= 20,000 rows/s for 200,000 rows from a few hundred building blocks; HTTP >= 200
single-formulation requests/s with p99 <= 50 ms on loopback.

The HTTP load comes from ``wrk`` (Debian: ``apt-get install -y wrk``): a C load generator
with fixed connections and duration, light enough not to steal the 2 cores it measures.
Without it a bounded Python generator (httpx, same connections and duration) stands in; it
competes for the same cores, so its numbers are lower bounds. The table names the
generator, and the load average before and after (the machine is shared: numbers taken
while others run are noisy).

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/predict_speed.py [--rows 200000]
     [--workers 1,2] [--seconds 20] [--small-batch-rows N]

``--small-batch-rows 0`` runs every command and the server with the validation's small-batch
loops switched off (``spepred.data.cells._SMALL``, 64 rows by default): whether that fast
path earns its code is this table with and without it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEPRED = [sys.executable, "-m", "spepred.cli"]
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local xls = {"PETEA", "PEGDA", "TMPTA", "HDI", "TTE", ""}
local mons = {"C=CC(=O)OCCO", "[*]CCO[*]", "C1OCCO1", "C=CC(=O)OCCOC", "[*]CC([*])C#N"}
request = function()
  local body = string.format(
    '{"monomer_smiles": "%s", "crosslinker": "%s", "salt": "LiTFSI", "temperature_C": %d}',
    mons[math.random(#mons)], xls[math.random(#xls)], math.random(-20, 120))
  return wrk.format(nil, "/predict", nil, body)
end
"""


def wall(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # warm the OS file cache
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def spepred_command(small_rows: int | None) -> list[str]:
    """``spepred`` as a subprocess, with the small-batch threshold set when asked."""
    if small_rows is None:
        return [sys.executable, "-m", "spepred.cli"]
    code = (
        "import sys, spepred.data.cells as c; c._SMALL = int(sys.argv.pop(1)); "
        "from spepred.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    return [sys.executable, "-c", code, str(small_rows)]


def small_batch_path(runs: int = 300) -> dict[str, tuple[float, float]]:
    """Median time of one formulation through validation alone and through
    ``predict_records`` (the HTTP path), with the validation's small-batch loops on and off,
    interleaved call by call in one process (so the machine's load hits both alike)."""
    import spepred.data.cells as cells
    from spepred import api
    from spepred.data.validate import validate_columns

    predictor = api.load_predictor(None, n_jobs=1)
    row = {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25.0}
    columns = {k: [v] for k, v in row.items()}
    shipped = cells._SMALL
    out = {}
    for name, call in (("validate_columns", lambda: validate_columns(columns)),
                       ("predict_records", lambda: predictor.predict_records([row]))):
        call()  # warm the caches
        times: dict[int, list[float]] = {shipped: [], 0: []}
        try:
            for _ in range(runs):
                for small in (shipped, 0):
                    cells._SMALL = small
                    t0 = time.perf_counter()
                    call()
                    times[small].append(time.perf_counter() - t0)
        finally:
            cells._SMALL = shipped
        out[name] = (statistics.median(times[shipped]) * 1e3, statistics.median(times[0]) * 1e3)
    return out


def serve_command(port: int, workers: int) -> list[str]:
    if workers == 1:
        return [*SPEPRED, "serve", "--port", str(port)]
    code = f"from spepred.server import serve; serve(port={port}, workers={workers})"
    return [sys.executable, "-c", code]


def batch_table(path: Path, n_rows: int) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from featurize_speed import library

    table, n_unique = library(n_rows, seed=1)
    table.to_csv(path, index=False)
    return n_unique


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def python_load(url: str, concurrency: int, seconds: float) -> tuple[float, float, float]:
    """Fallback load generator: ``concurrency`` connections, each sending its next request
    when the previous one is answered, for ``seconds`` (bounded in time by construction)."""
    import random

    import httpx

    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    mons = ["C=CC(=O)OCCO", "[*]CCO[*]", "C1OCCO1", "C=CC(=O)OCCOC", "[*]CC([*])C#N"]
    xls = ["PETEA", "PEGDA", "TMPTA", "HDI", "TTE", ""]

    async def worker(client):
        while time.perf_counter() < stop:
            body = {"monomer_smiles": random.choice(mons), "crosslinker": random.choice(xls),
                    "salt": "LiTFSI", "temperature_C": random.randint(-20, 120)}
            t0 = time.perf_counter()
            r = await client.post(f"{url}/predict", json=body)
            r.raise_for_status()
            latencies.append(time.perf_counter() - t0)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    return len(latencies) / elapsed, latencies[len(latencies) // 2] * 1e3, latencies[int(0.99 * len(latencies))] * 1e3


def wrk_load(url: str, concurrency: int, seconds: int, script: Path) -> tuple[float, float, float]:
    # one wrk thread: it is the lighter load on a 2-core machine that also runs the server
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "--latency",
         "-s", str(script), url],
        check=True, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    if "Non-2xx" in out:
        raise RuntimeError("non-2xx responses under load:\n" + out)
    return rps, pct("50"), pct("99")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", default="1", help="server processes to measure, e.g. 1,2")
    ap.add_argument("--connections", default="4,8", help="HTTP connections, e.g. 4,8")
    ap.add_argument("--small-batch-rows", type=int, default=None,
                    help="validation's small-batch threshold in every process (0: no fast path; default as shipped)")
    args = ap.parse_args()
    global SPEPRED
    SPEPRED = spepred_command(args.small_batch_rows)
    rows: list[tuple[str, str, str]] = []
    load_before = load_average()
    generator = "wrk" if shutil.which("wrk") else "httpx (wrk not installed)"

    for name, (on, off) in small_batch_path().items():
        rows.append((f"1 formulation, {name} in process (ms, median): small-batch path on / off",
                     f"{on:.2f} / {off:.2f}", ""))
    t = wall([*SPEPRED, "--help"], args.runs)
    rows.append(("spepred --help (s, median / max)", f"{statistics.median(t):.2f} / {max(t):.2f}", "<= 0.5"))
    single = [*SPEPRED, "predict", "--smiles", "C=CC(=O)OCCO", "--crosslinker", "PETEA", "--salt", "LiTFSI"]
    t = wall(single, args.runs)
    rows.append(("cold spepred predict (s, median / max)", f"{statistics.median(t):.2f} / {max(t):.2f}", "<= 2.5"))

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "library.csv", Path(tmp) / "pred.csv"
        n_unique = batch_table(src, args.rows)
        t0 = time.perf_counter()
        subprocess.run([*SPEPRED, "predict", "--input", str(src), "--output", str(dst)], check=True,
                       stdout=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        rows.append((f"batch predict {args.rows:,} rows / {n_unique} components (s)", f"{dt:.1f}", ""))
        rows.append(("batch rows/s (end to end, CSV in and out)", f"{args.rows / dt:,.0f}", ">= 20,000"))

        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT)
        for workers in (int(w) for w in args.workers.split(",")):
            port = free_port()
            proc = subprocess.Popen(serve_command(port, workers), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            try:
                import httpx

                deadline = time.time() + 90
                while True:
                    try:
                        if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.3)
                    if proc.poll() is not None or time.time() > deadline:
                        raise RuntimeError("server did not start")
                time.sleep(2 if workers > 1 else 0)  # every worker up, not just the first
                tag = f"{workers} worker{'s' if workers > 1 else ''}"
                for conc in (int(c) for c in args.connections.split(",")):
                    if shutil.which("wrk"):
                        rps, p50, p99 = wrk_load(url, conc, args.seconds, script)
                        tool = "wrk"
                    else:
                        rps, p50, p99 = asyncio.run(python_load(url, conc, args.seconds))
                        tool = "httpx"
                    rows.append((f"HTTP /predict, {tag}, {conc} conn., {args.seconds} s ({tool}): req/s",
                                 f"{rps:,.0f}", ">= 200"))
                    rows.append((f"HTTP /predict, {tag}, {conc} conn.: p50 / p99 (ms)",
                                 f"{p50:.1f} / {p99:.1f}", "p99 <= 50"))
            finally:
                proc.terminate()
                proc.wait(timeout=30)

    w = max(len(r[0]) for r in rows)
    print(f"{'measure':<{w}}  {'value':>16}  target")
    print(f"{'-' * w}  {'-' * 16}  {'-' * 10}")
    for name, value, target in rows:
        print(f"{name:<{w}}  {value:>16}  {target}")
    print(f"\nmachine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; load generator: {generator}")
    print(f"load average (1 / 5 / 15 min): before {load_before}; after {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
