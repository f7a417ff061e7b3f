"""The HTTP service under hostile requests: the OpenAPI contract (schemathesis), arbitrary
JSON (Hypothesis), bodies too large with or without a Content-Length, deep nesting, wrong
types and content types. Never a 5xx, never a hang; every item of a list comes back."""

from __future__ import annotations

import json

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spepred.server import MAX_BATCH, MAX_BODY_BYTES, create_app
from tests.reliability.hostile import REFUSED
from tests.reliability.test_fuzz_api import TOKENS

GOOD = {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25}


@pytest.fixture(scope="module")
def app(tiny_trained):
    return create_app(tiny_trained[0].bundle_dir)


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


OPERATIONS = (
    "GET /health", "GET /model", "GET /chemicals", "POST /predict",
    # what the web page calls besides /predict
    "GET /structures", "GET /depict.svg", "POST /predict.csv", "POST /table", "GET /screens",
    "GET /screens/{screen_id}",
)


@pytest.mark.slow
def test_every_operation_is_fuzzed(api_schema):
    assert {r.ok().label for r in api_schema.get_all_operations()} == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.slow
def test_openapi_contract(api_schema, label):
    """Schemathesis against the served OpenAPI schema: generated and mutated requests (wrong
    types, missing and extra fields, boundary values) for every operation, with all its
    checks (no 5xx, responses conform to the documented schema and status codes, invalid
    data rejected...) except one: a schema-valid string that is not valid chemistry is
    rightly refused with 422, which JSON Schema cannot express."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    [operation] = [r.ok() for r in api_schema.get_all_operations() if r.ok().label == label]
    seen: dict[int, int] = {}

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    run()
    assert seen and max(seen) < 500, seen


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4),
    max_leaves=20,
)
fields = {
    "monomer_smiles": st.one_of(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join), json_values),
    "crosslinker": json_values,
    "temperature_C": st.one_of(st.floats(allow_nan=False), st.integers(), json_values),
    "salt_molality_mol_kg": st.one_of(st.floats(allow_nan=False), st.integers(-(10**400), 10**400)),
    "plasticized": json_values,
    "filler": json_values,
}
formulation = st.fixed_dictionaries({}, optional=fields)
bodies = st.one_of(formulation, st.lists(formulation, max_size=5), json_values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=bodies)
@pytest.mark.slow
def test_arbitrary_json_never_5xx(client, body):
    r = client.post("/predict", content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code in (200, 422), (r.status_code, r.text[:500])
    payload = r.json()
    if r.status_code == 200 and isinstance(body, list):
        assert isinstance(payload, list) and len(payload) == len(body)
        assert all(isinstance(item["status"], str) and item["status"] for item in payload)
    if r.status_code == 422:
        assert payload["detail"] and all("msg" in d for d in payload["detail"])


@pytest.mark.parametrize("name", REFUSED)
def test_hostile_smiles_get_a_422_or_a_status(client, name):
    smiles, _ = REFUSED[name]
    r = client.post("/predict", json={**GOOD, "monomer_smiles": smiles})
    assert r.status_code == 422, r.text[:300]
    r = client.post("/predict", json=[GOOD, {**GOOD, "monomer_smiles": smiles}])
    assert r.status_code in (200, 422), r.text[:300]
    if r.status_code == 200:
        first, second = r.json()
        assert first["status"] == "ok" and second["status"] != "ok"


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deep nesting: the JSON parser's recursion
        b'{"monomer_smiles": ' * 50_000,
        b"\x00\x01\x02",
        b"\xff\xfe{}",
        '{"monomer_smiles": "CC\\u0000O"}'.encode(),
        b'{"monomer_smiles": "CCO", "temperature_C": 1e999}',
        b'{"monomer_smiles": "CCO", "temperature_C": -Infinity}',
        b'{"monomer_smiles": "CCO", "salt_molality_mol_kg": ' + b"9" * 5000 + b"}",
        b"",
        b"null",
        b'"just a string"',
    ],
)
def test_malformed_and_pathological_json(client, raw):
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (400, 413, 422), (r.status_code, r.text[:300])


@pytest.mark.parametrize(
    ("raw", "temperature"),
    [
        (b'{"monomer_smiles": "C", "monomer_smiles": "CCO"}', 25.0),  # duplicate key: the last wins
        (b'{"monomer_smiles": "CCO", "temperature_C": NaN}', None),  # JSON extension: missing
    ],
)
def test_lenient_json_is_answered_as_python_reads_it(client, raw, temperature):
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["monomer_smiles"] == "CCO"
    assert r.json()["temperature_C"] == temperature


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""])
def test_wrong_content_types(client, content_type):
    r = client.post("/predict", content=json.dumps(GOOD), headers={"content-type": content_type})
    assert r.status_code < 500


def test_body_size_cap_with_and_without_content_length(client):
    big = json.dumps([GOOD] * 40_000).encode()  # ~3.6 MB
    assert len(big) > MAX_BODY_BYTES
    r = client.post("/predict", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    # chunked transfer: no Content-Length header, the size is only known while reading
    r = client.post("/predict", content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413, r.status_code
    r = client.post("/predict", content=b"{}", headers={"content-type": "application/json", "content-length": "abc"})
    assert r.status_code == 400


def test_batch_size_cap(client):
    assert client.post("/predict", json=[GOOD] * MAX_BATCH).status_code == 200
    r = client.post("/predict", json=[GOOD] * (MAX_BATCH + 1))
    assert r.status_code == 422 and "at most" in r.text


def test_query_and_path_oddities(client):
    assert client.get("/chemicals", params={"role": "x" * 10_000}).status_code == 422
    assert client.get("/chemicals", params={"role": "\x00"}).status_code == 200
    assert client.get("/nope").status_code == 404
    assert client.get("/predict").status_code == 405
    assert client.request("TRACE", "/health").status_code == 405
