"""Structure depictions (RDKit SVG) of what the model reads: the resolved repeat units of a
matrix and the reacted crosslinkers, so that a chemist sees the chemistry behind a number."""

from __future__ import annotations

from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D

from spepred.chem.mol import parse_smiles, rdkit_quiet
from spepred.chem.resolve import is_none, resolve_crosslinkers, resolve_matrix

#: Largest drawing asked for (pixels per side): bounded work per request.
MAX_SIZE = 800


def depict_svg(smiles: str, *, width: int = 260, height: int = 180, field: str = "smiles") -> str:
    """An SVG drawing of ``smiles`` (attachment points drawn as ``*``); raises
    :class:`~spepred.errors.InvalidSmilesError` for a SMILES RDKit cannot read."""
    width, height = max(60, min(int(width), MAX_SIZE)), max(60, min(int(height), MAX_SIZE))
    mol = parse_smiles(smiles, field=field)
    with rdkit_quiet():
        rdDepictor.SetPreferCoordGen(True)
        rdDepictor.Compute2DCoords(mol)
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
        opts = drawer.drawOptions()
        opts.clearBackground = False  # the page's background shows through (dark mode too)
        opts.padding = 0.08
        rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
        drawer.FinishDrawing()
    return drawer.GetDrawingText()


def resolved_structures(monomer_smiles: str, crosslinker: str | None = None) -> dict[str, list[dict[str, str]]]:
    """What the featurizer reads from a formulation's building blocks: each matrix input with
    the network unit it becomes (the repeat unit of a monomer) and each crosslinker with its
    reacted, saturated form ('' for an inorganic node without a structure)."""
    matrix = [
        {"input": c.input, "smiles": c.smiles, "kind": "repeat unit" if c.is_repeat_unit else "molecule"}
        for c in resolve_matrix(monomer_smiles)
    ]
    xl = []
    if crosslinker and not is_none(crosslinker):
        xl = [{"input": c.label, "smiles": c.reacted_smiles, "kind": "reacted crosslinker"}
              for c in resolve_crosslinkers(crosslinker)]
    return {"matrix": matrix, "crosslinkers": xl}
