"""``spepred train --model-dir X`` never destroys what X holds unless it is a bundle, and a
tracking URI that cannot work is refused before anything is trained or replaced.

Before: the swap renamed any existing X (a folder of the user's files, a file, ``~``) to
``.X.previous`` and removed it; ``--tracking-uri notascheme://x`` failed with a traceback
after training, once the bundle had already been replaced."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spepred.cli import main
from spepred.errors import ModelBundleError
from spepred.models.bundle import check_replaceable, publish_bundle
from tests.conftest import FIXTURES

TINY = FIXTURES / "tiny_train.csv"


def _train(model_dir, capsys, *extra) -> tuple[int, str, str]:
    argv = ["train", "--data", str(TINY), "--model-dir", str(model_dir), "--cv-folds", "2", "--no-track", "-q"]
    code = main([*argv, *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_training(monkeypatch):
    """Refusals must come before any training time is spent: fitting fails the test."""
    import spepred.models.train

    def fail(*args, **kwargs):
        raise AssertionError("training started before the refusal")

    monkeypatch.setattr(spepred.models.train, "train_models", fail)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _assert_one_line_refusal(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


def test_a_folder_of_user_files_is_refused_and_left_untouched(tmp_path, capsys, no_training):
    home = tmp_path / "models"
    (home / "mine").mkdir(parents=True)
    (home / "thesis.tex").write_text("three years of work")
    (home / "mine" / "data.csv").write_text("a,b\n1,2\n")
    before = _tree(tmp_path)
    code, _, err = _train(home, capsys)
    _assert_one_line_refusal(code, err, "is not a spepred model bundle", "2 entries")
    assert _tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]  # no .models.previous


def test_an_existing_file_is_refused_not_moved_aside(tmp_path, capsys, no_training):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    code, _, err = _train(target, capsys)
    _assert_one_line_refusal(code, err, "is a file, not a model bundle")
    assert target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_root_directory_is_one_clear_line(capsys, no_training):
    code, _, err = _train("/", capsys)
    _assert_one_line_refusal(code, err, "--model-dir / is the root directory")


def test_a_bundle_with_foreign_files_beside_it_is_refused(tiny_trained, tmp_path, capsys, no_training):
    bundle = tmp_path / "default"
    shutil.copytree(tiny_trained[0].bundle_dir, bundle)
    (bundle / "my_notes.md").write_text("notes")
    code, _, err = _train(bundle, capsys)
    _assert_one_line_refusal(code, err, "also holds 'my_notes.md'")
    assert (bundle / "my_notes.md").read_text() == "notes"


def test_what_may_be_replaced(tiny_trained, tmp_path):
    check_replaceable(tmp_path / "new")  # absent
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty")
    check_replaceable(tiny_trained[0].bundle_dir)  # a bundle and nothing else
    (tmp_path / "link").symlink_to(tiny_trained[0].bundle_dir)
    with pytest.raises(ModelBundleError, match="symbolic link"):
        check_replaceable(tmp_path / "link")


def test_the_swap_itself_refuses_a_folder_that_appeared_meanwhile(tiny_trained, tmp_path):
    """Defence in depth: the check is repeated under the swap lock, so a folder created
    between the start of a training and its publication is not removed either."""
    users = tmp_path / "out"
    users.mkdir()
    (users / "results.csv").write_text("x\n")
    with pytest.raises(ModelBundleError, match="not a spepred model bundle"):
        publish_bundle(tiny_trained[0].bundle_dir, users)
    assert (users / "results.csv").read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("uri", ["notascheme://x", "sqlite:////proc/no/such/mlflow.db"])
def test_a_bad_tracking_uri_is_refused_before_training(tiny_trained, tmp_path, capsys, no_training, uri):
    bundle = tmp_path / "default"
    shutil.copytree(tiny_trained[0].bundle_dir, bundle)
    before = _tree(bundle)
    argv = ["train", "--data", str(TINY), "--model-dir", str(bundle), "--cv-folds", "2", "-q", "--tracking-uri", uri]
    code = main(argv)
    _, err = capsys.readouterr()
    _assert_one_line_refusal(code, err, "cannot use MLflow tracking URI", "nothing was trained")
    assert _tree(bundle) == before
