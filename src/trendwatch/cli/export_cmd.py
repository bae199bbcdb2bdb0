"""``trendwatch export``: write a scope of the store as files others can check and re-analyse.

``--package DIR`` writes a data package (:mod:`trendwatch.exports.package`); with
``--pseudonymise`` its ids, handles and names are keyed pseudonyms
(:mod:`trendwatch.exports.package_privacy`); ``--ids-only`` writes the post ids alone;
``--lake DIR`` writes the whole store as the Parquet lake the Spark engine reads
(:func:`trendwatch.engines.lake.export_lake`). The command parses its options and dispatches
to one library call per output form.
"""

from __future__ import annotations

import click

from ..engines.lake import export_lake
from ..errors import ParameterError
from ..exports.package import write_package
from ..exports.package_privacy import COARSEN_UNITS, Privacy
from ..exports.package_scope import PackageScope
from ..exports.pseudonyms import Pseudonymiser
from ..exports.textmask import TEXT_MODES
from ..store import open_store
from .options import db_option, json_option, print_json
from .tables import format_table, terminal_lines

__all__ = ["COMMANDS", "DEFAULT_KEY_ENV"]

DEFAULT_KEY_ENV = "TRENDWATCH_KEY"
"""The environment variable that holds the pseudonymisation key when --key-env is not given."""


@click.command("export")
@click.option(
    "--package",
    "package_dir",
    type=click.Path(file_okay=False),
    help="Write a data package (Parquet tables, manifest with checksums) into this new folder.",
)
@click.option(
    "--lake",
    type=click.Path(file_okay=False),
    help="Write the whole store (posts, accounts, quarantine) as a Parquet lake (Hive: "
    "platform, day) that `--engine spark` reads.",
)
@click.option("--ids-only", is_flag=True, help="Only the post ids, one file per platform.")
@click.option("--hashtag", "hashtags", multiple=True, help="Scope: posts with this hashtag.")
@click.option("--since", help="Scope: posts at or after this time (ISO 8601, UTC).")
@click.option("--until", help="Scope: posts before this time (ISO 8601, UTC).")
@click.option("--platform", help="Scope: posts of this platform (x, mastodon, bluesky).")
@click.option("--group", type=click.IntRange(min=1), help="Scope: one group of a groups run.")
@click.option("--run", "groups_run", help="The groups run of --group (default: the latest).")
@click.option(
    "--scope-only",
    is_flag=True,
    help="Leave out the other posts of the scope's days (smaller; the runs' significance "
    "test then cannot be recomputed from the package).",
)
@click.option("--pseudonymise", is_flag=True, help="Replace ids, handles and names (HMAC).")
@click.option(
    "--key-env",
    metavar="NAME",
    help=f"Environment variable holding the secret key (default: {DEFAULT_KEY_ENV}).",
)
@click.option(
    "--text",
    "text_mode",
    type=click.Choice(TEXT_MODES),
    help="Pseudonymised texts: keep (mentions and URLs replaced), mask (words by their "
    "shape) or drop. Default: keep.",
)
@click.option(
    "--coarsen-times",
    type=click.Choice(list(COARSEN_UNITS)),
    help="Pseudonymised packages: floor every time to this unit.",
)
@db_option
@json_option
def export_command(
    package_dir, lake, ids_only, hashtags, since, until, platform, group, groups_run, scope_only,
    pseudonymise, key_env, text_mode, coarsen_times, db, as_json,
) -> None:  # fmt: skip
    """Export a scope of the store (default: all of it) for others to check and re-analyse.

    The package holds the posts, the authors' profiles, the stored runs of the scope with
    their edges, evidence and groups, and a manifest (scope, row counts, fingerprints,
    versions, a SHA-256 per file). `trendwatch ingest DIR` reads it back. --lake DIR writes
    the whole store as the lake that `--engine spark` reads.
    """
    if bool(package_dir) == bool(lake):
        raise click.UsageError("say what to export: --package DIR or --lake DIR (one of them)")
    package_only = (ids_only, hashtags, since, until, platform, group, groups_run, scope_only,
                    pseudonymise, key_env, text_mode, coarsen_times)  # fmt: skip
    if lake and any(package_only):
        raise click.UsageError("--lake writes the whole store: scope and privacy options are "
                               "for --package")  # fmt: skip
    if lake:
        _export_lake(lake, db, as_json)
        return
    privacy = _privacy(pseudonymise, key_env, text_mode, coarsen_times)
    scope = PackageScope(
        hashtags=tuple(hashtags), since=since, until=until, platform=platform, group=group,
        groups_run=groups_run, whole_days=not scope_only,
    )  # fmt: skip
    with open_store(db, read_only=True) as store:
        package = write_package(store, package_dir, scope, privacy=privacy, ids_only=ids_only)
    if as_json:
        print_json(package.manifest)
        return
    click.echo(_summary(package))


def _export_lake(lake, db, as_json: bool) -> None:
    with open_store(db, read_only=True) as store:
        manifest = export_lake(store, lake)
    if as_json:
        print_json(manifest.__dict__)
        return
    rows = ", ".join(f"{n:,} {table}" for table, n in manifest.rows.items())
    click.echo(f"lake written: {rows} (fingerprint {manifest.fingerprint})")


def _privacy(pseudonymise: bool, key_env, text_mode, coarsen_times) -> Privacy | None:
    if not pseudonymise:
        given = [o for o, v in (("--key-env", key_env), ("--text", text_mode),
                                ("--coarsen-times", coarsen_times)) if v]  # fmt: skip
        if given:
            raise ParameterError(
                f"{', '.join(given)}: only for pseudonymised packages; add --pseudonymise"
            )
        return None
    pseudonymiser = Pseudonymiser.from_env(key_env or DEFAULT_KEY_ENV)
    return Privacy(pseudonymiser, text=text_mode or "keep", coarsen=coarsen_times)


def _summary(package) -> str:
    manifest = package.manifest
    files = manifest["files"]
    rows = [[name, entry["rows"], entry["bytes"]] for name, entry in sorted(files.items())]
    lines = [f"wrote {terminal_lines(str(package.path))}: {len(files)} files and manifest.json"]
    privacy = manifest.get("pseudonymised")
    if privacy:
        lines.append(
            f"pseudonymised with key {privacy['key_fingerprint']} (fingerprint); texts: "
            f"{privacy['text']}; times: {privacy['coarsen_times'] or 'as they are'}"
        )
    lines.append(format_table(["file", "rows", "bytes"], rows))
    return "\n".join(lines)


COMMANDS = [export_command]
