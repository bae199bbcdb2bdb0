"""Plain-text tables for the terminal (no dependency beyond click)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table", "fmt_count", "terminal_safe"]


def fmt_count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


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


def format_table(headers: Sequence[str], rows: Sequence[Sequence], numeric_from: int = 1) -> str:
    """Align columns; columns from ``numeric_from`` on are right-aligned numbers."""
    body = [[terminal_safe(fmt_count(v)) for v in row] for row in rows]
    cells = [[str(h) for h in headers], *body]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i >= numeric_from else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
