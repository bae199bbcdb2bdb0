"""The whole report: on the simulator's archive, through the CLI, and on an empty store."""

from __future__ import annotations

import re

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts
from tests.report.conftest import alpha_posts
from trendwatch.cli import cli
from trendwatch.report import build_report, write_report
from trendwatch.store import Store

SECTIONS = ("summary", "trending", "campaigns", "groups", "comparison", "methods", "quality")


def json_block(html: str, block_id: str):
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html)
    return orjson.loads(found[1])


@pytest.fixture(scope="module")
def sim_report(simulation):
    store, truth = simulation
    return build_report(store), truth


def test_simulated_report_shows_the_attack_card_and_its_group(sim_report):
    html, truth = sim_report
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert f'class="campaign-card" data-hashtag="{truth.attack_hashtag}"' in html
    assert f'class="campaign-card" data-hashtag="{truth.counter_hashtag}"' in html
    assert "No hashtag was given" in html  # the report says how it chose the campaigns
    assert "not over the whole archive" in html  # and what the groups were scoped to
    groups = json_block(html, "tw-groups")
    biggest = {n["id"] for n in groups["nodes"] if n["group"] == 1}
    attackers = set(truth.attack_accounts)
    assert len(biggest & attackers) >= 0.9 * len(attackers)
    assert '<tr data-group="1">' in html and 'id="network"' in html


def test_simulated_report_charts_have_data(sim_report):
    html, truth = sim_report
    card = json_block(html, "tw-campaign-0")
    labels = [m["label"] for m in card["timeline"]["annotations"]]
    assert labels == ["onset", "peak", "2,000 posts"]
    assert card["lorenz"]["points"][0] == [0.0, 0.0] and card["lorenz"]["points"][-1] == [1, 1]
    comparison = json_block(html, "tw-comparison")
    assert [s["label"] for s in comparison["timeline"]["series"]] == [
        f"#{truth.attack_hashtag}",
        f"#{truth.counter_hashtag}",
    ]


def test_cli_writes_the_report_for_named_hashtags(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        add_posts(store, alpha_posts())
    out = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(
        cli, ["report", "--db", str(db), "--hashtag", "#alpha", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out.resolve())
    html = out.read_text()
    assert 'data-hashtag="alpha"' in html and "No hashtag was given" not in html
    assert "Give two hashtags (--compare A B)" in html


def test_cli_reports_an_unknown_hashtag_cleanly(tmp_path):
    db = tmp_path / "s.duckdb"
    Store(db).close()
    result = CliRunner().invoke(
        cli, ["report", "--db", str(db), "--read-only", "--hashtag", "nope", "-o", "x.html"]
    )
    assert result.exit_code == 1 and "no collected post carries #nope" in result.output


def test_empty_store_still_gives_a_page(tmp_path):
    with Store(":memory:") as store:
        path = write_report(store, tmp_path / "empty.html")
    html = path.read_text()
    assert "No campaign to show" in html and "No analysis run is stored" in html


def test_report_lists_only_its_own_runs_on_a_writable_store(trio_store):
    first = build_report(trio_store, hashtags=["tag"])
    second = build_report(trio_store, hashtags=["tag"])
    runs = trio_store.con.execute(
        "SELECT run_id FROM runs WHERE kind LIKE 'coordination:%' ORDER BY created_at"
    ).fetchall()
    assert len(runs) == 2  # one co-retweet run per report (and one groups run, not listed)
    assert "Runs of this report" in second
    assert runs[1][0] in second and runs[0][0] not in second
    assert runs[0][0] in first
    assert "&quot;window_s&quot;:60" in second  # parameters as JSON


def test_read_only_store_says_the_runs_were_not_recorded(simulation):
    store, _truth = simulation
    html = build_report(store, hashtags=["jesoutiensdorsani"])
    assert "Runs stored" in html and "were not recorded" in html
    assert 'data-hashtag="jesoutiensdorsani"' in html
