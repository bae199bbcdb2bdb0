"""Options shared by several commands, declared once."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, tzinfo

import click
import orjson
import pandas as pd

from ..analysis.variants import fold_variants
from ..store import default_db_path
from ..times import assume_zone, has_offset, parse_time, to_zone, zone
from .tables import json_safe, terminal_safe, truncation_note

__all__ = [
    "db_option",
    "engine_options",
    "json_option",
    "print_json",
    "top_option",
    "first_rows",
    "echo_note",
    "tz_option",
    "current_zone",
    "shown_time",
    "zoned_input",
    "in_zone",
    "fold_option",
    "folded_hashtags",
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


def recording_store(engine: str, db, lake, spark_master):
    """The store an analysis that records its runs opens: the DuckDB store, writable, or a
    lake's :class:`~trendwatch.engines.SparkStore` (runs are written back to the lake)."""
    if engine == "duckdb" and lake is None:
        from ..store import open_store

        return open_store(db)
    from ..engines.spark import open_engine_store

    return open_engine_store(engine, db=db, lake=lake, master=spark_master)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def print_json(data) -> None:
    """Print JSON the way every command does: UTF-8, indented, every time in ISO 8601 with a
    ``T`` and its offset, in the ``--tz`` zone (:func:`in_zone`).

    Strings keep their characters, but DEL, C1 and bidi controls are written as ``\\uXXXX``
    escapes (:func:`~.tables.json_safe`; JSON's own rules escape the C0 controls): the output
    parses to the same strings and cannot reorder or control the terminal that shows it.
    """
    click.echo(json_safe(_dumps(in_zone(data, current_zone()))))


def _dumps(data) -> str:
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode()
    except orjson.JSONEncodeError:  # a lone surrogate (a file name that is not UTF-8)
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)


# -- time zones: the store is UTC; --tz changes what is shown and how typed times are read --

_ZONE_KEY = "trendwatch.tz"

# A UTC time as the library writes it (isoformat() of an aware time, or a store value shown
# with a space). Only such strings are rewritten, and never under a key that holds text a
# user's data chose (a post whose whole text is a timestamp stays as it was written).
_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00|Z)")
_DATA_KEYS = frozenset({"text", "text_a", "text_b", "key", "raw", "reason", "description",
                        "name", "handle", "hashtag", "summary_text"})  # fmt: skip


def _set_zone(ctx: click.Context, _param, value: str | None):
    ctx.meta[_ZONE_KEY] = zone(value) if value else UTC
    return value


tz_option = click.option(
    "--tz",
    envvar="TRENDWATCH_TZ",
    callback=_set_zone,
    expose_value=False,
    is_eager=True,
    metavar="ZONE",
    help="Show times, and read times typed without an offset, in this zone "
    "(e.g. Europe/Paris; default: $TRENDWATCH_TZ or UTC). The store stays UTC.",
)


def current_zone() -> tzinfo:
    """The zone of the running command's ``--tz`` (UTC outside a command or without it)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if _ZONE_KEY in ctx.meta:
            return ctx.meta[_ZONE_KEY]
        ctx = ctx.parent
    return UTC


def shown_time(moment, seconds: bool = True) -> str:
    """A time for a table, in the ``--tz`` zone with its name: ``2025-11-14 09:07:33 CET``."""
    local = to_zone(moment, current_zone())
    if local is None:
        return "-"
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def zoned_input(value):
    """A time the user typed, read in the ``--tz`` zone when it names no offset, as UTC ISO
    8601 text (what the library records in a run's parameters); other values as they came.

    >>> zoned_input("2025-11-14 09:00"), zoned_input("2025-11-14T09:00+01:00"), zoned_input("x")
    ('2025-11-14T09:00:00+00:00', '2025-11-14T08:00:00+00:00', 'x')
    """
    if has_offset(value) is None:
        return value
    return parse_time(assume_zone(value, current_zone())).isoformat()


def in_zone(data, tz: tzinfo):
    """``data`` with every time (datetime, Timestamp, or UTC ISO text) as ISO 8601 in ``tz``.

    >>> in_zone({"at": "2025-11-14 08:00:00+00:00", "text": "2025-11-14 08:00:00+00:00"},
    ...         zone("Europe/Paris"))
    {'at': '2025-11-14T09:00:00+01:00', 'text': '2025-11-14 08:00:00+00:00'}
    """
    if isinstance(data, dict):
        return {k: v if k in _DATA_KEYS else in_zone(v, tz) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [in_zone(v, tz) for v in data]
    if isinstance(data, datetime | pd.Timestamp):
        return _iso_in(data, tz)
    if isinstance(data, str) and _UTC_TEXT.fullmatch(data):
        return _iso_in(pd.Timestamp(data), tz)
    if isinstance(data, date):
        return data.isoformat()
    return data


def _iso_in(moment, tz: tzinfo) -> str | None:
    if moment is pd.NaT:
        return None
    if moment.tzinfo is None:  # naive times in the store are UTC
        moment = moment.replace(tzinfo=UTC)
    return to_zone(moment, tz).isoformat()


def top_option(what: str):
    """``--top N``: show the first N rows (default 20); 0 shows all; negative is refused."""
    return click.option(
        "--top",
        type=click.IntRange(min=0),
        default=DEFAULT_TOP,
        show_default=True,
        help=f"{what} to show (0: all). A note says when rows are left out.",
    )


fold_option = click.option(
    "--fold-variants",
    "fold",
    is_flag=True,
    help="Count with each hashtag its variants that differ only by accents "
    "(#RémigrationDorsani with #RemigrationDorsani; case is always folded); says which.",
)


def folded_hashtags(store, hashtags, fold: bool, as_json: bool) -> tuple[tuple[str, ...], dict]:
    """``hashtags`` (with ``fold``, their stored accent variants too) and the JSON entry
    saying what was folded ({} without ``fold``). A table's first line says it too."""
    if not fold:
        return tuple(hashtags), {}
    folded = fold_variants(store, hashtags)
    if not as_json:
        click.echo(terminal_safe(folded.note()))
    return folded.hashtags, {"folded_variants": folded.to_dict()}


def first_rows(frame, top: int):
    """The first ``top`` rows (all when 0) and the note to print when rows were left out."""
    shown = frame.head(top) if top else frame
    return shown, truncation_note(len(shown), len(frame))


def echo_note(note: str | None, as_json: bool) -> None:
    """The truncation note: under the table, or on standard error beside JSON output."""
    if note:
        click.echo(note, err=as_json)
