"""The one door into RDKit: SMILES in, molecules out, with one clear error per bad input.

Polymer conventions handled here:

* repeat units with ``[*]`` or bare ``*`` attachment points (RadonPy, the dictionary);
* ``[Cu]``/``[Au]`` head/tail markers (Bradford 2023, HTP-MD) and ``[Mg]`` markers, which
  become ``[*]`` when a SMILES carries exactly two markers in total;
* multi-component inputs joined with ``.`` (each component is parsed and reported alone);
* charged salts (``[Li+].[N-](...)``).
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from collections.abc import Iterator

from rdkit import Chem, RDLogger, rdBase

from spepred.errors import InvalidSmilesError
from spepred.values import MAX_SMILES_LENGTH  # inputs longer are refused before RDKit sees them

#: Molecules with more heavy atoms than this are refused (descriptors scale with size;
#: the largest repeat unit in the training data has 674).
MAX_HEAVY_ATOMS = 1000
#: Molecules with more rings (bonds - atoms + fragments) than this are refused: RDKit's ring
#: perception grows steeply with fused rings (a 500-ring ladder polymer takes a minute to
#: featurize, 100 rings under a second; the training data has at most 53).
MAX_RINGS = 100
#: Molecules with more attachment points (``*``) than this are refused (a repeat unit has 2).
MAX_ATTACHMENT_POINTS = 16

_MARKER_RE = re.compile(r"\[(?:Cu|Au|Mg)\]")
_ATTACH_RE = re.compile(r"\[\*\]|\*|\[(?:Cu|Au|Mg)\]")
_TIMESTAMP_RE = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
_LOCK = threading.Lock()

RDLogger.DisableLog("rdApp.*")


@contextmanager
def rdkit_quiet() -> Iterator[None]:
    """Silence RDKit's logger inside the block (it is silenced globally on import too)."""
    with rdBase.BlockLogs():
        yield


def normalize_attachment_points(smiles: str) -> str:
    """Rewrite dataset-specific head/tail markers (``[Cu]``, ``[Au]``, ``[Mg]``) as ``[*]``.

    Markers are rewritten only when the SMILES carries exactly two attachment points in
    total, so that a real copper or gold atom in a larger molecule is never mistaken for
    a chain end.
    """
    if "[" not in smiles:
        return smiles
    markers = _MARKER_RE.findall(smiles)
    if markers and len(_ATTACH_RE.findall(smiles)) == 2:
        return _MARKER_RE.sub("[*]", smiles)
    return smiles


def _rdkit_reason(messages: str) -> str:
    lines = [_TIMESTAMP_RE.sub("", ln).strip() for ln in messages.splitlines() if ln.strip()]
    if not lines:
        return "RDKit could not parse it"
    first = lines[0].replace("SMILES Parse Error: ", "")
    first = re.sub(r" for input: '.*'$", "", first)
    first = re.sub(r" while parsing: .*$", "", first)
    for ln in lines[1:]:
        m = re.search(r"check for mistakes around position (\d+)", ln)
        if m:
            first += f" near position {m.group(1)}"
            break
    return first


def _check_size(text: str, smiles: str, field: str) -> None:
    """Refuse molecules that are too large *before* RDKit sanitizes them: ring perception
    grows steeply with the number of fused rings, and every descriptor with the atom count.
    This bounds the time and memory one molecule can cost. The unsanitized parse takes
    microseconds; a text it cannot read falls through to the sanitizing parse, which says
    why."""
    raw = Chem.MolFromSmiles(text, sanitize=False)
    if raw is None:
        return
    heavy = raw.GetNumHeavyAtoms()
    if heavy > MAX_HEAVY_ATOMS:
        raise InvalidSmilesError(
            smiles, f"more than {MAX_HEAVY_ATOMS} heavy atoms ({heavy})", field=field
        )
    rings = raw.GetNumBonds() - raw.GetNumAtoms() + len(Chem.GetMolFrags(raw, sanitizeFrags=False))
    if rings > MAX_RINGS:
        raise InvalidSmilesError(smiles, f"more than {MAX_RINGS} rings ({rings})", field=field)
    ends = text.count("*")  # every atom of atomic number 0 is written '*' ([*], [1*], [*:2])
    if ends > MAX_ATTACHMENT_POINTS:
        raise InvalidSmilesError(
            smiles, f"more than {MAX_ATTACHMENT_POINTS} attachment points ({ends} '*')", field=field
        )


