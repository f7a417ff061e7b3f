"""Fetch the JSME structure editor from the npm registry into ``static/vendor/jsme``.

JSME (BSD-3-Clause, Novartis and B. Bienfait; ``license.txt`` is kept beside it) is about
8 MB of compiled GWT JavaScript, so it is not committed: ``python -m spepred.web.vendor``
runs ``npm pack`` for one pinned version, checks the tarball against its pinned SHA-512
(the registry's ``integrity``) and unpacks it. Without it the page still works: SMILES are
typed, and RDKit draws what the model reads. Nothing is fetched at run time.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "jsme-editor"
VERSION = "0.8.2"
INTEGRITY = "sha512-qjPe2CsxWmDlW6brK41e2hsRdFTui8rJwOgk2GkSYTK0l+EljmmC9znp46IqRxOBQWPqJZCPo/MefOJmzeIUOQ=="
TARGET = Path(__file__).resolve().parent / "static" / "vendor" / "jsme"
ENTRY = "jsme.nocache.js"


def installed(target: Path = TARGET) -> bool:
    """Whether the editor is unpacked (its loader script is there)."""
    return (target / ENTRY).is_file()


def fetch(target: Path = TARGET, *, force: bool = False) -> Path:
    """``npm pack`` the pinned JSME, verify it and unpack it into ``target``."""
    if installed(target) and not force:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (apt-get install npm): it fetches the JSME editor")
    with tempfile.TemporaryDirectory(prefix="spepred-jsme-") as tmp:
        subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        tarball = next(Path(tmp).glob("*.tgz"))
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            raise RuntimeError(f"{tarball.name}: SHA-512 {digest} differs from the pinned {INTEGRITY}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as tar:
            _safe_extract(tar, staging)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging / "package"), target)
    return target


def _safe_extract(tar: tarfile.TarFile, dest: Path) -> None:
    """Unpack regular files and directories only, never outside ``dest`` (Python's 'data'
    filter where it exists: 3.11.4+; the same checks by hand before)."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
        return
    root = dest.resolve()
    for member in tar.getmembers():
        target = (dest / member.name).resolve()
        if not (member.isfile() or member.isdir()) or (target != root and root not in target.parents):
            raise RuntimeError(f"refusing tar member {member.name!r} (not a plain file inside the package)")
    tar.extractall(dest)


def main() -> int:
    path = fetch(force="--force" in sys.argv[1:])
    print(f"JSME {VERSION} in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
