"""Install footprint: size of a fresh virtual environment and cold-start time of the CLI.

For each project tree (the working tree, and with ``--compare REV`` that git revision as
well, exported with ``git archive``), the script creates a fresh venv in a temporary
directory, runs ``pip install <tree>`` (plus ``--extras``), and measures:

* the venv's size on disk (``du``), and the largest installed distributions;
* ``spepred --help`` and the first ``spepred predict`` after the install (cold: nothing of
  spepred imported yet in that environment), then a second ``predict`` (warm page cache).

Prints one table (one column per tree). pip's cache makes the installs fast; the network is
only needed for wheels the cache does not hold.

Run: python benchmarks/install_footprint.py [--compare main] [--extras server]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREDICT = ["predict", "--smiles", "C=CC(=O)OCCO", "--crosslinker", "PETEA", "--salt", "LiTFSI", "--temperature", "25"]


def _du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def _largest(venv: Path, n: int = 6) -> list[tuple[str, int]]:
    site = next(venv.glob("lib/python*/site-packages"))
    sizes = [(p.name, _du(p)) for p in site.iterdir() if p.is_dir() and not p.name.endswith((".dist-info", "__pycache__"))]
    return sorted(sizes, key=lambda x: -x[1])[:n]


def _timed(cmd: list[str], cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "SPEPRED_MODEL"}  # the shipped bundle
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return dt


def measure(tree: Path, extras: str, work: Path) -> dict[str, object]:
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    target = f"{tree}[{extras}]" if extras else str(tree)
    t0 = time.perf_counter()
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", target], check=True, cwd=work)
    install_s = time.perf_counter() - t0
    exe = str(venv / "bin" / "spepred")
    run_dir = work / "run"  # no ./models/default here: the shipped bundle is used
    run_dir.mkdir()
    help_s = _timed([exe, "--help"], run_dir)
    cold = _timed([exe, *PREDICT], run_dir)
    warm = _timed([exe, *PREDICT], run_dir)
    freeze = subprocess.run([str(py), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    names = {ln.split("==")[0].split(" @ ")[0].lower() for ln in freeze.splitlines() if ln.strip()}
    return {
        "venv size (du)": f"{_du(venv) / 1e6:,.0f} MB",
        "distributions": str(len(names)),
        "pip install (warm cache)": f"{install_s:.0f} s",
        "spepred --help": f"{help_s:.2f} s",
        "first spepred predict": f"{cold:.2f} s",
        "second spepred predict": f"{warm:.2f} s",
        "nvidia-nccl installed": "yes" if any(n.startswith("nvidia-nccl") for n in names) else "no",
        "fastapi / uvicorn installed": "/".join("yes" if n in names else "no" for n in ("fastapi", "uvicorn")),
        "pyspark installed": "yes" if "pyspark" in names else "no",
        "largest": ", ".join(f"{name} {size / 1e6:.0f}" for name, size in _largest(venv)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", metavar="REV", help="also measure this git revision (e.g. main)")
    ap.add_argument("--extras", default="", help="extras to install, e.g. 'server' (default: none)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary venvs")
    args = ap.parse_args()

    trees: list[tuple[str, Path]] = []
    tmp = Path(tempfile.mkdtemp(prefix="spepred-footprint-"))
    if args.compare:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.compare], capture_output=True, text=True, check=True).stdout.strip()
        src = tmp / f"src-{rev}"
        src.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.compare], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        trees.append((f"{args.compare} ({rev})", src))
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "pyproject.toml"], capture_output=True, text=True).stdout.strip()
    trees.append((f"working tree ({head}{'+' if dirty else ''})", ROOT))

    results = []
    try:
        for label, tree in trees:
            print(f"measuring {label} ...", file=sys.stderr, flush=True)
            work = tmp / f"w{len(results)}"
            work.mkdir()
            results.append((label, measure(tree, args.extras, work)))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    load = os.getloadavg()
    print(
        f"# install footprint — {time.strftime('%Y-%m-%d %H:%M')} UTC; {os.cpu_count()} CPUs; "
        f"{platform.system()} {platform.machine()}; python {platform.python_version()}; "
        f"pip install <tree>{'[' + args.extras + ']' if args.extras else ''}; load average {load[0]:.2f}"
    )
    keys = list(results[0][1])
    width = max(len(k) for k in keys)
    cols = [max(len(label), *(len(str(r[k])) for k in keys if k != "largest")) for label, r in results]
    print(f"| {'':<{width}} | " + " | ".join(f"{label:<{c}}" for (label, _), c in zip(results, cols)) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (c + 2) for c in cols) + "|")
    for k in keys:
        if k == "largest":
            continue
        print(f"| {k:<{width}} | " + " | ".join(f"{str(r[k]):<{c}}" for (_, r), c in zip(results, cols)) + " |")
    for label, r in results:
        print(f"largest packages in MB, {label}: {r['largest']}")


if __name__ == "__main__":
    main()
