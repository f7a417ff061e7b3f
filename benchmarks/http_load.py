"""Bounded HTTP load test of ``spepred serve`` on loopback, with hostile traffic mixed in.

Starts the service on 127.0.0.1 (or uses ``--url``, which must be a loopback address),
then keeps ``--concurrency`` connections busy for ``--seconds`` with a fixed mix: good
single formulations, small batches, invalid SMILES and unknown names (422), oversized
bodies (413), hostile molecules at the caps, and ``GET /health``. It stops by itself.

Prints one table: requests, throughput, latency percentiles, status counts, and the load
average before and after (the machine may be shared: numbers taken while others run are
noisy). With ``--json`` the last line is the same summary as JSON (what the test reads).
The generator is Python (httpx) in its own process; it competes with the server for the
same cores, so throughput is a lower bound.

Run: python benchmarks/http_load.py [--model DIR] [--seconds 30] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

GOOD = [
    {"monomer_smiles": m, "crosslinker": x, "salt": "LiTFSI", "temperature_C": t}
    for m in ("C=CC(=O)OCCO", "[*]CCO[*]", "C1OCCO1", "C=CC(=O)OCCOC", "[*]CC([*])C#N")
    for x in ("PETEA", "PEGDA", "HDI", "")
    for t in (0, 25, 60)
]
HOSTILE = [
    {"monomer_smiles": "C1CC"},
    {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETA"},
    {"monomer_smiles": "C=CC(=O)OCCO", "temperature_C": 1e308},
    {"monomer_smiles": "[*]" + "OCC" * 333 + "C[*]"},  # 1000 heavy atoms: the largest accepted
    {"monomer_smiles": "".join("C([*])" for _ in range(100))},  # 100 attachment points
    {"monomer_smiles": "C" * 3999},
]


def _mix(i: int) -> tuple[str, str, bytes | None]:
    """Request ``i`` of the fixed cycle: (method, path, JSON body)."""
    k = i % 20
    if k < 12:
        return "POST", "/predict", json.dumps(GOOD[i % len(GOOD)]).encode()
    if k < 15:
        return "POST", "/predict", json.dumps([GOOD[(i + j) % len(GOOD)] for j in range(5)]).encode()
    if k < 18:
        return "POST", "/predict", json.dumps(HOSTILE[i % len(HOSTILE)]).encode()
    if k == 18:
        return "POST", "/predict", b"[" + b",".join([json.dumps(GOOD[0]).encode()] * 30_000) + b"]"  # > 2 MiB
    return "GET", "/health", None


def _require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"refusing to load-test {url}: only loopback addresses (127.0.0.0/8, ::1)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str | None, port: int, log: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "spepred.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if model:
        argv += ["--model", model]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.Popen(argv, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float = 180.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


async def _load(url: str, seconds: float, concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    counter = {"i": 0}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                i = counter["i"]
                counter["i"] += 1
                method, path, body = _mix(i)
                t0 = time.perf_counter()
                try:
                    r = await client.request(method, path, content=body, headers={"content-type": "application/json"})
                    statuses[r.status_code] += 1
                except httpx.HTTPError as err:
                    errors[type(err).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - t0)

        t_start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t_start
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50), 1),
        "p90_ms": round(pct(0.90), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(1000 * latencies[-1], 1) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "connection_errors": dict(errors),
        "concurrency": concurrency,
    }


def render(summary: dict) -> str:
    rows = [
        ("concurrency", summary["concurrency"]),
        ("duration (s)", summary["seconds"]),
        ("requests", summary["requests"]),
        ("throughput (req/s)", summary["throughput_rps"]),
        ("latency p50 / p90 / p99 / max (ms)", f"{summary['p50_ms']} / {summary['p90_ms']} / {summary['p99_ms']} / {summary['max_ms']}"),
        ("status counts", ", ".join(f"{k}: {v}" for k, v in summary["statuses"].items())),
        ("5xx responses", summary["server_errors_5xx"]),
        ("connection errors", sum(summary["connection_errors"].values())),
        ("load average before / after (1 min)", f"{summary['load_before']} / {summary['load_after']}"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{'measure':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="bundle directory for the server this script starts")
    parser.add_argument("--url", help="an already running service (loopback only)")
    parser.add_argument("--seconds", type=float, default=30.0, help="duration (30; at most 60)")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections (8)")
    parser.add_argument("--json", action="store_true", help="also print the summary as JSON")
    args = parser.parse_args(argv)
    seconds = min(args.seconds, 60.0)  # bounded, whatever is asked
    proc = None
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"spepred-load-{os.getpid()}.log"
    if args.url:
        url = args.url.rstrip("/")
    else:
        url = f"http://127.0.0.1:{_free_port()}"
        proc = start_server(args.model, int(url.rsplit(":", 1)[1]), log)
    _require_loopback(url)
    try:
        wait_ready(url, proc)
        before = round(os.getloadavg()[0], 2)
        summary = asyncio.run(_load(url, seconds, args.concurrency))
        summary["load_before"], summary["load_after"] = before, round(os.getloadavg()[0], 2)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(render(summary))
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
