"""Counts in sentences a user reads (CLI summaries, campaign summaries)."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` with thousands separators and the noun agreeing with it.

    Examples
    --------
    >>> plural(1, "group"), plural(2_431, "post"), plural(0, "account")
    ('1 group', '2,431 posts', '0 accounts')
    >>> plural(2, "significant link")
    '2 significant links'
    """
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {many or noun + 's'}"
