"""The dashboard in headless Chromium: charts and network render, links lead from a campaign
to its groups to the evidence, and hostile posts run nothing."""

from __future__ import annotations

import pytest

from tests.browser.conftest import box_size, click_a_link_in_the_network
from tests.serve.conftest import HOSTILE_TAG, running

pytestmark = pytest.mark.browser

CAMPAIGN = "remigrationdorsani"  # the simulator's attack campaign (seed 7)


@pytest.fixture(scope="module")
def sim_server(simulation):
    store, _truth = simulation
    with running(store) as server:
        yield server


def test_overview_to_campaign_to_groups_to_evidence(sim_server, watched):
    page = watched.page
    page.goto(sim_server.url + "/")
    watched.screenshot("dashboard-overview")
    page.locator(f'a.campaign-link[href="/campaign?hashtag={CAMPAIGN}"]').first.click()
    page.wait_for_url("**/campaign?hashtag=" + CAMPAIGN)
    page.wait_for_selector("svg.timeline")
    assert min(box_size(page, "svg.timeline")) > 50
    assert min(box_size(page, "svg.lorenz")) > 50
    watched.screenshot("dashboard-campaign")

    page.click("#to-groups")
    page.wait_for_selector("svg.network circle.node")
    assert min(box_size(page, "svg.network")) > 200
    assert page.locator("svg.network circle.node").count() >= 40
    click_a_link_in_the_network(page)
    page.wait_for_selector("#evidence table.evidence-table tbody tr")
    # each post links to its address on X, with neither referrer nor opener
    meta = page.locator("#evidence .post-meta").first.inner_text()
    assert meta.startswith("https://x.com/") and "/status/" in meta
    link = page.locator('#evidence .post-meta a[href^="https://x.com/"]').first
    assert link.inner_text() == link.get_attribute("href") == meta.split(" · ")[0]
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    watched.screenshot("dashboard-groups")

    page.click("#evidence a.evidence-page")
    page.wait_for_url("**/evidence?**")
    rows = page.locator("table.evidence-pairs tbody tr")
    assert rows.count() >= 1
    watched.screenshot("dashboard-evidence")
    watched.assert_clean()


def test_campaign_reads_like_the_report_and_links_accounts_to_their_evidence(sim_server, watched):
    page = watched.page
    page.goto(sim_server.url + f"/campaign?hashtag={CAMPAIGN}")
    page.wait_for_selector("svg.timeline")
    main = page.inner_text("main")
    for label in ("peak posts/min", "minutes to 2,000 posts", "concentration (HHI, 0-1)",
                  "First movers", "Most active accounts"):  # fmt: skip
        assert label in main
    for field in ("minutes_to_100", "hhi", "top1pct_share", "values (in the JSON twin)"):
        assert field not in main
    first = page.locator("table.first-movers a.account-link").first
    assert first.inner_text().startswith("@")
    watched.screenshot("dashboard-campaign-readable")

    first.click()  # to the groups page, at the account's row
    page.wait_for_url("**/groups?hashtag=*#acct-*")
    page.wait_for_selector("svg.network circle.node")
    target = page.locator("table.members tr:target")
    assert target.count() == 1 and target.is_visible()
    main = page.inner_text("main")
    assert main.index("Coordinated core") < main.index("Accounts in groups")
    assert "network_accounts" not in main and "accounts_in_groups" not in main
    watched.screenshot("dashboard-groups-readable")

    target.locator("a.evidence-link").click()
    page.wait_for_url("**/evidence?**")
    assert page.locator("table.evidence-pairs tbody tr").count() >= 1
    watched.assert_clean()


def test_network_page_draws_the_interactions(sim_server, watched):
    page = watched.page
    page.goto(sim_server.url + f"/campaign?hashtag={CAMPAIGN}")
    page.click("#to-network")
    page.wait_for_url("**/network?hashtag=*")
    svg = page.locator("svg.interactions")
    assert min(box_size(page, "svg.interactions")) > 300
    assert svg.locator("g.account").count() == 30
    assert svg.locator("g.labels text").first.text_content().startswith("@")
    watched.screenshot("dashboard-network")
    watched.assert_clean()


def test_trends_link_to_campaigns(sim_server, watched):
    page = watched.page
    page.goto(sim_server.url + "/trends?window=1d")
    link = page.locator("a.campaign-link").first
    tag = link.inner_text()
    link.click()
    page.wait_for_selector("svg.timeline")
    assert tag in page.url or tag.lower() in page.url
    watched.assert_clean()


def test_hostile_posts_run_nothing_on_any_page(hostile_store, watched):
    from urllib.parse import quote

    tag = quote(HOSTILE_TAG)
    paths = ["/", "/trends", "/campaign?hashtag=attack", f"/campaign?hashtag={tag}",
             "/groups?hashtag=attack", f"/compare?a=attack&b={tag}", "/runs",
             "/quality"]  # fmt: skip
    with running(hostile_store) as server:
        for path in paths:
            watched.page.goto(server.url + path)
            watched.page.wait_for_load_state("load")
        page = watched.page
        page.goto(server.url + "/groups?hashtag=attack")
        page.wait_for_selector("svg.network circle.node")
        click_a_link_in_the_network(page)
        page.wait_for_selector("#evidence table.evidence-table tbody tr")
        page.click("#evidence a.evidence-page")
        page.wait_for_selector("table.evidence-pairs tbody tr")
        assert "<script>alert(1)</script>" in page.inner_text("main")  # shown, as text
        watched.screenshot("dashboard-hostile-evidence")
    watched.assert_clean()


def test_the_live_page_redraws_itself_when_an_alert_arrives(tmp_path, watched):
    from datetime import timedelta

    from tests.conftest import T0, add_posts, make_post
    from trendwatch.store import Store
    from trendwatch.watch.alerts import Alert, _store_alert

    page = watched.page
    with Store(tmp_path / "live.duckdb") as store:
        add_posts(store, [make_post(k, f"a{k % 9}", T0 + timedelta(seconds=k),
                                    hashtags=("push",)) for k in range(30)])  # fmt: skip
        with running(store) as server:
            page.goto(server.url + "/live")
            assert page.locator('#live table[data-name="rising"] tbody tr').count() == 1
            alert = Alert(T0, "coordination", HOSTILE_TAG, 30, 9, 3600, "groups-1", "new")
            _store_alert(store.cursor(), alert)
            page.wait_for_selector('#live table[data-name="alerts"] tbody tr', timeout=15_000)
            assert page.url.endswith("/live")  # redrawn in place, not reloaded
            cell = page.locator('#live table[data-name="alerts"] tbody tr td').nth(2)
            assert cell.inner_text() == HOSTILE_TAG
            assert int(page.get_attribute("#live", "data-updates")) >= 1
            watched.screenshot("dashboard-live")
    watched.assert_clean()
