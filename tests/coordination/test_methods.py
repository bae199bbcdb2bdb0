"""Every method on a tiny hand-made store: which accounts it links, and on which key."""

from __future__ import annotations

from types import SimpleNamespace

import ibis
import numpy as np
import pyarrow as pa
import pytest

from tests.conftest import add_posts, at, make_post
from trendwatch.analysis.coordination import METHODS, actions, coordinate
from trendwatch.analysis.coordination.methods import qut_text_key
from trendwatch.errors import ParameterError


def run(store, method, window=60, **params):
    result = coordinate(store, method, window=window, record=False, **params)
    return sorted(zip(result.edges["account_a"], result.edges["account_b"], strict=True)), result


def keys(result):
    return sorted(set(result.evidence["key"]))


def test_co_retweet_links_reposts_of_the_same_post_only(store):
    add_posts(
        store,
        [
            make_post(1, "a", at(0), "repost", ref_post_id="P"),
            make_post(2, "b", at(0, 30), "repost", ref_post_id="P"),
            make_post(3, "c", at(0, 30), "quote", ref_post_id="P"),  # a quote is not a repost
            make_post(4, "d", at(0, 40), "repost", ref_post_id="Q"),
        ],
    )
    linked, result = run(store, "co-retweet")
    assert linked == [("a", "b")] and keys(result) == ["P"]


def test_co_retweet_keys_reposts_without_a_post_id_by_their_originals_content(store):
    # As in the IRA files: a retweet flag, the original's text, sometimes its author's handle.
    add_posts(store, [
        make_post(1, "a", at(0), "repost", text="Vote NOW https://t.co/x"),
        make_post(2, "b", at(0, 10), "repost", text="vote now"),  # same normalised text
        make_post(3, "c", at(0, 20), "repost", text="vote now", ref_author_handle="bob"),
        make_post(4, "d", at(0, 30), "repost", text="vote now", ref_author_handle="bob"),
        make_post(5, "e", at(0, 40), "repost", text="https://t.co/y"),  # empty once normalised
        make_post(6, "f", at(0, 50), "repost", text=""),
        make_post(7, "g", at(0, 55), "post", text="vote now"),  # not a repost
    ])  # fmt: skip
    linked, result = run(store, "co-retweet")
    assert linked == [("a", "b"), ("c", "d")]
    assert keys(result) == ["content:bob|vote now", "content:|vote now"]


def test_co_tweet_uses_the_normalised_text_and_skips_reposts_and_empty_text(store):
    add_posts(
        store,
        [
            make_post(1, "a", at(0), text="Vote NOW @bob https://t.co/x"),
            make_post(2, "b", at(0, 10), text="vote   now"),
            make_post(3, "c", at(0, 20), "repost", text="vote now", ref_post_id="9"),
            make_post(4, "d", at(0, 30), text="@bob"),
            make_post(5, "e", at(0, 31), text="@carol"),
        ],
    )
    linked, result = run(store, "co-tweet")
    assert linked == [("a", "b")] and keys(result) == ["vote now"]
    # QUT's key keeps URLs and matches empty texts.
    linked_qut, _ = run(store, "co-tweet", text_mode="qut")
    assert linked_qut == [("d", "e")]


def test_qut_text_key_matches_the_toolkit(store):
    from coordination_network_toolkit.similarity import message_preprocessor

    texts = ["RT @x: Hello\u00a0 World @a.b!", "@only", " Tab\there \u3000 x@y z", "É @É é"]
    texts += ["\u0130STANBUL @\u0130z \u0130", "istanbul"]  # İ: an i and a combining dot
    add_posts(store, [make_post(i, "a", at(i), text=t) for i, t in enumerate(texts)])
    posts = store.posts().order_by("post_id")
    ours = posts.select(k=qut_text_key(posts.text)).to_pyarrow()["k"].to_pylist()
    assert ours == [message_preprocessor(t) for t in texts]


