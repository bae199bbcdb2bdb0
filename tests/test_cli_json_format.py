"""One JSON form for every command (issue 18): times as ISO 8601 with ``T`` in the ``--tz``
zone, stored JSON as objects; and the helpers that show and read times in that zone."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import orjson
import pandas as pd
from click.testing import CliRunner

from trendwatch.cli.options import (
    current_zone,
    in_zone,
    print_json,
    shown_time,
    tz_option,
    zoned_input,
)
from trendwatch.runs import list_all_runs
from trendwatch.store import Store
from trendwatch.times import zone


@click.command()
@click.option("--what", default="times")
@tz_option
def _echo(what) -> None:
    """A command printing the values the real commands print, through print_json."""
    if what == "times":
        print_json({
            "timestamp": pd.Timestamp("2025-11-14 08:00", tz="UTC"),  # was printed with a space
            "datetime": datetime(2025, 11, 14, 8, tzinfo=UTC),
            "naive": datetime(2025, 11, 14, 8),  # the store's naive values are UTC
            "missing": pd.NaT,
            "text": "2025-11-14 08:00:00+00:00",  # post text: never rewritten
            "nested": [("2025-11-14 08:00:00+00:00", 3)],
        })  # fmt: skip
    else:
        click.echo(f"{current_zone()} | {shown_time(pd.Timestamp('2025-07-01T12:00Z'))} | "
                   f"{zoned_input('2025-07-01 14:00')} | {zoned_input('1751371200')}")  # fmt: skip


def test_print_json_writes_every_time_with_t_and_offset():
    data = orjson.loads(CliRunner().invoke(_echo, env={"TRENDWATCH_TZ": ""}).stdout)
    assert data == {
        "timestamp": "2025-11-14T08:00:00+00:00",
        "datetime": "2025-11-14T08:00:00+00:00",
        "naive": "2025-11-14T08:00:00+00:00",
        "missing": None,
        "text": "2025-11-14 08:00:00+00:00",
        "nested": [["2025-11-14T08:00:00+00:00", 3]],
    }


def test_print_json_in_another_zone():
    result = CliRunner().invoke(_echo, ["--tz", "America/New_York"])
    data = orjson.loads(result.stdout)
    assert data["timestamp"] == data["naive"] == "2025-11-14T03:00:00-05:00"
    assert data["text"] == "2025-11-14 08:00:00+00:00"


def test_shown_and_typed_times_follow_the_zone_in_summer():
    result = CliRunner().invoke(_echo, ["--what", "zone"], env={"TRENDWATCH_TZ": "Europe/Paris"})
    assert result.output.strip() == (
        "Europe/Paris | 2025-07-01 14:00:00 CEST | 2025-07-01T12:00:00+00:00 | 1751371200"
    )


def test_outside_a_command_times_are_utc():
    assert current_zone() is UTC and shown_time(None) == "-"
    assert in_zone(pd.Timestamp("2025-01-01T00:00Z"), zone("Asia/Kolkata")) == (
        "2025-01-01T05:30:00+05:30"
    )


def test_runs_params_and_summary_are_objects(store: Store):
    store.record_run("coordination:co-link", {"window_s": 60, "hashtags": ["a"]}, {"edges": 2})
    row = list_all_runs(store).iloc[0]
    assert row["params"] == {"window_s": 60, "hashtags": ["a"]}
    assert row["summary"] == {"edges": 2}
