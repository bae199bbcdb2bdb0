"""What a data package holds: the posts, accounts, runs and result rows of a scope.

The scope is a slice of the store (hashtags, a time range, a platform) or one group of a
stored groups run, or the whole store. A package holds:

- ``posts``: the collected posts in the scope, and the context posts they repost, quote or
  reply to (stored as context, so that references resolve). A hashtag or time scope also
  brings every post of its platform on the whole UTC days its posts span: the significance
  test of a run compares its accounts with that day's crowd
  (:func:`~trendwatch.analysis.coordination.significance.context_of`), so without them the
  runs could not be computed again (``whole_days=False`` leaves them out);
- ``accounts``: the profiles of the authors of those collected posts, no one else's (the
  authors a post only points at are not part of the campaign);
- ``runs``: the stored runs computed on a part of the scope (a run whose hashtags, times and
  platform lie inside the package's), with their rows in every result table (found from the
  store's schema, as :func:`trendwatch.runs.result_tables` does) and ``run_inputs``. For a
  group: the groups run and the coordination runs it read, restricted to the group's rows
  and to the edges and evidence between its members.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from ..analysis.coordination.engine import Scope
from ..analysis.coordination.group_runs import KIND as GROUPS_KIND
from ..analysis.coordination.group_runs import load_groups_run
from ..analysis.coordination.significance import context_of
from ..connections import registered
from ..errors import NoDataError, ParameterError
from ..model import ACCOUNT_SCHEMA, POST_SCHEMA
from ..runs import RUN_INPUTS, has_table, result_tables
from ..text import normalize_hashtag
from ..times import parse_bound

__all__ = ["PackageScope", "select_tables"]

_POSTS = ", ".join(POST_SCHEMA.names)
_ACCOUNTS = ", ".join(ACCOUNT_SCHEMA.names)


@dataclass(frozen=True)
class PackageScope:
    """Which part of the store a package holds; every field empty: the whole store.

    ``group`` is a group id of the groups run ``groups_run`` (default: the latest groups
    run); it cannot be combined with the other fields (the run's own scope applies).
    ``whole_days``: for a hashtag or time scope, also every post of its platform on the UTC
    days its posts span, as the significance test of its runs read them (module docs).
    """

    hashtags: tuple[str, ...] = ()
    since: datetime | str | None = None
    until: datetime | str | None = None
    platform: str | None = None
    group: int | None = None
    groups_run: str | None = None
    whole_days: bool = True

    def as_scope(self) -> Scope:
        return Scope(
            hashtags=tuple(self.hashtags) or None,
            since=_bound(self.since, "--since"),
            until=_bound(self.until, "--until"),
            platform=self.platform,
        )

    def to_dict(self) -> dict:
        scope = self.as_scope()
        return {
            "hashtags": [normalize_hashtag(t) for t in self.hashtags],
            "since": scope.since.isoformat() if scope.since else None,
            "until": scope.until.isoformat() if scope.until else None,
            "platform": self.platform,
            "group": self.group,
            "groups_run": self.groups_run,
            "whole_days": self.whole_days,
        }


def _bound(value, name: str) -> datetime | None:
    return parse_bound(value, name) if isinstance(value, str) else value


def select_tables(store, scope: PackageScope) -> dict[str, pa.Table]:
    """Table name -> its rows in the package (see the module docs), as stored.

    Raises :class:`~trendwatch.errors.NoDataError` when the scope holds no post.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> from trendwatch.model import Post, posts_to_arrow
    >>> store = Store(":memory:")
    >>> _ = store.write_batch(posts_to_arrow([Post("x", "1", "a", hashtags=("t",))]))
    >>> sorted((k, v.num_rows) for k, v in select_tables(store, PackageScope()).items())
    [('accounts', 0), ('posts', 1), ('run_changes', 0), ('runs', 0)]
    """
    if scope.group is not None:
        return _group_tables(store, scope)
    if scope.groups_run is not None:
        raise ParameterError("--run names the groups run of --group: give --group too")
    wanted = scope.as_scope()
    if wanted.apply(store.posts()).count().execute() == 0:
        raise NoDataError(f"no post in the package's scope ({_describe(wanted, None)})")
    posts = _posts(store, context_of(store, wanted) if scope.whole_days else wanted)
    run_ids = [run_id for run_id, params in _runs(store) if _inside(params, scope.as_scope())]
    return {"posts": posts, "accounts": _accounts(store, posts), **_run_rows(store, run_ids)}


def _posts(store, scope: Scope, authors: list[str] | None = None) -> pa.Table:
    """The collected posts of ``scope`` (by ``authors`` when given) and their context posts."""
    posts = scope.apply(store.posts())
    if authors is not None:
        posts = posts.filter(posts.author_id.isin(authors))
    collected = posts.select(*POST_SCHEMA.names).to_pyarrow()
    if collected.num_rows == 0:
        raise NoDataError(f"no post in the package's scope ({_describe(scope, authors)})")
    with registered(store.con, "_tw_package_posts", collected):
        context = store.con.sql(f"""
            SELECT {_POSTS} FROM posts WHERE NOT collected AND (platform, post_id) IN (
                SELECT (platform, ref_post_id) FROM _tw_package_posts
                UNION SELECT (platform, reply_to_post_id) FROM _tw_package_posts)
            ORDER BY platform, post_id
        """).to_arrow_table()  # fmt: skip
    return pa.concat_tables([collected.cast(POST_SCHEMA), context.cast(POST_SCHEMA)])


def _describe(scope: Scope, authors) -> str:
    parts = [f"#{t}" for t in scope.hashtags or ()]
    parts += [f"since {scope.since:%Y-%m-%d %H:%M}"] if scope.since else []
    parts += [f"until {scope.until:%Y-%m-%d %H:%M}"] if scope.until else []
    parts += [f"platform {scope.platform}"] if scope.platform else []
    parts += [f"{len(authors)} group members"] if authors is not None else []
    return ", ".join(parts) or "the whole store"


def _accounts(store, posts: pa.Table) -> pa.Table:
    authors = posts.filter(posts["collected"]).select(["platform", "author_id"])
    with registered(store.con, "_tw_package_authors", authors):
        return store.con.sql(f"""
            SELECT {_ACCOUNTS} FROM accounts WHERE (platform, account_id) IN (
                SELECT (platform, author_id) FROM _tw_package_authors)
            ORDER BY platform, account_id
        """).to_arrow_table().cast(ACCOUNT_SCHEMA)  # fmt: skip


def _runs(store) -> list[tuple[str, dict]]:
    rows = store.con.execute("SELECT run_id, params FROM runs ORDER BY created_at, run_id")
    return [(run_id, json.loads(params) if params else {}) for run_id, params in rows.fetchall()]


def _inside(params: dict, scope: Scope) -> bool:
    """Whether a run with these parameters read only posts that ``scope`` holds."""
    run = Scope(
        hashtags=tuple(params.get("hashtags") or ()) or None,
        since=_bound(params.get("since"), "since"),
        until=_bound(params.get("until"), "until"),
        platform=params.get("platform"),
    )
    wanted = {normalize_hashtag(t) for t in scope.hashtags or ()}
    tags = {normalize_hashtag(t) for t in run.hashtags or ()}
    return (
        (not wanted or (bool(tags) and tags <= wanted))
        and (scope.since is None or (run.since is not None and run.since >= scope.since))
        and (scope.until is None or (run.until is not None and run.until <= scope.until))
        and (scope.platform is None or run.platform == scope.platform)
    )  # fmt: skip


Condition = tuple[str, list]
"""A SQL condition written in this module and its parameters (the values, never in the SQL)."""


def _run_rows(store, run_ids: list[str], where: dict[str, Condition] | None = None) -> dict:
    """``runs``, ``run_inputs`` and every result table, restricted to ``run_ids``.

    ``where`` adds a condition per table.
    """
    where = where or {}
    tables = {"runs": _rows(store, "runs", run_ids, where.get("runs"))}
    for table in sorted({*result_tables(store), RUN_INPUTS} & _tables(store)):
        tables[table] = _rows(store, table, run_ids, where.get(table))
    return tables


def _tables(store) -> set[str]:
    return {name for name in result_tables(store) if has_table(store, name)} | (
        {RUN_INPUTS} if has_table(store, RUN_INPUTS) else set()
    )


def _rows(store, table: str, run_ids: list[str], condition: Condition | None) -> pa.Table:
    # ``table`` comes from the store's schema, the condition's SQL from this module.
    sql, params = condition or ("TRUE", [])
    return store.con.sql(
        f'SELECT * FROM "{table}" WHERE run_id IN (SELECT unnest(?::VARCHAR[])) AND ({sql}) '
        "ORDER BY ALL",
        params=[run_ids, *params],
    ).to_arrow_table()


def _group_tables(store, scope: PackageScope) -> dict[str, pa.Table]:
    if scope.hashtags or scope.since or scope.until or scope.platform:
        raise ParameterError(
            "--group takes the scope of its groups run: leave out --hashtag, --since, "
            "--until and --platform"
        )
    run_id = scope.groups_run or _latest_groups_run(store)
    stored = load_groups_run(store, run_id)
    members = stored.members.loc[stored.members["group_id"] == scope.group, "account_id"]
    if members.empty:
        raise ParameterError(f"groups run {run_id} has no group {scope.group}")
    members = sorted(members.astype(str))
    params = stored.params
    run_scope = Scope(
        hashtags=tuple(params.get("hashtags") or ()) or None,
        since=_bound(params.get("since"), "since"),
        until=_bound(params.get("until"), "until"),
        platform=params.get("platform"),
    )
    posts = _posts(store, run_scope, members)
    in_group = ("group_id = ?", [int(scope.group)])
    between = (
        "account_a IN (SELECT unnest(?::VARCHAR[])) AND account_b IN (SELECT unnest(?::VARCHAR[]))",
        [members, members],
    )
    where = {"group_members": in_group, "group_edges": in_group, "group_scores": in_group,
             "coordination_edges": between, "coordination_evidence": between}  # fmt: skip
    run_ids = [run_id, *stored.runs.values()]
    return {"posts": posts, "accounts": _accounts(store, posts), **_run_rows(store, run_ids, where)}


def _latest_groups_run(store) -> str:
    found = store.con.execute(
        "SELECT run_id FROM runs WHERE kind = ? ORDER BY created_at DESC, run_id DESC LIMIT 1",
        [GROUPS_KIND],
    ).fetchall()
    if not found:
        raise ParameterError("no groups run in the store: run `trendwatch groups` first")
    return found[0][0]
