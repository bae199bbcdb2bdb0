"""The parts of a package, one at a time: the scope, which runs it takes, privacy settings,
time coarsening, detection of a package folder, and tables a later trendwatch adds."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pyarrow as pa
import pytest

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination.engine import Scope
from trendwatch.errors import ParameterError
from trendwatch.exports.package import write_package
from trendwatch.exports.package_import import import_package, reproduce_groups
from trendwatch.exports.package_privacy import Privacy, pseudonymise_tables
from trendwatch.exports.package_scope import PackageScope, _inside, select_tables
from trendwatch.exports.pseudonyms import Pseudonymiser
from trendwatch.formats.package import package_folder, sniff
from trendwatch.store import Store

P = Pseudonymiser("the parts tests' secret key")


# -- which runs a scope takes -------------------------------------------------------------------


def scope(**fields) -> Scope:
    return PackageScope(**fields).as_scope()


@pytest.mark.parametrize(
    ("run", "package", "inside"),
    [
        ({}, {}, True),                                                  # whole store, whole run
        ({"hashtags": ["a"]}, {}, True),                                 # narrower run
        ({}, {"hashtags": ("a",)}, False),                               # run read more posts
        ({"hashtags": ["A"]}, {"hashtags": ("a", "b")}, True),           # tags normalised
        ({"hashtags": ["a", "c"]}, {"hashtags": ("a", "b")}, False),     # #c is outside
        ({"since": "2024-03-02"}, {"since": "2024-03-01"}, True),
        ({"since": "2024-02-28"}, {"since": "2024-03-01"}, False),
        ({}, {"until": "2024-03-01"}, False),                            # unbounded run
        ({"until": "2024-03-01"}, {"until": "2024-03-01"}, True),
        ({"platform": "x"}, {"platform": "x"}, True),
        ({"platform": None}, {"platform": "x"}, False),
    ],
)  # fmt: skip
def test_a_run_is_taken_when_its_scope_lies_inside_the_packages(run, package, inside):
    assert _inside(run, scope(**package)) is inside


def test_the_scope_as_the_manifest_writes_it():
    described = PackageScope(hashtags=("RemigrationDorsani",), since="2024-03-01").to_dict()
    assert described == {
        "hashtags": ["remigrationdorsani"], "since": "2024-03-01T00:00:00+00:00", "until": None,
        "platform": None, "group": None, "groups_run": None, "whole_days": True,
    }  # fmt: skip


def test_run_without_group_is_refused(store):
    add_posts(store, [make_post("1", "a")])
    with pytest.raises(ParameterError, match="--run names the groups run of --group"):
        select_tables(store, PackageScope(groups_run="groups-1"))
    with pytest.raises(ParameterError, match="no groups run"):
        select_tables(store, PackageScope(group=1))


def test_context_posts_come_along_but_not_other_peoples_profiles(store):
    from trendwatch.model import Account, Post, accounts_to_arrow, posts_to_arrow

    add_posts(store, [make_post("r", "a", at(0), "repost", ref_post_id="o", hashtags=("t",)),
                      make_post("x", "b", at(1), hashtags=("other",))])  # fmt: skip
    store.write_batch(posts_to_arrow([Post("x", "o", "c", at(-1), collected=False)]))
    store.write_batch(accounts=accounts_to_arrow([Account("x", "a"), Account("x", "c")]))
    tables = select_tables(store, PackageScope(hashtags=("t",), whole_days=False))
    assert sorted(tables["posts"]["post_id"].to_pylist()) == ["o", "r"]
    posts = tables["posts"].to_pydict()
    collected = dict(zip(posts["post_id"], posts["collected"], strict=True))
    assert collected == {"o": False, "r": True}
    assert tables["accounts"]["account_id"].to_pylist() == ["a"]


# -- privacy settings ---------------------------------------------------------------------------


def test_privacy_settings_are_checked():
    with pytest.raises(ParameterError, match="--text"):
        Privacy(P, text="blur")
    with pytest.raises(ParameterError, match="--coarsen-times"):
        Privacy(P, coarsen="week")


def test_times_are_floored_and_gaps_rounded_to_the_unit_by_hand():
    when = datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)
    tables = {
        "posts": pa.table({"created_at": pa.array([when], pa.timestamp("us", tz="UTC"))}),
        "coordination_edges": pa.table({"median_gap_s": [89.0], "min_gap_s": [29.0]}),
        "group_edges": pa.table({"data": ['{"min_gap_s": 31.0, "weight": 7}']}),
    }
    out = pseudonymise_tables(tables, Privacy(P, coarsen="minute"))
    assert out["posts"]["created_at"].to_pylist() == [datetime(2024, 3, 1, 12, 34, tzinfo=UTC)]
    # 89 s is 1.48 minutes: 1 minute; 29 s is 0.48 minutes: 0; 31 s: 1 minute
    edges = out["coordination_edges"].to_pylist()[0]
    assert (edges["median_gap_s"], edges["min_gap_s"]) == (60.0, 0.0)
    assert orjson.loads(out["group_edges"]["data"][0].as_py()) == {"min_gap_s": 60.0, "weight": 7}


def test_descriptions_follow_the_text_mode():
    accounts = pa.table({"account_id": ["1"], "description": ["Militante @Bob depuis 2019"]})
    masked = pseudonymise_tables({"accounts": accounts}, Privacy(P, text="mask"))["accounts"]
    assert masked["description"].to_pylist() == [f"Xxxxxxxxx @{P.handle('bob')} xxxxxx 9999"]
    dropped = pseudonymise_tables({"accounts": accounts}, Privacy(P, text="drop"))["accounts"]
    assert dropped["description"].to_pylist() == [None]


def test_a_co_tweet_key_is_hashed_when_texts_are_not_kept():
    evidence = pa.table({"account_a": ["1"], "account_b": ["2"], "key": ["same words here"]})
    kept = pseudonymise_tables({"coordination_evidence": evidence}, Privacy(P))
    masked = pseudonymise_tables({"coordination_evidence": evidence}, Privacy(P, text="mask"))
    assert kept["coordination_evidence"]["key"].to_pylist() == ["same words here"]
    assert masked["coordination_evidence"]["key"].to_pylist() == [P.key("same words here")]


def test_short_display_names_are_not_replaced_inside_texts():
    posts = pa.table({"post_id": ["1"], "text": ["Zoe and Anna Plantedname met"]})
    accounts = pa.table({"account_id": ["9", "8"], "name": ["Zoe", "Anna Plantedname"]})
    out = pseudonymise_tables({"posts": posts, "accounts": accounts}, Privacy(P))
    assert out["posts"]["text"].to_pylist() == [f"Zoe and {P.name('Anna Plantedname')} met"]


# -- detection ----------------------------------------------------------------------------------


def test_a_package_is_recognised_by_its_manifests_first_bytes(tmp_path):
    assert sniff(b'  {\n  "format": "trendwatch-package"') and not sniff(b'{"a": 1, "format"')
    (tmp_path / "manifest.json").write_text('{"format": "trendwatch-package"}')
    assert package_folder(tmp_path) == tmp_path == package_folder(tmp_path / "manifest.json")
    (tmp_path / "other.json").write_text('{"format": "trendwatch-package"}')
    assert package_folder(tmp_path / "other.json") is None


# -- reading back -------------------------------------------------------------------------------


def test_a_table_this_trendwatch_does_not_know_is_read_back_as_it_is(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        add_posts(store, [make_post("1", "a")])
        run_id = store.record_run("trends", {})
        store.con.execute("CREATE TABLE later_results (run_id VARCHAR, n BIGINT)")
        store.con.execute("INSERT INTO later_results VALUES (?, 7), ('another run', 8)", [run_id])
        write_package(store, tmp_path / "p")
    with Store(tmp_path / "b.duckdb") as store:
        counts = import_package(store, tmp_path / "p")
        assert (counts.runs_added, counts.runs_known) == (1, 0)
        assert store.con.execute("SELECT * FROM later_results").fetchall() == [(run_id, 7)]
        again = import_package(store, tmp_path / "p")
        assert (again.runs_added, again.runs_known, again.added) == (0, 1, 0)


def test_reproduce_groups_tells_a_changed_store(tmp_path):
    from tests.coordination.test_groups import campaign_store
    from trendwatch.analysis.coordination.groups import groups

    with Store(tmp_path / "s.duckdb") as store:
        campaign_store(store)
        run_id = groups(store, hashtags=["tag"]).run_id
        assert reproduce_groups(store, run_id).reproduced
        store.con.execute("DELETE FROM posts WHERE author_id = 'a3'")
        found = reproduce_groups(store, run_id)
    assert not found.same_members and not found.same_edges and not found.reproduced
    assert (found.stored_sizes, found.rerun_sizes) == ([3], [])


def test_hashtags_stay_even_when_a_handle_has_their_name():
    posts = pa.table({"author_handle": ["Macron"], "hashtags": [["macron"]],
                      "text": ["#Macron @macron"]})  # fmt: skip
    runs = pa.table({"params": ['{"hashtags": ["macron"], "note": "macron"}']})
    out = pseudonymise_tables({"posts": posts, "runs": runs}, Privacy(P))
    h = P.handle("macron")
    assert out["posts"].to_pylist() == [
        {"author_handle": h, "hashtags": ["macron"], "text": f"#Macron @{h}"}
    ]
    assert orjson.loads(out["runs"]["params"][0].as_py()) == {"hashtags": ["macron"], "note": h}
