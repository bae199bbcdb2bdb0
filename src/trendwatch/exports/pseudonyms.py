"""Keyed pseudonyms: account ids, handles, post ids and display names replaced by HMAC-SHA-256.

A :class:`Pseudonymiser` holds a secret key. The same key gives the same pseudonym for the
same value in every export, so two packages made with one key can be joined on their
pseudonyms; without the key a pseudonym cannot be turned back into its value (nor can a
guessed value be checked against it). Each kind of value has its own prefix and its own
hash domain: ``a_`` account ids, ``h_`` handles (case-folded, without ``@``), ``p_`` post
ids, ``n_`` display names, ``k_`` other keys (a co-tweet's text, when texts are masked or
dropped). A pseudonym is the prefix and 20 hex digits (80 bits): two values of a store share
one with a probability below 10⁻¹¹ for a million values.

Values also hide inside free text. :meth:`Pseudonymiser.scrub` replaces, in any string:
``@mentions`` (X, Bluesky's ``@alice.bsky.social``, Mastodon's ``@user@host``); the handle
and status id in X/Twitter URLs (``x.com/alice/status/123``); the profile and post key in
``bsky.app/profile/...`` URLs; the user and status id in Mastodon URLs (``host/@user/123``,
``host/users/user/statuses/123``); Bluesky DIDs anywhere (``did:plc:...``, also inside
``at://`` post URIs). It does not know a name written without ``@``, nor numeric account ids
written in a text: those stay (the README's "Sharing data" says so).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from ..errors import ParameterError

__all__ = ["Pseudonymiser", "PREFIXES", "MIN_KEY_CHARS", "X_RESERVED_PATHS", "is_pseudonym"]

PREFIXES = {"account": "a_", "handle": "h_", "post": "p_", "name": "n_", "key": "k_"}
"""The prefix of each kind of pseudonym."""
DIGITS = 20
"""Hex digits of a pseudonym (80 bits of the HMAC)."""
MIN_KEY_CHARS = 16
"""Shortest key accepted: a short key can be found by trying keys against a known value."""

_PSEUDONYM = re.compile(r"[ahpnk]_[0-9a-f]{20}")

X_RESERVED_PATHS = frozenset(
    ["i", "home", "search", "hashtag", "intent", "share", "explore", "settings", "messages",
     "notifications", "compose", "login", "signup", "tos", "privacy"]
)  # fmt: skip
"""First path segments of X URLs that are pages, not accounts (X refuses them as handles)."""
_PATH = r"[\w.:%@~-]+(?:/[\w.:%@~-]+)*"
_FIND = re.compile(
    rf"""
    (?P<x>\b(?:twitter|x)\.com/)(?P<x_path>{_PATH})
  | (?P<bsky>\bbsky\.app/profile/)(?P<bsky_path>{_PATH})
  | (?P<masto>https?://(?P<host>(?!(?:www\.|mobile\.)?(?:twitter|x)\.com/|bsky\.app/)
        [\w.-]+)/)(?P<masto_path>(?:@|users/){_PATH})
  | (?P<did>\bdid:(?:plc|web|key):[\w.:%-]+)
  | (?<![\w@/.])@(?P<mention>\w(?:[\w.-]*\w)?(?:@\w(?:[\w.-]*\w)?)?)
    """,
    re.VERBOSE | re.IGNORECASE,
)


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` has the form of a pseudonym.

    >>> is_pseudonym("a_" + "0" * 20), is_pseudonym("alice")
    (True, False)
    """
    return _PSEUDONYM.fullmatch(value) is not None


