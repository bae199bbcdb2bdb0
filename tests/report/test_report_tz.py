"""--tz in the report and the dashboard: times shown in the zone with its name, data in UTC.

The hand case: #night's posts start at 23:30 UTC on 14 November 2025, which is 00:30 CET
(+01:00) on the 15th in Paris. UTC shows 2025-11-14 23:30 UTC, as it always did.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, make_post
from trendwatch.cli import cli
from trendwatch.report import write_report
from trendwatch.report.render import fmt_time, page, shown_zone_name, times_shown_in
from trendwatch.serve.app import Dashboard
from trendwatch.serve.pages import render_table
from trendwatch.store import Store
from trendwatch.times import zone

NIGHT = datetime(2025, 11, 14, 23, 30, tzinfo=UTC)
PARIS = zone("Europe/Paris")
IN_PARIS, IN_UTC = "2025-11-15 00:30 CET", "2025-11-14 23:30 UTC"


def night_posts():
    """a posts #night at 23:30 UTC, then a and b every minute until 23:39."""
    return [
        make_post(f"n{i}", "ab"[i % 2], NIGHT + timedelta(minutes=i), hashtags=("night",),
                  text=f"night {i}")
        for i in range(10)
    ]  # fmt: skip


@pytest.fixture
def night_store(store):
    add_posts(store, night_posts())
    return store


# -- the building blocks ------------------------------------------------------------------------


def test_fmt_time_shows_the_zone_and_its_name():
    assert fmt_time("2025-11-14T23:30:00+00:00") == IN_UTC
    with times_shown_in(PARIS):
        assert fmt_time("2025-11-14T23:30:00+00:00") == IN_PARIS
        assert fmt_time("2025-07-14T23:30:05+00:00", seconds=True) == "2025-07-15 01:30:05 CEST"
        assert fmt_time(None) == "–"
    assert fmt_time("2025-11-14T23:30:00Z") == IN_UTC  # back to UTC after the block


def test_the_page_names_its_zone_for_the_charts():
    assert 'data-tz="UTC"' in page("t", "")
    with times_shown_in(PARIS):
        assert shown_zone_name() == "Europe/Paris"
        assert '<html lang="en" data-tz="Europe/Paris">' in page("t", "")


def test_the_charts_read_the_zone_of_the_page():
    from trendwatch.report.render import static_text

    charts = static_text("charts.js")
    assert 'getAttribute("data-tz")' in charts and "timeZone: ZONE" in charts
    assert '" UTC"' not in charts  # no time is labelled UTC whatever the zone


# -- the report ---------------------------------------------------------------------------------


def _report(store, tmp_path, **kwargs) -> str:
    return write_report(store, tmp_path / "r.html", hashtags=["night"], **kwargs).read_text()


def test_the_report_shows_times_in_the_zone(night_store, tmp_path):
    html = _report(night_store, tmp_path, tz=PARIS)
    assert IN_PARIS in html and IN_UTC not in html
    assert 'data-tz="Europe/Paris"' in html


def test_the_report_keeps_utc_by_default(night_store, tmp_path):
    html = _report(night_store, tmp_path)
    assert IN_UTC in html and "CET" not in html


def test_the_report_data_blocks_stay_in_utc(night_store, tmp_path):
    html = _report(night_store, tmp_path, tz=PARIS)
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)
    data = "".join(blocks)
    assert "2025-11-14T23:30:00+00:00" in data and "+01:00" not in data


def test_report_tz_and_trendwatch_tz_on_the_command_line(night_store, tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        add_posts(store, night_posts())
    runner = CliRunner()
    args = ["report", "--db", str(db), "--hashtag", "night", "--read-only"]
    out = tmp_path / "tz.html"
    assert runner.invoke(cli, [*args, "-o", str(out), "--tz", "Europe/Paris"]).exit_code == 0
    assert IN_PARIS in out.read_text()
    env_out = tmp_path / "env.html"
    result = runner.invoke(cli, [*args, "-o", str(env_out)], env={"TRENDWATCH_TZ": "Europe/Paris"})
    assert result.exit_code == 0 and IN_PARIS in env_out.read_text()
    plain_out = tmp_path / "utc.html"
    assert (
        runner.invoke(cli, [*args, "-o", str(plain_out)], env={"TRENDWATCH_TZ": ""}).exit_code == 0
    )
    assert IN_UTC in plain_out.read_text()


def test_report_refuses_an_unknown_zone(tmp_path):
    result = CliRunner().invoke(
        cli, ["report", "--db", str(tmp_path / "s.duckdb"), "--tz", "Nowhere/Land"]
    )
    assert result.exit_code != 0 and "unknown time zone 'Nowhere/Land'" in result.output


# -- the dashboard ------------------------------------------------------------------------------


def _get(dashboard: Dashboard, target: str) -> str:
    response = dashboard.handle("GET", target, {})
    assert response.status == 200, response.body[:300]
    return response.body.decode()


def test_the_dashboard_pages_show_times_in_the_zone(night_store):
    page_ = _get(Dashboard(night_store, tz=PARIS), "/campaign?hashtag=night")
    assert IN_PARIS in page_ and IN_UTC not in page_
    assert 'data-tz="Europe/Paris"' in page_


def test_the_dashboard_json_twins_stay_in_utc(night_store):
    twin = orjson.loads(_get(Dashboard(night_store, tz=PARIS), "/api/campaign?hashtag=night"))
    text = orjson.dumps(twin).decode()
    assert "2025-11-14T23:30:00+00:00" in text and "+01:00" not in text


def test_the_dashboard_keeps_utc_by_default(night_store):
    page_ = _get(Dashboard(night_store), "/campaign?hashtag=night")
    assert IN_UTC in page_ and "CET" not in page_


def test_generic_tables_show_utc_times_in_the_zone_but_never_a_post_text():
    rows = [{"at": "2025-11-14T23:30:00+00:00", "text": "2025-11-14T23:30:00+00:00"}]
    assert "2025-11-14T23:30:00+00:00" in render_table(rows, "t")  # UTC: as it always was
    with times_shown_in(PARIS):
        html = render_table(rows, "t")
    assert "2025-11-15 00:30:00 CET" in html
    assert html.count("2025-11-14T23:30:00+00:00") == 1  # the text column is left alone


def test_serve_passes_its_zone_to_the_dashboard():
    from trendwatch.serve import make_server

    server = make_server(Store(":memory:"), port=0, tz=PARIS)
    try:
        assert server.dashboard.tz is PARIS
    finally:
        server.server_close()


def test_serve_has_tz():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert "--tz ZONE" in result.output
