"""The store: idempotent batch writes, context posts, accounts, quarantine, provenance."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta

import duckdb
import pyarrow as pa
import pytest

from tests.conftest import T0, add_posts, make_post
from trendwatch.errors import ParameterError, SchemaVersionError, StoreError
from trendwatch.model import Account, accounts_to_arrow, posts_to_arrow
from trendwatch.store import SCHEMA_VERSION, Store
from trendwatch.text import normalize_text


def _keys(store: Store, where: str = "TRUE") -> list[tuple[str, bool]]:
    return store.con.execute(
        f"SELECT post_id, collected FROM posts WHERE {where} ORDER BY post_id"
    ).fetchall()


def test_new_posts_are_added_and_repeats_are_duplicates(store):
    first = add_posts(store, [make_post(1, "a"), make_post(2, "b"), make_post(2, "b")])
    assert (first.added, first.duplicates) == (2, 1)
    again = add_posts(store, [make_post(1, "a"), make_post(3, "c")])
    assert (again.added, again.duplicates) == (1, 1)
    assert _keys(store) == [("1", True), ("2", True), ("3", True)]


def test_post_texts_are_cut_and_cover_context_posts(store):
    add_posts(
        store,
        [
            make_post(1, "a", text="héllo wörld"),
            make_post(2, "b"),  # no text
            make_post(3, "c", text="context", collected=False),
        ],
    )
    texts = store.post_texts(["1", "2", "3", "404", "1"], chars=4)
    assert texts == {"1": "héll", "2": "", "3": "cont"}


def test_same_id_on_two_platforms_is_two_posts(store):
    counts = add_posts(store, [make_post(1, "a"), make_post(1, "a", platform="mastodon")])
    assert counts.added == 2


def test_context_posts_are_stored_but_not_counted(store):
    counts = add_posts(store, [make_post(9, "c", collected=False), make_post(1, "a")])
    assert (counts.added, counts.duplicates) == (1, 0)
    assert _keys(store) == [("1", True), ("9", False)]
    assert store.posts().count().execute() == 1
    assert store.posts(include_context=True).count().execute() == 2


def test_context_seen_again_changes_nothing(store):
    add_posts(store, [make_post(9, "c", text="first", collected=False)])
    counts = add_posts(store, [make_post(9, "c", text="second", collected=False)])
    assert (counts.added, counts.duplicates) == (0, 0)
    assert store.con.execute("SELECT text FROM posts").fetchall() == [("first",)]


def test_context_post_later_collected_becomes_collected(store):
    add_posts(store, [make_post(9, "c", text="as context", collected=False)])
    counts = add_posts(store, [make_post(9, "c", text="as collected")])
    assert (counts.added, counts.duplicates) == (1, 0)
    assert store.con.execute("SELECT text, collected FROM posts").fetchall() == [
        ("as collected", True)
    ]


def test_collected_and_context_forms_in_one_batch_keep_the_collected(store):
    counts = add_posts(
        store, [make_post(9, "c", text="ctx", collected=False), make_post(9, "c", text="own")]
    )
    assert (counts.added, counts.duplicates) == (1, 0)
    assert store.con.execute("SELECT text, collected FROM posts").fetchall() == [("own", True)]


def test_collected_post_is_never_downgraded_by_context(store):
    add_posts(store, [make_post(9, "c", text="own")])
    add_posts(store, [make_post(9, "c", text="ctx", collected=False)])
    assert store.con.execute("SELECT text, collected FROM posts").fetchall() == [("own", True)]


@pytest.mark.parametrize(
    "text",
    [
        "RT @someone: Hello   @Bob https://t.co/x WORLD ",
        "Été\u00a0déjà vu — @Alice@mastodon.social dit «bonjour»\n\n#Tag",
        "mail@example.com keeps its at; HTTPS://EXAMPLE.com/Path?q=1 goes",
        "",
        "\t tabs\tand\r\nnewlines ",
        "e\u0301 composed vs é precomposed…https://x.y/…",
    ],
)
def test_text_norm_in_sql_equals_the_python_reference(store, text):
    add_posts(store, [make_post(1, "a", text=text)])
    assert _text_keys(store) == [normalize_text(text)]


def _text_keys(store: Store, which: str = "originals") -> list[str | None]:
    """The stored text keys after asking for those of ``which``, in post id order."""
    table = store.posts(include_context=True, text_keys=which)
    rows = table.order_by(table.post_id.cast("int64")).text_norm.to_pyarrow()
    return rows.to_pylist()


# Characters that exercise every step of the key: NFC (combining marks, Hangul jamo,
# singletons such as the Angstrom sign), case, the RT prefix, URLs, mentions and white space.
_TRICKY = list("aAeE\u0301\u0308\u0327\u1100\u1161\u11a8\uac00\u212b\u2126\u00c5\u0958")
_TRICKY += ["rt @", "RT @x: ", "http://", "HTTPS://a.b/C", "@", "@bob", "@a@b.c", " ", "  "]
_TRICKY += ["\t", "\n", "\r", "\f", ":", "\u2026", "\u00a0", "é", "Ж", "#t", "x"]
_TRICKY += ["\u0130", "\u03a3", "\u03c2", "\u03c3", "\u0307"]  # İ, Σ, ς, σ, combining dot


def test_text_norm_in_sql_equals_the_python_reference_on_every_character():
    from trendwatch.store import _text_norm_select

    chars = [chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000]
    texts = [f"A{c}\u03a3 {c}\u0130{c}" for c in chars]  # a final sigma, a dotted capital I
    with duckdb.connect() as con:
        con.register("_texts", pa.table({"text": texts}))
        keyed = con.sql(f"SELECT text_norm FROM ({_text_norm_select('_texts')})")
        stored = keyed.to_arrow_table()["text_norm"].to_pylist()
    wrong = [(t, s) for t, s in zip(texts, stored, strict=True) if s != normalize_text(t)]
    assert not wrong, wrong[:5]


def test_text_norm_in_sql_equals_the_python_reference_on_tricky_texts(store):
    rng = random.Random(5)
    texts = ["".join(rng.choices(_TRICKY, k=rng.randrange(12))) for _ in range(3000)]
    add_posts(store, [make_post(i, "a", text=t) for i, t in enumerate(texts)])
    assert _text_keys(store) == [normalize_text(t) for t in texts]


def _stored_keys(store: Store) -> dict[str, str | None]:
    return dict(store.con.execute("SELECT post_id, text_norm FROM posts").fetchall())


def _keyed_posts() -> list:
    return [
        make_post(1, "a", text="Hello  @x"),
        make_post(2, "b", kind="repost", text="RT @a: Hello @x", ref_post_id="1"),
        make_post(3, "c", kind="repost", text="RT @a: Hi THERE"),  # names no post (IRA)
        make_post(4, "d", kind="reply", text=None, reply_to_post_id="1"),
    ]


def test_text_keys_are_computed_when_first_asked_for_and_only_where_read(store):
    add_posts(store, _keyed_posts())
    assert set(_stored_keys(store).values()) == {None}  # ingest leaves them to the analyses
    assert _text_keys(store, "originals") == ["hello", None, None, ""]
    assert _text_keys(store, "unresolved reposts") == ["hello", None, "hi there", ""]
    # the repost that names its post never needs one; the others are stored
    assert _stored_keys(store) == {"1": "hello", "2": None, "3": "hi there", "4": ""}


def test_posts_added_after_the_keys_get_theirs_at_the_next_call(store):
    add_posts(store, _keyed_posts()[:1])
    assert _text_keys(store) == ["hello"]
    add_posts(store, [make_post(5, "e", text="Héllo!")])
    assert _stored_keys(store)["5"] is None
    assert _text_keys(store) == ["hello", "héllo!"]


def test_text_keys_are_filled_chunk_by_chunk(store, monkeypatch):
    monkeypatch.setattr("trendwatch.store.TEXT_KEY_CHUNK_ROWS", 2)
    add_posts(store, [make_post(i, "a", text=f"Post {i}") for i in range(5)])
    add_posts(store, [make_post(9, "a", text="LAST")])
    assert _text_keys(store) == [f"post {i}" for i in range(5)] + ["last"]


def test_a_read_only_store_computes_missing_keys_in_a_view_and_writes_nothing(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        add_posts(store, _keyed_posts())
    with Store(db, read_only=True) as store:
        assert _text_keys(store, "originals") == ["hello", None, None, ""]
        assert _text_keys(store, "unresolved reposts") == [None, None, "hi there", None]
        assert set(_stored_keys(store).values()) == {None}
        collected = store.posts(text_keys="originals").count().execute()
        assert collected == 4
    with Store(db) as store:  # once stored, a read-only store reads them as they are
        _text_keys(store, "originals")
    with Store(db, read_only=True) as store:
        assert _text_keys(store, "originals") == ["hello", None, None, ""]


def test_unknown_text_keys_are_refused(store):
    with pytest.raises(ParameterError, match="text_keys must be one of"):
        store.posts(text_keys="everything")


def test_nfc_skip_class_covers_every_character_nfc_changes():
    import re
    import unicodedata

    from trendwatch.store import _nfc_unstable_class

    re2_class = _nfc_unstable_class()  # RE2 spells code points \x{hex}; Python does not
    python_class = re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: f"\\U{int(m[1], 16):08x}", re2_class)
    pattern = re.compile(python_class)
    changed = [chr(c) for c in range(0x30000) if unicodedata.normalize("NFC", chr(c)) != chr(c)]
    assert changed and all(pattern.fullmatch(c) for c in changed)
    assert pattern.fullmatch("\u0301") and not pattern.fullmatch("é")


def test_accounts_latest_observation_wins_field_by_field(store):
    old = Account("x", "a", handle="old", followers=10, description="bio", observed_at=T0)
    new = Account("x", "a", handle="new", followers=20, observed_at=T0 + timedelta(days=1))
    older = Account("x", "a", handle="oldest", followers=1, observed_at=T0 - timedelta(days=9))
    store.write_batch(accounts=accounts_to_arrow([old]))
    store.write_batch(accounts=accounts_to_arrow([new, older]))
    row = store.con.execute("SELECT handle, followers, description FROM accounts").fetchall()
    assert row == [("new", 20, "bio")]


def test_accounts_of_one_batch_prefer_the_latest_time_then_the_later_row(store):
    day = T0 + timedelta(days=1)
    rows = [("1", "a", None), ("1", "b", day), ("1", "c", None), ("2", "d", None)]
    rows += [("2", "e", None), ("1", "f", day), ("1", "g", T0)]
    batch = [Account("x", i, handle=h, observed_at=when) for i, h, when in rows]
    store.write_batch(accounts=accounts_to_arrow(batch))
    found = store.con.execute("SELECT account_id, handle FROM accounts ORDER BY 1").fetchall()
    assert found == [("1", "f"), ("2", "e")]


def test_quarantine_is_keyed_by_source_and_record(store):
    rows = [("f.jsonl", 3, "{bad", "invalid JSON"), ("f.jsonl", 3, "{bad", "invalid JSON")]
    store.write_batch(quarantine=rows)
    store.write_batch(quarantine=rows[:1])
    assert store.quarantine().count().execute() == 1


def test_failed_batch_leaves_nothing_behind(store):
    posts = posts_to_arrow([make_post(1, "a")])
    broken_accounts = pa.table({"not_an_account_column": [1]})
    with pytest.raises(duckdb.Error):
        store.write_batch(posts, broken_accounts)
    assert store.con.execute("SELECT count(*) FROM posts").fetchone() == (0,)


def test_fingerprint_changes_when_posts_change(store):
    before = store.fingerprint()
    add_posts(store, [make_post(1, "a")])
    after = store.fingerprint()
    assert before != after
    assert store.fingerprint() == after


def test_runs_never_overwrite(store):
    first = store.record_run("test", {"window": 10})
    second = store.record_run("test", {"window": 10})
    assert first != second
    assert store.runs().count().execute() == 2


def test_reopening_a_file_store_keeps_data(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        add_posts(s, [make_post(1, "a")])
    with Store(db, read_only=True) as s:
        assert s.posts().count().execute() == 1


def test_read_only_store_must_exist(tmp_path):
    with pytest.raises(StoreError, match="trendwatch ingest"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_a_store_held_by_another_process_names_the_way_out(tmp_path):
    db = tmp_path / "t.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1], "
         "read_only=True); print('held', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        # The writer waits for the lock, then names the holder and how to wait longer.
        with pytest.raises(StoreError, match=rf"pid {holder.pid} \(.*TRENDWATCH_LOCK_WAIT"):
            Store(db, lock_wait=0.3)
    finally:
        holder.communicate("")


def test_store_from_another_schema_version_is_refused(tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        s.con.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION + 1]
        )
    with pytest.raises(SchemaVersionError, match="new store"):
        Store(db)