def parse_smiles(smiles: object, *, field: str = "smiles") -> Chem.Mol:
    """Parse one SMILES string (one or more ``.``-joined fragments) into a sanitized molecule.

    Parameters
    ----------
    smiles
        The SMILES text. Dataset attachment markers are normalized to ``[*]`` first.
    field
        Name of the input field, used in the error message.

    Raises
    ------
    InvalidSmilesError
        With RDKit's own reason (``unclosed ring``, ``Explicit valence for atom # 0 C, 5, is
        greater than permitted``...), or spepred's (empty, too long, NUL byte, more than
        :data:`MAX_HEAVY_ATOMS` heavy atoms, :data:`MAX_RINGS` rings or
        :data:`MAX_ATTACHMENT_POINTS` attachment points).
    """
    if not isinstance(smiles, str):
        raise InvalidSmilesError(str(smiles), "expected a SMILES string", field=field)
    text = smiles.strip()
    if not text:
        raise InvalidSmilesError(smiles, "empty SMILES", field=field)
    if len(text) > MAX_SMILES_LENGTH:
        raise InvalidSmilesError(
            smiles, f"longer than {MAX_SMILES_LENGTH} characters", field=field
        )
    if not text.isprintable() or not text.isascii():
        raise InvalidSmilesError(
            smiles, "contains non-ASCII or control characters", field=field
        )
    if any(c.isspace() for c in text):
        # RDKit reads everything after a space as the molecule's name: "C=CC(=O)OCCO junk"
        # would silently be HEA. A SMILES never holds whitespace, so inside one it is an error.
        raise InvalidSmilesError(
            smiles, f"contains whitespace at position {next(i for i, c in enumerate(text) if c.isspace())} "
            "(a SMILES has no spaces; separate components with '.')", field=field,
        )
    text = normalize_attachment_points(text)
    _check_size(text, smiles, field)
    with _LOCK:
        capture = getattr(rdBase, "CaptureErrorLog", None)
        if capture is not None:
            with capture() as log:
                mol = Chem.MolFromSmiles(text)
            messages = log.messages
        else:  # older RDKit: no captured reason, re-derive what we can below
            mol, messages = Chem.MolFromSmiles(text), ""
    if mol is None:
        if not messages:
            raw = Chem.MolFromSmiles(text, sanitize=False)
            if raw is not None:
                try:
                    Chem.SanitizeMol(raw)
                except Exception as exc:  # RDKit raises several exception types here
                    messages = str(exc)
        raise InvalidSmilesError(smiles, _rdkit_reason(messages), field=field)
    if mol.GetNumAtoms() == 0:
        raise InvalidSmilesError(smiles, "no atoms", field=field)
    return mol


def canonical_smiles(smiles: str, *, field: str = "smiles") -> str:
    """Canonical RDKit SMILES of ``smiles`` (attachment markers normalized to ``[*]``)."""
    return Chem.MolToSmiles(parse_smiles(smiles, field=field))


def split_components(smiles: str) -> list[str]:
    """Split a ``.``-joined multi-component SMILES into its non-empty components."""
    return [part for part in smiles.split(".") if part.strip()]


def n_attachment_points(mol: Chem.Mol) -> int:
    """Number of dummy (``*``) atoms, i.e. polymer chain ends."""
    return sum(1 for a in mol.GetAtoms() if a.GetAtomicNum() == 0)


def formal_charge(mol: Chem.Mol) -> int:
    return sum(a.GetFormalCharge() for a in mol.GetAtoms())
