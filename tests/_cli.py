"""Calling the real CLI entry point from tests, as a user's shell would."""

from __future__ import annotations

from spepred.cli import main


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of ``spepred ARGV``; argparse's own usage errors
    (``SystemExit``) count as exit codes too."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
