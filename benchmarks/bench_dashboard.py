"""Load-test the dashboard on the IRA archive: p50/p95 per page with 20 concurrent clients.

The store (/tmp/ira.duckdb by default) is ingested first if absent. The server is started in
this process on a loopback port, exactly as ``trendwatch serve`` starts it: the pages every
visit starts with (overview, trends, runs, quality) are computed before it listens; other
pages are computed on their first request and then cached (the store is read-only). The
script first times each page's first (cold) request, then runs the load: N client threads,
each issuing requests round-robin over the pages, bounded by a request count and a time limit.
The floor is a plain ``SELECT count(*) FROM posts`` round trip on a DuckDB cursor, measured
in the same script. Usage::

    python benchmarks/bench_dashboard.py [--db /tmp/ira.duckdb] [--clients 20] [--requests 2000]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IRA = ROOT.parent / "shared" / "data" / "ira-troll-tweets" / "ira_tweets.parquet"
PAGES = [
    "/",
    "/api/overview",
    "/trends",
    "/api/trends",
    "/campaign?hashtag=ToDoListBeforeChristmas",
    "/api/campaign?hashtag=ToDoListBeforeChristmas",
    "/groups?hashtag=ToDoListBeforeChristmas",
    "/runs",
    "/quality",
    "/api/trends?bogus=1",  # a 400: validation cost
]


def ensure_store(db: Path) -> None:
    if not db.exists():
        from trendwatch.ingest import ingest

        print(f"ingesting {IRA} into {db} (about 3 min)...")
        ingest([IRA], db)


def timed_get(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return time.perf_counter() - start, status


def floor_ms(store, rounds: int = 200) -> float:
    cursor = store.con.cursor()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        cursor.execute("SELECT count(*) FROM posts").fetchone()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def load(base: str, clients: int, requests: int, limit_s: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {p: [] for p in PAGES}
    counter = iter(range(requests))
    lock, deadline = threading.Lock(), time.monotonic() + limit_s

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            page = PAGES[n % len(PAGES)]
            elapsed, _ = timed_get(base + page)
            with lock:
                samples[page].append(elapsed * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/ira.duckdb"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    ensure_store(args.db)

    from trendwatch.serve import make_server
    from trendwatch.store import Store

    with Store(args.db, read_only=True) as store:
        start = time.perf_counter()
        server = make_server(store, port=0, warm=True)
        print(f"startup (precomputes overview, trends, runs, quality): "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for page in PAGES:
            elapsed, status = timed_get(server.url + page)
            print(f"first request {page}: {elapsed * 1000:.0f} ms (HTTP {status})")
        floor = floor_ms(store)
        samples = load(server.url, args.clients, args.requests, args.seconds)
        server.shutdown()
    print(f"\nfloor: SELECT count(*) round trip, median {floor:.2f} ms")
    print(f"{args.clients} clients, {sum(map(len, samples.values()))} requests")
    print(f"{'page':52} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p95/floor':>10}")
    for page, values in samples.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(f"{page:52} {len(values):5d} {p50:8.1f} {p95:8.1f} {p95 / floor:10.0f}")
    worst = max(percentile(v, 0.95) for v in samples.values())
    print(f"worst p95: {worst:.1f} ms (target 300 ms): {'OK' if worst <= 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
