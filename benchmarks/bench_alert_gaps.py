"""Measure the alerts' three gaps on the simulator: a new store's first window, the core rule.

``first`` replays each seed's archive into an *empty* store (``replay(history=False)``: a
watcher started at that time on a new store) from several starts, checking every
``--check-every`` seconds through the first window:

* starts during the push (its first post + 0, 20 and 60 minutes): the time from the start to
  the first alert on the pushed hashtag (the replay stops checking once it came);
* starts on the look-alikes (the televised debate, the counter-campaign) and at 12:00,
  00:00 and 12:00 of the two days (news bots, cascades, organic life).

An alert is false when the planted accounts made under half of its hashtag's posts in the
window the alert read (a hashtag the push's accounts also post, such as a topical tag they
add to their posts, is pushed by them: not a false alert).

``core`` replays the push with the day of history before it (the ordinary case) and a check
every minute, records every check's (kind, posts, core accounts) of each hashtag, and counts
the alerts the escalation rule raises on that sequence: the rule before this change (twice the
last alert's core) and now (twice the largest core alerted, and 10 accounts more). Usage::

    python benchmarks/bench_alert_gaps.py first --seeds 1 2 3 [--push-only] [--minutes 120]
    python benchmarks/bench_alert_gaps.py core --seeds 1 2 [--minutes 60]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta
from pathlib import Path

from trendwatch.ingest import ingest
from trendwatch.simulate import load_truth, simulate
from trendwatch.simulate.evaluate import planted_share
from trendwatch.simulate.lookalikes import DEBATE_TAG
from trendwatch.store import Store
from trendwatch.text import normalize_hashtag
from trendwatch.watch import rules
from trendwatch.watch.alerts import Checker
from trendwatch.watch.replay import replay

MINUTE = timedelta(minutes=1)
CACHE = Path("/tmp/bench_alert_gaps")


def archive(seed: int):
    """(store path, truth) of a scale-1 simulation, built once per seed in ``CACHE``."""
    out = CACHE / f"seed{seed}"
    if not (out / "archive.duckdb").exists():
        simulate(out / "archive", seed=seed)
        ingest(sorted((out / "archive").glob("*.jsonl")), out / "archive.duckdb")
    return out / "archive.duckdb", load_truth(out / "archive")


class Recording(Checker):
    """A checker that notes every check's (time, subject, kind, posts, core) and can stop
    checking once ``stop_on`` alerted."""

    def __init__(self, store, stop_on: str | None = None, **options):
        super().__init__(store, **options)
        self.held: list[tuple] = []
        self.raised: list = []
        self.verdicts = 0
        self.stop_on, self.stopped = stop_on, False

    def _note_held(self, key, kind, posts, core, at, alerted: bool) -> None:
        self.held.append((at, key[1], kind, posts, core))
        super()._note_held(key, kind, posts, core, at, alerted)

    def _judge_hashtag(self, row, at):
        self.verdicts += 1
        return super()._judge_hashtag(row, at)

    def __call__(self, stream_time):
        if self.stopped:
            return []
        raised = super().__call__(stream_time)
        self.raised += raised
        self.stopped = any(a.subject == self.stop_on for a in raised)
        return raised


def from_empty(path, start, minutes: int, every: int, stop_on=None, tmp=None) -> Recording:
    """Replay ``[start, start + minutes)`` into a new empty store; return its checker."""
    target_path = Path(tmp) / f"fresh-{start:%d%H%M}-{os.getpid()}.duckdb"
    target_path.unlink(missing_ok=True)
    with Store(path, read_only=True) as source, Store(target_path) as target:
        checker = Recording(target, stop_on=stop_on)
        replay(source, target, checker, check_every=timedelta(seconds=every), since=start,
               until=start + minutes * MINUTE, history=False)  # fmt: skip
    target_path.unlink()
    return checker


def alert_share(path, truth, alert, start) -> float:
    """The share of the alert's hashtag's posts in its window (from ``start``, the store's
    first moment) that planted accounts made."""
    since = max(start, alert.time - timedelta(seconds=alert.window_s))
    with Store(path, read_only=True) as source:
        return planted_share(source, truth, alert.subject, since, alert.time)


def false_alerts(path, truth, checker, start) -> list[tuple]:
    """(time, hashtag, kind, planted share) of the alerts on hashtags the planted accounts
    did not push (under half of the posts); the others' shares are printed too."""
    shares = [(a.time, a.subject, a.kind, round(alert_share(path, truth, a, start), 2))
              for a in checker.raised]  # fmt: skip
    return [s for s in shares if s[3] < 0.5], shares


