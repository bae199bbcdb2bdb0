"""``trendwatch rerun RUN_ID``: compute a stored groups run again and say whether it holds.

For whoever receives a data package: its runs come with the parameters they were computed
with; this computes one again on the store's posts
(:func:`trendwatch.exports.package_import.reproduce_groups`) and compares.
"""

from __future__ import annotations

import sys

import click

from ..exports.package_import import reproduce_groups
from ..store import open_store
from .options import db_option, json_option, print_json

__all__ = ["COMMANDS"]


@click.command("rerun")
@click.argument("run_id")
@db_option
@json_option
def rerun_command(run_id, db, as_json) -> None:
    """Compute the groups run RUN_ID again with its stored parameters and compare.

    Nothing is recorded. Exit status 0 when the same groups and links come out, 1 when not.
    """
    with open_store(db, read_only=True) as store:
        found = reproduce_groups(store, run_id)
    if as_json:
        print_json({**found.__dict__, "reproduced": found.reproduced})
    else:
        click.echo(_summary(found))
    if not found.reproduced:
        sys.exit(1)


def _summary(found) -> str:
    verdict = "reproduced" if found.reproduced else "NOT reproduced"
    return (
        f"{found.run_id}: {verdict}\n"
        f"  groups (sizes): stored {found.stored_sizes}, again {found.rerun_sizes}; "
        f"same members: {'yes' if found.same_members else 'no'}\n"
        f"  links: {'the same' if found.same_edges else 'different'}"
    )


COMMANDS = [rerun_command]
