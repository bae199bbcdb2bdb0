"""The ingest pipeline: empty files, --map without --format, and resuming a killed ingest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from trendwatch.cli import cli
from trendwatch.ingest import _prefetched, ingest
from trendwatch.model import POST_SCHEMA
from trendwatch.store import Store


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  \n"])
def test_an_empty_file_is_zero_records_and_no_error(tmp_path, content):
    path = tmp_path / "empty.json"
    path.write_bytes(content)
    report = ingest([path], db=tmp_path / "s.duckdb")
    (file,) = report.files
    assert file.error is None
    assert set(report.totals.values()) == {0}


def test_map_without_format_reads_the_table(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("who,when,msg\nann,1600000000,hello #a\nbob,1600000060,hi\nbob,,no time\n")
    result = CliRunner().invoke(
        cli,
        ["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--json",
         "--map", "who=author_id", "--map", "when=created_at", "--map", "msg=text"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (file,) = json.loads(result.output)["files"]
    assert (file["format"], file["read"], file["added"], file["quarantined"]) == ("csv", 3, 2, 1)


def test_map_on_something_that_is_not_a_table_says_so(tmp_path):
    path = tmp_path / "tweets.jsonl"
    path.write_text('{"id": "1"}\n')
    report = ingest([path], db=tmp_path / "s.duckdb", options=_mapping({"id": "post_id"}))
    assert "--map applies to tables" in report.files[0].error


def _mapping(mapping: dict[str, str]):
    from trendwatch.formats import ReadOptions

    return ReadOptions(mapping=mapping)


# -- resuming a killed ingest ---------------------------------------------------------------

# Runs one ingest with tiny batches; with KILL_AFTER > 0 the process dies (os._exit, no clean
# up, as under SIGKILL) right after that many batches were committed.
_RUNNER = """
import importlib, os, sys
tabular = importlib.import_module("trendwatch.formats.tabular")
x_v2 = importlib.import_module("trendwatch.formats.x_v2")
ingest = importlib.import_module("trendwatch.ingest")  # the package's name is the function
store = importlib.import_module("trendwatch.store")

ingest.BATCH_RECORDS = tabular.BATCH_ROWS = x_v2._TABLE_ROWS = 4
path, db, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = store.Store.write_batch
committed = 0

def write_batch(self, *args, **kwargs):
    global committed
    counts = original(self, *args, **kwargs)
    committed += 1
    if committed == kill_after:
        os._exit(9)
    return counts

store.Store.write_batch = write_batch
report = ingest.ingest([path], db)
print(report.to_dict()["totals"])
"""


def _run(path: Path, db: Path, kill_after: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path), str(db), str(kill_after)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _contents(db: Path) -> dict[str, list]:
    with Store(db, read_only=True) as store:
        con = store.con
        return {
            "posts": con.execute(
                "SELECT * EXCLUDE (ingested_at) FROM posts ORDER BY ALL"
            ).fetchall(),
            "accounts": con.execute("SELECT * FROM accounts ORDER BY ALL").fetchall(),
            "quarantine": con.execute(
                "SELECT * EXCLUDE (ingested_at) FROM quarantine ORDER BY ALL"
            ).fetchall(),
        }


def _coortweet_parquet(path: Path) -> Path:
    rows = [(f"o{i % 5}", f"a{i % 7}", f"c{i}", str(1_600_000_000 + 10 * i)) for i in range(30)]
    rows += [rows[3], rows[17], ("o1", "a1", "c99", None)]  # two repeats, one without time
    columns = list(zip(*rows, strict=True))
    names = ["object_id", "account_id", "content_id", "timestamp_share"]
    pq.write_table(pa.table(dict(zip(names, map(list, columns), strict=True))), path)
    return path


@pytest.mark.parametrize("fixture", ["coortweet.parquet", "x_v2/pages.jsonl"])
def test_a_killed_ingest_rerun_gives_the_same_store_as_a_clean_one(tmp_path, fixture):
    if fixture.endswith(".parquet"):
        path = _coortweet_parquet(tmp_path / fixture)
    else:
        path = Path(__file__).parent / "fixtures" / fixture
    clean, resumed = tmp_path / "clean.duckdb", tmp_path / "resumed.duckdb"
    assert _run(path, clean, 0).returncode == 0
    killed = _run(path, resumed, 2)
    assert killed.returncode == 9, killed.stderr
    partial = _contents(resumed)
    final = _contents(clean)
    collected = POST_SCHEMA.names.index("collected")  # the store's posts begin as POST_SCHEMA
    assert 0 < len([p for p in partial["posts"] if p[collected]]) < len(final["posts"])
    rerun = _run(path, resumed, 0)
    assert rerun.returncode == 0, rerun.stderr
    assert _contents(resumed) == final


# -- the reader thread ----------------------------------------------------------------------


def test_prefetched_items_come_in_order():
    items = list(range(10_000)) + [pa.table({"x": [1]})] + ["last"]
    assert list(_prefetched(iter(items))) == items


def test_a_reader_error_comes_after_the_items_before_it():
    def reader():
        yield from range(5)
        raise ValueError("line 6 is broken")

    seen = []
    with pytest.raises(ValueError, match="line 6"):
        for item in _prefetched(reader()):
            seen.append(item)
    assert seen == list(range(5))


def test_stopping_early_stops_and_closes_the_reader():
    closed = []

    def reader():
        try:
            yield from range(10**9)
        finally:
            closed.append(True)

    stream = _prefetched(reader())
    assert next(stream) == 0
    stream.close()
    assert closed == [True]


# -- the store's threads while a table reader runs its own DuckDB ----------------------------


def _threads_while_writing(store: Store, monkeypatch) -> list[int]:
    seen = []
    write = store.write_batch

    def spying(*args, **kwargs):
        seen.append(store.con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        return write(*args, **kwargs)

    monkeypatch.setattr(store, "write_batch", spying)
    return seen


def test_a_table_is_written_with_the_writer_threads_and_json_with_all(tmp_path, monkeypatch):
    import importlib

    from tests.conftest import FIXTURES

    # (trendwatch.ingest, the package attribute, is the function; the module is imported)
    monkeypatch.setattr(importlib.import_module("trendwatch.ingest"), "WRITER_THREADS", 1)
    with Store(tmp_path / "s.duckdb") as store:
        store.con.execute("SET threads = 2")
        seen = _threads_while_writing(store, monkeypatch)
        ingest([FIXTURES / "tabular" / "ira.csv"], store)
        assert seen and set(seen) == {1}
        seen.clear()
        ingest([FIXTURES / "x_v2" / "pages.jsonl"], store)
        assert seen and set(seen) == {2}
        assert store.con.execute("SELECT current_setting('threads')").fetchall() == [(2,)]


def test_threads_at_most_lowers_never_raises_and_restores_after_an_error():
    with Store(":memory:") as store:
        store.con.execute("SET threads = 2")

        def threads() -> int:
            return store.con.execute("SELECT current_setting('threads')").fetchall()[0][0]

        with store.threads_at_most(8):
            assert threads() == 2
        with pytest.raises(ZeroDivisionError), store.threads_at_most(1):
            assert threads() == 1
            _ = 1 / 0
        assert threads() == 2
