"""Run ``spepred <argv>`` and deliver a signal to this very process when training reaches a
given stage. Usage: ``python _fault_runner.py STAGE SIGNAL -- spepred arguments...``

The stages hook public library functions only (pandas, xgboost, os, mlflow), not spepred's
internals, so the test keeps meaning the same thing while the training code changes:

* ``read``: the training table is being read (first ``pandas.read_csv``);
* ``fit``: the first XGBoost model is being fitted (first ``xgboost.train``);
* ``bundle``: half the bundle is on disk (second ``xgboost.Booster.save_model``);
* ``swap``: the old bundle has been moved aside, the new one not yet renamed into place
  (the ``os.replace`` that moves a temporary bundle onto the model directory);
* ``mlflow``: the MLflow run is open, the bundle not yet published (first
  ``mlflow.log_metric``);
* ``published``: the new bundle has just been renamed into place (right after that
  ``os.replace`` returns).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def main() -> int:
    stage, signame = sys.argv[1], sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1 :]
    sig = getattr(signal, signame)
    model_dir = Path(argv[argv.index("--model-dir") + 1]).resolve()
    calls = {"n": 0}

    def fire() -> None:
        sys.stderr.write(f"fault-runner: {signame} at stage {stage}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), sig)

    def hook(owner, name, when, *, after=False):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            calls["n"] += 1
            hit = when(calls["n"], args)
            if hit and not after:
                fire()
            out = original(*args, **kwargs)
            if hit and after:
                fire()
            return out

        setattr(owner, name, wrapper)

    if stage == "read":
        import pandas

        hook(pandas, "read_csv", lambda n, a: n == 1)
    elif stage == "fit":
        import xgboost

        hook(xgboost, "train", lambda n, a: n == 1)
    elif stage == "bundle":
        import xgboost

        hook(xgboost.Booster, "save_model", lambda n, a: n == 2)
    elif stage == "swap":
        prefix = f".{model_dir.name}.tmp-"
        hook(
            os,
            "replace",
            lambda n, a: Path(a[0]).name.startswith(prefix) and Path(a[1]).resolve() == model_dir,
        )
    elif stage == "published":
        prefix = f".{model_dir.name}.tmp-"
        hook(
            os,
            "replace",
            lambda n, a: Path(a[0]).name.startswith(prefix) and Path(a[1]).resolve() == model_dir,
            after=True,
        )
    elif stage == "mlflow":
        import mlflow

        hook(mlflow, "log_metric", lambda n, a: n == 1)
    else:
        raise SystemExit(f"unknown stage {stage}")
    from spepred.cli import main as spepred_main

    return spepred_main(argv)


if __name__ == "__main__":
    sys.exit(main())
