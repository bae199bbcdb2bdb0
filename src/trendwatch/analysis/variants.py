"""Hashtag variants: the spellings of one campaign's hashtag that differ only by accents.

Ingest already folds case and compatibility forms (:func:`~trendwatch.text.normalize_hashtag`:
``#RemigrationDorsani``, ``#remigrationdorsani`` and full-width ``＃ＲＥＭＩ…`` are one key),
but keeps accents, because ``#été`` and ``#ete`` are different words in some languages. A
campaign often travels under both spellings (``#RémigrationDorsani`` / ``#RemigrationDorsani``:
people type it without the accent on phones), so :func:`fold_variants` finds, for each
hashtag asked for, every stored hashtag whose accent-stripped form is the same, and says which
it folded in, with their posts, so the reader sees what was merged.

On DuckDB the match is one query (``strip_accents``). Spark has no such function, and a
Python function on the executors would have to be shipped to them; the distinct hashtags are
few, so on any other engine the posts per hashtag are counted there (an Ibis expression) and
matched on the driver by :func:`strip_accents`, which strips what DuckDB's does (canonical
decomposition, marks removed, recomposition).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..text import normalize_hashtag
from ..wording import plural

__all__ = ["FoldedHashtags", "fold_variants", "strip_accents"]


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
    if hasattr(store, "con"):
        rows = store.con.execute(_VARIANTS_SQL, [list(requested)]).fetchall()
    else:  # a store without DuckDB (the Spark engine's lake)
        rows = _variant_rows(hashtag_posts(store), requested)
    variants: dict[str, dict[str, int]] = {}
    for asked, variant, posts in rows:
        variants.setdefault(asked, {})[variant] = int(posts)
    return FoldedHashtags(requested, variants)


_MARKS = frozenset({"Mn", "Mc", "Me"})


def strip_accents(text: str) -> str:
    """``text`` without its marks (accents), as DuckDB's ``strip_accents`` gives it.

    >>> strip_accents("rémigrationdorsani"), strip_accents("ñandú")
    ('remigrationdorsani', 'nandu')
    """
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _MARKS)
    return unicodedata.normalize("NFC", kept)


def hashtag_posts(store) -> dict[str, int]:
    """Each hashtag of the collected posts and the posts that carry it (an Ibis expression:
    it runs where the store's posts are).

    >>> from trendwatch.store import Store
    >>> hashtag_posts(Store(":memory:"))
    {}
    """
    posts = store.posts()
    tags = posts.select("platform", "post_id", tag=posts.hashtags.unnest()).distinct()
    counts = tags.group_by("tag").aggregate(posts=tags.count()).to_pyarrow()
    return dict(zip(counts["tag"].to_pylist(), counts["posts"].to_pylist(), strict=True))


def _variant_rows(counts: dict[str, int], requested) -> list[tuple[str, str, int]]:
    """``(asked, variant, posts)`` in :data:`_VARIANTS_SQL`'s order, from posts per hashtag."""
    by_form: dict[str, list[str]] = {}
    for tag in counts:
        if tag is not None:
            by_form.setdefault(strip_accents(tag), []).append(tag)
    rows = [
        (asked, variant, counts[variant])
        for asked in sorted(set(requested))
        for variant in by_form.get(strip_accents(asked), [])
    ]
    return sorted(rows, key=lambda row: (row[0], -row[2], row[1]))
