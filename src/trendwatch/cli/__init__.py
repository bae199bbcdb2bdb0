"""The ``trendwatch`` command: thin commands over library calls.

Each command parses its options, calls one library function and prints the result; a
:class:`~trendwatch.errors.TrendwatchError` becomes a one-line message and exit status 1.
Command groups live in sibling modules and register themselves in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import sys

import click

from ..errors import TrendwatchError
from .tables import terminal_lines

__all__ = ["cli", "main"]

# Modules that define commands; each exposes COMMANDS, a list of click commands.
COMMAND_MODULES = (
    "ingest_cmd",
    "simulate_cmd",
    "analysis_cmd",
    "coordination_cmd",
    "groups_cmd",
    "network_cmd",
    "runs_cmd",
    "serve_cmd",
    "report_cmd",
    "export_cmd",
    "forget_cmd",
    "rerun_cmd",
    "watch_cmd",
    "alerts_cmd",
)


class _Group(click.Group):
    """Turns TrendwatchError into a clean message instead of a traceback.

    Messages name files, columns and values the user's data chose: every ``Error:`` line is
    made terminal-safe (:func:`~.tables.terminal_lines`), click's usage errors too.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TrendwatchError as exc:
            click.echo(f"Error: {terminal_lines(str(exc))}", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.message = terminal_lines(exc.message)
            raise


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trendwatch")
def cli() -> None:
    """Is this hashtag trend organic, or pushed by a small coordinated group — and by whom?"""


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli()