PY_SPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_qut_text_key_treats_every_python_space_as_the_toolkit_does(store):
    from coordination_network_toolkit.similarity import message_preprocessor

    texts = [f"{s}A{s}b{s}{s}@c{s}d@e{s}" for s in PY_SPACE]
    texts += [f" x{s} y @z{t}" for s in PY_SPACE for t in ("", " ", "\t", "\u200b")]
    texts += ["\u200bzero\u200b width\u180e", "  ", "", "a\u3000\u3000 b", "@a@b c@d", "x  "]
    add_posts(store, [make_post(i, "a", at(0, i), text=t) for i, t in enumerate(texts)])
    posts = store.posts().order_by("created_at")
    ours = posts.select(k=qut_text_key(posts.text)).to_pyarrow()["k"].to_pylist()
    assert ours == [message_preprocessor(t) for t in texts]


def test_a_computed_key_is_materialised_once_and_links_the_same(store):
    import pyarrow as pa

    from trendwatch.analysis.coordination import link
    from trendwatch.analysis.coordination.join import key_is_costly

    texts = ["Vote @a  now", "vote now", " VOTE\u00a0now @b", "other", "other "]
    add_posts(store, [make_post(i, f"u{i}", at(0, i), text=t) for i, t in enumerate(texts)])
    qut = actions(store, "co-tweet", params={"text_mode": "qut"})
    assert key_is_costly(qut)
    cheap = ("co-tweet", "co-link", "co-retweet", "hashtag-sequence", "sync-post", "co-similar")
    assert not any(key_is_costly(actions(store, method)) for method in cheap)
    as_table = pa.table({c: qut.to_pyarrow()[c] for c in qut.columns})
    ours, oracle = link(qut, window_s=60), link(as_table, window_s=60)
    assert ours.edges.equals(oracle.edges) and ours.evidence.equals(oracle.evidence)
    assert len(ours.edges) == 4


def test_co_link_co_reply_co_mention(store):
    add_posts(
        store,
        [
            make_post(
                1, "a", at(0), urls=("example.com/x",), mentions=("m",), reply_to_post_id="R"
            ),
            make_post(2, "b", at(0, 5), urls=("example.com/x",), reply_to_post_id="R"),
            make_post(3, "c", at(0, 6), mentions=("m",)),
            make_post(
                4,
                "d",
                at(0, 7),
                "repost",
                ref_post_id="Z",
                urls=("example.com/x",),
                mentions=("m",),
                reply_to_post_id="R",
            ),
        ],
    )
    assert run(store, "co-link")[0] == [("a", "b")]
    assert run(store, "co-reply")[0] == [("a", "b")]
    assert run(store, "co-mention")[0] == [("a", "c")]


def test_co_hashtag_can_ignore_the_scoped_hashtag(store):
    add_posts(
        store,
        [
            make_post(1, "a", at(0), hashtags=("camp", "x")),
            make_post(2, "b", at(0, 5), hashtags=("camp", "y")),
            make_post(3, "c", at(0, 6), hashtags=("camp", "x")),
        ],
    )
    linked, result = run(store, "co-hashtag", hashtags="camp")
    assert linked == [("a", "c")] and keys(result) == ["x"]
    linked, _ = run(store, "co-hashtag", hashtags="camp", ignore_scope_hashtags=False)
    assert linked == [("a", "b"), ("a", "c"), ("b", "c")]


def test_sync_post_bins_and_tfidf(store):
    # bins of 30 min: a and b post in bins 0 and 1; c only in bin 0.
    add_posts(
        store,
        [
            make_post(1, "a", at(1)),
            make_post(2, "a", at(2)),
            make_post(3, "a", at(31)),
            make_post(4, "b", at(29)),
            make_post(5, "b", at(59)),
            make_post(6, "c", at(10)),
        ],
    )
    linked, result = run(store, "sync-post", window=None)
    assert linked == [("a", "b"), ("a", "c"), ("b", "c")]
    assert result.params["window_s"] == 1800
    edges = result.edges.set_index(["account_a", "account_b"])
    # idf(bin0) = 0, idf(bin1) = ln(3/2): a and b identical vectors, c is zero.
    assert edges.loc[("a", "b"), "tfidf"] == pytest.approx(1.0)
    assert edges.loc[("a", "c"), "tfidf"] == 0
    # one action per account and bin: a's two posts in bin 0 count once.
    assert edges.loc[("a", "c"), "weight"] == 1


