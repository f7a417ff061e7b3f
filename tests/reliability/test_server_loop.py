"""Issue 21 item 6: the server's event loop never predicts, connections that stall are
dropped, foreign ``Host`` headers are refused, a non-loopback bind address is warned about.

Before the fix: batches of up to 16 rows and the strict re-prediction of a bad single row
ran on the event loop (``GET /health`` waited for them), ``gc.freeze()`` was called on the
whole process, a connection that sent nothing or half its headers was held for ever, any
``Host`` was answered and ``--host 0.0.0.0`` said nothing.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time

import httpx
import pytest

from spepred.models.predictor import Predictor
from spepred.server import create_app, default_allowed_hosts, host_warning, is_loopback
from tests.serving import running_server

MARK = "C=CC(=O)OCCCCCCCCCCCO"  # rows with this matrix block in predict_records until released
GOOD = {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA"}


@pytest.fixture
def blocking_predictions(monkeypatch):
    """Predictions of marked rows wait for ``release`` (10 s at most); with
    ``only_strict[0]`` set, only the strict (one bad row's own message) ones."""
    entered, release = threading.Event(), threading.Event()
    original = Predictor.predict_records
    only_strict = [False]

    def predict_records(self, rows, **kwargs):
        if any(r.get("monomer_smiles") == MARK for r in rows) and (kwargs.get("strict") or not only_strict[0]):
            entered.set()
            release.wait(timeout=10)
        return original(self, rows, **kwargs)

    monkeypatch.setattr(Predictor, "predict_records", predict_records)
    return entered, release, only_strict


def _health_during(app, entered, release, request) -> tuple[int, bool]:
    """Send ``request`` (a coroutine factory), wait until its prediction started, then ask
    ``/health``: returns its status and whether the prediction was still running."""

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            task = asyncio.create_task(request(client))
            for _ in range(500):
                if entered.is_set():
                    break
                await asyncio.sleep(0.01)
            assert entered.is_set(), "the prediction never started"
            health = await asyncio.wait_for(client.get("/health"), timeout=30)
            still_running = not task.done()
            release.set()
            response = await asyncio.wait_for(task, timeout=30)
            assert response.status_code in (200, 422)
            return health.status_code, still_running

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("small batch", [{**GOOD, "monomer_smiles": MARK}] * 3),
        ("bad single row (strict re-prediction)", {**GOOD, "monomer_smiles": MARK, "crosslinker": "PETA"}),
        ("single row with neighbours", {**GOOD, "monomer_smiles": MARK}),
    ],
)
def test_health_answers_while_a_prediction_runs(tiny_trained, blocking_predictions, what, body):
    entered, release, only_strict = blocking_predictions
    only_strict[0] = "strict" in what
    app = create_app(tiny_trained[0].bundle_dir)
    status, still_running = _health_during(
        app, entered, release, lambda c: c.post("/predict", json=body, params={"neighbours": 2})
    )
    assert status == 200
    assert still_running, f"{what}: /health waited for the prediction (it ran on the event loop)"


def test_csv_upload_is_predicted_off_the_loop(tiny_trained, blocking_predictions, monkeypatch):
    entered, release, _ = blocking_predictions
    original = Predictor.predict

    def predict(self, table=None, /, **kwargs):  # the CSV path predicts a DataFrame
        if table is not None and (table["monomer_smiles"] == MARK).any():
            entered.set()
            release.wait(timeout=10)
        return original(self, table, **kwargs)

    monkeypatch.setattr(Predictor, "predict", predict)
    app = create_app(tiny_trained[0].bundle_dir)
    csv = f"monomer_smiles,crosslinker\n{MARK},PETEA\n".encode()
    status, still_running = _health_during(
        app, entered, release,
        lambda c: c.post("/predict.csv", content=csv, headers={"content-type": "text/csv"}),
    )
    assert status == 200 and still_running


def test_no_process_wide_gc_freeze(tiny_trained):
    before = gc.get_freeze_count()
    create_app(tiny_trained[0].bundle_dir)
    assert gc.get_freeze_count() == before


def test_loopback_and_the_warning():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.3.4.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7") and not is_loopback("example.org")
    assert host_warning("127.0.0.1") == ""
    w = host_warning("0.0.0.0")
    assert "no login" in w and "reverse proxy" in w and "--allowed-host" in w
    assert "127.0.0.1" in default_allowed_hosts("127.0.0.1") and "*" not in default_allowed_hosts("127.0.0.1")


def test_cli_warns_for_a_non_loopback_host(monkeypatch, capsys):
    import spepred.server
    from spepred.cli import main

    seen = {}
    monkeypatch.setattr(spepred.server, "serve", lambda model, **kw: seen.update(kw))  # do not listen
    assert main(["serve", "--host", "0.0.0.0", "--port", "9"]) == 0
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0" in err and "reverse proxy" in err
    assert main(["serve", "--port", "9", "--allowed-host", "lab.example", "--request-timeout", "3"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert seen["allowed_hosts"] == ["lab.example"] and seen["request_timeout_s"] == 3.0


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (reads until EOF)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.network
def test_stalled_connections_are_closed_and_hosts_checked(tiny_trained):
    model = str(tiny_trained[0].bundle_dir)
    with running_server("--model", model, "--request-timeout", "1") as (url, _):
        port = int(url.rsplit(":", 1)[1])
        # a connection that sends nothing
        with socket.create_connection(("127.0.0.1", port)) as s:
            assert _closed_within(s, 8)
        # half a request: the request line and one header, then silence (slowloris)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert _closed_within(s, 8)
        # a whole request, then half of the next one on the same connection
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            s.settimeout(5)
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            s.sendall(b"GET /health HTTP/1.1\r\n")
            assert _closed_within(s, 8)
        # a client that keeps its connection and sends its requests in time is served
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(3):
                assert client.get("/health").status_code == 200
                time.sleep(0.3)
            assert client.post("/predict", json=GOOD).json()["status"] == "ok"
        # DNS rebinding: a page elsewhere reaches 127.0.0.1 under its own host name
        assert httpx.get(f"{url}/health", headers={"Host": "attacker.example"}).status_code == 400
        assert httpx.post(f"{url}/predict", json=GOOD, headers={"Host": "attacker.example"}).status_code == 400
        assert httpx.get(f"{url}/health", headers={"Host": f"localhost:{port}"}).status_code == 200
    with running_server("--model", model, "--allowed-host", "lab.example", "--allowed-host", "127.0.0.1") as (url, _):
        assert httpx.get(f"{url}/health", headers={"Host": "lab.example"}).status_code == 200
        assert httpx.get(f"{url}/health", headers={"Host": "attacker.example"}).status_code == 400
