"""The web page in a real browser: Debian's headless Chromium driven by Playwright, against
a real ``spepred serve`` on 127.0.0.1 (tiny bundle trained in a fixture, a small screen
run into a temporary directory). No browser is downloaded: Playwright's driver ships in
its wheel and launches ``/usr/bin/chromium`` (``.ci/run`` installs it).

``SPEPRED_SCREENSHOTS=DIR`` saves the page's screenshots there (the README's and
``docs/web.md``'s come from this); ``SPEPRED_WEB_TEST_MODEL=DIR`` serves another bundle.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.conftest import REQUIRE_ALL, import_or_skip, skip_unless_required
from tests.serving import running_server

pytestmark = pytest.mark.network

CHROMIUM = Path("/usr/bin/chromium")
#: Chromium flags for a sandbox-less, offline, quiet headless run.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOTS = os.environ.get("SPEPRED_SCREENSHOTS")
HEA = {"monomer_smiles": "HEA", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25}


def _model(tiny_trained) -> str:
    return os.environ.get("SPEPRED_WEB_TEST_MODEL") or str(tiny_trained[0].bundle_dir)


@pytest.fixture(scope="module")
def screen_dir(tiny_trained, tmp_path_factory):
    from spepred.cli import main

    out = tmp_path_factory.mktemp("web-screen") / "screen"
    code = main(
        ["screen", "--monomers", "C=CC(=O)OCCO", "[*]CCO[*]", "C=CC(=O)OCCOC", "--crosslinkers", "PETEA", "PEGDA",
         "none", "--fillers", "none", "SiO2:5", "--salts", "LiTFSI", "--temperature", "25", "60", "--output", str(out), "--workers", "1",
         "--model", _model(tiny_trained), "--top", "8", "--format", "csv", "-q", "--no-plot"]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def server(tiny_trained, screen_dir):
    with running_server("--model", _model(tiny_trained), "--screen", str(screen_dir)) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = import_or_skip("playwright.sync_api")
    if not CHROMIUM.exists():
        skip_unless_required("Chromium not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors  # no JavaScript error on any page


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=False)


def _api(server, body, **params):
    r = httpx.post(f"{server}/predict", json=body, params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _shown_sigma(page) -> float:
    text = page.inner_text("#sigma-value")
    return float(re.match(r"([0-9.eE+-]+) S/cm", text).group(1))


def _predict(page, **fields) -> None:
    for key, value in fields.items():
        page.fill(f"#{key}", str(value))
    page.click("#predict")
    page.wait_for_function("() => !document.getElementById('predict').disabled && "
                           "document.getElementById('busy').textContent === ''")


def test_hea_petea_litfsi_shows_the_apis_sigma(page, server):
    page.goto(server + "/")
    # type-ahead from the chemical dictionary: names and aliases
    assert page.locator("#list-crosslinker option[value='PETEA']").count() == 1
    assert page.locator("#list-crosslinker option[value='pentaerythritol tetraacrylate']").count() == 1
    assert page.locator("#list-monomer option[value='HEA']").count() == 1
    # keyboard only: type into the fields, Enter submits the form
    page.focus("#monomer_smiles")
    page.keyboard.type("HEA")
    page.fill("#crosslinker", "PETEA")
    page.fill("#salt", "LiTFSI")
    page.focus("#temperature_C")
    page.keyboard.press("Enter")
    page.wait_for_selector("#neighbours-table")
    answer = _api(server, HEA, neighbours=5)
    assert _shown_sigma(page) == pytest.approx(answer["sigma_S_cm_pred"], rel=0.01)
    ms = float(page.inner_text("#sigma-ms").split()[0])
    assert ms == pytest.approx(answer["sigma_S_cm_pred"] * 1000, rel=0.01)
    assert "90 % interval" in page.inner_text("#sigma-interval")
    assert page.inner_text("#esw-value").endswith(" V") and page.inner_text("#strength-value").endswith(" MPa")
    # what the model read, drawn by RDKit: HEA's repeat unit and the reacted PETEA
    assert "repeat unit of HEA" in page.inner_text("#structures")
    assert "reacted PETEA" in page.inner_text("#structures")
    page.wait_for_function("() => [...document.querySelectorAll('#structures img')].every(i => i.complete && i.naturalWidth > 0)")
    # why trust it: domain, training label counts, the nearest labelled systems with sources
    trust = page.inner_text("#trust")
    assert "in domain" in trust and "training labels" in trust and "MAE" in trust
    rows = page.locator("#neighbours-table tbody tr")
    assert rows.count() == len(answer["neighbours"]) == 5
    assert answer["neighbours"][0]["record_id"] in rows.nth(0).inner_text()
    # the σ(T) plot draws the curve and its band
    assert page.locator("#curve-plot").is_visible() and page.locator("#curve-plot polyline").count() == 1 and page.locator("#curve-plot polygon").count() == 1
    page.check("#arrhenius")
    assert "1000 / T" in page.text_content("#curve-plot")
    page.uncheck("#arrhenius")
    # the address now holds the formulation
    assert "crosslinker=PETEA" in page.url and "monomer_smiles=HEA" in page.url
    # the form, the answer, why trust it and the nearest labelled systems, in one picture
    page.set_viewport_size({"width": 1280, "height": 2080})
    page.evaluate("() => window.scrollTo(0, 0)")
    _shot(page, "web_prediction.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_bad_smiles_shows_its_message_next_to_the_field(page, server):
    page.goto(server + "/")
    _predict(page, monomer_smiles="C1CC", crosslinker="PETEA")
    msg = page.inner_text("#err-monomer_smiles")
    assert "invalid monomer_smiles 'C1CC': unclosed ring" in msg
    assert page.get_attribute("#monomer_smiles", "aria-invalid") == "true"
    assert page.locator("#result").is_hidden()
    # the same one-line message the API gives
    r = httpx.post(f"{server}/predict", json={"monomer_smiles": "C1CC", "crosslinker": "PETEA"}, timeout=30)
    assert r.status_code == 422 and msg in r.text
    _predict(page, monomer_smiles="C=CC(=O)OCCO", crosslinker="PETA")
    assert "did you mean 'PETEA'" in page.inner_text("#err-crosslinker")
    assert page.inner_text("#err-monomer_smiles") == ""
    _predict(page, crosslinker="PETEA", temperature_C="hot")
    assert "valid number" in page.inner_text("#err-temperature_C")


def test_compare_two_formulations_and_share_by_url(page, server, browser):
    page.goto(server + "/")
    _predict(page, monomer_smiles="C=CC(=O)OCCO", crosslinker="PETEA")
    page.click("#pin")
    _predict(page, crosslinker="PEGDA")
    shared, shared_sigma = page.url, _shown_sigma(page)
    page.click("#pin")
    rows = page.locator("#compare-tbl tbody tr")
    assert rows.count() == 2
    for i, xl in enumerate(("PETEA", "PEGDA")):
        answer = _api(server, {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": xl, "salt": "LiTFSI", "temperature_C": 25})
        shown = float(rows.nth(i).locator("td.sigma").inner_text())
        assert shown == pytest.approx(answer["sigma_S_cm_pred"], rel=0.01)
        assert xl in rows.nth(i).inner_text()
    assert page.locator("#compare-plot polyline").count() == 2  # overlaid σ(T) curves
    assert page.locator("#compare-plot").is_visible()
    # the question the page is for: PEGDA with 10 wt % LLZTO, as a gel with EC
    assert page.locator("#list-filler option[value='LLZTO']").count() == 1
    assert page.locator("#list-liquid option[value='EC']").count() == 1
    page.fill("#liquid", "EC")
    assert page.is_checked("#plasticized")  # a liquid makes it a gel
    _predict(page, filler="LLZTO", filler_wt_pct="10")
    page.click("#pin")
    third = page.locator("#compare-tbl tbody tr").nth(2)
    assert "filler LLZTO 10 wt %" in third.inner_text() and "with EC (plasticized)" in third.inner_text()
    answer = _api(server, {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PEGDA", "filler": "LLZTO",
                           "filler_wt_pct": 10, "plasticized": True, "liquids": "EC", "salt": "LiTFSI",
                           "temperature_C": 25})
    assert float(third.locator("td.sigma").inner_text()) == pytest.approx(answer["sigma_S_cm_pred"], rel=0.01)
    assert page.locator("#compare-plot polyline").count() == 3
    assert "liquid=EC" in page.url and "liquids=EC" in page.url  # the liquid goes to the API, not only the page
    page.evaluate("() => document.getElementById('compare').scrollIntoView()")
    _shot(page, "web_compare.png")
    # a new page opened on the shared address shows the same formulation and answer
    other = browser.new_page()
    other.goto(shared)
    other.wait_for_selector("#neighbours-table")
    assert other.input_value("#crosslinker") == "PEGDA"
    assert _shown_sigma(other) == pytest.approx(shared_sigma, rel=1e-6)
    other.close()
    page.click("[data-unpin='0']")
    assert page.locator("#compare-tbl tbody tr").count() == 2


def test_csv_round_trip_with_a_bad_row(page, server, tmp_path):
    src = tmp_path / "mine.csv"
    src.write_text(
        "monomer_smiles,crosslinker,salt,temperature_C\n"
        "C=CC(=O)OCCO,PETEA,LiTFSI,25\n"
        "C1CC,PETEA,LiTFSI,25\n"
        "[*]CCO[*],,LiTFSI,60\n"
    )
    page.goto(server + "/")
    page.set_input_files("#csv-file", str(src))
    page.click("#csv-run")
    page.wait_for_selector("#csv-download:not([hidden])")
    assert "3 rows: 2 predicted, 1 with a status" in page.inner_text("#csv-summary")
    bad = page.locator("#csv-bad tbody tr")
    assert bad.count() == 1 and "unclosed ring" in bad.inner_text() and bad.locator("td").first.inner_text() == "2"
    with page.expect_download() as info:
        page.click("#csv-download")
    out = pd.read_csv(info.value.path())
    assert len(out) == 3 and list(out["status"] == "ok") == [True, False, True]
    assert out["monomer_smiles"].tolist() == ["C=CC(=O)OCCO", "C1CC", "[*]CCO[*]"]
    expected = _api(server, {"monomer_smiles": "C=CC(=O)OCCO", "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25})
    assert out.loc[0, "sigma_S_cm_pred"] == pytest.approx(expected["sigma_S_cm_pred"], rel=1e-6)
    # a file that is not a table gets one message, not a crash
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00garbage")
    page.set_input_files("#csv-file", str(junk))
    page.click("#csv-run")
    page.wait_for_selector("#csv-summary .status-bad")
    assert "cannot read the uploaded CSV" in page.inner_text("#csv-summary")


def test_pareto_view_of_a_small_screen(page, server, screen_dir):
    pareto = pd.read_csv(screen_dir / "pareto.csv")
    top = pd.read_csv(screen_dir / "top.csv")
    page.goto(server + "/")
    page.click("[data-screen='0']")
    page.wait_for_selector("#pareto-plot circle")
    assert page.locator("#pareto-plot circle").count() == len(pareto)
    assert page.locator("#pareto-plot").is_visible()
    assert f"({len(pareto)} formulations)" in page.inner_text("#screen-title")
    assert page.locator("#top-table tbody tr").count() == len(top)
    first = page.locator("#top-table tbody tr").first.inner_text()
    assert str(top.loc[0, "monomer_smiles"]) in first
    # points are reachable by keyboard and say what they are
    page.focus("#pareto-plot circle")
    page.keyboard.press("Enter")
    detail = page.inner_text("#pareto-detail")
    assert "σ" in detail and "window" in detail and str(pareto.loc[0, "monomer_smiles"]) in detail
    page.select_option("#screen-y", "strength_MPa_pred")
    assert "strength (MPa)" in page.text_content("#pareto-plot")
    page.select_option("#screen-y", "esw_V_pred")
    page.locator("#screens").scroll_into_view_if_needed()
    _shot(page, "web_pareto.png")
    # the same front opened from its files (a screen this server was not started with)
    page.reload()
    page.set_input_files("#screen-files", [str(screen_dir / "pareto.csv"), str(screen_dir / "top.csv")])
    page.wait_for_selector("#pareto-plot circle")
    assert page.locator("#pareto-plot circle").count() == len(pareto)
    assert page.locator("#top-table tbody tr").count() == len(top)


def test_the_page_ships_everything_it_loads(page, server):
    """Offline: every request the page makes goes to the spepred server itself."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(server + "/")
    page.click("#draw-toggle")  # the structure editor, when installed, is served locally too
    page.wait_for_function("() => document.getElementById('jsme-note').textContent !== 'Loading the structure editor…'",
                           timeout=20_000)
    page.wait_for_load_state("networkidle")
    if REQUIRE_ALL:  # CI unpacks the editor: it must have loaded, from this server
        assert page.inner_text("#jsme-note").startswith("Draw")
    foreign = [u for u in seen if not u.startswith(server) and not u.startswith("data:")]
    assert not foreign, foreign
    assert any(u.endswith("/static/app.js") for u in seen)


