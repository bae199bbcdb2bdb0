"""Options shared by several commands, declared once."""

from __future__ import annotations

import json

import click
import orjson

from ..store import default_db_path
from .tables import json_safe, truncation_note

__all__ = [
    "db_option",
    "engine_options",
    "json_option",
    "print_json",
    "top_option",
    "first_rows",
    "echo_note",
    "DEFAULT_TOP",
]

DEFAULT_TOP = 20
"""Rows every ``--top`` shows by default."""

db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Store file (default: $TRENDWATCH_DB or {default_db_path()}).",
)


def engine_options(command):
    """``--engine duckdb|spark``, ``--lake DIR`` and ``--spark-master``: where the analysis runs.

    The command receives ``engine``, ``lake`` and ``spark_master``; it opens its store with
    :func:`trendwatch.engines.open_engine_store`.
    """
    command = click.option(
        "--spark-master",
        default=None,
        help="Spark master (default local[*]); $SPARK_REMOTE selects Spark Connect instead.",
    )(command)
    command = click.option(
        "--lake",
        type=click.Path(file_okay=False),
        default=None,
        help="The lake the Spark engine reads (written by `trendwatch export --lake`).",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark"]),
        default="duckdb",
        show_default=True,
        help="Run on the DuckDB store, or on Spark over --lake.",
    )(command)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def print_json(data) -> None:
    """Print JSON the way every command does: UTF-8, indented, datetimes in ISO 8601.

    Strings keep their characters, but DEL, C1 and bidi controls are written as ``\\uXXXX``
    escapes (:func:`~.tables.json_safe`; JSON's own rules escape the C0 controls): the output
    parses to the same strings and cannot reorder or control the terminal that shows it.
    """
    click.echo(json_safe(_dumps(data)))


def _dumps(data) -> str:
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode()
    except orjson.JSONEncodeError:  # a lone surrogate (a file name that is not UTF-8)
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def top_option(what: str):
    """``--top N``: show the first N rows (default 20); 0 shows all; negative is refused."""
    return click.option(
        "--top",
        type=click.IntRange(min=0),
        default=DEFAULT_TOP,
        show_default=True,
        help=f"{what} to show (0: all). A note says when rows are left out.",
    )


def first_rows(frame, top: int):
    """The first ``top`` rows (all when 0) and the note to print when rows were left out."""
    shown = frame.head(top) if top else frame
    return shown, truncation_note(len(shown), len(frame))


def echo_note(note: str | None, as_json: bool) -> None:
    """The truncation note: under the table, or on standard error beside JSON output."""
    if note:
        click.echo(note, err=as_json)
