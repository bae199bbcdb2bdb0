"""What a data package keeps of a text: all of it, its shape, or nothing (``--text``).

``keep``
    The text, with mentions, handles in URLs and ids replaced when the package is
    pseudonymised (:meth:`~.pseudonyms.Pseudonymiser.scrub`).
``mask``
    Hashtags, URLs and @mentions kept (pseudonymised as in ``keep``); every other word
    replaced by its shape: each upper-case letter becomes ``X``, each other letter ``x``,
    each digit ``9``; punctuation and spaces stay. ``"Vote Dorsani 2027!"`` becomes
    ``"Xxxx Xxxxxxx 9999!"``: the length, rhythm and emphasis of a text survive (a copied
    text keeps its copies' shape), its words do not.
``drop``
    No text (NULL).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import ParameterError

__all__ = ["TEXT_MODES", "word_shape", "mask_text", "text_transform"]

TEXT_MODES = ("keep", "mask", "drop")

# Kept as they are: URLs (with or without scheme, as the scrubber leaves them), hashtags,
# mentions; everything else that is a word is shaped.
_KEPT_OR_WORD = re.compile(
    r"(?P<kept>https?://\S+|\b(?:www\.|[\w-]+\.(?:com|app|org|net|social|fr)/)\S*"
    r"|[#＃@]\w[\w.@-]*)|(?P<word>\w+)"
)


def word_shape(word: str) -> str:
    """The shape of a word: ``X`` for upper case, ``x`` other letters, ``9`` digits.

    >>> word_shape("Dorsani2027"), word_shape("élan")
    ('Xxxxxxx9999', 'xxxx')
    """
    return "".join("9" if c.isdigit() else "X" if c.isupper() else "x" for c in word)


def mask_text(text: str) -> str:
    """``text`` with every word but hashtags, URLs and mentions replaced by its shape.

    >>> mask_text("Vote Dorsani 2027! #Dorsani https://t.co/x1 @h_0a")
    'Xxxx Xxxxxxx 9999! #Dorsani https://t.co/x1 @h_0a'
    """
    return _KEPT_OR_WORD.sub(lambda m: m["kept"] or word_shape(m["word"]), text)


def text_transform(mode: str, scrub: Callable[[str], str] | None) -> Callable[[str], str | None]:
    """The function a package applies to each text for ``mode`` (:data:`TEXT_MODES`).

    ``scrub`` replaces identifiers first (None: nothing to replace).

    >>> text_transform("mask", str.upper)("hi #a")
    'XX #A'
    >>> text_transform("drop", None)("hi") is None
    True
    """
    if mode not in TEXT_MODES:
        raise ParameterError(f"--text must be one of {', '.join(TEXT_MODES)}, not {mode!r}")
    scrub = scrub or (lambda text: text)
    if mode == "keep":
        return scrub
    if mode == "mask":
        return lambda text: mask_text(scrub(text))
    return lambda text: None
