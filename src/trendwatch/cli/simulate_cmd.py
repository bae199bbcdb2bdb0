"""``trendwatch simulate``: write a synthetic archive with its ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from ..simulate import TRUTH_NAME, SimulationTruth, simulate
from .options import json_option, print_json

__all__ = ["COMMANDS"]


@click.command("simulate")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write tweets.jsonl and truth.json into (created if missing).",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed.")
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Size factor: 1.0 is about 30,000 posts over two days.",
)
@json_option
def simulate_command(out, seed, scale, as_json) -> None:
    """Write a synthetic X archive (twarc2 pages) with an attack, a counter-campaign and truth."""
    truth = simulate(out, seed=seed, scale=scale)
    summary = _summary(Path(out), truth)
    if as_json:
        print_json(summary)
        return
    click.echo(f"files                 {', '.join(summary['files'])}")
    click.echo(f"posts                 {truth.posts:,}")
    click.echo(f"accounts              {truth.accounts:,}")
    click.echo(f"attack hashtag        #{truth.attack_hashtag}  ({truth.attack_posts:,} posts)")
    click.echo(f"counter hashtag       #{truth.counter_hashtag}  ({truth.counter_posts:,} posts)")
    click.echo(f"coordinated accounts  {len(truth.coordinated_accounts)}: {_sizes(truth.shapes)}")
    click.echo(f"look-alikes           {_sizes(truth.lookalikes)}")
    click.echo(f"truth                 {summary['truth']}")


def _sizes(named: dict) -> str:
    return ", ".join(f"{name} {len(accounts)}" for name, accounts in named.items())


def _summary(folder: Path, truth: SimulationTruth) -> dict:
    return {
        "files": [str(folder / name) for name in truth.files],
        "truth": str(folder / TRUTH_NAME),
        "posts": truth.posts,
        "accounts": truth.accounts,
        "attack_hashtag": truth.attack_hashtag,
        "attack_posts": truth.attack_posts,
        "counter_hashtag": truth.counter_hashtag,
        "counter_posts": truth.counter_posts,
        "coordinated_accounts": len(truth.coordinated_accounts),
        "shapes": {name: len(accounts) for name, accounts in truth.shapes.items()},
        "lookalikes": {name: len(accounts) for name, accounts in truth.lookalikes.items()},
    }


COMMANDS = [simulate_command]
