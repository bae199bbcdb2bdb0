"""Compacting a store file: smaller, the same tables and rows, atomic, refused while in use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.coordination.runs_cases import linked_posts, recorded_runs
from trendwatch import compact as compact_module
from trendwatch.compact import compact_store
from trendwatch.errors import ParameterError, StoreError
from trendwatch.prune import prune_runs
from trendwatch.store import Store


def contents(path) -> dict:
    """Every table's DDL and rows, and the posts' text compression."""
    with Store(path, read_only=True) as s:
        tables = s.con.execute("SELECT table_name, sql FROM duckdb_tables() ORDER BY 1").fetchall()
        found = {
            name: (sql, sorted(map(repr, s.con.execute(f'SELECT * FROM "{name}"').fetchall())))
            for name, sql in tables
        }
        found["_compression"] = s.con.execute(
            "SELECT DISTINCT compression FROM pragma_storage_info('posts') "
            "WHERE column_name = 'text' ORDER BY 1"
        ).fetchall()
        return found


def store_with_deletions(path) -> None:
    """A store with runs, then a large table filled and mostly emptied."""
    with Store(path) as s:
        linked_posts(s)
        recorded_runs(s)
        run_id = s.record_run("coordination:co-retweet", {})
        s.con.execute(
            "INSERT INTO coordination_evidence SELECT ?, md5(i::VARCHAR), md5(random()::VARCHAR), "
            "md5(random()::VARCHAR), md5(random()::VARCHAR), md5(random()::VARCHAR), now(), "
            "now(), random() FROM range(150000) t(i)",
            [run_id],
        )
        prune_runs(s, keep_latest=0, kinds=("coordination:co-retweet",))


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".compact-" in p.name)


def test_compaction_shrinks_the_file_and_keeps_everything(tmp_path):
    db = tmp_path / "s.duckdb"
    store_with_deletions(db)
    before, size = contents(db), db.stat().st_size
    done = compact_store(db)
    assert (done.path, done.bytes_before, done.bytes_after) == (str(db), size, db.stat().st_size)
    assert done.bytes_after < size / 3
    assert contents(db) == before
    assert leftovers(tmp_path) == [] and not (tmp_path / "s.duckdb.wal").exists()


def test_the_compacted_store_opens_and_takes_writes(tmp_path):
    db = tmp_path / "s.duckdb"
    store_with_deletions(db)
    compact_store(db)
    with Store(db) as s:
        s.record_run("groups", {})
        assert s.con.execute("SELECT count(*) FROM runs").fetchone() == (5,)
    with Store(db, read_only=True) as s:
        assert s.posts().count().execute() == 8


def test_the_file_keeps_its_permissions(tmp_path):
    db = tmp_path / "s.duckdb"
    store_with_deletions(db)
    db.chmod(0o640)
    compact_store(db)
    assert db.stat().st_mode & 0o777 == 0o640


def test_an_open_store_is_not_compacted(tmp_path):
    db = tmp_path / "s.duckdb"
    store_with_deletions(db)
    size = db.stat().st_size
    with Store(db, read_only=True), pytest.raises(StoreError, match="holds the store"):
        compact_store(db)
    assert db.stat().st_size == size and leftovers(tmp_path) == []


def test_a_store_held_by_another_process_is_not_compacted(tmp_path):
    db = tmp_path / "s.duckdb"
    store_with_deletions(db)
    before = contents(db)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="cannot compact"):
            compact_store(db)
    finally:
        holder.communicate("")
    assert contents(db) == before and leftovers(tmp_path) == []


def test_a_failed_copy_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "s.duckdb"
    store_with_deletions(db)
    before, size = contents(db), db.stat().st_size
    copy = compact_module._copy_into

    def failing(con, new):
        copy(con, new)
        raise OSError("disk full")

    monkeypatch.setattr(compact_module, "_copy_into", failing)
    with pytest.raises(OSError, match="disk full"):
        compact_store(db)
    assert db.stat().st_size == size and contents(db) == before
    assert leftovers(tmp_path) == []


def test_only_a_store_file_is_compacted(tmp_path):
    for path in (":memory:", tmp_path / "missing.duckdb", tmp_path):
        with pytest.raises(ParameterError, match="no store file"):
            compact_store(path)


def test_a_path_with_quotes_is_a_value_never_sql(tmp_path):
    folder = tmp_path / 'it\'s "here"'
    folder.mkdir()
    db = folder / "s'1.duckdb"
    store_with_deletions(db)
    before = contents(db)
    done = compact_store(db)
    assert done.bytes_after < done.bytes_before
    assert contents(db) == before and leftovers(folder) == []
