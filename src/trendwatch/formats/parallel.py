"""Reading a large JSON Lines file in worker processes, with the items of the serial reader.

Parsing JSON and normalising records is Python code that holds the GIL, so threads cannot
share it; worker processes can. The parent cuts the file into pieces at line ends (it reads
the file once to find them and to count lines), each worker reads its pieces from the file
itself, runs the format's own reader on them and sends back the items (Arrow tables of posts
and accounts, skipped and quarantined records). The parent yields them **in file order**, so
the store sees the records in the order the serial reader gives them: accounting, quarantine
rows, context posts replaced by collected ones and "the latest account observation wins" do
not depend on the path.

Record numbers are the one thing a piece cannot know alone: :class:`~.jsonrecords.RecordNumbers`
gives the next record ``max(last + 1, line)``, and ``last`` depends on every record before
the piece. A worker numbers its piece from ``last = 0`` and counts the numbers it takes; the
parent then corrects each one: from a true start ``L``, the ``k``-th number of the piece is
``max(L + k, n_k)`` where ``n_k`` is the number counted from 0 (induction on ``k``:
``max(max(L + k - 1, n_(k-1)) + 1, line) = max(L + k, n_k)``).

Workers are forked by multiprocessing's fork server (``spawn`` where there is none), never
forked from the ingesting process, which holds a DuckDB connection and threads. Unlike
multiprocessing's default, they start without importing the caller's main module, so a script
that calls :func:`trendwatch.ingest` needs no ``if __name__ == "__main__":`` guard: the workers
only run trendwatch's own functions.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import sys
import threading
import types
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import BinaryIO

from ..collector import cycle_collection_paused
from ..errors import UnreadableFileError
from .items import KEPT_BYTES, MAX_RECORD_BYTES, Parallelism, Quarantined, Skipped
from .jsonrecords import JsonRecord, LongLine, RecordNumbers, is_json_lines, iter_json_lines
from .stream import FileIdentity, InputFile

__all__ = ["ChunkReader", "reads_in_parallel", "read_in_parallel", "read_piece"]

ChunkReader = Callable[[Iterator[JsonRecord], RecordNumbers], Iterator[object]]
"""A format's reader over records: what it yields for them, numbering them with the numbers.

It must be a module-level function (or a ``functools.partial`` of one): it is sent to the
workers by name.
"""

# Pieces read ahead per worker: enough for the workers to go on parsing while the store
# writes a batch (about a second), few enough to bound memory (4 x 16 MB of input each).
_IN_FLIGHT_PER_WORKER = 4


def reads_in_parallel(source: InputFile, parallel: Parallelism) -> bool:
    """True when ``source`` is read by workers: a large, uncompressed JSON Lines file."""
    return (
        parallel.workers >= 1
        and source.path is not None
        and not source.compressed
        and (source.size or 0) >= parallel.min_bytes
        and is_json_lines(source.head)
    )


@dataclass(frozen=True, slots=True)
class Piece:
    """Whole lines of a file: ``length`` bytes from ``offset``, the first being ``first_line``.

    ``identity`` is the file's when the run opened it: a worker reads the piece only from
    that file, unchanged. ``long_line`` is set for a piece that is one line over the record
    size cap, read past by the parent: the record to give instead of reading the piece.
    """

    path: str
    offset: int
    length: int
    first_line: int
    identity: FileIdentity | None = None
    max_record_bytes: int = MAX_RECORD_BYTES
    long_line: JsonRecord | None = None


@dataclass(frozen=True, slots=True)
class _Numbered:
    """A record item of a piece and which of the piece's numbers it took (1-based)."""

    take: int
    item: Skipped | Quarantined


@dataclass(frozen=True, slots=True)
class PieceItems:
    """What a worker read in a piece: the items, the numbers it took and the last one."""

    items: list
    taken: int
    last: int


