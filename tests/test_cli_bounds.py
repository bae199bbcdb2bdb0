"""Out-of-range times, durations and windows: a clean ``Error:`` from every command (issue 16)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, background_reposts
from trendwatch.cli import cli
from trendwatch.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("bounds") / "tw.duckdb"
    with Store(path) as store:
        add_posts(store, background_reposts(10))
    return str(path)


@pytest.mark.parametrize(
    "args, says",
    [
        (["trends", "--window", "99999999999999d"], "window '99999999999999d' is too long"),
        (["trends", "--window", "inf"], "is not a duration"),
        (["trends", "--at", "99999999999999999999"], "--at '99999999999999999999' is not a time"),
        (["trends", "--at", "9999-12-31"], "is not a time from 1900 to 2200"),
        (["groups", "--until", "99999999999999999999"], "--until '99999999999999999999' is not"),
        (["groups", "--since", "soon"], "--since 'soon' is not a time"),
        (["groups", "--window", "inf"], "window must be a number of seconds from 0 to"),
        (["groups", "--window", "1e300"], "window must be a number of seconds from 0 to"),
        (["coordination", "-m", "co-retweet", "--window", "inf"], "window must be a number"),
        (["coordination", "-m", "co-retweet", "--window", "nan"], "window must be a number"),
        (["coordination", "-m", "co-retweet", "--until", "99999999999999999999"], "--until"),
    ],
)
def test_out_of_range_values_are_clean_errors(db, args, says):
    result = CliRunner().invoke(cli, [*args, "--db", db])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and says in result.output
    assert not isinstance(result.exception, OverflowError | OSError | ValueError)


def test_serve_on_an_address_of_no_interface_is_a_clean_error(db):
    args = ["serve", "--db", db, "--host", "no-such-host.invalid", "--token", "s3cret-token"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and result.output.startswith("Error: --host")