def test_hashtag_sequence_needs_the_same_ordered_tags_on_the_same_day(store):
    seq = ("h1", "h2", "h3", "h4", "h5")
    add_posts(
        store,
        [
            make_post(1, "a", at(0), hashtags=seq),
            make_post(2, "b", at(600), hashtags=seq),
            make_post(3, "c", at(10), hashtags=seq[::-1]),
            make_post(4, "d", at(60 * 25), hashtags=seq),  # next day
            make_post(5, "e", at(5), hashtags=seq[:4]),  # too few tags
            make_post(6, "f", at(6), hashtags=seq[:4]),
        ],
    )
    linked, result = run(store, "hashtag-sequence", window=None)
    assert linked == [("a", "b")] and keys(result) == ["2024-03-01|h1 h2 h3 h4 h5"]
    assert run(store, "hashtag-sequence", window=None, min_hashtags=4)[0] == [
        ("a", "b"),
        ("e", "f"),
    ]


def test_co_similar_links_near_duplicates(store):
    base = "the quick brown fox jumps over the lazy dog today again and again"
    add_posts(
        store,
        [
            make_post(1, "a", at(0), text=base),
            make_post(2, "b", at(0, 20), text=base + " now"),  # Jaccard 11/12
            make_post(3, "c", at(0, 30), text="completely different words in this one post here"),
            make_post(4, "d", at(5), text=base),  # outside the window
        ],
    )
    linked, result = run(store, "co-similar")
    assert linked == [("a", "b")]
    assert result.evidence["jaccard"].tolist() == [pytest.approx(11 / 12)]


def test_co_similar_names_the_keys_its_bound_cut(store):
    # Three accounts post one text 10 s apart: its key holds three actions (no band key: a
    # band is kept only when two texts share it); a fanout of 1 cuts a's second partner.
    text = "one text posted three times by three accounts"
    add_posts(store, [make_post(i, acc, at(0, 10 * i), text=text) for i, acc in enumerate("abc")])
    result = coordinate(store, "co-similar", window=60, max_key_fanout=1, record=False)
    assert result.bounded_keys.to_dict("records") == [
        {"key": f"text:{text}", "n_actions": 3, "fanout": 1}
    ]
    # a-b and b-c (each post's next one); a-c is cut.
    pairs = result.edges[["account_a", "account_b"]].values.tolist()
    assert sorted(pairs) == [["a", "b"], ["b", "c"]]
    near = text.replace("three accounts", "three other accounts")
    add_posts(store, [make_post(9, "d", at(0, 35), text=near)])  # Jaccard 8/9 with the others
    result = coordinate(store, "co-similar", window=60, max_key_fanout=1, record=False)
    assert len(result.bounded_keys) > 1  # the bands the two texts share hold four actions
    assert result.bounded_keys["key"].str.fullmatch(r"band:\d+|text:" + text).all()


def test_every_method_builds_the_action_columns(store):
    add_posts(store, [make_post(1, "a", at(0), text="x")])
    for name in METHODS:
        assert actions(store, name).columns == ("account_id", "key", "time", "post_id"), name


def test_method_parameters_are_checked(store):
    with pytest.raises(ParameterError, match="text_mode"):
        coordinate(store, "co-tweet", text_mode="odd", record=False)
    with pytest.raises(ParameterError, match="bin_s"):
        coordinate(store, "sync-post", bin_s=0, record=False)


