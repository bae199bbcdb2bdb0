"""The store's write path against simple twins: the former one-copy-per-key SQL, Python keys.

``Store._write_posts`` decides per key only for the rows whose key repeats in the batch or is
already stored, and inserts the other rows without copying the batch. Before, every batch was
first copied into a table with one row per key (``DISTINCT ON``) and its stored flag. Both must
leave the same posts and give the same counts, whatever the batches: repeats in a batch,
context and collected forms in either order, keys across batches and platforms, hostile text.
"""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_post
from tests.test_store import _TRICKY
from trendwatch.model import posts_to_arrow
from trendwatch.store import _POST_COLUMNS, BatchCounts, Store
from trendwatch.text import normalize_text

# The former implementation, verbatim but for the tie among rows of one key with the same
# ``collected`` flag, which it left to DuckDB and which is now the first row of the batch.
_UNIQUE_BATCH_SQL = """
    WITH repeated AS (
        SELECT platform, post_id FROM _batch GROUP BY ALL HAVING count(*) > 1
    )
    SELECT * FROM _batch ANTI JOIN repeated USING (platform, post_id)
    UNION ALL
    SELECT * FROM (
        SELECT DISTINCT ON (platform, post_id) *
        FROM _batch SEMI JOIN repeated USING (platform, post_id)
        ORDER BY platform, post_id, collected DESC, _i
    )
"""
_KNOWN_BATCH_SQL = f"""
    WITH batch AS MATERIALIZED ({_UNIQUE_BATCH_SQL}),
    known AS (
        SELECT platform, post_id, collected AS _was
        FROM posts SEMI JOIN batch USING (platform, post_id)
    )
    SELECT batch.*, known._was FROM batch LEFT JOIN known USING (platform, post_id)
"""


class ReferenceStore(Store):
    """A store writing posts the former way: copy the batch one row per key, then insert."""

    def _write_posts(self, posts: pa.Table) -> BatchCounts:
        if posts.num_rows == 0:
            return BatchCounts(0, 0)
        collected_rows = pa.compute.sum(posts["collected"]).as_py() or 0
        rows = posts.append_column("_i", pa.array(range(posts.num_rows), pa.int64()))
        self.con.register("_batch", rows)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _nb AS {_KNOWN_BATCH_SQL}")
        self.con.unregister("_batch")
        [(added, replacing)] = self.con.execute(
            "SELECT count(*) FILTER (collected AND _was IS NOT TRUE), "
            "count(*) FILTER (collected AND _was = FALSE) FROM _nb"
        ).fetchall()
        if replacing:
            self.con.execute("""
                DELETE FROM posts USING _nb
                WHERE posts.platform = _nb.platform AND posts.post_id = _nb.post_id
                  AND _nb.collected AND _nb._was = FALSE
            """)
        self.con.execute(
            f"INSERT INTO posts ({_POST_COLUMNS}, text_norm, ingested_at) "
            f"SELECT {_POST_COLUMNS}, NULL, now() AS ingested_at "
            "FROM _nb WHERE _was IS NULL OR (collected AND NOT _was)"
        )
        self.con.execute("DROP TABLE _nb")
        return BatchCounts(added=added, duplicates=collected_rows - added)


def _contents(store: Store) -> list[tuple]:
    return store.con.execute(
        "SELECT * EXCLUDE (ingested_at) FROM posts ORDER BY platform, post_id"
    ).fetchall()


def _both(batches: list[list]) -> tuple[list, list]:
    """Write the same batches into a new and a reference store; counts and rows of each."""
    results = []
    for kind in (Store, ReferenceStore):
        with kind(":memory:") as store:
            counts = [store.write_batch(posts_to_arrow(batch)) for batch in batches]
            results.append((counts, _contents(store)))
    return results[0], results[1]


