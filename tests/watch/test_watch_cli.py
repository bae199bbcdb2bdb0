"""``trendwatch watch`` and the gaps ``info`` shows."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from click.testing import CliRunner

from tests.watch.servers import post_event
from trendwatch.cli import cli
from trendwatch.store import Store
from trendwatch.watch.state import Gap, record_gaps

LINES = "\n".join([json.dumps(post_event(1)), "{oops", json.dumps(post_event(2))]) + "\n"


def watch_stdin(db, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "trendwatch", "watch", "--source", "stdin", "--db", str(db)]
    return subprocess.run([*command, *options], input=LINES, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_watch_stdin_reads_any_ingest_format_and_reports_the_counts(tmp_path):
    db = tmp_path / "s.duckdb"
    result = watch_stdin(db, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["read"], report["added"], report["quarantined"]) == (3, 2, 1)
    again = watch_stdin(db)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[2].split()[:3] == ["3", "0", "3"]  # read, added, duplicates


def test_watch_refuses_a_url_for_stdin_and_a_missing_token(tmp_path, monkeypatch):
    db = str(tmp_path / "s.duckdb")
    result = CliRunner().invoke(cli, ["watch", "--source", "stdin", "--url", "x", "--db", db])
    assert result.exit_code == 1 and "takes no --url" in result.output
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["watch", "--source", "mastodon", "--url", "https://m.x",
                                      "--token-env", "NO_SUCH_TOKEN", "--db", db])  # fmt: skip
    assert result.exit_code == 1 and "NO_SUCH_TOKEN" in result.output


def test_info_shows_the_gaps(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        start = datetime(2026, 1, 1, 10, tzinfo=UTC)
        end = datetime(2026, 1, 1, 10, 2, 5, tzinfo=UTC)
        record_gaps(store, [Gap("mastodon https://m.x public", start, end, "ConnectError\x1b[31m")])
    result = CliRunner().invoke(cli, ["info", "--db", str(db)])
    assert result.exit_code == 0
    line = result.output.splitlines()[-1]
    assert "mastodon https://m.x public" in line and "2026-01-01T10:00:00" in line
    assert line.endswith("125.0") and "\x1b" not in line
    data = json.loads(CliRunner().invoke(cli, ["info", "--db", str(db), "--json"]).output)
    assert data["watch_gaps"][0]["seconds"] == 125.0


def test_info_on_a_store_without_the_watch_tables(tmp_path):
    import duckdb

    db = tmp_path / "old.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE watch_gaps; DROP TABLE watch_cursors")
    con.close()
    result = CliRunner().invoke(cli, ["info", "--db", str(db), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["watch_gaps"] == []


def test_watch_runs_the_alert_check_with_its_options(tmp_path):
    """The alert options reach the check: it runs (a quiet stream raises nothing), the
    alerts file is not created without an alert, and --json keeps stdout one document."""
    db, alerts = tmp_path / "s.duckdb", tmp_path / "alerts.jsonl"
    events = [post_event(n) for n in range(4)]
    for n, event in enumerate(events):  # stdin's clock is the posts' own: a minute apart
        event["commit"]["record"]["createdAt"] = f"2024-11-20T10:0{n}:30.000Z"
    lines = "".join(json.dumps(event) + "\n" for event in events)
    command = [sys.executable, "-m", "trendwatch", "watch", "--source", "stdin", "--db", str(db),
               "--json", "--check-every", "60", "--window", "30min", "--target", "@someone",
               "--alerts", str(alerts)]  # fmt: skip
    result = subprocess.run(command, input=lines, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 4 and len(report["checks"]) == 3, report  # 10:01, 10:02, 10:03
    assert not alerts.exists()
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM alerts").fetchone() == (0,)


def test_watch_refuses_a_bad_alert_window(tmp_path):
    result = watch_stdin(tmp_path / "s.duckdb", "--window", "soon")
    assert result.returncode != 0 and "Traceback" not in result.stderr
