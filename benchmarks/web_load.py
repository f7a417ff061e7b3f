"""How long the web page takes to load and to answer, in headless Chromium.

Starts ``spepred serve`` on 127.0.0.1 (default model unless ``--model``), opens ``/`` in
Debian's Chromium (``/usr/bin/chromium``, driven by Playwright) ``--runs`` times with a
fresh browser context each time (empty cache), and prints the navigation timings: HTML
received, DOMContentLoaded, load, and "ready" (model line and dictionary lists filled from
the API); then the time from pressing Predict for HEA + PETEA + LiTFSI to the σ shown with
its curve, structures and neighbours. Target: the page loads in under 2 s.

Run: python benchmarks/web_load.py [--model DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import _free_port, start_server, wait_ready  # noqa: E402

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="bundle directory (default: the shipped bundle)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(args.model, port, Path(tempfile.mkdtemp(prefix="spepred-bench-")) / "server.log")
    timings: dict[str, list[float]] = {k: [] for k in ("html", "domcontentloaded", "load", "ready", "predict")}
    try:
        wait_ready(url, proc)
        load_before = os.getloadavg()[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for _ in range(max(1, min(args.runs, 20))):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(url + "/")
                page.wait_for_function(
                    "() => document.getElementById('model-line').textContent.startsWith('Model') && "
                    "document.querySelectorAll('#list-crosslinker option').length > 0"
                )
                ready = time.perf_counter() - t0
                nav = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
                timings["html"].append(nav["responseEnd"] / 1000)
                timings["domcontentloaded"].append(nav["domContentLoadedEventEnd"] / 1000)
                timings["load"].append(nav["loadEventEnd"] / 1000)
                timings["ready"].append(ready)
                page.fill("#monomer_smiles", "HEA")
                page.fill("#crosslinker", "PETEA")
                t0 = time.perf_counter()
                page.click("#predict")
                page.wait_for_selector("#neighbours-table, #neighbours p")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('#structures img')].every(i => i.complete)"
                )
                timings["predict"].append(time.perf_counter() - t0)
                context.close()
            browser.close()
        load_after = os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    names = {
        "html": "HTML received (s)",
        "domcontentloaded": "DOMContentLoaded (s)",
        "load": "load event (s)",
        "ready": "ready: model and dictionary shown (s)",
        "predict": "Predict -> σ, curve, structures, neighbours (s)",
    }
    width = max(map(len, names.values()))
    print(f"{'measure (' + str(len(timings['load'])) + ' runs, cold cache)':<{width}}  median  max")
    print(f"{'-' * width}  ------  -----")
    for key, label in names.items():
        v = timings[key]
        print(f"{label:<{width}}  {statistics.median(v):6.3f}  {max(v):5.3f}")
    print(f"{'load average before / after (1 min)':<{width}}  {load_before:.2f} / {load_after:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
