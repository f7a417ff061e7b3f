"""Does ``GET /health`` stay fast while the server predicts heavy batches?

Starts ``spepred serve`` on 127.0.0.1 (default model unless ``--model``), then for
``--seconds`` keeps ``--clients`` clients sending 16-row batches of large, distinct
molecules (each row a different long oligo(ethylene oxide) acrylate, so no building-block
cache helps) while one more client asks ``/health`` every 0.2 s. Bounded in count and
time; stops by itself; loopback only.

Prints one table: batches answered, their latency, and the ``/health`` latency (p50, p90,
max). Before predictions moved off the event loop, batches of up to 16 rows ran on it and
``/health`` waited behind them.

Run: python benchmarks/http_event_loop.py [--model DIR] [--seconds 20] [--clients 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import _free_port, start_server, wait_ready  # noqa: E402

ROWS = 16


def _batch(client_id: int, n: int) -> list[dict]:
    """16 distinct large monomers (about 100-300 heavy atoms), never sent before in a run
    of up to 400 batches per client: every one a cache miss."""
    return [
        {
            "monomer_smiles": "C=CC(=O)O" + "CCO" * (30 + 2 * k + client_id % 2) + "C" * (1 + n % 400) + "O",
            "crosslinker": "PETEA",
            "temperature_C": 25,
        }
        for k in range(ROWS)
    ]


def main(argv: list[str] | None = None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="bundle directory (default: the shipped bundle)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args(argv)
    seconds = min(args.seconds, 60.0)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="spepred-bench-")) / "server.log"
    proc = start_server(args.model, port, log)
    try:
        wait_ready(url, proc)
        load_before = os.getloadavg()[0]
        stop = time.perf_counter() + seconds
        batch_s: list[float] = []
        health_s: list[float] = []
        errors: list[str] = []

        def client(i: int) -> None:
            with httpx.Client(base_url=url, timeout=120) as c:
                n = 0
                while time.perf_counter() < stop:
                    t0 = time.perf_counter()
                    r = c.post("/predict", json=_batch(i, n))
                    if r.status_code != 200:
                        errors.append(f"batch {r.status_code}")
                    batch_s.append(time.perf_counter() - t0)
                    n += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # let the batches start
        with httpx.Client(base_url=url, timeout=120) as c:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                if c.get("/health").status_code != 200:
                    errors.append("health")
                health_s.append(time.perf_counter() - t0)
                time.sleep(0.2)
        for t in threads:
            t.join(timeout=180)
        load_after = os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    def q(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else (values or [float("nan")])[0]

    rows = [
        ("clients x rows per batch", f"{args.clients} x {ROWS}"),
        ("duration (s)", f"{seconds:.0f}"),
        ("batches answered", f"{len(batch_s)}"),
        ("batch latency p50 / max (s)", f"{q(batch_s, 50):.2f} / {max(batch_s):.2f}"),
        ("/health requests", f"{len(health_s)}"),
        ("/health latency p50 / p90 / max (ms)",
         f"{1000 * q(health_s, 50):.1f} / {1000 * q(health_s, 90):.1f} / {1000 * max(health_s):.1f}"),
        ("errors", f"{len(errors)}"),
        ("load average before / after (1 min)", f"{load_before:.2f} / {load_after:.2f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  -----")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
