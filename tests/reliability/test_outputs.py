"""What spepred writes: never a device or a pipe replaced by a regular file, one clear line
for every output that cannot be a file, files with the umask's mode, ``-`` for stdout, the
format from the suffix, no spreadsheet formula from a user's cell, ``--strict``.

Devices are made with ``mknod`` inside the test's temporary directory (as root; skipped
otherwise): the real ``/dev/null`` is never touched, even by code that would replace it.
"""

from __future__ import annotations

import io
import json
import os
import stat
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from spepred.cli import EXIT_ROWS_FAILED
from spepred.data.output import is_formula, neutralize_formulas, write_table
from spepred.errors import SpepredError
from spepred.files import atomic_write, new_file_mode, sha256_file
from tests._cli import run_cli
from tests.conftest import skip_unless_required

GOOD = "monomer_smiles,crosslinker,temperature_C\nC=CC(=O)OCCO,PETEA,25\n[*]CCO[*],,60\n"
HOSTILE = (
    "monomer_smiles,crosslinker,temperature_C,note\n"
    "C=CC(=O)OCCO,PETEA,-20,=cmd|' /C calc'!A0\n"
    'CCO,,25,"=HYPERLINK(""http://x.example"",""click"")"\n'
    "CCO,,25,@SUM(A1:A9)\n"
    "CCO,,25,+1+1\n"
    "CCO,,25,-3.99\n"
    "CCO,,25,\tTAB\n"
    "CCO,,25,a plain note\n"
)


@pytest.fixture(scope="module")
def model(tiny_trained):
    return str(tiny_trained[0].bundle_dir)


_run = run_cli


def _input(tmp_path: Path, text: str = GOOD) -> str:
    path = tmp_path / "in.csv"
    path.write_text(text)
    return str(path)


