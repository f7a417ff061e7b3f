"""Memory per input row of ``spepred predict --input``, and a large CSV screened end to end.

Prints three tables.

1. ``predict --input X.csv --output Y.csv`` on two table sizes (default 50,000 and 200,000
   rows from a few hundred building blocks, ``featurize_speed.library``), each in its own
   process: peak RSS, and the memory per row as the slope between the two sizes (what a
   table ten times longer would add). ``--src DIR`` runs another checkout's code (its
   ``DIR/src`` first on ``PYTHONPATH``), so the same table measures the code before a change.
2. Inputs that must be refused at once (a million fields under a one-column header, in
   the first and in a later row; a screen spec of 10^9 formulations): exit code, CPU
   seconds and peak RSS of the process.
3. ``spepred screen --input X.csv`` on a CSV of ``--screen-rows`` rows (default 500,000),
   end to end in its own process (reading, library, prediction on both cores, ranking,
   Pareto front, final Parquet, plot): wall time, rows/min against the 1,000,000 rows/min
   target, and the peak RSS of the process and its workers (sampled from /proc).

Run: SPEPRED_DATA_MIRROR=../shared/data python benchmarks/input_memory.py
     [--rows 50000,200000] [--screen-rows 500000] [--src ../some-checkout] [--no-screen]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Runs the CLI in this process and reports the process's own peak RSS on stderr.
RUN_CLI = (
    "import resource, sys\n"
    "from spepred.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "sys.stderr.write(f'\\nMAXRSS_KB {u.ru_maxrss} CPU_S {u.ru_utime + u.ru_stime}\\n')\n"
    "sys.exit(rc)\n"
)


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if src is not None:
        env["PYTHONPATH"] = str(src / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def _watch(proc: subprocess.Popen, interval: float = 0.1) -> list[int]:
    peak = [0]

    def run() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(interval)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return peak


def table(path: Path, n_rows: int) -> int:
    sys.path.insert(0, str(HERE))
    from featurize_speed import library

    frame, n_unique = library(n_rows, seed=1)
    frame.to_csv(path, index=False)
    return n_unique


def predict_rss(csv: Path, out: Path, src: Path | None) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "predict", "--input", str(csv), "--output", str(out)],
        env=_env(src), capture_output=True, text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    kb = int(proc.stderr.rsplit("MAXRSS_KB", 1)[1].split()[0])
    return wall, kb * 1024


def screen_run(csv: Path, out: Path, src: Path | None) -> tuple[float, int, str]:
    cmd = [sys.executable, "-c", RUN_CLI, "screen", "--input", str(csv), "--output", str(out), "-q"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(src), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = _watch(proc)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(stderr[-2000:])
    line = next((ln for ln in stdout.splitlines() if ln.startswith("time:")), "")
    return wall, peak[0], line


def refusals(tmp: Path, src: Path | None, timeout: float) -> list[tuple[str, str, float, int, str]]:
    """Inputs that must be refused at once: (what, exit code, CPU s, peak RSS, message)."""
    wide = ",".join(["C"] * 1_000_000)
    (tmp / "wide_first.csv").write_text("monomer_smiles\n" + wide + "\n")
    (tmp / "wide_third.csv").write_text("monomer_smiles\nCCO\nCCO\n" + wide + "\n")
    cases = [
        ("1-column header, 1,000,000-field first row", ["predict", "--input", str(tmp / "wide_first.csv"), "--output", str(tmp / "o.csv")]),
        ("1-column header, 1,000,000-field third row", ["predict", "--input", str(tmp / "wide_third.csv"), "--output", str(tmp / "o.csv")]),
        ("screen spec of 10^9 formulations", ["screen", "--monomers", "C=CC(=O)OCCO", "--temperature", "0:299.7:0.3",
                                              "--molality", "0:999:1", "--mw", "1:1000:1", "--output", str(tmp / "big"), "-q"]),
    ]
    out = []
    for what, argv in cases:
        # own session: on timeout the whole group goes, the screen's worker processes too
        proc = subprocess.Popen([sys.executable, "-c", RUN_CLI, *argv], env=_env(src), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            out.append((what, "-", float("nan"), 0, f"still running after {timeout:.0f} s wall (killed)"))
            continue
        tail = stderr.rsplit("MAXRSS_KB", 1)
        kb, cpu = (int(tail[1].split()[0]), float(tail[1].split()[2])) if len(tail) == 2 else (0, float("nan"))
        msg = next((ln for ln in tail[0].splitlines() if ln.startswith("spepred: error:")), tail[0].strip()[-100:])
        out.append((what, str(proc.returncode), cpu, kb * 1024, msg[:110]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="50000,200000", help="two table sizes for predict --input")
    ap.add_argument("--screen-rows", type=int, default=500_000)
    ap.add_argument("--src", type=Path, help="measure another checkout's code (DIR/src)")
    ap.add_argument("--no-screen", action="store_true")
    ap.add_argument("--no-predict", action="store_true")
    ap.add_argument("--no-refusals", action="store_true")
    ap.add_argument("--refusal-timeout", type=float, default=300, help="wall seconds before a refusal run is killed")
    args = ap.parse_args()
    sizes = [int(x) for x in args.rows.split(",")]
    code = f"{args.src}" if args.src else "this checkout"
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        if not args.no_predict:
            results = []
            for n in sizes:
                csv = tmp / f"in_{n}.csv"
                n_unique = table(csv, n)
                wall, rss = predict_rss(csv, tmp / f"out_{n}.csv", args.src)
                results.append((n, n_unique, wall, rss))
            print(f"predict --input, CSV in and out (code: {code}; load average before {load0:.2f}, 2 cores)")
            hdr = f"{'rows':>10}{'unique blocks':>15}{'wall s':>9}{'rows/s':>10}{'peak RSS':>12}"
            print(hdr)
            print("-" * len(hdr))
            for n, u, wall, rss in results:
                print(f"{n:>10,}{u:>15}{wall:>9.1f}{n / wall:>10,.0f}{rss / 2**20:>9.0f} MiB")
            (n1, _, _, r1), (n2, _, _, r2) = results[0], results[-1]
            if n2 > n1:
                print(f"memory per row (slope {n1:,} -> {n2:,} rows): {(r2 - r1) / (n2 - n1):,.0f} bytes")
            print()
        if not args.no_refusals:
            print(f"refused at once (code: {code}; load average before {os.getloadavg()[0]:.2f})")
            hdr = f"{'input':<46}{'exit':>5}{'CPU s':>8}{'peak RSS':>11}  message"
            print(hdr)
            print("-" * (len(hdr) + 40))
            for what, rc, cpu, rss, msg in refusals(tmp, args.src, args.refusal_timeout):
                print(f"{what:<46}{rc:>5}{cpu:>8.2f}{rss / 2**20:>7.0f} MiB  {msg}")
            print()
        if not args.no_screen:
            csv = tmp / "screen.csv"
            n_unique = table(csv, args.screen_rows)
            load1 = os.getloadavg()[0]
            wall, peak, line = screen_run(csv, tmp / "screen_out", args.src)
            rate = args.screen_rows / wall * 60
            print(f"screen --input, {args.screen_rows:,}-row CSV end to end (code: {code}; load average before {load1:.2f})")
            hdr = f"{'rows':>10}{'unique blocks':>15}{'wall s':>9}{'rows/min':>12}{'peak RSS (all procs)':>22}"
            print(hdr)
            print("-" * len(hdr))
            print(f"{args.screen_rows:>10,}{n_unique:>15}{wall:>9.1f}{rate:>12,.0f}{peak / 2**30:>18.2f} GiB")
            print(f"spepred's own split: {line}")
            print(f"target >= 1,000,000 rows/min: {'met' if rate >= 1e6 else 'NOT met'}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