def test_structure_editor_draws_into_the_smiles_field(page, server):
    from spepred.web import vendor

    if not vendor.installed():
        skip_unless_required("JSME not unpacked (python -m spepred.web.vendor)")
    page.goto(server + "/")
    page.fill("#monomer_smiles", "C=CC(=O)OCCO")
    page.click("#draw-toggle")
    assert page.get_attribute("#draw-toggle", "aria-expanded") == "true"
    page.wait_for_function("() => document.getElementById('jsme-note').textContent.startsWith('Draw')", timeout=20_000)
    page.fill("#monomer_smiles", "")
    page.click("#jsme-use")  # the editor was opened on HEA: its SMILES comes back
    page.wait_for_function("() => document.getElementById('monomer_smiles').value !== ''", timeout=10_000)
    drawn = page.input_value("#monomer_smiles")
    assert drawn and "C=C" in drawn
    page.click("#jsme-add")
    assert page.input_value("#monomer_smiles") == f"{drawn}.{drawn}"
    page.fill("#monomer_smiles", drawn)
    _predict(page, crosslinker="PETEA")
    answer = _api(server, {"monomer_smiles": drawn, "crosslinker": "PETEA", "salt": "LiTFSI", "temperature_C": 25})
    assert _shown_sigma(page) == pytest.approx(answer["sigma_S_cm_pred"], rel=0.01)
    page.locator("#formulation").scroll_into_view_if_needed()
    _shot(page, "web_editor.png")
