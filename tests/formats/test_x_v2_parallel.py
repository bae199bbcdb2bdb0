"""Reading X v2 files in worker processes gives the store exactly what the serial reader gives.

The serial reader is the oracle: every file is ingested both ways (workers forced on small
files by ``Parallelism(min_bytes=0)`` and tiny pieces) and the stores and reports compared.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import FIXTURES, shared_path
from tests.test_ingest import _contents
from trendwatch.formats import ReadOptions
from trendwatch.formats.items import Parallelism, Quarantined, Skipped
from trendwatch.formats.parallel import pieces, read_in_parallel, reads_in_parallel
from trendwatch.formats.stream import open_input
from trendwatch.ingest import ingest

SERIAL = Parallelism(workers=0)


def parallel(workers: int = 2, chunk_bytes: int = 700) -> Parallelism:
    return Parallelism(workers=workers, min_bytes=0, chunk_bytes=chunk_bytes)


# -- a hand-made file with every kind of line ---------------------------------------------------


def _tweet(tweet_id: str, author_id: str, **fields) -> dict:
    return {
        "id": tweet_id,
        "author_id": author_id,
        "created_at": "2024-03-01T12:00:00.000Z",
        "text": f"tweet {tweet_id} #Tag",
        "entities": {"hashtags": [{"tag": "Tag"}]},
        **fields,
    }


def _user(user_id: str, followers: int) -> dict:
    return {
        "id": user_id,
        "username": f"user{user_id}",
        "public_metrics": {"followers_count": followers},
    }


def _page(tweets: list, users=(), context=(), retrieved="2024-03-01T13:00:00Z") -> dict:
    includes = {"users": list(users), "tweets": list(context)}
    return {"data": tweets, "includes": includes, "__twarc": {"retrieved_at": retrieved}}


def _lines(copy: int) -> list[bytes]:
    """One round of lines; ``copy`` gives the round's own tweet ids (accounts are shared)."""

    def tid(n: int) -> str:
        return f"{copy}{n:04d}"

    retweet = _tweet(tid(1), "1", referenced_tweets=[{"type": "retweeted", "id": tid(900)}])
    quote = _tweet(tid(2), "2", referenced_tweets=[{"type": "quoted", "id": tid(901)}])
    values: list = [
        _page(
            [retweet, quote, {"id": tid(3), "author_id": "2"}],  # the last has no created_at
            users=[_user("1", 10), _user("2", 20), _user("9", 90)],
            context=[_tweet(tid(900), "9"), _tweet(tid(901), "9")],
        ),
        None,  # a blank line
        b'{"data": [{"id": "1"',  # not JSON
        {"data": []},
        {"errors": [{"title": "Not Found Error"}], "meta": {}},
        {
            "data": [_user("3", 30), _user("4", 40)],
            "__twarc": {"retrieved_at": "2024-03-02T00:00:00Z"},
        },
        [1, 2],
        # The context post is collected later: it replaces the context row; user 1 is seen later.
        _page([_tweet(tid(900), "9")], users=[_user("1", 11)], retrieved="2024-03-03T00:00:00Z"),
        _page([_tweet(tid(5), "1")], users=[_user("1", 9)], retrieved="2024-02-01T00:00:00Z"),
        _page([_tweet(tid(10 + n), "3") for n in range(7)], users=[_user("3", 31)]),
        _page([{"id": tid(20), "created_at": "2024-03-01T12:00:00Z"}, "not a tweet"]),
        _page([quote]),  # a duplicate
        {
            "id": tid(30),
            "action": "delete",
            "reason": "deleted",
            "created_at": "2024-03-04T00:00:00Z",
        },
        {"id": tid(31), "text": "a flat tweet in a pages file", "author_id": "5"},
    ]
    return [b"" if v is None else v if isinstance(v, bytes) else orjson.dumps(v) for v in values]


@pytest.fixture
def mixed_file(tmp_path) -> Path:
    lines = [line for copy in range(1, 4) for line in _lines(copy)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines))  # no line end after the last line
    return path


def _ingest(path: Path, db: Path, plan: Parallelism, format: str | None = "twarc2") -> dict:
    report = ingest([path], db, format=format, options=ReadOptions(parallel=plan))
    return report.to_dict()


