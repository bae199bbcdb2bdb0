"""The store's lock: wait for it instead of failing, and say which process holds it.

DuckDB lets one process open a database file for writing, or any number of processes open it
read-only, never both. trendwatch keeps that rule and makes it livable (see the README's
"Analysing while collecting"): every process holds the file only while it needs it, and a
process that finds the file locked waits for it, up to :func:`lock_wait_seconds`, instead of
failing at once. When the wait runs out the error names the holder, by process id and command
line, which DuckDB's own message only half does (it names the executable, ``python3.11``).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from .connections import connect

__all__ = [
    "writer_waiting",
    "others_waiting",
    "LOCK_WAIT_ENV",
    "DEFAULT_LOCK_WAIT",
    "lock_wait_seconds",
    "is_lock_conflict",
    "lock_holder",
    "connect_waiting",
]

LOCK_WAIT_ENV = "TRENDWATCH_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 60.0
"""Seconds a process waits for the store's lock by default. A watcher holds it for the time
of one write (under a second at the network's rate); an analysis that records a run, such as
``groups``, holds it for its whole run (5 s on the demo, 35-40 s on the 2.4 M-post IRA
archive), so a minute lets a second analysis wait for the first one instead of failing."""
_RETRY_EVERY = (0.02, 0.08)  # seconds, drawn at random: two waiting processes do not keep step
WRITER_WAITING_SUFFIX = ".writer-waiting"
_WAITING_INFIX = ".waiting."
_WRITER_MARK_TTL = 30.0  # seconds: a mark older than this was left by a killed writer
_PID = re.compile(r"\(PID (\d+)\)")


def lock_wait_seconds() -> float:
    """``$TRENDWATCH_LOCK_WAIT`` when it is a number of seconds (0: do not wait), else 60.

    >>> lock_wait_seconds() >= 0
    True
    """
    try:
        return max(0.0, float(os.environ[LOCK_WAIT_ENV]))
    except (KeyError, ValueError):
        return DEFAULT_LOCK_WAIT


def is_lock_conflict(exc: BaseException) -> bool:
    """True when DuckDB refused to open a file because another process holds its lock."""
    return isinstance(exc, duckdb.Error) and "Could not set lock on file" in str(exc)


def lock_holder(exc: BaseException) -> str | None:
    """``pid N (command line)`` of the process DuckDB says holds the lock, when it says.

    >>> lock_holder(duckdb.IOException('Conflicting lock is held in /x/python (PID 0).'))
    'pid 0'
    """
    match = _PID.search(str(exc))
    if match is None:
        return None
    pid = match.group(1)
    command = _command_line(pid)
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def _command_line(pid: str) -> str | None:
    """The process's command line from /proc (Linux), shortened; None where unreadable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    words = [w.decode("utf-8", "replace") for w in raw.split(b"\0") if w]
    if not words:
        return None
    if Path(words[0]).name.startswith("python") and len(words) > 1 and "/" in words[1]:
        words = words[1:]  # `python3 .venv/bin/trendwatch groups` (a script run by its #!)
    words[0] = Path(words[0]).name  # `.venv/bin/trendwatch` reads as `trendwatch`
    line = " ".join(words)
    return line if len(line) <= 160 else line[:159] + "…"


def connect_waiting(
    path: str,
    *,
    read_only: bool,
    wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> duckdb.DuckDBPyConnection:
    """A connection to ``path``, retrying while another process holds a conflicting lock.

    Gives up after ``wait`` seconds (:func:`lock_wait_seconds` when None) and raises the last
    lock error; any other error is raised at once.

    A reader also waits while a writer has said it is waiting (:func:`writer_waiting`), so that
    readers who open the store again and again cannot keep a writer out for ever. While it
    waits it says so (a ``STORE.waiting.PID`` file beside the store), so that a
    watcher holding the store between its writes lets go of it after the current one
    (:func:`others_waiting`).
    """
    wait = lock_wait_seconds() if wait is None else wait
    deadline = clock() + wait
    while read_only and _writer_is_waiting(path) and clock() < deadline:
        sleep(random.uniform(*_RETRY_EVERY))
    mark = Path(f"{path}{_WAITING_INFIX}{os.getpid()}")
    try:
        while True:
            try:
                return connect(path, read_only=read_only)
            except duckdb.Error as exc:
                if not is_lock_conflict(exc) or clock() >= deadline:
                    raise
            _touch(mark)
            sleep(random.uniform(*_RETRY_EVERY))
    finally:
        with contextlib.suppress(OSError):
            mark.unlink()


def others_waiting(path: str) -> bool:
    """True when another process has said, in the last 30 s, that it waits for ``path``."""
    folder, name = Path(path).parent, Path(path).name + _WAITING_INFIX
    now, own = time.time(), f"{name}{os.getpid()}"
    try:
        marks = [m for m in folder.iterdir() if m.name.startswith(name) and m.name != own]
    except OSError:
        return False
    return any(_age(m, now) < _WRITER_MARK_TTL for m in marks)


def _age(mark: Path, now: float) -> float:
    try:
        return now - mark.stat().st_mtime
    except OSError:
        return float("inf")


def _touch(mark: Path) -> None:
    with contextlib.suppress(OSError):
        mark.touch()


@contextlib.contextmanager
def writer_waiting(path: str) -> Iterator[None]:
    """Say, for the block, that a writer waits for ``path``: new readers hold back.

    The mark is a file beside the store (``STORE.writer-waiting``); one older than 30 s is
    ignored (its writer was killed).
    """
    mark = Path(path + WRITER_WAITING_SUFFIX)
    try:
        mark.write_text(str(os.getpid()))
    except OSError:  # a read-only folder: no priority, but no failure either
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            mark.unlink()


def _writer_is_waiting(path: str) -> bool:
    try:
        age = time.time() - Path(path + WRITER_WAITING_SUFFIX).stat().st_mtime
    except OSError:
        return False
    return age < _WRITER_MARK_TTL
