"""Reading the quarantine back: the library, ``trendwatch quarantine``, and old stores."""

from __future__ import annotations

import csv
import json

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.quarantine import export_quarantine, quarantined, source_name
from trendwatch.store import SCHEMA_VERSION, Store

ROWS = [
    ("/data/a.jsonl", 7, '{"id": "1"', "line 7: invalid JSON"),
    ("/data/a.jsonl", 2, '=HYPERLINK("http://x.example")', "line 2: not a tweet"),
    ("-", 1, None, "the rest of the input was not read: truncated gzip after byte 10"),
    ("/data/b.csv", -1, "a,b\x1b[31m", "row has 2 cells, the header has 4"),
]


@pytest.fixture
def filled(tmp_path):
    db = tmp_path / "q.duckdb"
    with Store(db) as store:
        store.write_batch(quarantine=ROWS)
    return db


def test_records_come_by_source_and_number_with_the_total(filled):
    with Store(filled, read_only=True) as store:
        found = quarantined(store, limit=2)
        one = quarantined(store, source="/data/a.jsonl")
    assert found.total == 4
    assert list(found.records["source"]) == ["-", "/data/a.jsonl"]
    assert list(one.records["record_no"]) == [2, 7]
    assert one.total == 2


def test_a_source_is_named_as_ingest_names_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert source_name("in.jsonl") == str(tmp_path / "in.jsonl")
    assert source_name("-") == "-"


def test_jsonl_export_holds_the_raw_text_exactly(filled, tmp_path):
    out = tmp_path / "q.jsonl"
    with Store(filled, read_only=True) as store:
        assert export_quarantine(store, out) == 4
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [(r["source"], r["record_no"], r["raw"], r["reason"]) for r in rows] == sorted(
        ROWS, key=lambda r: (r[0], r[1])
    )


def test_csv_export_neutralises_formulas_and_reads_back(filled, tmp_path):
    out = tmp_path / "q.csv"
    with Store(filled, read_only=True) as store:
        assert export_quarantine(store, out, source="/data/a.jsonl") == 2
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["record_no"] for r in rows] == ["2", "7"]
    assert rows[0]["raw"] == '\'=HYPERLINK("http://x.example")'
    assert rows[1]["raw"] == '{"id": "1"'


def test_an_export_to_another_suffix_is_refused_and_writes_nothing(filled, tmp_path):
    with Store(filled, read_only=True) as store, pytest.raises(ParameterError, match=".jsonl"):
        export_quarantine(store, tmp_path / "q.txt")
    assert list(tmp_path.iterdir()) == [filled]


def test_the_command_lists_exports_and_speaks_json(filled, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(cli, ["quarantine", "--db", str(filled), "--top", "3"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("4 quarantined records\n")
    assert "showing 3 of 4" in listed.output
    assert "\x1b" not in listed.output  # raw text is terminal-safe
    as_json = runner.invoke(cli, ["quarantine", "--db", str(filled), "--json", "--top", "0"])
    data = json.loads(as_json.stdout)
    assert data["total"] == 4 and len(data["records"]) == 4
    out = tmp_path / "all.jsonl"
    exported = runner.invoke(cli, ["quarantine", "--db", str(filled), "--out", str(out)])
    assert exported.output == f"4 quarantined records written to {out}\n"


# -- stores of schema version 1 -------------------------------------------------------------

_V1_QUARANTINE = """
DROP TABLE quarantine;
CREATE TABLE quarantine (
    source VARCHAR NOT NULL, record_no BIGINT NOT NULL, raw VARCHAR, reason VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ, PRIMARY KEY (source, record_no));
INSERT INTO quarantine VALUES ('-', 1, 'x', 'bad', now());
UPDATE meta SET value = '1' WHERE key = 'schema_version';
"""


def _version_1_store(tmp_path):
    db = tmp_path / "v1.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute(_V1_QUARANTINE)
    con.close()
    return db


def test_a_version_1_store_is_read_as_it_is_and_upgraded_when_written(tmp_path):
    db = _version_1_store(tmp_path)
    with Store(db, read_only=True) as store:
        assert quarantined(store).total == 1
    with Store(db) as store:
        counts = store.write_batch(quarantine=[("-", 1, "y", "bad")])  # refused by v1's key
        assert counts.quarantined == 1
        version = store.con.execute("SELECT value FROM meta").fetchall()
    assert version == [(str(SCHEMA_VERSION),)]
    with Store(db, read_only=True) as store:
        assert quarantined(store).total == 2
