"""CSV that a spreadsheet opens as data: formula cells neutralised, every text cell quoted.

The rule, for every CSV the project writes:

- A **text** cell (account ids, handles, hashtags, texts, URLs, method names...) that starts
  with ``=``, ``+``, ``-`` or ``@``, also after leading spaces or control characters, or that
  starts with TAB, CR or NUL, is prefixed with a single quote ``'``, which makes a
  spreadsheet show it as text instead of evaluating it (OWASP, "CSV Injection"; ASVS 5.0
  1.2.10 adds NUL). A text cell that already starts with ``'`` gets one too, so the rule can
  be undone exactly: :func:`restore` drops one leading ``'``.
- **Numbers** (integer, float and boolean columns) are written as numbers, never prefixed: a
  negative weight is data, not a formula, and sums in the spreadsheet still work. Times are
  written as ISO-like text.
- Every text cell is quoted (and its quotes doubled), numbers never (RFC 4180 quoting, as
  ``csv.QUOTE_NONNUMERIC``), rows end in CRLF: a comma, quote, CR or LF inside a cell never
  splits it, and a quoted cell is text, a bare one a number.

Lone surrogates (which UTF-8 cannot hold) become U+FFFD; NUL and other characters are kept.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from numbers import Number

import numpy as np
import pandas as pd

from .files import replacing

__all__ = ["neutralise", "restore", "write_csv", "write_csv_rows"]

# A leading ' (so that restore() is exact), TAB, CR or NUL; or = + - @ after any leading
# white space or control characters, which spreadsheets may skip before reading a formula.
_FORMULA = re.compile(r"['\t\r\x00]|[\s\x00-\x1f\x7f-\x9f]*[=+\-@]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def neutralise(text: str) -> str:
    """``text`` as a CSV text cell: ``'`` before a formula trigger, lone surrogates replaced.

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://x.example","click")')
    '\\'=HYPERLINK("http://x.example","click")'
    >>> neutralise("@handle"), neutralise(" -1+2"), neutralise("#tag"), neutralise("a-b")
    ("'@handle", "' -1+2", '#tag', 'a-b')
    """
    text = _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", text)
    return "'" + text if _FORMULA.match(text) else text


def restore(cell: str) -> str:
    """The text :func:`neutralise` was given, from the cell read back (one ``'`` dropped).

    Examples
    --------
    >>> restore(neutralise("=1+1")), restore(neutralise("'quoted")), restore("plain")
    ('=1+1', "'quoted", 'plain')
    """
    return cell[1:] if cell.startswith("'") else cell


def write_csv(frame: pd.DataFrame, path):
    """Write ``frame`` (without its index) to ``path`` as formula-safe CSV; returns the path.

    The file is written under a temporary name and renamed when complete
    (:func:`~trendwatch.exports.replacing`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> frame = pd.DataFrame({"handle": ["=cmd|' /C calc'!A0", "ok"], "weight": [-2, 3]})
    >>> print(write_csv(frame, out).read_text())
    "handle","weight"
    "'=cmd|' /C calc'!A0",-2
    "ok",3
    """
    safe = frame.rename(columns=lambda name: neutralise(str(name)))
    safe = safe.apply(_safe_column)
    with replacing(path) as part, open(part, "w", encoding="utf-8", newline="") as out:
        safe.to_csv(out, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return path


def write_csv_rows(path, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write ``header`` and ``rows`` (streamed, never held) as formula-safe CSV; return the
    number of rows. The cells follow :func:`write_csv`'s rule (text neutralised and quoted,
    numbers bare, None empty); use it for exports too big for one frame.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv_rows(out, ["raw", "line"], iter([("@evil", 3), (None, -1)]))
    2
    >>> print(out.read_text())
    "raw","line"
    "'@evil",3
    "",-1
    """
    with replacing(path) as part, open(part, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow([neutralise(str(name)) for name in header])
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the count is returned
            writer.writerow(["" if value is None else _text_cell(value) for value in row])
    return count


def _safe_column(column: pd.Series) -> pd.Series:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return column
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return column
    return column.astype(object).map(_text_cell, na_action="ignore")


def _text_cell(value):
    """A cell of a text (or mixed) column: strings neutralised, numbers kept as numbers."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Number | Decimal | np.number | np.bool_):
        return value
    return neutralise(str(value))
