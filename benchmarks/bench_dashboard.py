"""Load-test the dashboard: p50/p95/p99 for cached, uncached and mixed traffic, 20 clients.

The server is ``trendwatch serve`` itself, started in a subprocess (so the load clients do not
share its interpreter), on the given store (the demo store, or the IRA archive at
/tmp/ira.duckdb, ingested first if absent), unless ``--url`` names a server already running.
Every client keeps one keep-alive connection, as a browser does, and issues requests one after
the other. Three scenarios, each ``--seconds`` long:

- ``cached``: the pages every visit starts with (computed before the server listens) and the
  top campaign's page and groups page (requested once before the load);
- ``uncached``: every request a trend query at a time no one asked for before;
- ``mixed``: half the clients ask for cached pages (pausing ``--think`` ms between requests,
  as a reader does), half for new trend queries; the cached pages' latency shows whether a
  heavy query holds other requests up.

The floor is an empty keep-alive round trip (a 404) measured before the load. The server's
peak resident memory (VmHWM) is printed at the end. Usage::

    python benchmarks/bench_dashboard.py [--db demo/trendwatch.duckdb] [--clients 20]
        [--seconds 30] [--think 50] [--scenario cached --scenario mixed]
        [--url http://127.0.0.1:8765]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
IRA = ROOT.parent / "shared" / "data" / "ira-troll-tweets" / "ira_tweets.parquet"
TARGET_MS = 300.0


def ensure_store(db: Path) -> None:
    """Ingest the IRA archive into ``db`` when it is absent (about 10 s)."""
    if not db.exists():
        from trendwatch.ingest import ingest

        print(f"ingesting {IRA} into {db}...")
        ingest([IRA], db)


def store_facts(db: Path) -> tuple[str, list]:
    """The most posted hashtag and the hours a trend query can be asked at."""
    from trendwatch.store import Store

    with Store(db, read_only=True) as store:
        tag = store.con.execute(
            "SELECT h FROM (SELECT unnest(hashtags) AS h FROM posts) GROUP BY h "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0][0]
        first, last = store.con.execute(
            "SELECT min(created_at), max(created_at) FROM posts"
        ).fetchall()[0]
    return tag, [first + timedelta(minutes=m) for m in range(60, _minutes(first, last), 7)]


def _minutes(first, last) -> int:
    return int((last - first).total_seconds() // 60)


# -- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen | None = None

    def peak_rss_mb(self) -> float | None:
        if self.process is None:
            return None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_server(db: Path, port: int) -> Server:
    """``trendwatch serve`` in a subprocess; returns once it listens (after its warm-up)."""
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "trendwatch", "serve", "--db", str(db), "--port", str(port)]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    print(f"startup (precomputes overview, trends, runs, quality): "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    return Server(f"http://127.0.0.1:{port}", process)


# -- clients ---------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = None

    def get(self, path: str) -> tuple[float, int]:
        start = time.perf_counter()
        for attempt in (1, 2):
            try:
                return self._get(path, start)
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self.close()
                if attempt == 2:
                    return time.perf_counter() - start, 0
        raise AssertionError("unreachable")

    def _get(self, path: str, start: float) -> tuple[float, int]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        return time.perf_counter() - start, response.status

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Samples:
    """Latencies in ms by kind of request, and the statuses seen."""

    by_kind: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, elapsed: float, status: int) -> None:
        with self.lock:
            self.by_kind.setdefault(kind, []).append(elapsed * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def run_clients(url: str, plans: list, seconds: float) -> Samples:
    """One thread per plan; a plan yields (kind, path) until the time is up."""
    samples, deadline = Samples(), time.monotonic() + seconds

    def work(plan) -> None:
        client = Client(url)
        for kind, path, think in plan:
            if time.monotonic() >= deadline:
                break
            samples.add(kind, *client.get(path))
            time.sleep(think)
        client.close()

    threads = [threading.Thread(target=work, args=(plan,)) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


def cached_pages(tag: str) -> list[str]:
    q = quote(tag)
    return ["/", "/api/overview", "/trends", "/api/trends", f"/campaign?hashtag={q}",
            f"/api/campaign?hashtag={q}", f"/groups?hashtag={q}", "/runs", "/quality",
            "/api/trends?bogus=1"]  # fmt: skip


def cached_plan(pages: list[str], offset: int, think: float = 0.0):
    for n in range(offset, 10**9):
        yield "cached", pages[n % len(pages)], think


def uncached_plan(times: list, lock: threading.Lock):
    while True:
        with lock:
            if not times:
                return
            moment = times.pop()
        yield "uncached", f"/api/trends?until={moment:%Y-%m-%dT%H:%M:%SZ}", 0.0


def plans_for(scenario: str, clients: int, pages: list[str], times: list, think: float) -> list:
    lock = threading.Lock()
    if scenario == "cached":
        return [cached_plan(pages, i) for i in range(clients)]
    if scenario == "uncached":
        return [uncached_plan(times, lock) for _ in range(clients)]
    return [cached_plan(pages, i, think) if i % 2 == 0 else uncached_plan(times, lock)
            for i in range(clients)]  # fmt: skip


# -- report ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def print_samples(scenario: str, samples: Samples, seconds: float) -> None:
    total = sum(map(len, samples.by_kind.values()))
    print(f"\n{scenario}: {total} requests in {seconds:.0f} s, statuses {samples.statuses}")
    print(f"  {'kind':10} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for kind, values in sorted(samples.by_kind.items()):
        p50, p95, p99 = (percentile(values, q) for q in (0.5, 0.95, 0.99))
        print(f"  {kind:10} {len(values):6d} {p50:9.1f} {p95:9.1f} {p99:9.1f} {max(values):9.1f}")
    cached = samples.by_kind.get("cached")
    if cached:
        p95 = percentile(cached, 0.95)
        verdict = "OK" if p95 <= TARGET_MS else "MISSED"
        print(f"  cached p95 {p95:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")


def floor_ms(url: str, rounds: int = 200) -> float:
    client = Client(url)
    times = [client.get("/nope")[0] for _ in range(rounds)]
    client.close()
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/ira.duckdb"))
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, default=50,
                        help="ms between a mixed scenario's cached requests")  # fmt: skip
    parser.add_argument("--scenario", action="append",
                        choices=["cached", "uncached", "mixed"])  # fmt: skip
    args = parser.parse_args()
    ensure_store(args.db)
    tag, times = store_facts(args.db)
    random.Random(1).shuffle(times)
    server = Server(args.url) if args.url else start_server(args.db, args.port)
    try:
        measure(server.url, args, tag, times)
    finally:
        rss = server.peak_rss_mb()
        server.stop()
    if rss is not None:
        print(f"\nserver peak RSS: {rss:.0f} MB")


def measure(url: str, args, tag: str, times: list) -> None:
    pages = cached_pages(tag)
    first = Client(url)
    for page in pages:
        elapsed, status = first.get(page)
        print(f"first request {page}: {elapsed * 1000:.0f} ms (HTTP {status})")
    first.close()
    print(f"floor: empty keep-alive round trip (a 404), median {floor_ms(url):.2f} ms")
    for scenario in args.scenario or ["cached", "uncached", "mixed"]:
        plans = plans_for(scenario, args.clients, pages, times, args.think / 1000)
        start = time.perf_counter()
        samples = run_clients(url, plans, args.seconds)
        print_samples(scenario, samples, time.perf_counter() - start)


if __name__ == "__main__":
    main()
