"""Every command's ``--json`` on the demo archive: each time is ISO 8601 with a ``T`` and an
offset, in UTC by default and in the ``--tz`` zone when one is given (issue 18)."""

from __future__ import annotations

import re
import shutil

import orjson
import pytest
from click.testing import CliRunner

from trendwatch.cli import cli

TIME_LIKE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(?P<offset>[+-]\d\d:\d\d)")
TEXT_KEYS = {"text", "text_a", "text_b", "key", "summary"}  # post texts and sentences


@pytest.fixture(scope="module")
def demo_db(simulation, tmp_path_factory):
    """A writable copy of the demo store (groups and coordination record runs)."""
    store, truth = simulation
    path = tmp_path_factory.mktemp("json") / "demo.duckdb"
    shutil.copy(store.path, path)
    return str(path), truth


def _json(args: list[str], db: str, tz: str | None = None):
    env = {"TRENDWATCH_TZ": tz} if tz else {"TRENDWATCH_TZ": ""}
    result = CliRunner().invoke(cli, [*args, "--db", db, "--json"], env=env)
    assert result.exit_code == 0, (args, result.output)
    return orjson.loads(result.stdout)


def _times(data, key=None):
    """Every string of ``data`` that looks like a time, with the key it sits under."""
    if isinstance(data, dict):
        for k, value in data.items():
            yield from _times(value, k)
    elif isinstance(data, list):
        for value in data:
            yield from _times(value, key)
    elif isinstance(data, str) and key not in TEXT_KEYS and TIME_LIKE.match(data):
        yield key, data


def _commands(demo_db) -> dict[str, list[str]]:
    db, truth = demo_db
    attack, counter = truth.attack_hashtag, truth.counter_hashtag
    grouped = _json(["groups", "--hashtag", attack, "-m", "co-retweet"], db)
    link = grouped["links"][0]
    return {
        "info": ["info"],
        "trends": ["trends", "--at", "2025-11-14T10:00"],
        "onsets": ["trends", "--onsets", "--top", "3"],
        "campaign": ["campaign", attack],
        "compare": ["compare", attack, counter],
        "accounts": ["accounts", "--hashtag", attack, "--since", "2025-11-14T08:00"],
        "coordination": ["coordination", "-m", "co-retweet", "--hashtag", attack],
        "groups": ["groups", "--hashtag", attack, "-m", "co-retweet", "--since", "2025-11-14"],
        "evidence": ["evidence", link["account_a"], link["account_b"]],
        "runs": ["runs"],
        "runs prune": ["runs", "prune", "--before", "2100-01-01", "--dry-run"],
        "quarantine": ["quarantine"],
    }


@pytest.mark.slow
def test_every_json_time_is_iso_8601_with_t_and_offset_in_the_zone(demo_db):
    db = demo_db[0]
    seen = {}
    for name, args in _commands(demo_db).items():
        for tz, offsets in ((None, {"+00:00"}), ("Europe/Paris", {"+01:00"})):
            times = list(_times(_json(args, db, tz)))
            bad = [(key, t) for key, t in times if not ISO.fullmatch(t)]
            assert not bad, (name, tz, bad[:3])
            assert {ISO.fullmatch(t)["offset"] for _, t in times} <= offsets, (name, tz)
            seen[name] = len(times)
    # the commands that show times did show some (the check above is not vacuous); accounts
    # show ages in days, and the demo has no quarantined record
    assert {name for name, n in seen.items() if n == 0} == {"accounts", "quarantine"}
