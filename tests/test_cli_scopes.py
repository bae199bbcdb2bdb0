"""Empty or invalid scopes behave alike in every command: one ``Error:`` line naming what was
wrong, exit status 1, and no run recorded (issue 18)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination.engine import Scope, check_scope, describe_scope
from trendwatch.analysis.trends import trending
from trendwatch.cli import cli
from trendwatch.errors import NoDataError, ParameterError
from trendwatch.runs import list_all_runs
from trendwatch.store import Store

LATE, EARLY = "2024-03-01T13:00Z", "2024-03-01T12:00Z"  # a start after the end
AFTER = "2030-01-01T00:00Z"  # after the archive ends (its posts: 2024-03-01 12:00 to 12:09)

EMPTY_SCOPES = {
    "campaign, unknown hashtag": (["campaign", "nopost"], "no collected post carries #nopost"),
    "compare, unknown hashtag": (["compare", "a", "nopost"], "no collected post carries #nopost"),
    "accounts, unknown hashtag": (["accounts", "--hashtag", "nopost"], "in the scope (#nopost)"),
    "accounts, start after end": (["accounts", "--since", LATE, "--until", EARLY], "not before"),
    "accounts, after the archive": (["accounts", "--since", AFTER], "no collected post"),
    "coordination, unknown hashtag": (
        ["coordination", "-m", "co-retweet", "--hashtag", "nopost"], "in the scope (#nopost)"),
    "coordination, start after end": (
        ["coordination", "-m", "co-retweet", "--since", LATE, "--until", EARLY], "not before"),
    "coordination, untested, after the archive": (
        ["coordination", "-m", "co-hashtag", "--no-test", "--since", AFTER], "no collected post"),
    "groups, unknown hashtag": (["groups", "--hashtag", "nopost"], "in the scope (#nopost)"),
    "groups, start after end": (["groups", "--since", LATE, "--until", EARLY], "not before"),
    "groups, after the archive": (["groups", "--until", "2000-01-01"], "no collected post"),
    "trends, at after the archive": (["trends", "--at", AFTER], "after the archive ends"),
    "trends, at before the archive": (["trends", "--at", "2000-01-01"], "no hashtag posts"),
    "report, unknown hashtag": (["report", "--hashtag", "nopost"], "no collected post"),
}  # fmt: skip


@pytest.fixture
def db(tmp_path):
    """Ten posts of #a by two accounts, one a minute from T0."""
    path = tmp_path / "scope.duckdb"
    with Store(path) as store:
        add_posts(store, [make_post(i, f"u{i % 2}", at(i), hashtags=("a",)) for i in range(10)])
    return path


@pytest.mark.parametrize("args, message", EMPTY_SCOPES.values(), ids=EMPTY_SCOPES.keys())
def test_an_empty_or_invalid_scope_is_an_error_and_records_no_run(db, tmp_path, args, message):
    out = tmp_path / "report.html"
    extra = ["-o", str(out)] if args[0] == "report" else []
    result = CliRunner().invoke(cli, [*args, *extra, "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
    with Store(db, read_only=True) as store:
        assert list_all_runs(store).empty
    assert not out.exists()


def test_the_same_commands_run_on_a_scope_with_posts(db):
    """The contrast: the scope of the store's posts is accepted by the same commands."""
    runner = CliRunner()
    for args in (["accounts", "--hashtag", "a", "--min-signals", "0"],
                 ["coordination", "-m", "co-hashtag", "--no-test", "--hashtag", "a"],
                 ["trends", "--at", "2024-03-01T12:05Z"]):  # fmt: skip
        result = runner.invoke(cli, [*args, "--db", str(db)])
        assert result.exit_code == 0, (args, result.output)


def test_check_scope_by_hand(db):
    with Store(db, read_only=True) as store:
        check_scope(store, Scope())  # the whole store: always accepted
        check_scope(store, Scope(hashtags=("A",), since=at(9)))  # the 10th post
        with pytest.raises(NoDataError, match=r"\(#a, from 2024-03-01T12:10:00\+00:00\)"):
            check_scope(store, Scope(hashtags=("a",), since=at(10)))
        with pytest.raises(ParameterError, match="is not before"):
            check_scope(store, Scope(since=at(5), until=at(5)))  # an empty interval
        with pytest.raises(NoDataError, match="on mastodon"):
            check_scope(store, Scope(platform="mastodon"))


def test_describe_scope():
    assert describe_scope(Scope(hashtags=("#Été", "b"), until=at(1), platform="x")) == (
        "#été or #b, until 2024-03-01T12:01:00+00:00, on x"
    )


def test_trends_at_the_archive_end_is_kept_and_a_window_later_refused(db):
    with Store(db, read_only=True) as store:
        # the last post is at 12:09; a 1 h window ending at 13:09 still holds it
        assert trending(store, at="2024-03-01T13:09Z").total == 1
        with pytest.raises(NoDataError, match="its 1 h window holds no post"):
            trending(store, at="2024-03-01T13:10Z")
