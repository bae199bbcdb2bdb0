"""Erasure: remove an account (or a post) from every table of the store, and say which runs
it changes.

``forget(store, accounts=[...], posts=[...])`` removes, in one transaction:

- the account's posts (collected and context) and the posts named, and its profile;
- in other people's posts, what points at it: ``ref_author_id``, ``reply_to_author_id`` and
  ``ref_author_handle`` become NULL, its handle leaves ``mentions``, ``@handle`` in a text
  becomes ``@[forgotten]`` (its id, a DID for instance, and its display name written in full
  become ``[forgotten]``), a URL naming
  its handle becomes ``[forgotten]``, and references to a forgotten post (``ref_post_id``,
  ``reply_to_post_id``, ``conversation_id``) become NULL. Their own texts otherwise stay:
  they are other people's posts;
- every quarantined record that holds its id, one of its handles or a forgotten post id as a
  whole word: a record that could not be read cannot be told apart as "by it" or "about it",
  so both go (a short numeric id can so remove an unrelated record: the price of not keeping
  theirs);
- every row of every other table (the result tables of runs, found from the schema, and any
  table added later) that holds one of those values as a whole word in any text column:
  coordination edges and evidence, group members, edges and scores... Runs' parameters and
  summaries keep their numbers but the values are replaced by ``[forgotten]``.

A run is *changed* when rows of it were removed or rewritten, or when a forgotten post was in
its scope: a row of ``run_changes`` (run, time, reason) says so, and ``trendwatch runs`` and
``trendwatch evidence`` show it. Its results no longer match the store: run it again.

DELETE does not shrink a DuckDB file; :func:`trendwatch.compact.compact_store` does (the
``forget`` command runs it, as ``runs prune`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from .analysis.coordination.engine import Scope
from .errors import ParameterError
from .exports.package_privacy import MIN_NAME_CHARS
from .runs import RUN_CHANGES, mark_changed, transaction
from .text import normalize_hashtag
from .times import parse_bound

__all__ = ["Forgotten", "forget", "FORGOTTEN"]

FORGOTTEN = "[forgotten]"
"""What replaces a forgotten handle or id inside a text that stays."""
_OWN_TABLES = {"posts", "accounts", "quarantine", "runs", "meta", RUN_CHANGES}
_NEVER = r"(a)(\b)(b)"
"""A pattern that matches nothing (RE2 has no lookahead): no word boundary lies between two
letters. Three groups, as the patterns it stands for (replacements name ``\\3``)."""
_MIN_ID_CHARS_IN_TEXT = 6
"""An id shorter than this is not searched inside texts (it would match ordinary numbers)."""


@dataclass(frozen=True)
class Forgotten:
    """What :func:`forget` removed.

    Attributes
    ----------
    accounts : DataFrame
        ``platform, account_id, handles`` of the accounts forgotten.
    posts : int
        Posts removed (theirs and those named).
    rows : dict
        Table -> rows removed; ``"posts changed"`` and ``"accounts changed"``: others' rows
        rewritten; ``"runs changed"``: rows of ``runs`` whose parameters or summary were.
    changed_runs : list of str
        The runs now marked as changed.
    """

    accounts: pd.DataFrame
    posts: int
    rows: dict = field(default_factory=dict)
    changed_runs: list = field(default_factory=list)


def forget(store, *, accounts=(), posts=()) -> Forgotten:
    """Remove accounts (id or handle, ``@`` optional) and posts (id) from the store.

    Raises :class:`~trendwatch.errors.ParameterError`, removing nothing, when one of them is
    not in the store (a mistyped handle must not pass for an erasure).

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(posts_to_arrow(
    ...     [Post("x", "1", "42", author_handle="Ann"), Post("x", "2", "7", text="hi @ann")]))
    >>> done = forget(store, accounts=["@ann"])
    >>> done.posts, store.con.execute("SELECT text FROM posts").fetchall()
    (1, [('hi @[forgotten]',)])
    """
    if not accounts and not posts:
        raise ParameterError("say what to forget: --account ID_OR_HANDLE and/or --post ID")
    found = _accounts(store, accounts)
    ids = sorted(set(found["account_id"]))
    handles = sorted({h for hs in found["handles"] for h in hs})
    names = _names(store, ids)
    post_ids = _post_ids(store, posts, ids)
    in_scope = _runs_with_posts_in_scope(store, post_ids)
    with transaction(store):
        rows, touched = _erase(store, _Values(ids, handles, post_ids, names))
        changed = sorted(set(in_scope) | touched)
        mark_changed(store, changed, _reason(accounts, posts))
    store.con.execute("CHECKPOINT")
    return Forgotten(found, len(post_ids), rows, changed)


def _accounts(store, given) -> pd.DataFrame:
    """``platform, account_id, handles`` of each given id or handle; unknown ones refused."""
    frames, unknown = [], []
    for value in given:
        name = str(value).removeprefix("@")
        rows = store.con.execute(_ACCOUNT_SQL, [name, name, name, name]).fetchall()
        if not rows:
            unknown.append(str(value))
        frames += rows
    if unknown:
        raise ParameterError(
            f"no account {', '.join(map(repr, unknown))} in the store (by id or handle); "
            "nothing was removed"
        )
    frame = pd.DataFrame(frames, columns=["platform", "account_id"]).drop_duplicates()
    frame["handles"] = [_handles(store, p, a) for p, a in frame.itertuples(index=False)]
    return frame.reset_index(drop=True)


_ACCOUNT_SQL = """
    SELECT platform, account_id FROM accounts WHERE account_id = ? OR lower(handle) = lower(?)
    UNION
    SELECT platform, author_id FROM posts WHERE author_id = ? OR lower(author_handle) = lower(?)