_HOSTILE = [
    "",
    None,
    "RT @Ann: été",
    "RT @ann:\tete\u0301",  # NFD
    "'); DROP TABLE posts; --",
    "\u202eevil\u202c @x@y.z http://a.b/?q='\"",
    "\x00nul",
    "\U0001f600 #Tag ＃Ｔａｇ",
    "x" * 5000,
]


def test_hand_made_batches_give_the_reference_store():
    batches = [
        [make_post(1, "a"), make_post(1, "a", text="again"), make_post(2, "b", collected=False)],
        [make_post(2, "b", text="now collected"), make_post(3, "c", collected=False)],
        [make_post(3, "c", collected=False, text="ctx twice"), make_post(1, "a")],
        [make_post(4, "d", collected=False), make_post(4, "d"), make_post(4, "d", text="3rd")],
        [make_post(4, "d", collected=False), make_post(5, "e", platform="mastodon")],
        [make_post(5, "e"), make_post(5, "e", platform="mastodon")],
        [],
    ]
    new, reference = _both(batches)
    assert new == reference
    assert [(c.added, c.duplicates) for c in new[0]] == [
        (1, 1), (1, 0), (0, 1), (1, 1), (1, 0), (1, 1), (0, 0)
    ]  # fmt: skip


def test_hostile_texts_and_ids_give_the_reference_store():
    posts = [
        make_post(pid, author, text=text)
        for pid, author in [("'", "a"), ("1e999", "b"), ("9" * 40, "c"), ("", "d")]
        for text in _HOSTILE
    ]
    new, reference = _both([posts[:20], posts[10:]])
    assert new == reference


_post = st.builds(
    lambda pid, platform, collected, text: make_post(
        pid, f"u{pid}", platform=platform, collected=collected, text=text
    ),
    st.integers(0, 12),
    st.sampled_from(["x", "mastodon"]),
    st.booleans(),
    st.sampled_from(_HOSTILE) | st.text(max_size=30),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_post, max_size=12), max_size=5))
def test_arbitrary_batches_give_the_reference_store(batches):
    new, reference = _both(batches)
    assert new == reference


@pytest.mark.parametrize("seed", range(3))
def test_large_random_batches_give_the_reference_store(seed):
    rng = random.Random(seed)
    batches = [
        [
            make_post(rng.randrange(3000), "a", collected=rng.random() < 0.8, text=f"t{i}")
            for i in range(rng.randrange(1, 4000))
        ]
        for _ in range(4)
    ]
    new, reference = _both(batches)
    assert new == reference


# -- the text key computed ahead of the store (ingest's reader thread) -----------------------


def _tricky_texts(seed: int, n: int) -> list[str | None]:
    rng = random.Random(seed)
    return _HOSTILE + ["".join(rng.choices(_TRICKY, k=rng.randrange(16))) for _ in range(n)]


def _keys_in_store(texts: list[str | None]) -> list[str | None]:
    with Store(":memory:") as store:
        store.write_batch(posts_to_arrow([make_post(i, "a", text=t) for i, t in enumerate(texts)]))
        table = store.posts(text_keys="originals")
        return table.order_by(table.post_id.cast("int64")).text_norm.to_pyarrow().to_pylist()


def test_text_norm_in_the_store_equals_the_python_reference_on_hostile_texts():
    texts = _tricky_texts(11, 3000)
    assert _keys_in_store(texts) == [normalize_text(t) for t in texts]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text() | st.none(), max_size=20))
def test_text_norm_in_the_store_equals_the_python_reference_on_any_text(texts):
    assert _keys_in_store(texts) == [normalize_text(t) for t in texts]


def test_a_failing_insert_reports_its_own_error_and_leaves_nothing():
    good = posts_to_arrow([make_post(1, "a"), make_post(2, "b")])
    kind = good.schema.get_field_index("kind")
    bad = good.set_column(kind, "kind", pa.array([None, None], pa.string()))  # kind NOT NULL
    with Store(":memory:") as store:
        with pytest.raises(duckdb.ConstraintException, match="kind"):
            store.write_batch(bad)
        assert store.con.execute("SELECT count(*) FROM posts").fetchall() == [(0,)]
        assert store.write_batch(good) == BatchCounts(2, 0)