def _one_line(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("spepred: error: "), err
    for needle in needles:
        assert needle in err, err


def _device(path: Path, minor: int) -> Path:
    if os.geteuid() != 0:
        skip_unless_required("mknod needs root")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return path


# -- devices and pipes are never replaced -----------------------------------------------
def test_a_null_device_is_written_to_not_replaced(model, tmp_path, capsys):
    null = _device(tmp_path / "null", 3)  # the same device as /dev/null
    code, out, err = _run(["predict", "--input", _input(tmp_path), "--output", str(null), "--model", model], capsys)
    assert code == 0, err
    assert stat.S_ISCHR(os.stat(null).st_mode)  # before: a regular 0600 file
    assert "2 predicted" in out


def test_a_full_device_is_one_line(model, tmp_path, capsys):
    full = _device(tmp_path / "full", 7)  # /dev/full: every write fails with ENOSPC
    code, _, err = _run(["predict", "--input", _input(tmp_path), "--output", str(full), "--model", model], capsys)
    _one_line(code, err, f"cannot write {full}", "No space left on device")
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_a_named_pipe_is_written_to_not_replaced(model, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def read():
        with open(fifo, "rb") as fh:
            got["data"] = fh.read()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code, _, err = _run(["predict", "--input", _input(tmp_path), "--output", str(fifo), "--model", model], capsys)
    reader.join(60)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    table = pd.read_csv(io.BytesIO(got["data"]))
    assert list(table["status"]) == ["ok", "ok"]


# -- outputs that cannot be files: one line, nothing created ------------------------------
@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("{tmp}", "it is a directory"),
        ("/proc/x.csv", "/proc is a kernel pseudo-file system"),
        ("/sys/x.csv", "/sys is a kernel pseudo-file system"),
        ("{tmp}/" + "n" * 296 + ".csv", "the file name is 300 bytes long"),
        ("{tmp}/predictions.xlsx", "a file name ending in .csv, .tsv, .parquet or .json"),
    ],
    ids=["directory", "proc", "sys", "300_character_name", "unknown_suffix"],
)
def test_outputs_that_cannot_be_files(model, tmp_path, capsys, target, needle):
    src = _input(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = _run(["predict", "--input", src, "--output", target.format(tmp=tmp_path), "--model", model], capsys)
    _one_line(code, err, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not os.path.exists("/proc/x.csv") and not os.path.exists("/sys/x.csv")


def test_featurize_refuses_the_same_outputs(tmp_path, capsys):
    code, _, err = _run(["featurize", "--input", _input(tmp_path), "--output", str(tmp_path)], capsys)
    _one_line(code, err, "it is a directory")
    code, _, err = _run(["featurize", "--input", _input(tmp_path), "--output", "/proc/f.parquet"], capsys)
    _one_line(code, err, "/proc is a kernel pseudo-file system")


def test_a_parquet_input_with_a_list_column_written_to_csv(model, tmp_path, capsys):
    src = tmp_path / "in.parquet"
    pd.DataFrame({"monomer_smiles": ["CCO", "CCC"], "tags": [["a", "b"], ["c"]]}).to_parquet(src)
    code, _, err = _run(["predict", "--input", str(src), "--output", str(tmp_path / "p.csv"), "--model", model], capsys)
    _one_line(code, err, "column 'tags' holds lists", "write .parquet or .json instead")
    assert not (tmp_path / "p.csv").exists()
    code, out, err = _run(["predict", "--input", str(src), "--output", str(tmp_path / "p.parquet"), "--model", model], capsys)
    assert code == 0, err
    assert list(pd.read_parquet(tmp_path / "p.parquet")["tags"].map(list)) == [["a", "b"], ["c"]]


# -- modes, stdout, formats -----------------------------------------------------------------
def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(model, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        out = tmp_path / "p.csv"
        code, _, err = _run(["predict", "--input", _input(tmp_path), "--output", str(out), "--model", model], capsys)
        assert code == 0, err
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o644  # before: 0600 whatever the umask
        os.chmod(out, 0o640)
        code, _, err = _run(["predict", "--input", _input(tmp_path), "--output", str(out), "--model", model], capsys)
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
        os.umask(0o007)
        assert new_file_mode() == 0o660
    finally:
        os.umask(old)


def test_a_symlinked_output_replaces_its_target_not_the_link(model, tmp_path, capsys):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = _run(["predict", "--input", _input(tmp_path), "--output", str(link), "--model", model], capsys)
    assert code == 0, err
    assert link.is_symlink() and "status" in real.read_text()


def test_dash_is_stdout(model, tmp_path, capsys):
    code, out, err = _run(["predict", "--input", _input(tmp_path), "--output", "-", "--model", model], capsys)
    assert code == 0, err
    assert not (Path.cwd() / "-").exists()  # before: a file named '-'
    assert list(pd.read_csv(io.StringIO(out))["status"]) == ["ok", "ok"]


@pytest.mark.parametrize(
    ("name", "fmt", "read"),
    [
        ("p.json", None, lambda p: pd.DataFrame(json.loads(p.read_text()))),
        ("p.tsv", None, lambda p: pd.read_csv(p, sep="\t")),
        ("p.parquet", None, pd.read_parquet),
        ("p.csv", None, pd.read_csv),
        ("p.txt", "json", lambda p: pd.DataFrame(json.loads(p.read_text()))),
    ],
)
def test_the_format_comes_from_the_suffix_or_format(model, tmp_path, capsys, name, fmt, read):
    out = tmp_path / name
    argv = ["predict", "--input", _input(tmp_path), "--output", str(out), "--model", model]
    code, _, err = _run(argv + (["--format", fmt] if fmt else []), capsys)
    assert code == 0, err
    table = read(out)  # before: .json and .tsv were written as CSV
    assert list(table["status"]) == ["ok", "ok"] and "log10_sigma_S_cm_pred" in table


def test_format_table_in_batch_mode_is_refused_clearly(model, tmp_path, capsys):
    code, _, err = _run(["predict", "--input", _input(tmp_path), "--format", "table", "--model", model], capsys)
    _one_line(code, err, "--format 'table'", "csv, tsv, parquet or json with --input")


def test_strict_exits_non_zero_when_a_row_failed_and_still_writes_every_row(model, tmp_path, capsys):
    src = _input(tmp_path, GOOD + "not a smiles,,25\n")
    out = tmp_path / "p.csv"
    code, _, err = _run(["predict", "--input", src, "--output", str(out), "--model", model, "--strict"], capsys)
    assert code == EXIT_ROWS_FAILED == 3
    assert "1 of 3 rows could not be predicted" in err
    assert len(pd.read_csv(out)) == 3
    code, _, _ = _run(["predict", "--input", _input(tmp_path), "--output", str(out), "--model", model, "--strict"], capsys)
    assert code == 0
    code, _, _ = _run(["predict", "--input", src, "--output", str(out), "--model", model], capsys)
    assert code == 0  # without --strict a failed row is a status, not an exit code


# -- spreadsheet formulas -----------------------------------------------------------------
def test_formula_cells_are_neutralized_in_csv_and_tsv_but_numbers_are_not(model, tmp_path, capsys):
    src = _input(tmp_path, HOSTILE)
    for name, sep in (("p.csv", ","), ("p.tsv", "\t")):
        out = tmp_path / name
        code, _, err = _run(["predict", "--input", src, "--output", str(out), "--model", model], capsys)
        assert code == 0, err
        table = pd.read_csv(out, sep=sep, dtype=str, keep_default_na=False)
        assert list(table["note"]) == [
            "'=cmd|' /C calc'!A0",
            "'=HYPERLINK(\"http://x.example\",\"click\")",
            "'@SUM(A1:A9)",
            "'+1+1",
            "-3.99",  # a number, not a formula
            "'\tTAB",
            "a plain note",
        ]
        assert table["temperature_C"].iloc[0] == "-20"  # a number read as text stays a number
        raw = pd.read_csv(out, sep=sep)
        assert (raw["log10_sigma_S_cm_pred"] < 0).all()  # negative log σ written as numbers
    code, _, err = _run(["predict", "--input", src, "--output", str(tmp_path / "p.parquet"), "--model", model], capsys)
    assert pd.read_parquet(tmp_path / "p.parquet")["note"].iloc[0] == "=cmd|' /C calc'!A0"  # not a spreadsheet


def test_neutralize_formulas_touches_only_text_cells():
    table = pa.table(
        {
            "text": ["=1+1", "-3.99", "-inf", "@x", "ok", None, "+5", "-", "\r=x"],
            "number": [-3.99, -1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    out = neutralize_formulas(table)
    assert out.column("text").to_pylist() == ["'=1+1", "-3.99", "'-inf", "'@x", "ok", None, "+5", "'-", "'\r=x"]
    assert out.column("number").equals(table.column("number"))
    assert is_formula("=A1") and not is_formula("-1e-5") and not is_formula("C=C")


def test_the_screen_writes_its_csv_through_the_same_rule(tmp_path):
    from spepred.screen import runner

    assert runner.neutralize_formulas is neutralize_formulas  # predictions.csv of a screen
    top = pd.DataFrame({"monomer_smiles": ["=cmd"], "rank": [1]})
    write_table(top, tmp_path / "top.csv")
    assert pd.read_csv(tmp_path / "top.csv")["monomer_smiles"].iloc[0] == "'=cmd"


# -- the one atomic writer and the one hash ---------------------------------------------------
def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("before")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
    with pytest.raises(SpepredError, match="it is a directory"):
        with atomic_write(tmp_path):
            pass


def test_one_hash_helper():
    import hashlib

    from spepred.data import sources
    from spepred.models import bundle

    assert sources.sha256_of is sha256_file and bundle._sha256 is sha256_file
    assert sha256_file(__file__) == hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


# -- what the model read, in every row --------------------------------------------------------
def test_every_output_row_carries_the_resolved_repeat_unit_and_crosslinker(model, tmp_path, capsys):
    src = _input(tmp_path, "monomer_smiles,crosslinker,temperature_C\nC=CC(=O)OCCO,PETEA,25\n[*]CCOCCO[*],,60\nbad,,25\n")
    for name in ("p.csv", "p.json", "p.parquet"):
        out = tmp_path / name
        code, _, err = _run(["predict", "--input", src, "--output", str(out), "--model", model], capsys)
        assert code == 0, err
        table = (
            pd.read_parquet(out) if name.endswith("parquet")
            else pd.DataFrame(json.loads(out.read_text())) if name.endswith("json")
            else pd.read_csv(out, keep_default_na=False)
        )
        assert list(table["repeat_unit_smiles"]) == ["*CC(*)C(=O)OCCO", "*COC*", ""]  # HEA's repeat unit; PEO canonical
        assert table["crosslinker_reacted_smiles"].iloc[0] == "CCC(=O)OCC(COC(=O)CC)(COC(=O)CC)COC(=O)CC"  # PETEA reacted
        assert list(table["crosslinker_reacted_smiles"].iloc[1:]) == ["", ""]
    code, out, err = _run(["predict", "--smiles", "C=CC(=O)OCCO", "--crosslinker", "PETEA", "--model", model], capsys)
    assert code == 0 and "Read as: repeat unit *CC(*)C(=O)OCCO | reacted crosslinker CCC(=O)OCC(" in out, err


# -- bounded caches (issue 21, item 10) --------------------------------------------------------
def test_the_domain_score_caches_are_bounded(tiny_trained):
    """A long-running server scores an endless stream of new molecules: the predictor's
    cache keeps at most its size of domain scores per namespace (before: every one,
    forever), and a score evicted and recomputed is the same."""
    import numpy as np

    from spepred.cache import FeatureCache
    from spepred.models.bundle import load_bundle
    from spepred.models.domain import COMPONENT_NAMESPACE, PAIR_NAMESPACE
    from spepred.models.predictor import BLOCK_CACHE_SIZE, Predictor

    bundle = load_bundle(tiny_trained[0].bundle_dir)
    assert Predictor(bundle).cache.maxsize == BLOCK_CACHE_SIZE <= 8192
    domain, cache = bundle.domain, FeatureCache(maxsize=8)
    mols = ["C" * k + "O" for k in range(1, 41)]

    def score(m):
        table = {"monomer_smiles": np.array([m], dtype=object), "crosslinker": np.array(["PETEA"], dtype=object)}
        out = domain.score(table, cache=cache)
        return float(out["domain_similarity"][0]), int(out["unseen_fragments"][0])

    first = [score(m) for m in mols]
    assert cache.sizes() == {COMPONENT_NAMESPACE: 8, PAIR_NAMESPACE: 8}
    assert [score(m) for m in mols] == first  # recomputed after eviction: identical
    assert [score(m) for m in mols[-4:]] == first[-4:]  # and from the cache: identical


def test_the_fingerprint_caches_on_the_domain_path_are_bounded():
    from spepred.chem import descriptors as D

    assert D.morgan_bits.cache_info().maxsize == D.fragment_ids.cache_info().maxsize == D.DOMAIN_CACHE_SIZE <= 8192


def test_the_http_csv_download_neutralizes_formulas_too(tiny_trained):
    from fastapi.testclient import TestClient

    from spepred.server import create_app

    client = TestClient(create_app(tiny_trained[0].bundle_dir))
    body = "monomer_smiles,note\nCCO,=HYPERLINK(\"http://x.example\")\nCCO,-3.99\n"
    r = client.post("/predict.csv", content=body.encode(), headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    table = pd.read_csv(io.StringIO(r.text), dtype=str, keep_default_na=False)
    assert list(table["note"]) == ["'=HYPERLINK(\"http://x.example\")", "-3.99"]


@pytest.mark.parametrize("target", ["/proc/x", "/sys/x", "{tmp}/" + "d" * 300])
def test_screen_outputs_that_cannot_be_directories(model, tmp_path, capsys, target):
    argv = ["screen", "--monomers", "CCO", "--crosslinkers", "none", "--output", target.format(tmp=tmp_path),
            "--model", model, "-q", "--no-plot", "--workers", "1"]
    code, _, err = _run(argv, capsys)
    _one_line(code, err, "cannot create or write a directory there")


def test_strict_on_screen_and_featurize(model, tmp_path, capsys):
    src = _input(tmp_path, GOOD + "not a smiles,,25\n")
    code, _, err = _run(["featurize", "--input", src, "--output", str(tmp_path / "f.parquet"), "--strict"], capsys)
    assert code == EXIT_ROWS_FAILED and "1 of 3 rows could not be featurized" in err
    argv = ["screen", "--input", src, "--output", str(tmp_path / "s"), "--model", model, "-q", "--no-plot", "--workers", "1"]
    code, _, err = _run([*argv, "--strict"], capsys)
    assert code == EXIT_ROWS_FAILED and "1 of 3 rows could not be predicted" in err, err
    code, _, err = _run(argv, capsys)
    assert code == 0, err


def test_any_text_cell_is_kept_or_quoted_never_left_as_a_formula():
    """Hypothesis: a cell comes back unchanged or with one leading ``'``; what a spreadsheet
    would run never comes back unchanged, and a plain number always does."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    number = st.floats(allow_nan=False, allow_infinity=False).map(repr)
    text = st.text(alphabet=st.sampled_from(list("=+-@\t\r0123456789.eE'\"CO()[]*# abc")), max_size=12)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(text, number, st.none()), min_size=1, max_size=20))
    def check(cells):
        out = neutralize_formulas(pa.table({"c": pa.array(cells, pa.string())})).column("c").to_pylist()
        for before, after in zip(cells, out, strict=True):
            if before is None:
                assert after is None
            elif re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", before):
                assert after == before  # a plain number is a value, never quoted
            elif before[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert after == "'" + before
            else:
                assert after == before

    check()