def _both_ways(path: Path, tmp_path: Path, plan: Parallelism, format: str | None = "twarc2"):
    serial_report = _ingest(path, tmp_path / "serial.duckdb", SERIAL, format)
    parallel_report = _ingest(path, tmp_path / "parallel.duckdb", plan, format)
    return (
        (serial_report, _contents(tmp_path / "serial.duckdb")),
        (parallel_report, _contents(tmp_path / "parallel.duckdb")),
    )


@pytest.mark.parametrize(
    "plan",
    [parallel(2, 1), parallel(2, 700), parallel(1, 4096), parallel(2, 1 << 20)],
    ids=["a-line-a-piece", "some-lines-a-piece", "one-worker", "one-piece"],
)
def test_the_mixed_file_gives_the_serial_store_and_report(mixed_file, tmp_path, plan):
    serial, in_parallel = _both_ways(mixed_file, tmp_path, plan)
    assert in_parallel == serial
    report, contents = serial
    totals = report["totals"]
    assert totals["skipped"] > 0 and totals["quarantined"] > 0 and totals["duplicates"] > 0
    assert totals["read"] == sum(
        totals[k] for k in ("added", "duplicates", "skipped", "quarantined")
    )
    assert any(not row[-3] for row in contents["posts"])  # context posts are there too


def test_record_numbers_run_ahead_of_lines_across_pieces(mixed_file, tmp_path):
    # Pages of several tweets take several numbers: a later piece's numbers depend on them.
    _, (_, contents) = _both_ways(mixed_file, tmp_path, parallel(2, 1))
    numbers = [row[1] for row in contents["quarantine"]]
    lines = len(mixed_file.read_bytes().split(b"\n"))
    assert max(numbers) > lines
    assert len(set(numbers)) == len(numbers)


def test_the_latest_observation_of_an_account_wins_in_parallel(mixed_file, tmp_path):
    _ingest(mixed_file, tmp_path / "db.duckdb", parallel(2, 1))
    accounts = {row[1]: row for row in _contents(tmp_path / "db.duckdb")["accounts"]}
    assert accounts["1"][5] == 11  # observed on 3 March, after 1 March and 1 February


def test_a_later_user_object_without_metrics_keeps_the_followers_both_ways(tmp_path):
    # A lookup that did not ask for public_metrics, a day later, in another piece or not.
    bare = {"id": "1", "username": "renamed"}
    lines = [
        _page([_tweet("1", "1")], users=[_user("1", 10)]),
        _page([_tweet("2", "1")], users=[bare], retrieved="2024-03-02T13:00:00Z"),
    ]
    path = tmp_path / "two.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
    serial, in_parallel = _both_ways(path, tmp_path, parallel(2, 1))
    assert in_parallel == serial
    (account,) = serial[1]["accounts"]
    assert (account[2], account[5]) == ("renamed", 10)


def test_the_flat_format_gives_the_serial_store(tmp_path):
    lines = [
        orjson.dumps(_tweet(f"{n}", "1", author=_user("1", n), referenced_tweets=[]))
        for n in range(1, 40)
    ]
    lines[7] = b"not json"
    path = tmp_path / "flat.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    serial, in_parallel = _both_ways(path, tmp_path, parallel(2, 300), format="twarc2-flat")
    assert in_parallel == serial


def test_workers_give_the_serial_url_keys(tmp_path):
    # Workers normalise URLs with their own caches: the keys must not depend on the process.
    path = FIXTURES / "x_v2" / "links.jsonl"
    serial, in_parallel = _both_ways(path, tmp_path, parallel(1, 1))
    assert in_parallel == serial
    assert "fringe-news.example/2025/11/remigration-now" in str(serial[1]["posts"])


def test_accounts_seen_at_the_same_time_keep_the_later_row(tmp_path):
    # Flattened tweets carry no retrieval time: every observation of user 1 ties; the store
    # must keep the last one (the database alone would keep any of them, run by run).
    lines = [orjson.dumps(_tweet(f"{n}", "1", author=_user("1", n))) for n in range(1, 30)]
    path = tmp_path / "flat.jsonl"
    path.write_bytes(b"\n".join(lines))
    for name, plan in (("serial", SERIAL), ("parallel", parallel(2, 200))):
        _ingest(path, tmp_path / f"{name}.duckdb", plan, format="twarc2-flat")
        (account,) = _contents(tmp_path / f"{name}.duckdb")["accounts"]
        assert account[5] == 29, name


# -- the real twarc2 files -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_twarc() -> Path:
    folder = shared_path("twitter-v2-twarc")  # skips with its reason when the data is absent
    return folder


