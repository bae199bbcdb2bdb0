"""Token handling and the headers sent with every response."""

from __future__ import annotations

import pytest

from trendwatch.errors import ParameterError
from trendwatch.serve.security import (
    CONTENT_SECURITY_POLICY,
    security_headers,
    token_cookie,
    token_from_request,
    token_matches,
)
from trendwatch.serve.server import check_token


def test_token_sources_in_order():
    assert token_from_request("", {"Authorization": "Bearer abc"}) == ("abc", False)
    assert token_from_request("token=q", {"Authorization": "Basic zzz"}) == ("q", True)
    assert token_from_request("", {"Cookie": "other=1; trendwatch_token=c"}) == ("c", False)
    assert token_from_request("", {}) == (None, False)


def test_token_comparison():
    assert token_matches("secret-token", "secret-token")
    assert not token_matches("secret-token", "secret-tokeN")
    assert not token_matches("secret-token", None)
    assert not token_matches("secret-token", "")


def test_cookie_is_http_only_and_same_site():
    cookie = token_cookie("abcdefgh")
    assert cookie.startswith("trendwatch_token=abcdefgh;")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_csp_allows_no_inline_script_nor_external_source():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY
    assert security_headers()["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("token", ["short", "has space in it", "semi;colon;x", "é" * 10])
def test_unsafe_tokens_refused(token):
    with pytest.raises(ParameterError):
        check_token(token)


def test_good_token_accepted():
    assert check_token("Abc-123._~xyz") == "Abc-123._~xyz"
    assert check_token(None) is None
