"""``trendwatch serve``: the web dashboard (thin command over :func:`trendwatch.serve.serve`)."""

from __future__ import annotations

import click

from .options import current_zone, db_option, tz_option

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
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME[:PORT]",
              help="Also answer requests for this host name (a proxy's or a DNS name); "
                   "repeatable. Other names get a 400.")  # fmt: skip
@click.option("--insecure-no-token", is_flag=True,
              help="Serve a non-loopback --host without a token (anyone who reaches it "
                   "reads the store).")  # fmt: skip
@tz_option
def serve_command(db, host, port, token, allow_hosts, insecure_no_token) -> None:
    """Serve the dashboard: every report view, live from the store (opened read-only).

    It answers only requests addressed to its own host names (--allow-host adds one), and
    refuses to listen beyond loopback without --token unless --insecure-no-token is given.
    Pages show times in the --tz zone with its name; the JSON twins stay in UTC.
    """
    from ..serve import serve  # the server is only imported when asked for

    serve(db, host=host, port=port, token=token, allow_hosts=allow_hosts,
          allow_no_token=insecure_no_token, ready=click.echo, tz=current_zone())  # fmt: skip


COMMANDS = [serve_command]
