"""The notebooks run top to bottom on a fresh install and are committed without outputs.

Each notebook is executed by nbclient in a kernel of this interpreter, in a temporary working
directory (nothing is written into the repository), with a per-cell timeout; any cell error
fails the test. Execution times are recorded (``record_property`` and the terminal summary),
never asserted: the machine is shared and a stopwatch test would be noise.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.conftest import MIRROR, ROOT, skip_unless_required

pytestmark = pytest.mark.notebooks

NOTEBOOKS = ROOT / "notebooks"
NAMES = ("01_quickstart.ipynb", "02_training_and_tracking.ipynb", "03_design_screening.ipynb")
#: Only notebook 02 reads the public datasets (it trains on them).
NEEDS_MIRROR = {"02_training_and_tracking.ipynb"}
CELL_TIMEOUT_S = 1800  # per cell: catches a hung kernel, not a slow (shared) machine
#: Set to a directory to keep the executed notebooks (with outputs) for a look.
KEEP_ENV = "SPEPRED_NOTEBOOK_OUTPUT_DIR"
KERNEL = "spepred-notebook-test"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} have outputs; strip them before committing"


@pytest.fixture
def kernel_of_this_interpreter(tmp_path, monkeypatch) -> str:
    """A kernelspec that runs this interpreter, found first on JUPYTER_PATH, so that a
    'python3' kernelspec of another Python on the machine can never be picked up."""
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "spepred tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(
    name, tmp_path, monkeypatch, kernel_of_this_interpreter, record_property, notebook_times
):
    if name in NEEDS_MIRROR and not (MIRROR / "bradford2023").is_dir():
        skip_unless_required(f"{name} trains on the public datasets: set SPEPRED_DATA_MIRROR")
    monkeypatch.setenv("SPEPRED_DATA_MIRROR", str(MIRROR))
    # the kernel's inline backend draws every figure at the end of its cell, so drawing errors
    # surface here; an inherited MPLBACKEND would replace it
    monkeypatch.delenv("MPLBACKEND", raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    # notebook 02 trains in tempfile.mkdtemp() and leaves it for the reader: keep it under tmp_path
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    before = sorted(p.name for p in NOTEBOOKS.iterdir())

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=kernel_of_this_interpreter,
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:  # the failing cell's source and traceback, uncoloured
        pytest.fail(f"{name}: {ANSI.sub('', str(err))}", pytrace=False)
    finally:
        elapsed = time.perf_counter() - start
        record_property("execution_s", round(elapsed, 1))
        notebook_times[name] = elapsed
        print(f"{name}: {elapsed:.1f} s")
        if os.environ.get(KEEP_ENV):
            os.makedirs(os.environ[KEEP_ENV], exist_ok=True)
            nbformat.write(nb, os.path.join(os.environ[KEEP_ENV], name))

    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    blank = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and "plt.subplots(" in c.source
        and not any("image/png" in o.get("data", {}) for o in c.outputs)
    ]
    assert not blank, f"{name}: cells {blank} draw a figure but display none"
    assert sorted(p.name for p in NOTEBOOKS.iterdir()) == before, "the notebook wrote into notebooks/"
