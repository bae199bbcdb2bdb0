"""Post bodies with exact entity offsets, as the X API v2 reports them.

A :class:`Body` is a text plus its hashtag, mention and URL entities (code-point offsets, like
the API). Bodies are built piece by piece with :class:`TextBuilder`, so offsets are right by
construction; retweets, replies and quotes derive their body from another one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..text import normalize_hashtag

__all__ = ["Body", "TextBuilder", "tco", "retweet_body", "RT_TEXT_LIMIT"]

RT_TEXT_LIMIT = 140
"""Retweet texts in v2 are ``RT @handle: `` plus the original, cut to this many characters."""

_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def tco(n: int) -> str:
    """A deterministic, unique-looking t.co short link for the integer ``n``.

    >>> tco(1).startswith("https://t.co/") and len(tco(1)) == len("https://t.co/") + 10
    True
    """
    x = (n * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (62**10)
    chars = []
    for _ in range(10):
        x, r = divmod(x, 62)
        chars.append(_BASE62[r])
    return "https://t.co/" + "".join(chars)


@dataclass(frozen=True, slots=True)
class Body:
    """A post text and its entities: ``(start, end, ...)`` tuples with code-point offsets."""

    text: str
    lang: str
    hashtags: tuple[tuple[int, int, str], ...] = ()
    mentions: tuple[tuple[int, int, str, str], ...] = ()
    """``(start, end, username, user_id)``."""
    urls: tuple[tuple, ...] = ()
    """``(start, end, t.co url, expanded url, display url[, unwound url])``: the unwound URL,
    when given, is where a shortened expanded URL leads (the API's ``unwound_url``)."""

    def tags(self) -> frozenset[str]:
        """The normalised hashtags of the text."""
        return frozenset(normalize_hashtag(tag) for _, _, tag in self.hashtags)

    def shifted(self, offset: int, limit: int | None = None) -> Body:
        """The entities moved right by ``offset``; those ending past ``limit`` are dropped."""
        keep = (lambda e: e[1] + offset <= limit) if limit is not None else (lambda e: True)
        move = lambda ents: tuple((s + offset, e + offset, *rest) for s, e, *rest in ents)  # noqa: E731
        return replace(
            self,
            hashtags=move(e for e in self.hashtags if keep(e)),
            mentions=move(e for e in self.mentions if keep(e)),
            urls=move(e for e in self.urls if keep(e)),
        )

    def with_reply_prefix(self, username: str, user_id: str) -> Body:
        """The body of a reply: ``@username`` in front, as the X clients write it."""
        prefix = f"@{username} "
        moved = self.shifted(len(prefix))
        mention = (0, len(username) + 1, username, user_id)
        return replace(moved, text=prefix + self.text, mentions=(mention, *moved.mentions))

    def with_link(self, short: str, expanded: str, display: str) -> Body:
        """The body with a link appended (a quote's link to the quoted post)."""
        start = len(self.text) + 1
        url = (start, start + len(short), short, expanded, display)
        return replace(self, text=f"{self.text} {short}", urls=(*self.urls, url))

    def entities(self) -> dict:
        """The ``entities`` object of the v2 payload (only the keys that have entries)."""
        out: dict = {}
        if self.hashtags:
            out["hashtags"] = [{"start": s, "end": e, "tag": t} for s, e, t in self.hashtags]
        if self.mentions:
            out["mentions"] = [
                {"start": s, "end": e, "username": u, "id": i} for s, e, u, i in self.mentions
            ]
        if self.urls:
            out["urls"] = [_url_entity(*url) for url in self.urls]
        return out


def _url_entity(start, end, url, expanded, display, unwound=None) -> dict:
    entity = {"start": start, "end": end, "url": url, "expanded_url": expanded}
    entity["display_url"] = display
    if unwound is not None:
        entity["unwound_url"] = unwound
    return entity


def retweet_body(original: Body, username: str, user_id: str) -> Body:
    """The body of a retweet: ``RT @username: text``, cut to :data:`RT_TEXT_LIMIT` with '…'."""
    prefix = f"RT @{username}: "
    text = prefix + original.text
    limit = len(text)
    if len(text) > RT_TEXT_LIMIT:
        limit = RT_TEXT_LIMIT - 1
        text = text[:limit] + "…"
    moved = original.shifted(len(prefix), limit=limit)
    mention = (3, 4 + len(username), username, user_id)
    return replace(moved, text=text, mentions=(mention, *moved.mentions))


class TextBuilder:
    """Assemble a text from words and entities separated by single spaces."""

    def __init__(self, lang: str):
        self.lang = lang
        self._parts: list[str] = []
        self._length = 0
        self._hashtags: list = []
        self._mentions: list = []
        self._urls: list = []

    def _start(self) -> int:
        return self._length + (1 if self._parts else 0)

    def _push(self, piece: str) -> tuple[int, int]:
        start = self._start()
        self._parts.append(piece)
        self._length = start + len(piece)
        return start, self._length

    def words(self, text: str) -> TextBuilder:
        """Plain text (may itself hold spaces); empty strings are ignored."""
        if text:
            self._push(text)
        return self

    def glue(self, text: str) -> TextBuilder:
        """Text stuck to the previous piece, without a space (punctuation)."""
        if not self._parts:
            return self.words(text)
        self._parts[-1] += text
        self._length += len(text)
        return self

    def hashtag(self, tag: str) -> TextBuilder:
        start, end = self._push("#" + tag)
        self._hashtags.append((start, end, tag))
        return self

    def mention(self, username: str, user_id: str) -> TextBuilder:
        start, end = self._push("@" + username)
        self._mentions.append((start, end, username, user_id))
        return self

    def url(self, short: str, expanded: str, display: str, unwound: str | None = None):
        """A link: the t.co ``short`` in the text; ``unwound`` where a shortener leads."""
        start, end = self._push(short)
        extra = () if unwound is None else (unwound,)
        self._urls.append((start, end, short, expanded, display, *extra))
        return self

    def build(self) -> Body:
        return Body(
            " ".join(self._parts),
            self.lang,
            tuple(self._hashtags),
            tuple(self._mentions),
            tuple(self._urls),
        )
