"""The self-contained HTML report in headless Chromium: charts and network render, a click on
a link shows its evidence, hostile posts run nothing, and the page loads nothing from outside."""

from __future__ import annotations

import pytest

from tests.browser.conftest import box_size, click_a_link_in_the_network
from trendwatch.report import write_report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sim_report(simulation, tmp_path_factory):
    store, _truth = simulation
    return write_report(store, tmp_path_factory.mktemp("report") / "report.html")


def open_offline(watched, path) -> list[str]:
    """Open a file, refusing (and listing) every request that is not the file itself."""
    outside = []

    def route(r):
        outside.append(r.request.url)
        r.abort()

    watched.page.route(lambda url: not url.startswith("file://"), route)
    watched.page.goto(path.as_uri())
    return outside


def test_report_charts_and_network_render(sim_report, watched):
    page = watched.page
    assert open_offline(watched, sim_report) == []
    page.wait_for_selector("#network svg.network circle.node")
    assert page.locator(".campaign-card").count() >= 1
    for selector in (".campaign-card svg.timeline", ".campaign-card svg.lorenz",
                     "#network svg.network", "#comparison svg.timeline"):  # fmt: skip
        width, height = box_size(page, selector)
        assert width > 50 and height > 50, selector
    click_a_link_in_the_network(page)
    page.wait_for_selector("#evidence table.evidence-table tbody tr")
    watched.screenshot("report-simulator")
    watched.assert_clean()


def test_hostile_report_runs_nothing(hostile_store, tmp_path, watched):
    report = write_report(hostile_store, tmp_path / "hostile.html", hashtags=["attack"])
    assert open_offline(watched, report) == []
    page = watched.page
    page.wait_for_selector("#network svg.network circle.node")
    click_a_link_in_the_network(page)
    page.wait_for_selector("#evidence table.evidence-table tbody tr")
    assert "<script>alert(1)</script>" in page.inner_text("body")
    watched.screenshot("report-hostile")
    watched.assert_clean()


def test_report_in_a_zone_labels_its_charts_and_evidence(hostile_store, tmp_path, watched):
    from trendwatch.times import zone

    report = write_report(hostile_store, tmp_path / "paris.html", hashtags=["attack"],
                          tz=zone("Europe/Paris"))  # fmt: skip
    page = watched.page
    assert open_offline(watched, report) == []
    page.wait_for_selector("#network svg.network circle.node")
    labels = page.locator(".campaign-card svg.timeline text.axis-zone").all_text_contents()
    assert labels and all(label == "times in Europe/Paris" for label in labels)
    click_a_link_in_the_network(page)
    page.wait_for_selector("#evidence table.evidence-table tbody tr")
    meta = " ".join(page.locator("#evidence .post-meta").all_text_contents())
    assert "GMT+1" in meta and "UTC" not in meta  # T0 is in winter: Paris is UTC+1
    watched.screenshot("report-paris")
    watched.assert_clean()
