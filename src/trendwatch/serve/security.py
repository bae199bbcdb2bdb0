"""Access token and security headers of the dashboard.

The dashboard shows attacker-written text (harassment posts, handles, URLs). Everything is
escaped when rendered; the headers are the second line of defence: the Content-Security-Policy
allows scripts and styles from this server only (no inline script, no external source, no
``eval``), so even a rendering bug could not run a post's ``<script>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "TOKEN_COOKIE",
    "security_headers",
    "token_from_request",
    "token_matches",
    "token_cookie",
]

TOKEN_COOKIE = "trendwatch_token"

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
    from_query = parse_qs(query, max_num_fields=100).get("token")
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
