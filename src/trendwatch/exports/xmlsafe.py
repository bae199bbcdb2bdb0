"""Text that XML 1.0 accepts: forbidden characters replaced, node ids kept distinct."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["xml_text", "xml_ids"]

# XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
# Everything else (C0 controls but TAB/LF/CR, lone surrogates, U+FFFE, U+FFFF) is forbidden,
# even escaped as a character reference.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 forbids replaced by U+FFFD.

    Escaping ``<``, ``&`` and quotes is left to the writer (``quoteattr``, igraph).

    Examples
    --------
    >>> xml_text("ok\\x01\\ufffe\\ud800<")
    'ok���<'
    """
    return _FORBIDDEN.sub("\N{REPLACEMENT CHARACTER}", text)


def xml_ids(names: Iterable[str]) -> dict[str, str]:
    """Each name's XML id: :func:`xml_text` of it, made distinct when replacing merged two.

    A name XML accepts keeps itself as id. A name that changed and collides with another
    id gets ``~2``, ``~3``... appended, so two accounts never become one node.

    Examples
    --------
    >>> ids = xml_ids(["a\\x01", "a\\x02", "b"])
    >>> ids["b"], ids["a\\x01"], ids["a\\x02"]
    ('b', 'a�', 'a�~2')
    """
    names = sorted(set(names), key=lambda name: (xml_text(name) != name, name))
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = candidate = xml_text(name)
        suffix = 1
        while candidate in used:
            suffix += 1
            candidate = f"{base}~{suffix}"
        ids[name] = candidate
        used.add(candidate)
    return ids
