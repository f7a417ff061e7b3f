"""A real ``spepred serve`` process on 127.0.0.1 for the tests that need one (browser,
connection handling): started on a free port, waited for with :mod:`tests._servers`
(its deadline, its log on failure), and stopped by its own pid."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests._servers import free_port, stop, wait_healthy


@contextmanager
def running_server(*args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``spepred serve --port P *args``; yields (base URL, process). ``/health`` must answer
    on 127.0.0.1 (keep it on an ``--allowed-host`` list)."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="spepred-serve-")) / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "spepred.cli", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, f"{url}/health", log, what="spepred serve")
        yield url, proc
    finally:
        stop(proc)