"""


def _handles(store, platform: str, account_id: str) -> list[str]:
    found = store.con.execute(
        "SELECT lower(handle) FROM accounts WHERE platform = ? AND account_id = ? "
        "UNION SELECT lower(author_handle) FROM posts WHERE platform = ? AND author_id = ?",
        [platform, account_id, platform, account_id],
    ).fetchall()
    return sorted(h for (h,) in found if h)


def _post_ids(store, posts, ids: list[str]) -> list[str]:
    """The ids of the posts to remove: those named (refused when unknown) and the accounts'."""
    named = [str(p) for p in posts]
    known = {
        p for (p,) in store.con.execute(
            "SELECT DISTINCT post_id FROM posts WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
            [named],
        ).fetchall()
    }  # fmt: skip
    unknown = [p for p in named if p not in known]
    if unknown:
        raise ParameterError(
            f"no post {', '.join(map(repr, unknown))} in the store; nothing was removed"
        )
    theirs = store.con.execute(
        "SELECT DISTINCT post_id FROM posts WHERE author_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    ).fetchall()
    return sorted(known | {p for (p,) in theirs})


def _runs_with_posts_in_scope(store, post_ids: list[str]) -> list[str]:
    """The runs whose scope (hashtags, times, platform) holds one of the collected posts."""
    posts = store.con.execute(
        "SELECT platform, created_at, hashtags FROM posts WHERE collected "
        "AND post_id IN (SELECT unnest(?::VARCHAR[]))",
        [post_ids],
    ).fetchall()
    if not posts:
        return []
    runs = store.con.execute("SELECT run_id, params FROM runs").fetchall()
    return [run_id for run_id, params in runs if any(_holds(_scope(params), p) for p in posts)]


def _scope(params) -> Scope:
    import json

    values = json.loads(params) if params else {}
    return Scope(
        hashtags=tuple(normalize_hashtag(t) for t in values.get("hashtags") or ()) or None,
        since=_time(values.get("since")),
        until=_time(values.get("until")),
        platform=values.get("platform"),
    )


def _time(value):
    return parse_bound(value, "a run's scope") if value else None


def _holds(scope: Scope, post) -> bool:
    platform, created_at, hashtags = post
    return (
        (not scope.hashtags or bool(set(scope.hashtags) & set(hashtags or ())))
        and (scope.since is None or (created_at is not None and created_at >= scope.since))
        and (scope.until is None or (created_at is not None and created_at < scope.until))
        and (scope.platform is None or scope.platform == platform)
    )


def _names(store, ids: list[str]) -> list[str]:
    """The accounts' display names long enough to look for in texts (as packages do)."""
    found = store.con.execute(
        "SELECT DISTINCT name FROM accounts WHERE list_contains(?, account_id) "
        "AND length(name) >= ?",
        [ids, MIN_NAME_CHARS],
    ).fetchall()
    return sorted(n for (n,) in found)


def _erase(store, values: _Values) -> tuple[dict, set]:
    """Every removal and rewrite; table -> rows, and the runs whose rows were touched."""
    rows = {
        "posts": _count(store, "DELETE FROM posts WHERE list_contains($posts, post_id) "
                        "OR list_contains($ids, author_id)", values),
        "posts changed": _count(store, _OTHERS_POSTS_SQL, values),
        "accounts": _count(store, "DELETE FROM accounts WHERE list_contains($ids, account_id)",
                           values),
        "accounts changed": _count(store, _OTHERS_ACCOUNTS_SQL, values),
        "quarantine": _count(store, "DELETE FROM quarantine WHERE "
                             "regexp_matches(raw, $pattern)", values),
    }  # fmt: skip
    touched = _rewrite_runs(store, values)
    rows["runs changed"] = len(touched)
    for table, columns in _other_tables(store).items():
        runs, rows[table] = _delete_naming(store, table, columns, values)
        touched |= runs
    return rows, touched


class _Values:
    """The forgotten values as query parameters, and the pattern that finds them in text."""

    def __init__(self, ids, handles, post_ids, names=()):
        self.ids, self.handles, self.post_ids = list(ids), list(handles), list(post_ids)
        self.name_pattern = (
            r"(^|[^\w])(" + "|".join(map(re.escape, names)) + r")([^\w]|$)" if names else _NEVER
        )
        words = [*self.ids, *self.handles, *self.post_ids]
        self.pattern = _word_pattern(words) if words else _NEVER
        in_text = [i for i in self.ids if len(i) >= _MIN_ID_CHARS_IN_TEXT]
        self.id_pattern = _word_pattern(in_text) if in_text else _NEVER
        self.mention_pattern = (
            r"(?i)(^|[^\w@])@(" + "|".join(map(re.escape, self.handles)) + r")\b"
            if self.handles else _NEVER
        )  # fmt: skip
        self.url_pattern = (
            r"(?i)/@?(" + "|".join(map(re.escape, self.handles)) + r")([/?#@]|$)"
            if self.handles else _NEVER
        )  # fmt: skip

    def used_by(self, sql: str) -> dict:
        """The parameters ``sql`` names (DuckDB refuses named parameters it does not use)."""
        return {k: v for k, v in self.params().items() if re.search(rf"\${k}\b", sql)}

    def params(self) -> dict:
        return {
            "ids": self.ids, "handles": self.handles, "posts": self.post_ids,
            "pattern": self.pattern, "id_pattern": self.id_pattern, "names": self.name_pattern,
            "mention": self.mention_pattern, "url": self.url_pattern,
            "forgotten": FORGOTTEN, "at_ids": [f"at://{i}/" for i in self.ids],
        }  # fmt: skip


def _word_pattern(words: list[str]) -> str:
    """RE2: any of ``words`` as a whole word (not inside a longer word), case-insensitive."""
    return r"(?i)(^|[^\w])(" + "|".join(map(re.escape, sorted(set(words)))) + r")([^\w]|$)"


def _count(store, sql: str, values: _Values) -> int:
    """Run one statement with the parameters it names; the rows it changed."""
    [(count,)] = store.con.execute(sql, values.used_by(sql)).fetchall()
    return int(count)


def _rewrite_runs(store, values: _Values) -> set[str]:
    """Forgotten values replaced in the runs' parameters and summaries; the runs rewritten."""
    found = store.con.execute(_RUNS_SQL, values.used_by(_RUNS_SQL)).fetchall()
    return {run_id for (run_id,) in found}


def _refers(column: str) -> str:
    """SQL: ``column`` (a post reference) names a forgotten post, or a post URI of a
    forgotten account (``at://<did>/...``)."""
    return (
        f"(list_contains($posts, {column}) OR "
        f"list_bool_or(list_transform($at_ids, lambda p: starts_with({column}, p))))"
    )


def _unless(condition: str, column: str) -> str:
    return f"{column} = CASE WHEN {condition} THEN NULL ELSE {column} END"


_REPLACED_IN_TEXT = (
    "regexp_replace(regexp_replace(regexp_replace({c}, $mention, '\\1@' || $forgotten, 'g'), "
    "$id_pattern, '\\1' || $forgotten || '\\3', 'g'), $names, '\\1' || $forgotten || '\\3', 'g')"
)
_OTHERS_POSTS_SQL = f"""
    UPDATE posts SET
        {_unless("list_contains($ids, ref_author_id)", "ref_author_id")},
        {_unless("list_contains($ids, reply_to_author_id)", "reply_to_author_id")},
        {_unless("list_contains($handles, lower(ref_author_handle))", "ref_author_handle")},
        mentions = list_filter(mentions, lambda m: NOT list_contains($handles, lower(m))),
        urls = list_transform(
            urls, lambda u: CASE WHEN regexp_matches(u, $url) THEN $forgotten ELSE u END),
        {_unless(_refers("ref_post_id"), "ref_post_id")},
        {_unless(_refers("reply_to_post_id"), "reply_to_post_id")},
        {_unless(_refers("conversation_id"), "conversation_id")},
        text = {_REPLACED_IN_TEXT.format(c="text")},
        text_norm = NULL
    WHERE list_contains($ids, ref_author_id) OR list_contains($ids, reply_to_author_id)
       OR list_contains($handles, lower(ref_author_handle))
       OR list_has_any(list_transform(mentions, lambda m: lower(m)), $handles)
       OR list_bool_or(list_transform(urls, lambda u: regexp_matches(u, $url)))
       OR {_refers("ref_post_id")} OR {_refers("reply_to_post_id")}
       OR {_refers("conversation_id")}
       OR regexp_matches(text, $mention) OR regexp_matches(text, $id_pattern)
       OR regexp_matches(text, $names)
"""
_OTHERS_ACCOUNTS_SQL = f"""
    UPDATE accounts SET description = {_REPLACED_IN_TEXT.format(c="description")}
    WHERE regexp_matches(description, $mention) OR regexp_matches(description, $id_pattern)
       OR regexp_matches(description, $names)
"""
_RUNS_SQL = """
    UPDATE runs SET
        params = regexp_replace(params::VARCHAR, $pattern, '\\1' || $forgotten || '\\3', 'g'),
        summary = regexp_replace(summary::VARCHAR, $pattern, '\\1' || $forgotten || '\\3', 'g')
    WHERE regexp_matches(params::VARCHAR, $pattern) OR regexp_matches(summary::VARCHAR, $pattern)
    RETURNING run_id
"""


def _other_tables(store) -> dict[str, list[str]]:
    """Every table but the store's own, with its text columns (JSON and lists included)."""
    found = store.con.execute("""
        SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns()
        WHERE NOT internal AND database_name = current_database()
          AND schema_name = current_schema()
          AND (data_type IN ('VARCHAR', 'JSON') OR data_type LIKE 'VARCHAR[]%')
        GROUP BY table_name ORDER BY table_name
    """).fetchall()  # fmt: skip
    return {table: columns for table, columns in found if table not in _OWN_TABLES}


def _delete_naming(store, table: str, columns: list[str], values: _Values) -> tuple[set, int]:
    """Delete the rows of ``table`` naming a forgotten value; (their run ids, how many)."""
    # ``table`` and ``columns`` come from the store's schema, the values are parameters.
    naming = " OR ".join(f'regexp_matches("{c}"::VARCHAR, $pattern)' for c in columns)
    has_run = "run_id" in columns
    returned = "run_id" if has_run else "1"
    removed = store.con.execute(
        f'DELETE FROM "{table}" WHERE {naming} RETURNING {returned}', {"pattern": values.pattern}
    ).fetchall()
    runs = {r for (r,) in removed} if has_run else set()
    return runs, len(removed)


def _reason(accounts, posts) -> str:
    parts = [f"{len(accounts)} account(s)"] if accounts else []
    parts += [f"{len(posts)} post(s)"] if posts else []
    return f"forgotten: {' and '.join(parts)}; its results no longer match the store"
