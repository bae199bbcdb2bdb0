"""Options shared by several commands, declared once."""

from __future__ import annotations

import click
import orjson

from ..store import default_db_path

__all__ = ["db_option", "json_option", "print_json"]

db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Store file (default: $TRENDWATCH_DB or {default_db_path()}).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def print_json(data) -> None:
    """Print JSON the way every command does: UTF-8, indented, datetimes in ISO 8601."""
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())
