"""Rolling detection: the check the watcher runs every ``--check-every`` seconds of stream time.

A :class:`Checker` is built from the store and the watcher's options (``--window``,
``--target``, ``--alerts FILE``, ``--webhook URL``). The watcher calls it with the stream
time once every event up to that time is committed; it returns the alerts it raised, after
storing each in the ``alerts`` table and handing it to its sinks (the alerts file, standard
output, the webhook).

At each check (rules in :mod:`.rules` and :mod:`.raids`):

1. score the trends of the last window; for each bursting hashtag, run the coordination
   verdict (:func:`trendwatch.groups`) on its posts of the last day, unrecorded (in a new
   store's first window and the quarter window after it, which have no baseline, every
   hashtag with enough posts, each again only once its posts grew by :data:`REJUDGE_GROWTH`);
2. when the verdict calls for an alert that escalates the hashtag's last one, run it again
   recorded, so that the alert's ``run_id`` is a groups run ``trendwatch evidence`` reads;
3. for each ``--target``, count its replies and mentions in the window and look for a
   coordinated core among them.

Everything a check reads is created before the stream time it is given, so the alerts depend
on the stream, never on the speed it is read at. The hashtags' escalation state is rebuilt
from the ``alerts`` table when a checker starts, so a restarted watcher does not repeat them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pandas as pd

from ..analysis.coordination.groups import GroupsResult, groups
from ..errors import InputError, ParameterError
from ..store import open_store
from .raids import RaidCheck, check_raid, reply_groups, resolve_target
from .rules import AlertRules, Previous, after_alert, escalation, kind_of, rising_hashtags

__all__ = ["Alert", "Checker", "WatchChecks", "AlertFile", "stored_alerts", "alert_line"]

Sink = Callable[["Alert"], None]


@dataclass(frozen=True)
class Alert:
    """One alert: what, when (stream time), how big, the numbers behind it, and its run.

    ``subject`` is the hashtag (kinds ``trend`` and ``coordination``) or the target as the
    user named it (``reply-raid``). ``numbers`` holds the scores, shares, q-values and group
    sizes the decision read (:meth:`to_dict` lists them beside the fixed fields).
    """

    time: datetime
    kind: str
    subject: str
    posts: int
    accounts: int
    window_s: int
    run_id: str | None
    escalation: str
    numbers: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The alert line's fields: ``time`` (ISO 8601, UTC), ``kind``, ``hashtag`` or
        ``target``, ``posts``, ``accounts``, ``window_s``, ``run_id``, ``escalation``, then
        the numbers."""
        subject = "target" if self.kind == "reply-raid" else "hashtag"
        return {
            "time": self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "kind": self.kind,
            subject: self.subject,
            "posts": self.posts,
            "accounts": self.accounts,
            "window_s": self.window_s,
            "run_id": self.run_id,
            "escalation": self.escalation,
            **self.numbers,
        }


def alert_line(alert: Alert) -> str:
    """The alert as one JSON line (no line end), ASCII only.

    Hashtags and handles are the data's: every character beyond ASCII is a ``\\uXXXX``
    escape, so the line decodes to the same strings and a terminal showing the file (``tail
    -f``) never meets a bidi or control character.

    >>> a = Alert(datetime(2025, 11, 14, 8, 31, tzinfo=UTC), "trend", "x", 120, 40, 3600,
    ...           None, "new")
    >>> alert_line(a)
    '{"time":"2025-11-14T08:31:00Z","kind":"trend","hashtag":"x","posts":120,...}'
    """
    return json.dumps(alert.to_dict(), ensure_ascii=True, separators=(",", ":"), default=str)


