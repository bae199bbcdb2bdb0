"""``--tz`` / ``TRENDWATCH_TZ``: times shown and typed in the user's zone, the store in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from trendwatch.cli import cli
from trendwatch.cli.options import in_zone
from trendwatch.errors import ParameterError
from trendwatch.store import Store
from trendwatch.times import assume_zone, has_offset, to_zone, zone

PARIS = zone("Europe/Paris")


@pytest.fixture
def db(tmp_path):
    """#a: ten posts, one a minute from 2024-03-01 12:00 UTC (13:00 in Paris, winter time)."""
    path = tmp_path / "tz.duckdb"
    with Store(path) as store:
        add_posts(store, [make_post(i, f"u{i}", at(i), hashtags=("a",)) for i in range(10)])
    return str(path)


def _run(args, env=None):
    return CliRunner().invoke(cli, args, env={"TRENDWATCH_TZ": "", **(env or {})})


def test_zone_conversion_follows_summer_time():
    assert to_zone(datetime(2024, 3, 1, 12, tzinfo=UTC), PARIS).isoformat() == (
        "2024-03-01T13:00:00+01:00"
    )
    assert to_zone(datetime(2024, 7, 1, 12, tzinfo=UTC), PARIS).isoformat() == (
        "2024-07-01T14:00:00+02:00"
    )
    assert assume_zone("2024-07-01 14:00", PARIS) == "2024-07-01T14:00:00+02:00"
    assert to_zone(None, PARIS) is None


def test_offsets_are_recognised_and_unknown_zones_refused():
    assert [has_offset(v) for v in ("2024-03-01T12:00+05:30", "2024-03-01", "soon", None)] == [
        True, False, None, None,
    ]  # fmt: skip
    with pytest.raises(ParameterError, match="unknown time zone 'Europe/Pariss'"):
        zone("Europe/Pariss")


def test_in_zone_rewrites_times_but_not_texts():
    data = {"first": "2024-03-01T12:00:00+00:00", "rows": [{"at": datetime(2024, 3, 1, 12,
            tzinfo=UTC), "text": "2024-03-01T12:00:00+00:00", "n": 3}]}  # fmt: skip
    assert in_zone(data, PARIS) == {
        "first": "2024-03-01T13:00:00+01:00",
        "rows": [{"at": "2024-03-01T13:00:00+01:00", "text": "2024-03-01T12:00:00+00:00", "n": 3}],
    }


def test_campaign_shows_times_in_the_zone(db):
    utc = _run(["campaign", "a", "--db", db])
    paris = _run(["campaign", "a", "--db", db, "--tz", "Europe/Paris"])
    assert "2024-03-01 12:00:00 UTC" in utc.output
    assert "2024-03-01 13:00:00 CET" in paris.output and "UTC" not in paris.output
    from_env = _run(["campaign", "a", "--db", db, "--json"], {"TRENDWATCH_TZ": "Europe/Paris"})
    assert orjson.loads(from_env.stdout)["first"] == "2024-03-01T13:00:00+01:00"


def test_typed_times_without_offset_are_read_in_the_zone(db):
    # 13:05 in Paris is 12:05 UTC: posts 5 to 9 are in the scope
    paris = _run(["accounts", "--db", db, "--min-signals", "0", "--json", "--tz", "Europe/Paris",
                  "--since", "2024-03-01 13:05"])  # fmt: skip
    assert sorted(row["account_id"] for row in orjson.loads(paris.stdout)) == [
        "u5", "u6", "u7", "u8", "u9",
    ]  # fmt: skip
    utc = _run(["accounts", "--db", db, "--min-signals", "0", "--json",
                "--since", "2024-03-01 12:05"])  # fmt: skip
    assert utc.stdout == paris.stdout
    # a typed offset wins over the zone
    offset = _run(["accounts", "--db", db, "--min-signals", "0", "--json", "--tz", "Asia/Tokyo",
                   "--since", "2024-03-01T12:05Z"])  # fmt: skip
    assert offset.stdout == utc.stdout


def test_trends_at_is_read_and_shown_in_the_zone(db):
    paris = _run(["trends", "--db", db, "--at", "2024-03-01 13:30", "--tz", "Europe/Paris"])
    assert paris.exit_code == 0, paris.output
    assert paris.output.startswith("trending at 2024-03-01 13:30:00 CET over 1h")
    utc = _run(["trends", "--db", db, "--at", "2024-03-01T12:30Z"])
    assert paris.output.splitlines()[1:] == utc.output.splitlines()[1:]


def test_an_unknown_zone_is_a_clean_error(db):
    result = _run(["info", "--db", db, "--tz", "Mars/Olympus"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown time zone 'Mars/Olympus'")
