"""What the CLI prints cannot control the terminal: ``Error:`` lines and ``--json`` output.

File names, CSV header names, run ids and hashtags come from the user's data; an OSC escape
(``ESC ] 0 ; title BEL``) in one would set the terminal's title, a bidi override reorder
the line. Error lines show them as U+FFFD; ``--json`` escapes them (``\\u202e``) and still
parses to the same strings.
"""

from __future__ import annotations

import json

import click
import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES, add_posts, make_post
from trendwatch.cli import cli
from trendwatch.cli.options import print_json
from trendwatch.store import Store

OSC = "\x1b]0;pwned\x07"
BIDI = "vote\u202eeton"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error:")]


def assert_terminal_safe(output: str) -> None:
    assert not any(char in output for char in RAW), repr(output)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with Store(path) as store:
        add_posts(store, [make_post(1, "a", hashtags=(BIDI, "x\x9by")),
                          make_post(2, "b", hashtags=(BIDI,))])  # fmt: skip
    return path


def test_a_file_name_with_an_osc_escape_is_shown_safely(tmp_path, db):
    missing = tmp_path / f"tweets{OSC}.jsonl"
    result = invoke("ingest", missing, "--db", db)
    assert result.exit_code == 1 and len(error_lines(result.output)) == 1
    assert_terminal_safe(result.output)
    assert "tweets\ufffd]0;pwned\ufffd.jsonl: no such file" in result.output


def test_a_csv_header_name_with_an_osc_escape_is_shown_safely(tmp_path, db):
    hostile = FIXTURES / "hostile" / "osc_header.csv"  # sniffing refuses it: --format csv
    result = invoke("ingest", hostile, "--format", "csv", "--db", db)
    assert result.exit_code == 1
    (line,) = error_lines(result.output)
    assert "unknown table layout" in line and "id\ufffd]0;pwned\ufffd" in line
    assert_terminal_safe(result.output)


def test_errors_raised_by_the_library_are_shown_safely(db):
    result = invoke("evidence", "a", "b", "--run", f"run{OSC}{BIDI}", "--db", db)
    assert result.exit_code == 1
    assert error_lines(result.output) == [
        "Error: no run run\ufffd]0;pwned\ufffdvote\ufffdeton in this store: "
        "`trendwatch runs` lists the runs"
    ]


def test_json_escapes_bidi_and_c1_controls_and_parses_to_the_same_strings(db):
    result = invoke("info", "--db", db, "--json")
    assert result.exit_code == 0
    assert_terminal_safe(result.output)
    assert "vote\\u202eeton" in result.output and "x\\u009by" in result.output
    tags = dict(orjson.loads(result.output)["top_hashtags"])
    assert tags == {BIDI: 2, "x\x9by": 1}


def test_print_json_round_trips_hostile_strings_and_survives_lone_surrogates():
    hostile = {"name": f"{OSC}{BIDI}\x7f\x85\u2066\u061c", "path": "bad\udcff.jsonl"}

    @click.command()
    def show():
        print_json(hostile)

    output = CliRunner().invoke(show).output
    assert_terminal_safe(output)
    assert json.loads(output) == hostile and "\\udcff" in output


@pytest.mark.parametrize("value", [OSC, BIDI, "a\x85b", "\u2066x\u2069", "plain", "été"])
def test_print_json_output_is_valid_json_for_each_value(value):
    @click.command()
    def show():
        print_json([value])

    output = CliRunner().invoke(show).output
    assert_terminal_safe(output)
    assert orjson.loads(output) == [value]
