"""Exposure rules, access token and security headers of the dashboard.

The dashboard shows attacker-written text (harassment posts, handles, URLs). Everything is
escaped when rendered; the headers are the second line of defence: the Content-Security-Policy
allows scripts and styles from this server only (no inline script, no external source, no
``eval``), so even a rendering bug could not run a post's ``<script>``.

Who may reach it: a request must name one of the server's own host names in its ``Host``
header (:func:`allowed_hosts`), so a web page on another site cannot read the dashboard through
DNS rebinding (its requests carry the attacker's host name). A server bound to anything but
loopback must require a token unless the user says the network is trusted
(:func:`check_exposure`).
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from ..errors import ParameterError

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "TOKEN_COOKIE",
    "LOOPBACK_NAMES",
    "security_headers",
    "token_from_request",
    "token_matches",
    "token_cookie",
    "is_loopback",
    "check_exposure",
    "allowed_hosts",
    "host_allowed",
]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""Host names a loopback server answers to (with its port)."""
_WILDCARDS = ("", "0.0.0.0", "::")

TOKEN_COOKIE = "trendwatch_token"
_MAX_QUERY_FIELDS = 100

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers() -> dict[str, str]:
    """Headers sent with every response, errors included."""
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def token_from_request(query: str, headers: Mapping[str, str]) -> tuple[str | None, bool]:
    """The token a request presents and whether it came from the query string.

    Looked up in order: ``Authorization: Bearer T``, ``?token=T``, the cookie set earlier.
    """
    auth = headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    try:
        from_query = parse_qs(query, max_num_fields=_MAX_QUERY_FIELDS).get("token")
    except ValueError:
        raise ParameterError(f"the query has more than {_MAX_QUERY_FIELDS} fields") from None
    if from_query:
        return from_query[-1], True
    return _cookie_token(headers.get("Cookie") or ""), False


def _cookie_token(header: str) -> str | None:
    try:
        morsel = SimpleCookie(header).get(TOKEN_COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel is not None else None


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison (no timing hint about how much of the token was right)."""
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def token_cookie(token: str) -> str:
    """The ``Set-Cookie`` value that lets a browser keep the token after ``?token=``."""
    return f"{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"


# -- exposure --------------------------------------------------------------------------------


def _host_addresses(host: str) -> list[str]:
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [info[4][0] for info in found]


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine (every address is loopback).

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    addresses = _host_addresses(host.strip("[]")) if host not in _WILDCARDS else []
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback
                                   for a in addresses)  # fmt: skip


def check_exposure(host: str, token: str | None, allow_no_token: bool = False) -> None:
    """Refuse to serve beyond loopback without a token, unless the user said so explicitly.

    Raises :class:`~trendwatch.errors.ParameterError` with what to do.
    """
    if token is not None or allow_no_token or is_loopback(host):
        return
    raise ParameterError(
        f"refusing to serve on {host or 'every address'} without a token: any machine that can "
        "reach it could read the whole store (posts, accounts, evidence). Pass --token T (or "
        "set TRENDWATCH_TOKEN), or --insecure-no-token if every machine on that network may."
    )


def _with_port(name: str, port: int) -> set[str]:
    name = name.lower()
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address, as a Host header writes it
    return {f"{name}:{port}"} | ({name} if port == 80 else set())


def _machine_names() -> set[str]:
    names = {socket.gethostname(), socket.getfqdn()}
    return names | {a for n in list(names) for a in _host_addresses(n)}


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` header values a server bound to ``host:port`` answers.

    The bound name and port; with a loopback bind also ``localhost``, ``127.0.0.1`` and
    ``[::1]``; with a wildcard bind (``0.0.0.0``, ``::``) also this machine's names and
    addresses; and each of ``extra`` (``--allow-host``): ``name`` (any port this server is
    reached on through a proxy: the name alone, or with this port) or ``name:port``.

    >>> sorted(allowed_hosts("127.0.0.1", 8765))
    ['127.0.0.1:8765', '[::1]:8765', 'localhost:8765']
    """
    names = {host} | (set(LOOPBACK_NAMES) if is_loopback(host) else set())
    if host in _WILDCARDS:
        names = (names - {host}) | set(LOOPBACK_NAMES) | _machine_names()
    found = {value for name in names for value in _with_port(name.strip("[]"), port)}
    for given in extra:
        given = given.strip().lower()
        found |= {given} if given.rpartition(":")[2].isdigit() else {given, f"{given}:{port}"}
    return frozenset(found)


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """Whether a request's ``Host`` header names this server (case-insensitive).

    >>> host_allowed("LOCALHOST:8765", allowed_hosts("127.0.0.1", 8765))
    True
    >>> host_allowed("attacker.example:8765", allowed_hosts("127.0.0.1", 8765))
    False
    """
    return header is not None and header.strip().lower() in allowed