class AlertFile:
    """A sink that appends each alert as a JSON line to a file, flushed at once.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "alerts.jsonl")
    >>> AlertFile(path).path.name
    'alerts.jsonl'
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(f"--alerts {self.path}: is a folder; give a file path")

    def __call__(self, alert: Alert) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(alert_line(alert) + "\n")


REJUDGE_GROWTH = 1.25
"""Without a baseline, a hashtag is judged again once its posts grew by this factor."""


class Checker:
    """The rolling check (module docs): ``checker(stream_time) -> list[Alert]``.

    Parameters
    ----------
    store : Store
        The store the watcher writes (opened for writing: alerts and their runs are stored).
    rules : AlertRules
        Window, history and thresholds.
    targets : iterable of str
        Accounts to watch for reply raids (``@handle`` or an account id).
    sinks : iterable of callables
        Each is called with every alert raised (an :class:`AlertFile`, a webhook, a printer).

    Attributes
    ----------
    check_seconds, check_cpu_seconds : list of float
        Wall-clock and CPU seconds (of every thread of the process: DuckDB's too) each check
        took, in order.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> Checker(Store(":memory:"))(datetime(2025, 11, 14, 9, tzinfo=UTC))
    []
    """

    def __init__(
        self,
        store,
        *,
        rules: AlertRules | None = None,
        targets: Iterable[str] = (),
        sinks: Iterable[Sink] = (),
    ):
        if store.read_only:
            raise ParameterError("the checker stores its alerts: open the store for writing")
        self.store = store
        self.rules = rules or AlertRules()
        self.targets = tuple(dict.fromkeys(targets))
        self.sinks = tuple(sinks)
        self.check_seconds: list[float] = []
        self.check_cpu_seconds: list[float] = []
        self._previous = _previous_alerts(store)
        self._judged_without_baseline: dict[str, int] = {}

    def __call__(self, stream_time: datetime) -> list[Alert]:
        started, cpu = time.perf_counter(), time.process_time()
        at = _aware(stream_time)
        raised = self._hashtag_alerts(at) + self._raid_alerts(at)
        self._forget_quiet(at)
        for alert in raised:
            _store_alert(self.store, alert)
            for sink in self.sinks:
                sink(alert)
        self.check_seconds.append(time.perf_counter() - started)
        self.check_cpu_seconds.append(time.process_time() - cpu)
        return raised

    # -- hashtags ---------------------------------------------------------------------------
    def _hashtag_alerts(self, at: datetime) -> list[Alert]:
        found = []
        for row in rising_hashtags(self.store, at, self.rules).to_dict("records"):
            if not row["baseline"] and not self._grew_since_judged(row):
                continue
            alert = self._judge_hashtag(row, at)
            if alert is not None:
                found.append(alert)
        return found

    def _grew_since_judged(self, row: dict) -> bool:
        """Whether a hashtag judged without a baseline has :data:`REJUDGE_GROWTH` times the
        posts of its last verdict (noting them when it has).

        Without a baseline every hashtag with enough posts is a candidate at every check, and
        a verdict costs 1.5-3.5 CPU-s: the first window of a busy stream would cost a verdict
        per large hashtag per check. In that window the store holds only the window, so a
        hashtag's posts only grow; judging again at each quarter more bounds its verdicts at
        about eight from 100 to 500 posts. In the quarter window after it (still no baseline)
        the window slides past the store's first posts and a hashtag's posts may fall: it is
        judged again only above its last verdict's posts, and has a score again soon after.
        """
        last = self._judged_without_baseline.get(row["hashtag"])
        if last is not None and row["posts"] < REJUDGE_GROWTH * last:
            return False
        self._judged_without_baseline[row["hashtag"]] = int(row["posts"])
        return True

    def _judge_hashtag(self, row: dict, at: datetime) -> Alert | None:
        result = self._hashtag_groups(row["hashtag"], at, record=False)
        kind = kind_of(result.verdict)
        if kind is None:
            return None
        key = ("hashtag", row["hashtag"])
        core = result.verdict.core_accounts
        reason = escalation(self._previous.get(key), kind, int(row["posts"]), core)
        self._note_held(key, kind, int(row["posts"]), core, at, alerted=reason is not None)
        if reason is None:
            return None
        recorded = self._hashtag_groups(row["hashtag"], at, record=True)
        return Alert(
            at, kind, row["hashtag"], int(row["posts"]), int(row["accounts"]),
            self.rules.window_s, recorded.run_id, reason, _hashtag_numbers(row, recorded),
        )  # fmt: skip

    def _hashtag_groups(self, hashtag: str, at: datetime, *, record: bool) -> GroupsResult:
        return groups(
            self.store, hashtags=[hashtag], since=at - self.rules.history, until=at,
            record=record, null_day_end=at,
        )  # fmt: skip

    # -- targets ----------------------------------------------------------------------------
    def _raid_alerts(self, at: datetime) -> list[Alert]:
        if not self.targets:
            return []
        cache: dict[str, GroupsResult] = {}

        def found() -> GroupsResult:
            if "groups" not in cache:
                cache["groups"] = reply_groups(self.store, at, self.rules, record=False)
            return cache["groups"]

        alerts = []
        for name in self.targets:
            check = check_raid(self.store, resolve_target(self.store, name), at, self.rules, found)
            alert = self._raid_alert(check, at) if check.raided else None
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _raid_alert(self, check: RaidCheck, at: datetime) -> Alert | None:
        key = ("target", check.target.name)
        reason = escalation(self._previous.get(key), "reply-raid", check.posts, check.core_accounts)
        self._note_held(key, "reply-raid", check.posts, check.core_accounts, at, reason is not None)
        if reason is None:
            return None
        recorded = reply_groups(self.store, at, self.rules, record=True)
        return Alert(
            at, "reply-raid", check.target.name, check.posts, check.accounts,
            self.rules.window_s, recorded.run_id, reason, _raid_numbers(check),
        )  # fmt: skip

    # -- escalation state -------------------------------------------------------------------
    def _note_held(self, key, kind, posts, core, at, alerted: bool) -> None:
        before = self._previous.get(key)
        if alerted or before is None:
            self._previous[key] = after_alert(before if alerted else None, kind, posts, core, at)
        else:
            self._previous[key] = Previous(before.kind, before.posts, before.core_accounts,
                                           before.time, at)  # fmt: skip

    def _forget_quiet(self, at: datetime) -> None:
        quiet = [k for k, p in self._previous.items() if at - p.last_held > self.rules.window]
        for key in quiet:
            del self._previous[key]


class WatchChecks:
    """The watcher's check hook: a :class:`Checker` over the store at ``db``, opened for
    writing for the time of each check only.

    :func:`trendwatch.watch.watch` calls its hook once the store is written up to the check's
    stream time and released, so the check opens it like any other writer (waiting for the
    lock) and lets go again; the readers (``trends``, ``serve``...) get their turn between
    checks. The checker, and with it the escalation state, lives across checks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from trendwatch.store import Store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> Store(db).close()
    >>> checks = WatchChecks(db)
    >>> checks(datetime(2025, 11, 14, 9, tzinfo=UTC)), len(checks.check_seconds)
    ([], 1)
    """

    def __init__(self, db, *, rules=None, targets: Iterable[str] = (), sinks: Iterable[Sink] = ()):
        self.db = db
        self._options = {"rules": rules, "targets": tuple(targets), "sinks": tuple(sinks)}
        self._checker: Checker | None = None

    def __call__(self, stream_time: datetime) -> list[Alert]:
        with open_store(self.db) as store:
            if self._checker is None:
                self._checker = Checker(store, **self._options)
            self._checker.store = store  # this check's connection; closed after it
            return self._checker(stream_time)

    @property
    def check_seconds(self) -> list[float]:
        return self._checker.check_seconds if self._checker else []


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _hashtag_numbers(row: dict, result: GroupsResult) -> dict:
    v = result.verdict
    edges = result.edges
    baseline = bool(row["baseline"])
    numbers = {
        "baseline": baseline,
        "poisson": round(float(row["poisson"]), 2) if baseline else None,
        "expected": round(float(row["expected"]), 3) if baseline else None,
        "scope_posts": v.posts,
        "scope_accounts": v.accounts,
        "core_accounts": v.core_accounts,
        "core_posts": v.core_posts,
        "core_share": round(v.share, 4),
        "core_share_first_2000": round(v.share_first, 4),
        "reading": v.reading,
        "heavy_accounts": v.heavy_accounts,
        "heavy_share": round(v.heavy_share, 4),
        "group_sizes": [int(n) for n in result.groups.get("size", [])],
        "min_q_value": float(edges["q_value"].min()) if len(edges) else None,
        "methods": v.methods if v.finding == "coordinated core" else [],
        "verdict": v.text,
        "core_account_ids": _shown(sorted(result.members["account_id"])),
    }
    if not baseline:
        numbers["note"] = NO_BASELINE_NOTE
    return numbers | _top_pair(edges)


NO_BASELINE_NOTE = (
    "no baseline: the store held less than a quarter window of posts before this window, so "
    "the hashtag was judged on its posts in the window without a burst score"
)
"""The note of an alert raised while the store had no history (:mod:`.rules`)."""


SHOWN_ACCOUNTS = 100
"""Core accounts an alert line names (the run holds them all)."""


def _shown(accounts) -> list[str]:
    return [str(a) for a in list(accounts)[:SHOWN_ACCOUNTS]]


def _top_pair(edges: pd.DataFrame) -> dict:
    """The strongest link, to show with ``trendwatch evidence A B --run RUN_ID``."""
    if edges.empty:
        return {"top_pair": None}
    first = edges.iloc[0]
    return {"top_pair": [first["account_a"], first["account_b"]]}


def _raid_numbers(check: RaidCheck) -> dict:
    return {
        "target_ids": list(check.target.ids),
        "core_accounts": check.core_accounts,
        "core_posts": check.core_posts,
        "core_share": round(check.core_share, 4),
        "group_sizes": list(check.group_sizes),
        "min_q_value": check.min_q_value,
        "top_pair": list(check.top_pair) if check.top_pair else None,
        "core_account_ids": _shown(check.core),
    }


# -- the alerts table ----------------------------------------------------------------------
def _store_alert(store, alert: Alert) -> None:
    hashtag = None if alert.kind == "reply-raid" else alert.subject
    target = alert.subject if alert.kind == "reply-raid" else None
    store.con.execute(
        "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [alert.time, alert.kind, hashtag, target, alert.posts, alert.accounts, alert.window_s,
         alert.run_id, alert_line(alert)],
    )  # fmt: skip


def stored_alerts(store, *, since: datetime | None = None) -> pd.DataFrame:
    """The stored alerts, oldest first: time, kind, hashtag, target, posts, accounts,
    window_s, groups_run (the line's ``run_id``), body (the alert line), raised_at,
    run_pruned_at (when ``runs prune --with-alert-runs`` removed that run, else null). Empty
    for a store made before alerts.

    Examples
    --------
    >>> from trendwatch.store import Store
    >>> stored_alerts(Store(":memory:")).empty
    True
    """
    if not _has_alerts_table(store):
        return pd.DataFrame(columns=["time", "kind", "hashtag", "target", "posts", "accounts",
                                     "window_s", "groups_run", "body", "raised_at",
                                     "run_pruned_at"])  # fmt: skip
    sql = (
        "SELECT *, body->>'run_pruned_at' AS run_pruned_at FROM alerts "
        "WHERE ? IS NULL OR time >= ? ORDER BY time, kind, hashtag, target"
    )
    return store.con.execute(sql, [since, since]).df()


def _has_alerts_table(store) -> bool:
    [(n,)] = store.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'alerts' "
        "AND database_name = current_database()"
    ).fetchall()
    return n > 0


def _previous_alerts(store) -> dict:
    """The escalation state the stored alerts leave: for each subject, its alerts since its
    last ``new`` one (the current episode), folded as the checker folds them."""
    state: dict = {}
    for row in stored_alerts(store).to_dict("records"):
        body = orjson.loads(row["body"])
        key = (
            ("target", row["target"])
            if row["kind"] == "reply-raid"
            else ("hashtag", row["hashtag"])
        )
        before = None if body.get("escalation") == "new" else state.get(key)
        moment = pd.Timestamp(row["time"]).to_pydatetime()
        core = int(body.get("core_accounts") or 0)
        state[key] = after_alert(before, row["kind"], int(row["posts"]), core, moment)
    return state
