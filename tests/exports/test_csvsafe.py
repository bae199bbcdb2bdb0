"""Formula-safe CSV: the neutralisation rule, and read-backs that give the rows written."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.exports.hostile import TRIGGERS, cells, every_cell
from trendwatch.exports import neutralise, restore, write_csv


def read_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def dangerous(cell: str) -> bool:
    """A cell a spreadsheet may evaluate: a trigger first, or after spaces and controls."""
    start = cell.lstrip("".join(map(chr, range(0x21))) + "\x7f\x85\xa0")
    return cell.startswith(TRIGGERS) or start.startswith(TRIGGERS)


@pytest.mark.parametrize("value", cells()["formula"])
def test_formula_cells_get_a_quote_and_come_back_exactly(value):
    assert neutralise(value).startswith("'") and restore(neutralise(value)) == value


@pytest.mark.parametrize("value", [*cells()["lookalikes"], "", "plain text", "#-tag"])
def test_harmless_cells_are_left_alone(value):
    assert neutralise(value) == value


def test_lone_surrogates_become_replacement_characters():
    assert neutralise("a\ud800b") == "a\ufffdb"


def test_hostile_corpus_reads_back_cell_for_cell(tmp_path):
    values = every_cell()
    frame = pd.DataFrame({"text": values, "n": range(-len(values), 0)})
    path = write_csv(frame, tmp_path / "t.csv")
    rows = read_rows(path)
    assert rows[0] == ["text", "n"] and len(rows) == len(values) + 1
    assert [restore(r[0]) for r in rows[1:]] == values
    assert [int(r[1]) for r in rows[1:]] == list(frame["n"])  # negative numbers stay numbers
    assert not any(dangerous(r[0]) for r in rows[1:])
    back = pd.read_csv(path, dtype={"text": str}, keep_default_na=False)
    assert back["text"].map(restore).tolist() == values and back["n"].tolist() == list(frame["n"])


def test_text_is_quoted_numbers_are_bare_and_rows_end_in_crlf(tmp_path):
    frame = pd.DataFrame({
        "account": ["a\rb", "-1"], "weight": [-2, 3], "q": [0.5, float("nan")],
        "significant": [True, False], "when": pd.to_datetime(["2024-03-01T12:00Z"] * 2),
    })  # fmt: skip
    raw = write_csv(frame, tmp_path / "t.csv").read_bytes().decode()
    assert raw.split("\r\n") == [
        '"account","weight","q","significant","when"',
        '"a\rb",-2,0.5,True,"2024-03-01 12:00:00+00:00"',
        '"\'-1",3,"",False,"2024-03-01 12:00:00+00:00"',
        "",
    ]


def test_object_and_categorical_columns_are_text_but_numbers_in_them_stay_numbers(tmp_path):
    frame = pd.DataFrame({"mixed": ["=1", 5, None], "kind": pd.Categorical(["@a", "b", "@a"])})
    rows = read_rows(write_csv(frame, tmp_path / "t.csv"))
    assert rows[1:] == [["'=1", "'@a"], ["5", "b"], ["", "'@a"]]
    assert '5,"b"' in (tmp_path / "t.csv").read_text()


def test_header_names_are_neutralised_too(tmp_path):
    rows = read_rows(write_csv(pd.DataFrame({"=bad": ["x"]}), tmp_path / "t.csv"))
    assert rows[0] == ["'=bad"]


# Random cells: every character that matters to CSV or to a spreadsheet, mixed with any other
# (lone surrogates aside: UTF-8 cannot hold them, tested above).
SPECIAL = ["=", "+", "-", "@", "'", "\t", "\r", "\n", '"', ",", ";", "\x00", " ", "\u2028", "\x85"]
TEXT = st.text(
    st.one_of(st.sampled_from(SPECIAL), st.characters(exclude_categories=("Cs",))), max_size=12
)
ROWS = st.lists(
    st.tuples(TEXT, st.integers(-(2**63), 2**63 - 1),
              st.floats(allow_nan=False, allow_infinity=False)),
    min_size=1, max_size=15,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(ROWS)
def test_random_rows_read_back_the_same_with_csv_and_pandas(tmp_path_factory, rows):
    texts, ints, floats = (list(column) for column in zip(*rows, strict=True))
    frame = pd.DataFrame({"text": texts, "n": ints, "x": floats})
    path = write_csv(frame, tmp_path_factory.mktemp("csv") / "t.csv")
    read = read_rows(path)[1:]
    assert [restore(r[0]) for r in read] == texts
    assert [(int(r[1]), float(r[2])) for r in read] == list(zip(ints, floats, strict=True))
    assert not any(dangerous(r[0]) for r in read)
    back = pd.read_csv(path, dtype={"text": str}, keep_default_na=False)
    assert back["text"].map(restore).tolist() == texts
    assert back["n"].tolist() == ints and back["x"].tolist() == floats
