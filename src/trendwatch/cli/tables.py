"""Plain-text tables for the terminal, and text made safe to print there (no dependency)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "account_label",
    "format_table",
    "fmt_count",
    "json_safe",
    "terminal_lines",
    "terminal_safe",
    "truncation_note",
]


def fmt_count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


def account_label(account_id, handle) -> str:
    """``@handle (id)`` for a terminal, the id alone when the handle is unknown, ``@handle``
    alone when the id is the handle (a mentioned account the store does not know).

    >>> account_label("12", "ann"), account_label("12", None), account_label("@zed", "zed")
    ('@ann (12)', '12', '@zed')
    """
    account_id = "" if account_id is None else str(account_id)
    if not isinstance(handle, str):
        return account_id
    return f"@{handle}" if account_id == f"@{handle}" else f"@{handle} ({account_id})"


def truncation_note(shown: int, total: int) -> str | None:
    """The line printed under a list that shows only part of its rows; None when it shows all.

    >>> truncation_note(20, 153)
    'showing 20 of 153; --top N or --top 0 for all'
    >>> truncation_note(5, 5) is None
    True
    """
    if shown >= total:
        return None
    return f"showing {shown:,} of {total:,}; --top N or --top 0 for all"


# Post texts, handles and names are attacker-controlled: an escape sequence printed as is
# could rewrite the user's terminal, and a bidi override could reorder what the table shows.
_UNSAFE = {
    code: "\N{REPLACEMENT CHARACTER}"
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}  # fmt: skip


def terminal_safe(text: str) -> str:
    """``text`` with control and bidi-control characters shown as U+FFFD.

    Examples
    --------
    >>> terminal_safe("ok\x1b[31mred\u202eevil")
    'ok�[31mred�evil'
    """
    return text.translate(_UNSAFE)


def terminal_lines(text: str) -> str:
    r"""``text`` made :func:`terminal_safe` line by line: its line breaks (LF) are kept.

    For messages that span lines on purpose, such as an error with a hint under it.

    Examples
    --------
    >>> terminal_lines("bad \x1b]0;title\x07 file\nhint")
    'bad �]0;title� file\nhint'
    """
    return "\n".join(terminal_safe(line) for line in text.split("\n"))


# In JSON text these characters can only sit inside strings (its syntax is ASCII), and C0
# controls are escaped by every encoder; the others (DEL, C1, bidi controls, and lone
# surrogates of a fallback encoder) are written as \uXXXX escapes, which decode to the same.
_JSON_UNSAFE = re.compile(
    "[" + "".join(chr(code) for code in _UNSAFE if code >= 0x7F) + "\ud800-\udfff]"
)


def json_safe(text: str) -> str:
    r"""JSON text with every DEL, C1 and bidi control (and lone surrogate) \u-escaped.

    The result is the same JSON value, and prints without reordering or controlling the
    terminal.

    Examples
    --------
    >>> import json
    >>> safe = json_safe(json.dumps({"tag": "a\u202eb\x85"}, ensure_ascii=False))
    >>> safe, json.loads(safe) == {"tag": "a\u202eb\x85"}
    ('{"tag": "a\\u202eb\\u0085"}', True)
    """
    return _JSON_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK, full-width) characters take two, combining
    marks and zero-width characters none, so tables of hashtags in any script stay aligned.

    Examples
    --------
    >>> display_width("abc"), display_width("잇츠"), display_width("e\u0301")
    (3, 4, 1)
    """
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _pad(cell: str, width: int, right: bool) -> str:
    fill = " " * (width - display_width(cell))
    return fill + cell if right else cell + fill


def format_table(headers: Sequence[str], rows: Sequence[Sequence], numeric_from: int = 1) -> str:
    """Align columns; columns from ``numeric_from`` on are right-aligned numbers."""
    body = [[terminal_safe(fmt_count(v)) for v in row] for row in rows]
    cells = [[str(h) for h in headers], *body]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            _pad(cell, w, right=i >= numeric_from)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
