"""Replay simulated archives (and an IRA slice) through the rolling check; score the alerts.

For each simulator seed: simulate two days (scale 1), ingest, then replay every post into a
new store in stream order with a check every ``--check-every`` seconds of stream time
(:func:`trendwatch.watch.replay.replay`), watching the reply raid's target and, as a control,
the most-replied account that is not raided. Printed per seed:

* every alert (time, kind, subject, posts, accounts, core accounts, reading);
* the attack: its first post, its first ``trend`` and ``coordination`` alerts and the delays;
* false alerts: ``coordination`` alerts on a hashtag that no planted network pushed (the
  debate, the counter-campaign, cascades, news bots...), ``reply-raid`` alerts on the control;
* the cost of a check: median, 95th percentile and maximum wall-clock seconds.

``ira`` checks every minute of the IRA's #KochFarms push (``--start``, ``--minutes``) on the
whole archive and prints the same cost figures and alerts. Usage::

    python benchmarks/bench_alerts.py sim --seeds 1 2 3 [--check-every 60] [--hours 31 37]
    python benchmarks/bench_alerts.py ira [--start 2015-11-26T22:00:00 --minutes 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from trendwatch.ingest import ingest
from trendwatch.simulate import simulate
from trendwatch.store import Store
from trendwatch.watch.alerts import Checker
from trendwatch.watch.replay import replay

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def costs(checker) -> str:
    c = np.array(checker.check_seconds or [0.0])
    cpu = np.array(checker.check_cpu_seconds or [0.0])
    return (
        f"{len(c)} checks: wall median {np.median(c):.2f} s, p95 {np.percentile(c, 95):.2f} s, "
        f"max {c.max():.2f} s, total {c.sum():.0f} s; CPU median {np.median(cpu):.2f} s, "
        f"p95 {np.percentile(cpu, 95):.2f} s, max {cpu.max():.2f} s"
    )


def describe(alert) -> str:
    n = alert.numbers
    return (
        f"{alert.time:%m-%d %H:%M:%S} {alert.kind:<12} {alert.subject:<22} posts={alert.posts} "
        f"accounts={alert.accounts} core={n.get('core_accounts')} reading={n.get('reading')} "
        f"heavy_share={n.get('heavy_share')} ({alert.escalation})"
    )


def control_target(store: Store, raided: str) -> str:
    [(account,)] = store.con.execute(
        "SELECT reply_to_author_id FROM posts WHERE kind = 'reply' AND reply_to_author_id <> ? "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        [raided],
    ).fetchall()
    return account


def run_seed(seed: int, check_every: int, folder: Path, hours: tuple[float, float]) -> None:
    truth = simulate(folder / f"s{seed}", seed=seed)
    ingest([folder / f"s{seed}" / "tweets.jsonl"], folder / f"s{seed}.duckdb")
    with Store(folder / f"s{seed}.duckdb", read_only=True) as source:
        control = control_target(source, truth.raid_target)
        with Store(folder / f"r{seed}.duckdb") as store:
            checker = Checker(store, targets=[truth.raid_target, control])
            started = time.perf_counter()
            since, until = (truth.start + timedelta(hours=h) for h in hours)
            done = replay(source, store, checker, check_every=timedelta(seconds=check_every),
                          since=since, until=until)  # fmt: skip
            wall = time.perf_counter() - started
    cost = costs(checker)
    print(f"\n== seed {seed}: {done.posts:,} posts, replay {wall:.0f} s; {cost}")
    for alert in done.alerts:
        print("  " + describe(alert))
        crossing = burst_crossing(source, truth.attack_hashtag)
    score(truth, done.alerts, control, crossing)


def burst_crossing(source, hashtag: str, min_posts: int = 100):
    """When the hashtag's trailing hour first held ``min_posts`` posts (the burst rule's
    threshold; its poisson score is then far above 10): a check after it may alert."""
    [(moment,)] = source.con.execute(
        """WITH t AS (SELECT created_at, count(*) OVER (ORDER BY created_at RANGE BETWEEN
               INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS n
           FROM posts WHERE collected AND list_contains(hashtags, ?))
           SELECT min(created_at) FROM t WHERE n >= ?""",
        [hashtag, min_posts],
    ).fetchall()
    return moment


def score(truth, alerts, control: str, crossing) -> None:
    pushed = {truth.attack_hashtag, *truth.flood_hashtags}
    attack = [a for a in alerts if a.subject == truth.attack_hashtag]
    print(f"  attack #{truth.attack_hashtag}: first post {truth.attack_start:%H:%M:%S}, "
          f"100 posts within an hour at {crossing:%H:%M:%S}")  # fmt: skip
    for kind in ("trend", "coordination"):
        first = next((a for a in attack if a.kind == kind), None)
        if first is None:
            print(f"  attack: no {kind} alert")
            continue
        print(f"  first {kind} alert {first.time:%H:%M:%S}: {first.time - crossing} after the "
              f"threshold, {first.time - truth.attack_start} after the first post")  # fmt: skip
    false = [a for a in alerts if a.kind == "coordination" and a.subject not in pushed]
    raids = [a for a in alerts if a.kind == "reply-raid"]
    print(f"  false coordination alerts: {len(false)} {[a.subject for a in false]}")
    print(f"  reply-raid alerts on the raided target: "
          f"{sum(a.subject == truth.raid_target for a in raids)}, on the control {control}: "
          f"{sum(a.subject == control for a in raids)}")  # fmt: skip


def run_ira(start: str, minutes: int, folder: Path) -> None:
    """Checks every minute over the IRA's #KochFarms push (2,000 posts in about two hours from
    2015-11-26 22:12) on the whole archive: a check at t reads only posts created before t,
    so this is what a live watcher would have seen, without writing 2.46 M posts in order."""
    first = datetime.fromisoformat(start).replace(tzinfo=UTC)
    ingest([DATA / "ira-troll-tweets" / "ira_tweets.parquet"], folder / "ira.duckdb")
    with Store(folder / "ira.duckdb") as store:
        checker = Checker(store)
        alerts = [
            a for k in range(1, minutes + 1) for a in checker(first + k * timedelta(minutes=1))
        ]
        crossing = burst_crossing(store, "kochfarms")
    print(f"\n== IRA from {first:%Y-%m-%d %H:%M}: {costs(checker)}")
    print(f"  #kochfarms: 100 posts within an hour at {crossing}")
    for alert in alerts:
        print("  " + describe(alert))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["sim", "ira"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--check-every", type=int, default=60)
    parser.add_argument("--start", default="2015-11-26T22:00:00")
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument(
        "--hours",
        type=float,
        nargs=2,
        default=[0, 48],
        help="checked stretch, in hours from the archive's start (0 48: all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        if args.workload == "sim":
            for seed in args.seeds:
                run_seed(seed, args.check_every, Path(tmp), tuple(args.hours))
        else:
            run_ira(args.start, args.minutes, Path(tmp))


if __name__ == "__main__":
    main()
