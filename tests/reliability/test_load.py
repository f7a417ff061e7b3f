"""A bounded load test on 127.0.0.1: ``benchmarks/http_load.py`` starts ``spepred serve``
in its own process and drives it with a fixed mix of good, bad and hostile requests at
fixed concurrency (10 s in the suite, ``SPEPRED_LOAD_SECONDS`` to change, never over 60 s;
the benchmark itself runs 30 s by default).
Zero 5xx and zero dropped connections; throughput and p99 are printed, not asserted (speed
targets belong to benchmarks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "http_load.py"

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_bounded_load_on_loopback_has_no_server_errors(tiny_trained, capsys):
    seconds = min(float(os.environ.get("SPEPRED_LOAD_SECONDS", "10")), 60.0)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--model", str(tiny_trained[0].bundle_dir),
         "--seconds", str(seconds), "--concurrency", "8", "--json"],
        capture_output=True, text=True, timeout=seconds + 300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    with capsys.disabled():  # the figures go into docs/reliability.md
        print("\n" + "\n".join(proc.stdout.strip().splitlines()[:-1]))
    assert summary["requests"] > 0
    assert summary["server_errors_5xx"] == 0
    assert summary["connection_errors"] == {}
    assert set(summary["statuses"]) <= {"200", "413", "422"}
    assert {"200", "413", "422"} <= set(summary["statuses"])  # the mix reached every path
