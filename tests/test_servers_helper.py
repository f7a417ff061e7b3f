"""The helper that starts real servers in tests fails with the server's log."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests._servers import free_port, wait_healthy


def test_a_server_that_exits_fails_with_its_log(tmp_path):
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('cannot bind: address in use', file=sys.stderr); sys.exit(3)"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    with pytest.raises(pytest.fail.Exception, match=r"(?s)exited with code 3.*cannot bind: address in use"):
        wait_healthy(proc, f"http://127.0.0.1:{free_port()}/health", log, what="fake server", timeout_s=60)


@pytest.mark.slow
def test_a_server_that_never_answers_fails_at_the_deadline_with_its_log(tmp_path):
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import time; print('still migrating', flush=True); time.sleep(120)"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    with pytest.raises(pytest.fail.Exception, match=r"(?s)within 2 s.*still migrating"):
        wait_healthy(proc, f"http://127.0.0.1:{free_port()}/health", log, what="slow server", timeout_s=2)
    assert proc.poll() is not None  # stopped, not left running


def test_a_healthy_server_is_waited_for(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        (tmp_path / "health").write_text("ok")
        assert wait_healthy(proc, f"http://127.0.0.1:{port}/health", log, what="http.server", timeout_s=60) >= 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
