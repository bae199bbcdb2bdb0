"""Hashtag variants folded on request (``--fold-variants``), and the progress line of long
commands (only on a terminal, never in JSON or piped output)."""

from __future__ import annotations

import sys

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.variants import FoldedHashtags, fold_variants
from trendwatch.cli import cli, coordination_cmd, groups_cmd, report_cmd
from trendwatch.cli.progress import StepProgress, step_progress
from trendwatch.store import Store
from trendwatch.text import normalize_hashtag


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"TRENDWATCH_TZ": ""})


@pytest.fixture
def variants_db(tmp_path):
    """#RémigrationDorsani 3 posts, #RemigrationDorsani 2 (and 1 typed #REMIGRATIONDORSANI,
    one key after ingest's case folding), #remigration 4: a different hashtag."""
    typed = ["RémigrationDorsani"] * 3 + ["RemigrationDorsani"] * 2 + ["REMIGRATIONDORSANI"]
    typed += ["remigration"] * 4
    path = tmp_path / "v.duckdb"
    with Store(path) as store:
        add_posts(store, [make_post(i, f"u{i}", at(i), hashtags=(normalize_hashtag(tag),))
                          for i, tag in enumerate(typed)])  # fmt: skip
    return str(path)


def test_fold_variants_by_hand(variants_db):
    with Store(variants_db, read_only=True) as store:
        folded = fold_variants(store, ["#RemigrationDorsani"])
        assert folded.variants == {
            "remigrationdorsani": {"rémigrationdorsani": 3, "remigrationdorsani": 3}
        }
        assert folded.hashtags == ("remigrationdorsani", "rémigrationdorsani")
        assert (
            folded.note()
            == "folded variants: #remigrationdorsani with #rémigrationdorsani (3 posts)"
        )
        # from the accented spelling too, and nothing for a hashtag without variants
        assert fold_variants(store, "RÉMIGRATIONDORSANI").hashtags == (
            "rémigrationdorsani", "remigrationdorsani",
        )  # fmt: skip
        assert fold_variants(store, "remigration").folded == {}
        assert fold_variants(store, "absent").hashtags == ("absent",)


def test_folded_hashtags_with_an_unstored_request_keep_it_first():
    folded = FoldedHashtags(("ete",), {"ete": {"été": 2}})
    assert folded.hashtags == ("ete", "été") and folded.folded == {"ete": {"été": 2}}


def test_campaign_folds_only_when_asked(variants_db):
    plain = _run("campaign", "RemigrationDorsani", "--db", variants_db)
    assert plain.output.startswith("3 posts in")
    folded = _run("campaign", "RemigrationDorsani", "--fold-variants", "--db", variants_db)
    lines = folded.output.splitlines()
    assert lines[0] == "folded variants: #remigrationdorsani with #rémigrationdorsani (3 posts)"
    assert lines[1].startswith("6 posts in")
    data = orjson.loads(_run("campaign", "RemigrationDorsani", "--fold-variants", "--json",
                             "--db", variants_db).stdout)  # fmt: skip
    assert data["posts"] == 6 and data["hashtags"] == ["remigrationdorsani", "rémigrationdorsani"]
    assert data["folded_variants"]["folded"] == {"remigrationdorsani": {"rémigrationdorsani": 3}}


def test_compare_and_groups_fold_too(variants_db):
    compared = _run("compare", "RemigrationDorsani", "remigration", "--fold-variants", "--json",
                    "--db", variants_db)  # fmt: skip
    data = orjson.loads(compared.stdout)
    assert (data["a"]["posts"], data["b"]["posts"]) == (6, 4)
    assert data["folded_variants"]["b"]["folded"] == {}
    grouped = _run("groups", "--hashtag", "RemigrationDorsani", "--fold-variants", "--json",
                   "--db", variants_db)  # fmt: skip
    assert orjson.loads(grouped.stdout)["params"]["hashtags"] == [
        "remigrationdorsani", "rémigrationdorsani",
    ]  # fmt: skip


def test_report_folds_and_says_so(variants_db, tmp_path):
    out = tmp_path / "r.html"
    result = _run("report", "--hashtag", "RemigrationDorsani", "--fold-variants", "-o", out,
                  "--db", variants_db)  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "folded variants: #remigrationdorsani with #rémigrationdorsani (3 posts)." in html


def test_step_progress_rewrites_one_line_and_clears_it(capsys):
    ticks = iter([0.0, 1.4, 12.6])
    progress = StepProgress(enabled=True, clock=lambda: next(ticks))
    progress("linking")
    progress("testing")
    progress.done()
    err = capsys.readouterr().err
    assert err == "\r[1 s] linking...\r[13 s] testing...\r" + " " * 17 + "\r"  # the longest line
    quiet = StepProgress(enabled=False)
    quiet("linking")
    quiet.done()
    assert capsys.readouterr().err == ""


def test_step_progress_only_on_a_terminal_and_never_with_json(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert step_progress().enabled and not step_progress(as_json=True).enabled
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not step_progress().enabled


@pytest.fixture
def on_a_terminal(monkeypatch):
    """Commands behave as if standard error were a terminal (CliRunner's never is)."""

    def fake(as_json: bool = False) -> StepProgress:
        return StepProgress(enabled=not as_json)

    for module in (groups_cmd, coordination_cmd, report_cmd):
        monkeypatch.setattr(module, "step_progress", fake)


@pytest.mark.parametrize("args, steps", [
    (["groups", "--hashtag", "tag", "-m", "co-retweet"],
     ["linking and testing co-retweet", "grouping and scoring"]),
    (["coordination", "-m", "co-retweet"], ["linking accounts (co-retweet)", "testing links"]),
    (["coordination", "-m", "co-retweet", "--no-test"], ["linking accounts (co-retweet)"]),
    (["report", "--hashtag", "tag"], ["trend onsets", "campaigns", "coordination groups"]),
])  # fmt: skip
def test_long_commands_show_their_steps_on_stderr_only(trio_db, tmp_path, on_a_terminal,
                                                       args, steps):  # fmt: skip
    extra = ["-o", tmp_path / "r.html"] if args[0] == "report" else []
    result = _run(*args, *extra, "--db", trio_db)
    assert result.exit_code == 0, result.output
    assert all(f"] {step}" in result.stderr for step in steps), result.stderr
    assert "\r" not in result.stdout
    if args[0] != "report":
        as_json = _run(*args, "--json", "--db", trio_db)
        assert as_json.stderr == ""  # no progress line
        orjson.loads(as_json.stdout)