def first_window(seeds, every: int, push_only: bool = False, minutes: int = 60) -> None:
    for seed in seeds:
        path, truth = archive(seed)
        print(f"seed {seed}: push {truth.attack_start:%d %H:%M:%S}-{truth.attack_end:%H:%M:%S} "
              f"#{truth.attack_hashtag}; counter {truth.counter_start:%d %H:%M:%S}")  # fmt: skip
        for offset in (0, 20, 60):
            start = truth.attack_start.replace(second=0) + offset * MINUTE
            began = time.process_time()
            checker = from_empty(path, start, minutes, 60, truth.attack_hashtag, CACHE)
            push = [a for a in _alerts(checker) if a[1] == truth.attack_hashtag]
            false, shares = false_alerts(path, truth, checker, start)
            first = f"{(push[0][0] - start).total_seconds() / 60:.0f} min" if push else "none"
            print(f"  start push+{offset:>2} min ({start:%H:%M}): first push alert after {first}"
                  f" {push[:1]}; alerts (planted share) {shares}; false {false}; "
                  f"{checker.verdicts} verdicts; "
                  f"{time.process_time() - began:.0f} CPU-s")  # fmt: skip
        if push_only:
            continue
        starts = [
            ("debate", truth.start + timedelta(hours=19)),
            ("debate+40", truth.start + timedelta(hours=19, minutes=40)),
            ("counter", truth.counter_start.replace(second=0)),
            ("counter+60", truth.counter_start.replace(second=0) + 60 * MINUTE),
        ]
        starts += [(f"day+{h}h", truth.start + timedelta(hours=h)) for h in range(12, 48, 12)]
        total_false, judged = [], set()
        for name, start in starts:
            checker = from_empty(path, start, minutes, every, tmp=CACHE)
            judged |= {h[1] for h in checker.held}
            false, shares = false_alerts(path, truth, checker, start)
            total_false += false
            print(f"  start {name:<11} ({start:%d %H:%M}): {checker.verdicts} verdicts, "
                  f"{len(checker.held)} held a rule, alerts (planted share) {shares}; "
                  f"false {false}")  # fmt: skip
        organic = {normalize_hashtag(DEBATE_TAG), truth.counter_hashtag}
        print(f"  seed {seed}: false alerts {len(total_false)}; organic look-alikes judged and "
              f"held a rule: {sorted(judged & organic)}")  # fmt: skip


def _alerts(checker: Recording) -> list[tuple]:
    """(time, subject, kind, core accounts) of the alerts the checker raised."""
    return [(a.time, a.subject, a.kind, a.numbers.get("core_accounts")) for a in checker.raised]


def old_escalation(previous, kind, posts, core) -> str | None:
    """The rule before this change: twice the last alert's posts or core."""
    if previous is None:
        return "new"
    if rules._RANK[kind] != rules._RANK[previous.kind]:
        return "kind" if rules._RANK[kind] > rules._RANK[previous.kind] else None
    if posts >= 2 * previous.posts:
        return "posts x2"
    if kind != "trend" and core >= 2 * max(previous.core_accounts, 1):
        return "core accounts x2"
    return None


def count_alerts(held, window: timedelta, rule, fold) -> list[tuple]:
    """The alerts ``rule`` raises on the held sequence (forgetting quiet subjects)."""
    state, raised = {}, []
    for at, subject, kind, posts, core in held:
        before = state.get(subject)
        if before is not None and at - before.last_held > window:
            before = None
        reason = rule(before, kind, posts, core)
        if reason is not None:
            state[subject] = fold(before, kind, posts, core, at)
            raised.append((at, subject, posts, core, reason))
        else:
            state[subject] = rules.Previous(before.kind, before.posts, before.core_accounts,
                                            before.time, at)  # fmt: skip
    return raised


def last_fold(before, kind, posts, core, at):
    return rules.Previous(kind, posts, core, at, at)


def core_rule(seeds, minutes: int | None = None) -> None:
    for seed in seeds:
        path, truth = archive(seed)
        start = truth.attack_start.replace(second=0) - 5 * MINUTE
        until = truth.attack_end + 30 * MINUTE
        if minutes is not None:
            until = min(until, start + minutes * MINUTE)
        target_path = CACHE / f"core{seed}.duckdb"
        target_path.unlink(missing_ok=True)
        with Store(path, read_only=True) as source, Store(target_path) as target:
            checker = Recording(target)
            replay(source, target, checker, since=start, until=until)
        target_path.unlink()
        push = [h for h in checker.held if h[1] == truth.attack_hashtag]
        cores = [h[4] for h in push]
        drops = [a - b for a, b in zip(cores, cores[1:], strict=False) if a > b]
        print(f"seed {seed}: {len(push)} checks of #{truth.attack_hashtag} held a rule; core "
              f"min {min(cores)} max {max(cores)}; largest drop between checks "
              f"{max(drops, default=0)}")  # fmt: skip
        for name, rule, fold in (("before", old_escalation, last_fold),
                                 ("now", rules.escalation, rules.after_alert)):  # fmt: skip
            raised = count_alerts(checker.held, checker.rules.window, rule, fold)
            mine = [r for r in raised if r[1] == truth.attack_hashtag]
            print(
                f"  {name}: {len(raised)} alerts, {len(mine)} on the push: "
                + "; ".join(f"{a:%H:%M} posts={p} core={c} ({r})" for a, _, p, c, r in mine)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["first", "core"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--check-every", type=int, default=600,
                        help="seconds between the look-alike starts' checks")  # fmt: skip
    parser.add_argument("--minutes", type=int,
                        help="core: replay this many minutes from the push; first: from each "
                        "start (default 60; 120: the second hour too)")  # fmt: skip
    parser.add_argument("--push-only", action="store_true",
                        help="first: only the starts during the push")  # fmt: skip
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    if args.what == "first":
        first_window(args.seeds, args.check_every, args.push_only, args.minutes or 60)
    else:
        core_rule(args.seeds, args.minutes)


if __name__ == "__main__":
    main()
