"""Plain-text tables for the terminal (no dependency beyond click)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table", "fmt_count"]


def fmt_count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


def format_table(headers: Sequence[str], rows: Sequence[Sequence], numeric_from: int = 1) -> str:
    """Align columns; columns from ``numeric_from`` on are right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[fmt_count(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i >= numeric_from else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
