"""A real ``spepred serve`` process on 127.0.0.1 for the tests that need one (browser,
connection handling): started on a free port, waited for, and stopped by its own pid."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(*args: str, timeout_s: float = 90) -> Iterator[tuple[str, subprocess.Popen]]:
    """``spepred serve --port P *args``; yields (base URL, process)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spepred.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            try:  # any answer means it listens (the model loads before it does); a Host
                httpx.get(f"{url}/health", timeout=1)  # allow-list may refuse this one
                break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"spepred serve exited: {proc.stderr.read().decode()}")
            if time.time() > deadline:
                raise RuntimeError("spepred serve did not start")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
