"""The lake: layout, manifest, text keys, refusal to overwrite, and what the CLI prints."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pyarrow.dataset as pds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.conftest import T0, add_posts, make_post
from tests.engines import cases
from trendwatch.cli import cli
from trendwatch.engines import export_lake, read_manifest
from trendwatch.engines.lake import MANIFEST_NAME
from trendwatch.errors import ParameterError, StoreError
from trendwatch.model import POST_SCHEMA
from trendwatch.store import SCHEMA_VERSION, Store


@pytest.fixture
def case_store():
    with Store(":memory:") as store:
        cases.fill(store)
        yield store


def read(lake, table: str):
    return pds.dataset(lake / table, format="parquet", partitioning="hive").to_table()


def test_manifest_counts_every_table(case_store, tmp_path):
    manifest = export_lake(case_store, tmp_path / "lake")
    # 15 ring reposts + 8 copies + 3 replies + 2 sequences + 30 chatter; 17 accounts; 1 bad.
    assert manifest.rows == {"posts": 58, "accounts": 17, "quarantine": 1}
    assert manifest.schema_version == SCHEMA_VERSION
    assert manifest.fingerprint == case_store.fingerprint()
    assert read_manifest(tmp_path / "lake") == manifest
    on_disk = json.loads((tmp_path / "lake" / MANIFEST_NAME).read_text())
    assert on_disk["partitions"]["posts"] == ["platform", "day"]


def test_posts_are_partitioned_by_platform_and_utc_day(case_store, tmp_path):
    export_lake(case_store, tmp_path / "lake")
    days = sorted(p.name for p in (tmp_path / "lake" / "posts" / "platform=x").iterdir())
    # The chatter starts four hours before noon on 1 March: all on one UTC day.
    assert days == ["day=2024-03-01"]
    posts = read(tmp_path / "lake", "posts")
    assert posts.num_rows == 58
    assert set(posts["platform"].to_pylist()) == {"x"}


def test_rows_round_trip(case_store, tmp_path):
    export_lake(case_store, tmp_path / "lake")
    lake = read(tmp_path / "lake", "posts").to_pandas().sort_values("post_id")
    stored = case_store.posts(include_context=True).to_pandas().sort_values("post_id")
    for column in ("post_id", "author_id", "kind", "ref_post_id", "reply_to_post_id"):
        assert lake[column].tolist() == stored[column].tolist(), column
    assert lake["created_at"].tolist() == stored["created_at"].tolist()
    assert [list(tags) for tags in lake["hashtags"]] == [list(t) for t in stored["hashtags"]]


def test_text_keys_are_filled_for_the_posts_methods_read(case_store, tmp_path):
    export_lake(case_store, tmp_path / "lake")
    posts = read(tmp_path / "lake", "posts").to_pandas().set_index("post_id")
    # The co-tweet key: lower case, mention-free, URL-free, as normalize_text gives it.
    assert posts.loc["cp-0-0", "text_norm"] == "vote for z now! #push"
    # Reposts naming their post never need one.
    assert pd.isna(posts.loc["rt-0-0", "text_norm"])


def test_accounts_and_quarantine_partitions(case_store, tmp_path):
    export_lake(case_store, tmp_path / "lake")
    accounts = read(tmp_path / "lake", "accounts")
    assert accounts.num_rows == 17
    assert set(accounts["day"].to_pylist()) == {"unknown"}  # no observation time given
    quarantine = read(tmp_path / "lake", "quarantine").to_pylist()
    assert [(q["source"], q["record_no"], q["reason"]) for q in quarantine] == [
        ("case.jsonl", 7, "not JSON")
    ]


def test_an_empty_table_keeps_its_columns(tmp_path):
    with Store(":memory:") as store:
        export_lake(store, tmp_path / "lake")
    files = list((tmp_path / "lake" / "accounts").iterdir())
    assert [f.name for f in files] == ["empty.parquet"]
    table = pds.dataset(files[0], format="parquet").to_table()
    assert table.num_rows == 0 and "account_id" in table.column_names


def test_refuses_a_folder_that_holds_files(case_store, tmp_path):
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "mine.txt").write_text("keep me")
    with pytest.raises(ParameterError, match="not an empty folder"):
        export_lake(case_store, tmp_path / "lake")
    assert (tmp_path / "lake" / "mine.txt").read_text() == "keep me"


def test_an_empty_folder_is_used(case_store, tmp_path):
    (tmp_path / "lake").mkdir()
    assert export_lake(case_store, tmp_path / "lake").rows["posts"] == 58


def test_a_failed_export_leaves_nothing(case_store, tmp_path, monkeypatch):
    from trendwatch.engines import lake as lake_module

    def broken(store, rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lake_module, "_manifest", broken)
    with pytest.raises(RuntimeError):
        export_lake(case_store, tmp_path / "lake")
    assert list(tmp_path.iterdir()) == []


def test_read_manifest_errors(tmp_path):
    with pytest.raises(StoreError, match="is missing"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("{")
    with pytest.raises(StoreError, match="not a trendwatch lake manifest"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text(
        json.dumps({"lake_version": 99, "schema_version": 2, "rows": {}, "fingerprint": "f"})
    )
    with pytest.raises(StoreError, match="lake version 99"):
        read_manifest(tmp_path)


def test_cli_export(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        cases.fill(store)
    runner = CliRunner()
    done = runner.invoke(cli, ["export", "--lake", str(tmp_path / "lake"), "--db", str(db)])
    assert done.exit_code == 0, done.output
    assert "lake written: 58 posts, 17 accounts, 1 quarantine" in done.output
    again = runner.invoke(cli, ["export", "--lake", str(tmp_path / "lake"), "--db", str(db)])
    assert again.exit_code == 1 and again.output.startswith("Error: cannot write a lake")
    as_json = runner.invoke(
        cli, ["export", "--lake", str(tmp_path / "lake2"), "--db", str(db), "--json"]
    )
    assert json.loads(as_json.output)["rows"]["posts"] == 58


def test_engine_options_are_checked_before_anything_runs(tmp_path):
    runner = CliRunner()
    no_lake = runner.invoke(cli, ["trends", "--engine", "spark"])
    assert no_lake.exit_code == 1 and "add --lake DIR" in no_lake.output
    lake_alone = runner.invoke(cli, ["campaign", "x", "--lake", str(tmp_path)])
    assert lake_alone.exit_code == 1 and "add --engine spark" in lake_alone.output
    grouped = runner.invoke(cli, ["groups", "--lake", str(tmp_path)])
    assert grouped.exit_code == 1 and "add --engine spark" in grouped.output
    tested = runner.invoke(
        cli, ["coordination", "-m", "co-retweet", "--engine", "spark", "--lake", str(tmp_path)]
    )
    assert tested.exit_code == 1 and "add --no-test" not in tested.output
    assert (
        tested.output.startswith("Error: no lake at") and "_trendwatch_lake.json" in tested.output
    )


def test_a_sparse_archive_of_many_days(tmp_path):
    # One post a day for 1,100 days: one batch spans more folders than pyarrow's default
    # allows (1,024; the IRA archive's export failed on it). Written in reverse time order,
    # each day's folder still gets one file, and the rows come back whole.
    posts = [make_post(f"p{day}", f"acc{day % 7}", T0 - timedelta(days=day)) for day in range(1100)]
    with Store(":memory:") as store:
        add_posts(store, posts)
        manifest = export_lake(store, tmp_path / "lake")
    assert manifest.rows["posts"] == 1100
    days = list((tmp_path / "lake" / "posts" / "platform=x").iterdir())
    assert len(days) == 1100
    assert all(len(list(day.glob("*.parquet"))) == 1 for day in days)
    oldest = tmp_path / "lake" / "posts" / "platform=x" / "day=2021-03-12"
    assert pq.read_table(oldest)["post_id"].to_pylist() == ["p1085"]
    assert sorted(read(tmp_path / "lake", "posts")["post_id"].to_pylist()) == sorted(
        p.post_id for p in posts
    )


def test_posts_files_hold_the_store_columns_only(case_store, tmp_path):
    # The text key's intermediate steps (t0..t6) once leaked into every posts file.
    export_lake(case_store, tmp_path / "lake")
    files = list((tmp_path / "lake" / "posts").rglob("*.parquet"))
    stored = {c[0] for c in case_store.con.execute("SELECT * FROM posts LIMIT 0").description}
    assert set(pq.read_schema(files[0]).names) == stored - {"platform"}  # platform: the path
    assert {"text_norm", *POST_SCHEMA.names} - {"platform"} <= stored
