"""Handles beside account ids, and each post's address on its platform.

A user reads ``@Claire60323947``, not ``1986019915592634315``: every output that shows an
account id also shows the handle where the store knows it. The handle comes from the
account's profile (``accounts.handle``) and, for accounts seen only as authors, from their
posts (``posts.author_handle``, the latest post's); an account whose handle the store never
saw gets None, never a guess.

Post addresses (:func:`post_url`) are built from ids and handles, which are hostile input:
a part that does not have the platform's shape gives no address (or X's handle-free form),
so a crafted handle cannot turn a link into one to another site or path. Where the platform
gives the address and it cannot be built (a Mastodon status's ``url``, stored as
``posts.post_url``), the stored address is used when it is a plain ``http(s)`` URL with a
host and no user part (:func:`safe_post_link`): a hostile instance's
``javascript:`` or ``https://trusted.example@evil.example/`` gives no address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import pandas as pd

__all__ = [
    "account_handles",
    "add_handles",
    "post_url",
    "safe_post_link",
    "add_post_urls",
    "add_key_urls",
    "KEY_POST_METHODS",
]

KEY_POST_METHODS = ("co-retweet", "co-reply")
"""The coordination methods whose evidence key is a post id: the reposted post, the post
replied to (:mod:`trendwatch.analysis.coordination.methods`)."""
MAX_URL_CHARS = 2048
"""Longest stored post address shown (browsers and servers commonly cap URLs near there)."""
_NOT_IN_LINKS = re.compile(r"[\x00-\x20\x7f-\x9f\s]")  # control characters, any space
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,50}")
_X_ID = re.compile(r"[0-9]{1,25}")
_BSKY_POST = re.compile(
    r"at://(did:[a-z]+:[A-Za-z0-9._:%-]{1,2048})/app\.bsky\.feed\.post/([A-Za-z0-9._~:-]{1,512})"
)


def account_handles(store, ids: Iterable) -> dict[str, str | None]:
    """Account id -> handle (None when the store never saw one), for every id in ``ids``.

    The profile's handle wins; else the handle of the account's latest post.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> account_handles(Store(":memory:"), ["1", None])
    {'1': None}
    """
    wanted = sorted({str(i) for i in ids if i is not None and i == i})
    if not wanted:
        return {}
    if not hasattr(store, "con"):  # a store without DuckDB (the Spark engine's lake)
        return _handles_through_ibis(store, wanted)
    found = store.con.execute(
        """
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS account_id),
        profiles AS (SELECT account_id, max(handle) AS handle FROM accounts
                     WHERE account_id IN (SELECT account_id FROM wanted) AND handle IS NOT NULL
                     GROUP BY 1),
        authors AS (SELECT author_id AS account_id,
                           arg_max(author_handle, created_at) AS handle FROM posts
                    WHERE author_id IN (SELECT account_id FROM wanted)
                          AND author_handle IS NOT NULL GROUP BY 1)
        SELECT w.account_id, coalesce(p.handle, a.handle) FROM wanted w
        LEFT JOIN profiles p USING (account_id) LEFT JOIN authors a USING (account_id)
        """,
        [wanted],
    ).fetchall()
    return dict(found)


def _handles_through_ibis(store, wanted: list[str]) -> dict[str, str | None]:
    """:func:`account_handles` as Ibis expressions, for any engine (same rule: the profile's
    handle, else the latest post's)."""
    accounts, posts = store.accounts(), store.posts()
    profiles = accounts.filter(accounts.account_id.isin(wanted), accounts.handle.notnull())
    profiles = profiles.group_by("account_id").aggregate(handle=profiles.handle.max())
    authors = posts.filter(posts.author_id.isin(wanted), posts.author_handle.notnull())
    authors = authors.group_by(account_id=authors.author_id).aggregate(
        handle=authors.author_handle.argmax(authors.created_at)
    )
    found = dict.fromkeys(wanted)
    found.update(_pairs(authors.to_pandas()))
    found.update(_pairs(profiles.to_pandas()))  # the profile wins
    return found


def _pairs(frame) -> dict[str, str]:
    return dict(zip(frame["account_id"], frame["handle"], strict=True))


def add_handles(store, frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with a handle column beside each account-id column (``{id_col: handle_col}``).

    Each handle column is inserted right after its id column; a copy is returned.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> frame = pd.DataFrame({"account_a": ["1"], "account_b": ["2"], "weight": [3]})
    >>> list(add_handles(Store(":memory:"), frame, {"account_a": "handle_a",
    ...                                             "account_b": "handle_b"}).columns)
    ['account_a', 'handle_a', 'account_b', 'handle_b', 'weight']
    """
    out = frame.copy()
    present = {c: h for c, h in columns.items() if c in out.columns and h not in out.columns}
    known = account_handles(store, (v for c in present for v in out[c]))
    for column, handle_column in present.items():
        values = [None if v is None or v != v else known.get(str(v)) for v in out[column]]
        out.insert(out.columns.get_loc(column) + 1, handle_column, pd.Series(
            values, index=out.index, dtype=object))  # fmt: skip
    return out


def post_url(
    platform: str | None, post_id, handle: str | None = None, stored: str | None = None
) -> str | None:
    """The post's address on its platform, or None when the store cannot say it.

    - X: ``https://x.com/HANDLE/status/ID``, or ``https://x.com/i/web/status/ID`` when the
      handle is unknown or not an X handle.
    - Bluesky: ``https://bsky.app/profile/DID/post/RKEY`` from the post's AT URI.
    - Any other post (Mastodon): the address the platform gave (``stored``, the post's
      ``post_url``) when it is a safe link (:func:`safe_post_link`). Mastodon's post ids are
      local to the instance that answered the collector, so nothing can be built from them.

    Examples
    --------
    >>> post_url("x", "1989", "Anna_B"), post_url("x", "1989", "a/../evil")
    ('https://x.com/Anna_B/status/1989', 'https://x.com/i/web/status/1989')
    >>> post_url("bluesky", "at://did:plc:abc/app.bsky.feed.post/3k2")
    'https://bsky.app/profile/did:plc:abc/post/3k2'
    >>> post_url("mastodon", "109", stored="https://m.example/@ann/109")
    'https://m.example/@ann/109'
    >>> post_url("x", "javascript:alert(1)") is None, post_url("mastodon", "1") is None
    (True, True)
    >>> post_url("mastodon", "1", stored="javascript:alert(1)") is None
    True
    """
    post_id = "" if post_id is None else str(post_id)
    if platform == "x" and _X_ID.fullmatch(post_id):
        if isinstance(handle, str) and _X_HANDLE.fullmatch(handle):
            return f"https://x.com/{handle}/status/{post_id}"
        return f"https://x.com/i/web/status/{post_id}"
    if platform == "bluesky":
        found = _BSKY_POST.fullmatch(post_id)
        if found:
            return f"https://bsky.app/profile/{found[1]}/post/{found[2]}"
        return None
    return safe_post_link(stored)


def safe_post_link(url: str | None) -> str | None:
    """``url`` when it may be shown as a link to a post: ``http(s)``, a host, no user part
    (``https://a.example@b.example/`` reads as a.example but opens b.example), no white
    space or control character, at most :data:`MAX_URL_CHARS` characters; else None.

    Examples
    --------
    >>> safe_post_link("https://m.example/@ann/1"), safe_post_link(" JavaScript:alert(1)")
    ('https://m.example/@ann/1', None)
    >>> safe_post_link("https://m.example@evil.example/1"), safe_post_link("ftp://m.example/1")
    (None, None)
    """
    if not isinstance(url, str) or len(url) > MAX_URL_CHARS or _NOT_IN_LINKS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def add_post_urls(store, frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with a URL column after each post-id column (``{post_col: url_col}``).

    Each post's platform and author handle (the post's own, else the account's) are read from
    the store; a post the store does not hold gets None.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> frame = pd.DataFrame({"post_a": ["9"]})
    >>> add_post_urls(Store(":memory:"), frame, {"post_a": "url_a"})["url_a"].tolist()
    [None]
    """
    out = frame.copy()
    present = {c: u for c, u in columns.items() if c in out.columns and u not in out.columns}
    ids = sorted({str(v) for c in present for v in out[c] if v is not None and v == v})
    urls = _urls_of(store, ids)
    for column, url_column in present.items():
        values = [None if v is None or v != v else urls.get(str(v)) for v in out[column]]
        out.insert(out.columns.get_loc(column) + 1, url_column, pd.Series(
            values, index=out.index, dtype=object))  # fmt: skip
    return out


def add_key_urls(store, frame: pd.DataFrame, method: str | None = None) -> pd.DataFrame:
    """``frame`` with ``key_url`` after ``key``: the address of the post the key names, on
    the rows of a method of :data:`KEY_POST_METHODS` (their ``method`` column, else
    ``method`` for every row); None on the other rows and for a post the store lacks.

    A Mastodon reblog's key is the reblogged status's id, local to the collector's
    instance: its address (the context post's ``post_url``) is what finds it.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> frame = pd.DataFrame({"key": ["9"], "post_a": ["1"]})
    >>> list(add_key_urls(Store(":memory:"), frame, "co-retweet").columns)
    ['key', 'key_url', 'post_a']
    """
    out = frame.copy()
    if "key" not in out.columns or "key_url" in out.columns:
        return out
    methods = out["method"] if "method" in out.columns else pd.Series(method, index=out.index)
    names_post = methods.isin(KEY_POST_METHODS).to_numpy()
    urls = _urls_of(store, sorted({str(k) for k in out["key"][names_post]}))
    values = [urls.get(str(k)) if named else None
              for k, named in zip(out["key"], names_post, strict=True)]  # fmt: skip
    out.insert(out.columns.get_loc("key") + 1, "key_url", pd.Series(
        values, index=out.index, dtype=object))  # fmt: skip
    return out


def _post_authors(store, post_ids: list[str]) -> list[tuple]:
    """``(post_id, platform, author_id, author_handle, post_url)`` of the stored posts among
    ``post_ids`` (context posts too)."""
    columns = ("post_id", "platform", "author_id", "author_handle", "post_url")
    if not hasattr(store, "con"):  # the Spark engine's lake: the same rows through Ibis
        posts = store.posts(include_context=True)
        found = posts.filter(posts.post_id.isin(post_ids))
        present = [c for c in columns if c in found.columns]  # a lake may predate post_url
        frame = found.select(*present).to_pandas().reindex(columns=list(columns))
        return list(frame.astype(object).where(frame.notna(), None).itertuples(index=False))
    return store.con.execute(
        f"SELECT {', '.join(columns)} FROM posts WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
        [post_ids],
    ).fetchall()


def _urls_of(store, post_ids: list[str]) -> dict[str, str | None]:
    if not post_ids:
        return {}
    rows = _post_authors(store, post_ids)
    known = account_handles(store, (author for _, _, author, _, _ in rows))
    return {
        post_id: post_url(platform, post_id, handle or known.get(author), stored)
        for post_id, platform, author, handle, stored in rows
    }