def test_all_shared_twarc2_files_in_one_give_the_serial_store(shared_twarc, tmp_path):
    # One file of all of them (each file's lines, then the next file's): pages, user lookups,
    # counts, compliance events, stream errors and flattened tweets, cut into many pieces.
    path = tmp_path / "all.jsonl"
    with path.open("wb") as out:
        for source in sorted(shared_twarc.glob("*.json*")):
            data = source.read_bytes()
            out.write(data if data.endswith(b"\n") or not data else data + b"\n")
    serial, in_parallel = _both_ways(path, tmp_path, parallel(2, 256 << 10))
    assert in_parallel == serial
    assert serial[0]["totals"]["added"] > 1000 and serial[0]["totals"]["skipped"] > 100


def test_each_large_shared_file_gives_the_serial_store(shared_twarc, tmp_path):
    # Detected formats (twarc2 pages and twarc2-flat); one store for all, as `ingest` does.
    paths = [p for p in sorted(shared_twarc.glob("*.jsonl")) if p.stat().st_size > 100_000]
    assert len(paths) >= 8
    reports, stores = [], []
    for name, plan in (("serial", SERIAL), ("parallel", parallel(2, 64 << 10))):
        db = tmp_path / f"{name}.duckdb"
        reports.append(ingest(paths, db, options=ReadOptions(parallel=plan)).to_dict())
        stores.append(_contents(db))
    assert reports[1] == reports[0]
    assert stores[1] == stores[0]
    assert {f["format"] for f in reports[0]["files"]} == {"twarc2", "twarc2-flat"}


# -- when workers are used -----------------------------------------------------------------------


