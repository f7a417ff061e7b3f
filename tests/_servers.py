"""Starting real servers in tests: wait on their health endpoint, fail with their log."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

#: How long a server may take to answer its health endpoint. Generous: on the shared 2-core
#: machine `mlflow server` has taken more than the 90 s this used to be (migrations, imports).
STARTUP_TIMEOUT_S = float(os.environ.get("SPEPRED_TEST_SERVER_TIMEOUT_S", "300"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path, n: int = 4000) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError as err:
        return f"(no log: {err})"
    return text[-n:] or "(empty log)"


def wait_healthy(
    proc: subprocess.Popen,
    health_url: str,
    log: Path,
    *,
    what: str,
    timeout_s: float = STARTUP_TIMEOUT_S,
) -> float:
    """Poll ``health_url`` until it answers 200; return the seconds it took.

    Fails the test (and stops the process) with the last lines of ``log`` when the process
    exits first or the deadline passes: a server that never came up says why.
    """
    import httpx

    start = time.monotonic()
    deadline = start + timeout_s
    last = "no answer yet"
    while True:
        try:
            r = httpx.get(health_url, timeout=2)
            if r.status_code == 200:
                return time.monotonic() - start
            last = f"HTTP {r.status_code}"
        except httpx.HTTPError as err:
            last = type(err).__name__
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode} before {health_url} answered; its log:\n{_tail(log)}")
        if time.monotonic() > deadline:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            pytest.fail(
                f"{what} did not answer {health_url} within {timeout_s:g} s (last: {last}; "
                f"SPEPRED_TEST_SERVER_TIMEOUT_S raises the deadline); its log:\n{_tail(log)}"
            )
        time.sleep(0.5)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
