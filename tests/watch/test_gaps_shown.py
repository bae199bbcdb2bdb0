"""Gaps of watched streams in the report's and the dashboard's data-quality section."""

from __future__ import annotations

from datetime import UTC, datetime

from trendwatch.report.sections import quality_section
from trendwatch.report.views import quality_view
from trendwatch.serve import Dashboard
from trendwatch.serve.routes import ROUTES
from trendwatch.store import Store
from trendwatch.watch.state import Gap, record_gaps

QUALITY = next(r for r in ROUTES if r.name == "quality")


def store_with_a_gap(tmp_path) -> Store:
    store = Store(tmp_path / "s.duckdb")
    gap = Gap(
        "jetstream wss://js.example/subscribe",
        datetime(2026, 3, 1, 8, tzinfo=UTC),
        datetime(2026, 3, 1, 8, 1, 30, tzinfo=UTC),
        "ConnectionClosedError: <b>1006</b>",
    )
    record_gaps(store, [gap])  # fmt: skip
    return store


def test_the_report_shows_the_gaps_escaped(tmp_path):
    with store_with_a_gap(tmp_path) as store:
        html = quality_section(quality_view(store))
    assert "Gaps in watched streams" in html
    assert "2026-03-01 08:00:00" in html and "2026-03-01 08:01:30" in html and ">90<" in html
    assert "&lt;b&gt;1006&lt;/b&gt;" in html and "<b>1006" not in html


def test_no_gaps_no_section(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        assert "Gaps in watched streams" not in quality_section(quality_view(store))


def test_the_dashboard_page_and_its_json_twin_show_the_gaps(tmp_path):
    with store_with_a_gap(tmp_path) as store:
        dashboard = Dashboard(store)
        data = dashboard.data(QUALITY, {})
        page = dashboard.body(QUALITY, {}, as_json=False).decode()
    assert data["watch_gaps"][0]["seconds"] == 90.0
    # The dashboard lays out its views generically (the field is its heading).
    assert "watch_gaps" in page or "watch gaps" in page.lower()
    assert "jetstream wss://js.example/subscribe" in page and "&lt;b&gt;1006" in page
