"""``trendwatch serve``: the web dashboard (thin command over :func:`trendwatch.serve.serve`)."""

from __future__ import annotations

import click

from .options import db_option

__all__ = ["COMMANDS"]


@click.command("serve")
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback exposes the data to the network.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--token", envvar="TRENDWATCH_TOKEN",
              help="Require this token on every request ($TRENDWATCH_TOKEN).")  # fmt: skip
def serve_command(db, host, port, token) -> None:
    """Serve the dashboard: every report view, live from the store (opened read-only)."""
    from ..serve import serve  # the server is only imported when asked for

    serve(db, host=host, port=port, token=token, ready=click.echo)


COMMANDS = [serve_command]
