"""HTTP service: TestClient for the contract, one real uvicorn process on loopback."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from spepred.models.predictor import OUTPUT_COLUMNS
from spepred.server import MAX_BATCH, Formulation, create_app

GOOD = {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25}


@pytest.fixture(scope="module")
def client(tiny_trained):
    return TestClient(create_app(tiny_trained[0].bundle_dir))


def test_health_model_chemicals_docs(client):
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/model").json()
    assert {"log10_sigma_S_cm", "esw_V", "strength_MPa"} <= set(info["targets"])
    assert info["targets"]["esw_V"]["n_labels"] == 7
    chems = client.get("/chemicals", params={"role": "crosslinker"}).json()
    assert any(c["name"] == "PETEA" for c in chems)
    assert all("crosslinker" in c["roles"] for c in chems)
    assert client.get("/docs").status_code == 200
    assert "/predict" in client.get("/openapi.json").json()["paths"]


def test_predict_one_and_many(client):
    r = client.post("/predict", json=GOOD)
    assert r.status_code == 200
    body = r.json()
    assert set(OUTPUT_COLUMNS) <= set(body) and body["status"] == "ok"
    r = client.post("/predict", json=[GOOD, {**GOOD, "monomer_smiles": "C1CC"}, {**GOOD, "crosslinker": "PETA"}])
    assert r.status_code == 200
    statuses = [x["status"] for x in r.json()]
    assert statuses[0] == "ok"
    assert "unclosed ring" in statuses[1] and "did you mean 'PETEA'" in statuses[2]
    assert r.json()[1]["log10_sigma_S_cm_pred"] is None  # NaN never reaches JSON


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**GOOD, "monomer_smiles": "C1CC"}, "invalid monomer_smiles 'C1CC': unclosed ring"),
        ({**GOOD, "crosslinker": "PETA"}, "unknown crosslinker 'PETA'; did you mean 'PETEA'?"),
        ({**GOOD, "temperature_C": -150}, "expected temperature between -100 and 300"),
        ({**GOOD, "temperature_C": "hot"}, "valid number"),
        ({"crosslinker": "PETEA"}, "Field required"),
        ({**GOOD, "colour": "red"}, "Extra inputs are not permitted"),
        ([GOOD] * (MAX_BATCH + 1), "at most"),
        ([], "at least 1 item"),
        ({**GOOD, "monomer_smiles": "C" * 5000}, "at most"),
    ],
)
def test_bad_input_is_422_with_a_clear_message(client, body, message):
    r = client.post("/predict", json=body)
    assert r.status_code == 422, r.text
    assert message in r.text


def test_malformed_json_and_huge_bodies(client):
    r = client.post("/predict", content=b'{"monomer_smiles": ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/predict", content=b"x" * (3 * 1024 * 1024), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_response_equals_the_dataframe_prediction(client, tiny_trained):
    """What the service answers is what Predictor.predict(DataFrame) computes."""
    import spepred

    rows = [GOOD, {**GOOD, "crosslinker": "PEGDA", "temperature_C": 80}, {**GOOD, "monomer_smiles": "C1CC"}]
    body = client.post("/predict", json=rows).json()
    frame = spepred.load_predictor(tiny_trained[0].bundle_dir).predict(
        pd.DataFrame([Formulation(**r).model_dump() for r in rows]), source="request"
    )
    for got, (_, want) in zip(body, frame.iterrows(), strict=True):
        for c in OUTPUT_COLUMNS:
            w = want[c].item() if hasattr(want[c], "item") else want[c]
            assert got[c] == (None if isinstance(w, float) and w != w else w), c
    assert client.post("/predict", json=rows[1]).json() == body[1]


def test_concurrent_single_requests_each_get_their_own_answer(tiny_trained):
    """Requests that arrive together share prediction calls (the one queue), and each gets
    what it would get alone; a bad one its own 422."""
    app = create_app(tiny_trained[0].bundle_dir)
    temps = [float(t) for t in range(-20, 121, 5)]
    bodies = [{**GOOD, "temperature_C": t} for t in temps]
    bodies[5] = {**GOOD, "monomer_smiles": "C1CC"}

    async def all_at_once():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await asyncio.gather(*(client.post("/predict", json=b) for b in bodies))

    answers = asyncio.run(all_at_once())
    client = TestClient(app)
    alone = [client.post("/predict", json=b) for b in bodies]
    assert [a.status_code for a in answers] == [a.status_code for a in alone]
    assert [a.json() for a in answers] == [a.json() for a in alone]
    assert answers[5].status_code == 422 and "unclosed ring" in answers[5].text
    assert all(a.status_code == 200 for i, a in enumerate(answers) if i != 5)


def test_there_is_one_prediction_path(tiny_trained, monkeypatch):
    """Singles, lists and the page's request with neighbours all go through the queue's
    one call of predict_within (before: a coalescer for singles, direct strict calls for
    the page and bad rows, predict_within for lists)."""
    import spepred.server as server

    calls = []
    real = server.predict_within

    def counting(predictor, rows, deadline_s, *args, **kwargs):
        calls.append(len(rows))
        return real(predictor, rows, deadline_s, *args, **kwargs)

    monkeypatch.setattr(server, "predict_within", counting)
    client = TestClient(create_app(tiny_trained[0].bundle_dir))
    calls.clear()  # create_app's warm-up does not count
    assert client.post("/predict", json=GOOD).status_code == 200
    assert client.post("/predict", json=[GOOD, GOOD]).status_code == 200
    assert "neighbours" in client.post("/predict", json=GOOD, params={"neighbours": 2}).json()
    assert client.post("/predict", json={**GOOD, "crosslinker": "PETA"}).status_code == 422
    assert calls == [1, 2, 1, 1]


def test_a_batch_past_its_time_budget_returns_every_row_with_a_status(tiny_trained):
    """With the budget spent after the first chunk, the other rows come back unpredicted,
    each saying why; the predicted rows are what an unhurried request gives."""
    rows = [{**GOOD, "temperature_C": float(t % 100)} for t in range(150)]
    rows[3] = {**GOOD, "monomer_smiles": "C1CC"}
    hurried = TestClient(create_app(tiny_trained[0].bundle_dir, deadline_s=0.0)).post("/predict", json=rows)
    assert hurried.status_code == 200
    got = hurried.json()
    assert len(got) == 150 and [g["temperature_C"] for g in got] == [r.get("temperature_C") for r in rows]
    late = got[64:]
    assert all("time budget of 0 s ran out after 64 of 150 rows" in g["status"] for g in late)
    assert all(g["log10_sigma_S_cm_pred"] is None and set(OUTPUT_COLUMNS) <= set(g) for g in late)
    calm = TestClient(create_app(tiny_trained[0].bundle_dir)).post("/predict", json=rows).json()
    assert got[:64] == calm[:64]
    assert all(c["status"] == "ok" for i, c in enumerate(calm) if i != 3)
    assert "unclosed ring" in got[3]["status"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.network
def test_real_uvicorn_process_on_loopback(tiny_trained):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spepred.cli", "serve", "--port", str(port), "--model", str(tiny_trained[0].bundle_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline, "server did not start"
            time.sleep(0.3)
        r = httpx.post(f"{url}/predict", json=GOOD, timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        r = httpx.post(f"{url}/predict", json={**GOOD, "monomer_smiles": "C1CC"}, timeout=10)
        assert r.status_code == 422
        with pytest.raises(httpx.HTTPError):  # bound to loopback only
            host_ip = socket.gethostbyname(socket.gethostname())
            if host_ip.startswith("127."):
                raise httpx.ConnectError("only loopback available")
            httpx.get(f"http://{host_ip}:{port}/health", timeout=2)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
