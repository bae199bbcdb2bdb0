"""Timestamp parsing: every input's time format to aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trendwatch.times import parse_time

EXPECTED = datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2018-10-10T20:19:24.000Z",
        "2018-10-10T22:19:24+02:00",
        "2018-10-10 20:19:24",
        "Wed Oct 10 20:19:24 +0000 2018",
        1539202764,
        "1539202764",
        1539202764000,
        datetime(2018, 10, 10, 21, 19, 24, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_parse_time_to_utc(value):
    assert parse_time(value) == EXPECTED
    assert parse_time(value).tzinfo is not None


@pytest.mark.parametrize("value", [None, ""])
def test_empty_is_none(value):
    assert parse_time(value) is None


def test_garbage_raises_value_error_for_the_quarantine():
    with pytest.raises(ValueError, match="unrecognised time"):
        parse_time("next tuesday")


@pytest.mark.parametrize("value", ["99999999999999999999", -99999999999999999999, 1e300])
def test_unix_times_out_of_range_are_value_errors(value):
    with pytest.raises(ValueError, match="out of range"):
        parse_time(value)


@pytest.mark.parametrize(
    "value", ["99999999999999999999", "0001-01-01T00:00Z", "9999-12-31T23:59Z", "soon"]
)
def test_query_bounds_outside_1900_2200_are_parameter_errors(value):
    from trendwatch.errors import ParameterError
    from trendwatch.times import parse_bound

    with pytest.raises(ParameterError, match=r"^--until .* is not a time from 1900 to 2200"):
        parse_bound(value, "--until")


def test_query_bounds_inside_the_range():
    from trendwatch.times import parse_bound

    assert parse_bound("2016-03-22T12:00Z", "--at") == datetime(2016, 3, 22, 12, tzinfo=UTC)
    assert parse_bound(None, "--at") is None