class _CountingNumbers(RecordNumbers):
    """Record numbers that also count how many were taken."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = 0

    def take(self, record_no: int) -> int:
        self.taken += 1
        return super().take(record_no)


def read_piece(reader: ChunkReader, piece: Piece) -> PieceItems:
    """Run ``reader`` on one piece (in a worker): its items, record items tagged by number.

    Readers yield a record item right after taking its number (they are generators), so the
    count of numbers taken when it arrives is its position among the piece's numbers.
    """
    if piece.long_line is not None:
        records: Iterator[JsonRecord] = iter([piece.long_line])
    else:
        data = _piece_bytes(piece)
        records = iter_json_lines(io.BytesIO(data), piece.first_line, piece.max_record_bytes)
    numbers = _CountingNumbers()
    items: list = []
    with cycle_collection_paused():
        for item in reader(records, numbers):
            is_record = type(item) is Skipped or type(item) is Quarantined
            items.append(_Numbered(numbers.taken, item) if is_record else item)
    return PieceItems(items, numbers.taken, numbers.last)


def _piece_bytes(piece: Piece) -> bytes:
    """The bytes of a piece, read from the file the run opened, or an UnreadableFileError."""
    try:
        with open(piece.path, "rb") as file:
            _check_unchanged(file, piece)
            file.seek(piece.offset)
            data = file.read(piece.length)
            _check_unchanged(file, piece)
    except FileNotFoundError as exc:
        raise _changed(piece, "removed") from exc
    except OSError as exc:
        raise UnreadableFileError(
            f"{piece.path}: cannot read line {piece.first_line:,} on ({exc})"
        ) from exc
    return data


def _check_unchanged(file: BinaryIO, piece: Piece) -> None:
    if piece.identity is not None and FileIdentity.of(file.fileno()) != piece.identity:
        raise _changed(piece, "replaced or written to")


def _changed(piece: Piece, how: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{piece.path}: the file was {how} while it was read; lines {piece.first_line:,} "
        "on are not read (ingest it again once it is complete)"
    )


class _Renumbering:
    """Turns the numbers of each piece (counted from 0) into the file's record numbers."""

    def __init__(self) -> None:
        self.last = 0

    def items(self, piece: PieceItems) -> list:
        start = self.last
        self.last = max(start + piece.taken, piece.last)
        return [
            replace(item.item, record_no=max(start + item.take, item.item.record_no))
            if type(item) is _Numbered
            else item
            for item in piece.items
        ]


