"""``--fold-variants`` on Spark: the same folded campaign and the same list of variants as on
DuckDB (local[2]), and the driver's accent stripping is DuckDB's ``strip_accents``."""

from __future__ import annotations

import unicodedata

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import add_posts, at, make_post
from tests.engines.conftest import lake_store
from trendwatch.analysis.variants import fold_variants, hashtag_posts, strip_accents
from trendwatch.cli import cli
from trendwatch.store import Store

TAGS = (
    ["rémigrationdorsani"] * 3 + ["remigrationdorsani"] * 2 + ["remigration"] * 4
    + ["ete"] * 2 + ["été"] * 2 + ["éte"] + ["ñandú"]
)  # fmt: skip
"""Hashtags as ingest stores them (case folded, accents kept), one post each; the first post
of #ete also carries #été (a post counts once per hashtag)."""


@pytest.fixture(scope="module")
def variants(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    posts = [make_post(i, f"u{i}", at(i), hashtags=(tag,)) for i, tag in enumerate(TAGS)]
    posts[9] = make_post(9, "u9", at(9), hashtags=("ete", "été"))
    with Store(folder / "v.duckdb") as store:
        add_posts(store, posts)
    with Store(folder / "v.duckdb", read_only=True) as store:
        yield store, lake_store(store, folder / "lake", spark), folder


@pytest.mark.spark
def test_variants_by_hand(variants):
    _, spark, _ = variants
    folded = fold_variants(spark, ["#RemigrationDorsani", "ÉTÉ", "remigration"])
    assert folded.requested == ("remigrationdorsani", "été", "remigration")
    # été: itself 3 posts (one shared with #ete), ete 2, éte 1; ties by name.
    assert folded.variants == {
        "remigration": {"remigration": 4},
        "remigrationdorsani": {"rémigrationdorsani": 3, "remigrationdorsani": 2},
        "été": {"été": 3, "ete": 2, "éte": 1},
    }
    assert folded.hashtags == (
        "remigrationdorsani", "été", "remigration", "rémigrationdorsani", "ete", "éte",
    )  # fmt: skip


@pytest.mark.spark
def test_the_same_variants_as_duckdb(variants):
    duck, spark, _ = variants
    for asked in (["remigrationdorsani"], ["ete", "nandu", "absent"], ["éte", "remigration"]):
        assert fold_variants(spark, asked) == fold_variants(duck, asked), asked
    assert hashtag_posts(spark) == hashtag_posts(duck) == {
        "rémigrationdorsani": 3, "remigrationdorsani": 2, "remigration": 4, "ete": 2,
        "été": 3, "éte": 1, "ñandú": 1,
    }  # fmt: skip


@pytest.mark.spark
@pytest.mark.parametrize(
    "args",
    [
        ["campaign", "RemigrationDorsani", "--fold-variants", "--json"],
        ["compare", "ete", "remigrationdorsani", "--fold-variants", "--json"],
    ],
)
def test_cli_folds_on_spark(variants, monkeypatch, args):
    duck, spark, folder = variants
    from trendwatch.engines import spark as spark_module

    monkeypatch.setattr(spark_module, "spark_session", lambda master=None: spark.session)
    runner = CliRunner(env={"TRENDWATCH_TZ": ""})
    on_duck = runner.invoke(cli, [*args, "--db", str(folder / "v.duckdb")])
    lake = ["--engine", "spark", "--lake", str(folder / "lake")]
    on_spark = runner.invoke(cli, [*args, *lake])
    assert on_spark.exit_code == 0, on_spark.output
    assert orjson.loads(on_spark.stdout) == orjson.loads(on_duck.stdout)
    if args[0] == "campaign":
        data = orjson.loads(on_spark.stdout)
        assert data["posts"] == 5
        assert data["hashtags"] == ["remigrationdorsani", "rémigrationdorsani"]
        table = runner.invoke(cli, args[:-1] + lake)
        assert table.output.splitlines()[0] == (
            "folded variants: #remigrationdorsani with #rémigrationdorsani (3 posts)"
        )


def test_strip_accents_is_duckdbs():
    # Every character of the Latin, Greek, Cyrillic, Indic, Thai... blocks between two letters;
    # those Python's Unicode database does not know yet (a newer mark DuckDB strips) excepted.
    con = duckdb.connect()
    texts = [
        f"a{chr(cp)}b" for cp in range(0x20, 0x3000)
        if not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp)) != "Cn"
    ]  # fmt: skip
    stripped = con.execute("SELECT list(strip_accents(t)) FROM unnest(?) AS u(t)", [texts])
    [(expected,)] = stripped.fetchall()
    differ = [t for t, e in zip(texts, expected, strict=True) if strip_accents(t) != e]
    assert differ == []
