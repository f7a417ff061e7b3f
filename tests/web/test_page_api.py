"""The endpoints the page calls besides /predict (TestClient: no browser needed)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from spepred.server import create_app

CSV = {"content-type": "text/csv"}


@pytest.fixture(scope="module")
def client(tiny_trained):
    return TestClient(create_app(tiny_trained[0].bundle_dir))


def test_index_and_static_files_are_served(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in r.text
    for name in ("app.js", "plot.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../server.py").status_code == 404  # nothing outside static/


def test_structures_are_what_the_model_reads(client):
    s = client.get("/structures", params={"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA"}).json()
    assert s["matrix"] == [{"input": "C=CC(=O)OCCO", "smiles": "*CC(*)C(=O)OCCO", "kind": "repeat unit"}]
    [xl] = s["crosslinkers"]
    assert xl["input"] == "PETEA" and "C=C" not in xl["smiles"]  # reacted: no acrylate left
    assert client.get("/structures", params={"monomer_smiles": "C=CC(=O)OCCO"}).json()["crosslinkers"] == []
    r = client.get("/structures", params={"monomer_smiles": "C1CC"})
    assert r.status_code == 422 and "unclosed ring" in r.text


def test_depiction_is_an_svg_or_a_clear_422(client):
    r = client.get("/depict.svg", params={"smiles": "*CC(*)C(=O)OCCO", "width": 200, "height": 120})
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.text.lstrip().startswith("<?xml") and "<svg" in r.text
    bad = client.get("/depict.svg", params={"smiles": "C1CC"})
    assert bad.status_code == 422 and "unclosed ring" in bad.text
    assert client.get("/depict.svg", params={"smiles": "CCO", "width": 5000}).status_code == 422


def test_csv_round_trip_keeps_every_row(client):
    body = b"monomer_smiles,crosslinker,temperature_C\nC=CC(=O)OCCO,PETEA,25\nC1CC,PETEA,25\n[*]CCO[*],,60\n"
    r = client.post("/predict.csv", content=body, headers=CSV)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    out = pd.read_csv(io.StringIO(r.text))
    assert out["monomer_smiles"].tolist() == ["C=CC(=O)OCCO", "C1CC", "[*]CCO[*]"]
    assert (out["status"] == "ok").tolist() == [True, False, True]
    assert "unclosed ring" in out.loc[1, "status"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00junk", "not UTF-8"),
        (b"crosslinker\nPETEA\n", "monomer_smiles"),
        (b"monomer_smiles\n" + b"CCO\n" * 1001, "at most 1000"),
    ],
)
def test_bad_uploads_get_one_message(client, body, message):
    r = client.post("/predict.csv", content=body, headers=CSV)
    assert r.status_code == 422 and message in r.text
    assert "/tmp/" not in r.text  # the upload is named, not its temporary file


def test_an_upload_past_its_time_budget_returns_every_row(tiny_trained):
    hurried = TestClient(create_app(tiny_trained[0].bundle_dir, deadline_s=0.0))
    body = "monomer_smiles,temperature_C\n" + "".join(f"C=CC(=O)OCCO,{t % 100}\n" for t in range(150))
    out = pd.read_csv(io.StringIO(hurried.post("/predict.csv", content=body.encode(), headers=CSV).text))
    assert len(out) == 150 and out["temperature_C"].tolist() == [t % 100 for t in range(150)]
    assert (out["status"].iloc[:64] == "ok").all()
    assert out["status"].iloc[64:].str.contains("time budget of 0 s ran out after 64 of 150 rows").all()
    assert out["sigma_S_cm_pred"].iloc[64:].isna().all()


def test_table_and_screens(client, tiny_trained, tmp_path):
    rows = client.post("/table", content=b"rank,monomer_smiles\n1,CCO\n2,CCCO\n", headers=CSV).json()
    assert rows == [{"rank": "1", "monomer_smiles": "CCO"}, {"rank": "2", "monomer_smiles": "CCCO"}]
    assert client.get("/screens").json() == []
    assert client.get("/screens/0").status_code == 404
    from spepred.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="finished `spepred screen` output directory"):
        create_app(tiny_trained[0].bundle_dir, screens=[tmp_path])
