"""``trendwatch forget``: erase accounts and posts from the store, then shrink its file.

The erasure is :func:`trendwatch.forget.forget`; the file is then compacted
(:func:`trendwatch.compact.compact_store`) as ``runs prune`` does, since DuckDB keeps a
deleted row's bytes in the file until it is rewritten.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import StoreError
from ..forget import forget
from ..store import default_db_path
from ..wording import plural
from .options import db_option, json_option, print_json
from .shrinking import change_and_shrink
from .tables import format_table, terminal_lines

__all__ = ["COMMANDS"]


@click.command("forget")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="ID_OR_HANDLE",
    help="An account to erase, by id or handle (repeatable).",
)
@click.option("--post", "posts", multiple=True, metavar="ID", help="A post to erase (repeatable).")
@click.option(
    "--no-compact",
    is_flag=True,
    help="Do not rewrite the file (the erased rows' bytes then stay in it until it is).",
)
@db_option
@json_option
def forget_command(accounts, posts, no_compact, db, as_json) -> None:
    """Erase accounts (their posts, profile, quarantined records, evidence, group
    memberships) and posts from the store, mark the runs this changes, and compact the file.

    Other people's posts stay, without what points at the account: its id, handle and
    posts are cleared from their references, mentions, URLs and texts (@[forgotten]).
    """
    db = db or str(default_db_path())
    if not Path(db).is_file():
        raise StoreError(f"no store at {db}: nothing to forget")
    done, sizes = change_and_shrink(
        db, lambda store: forget(store, accounts=accounts, posts=posts), compact=not no_compact
    )
    if as_json:
        print_json(_as_json(done, sizes))
        return
    click.echo(_summary(done, db, sizes))


def _as_json(done, sizes: list[int]) -> dict:
    return {
        "accounts": done.accounts.to_dict("records"),
        "posts": done.posts,
        "rows": done.rows,
        "changed_runs": done.changed_runs,
        "bytes": dict(zip(["before", "after_delete", "compacted"], sizes, strict=False)),
    }


def _summary(done, db, sizes: list[int]) -> str:
    lines = [
        f"forgot {plural(len(done.accounts), 'account')} and {plural(done.posts, 'post')}; "
        f"{plural(len(done.changed_runs), 'run')} marked as changed (run them again)",
        format_table(["table", "rows"], sorted(done.rows.items())),
        f"{terminal_lines(str(db))}: "
        + " -> ".join(f"{s / 1e6:.2f} MB" for s in sizes)
        + (" (compacted)" if len(sizes) == 3 else " (not compacted)"),
    ]
    return "\n".join(lines)


COMMANDS = [forget_command]