def test_qut_text_key_lower_cases_every_character_as_python_does(store):
    # Python's str.lower (the toolkit's) differs from DuckDB's for "İ" and a word-final "Σ";
    # the sigma's context is any character before or after it, and around both.
    from coordination_network_toolkit.similarity import message_preprocessor

    chars = [chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000]
    shapes = ("{c}\u03a3", "A{c}\u03a3", "A\u03a3{c}", "A\u03a3{c}B", "\u03a3{c}\u03a3 {c}\u0130")
    texts = [shape.format(c=c) for shape in shapes for c in chars]
    table = ibis.memtable(pa.table({"text": texts}))
    ours = store.ibis.to_pyarrow(table.select(k=qut_text_key(table.text)))["k"].to_pylist()
    wrong = [(t, o) for t, o in zip(texts, ours, strict=True) if o != message_preprocessor(t)]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(("method", "column"), [("co-link", "urls"), ("co-hashtag", "hashtags")])
def test_a_value_listed_twice_in_a_post_counts_once(store, method, column):
    # The actions repeat (one per listed value); the engine counts each distinct action once.
    add_posts(
        store,
        [
            make_post(1, "a", at(0), **{column: ("x", "x", "y")}),
            make_post(2, "b", at(0, 10), **{column: ("x",)}),
        ],
    )
    assert actions(store, method).count().execute() == 4
    linked, result = run(store, method)
    assert linked == [("a", "b")]
    assert result.edges["weight"].tolist() == [1]
    assert result.evidence[["post_a", "post_b", "key"]].values.tolist() == [["1", "2", "x"]]


def _text_posts() -> list:
    base = "the quick brown fox jumps over the lazy dog today again and again"
    return [
        make_post(1, "a", at(0), text="Vote NOW @bob https://t.co/x"),
        make_post(2, "b", at(0, 10), text="vote   now"),
        make_post(3, "c", at(0, 20), "repost", text="RT @z: Hi THERE"),  # names no post
        make_post(4, "d", at(0, 25), "repost", text="hi there"),
        make_post(5, "e", at(0, 30), text=base),
        make_post(6, "f", at(0, 40), text=base + " now"),
    ]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("co-tweet", [("a", "b")]),
        ("co-retweet", [("c", "d")]),
        ("co-similar", [("a", "b"), ("e", "f")]),
    ],
)
def test_text_key_methods_link_the_same_on_a_read_only_store_without_keys(
    tmp_path, method, expected
):
    from trendwatch.store import Store

    db = tmp_path / "keys.duckdb"
    with Store(db) as writable:
        add_posts(writable, _text_posts())
    with Store(db, read_only=True) as read_only:
        linked, _ = run(read_only, method)
        assert linked == expected
        stored = read_only.con.execute("SELECT count(text_norm) FROM posts").fetchone()[0]
        assert stored == 0  # computed in a view, nothing written
    with Store(db) as writable:
        linked, _ = run(writable, method)
        assert linked == expected
        stored = writable.con.execute("SELECT count(text_norm) FROM posts").fetchone()[0]
        assert stored > 0  # computed once and kept


def _candidate_posts_with_unique(first, second, posts):
    # The former, simpler form (np.unique with its index): the oracle.
    early = (posts.t[first] < posts.t[second]) | (
        (posts.t[first] == posts.t[second]) & (first < second)
    )
    lo, hi = np.where(early, first, second), np.where(early, second, first)
    _, index = np.unique(lo * np.int64(posts.k.size) + hi, return_index=True)
    return lo[index], hi[index]


@pytest.mark.parametrize("seed", range(40))
def test_co_similar_candidate_pairs_equal_the_np_unique_form(seed):
    from trendwatch.analysis.coordination.minhash import _candidate_posts

    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(0, 150))
    posts = SimpleNamespace(t=rng.integers(0, 4, n), k=np.zeros(n))  # many equal times
    first, second = rng.integers(0, n, m), rng.integers(0, n, m)
    got = _candidate_posts(first.copy(), second.copy(), posts)
    want = _candidate_posts_with_unique(first, second, posts)
    assert [a.tolist() for a in got] == [b.tolist() for b in want]
    assert [a.dtype for a in got] == [b.dtype for b in want]
