"""Hashtag variants: the spellings of one campaign's hashtag that differ only by accents.

Ingest already folds case and compatibility forms (:func:`~trendwatch.text.normalize_hashtag`:
``#RemigrationDorsani``, ``#remigrationdorsani`` and full-width ``＃ＲＥＭＩ…`` are one key),
but keeps accents, because ``#été`` and ``#ete`` are different words in some languages. A
campaign often travels under both spellings (``#RémigrationDorsani`` / ``#RemigrationDorsani``:
people type it without the accent on phones), so :func:`fold_variants` finds, for each
hashtag asked for, every stored hashtag whose accent-stripped form is the same, and says which
it folded in, with their posts, so the reader sees what was merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..text import normalize_hashtag
from ..wording import plural

__all__ = ["FoldedHashtags", "fold_variants"]


@dataclass(frozen=True)
class FoldedHashtags:
    """The hashtags asked for and, for each, the stored variants found (with their posts).

    ``variants`` maps each requested hashtag (normalised) to ``{variant: posts}`` for every
    stored hashtag with the same accent-stripped form, itself included when stored.
    """

    requested: tuple[str, ...]
    variants: dict[str, dict[str, int]]

    @property
    def hashtags(self) -> tuple[str, ...]:
        """Every hashtag to count: the requested ones and their variants, each once."""
        found = [tag for tag in self.requested]
        found += [v for tag in self.requested for v in self.variants.get(tag, {})]
        return tuple(dict.fromkeys(found))

    @property
    def folded(self) -> dict[str, dict[str, int]]:
        """Only the requested hashtags that gained a variant, and the variants they gained."""
        return {
            tag: {v: n for v, n in found.items() if v != tag}
            for tag, found in self.variants.items()
            if set(found) - {tag}
        }

    def note(self) -> str:
        """One line saying what was folded (or that nothing was).

        >>> FoldedHashtags(("ete",), {"ete": {"ete": 3, "été": 2}}).note()
        'folded variants: #ete with #été (2 posts)'
        >>> FoldedHashtags(("ete",), {"ete": {"ete": 3}}).note()
        'folded variants: none found (accents and case)'
        """
        if not self.folded:
            return "folded variants: none found (accents and case)"
        parts = [
            f"#{tag} with " + ", ".join(f"#{v} ({plural(n, 'post')})" for v, n in found.items())
            for tag, found in self.folded.items()
        ]
        return "folded variants: " + "; ".join(parts)

    def to_dict(self) -> dict:
        return {"requested": list(self.requested), "folded": self.folded}


_VARIANTS_SQL = """
WITH asked AS (SELECT unnest(?::VARCHAR[]) AS tag),
tags AS (SELECT DISTINCT platform, post_id, unnest(hashtags) AS tag FROM posts WHERE collected)
SELECT asked.tag AS asked, tags.tag AS variant, count(*) AS posts
FROM tags JOIN asked ON strip_accents(tags.tag) = strip_accents(asked.tag)
GROUP BY 1, 2 ORDER BY 1, posts DESC, 2
"""


def fold_variants(store, hashtags) -> FoldedHashtags:
    """The stored variants of ``hashtags`` that differ from them only by accents (and case,
    which ingest already folds).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> from datetime import datetime, UTC
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(posts_to_arrow([
    ...     Post("x", str(i), "u", datetime(2025, 1, 1, tzinfo=UTC), hashtags=(tag,))
    ...     for i, tag in enumerate(["rémigrationdorsani", "remigrationdorsani", "remigration",
    ...                              "remigrationdorsani"])]))  # as ingest normalises them
    >>> folded = fold_variants(store, ["#RemigrationDorsani"])
    >>> folded.hashtags
    ('remigrationdorsani', 'rémigrationdorsani')
    >>> folded.note()
    'folded variants: #remigrationdorsani with #rémigrationdorsani (1 post)'
    """
    if isinstance(hashtags, str):
        hashtags = [hashtags]
    requested = tuple(dict.fromkeys(normalize_hashtag(str(tag)) for tag in hashtags))
    rows = store.con.execute(_VARIANTS_SQL, [list(requested)]).fetchall()
    variants: dict[str, dict[str, int]] = {}
    for asked, variant, posts in rows:
        variants.setdefault(asked, {})[variant] = int(posts)
    return FoldedHashtags(requested, variants)
