"""Query parameters: every refusal names the parameter; values become Python objects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trendwatch.serve.params import MAX_VALUE_LENGTH, BadParameter, Param, parse_query
from trendwatch.serve.routes import FILTERS, ROUTES, route_for_path

TOP = Param("top", "top")
TAGS = Param("hashtag", "hashtag", multiple=True)
SINCE = Param("since", "time")


def refused(query, params) -> BadParameter:
    with pytest.raises(BadParameter) as info:
        parse_query(query, params)
    return info.value


def test_values_are_converted():
    got = parse_query("since=2016-12-01T10:00&hashtag=%23Brexit&hashtag=MAGA&top=7",
                      (SINCE, TAGS, TOP))  # fmt: skip
    assert got == {
        "since": datetime(2016, 12, 1, 10, 0, tzinfo=UTC),
        "hashtag": ("brexit", "maga"),
        "top": 7,
    }


def test_empty_values_count_as_absent():
    assert parse_query("top=&since=", (SINCE, TOP)) == {}


@pytest.mark.parametrize(
    "query, name, fragment",
    [
        ("bogus=1", "bogus", "unknown parameter"),
        ("top=0", "top", "from 1 to 500"),
        ("top=501", "top", "from 1 to 500"),
        ("top=-3", "top", "whole number"),
        ("top=1e3", "top", "whole number"),
        ("top=%D9%A3", "top", "whole number"),  # Arabic-Indic digit 3: isdigit() but not ASCII
        ("top=1&top=2", "top", "more than once"),
        ("since=yesterday", "since", "not a time"),
        ("since=2016-13-45", "since", "not a time"),
        ("hashtag=%23", "hashtag", "not a hashtag"),
        ("platform=myspace", "platform", "not a platform"),
        ("window=1y", "window", "not a duration"),
        ("window=0.5s", "window", "not a duration"),
        ("a=%00x", "a", "control characters"),
    ],
)
def test_bad_values_name_the_parameter(query, name, fragment):
    params = (TOP, SINCE, TAGS, Param("platform", "platform"), Param("window", "window"),
              Param("a", "id"))  # fmt: skip
    error = refused(query, params)
    assert error.name == name
    assert fragment in str(error)


def test_required_parameter_missing():
    assert refused("", (Param("a", "id", required=True),)).name == "a"


def test_long_values_refused():
    assert refused("a=" + "x" * (MAX_VALUE_LENGTH + 1), (Param("a", "id"),)).name == "a"


def test_too_many_fields_refused():
    assert refused("&".join(["hashtag=a"] * 100), (TAGS,)).name == "query"


def test_token_is_not_a_view_parameter():
    assert parse_query("token=secret&top=2", (TOP,)) == {"top": 2}


def test_every_page_declares_its_parameters_once():
    for route in ROUTES:
        names = [p.name for p in route.params]
        assert len(names) == len(set(names)), route.name
    assert {p.name for p in FILTERS} == {"since", "until", "platform", "hashtag"}


def test_routes_and_json_twins():
    assert route_for_path("/")[0].name == "overview"
    assert route_for_path("/api/overview") == (route_for_path("/")[0], True)
    assert route_for_path("/groups/") == (route_for_path("/groups")[0], False)
    for route in ROUTES:
        assert route_for_path(route.api_path) == (route, True)
    assert route_for_path("/api") is None
    assert route_for_path("/../etc/passwd") is None
