"""Exceptions raised by spepred.

Every error a user can cause derives from :class:`SpepredError`; the CLI turns it into one
line on stderr and exit code 2, the HTTP service into a 422 response. Messages say what was
received and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class SpepredError(Exception):
    """Base class of every error caused by user input or user-supplied files."""


class InvalidSmilesError(SpepredError, ValueError):
    """A SMILES string that RDKit cannot turn into a molecule (or that spepred refuses)."""

    def __init__(self, smiles: str, reason: str, *, field: str = "smiles") -> None:
        self.smiles, self.reason, self.field = smiles, reason, field
        super().__init__(f"invalid {field} {_short(smiles)!r}: {reason}")


class UnknownChemicalError(SpepredError, KeyError):
    """A chemical name that the dictionary does not know."""

    def __init__(
        self, name: str, *, role: str = "chemical", suggestions: Sequence[str] = ()
    ) -> None:
        self.name, self.role, self.suggestions = name, role, tuple(suggestions)
        msg = f"unknown {role} {_short(name)!r}"
        if self.suggestions:
            msg += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        else:
            msg += " (not in the chemical dictionary and not a valid SMILES)"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class InvalidValueError(SpepredError, ValueError):
    """A number or category outside what spepred accepts."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field, self.value, self.expected = field, value, expected
        super().__init__(f"invalid {field} {_short(value)!r}: expected {expected}")


class DataSourceError(SpepredError):
    """A dataset that cannot be fetched, or whose checksum does not match."""


class ChecksumError(DataSourceError):
    """A dataset file whose SHA-256 does not match its pin (truncated, corrupted, altered):
    never skipped quietly, unlike a source that is merely unavailable offline."""


class ModelBundleError(SpepredError):
    """A model bundle that is missing, tampered with, or does not match this spepred."""


class ConfigError(SpepredError, ValueError):
    """An unknown or invalid configuration key."""


@dataclass(frozen=True)
class RowError:
    """One problem with one cell of a table."""

    source: str
    row: int | str
    column: str
    value: object
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.source} row {self.row}: column {self.column!r} = {_short(self.value)!r}: "
            f"{self.reason}"
        )


class FormulationError(SpepredError, ValueError):
    """A single formulation that cannot be predicted; carries the structured row error."""

    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(error.reason if error.reason.startswith(("invalid ", "unknown ")) else
                         f"invalid {error.column} {_short(error.value)!r}: {error.reason}")


class TableValidationError(SpepredError, ValueError):
    """A table with one or more bad rows; lists every one of them."""

    max_listed = 50

    def __init__(self, errors: Iterable[RowError], *, what: str = "formulation table") -> None:
        self.errors = list(errors)
        n = len(self.errors)
        rows = {(e.source, e.row) for e in self.errors}
        lines = [f"{what}: {n} problem(s) in {len(rows)} row(s)"]
        lines += [f"  - {e}" for e in self.errors[: self.max_listed]]
        if n > self.max_listed:
            lines.append(f"  ... and {n - self.max_listed} more")
        super().__init__("\n".join(lines))


def _short(value: object, limit: int = 120) -> object:
    """A value as it should read in a message: NumPy scalars as plain Python numbers, very
    long strings truncated so that an error message stays one readable line."""
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"...(+{len(value) - limit} chars)"
    return value
