"""The words and number ranges a user may type, defined once for every entry point.

``predict``, ``screen``, the library spec, the formulation table and the HTTP service all
read "no crosslinker", "true" and ``0:100:10`` through this module, so that one spelling
means one thing everywhere. It imports nothing from spepred but :mod:`spepred.errors`, so
that every layer (even :mod:`spepred.chem`) may use it.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from spepred.errors import InvalidValueError

#: Cells and options that mean "nothing here" (casefolded). ``no`` is deliberately not one:
#: ``NO`` is a valid SMILES (hydroxylamine), so ``--crosslinker NO`` must be an error, not
#: silently "no crosslinker"; write ``none``.
NONE_WORDS = frozenset({"", "none", "nan", "null", "-", "n/a", "na"})
#: Spellings of true and false (casefolded) for ``plasticized`` and other yes/no fields.
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f"})

#: Inputs longer than this are refused before RDKit sees them (bounded time and memory);
#: the HTTP request model uses the same bound (:mod:`spepred.chem.mol` re-exports it).
MAX_SMILES_LENGTH = 4000

#: A range ``start:stop:step`` yields at most this many values.
MAX_RANGE_POINTS = 1000


def is_none_word(text: object) -> bool:
    """True for ``None``, NaN and the words of :data:`NONE_WORDS` (blank text included)."""
    if text is None:
        return True
    if isinstance(text, float) and text != text:
        return True
    return isinstance(text, str) and text.strip().casefold() in NONE_WORDS


def parse_bool(value: object, *, field: str = "value") -> bool:
    """``True``/``False`` from a bool or one of :data:`TRUE_WORDS` / :data:`FALSE_WORDS`.

    Raises
    ------
    InvalidValueError
        For anything else (numbers other than 0 and 1 included).
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold() if isinstance(value, (str, int)) else None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidValueError(field, value, "true or false (" + ", ".join(sorted(TRUE_WORDS | FALSE_WORDS)) + ")")


def _finite_decimal(text: str) -> Decimal:
    d = Decimal(text.strip())  # InvalidOperation for text that is not a number
    if not d.is_finite() or not math.isfinite(float(d)):
        raise ValueError(text)
    return d


def parse_number_or_range(
    text: object, *, field: str, unit: str = "", max_points: int = MAX_RANGE_POINTS
) -> list[float]:
    """A number (``25``) or an inclusive range ``start:stop:step`` (``0:100:10``) -> floats.

    The range is computed in decimal arithmetic from the text, so ``0:0.3:0.1`` gives
    ``0.0, 0.1, 0.2, 0.3`` (not ``0.30000000000000004``) and includes its stop.

    Raises
    ------
    InvalidValueError
        Naming ``field`` and the text: not a number, NaN or infinite parts (``0:nan:1``,
        ``0:inf:1``, ``0:10:inf``), a step that is not positive, stop before start, or more
        than ``max_points`` values.
    """
    unit_txt = f" ({unit})" if unit else ""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise InvalidValueError(field, text, f"a number{unit_txt} or a range start:stop:step")
    if isinstance(text, (int, float)):
        if not math.isfinite(float(text)):
            raise InvalidValueError(field, text, f"a finite number{unit_txt}")
        return [float(text)]
    parts = text.split(":")
    if len(parts) not in (1, 3):
        raise InvalidValueError(field, text, f"a number{unit_txt} or a range start:stop:step such as 0:100:10")
    try:
        nums = [_finite_decimal(p) for p in parts]
    except InvalidOperation:
        what = "a number" if len(parts) == 1 else "a range start:stop:step of numbers"
        raise InvalidValueError(field, text, f"{what}{unit_txt}") from None
    except ValueError:  # NaN or infinite
        what = "a finite number" if len(parts) == 1 else "a range start:stop:step of finite numbers"
        raise InvalidValueError(field, text, f"{what}{unit_txt}") from None
    if len(nums) == 1:
        return [float(nums[0])]
    start, stop, step = nums
    # order and size are judged in floats (the values spepred computes with): a step that
    # is 0 as a float is no step, and the count is bounded before any exact arithmetic
    # (Decimal would overflow on 1e-999999999, and 0:1:1e-400 counts 10^400 values)
    if float(step) <= 0 or float(stop) < float(start):
        raise InvalidValueError(field, text, "a range start:stop:step with step > 0 and stop >= start")
    approx = (float(stop) - float(start)) / float(step) + 1
    if not approx <= max_points + 1:
        size = f"about {approx:,.0f}" if approx < 1e15 else "more than 10^15"
        raise InvalidValueError(field, text, f"at most {max_points} values in a range (this one has {size})")
    n = int((stop - start) / step) + 1  # Decimal division: exact for decimal texts
    if n > max_points:
        raise InvalidValueError(field, text, f"at most {max_points} values in a range (this one has {n:,})")
    return [float(start + i * step) for i in range(n)]