def test_only_large_uncompressed_json_lines_files_go_to_workers(tmp_path):
    plan = Parallelism(workers=2, min_bytes=100)
    cases = {
        "lines.jsonl": (b'{"data": []}\n' * 20, True),
        "small.jsonl": (b'{"data": []}\n', False),
        "array.json": (b"[" + b'{"data": []},' * 20 + b"{}]", False),
        "pretty.json": (b'{\n  "data": []' + b" " * 200 + b"\n}\n", False),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        source = open_input(str(tmp_path / name))
        try:
            assert reads_in_parallel(source, plan) is expected, name
            assert not reads_in_parallel(source, Parallelism(workers=0, min_bytes=100))
        finally:
            source.close()


def test_a_gzip_file_is_read_serially(tmp_path):
    import gzip

    path = tmp_path / "lines.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"data": []}\n' * 200))
    source = open_input(str(path))
    try:
        assert not reads_in_parallel(source, Parallelism(workers=2, min_bytes=0))
    finally:
        source.close()


@pytest.mark.parametrize("chunk_bytes", [1, 5, 16, 1000])
def test_pieces_are_whole_lines_numbered_from_their_first_line(tmp_path, chunk_bytes):
    data = b"a\n\nbbbbbbbbbbbbbbbbbbbb\nc\r\ndd\n" * 3 + b"last without line end"
    path = tmp_path / "lines.txt"
    path.write_bytes(data)
    with path.open("rb") as stream:
        cut = list(pieces(stream, str(path), chunk_bytes))
    assert b"".join(data[p.offset : p.offset + p.length] for p in cut) == data
    for piece in cut:
        assert piece.first_line == data[: piece.offset].count(b"\n") + 1
        assert piece.offset == 0 or data[piece.offset - 1 : piece.offset] == b"\n"


# -- errors, early stops and a killed parent leave no worker behind ----------------------------


def failing_reader(records, numbers):
    """A reader that fails on the line holding ``boom`` (module level: workers import it)."""
    for record in records:
        if b"boom" in record.raw:
            raise ValueError(f"line {record.record_no} is broken")
        yield Skipped(numbers.take(record.record_no), record.raw.decode().strip())


def slow_reader(records, numbers):
    for record in records:
        time.sleep(0.05)
        yield Quarantined(numbers.take(record.record_no), None, "slow")


def _numbered_lines(tmp_path: Path, count: int, bad: int | None = None) -> Path:
    path = tmp_path / "lines.jsonl"
    path.write_text("".join("boom\n" if n == bad else f"line {n}\n" for n in range(1, count + 1)))
    return path


def _workers_of(pid: int) -> set[int]:
    """The live worker processes of ``pid``: its descendants (from /proc, nothing cached).

    Left out: multiprocessing's fork server and resource tracker, helper processes started
    once per program that exit with it (the workers are the fork server's children).
    """
    found = set()
    for child in _children(pid):
        if _is_helper(child):
            found |= _children(child) if _is_fork_server(child) else set()
        else:
            found.add(child)
    return found


def _children(pid: int) -> set[int]:
    children = set()
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            children |= {int(c) for c in (task / "children").read_text().split()}
    return children


def _describe(pids: set[int]) -> list[str]:
    """State and command line of processes, to say what was left behind."""
    out = []
    for pid in pids:
        with contextlib.suppress(OSError):
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            out.append(f"{pid} {state} {cmdline.decode()[:200]}")
    return out


def _is_helper(pid: int) -> bool:
    return _is_fork_server(pid) or b"resource_tracker" in _cmdline(pid)


def _is_fork_server(pid: int) -> bool:
    return b"forkserver" in _cmdline(pid)  # (its forked workers are its children)


def _gone(pids: set[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it just ended
        return b""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_worker_error_comes_after_the_lines_before_it_and_stops_the_workers(tmp_path):
    path = _numbered_lines(tmp_path, 60, bad=37)
    before = _workers_of(os.getpid())  # other tests' helpers (a browser driver) may live on
    source = open_input(str(path))
    seen = []
    try:
        with pytest.raises(ValueError, match="line 37 is broken"):
            for items in read_in_parallel(source, failing_reader, parallel(2, 20)):
                seen += [(item.record_no, item.reason) for item in items]
    finally:
        source.close()
    assert seen == [(n, f"line {n}") for n in range(1, 37)]
    left = _workers_of(os.getpid()) - before
    assert left == set(), _describe(left)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_closing_the_reader_early_stops_the_workers(tmp_path):
    path = _numbered_lines(tmp_path, 2000)
    before = _workers_of(os.getpid())
    source = open_input(str(path))
    try:
        items = read_in_parallel(source, slow_reader, parallel(2, 50))
        assert next(items)[0].record_no == 1
        assert len(_workers_of(os.getpid()) - before) == 2
        started = time.monotonic()
        items.close()
        assert time.monotonic() - started < 10
    finally:
        source.close()
    left = _workers_of(os.getpid()) - before
    assert left == set(), _describe(left)


_KILLED_PARENT = """
import signal, sys, time
from trendwatch.formats.items import Parallelism
from trendwatch.formats.stream import open_input
from trendwatch.formats.parallel import read_in_parallel
from tests.formats.test_x_v2_parallel import slow_reader

if __name__ == "__main__":
    # A shell starts background jobs with Ctrl-C ignored, and children inherit that: restore
    # Python's own handler, as in a program run from a terminal, or SIGINT would do nothing.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    items = read_in_parallel(open_input(sys.argv[1]), slow_reader, Parallelism(2, 0, 50))
    next(items)
    print("reading", flush=True)
    time.sleep(60)
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_workers_exit_when_their_parent_is_killed_or_interrupted(tmp_path, how):
    path = _numbered_lines(tmp_path, 5000)
    script = tmp_path / "parent.py"
    script.write_text(_KILLED_PARENT)
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, str(script), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert parent.stdout.readline() == b"reading\n", parent.stderr.read()
        workers = _workers_of(parent.pid)
        assert len(workers) == 2
        parent.send_signal(how)
        parent.wait(timeout=30)
        assert _gone(workers), f"workers {workers} outlived their parent"
    finally:
        parent.kill()
        parent.wait()


_UNGUARDED_SCRIPT = """
import sys
import trendwatch
from trendwatch.formats import ReadOptions
from trendwatch.formats.items import Parallelism

# No `if __name__ == "__main__":` guard, as in many quick analysis scripts.
plan = Parallelism(workers=2, min_bytes=0, chunk_bytes=700)
report = trendwatch.ingest([sys.argv[1]], sys.argv[2], options=ReadOptions(parallel=plan))
print("added", report.totals["added"])
"""


def test_a_script_without_a_main_guard_can_ingest_with_workers(tmp_path, mixed_file):
    """Workers must not import the calling script (it would ingest again, in every worker)."""
    script = tmp_path / "quick.py"
    script.write_text(_UNGUARDED_SCRIPT)
    expected = _ingest(mixed_file, tmp_path / "serial.duckdb", SERIAL)["totals"]["added"]
    done = subprocess.run(
        [sys.executable, str(script), str(mixed_file), str(tmp_path / "workers.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["added", str(expected)]
