"""Sources from the watch command's options, declared once for the CLI and the library."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import ParameterError
from .jetstream import DEFAULT_COLLECTIONS, Jetstream
from .mastodon import MastodonStream
from .sources import Source
from .stdin import StdinSource

__all__ = ["SOURCE_KINDS", "make_sources", "read_token"]

SOURCE_KINDS = ("jetstream", "mastodon", "stdin")


def read_token(env_name: str | None) -> str | None:
    """The access token from the environment variable ``env_name`` (never from arguments,
    which any user of the machine can read in the process list).

    >>> os.environ["TW_DOCTEST_TOKEN"] = "s3cret"
    >>> read_token("TW_DOCTEST_TOKEN")
    's3cret'
    """
    if env_name is None:
        return None
    token = os.environ.get(env_name)
    if not token:
        raise ParameterError(f"--token-env {env_name}: that environment variable is not set")
    return token


def make_sources(
    kind: str,
    urls: Sequence[str] = (),
    *,
    streams: Sequence[str] = ("public",),
    collections: Sequence[str] = DEFAULT_COLLECTIONS,
    dids: Sequence[str] = (),
    compress: bool = False,
    transport: str = "sse",
    token_env: str | None = None,
    format: str | None = None,
) -> list[Source]:
    """The sources of one ``watch``: a Jetstream per URL, a Mastodon stream per URL and
    stream, or standard input.

    >>> [s.name for s in make_sources("mastodon", ["https://a.example", "https://b.example"],
    ...                                streams=["public:local"])]
    ['mastodon https://a.example public:local', 'mastodon https://b.example public:local']
    """
    if kind not in SOURCE_KINDS:
        raise ParameterError(f"unknown source {kind!r}: choose {', '.join(SOURCE_KINDS)}")
    if kind == "stdin":
        if urls:
            raise ParameterError("--source stdin reads standard input: it takes no --url")
        return [StdinSource(format=format)]
    if not urls:
        raise ParameterError(f"--source {kind} needs at least one --url")
    if kind == "jetstream":
        return [Jetstream(u, collections=collections, dids=dids, compress=compress) for u in urls]
    token = read_token(token_env)
    return [
        MastodonStream(u, s, transport=transport, token=token, token_env=token_env)
        for u in urls
        for s in streams
    ]
