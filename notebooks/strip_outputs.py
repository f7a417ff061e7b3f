"""Strip outputs and execution counts from notebooks before committing them.

Usage: ``python notebooks/strip_outputs.py notebooks/*.ipynb``. The notebooks are committed
without outputs so that diffs show code and prose only (a test checks it).
"""

from __future__ import annotations

import sys

import nbformat


def strip(path: str) -> bool:
    """Clear outputs and execution counts in place; True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count = [], None
            changed = True
        if cell.metadata.pop("execution", None) is not None:
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if strip(arg):
            print(f"stripped {arg}")
