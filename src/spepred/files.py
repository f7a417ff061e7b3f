"""Writing and hashing files: the one atomic writer and the one SHA-256 of spepred.

Every file spepred writes for a user (predictions, features, screening results, caches,
data tables) goes through :func:`atomic_write`, so they all share the same guarantees:

* a reader never sees a half-written file (a temporary sibling, then ``os.replace``);
* a new file gets the mode the user's umask gives (``0666 & ~umask``, as ``>`` in a shell
  would), an existing file keeps its mode;
* a symbolic link is followed: the file it points to is replaced, never the link;
* a target that is not a regular file is never replaced by one: character devices and
  named pipes (``/dev/null``, ``/dev/stdout``, ``mkfifo``) are written to in place, as a
  shell redirection would; directories, block devices and sockets are refused;
* every failure (a directory, ``/proc/x``, a 300-character name, a full disk) is one
  :class:`~spepred.errors.SpepredError` line naming the path, never a traceback.

This module is the bottom layer: it imports nothing from spepred but :mod:`spepred.errors`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spepred.errors import SpepredError

#: What ``--output -`` means: standard output.
STDOUT = "-"


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def umask() -> int:
    """The process umask (read from ``/proc`` where possible: setting it to read it back,
    the only portable way, races with other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode a new file gets from ``open(..., "w")`` under the current umask."""
    return 0o666 & ~umask()


def is_stream(path: str | os.PathLike) -> bool:
    """True for an existing character device or named pipe (``/dev/null``, a FIFO): written
    to in place, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def check_output_path(path: str | os.PathLike, *, what: str = "output") -> Path:
    """The file that writing ``path`` will create or replace (symbolic links followed), or
    one clear :class:`SpepredError` for a target that cannot be a file."""
    raw = os.fspath(path)
    if not raw:
        raise SpepredError(f"cannot write the {what}: empty file name")
    p = Path(raw)
    parent = p.parent if str(p.parent) else Path(".")
    limit = _name_max(parent) if parent.is_dir() else 255
    n_bytes = len(p.name.encode("utf-8", "surrogateescape"))
    if n_bytes > limit:
        raise SpepredError(
            f"cannot write {_short_path(raw)}: the file name is {n_bytes} bytes long; "
            f"the file system allows at most {limit}"
        )
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise SpepredError(f"cannot write {_short_path(raw)}: {err.strerror}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise SpepredError(f"cannot write {raw}: it is a directory (expected a file name for the {what})")
        if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return p
        if not stat.S_ISREG(st.st_mode):
            raise SpepredError(
                f"cannot write {raw}: it exists and is not a regular file (a block device or socket); "
                "refusing to replace it"
            )
        p = Path(os.path.realpath(p))  # replace what a link points to, never the link
    elif p.is_symlink():  # a dangling link: writing would create its target; refuse
        raise SpepredError(f"cannot write {raw}: it is a symbolic link to a missing file")
    real_parent = os.path.realpath(p.parent if str(p.parent) else ".")
    for pseudo in ("/proc", "/sys"):
        if real_parent == pseudo or real_parent.startswith(pseudo + "/"):
            raise SpepredError(
                f"cannot write {raw}: {pseudo} is a kernel pseudo-file system, not a place for files"
            )
    return p


def _short_path(raw: str, limit: int = 80) -> str:
    return raw if len(raw) <= limit else raw[: limit // 2] + "..." + raw[-limit // 4:]


@contextmanager
def atomic_write(path: str | os.PathLike, *, what: str = "output", fsync: bool = True) -> Iterator[Path]:
    """Yield a path to write; on success it becomes ``path`` atomically.

    A stream target (character device, named pipe) is yielded itself and written in place.
    Any ``OSError`` while writing becomes one :class:`SpepredError` line naming ``path``.
    """
    raw = os.fspath(path)
    target = check_output_path(raw, what=what)
    if is_stream(target):
        try:
            yield target
        except OSError as err:
            raise SpepredError(f"cannot write {raw}: {_reason(err)}") from None
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = new_file_mode()
    except OSError as err:
        raise SpepredError(f"cannot write {raw}: {_reason(err)}") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # a short prefix: the temporary name must fit the file system's limit too
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp")
        os.close(fd)
    except OSError as err:
        raise SpepredError(f"cannot write {raw}: {_reason(err)}") from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, mode)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, target)
    except OSError as err:
        raise SpepredError(f"cannot write {raw}: {_reason(err)}") from None
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # pragma: no cover - nothing more can be done
            pass


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def write_bytes_atomic(data: bytes, path: str | os.PathLike, *, what: str = "output", fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_write`."""
    with atomic_write(path, what=what, fsync=fsync) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(path)


def write_text_atomic(text: str, path: str | os.PathLike, *, what: str = "output", fsync: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` through :func:`atomic_write`."""
    return write_bytes_atomic(text.encode("utf-8"), path, what=what, fsync=fsync)


__all__ = [
    "STDOUT",
    "atomic_write",
    "check_output_path",
    "is_stream",
    "new_file_mode",
    "sha256_file",
    "umask",
    "write_bytes_atomic",
    "write_text_atomic",
]