# -- the fingerprints of the stored keys (trendwatch.storekeys) ------------------------------


@pytest.mark.parametrize("buckets", [1, 3])
def test_colliding_key_hashes_give_the_reference_store(monkeypatch, buckets):
    # With every key on one hash (or three), every row is looked at: same posts, same counts.
    import trendwatch.store

    monkeypatch.setattr(trendwatch.store, "KEY_HASH_SQL", f"hash(platform, post_id) % {buckets}")
    rng = random.Random(buckets)
    batches = [
        [make_post(rng.randrange(300), "a", collected=rng.random() < 0.8) for _ in range(200)]
        for _ in range(4)
    ]
    new, reference = _both(batches)
    assert new == reference


def test_new_keys_never_read_the_stored_ones_and_a_repeat_does(monkeypatch):
    import trendwatch.store

    with Store(":memory:") as store:
        store.write_batch(posts_to_arrow([make_post(1, "a"), make_post(2, "b")]))
        monkeypatch.setattr(trendwatch.store, "_SPECIAL_KNOWN_SQL", "SELECT no_such_column")
        # New keys, one repeated within the batch: decided without the stored keys.
        counts = store.write_batch(posts_to_arrow([make_post(3, "c"), make_post(3, "c")]))
        assert counts == BatchCounts(1, 1)
        with pytest.raises(duckdb.BinderException, match="no_such_column"):
            store.write_batch(posts_to_arrow([make_post(4, "d"), make_post(2, "b")]))


def test_keys_written_through_another_connection_are_found(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.write_batch(posts_to_arrow([make_post(1, "a")]))
        other = store.cursor()
        assert other.write_batch(posts_to_arrow([make_post(2, "b")])) == BatchCounts(1, 0)
        counts = store.write_batch(posts_to_arrow([make_post(2, "b"), make_post(3, "c")]))
        assert counts == BatchCounts(1, 1)
        assert store.con.execute("SELECT count(*) FROM posts").fetchall() == [(3,)]


def test_keys_of_a_rolled_back_batch_are_new_again():
    posts = posts_to_arrow([make_post(1, "a"), make_post(2, "b")])
    with Store(":memory:") as store:
        schema = store.con.sql("SELECT * FROM accounts").to_arrow_table().schema
        no_id = pa.table({field.name: pa.nulls(1, field.type) for field in schema})
        # The posts are written, then undone; the error is the account's, not a later one.
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed: acc"):
            store.write_batch(posts, accounts=no_id)
        assert store.con.execute("SELECT count(*) FROM posts").fetchall() == [(0,)]
        assert store.write_batch(posts) == BatchCounts(2, 0)
        assert store.write_batch(posts) == BatchCounts(0, 2)


def test_a_run_of_batches_reads_the_stored_keys_once(monkeypatch):
    import trendwatch.store

    built = []

    class Counted(trendwatch.store.KeyFingerprints):
        def __init__(self, *args):
            built.append(args[0])
            super().__init__(*args)

    monkeypatch.setattr(trendwatch.store, "KeyFingerprints", Counted)
    with Store(":memory:") as store:
        for start in range(0, 50, 10):
            batch = [make_post(i, "a") for i in range(start, start + 10)]
            assert store.write_batch(posts_to_arrow(batch)) == BatchCounts(10, 0)
        assert built == [0]  # an empty store: nothing to read
        # Another connection's first batch looks its keys up; from its second, it reads them.
        other = store.cursor()
        for start in (50, 60, 70):
            batch = [make_post(i, "a") for i in range(start - 5, start + 10)]
            assert other.write_batch(posts_to_arrow(batch)) == BatchCounts(10, 5)
        assert built == [0, 60]