def pieces(
    stream: BinaryIO,
    path: str,
    chunk_bytes: int,
    *,
    start: tuple[int, int] = (0, 1),
    identity: FileIdentity | None = None,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[Piece]:
    """Cut the stream (the file from byte ``start[0]``, line ``start[1]``) into pieces of
    whole lines.

    Each read of ``chunk_bytes`` ends a piece at its last line end (a longer line makes a
    longer piece); the last piece may lack a final line end. A line over
    ``max_record_bytes`` is read past here, without being held, and makes a piece of its own
    (:attr:`Piece.long_line`). One buffer is reused: fresh 8 MB blocks cost more in page
    faults than the counting. Reading ``stream`` here also moves its position, which the
    ingest's progress report shows.
    """
    piece = partial(Piece, path, identity=identity, max_record_bytes=max_record_bytes)
    cutter = _Cutter(stream, bytearray(max(chunk_bytes, 1)), *start)
    while True:
        if cutter.kept > max_record_bytes:  # an unfinished line already over the cap
            yield from cutter.long_line(piece, max_record_bytes)
            continue
        got = cutter.read()
        if not got:
            if cutter.kept:
                yield piece(cutter.offset, cutter.kept, cutter.line)
            return
        yield from cutter.cut(piece, cutter.kept + got)


class _Cutter:
    """The state of :func:`pieces`: where the next piece starts, and the buffer whose first
    ``kept`` bytes are the start of a line not ended yet."""

    def __init__(self, stream: BinaryIO, buffer: bytearray, offset: int, line: int):
        self.stream, self.buffer = stream, buffer
        self.offset, self.line, self.kept = offset, line, 0

    def read(self) -> int:
        if self.kept == len(self.buffer):  # a line longer than the buffer: make room
            self.buffer.extend(bytes(len(self.buffer)))
        with memoryview(self.buffer) as view:
            return self.stream.readinto(view[self.kept :])

    def cut(self, piece: Callable, end: int) -> Iterator[Piece]:
        """The piece of the whole lines among the buffer's first ``end`` bytes, if any."""
        buffer = self.buffer
        cut = buffer.rfind(b"\n", 0, end) + 1
        if cut:
            yield piece(self.offset, cut, self.line)
            self.line += buffer.count(b"\n", 0, cut)
            self.offset += cut
            buffer[: end - cut] = buffer[cut:end]
        self.kept = end - cut

    def long_line(self, piece: Callable, max_bytes: int) -> Iterator[Piece]:
        """The piece of the line over the cap that the buffer starts, then of the whole
        lines read with its end."""
        record, length, rest = _read_past(
            self.stream, self.buffer[: self.kept], self.line, max_bytes
        )
        yield piece(self.offset, length, self.line, long_line=record)
        self.offset, self.line = self.offset + length, self.line + 1
        self.buffer[: len(rest)] = rest
        yield from self.cut(piece, len(rest))


def _read_past(
    stream: BinaryIO, first: bytes, line: int, max_bytes: int
) -> tuple[JsonRecord, int, bytes]:
    """Read past the rest of a line over the cap whose first bytes are ``first``: its error
    record (as :func:`~.jsonrecords.iter_json_lines` gives it), its length in the file (with
    its LF) and the bytes read after it."""
    long = LongLine(first[:KEPT_BYTES])
    long.add(first)
    while chunk := stream.read(_SKIP_BYTES):
        end = chunk.find(b"\n")
        if end >= 0:
            long.add(chunk[:end])
            return long.record(line, max_bytes), long.size + 1, chunk[end + 1 :]
        long.add(chunk)
    return long.record(line, max_bytes), long.size, b""


_SKIP_BYTES = 1 << 20


def read_in_parallel(
    source: InputFile,
    reader: ChunkReader,
    parallel: Parallelism,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Iterator[list]:
    """The items ``reader`` gives for each piece of ``source``, read by ``parallel.workers``.

    One list per piece, in file order, with the file's record numbers: the items ``reader``
    gives for the whole file, except for what it gathers across lines (Arrow tables), which
    the caller may gather again. A worker's error is raised here after the pieces before
    it; on any exit (end, error, the caller closing the generator, Ctrl-C) the workers are
    stopped before this returns.
    """
    path = str(Path(source.name).resolve())
    todo = pieces(
        source.stream,
        path,
        parallel.chunk_bytes,
        start=(source.offset, source.first_line),
        identity=source.identity,
        max_record_bytes=max_record_bytes,
    )
    numbering = _Renumbering()
    with _workers(parallel.workers) as pool:
        pending: deque[Future] = deque()
        for piece in todo:
            pending.append(pool.submit(read_piece, reader, piece))
            if len(pending) >= parallel.workers * _IN_FLIGHT_PER_WORKER:
                yield numbering.items(pending.popleft().result())
        while pending:
            yield numbering.items(pending.popleft().result())


@contextlib.contextmanager
def _workers(count: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``count`` workers, shut down (queued pieces cancelled) on exit."""
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=_start_method(),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# What a worker needs, imported once by the fork server rather than by every worker (importing
# trendwatch takes a second of CPU, a few per cent of a 1 GB ingest per worker).
_PRELOAD = ["trendwatch.formats.x_v2"]


def _start_method() -> multiprocessing.context.BaseContext:
    """``forkserver`` where there is one, else ``spawn``; never ``fork``.

    Forking the ingesting process would copy its DuckDB connection and its threads' locks.
    The fork server is a fresh process (started once per program) that forks the workers.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return _SpawnContext()
    context = _ForkServerContext()
    context.set_forkserver_preload(_PRELOAD)
    return context


class _MainHidden:
    """A process that starts without importing the caller's ``__main__``.

    multiprocessing makes a new process import the parent's main script (so that functions
    defined there can be sent). Ours never are; and a script without a main guard would run
    again in every worker, which would open the store the parent holds and fail.
    """

    def start(self) -> None:
        # multiprocessing reads sys.modules["__main__"] (its __spec__ or __file__) while
        # starting the process, in this thread; the real module is back when start returns.
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            super().start()
        finally:
            sys.modules["__main__"] = main


# Module-level classes: multiprocessing pickles the process object to start it.
class _SpawnProcess(_MainHidden, multiprocessing.context.SpawnProcess):
    pass


class _SpawnContext(multiprocessing.context.SpawnContext):
    Process = _SpawnProcess


if "forkserver" in multiprocessing.get_all_start_methods():

    class _ForkServerProcess(_MainHidden, multiprocessing.context.ForkServerProcess):
        pass

    class _ForkServerContext(multiprocessing.context.ForkServerContext):
        Process = _ForkServerProcess


def _start_worker(owner_pid: int) -> None:
    """Ignore Ctrl-C (the owner stops the workers) and exit when the owner is gone.

    Ctrl-C reaches every process of the terminal's group; the owner (the process reading the
    file) handles it and shuts the pool down, so a worker need not print its own traceback.
    An owner killed outright cannot shut anything down: the worker sees it gone and exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_without_owner, args=(owner_pid,), daemon=True).start()


_OWNER_CHECK_SECONDS = 1.0


def _exit_without_owner(owner_pid: int) -> None:
    while _is_running(owner_pid):
        threading.Event().wait(_OWNER_CHECK_SECONDS)
    os._exit(1)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user (its number was reused)
        return False
    return True