class Pseudonymiser:
    """Pseudonyms under one secret key (see the module docs).

    Parameters
    ----------
    key : bytes or str
        The secret, at least :data:`MIN_KEY_CHARS` characters.

    Examples
    --------
    >>> p = Pseudonymiser("correct horse battery staple")
    >>> p.handle("@Alice") == p.handle("alice"), p.account("12").startswith("a_")
    (True, True)
    >>> p.scrub("RT @Alice: see https://x.com/alice/status/99") == (
    ...     f"RT @{p.handle('alice')}: see https://x.com/{p.handle('alice')}/status/{p.post('99')}")
    True
    """

    def __init__(self, key: bytes | str):
        key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(key) < MIN_KEY_CHARS:
            raise ParameterError(
                f"the pseudonymisation key has {len(key)} bytes; give at least {MIN_KEY_CHARS} "
                "(e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        self._key = key
        self._cache: dict[tuple[str, str], str] = {}

    @classmethod
    def from_env(cls, name: str) -> Pseudonymiser:
        """The pseudonymiser whose key is the environment variable ``name``."""
        value = os.environ.get(name)
        if not value:
            raise ParameterError(
                f"--key-env {name}: the environment variable {name} is not set (or empty); "
                "export the secret key in it"
            )
        return cls(value)

    @property
    def fingerprint(self) -> str:
        """A digest that tells two keys apart without revealing the key (16 hex digits)."""
        return hmac.new(self._key, b"trendwatch key fingerprint", hashlib.sha256).hexdigest()[:16]

    def of(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` as a ``kind`` (a key of :data:`PREFIXES`)."""
        cached = self._cache.get((kind, value))
        if cached is None:
            message = kind.encode() + b"\0" + value.encode("utf-8", "surrogatepass")
            digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()[:DIGITS]
            cached = self._cache[(kind, value)] = PREFIXES[kind] + digest
        return cached

    def account(self, account_id: str) -> str:
        return self.of("account", account_id)

    def handle(self, handle: str) -> str:
        """Handles are compared without ``@`` and case-folded, as ``mentions`` stores them."""
        return self.of("handle", handle.removeprefix("@").lower())

    def post(self, post_id: str) -> str:
        return self.of("post", post_id)

    def name(self, name: str) -> str:
        return self.of("name", name)

    def key(self, key: str) -> str:
        return self.of("key", key)

    def scrub(self, text: str) -> str:
        """``text`` with mentions, handles and ids in URLs and DIDs replaced (module docs)."""
        return _FIND.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        if match["x"]:
            return match["x"] + self._x_path(match["x_path"])
        if match["bsky"]:
            return match["bsky"] + self._bsky_path(match["bsky_path"])
        if match["masto"]:
            return match["masto"] + self._masto_path(match["masto_path"], match["host"])
        if match["did"]:
            return self._did(match["did"])
        return "@" + self.handle(match["mention"])

    def _did(self, did: str) -> str:
        core = did.rstrip(".:-")
        return self.account(core) + did[len(core) :]

    def _x_path(self, path: str) -> str:
        parts = path.split("/")
        out = [_keep_tail(parts[0], self._x_user)]
        for before, part in zip(parts, parts[1:], strict=False):
            out.append(_keep_tail(part, self.post) if before in ("status", "statuses") else part)
        return "/".join(out)

    def _x_user(self, user: str) -> str:
        return user if user.lower() in X_RESERVED_PATHS else self.handle(user)

    def _bsky_path(self, path: str) -> str:
        parts = path.split("/")
        user = parts[0]
        out = [_keep_tail(user, self._did if user.startswith("did:") else self.handle)]
        for before, part in zip(parts, parts[1:], strict=False):
            out.append(_keep_tail(part, self.post) if before == "post" else part)
        return "/".join(out)

    def _masto_path(self, path: str, host: str) -> str:
        parts = path.split("/")
        out = []
        for i, part in enumerate(parts):
            if part.startswith("@") and i == 0:
                out.append("@" + _keep_tail(part[1:], lambda u: self._masto_user(u, host)))
            elif i > 0 and parts[i - 1] == "users":
                out.append(_keep_tail(part, lambda u: self._masto_user(u, host)))
            elif i > 0 and part.isdigit():
                out.append(self.post(part))
            else:
                out.append(part)
        return "/".join(out)

    def _masto_user(self, user: str, host: str) -> str:
        return self.handle(user if "@" in user else f"{user}@{host}")


def _keep_tail(part: str, replace) -> str:
    """``replace`` applied to ``part`` without its trailing dots and hyphens (a sentence's end)."""
    core = part.rstrip(".-")
    return (replace(core) if core else "") + part[len(core) :]
