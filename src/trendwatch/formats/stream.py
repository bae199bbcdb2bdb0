"""Opening inputs: paths or stdin, gzip / bz2 / zstd recognised by their magic bytes.

An input's leading byte-order mark and blank lines are read past before its head is taken, so
that format detection sees its first record however many blank lines come first (the line
numbers of what follows still count them: :attr:`InputFile.first_line`).

A read error after the head (a truncated or corrupt compressed file, an I/O error) is raised as
:class:`~trendwatch.errors.UnreadableFileError` naming the byte it happened after, so that
ingest can keep the records read before it and report the rest of the file as unreadable.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from ..errors import UnreadableFileError
from .zstdframes import FrameCheck

__all__ = ["HEAD_BYTES", "FileIdentity", "InputFile", "open_input"]

HEAD_BYTES = 64 * 1024
_GZIP = b"\x1f\x8b"
_BZ2 = b"BZh"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BOM = b"\xef\xbb\xbf"
_BLANK = b" \t\r\n"
# What reading a damaged compressed stream raises: truncated data (EOFError), a bad CRC or
# header (gzip.BadGzipFile, an OSError), corrupt deflate data (zlib.error), bz2 (OSError) and
# zstd (ZstdError) errors. An OSError of an uncompressed file is an I/O error.
_READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file an open descriptor reads, and its size and modification time then.

    Worker processes that reopen the path compare it with theirs, so that a file replaced or
    written to during the read is noticed instead of read at the old offsets.
    """

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, fd: int) -> FileIdentity:
        info = os.fstat(fd)
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass
class InputFile:
    """An opened input: a buffered binary stream, its first bytes (decompressed), its size.

    ``path`` is None for stdin. ``size`` is the on-disk size (for progress), or None.
    ``stream`` starts at the first line that is not blank (after a byte-order mark):
    ``offset`` is its position in the (decompressed) input and ``first_line`` its line number.
    ``identity`` is that of the file opened (None for stdin).
    """

    name: str
    stream: BinaryIO
    head: bytes
    path: Path | None
    size: int | None
    compressed: bool
    offset: int = 0
    first_line: int = 1
    identity: FileIdentity | None = None

    def close(self) -> None:
        self.stream.close()


def open_input(name: str) -> InputFile:
    """Open a path (or ``-`` for stdin) for reading, decompressing transparently.

    Raises :class:`~trendwatch.errors.UnreadableFileError` for a missing path, a directory, a
    file that cannot be opened, or a compressed file whose head cannot be decompressed.
    """
    if name == "-":
        raw: BinaryIO = sys.stdin.buffer
        path, size, identity = None, None, None
    else:
        path = _existing(name)
        raw = _open(path, name)
        identity = FileIdentity.of(raw.fileno())
        size = identity.size
    magic = _peek(raw, name)
    stream = _Guarded(raw, name, _kind(magic), owns_raw=name != "-")
    head, skipped, lines = _past_blank_lines(stream)
    if stream.error is not None and not head:  # not one byte to read: the file is unreadable
        stream.close()
        raise stream.error
    # Put the head back in front of the rest: detection peeks, it never consumes a record. A
    # read error met while taking the head (a short truncated file) comes after the head.
    stream.prefix(head)
    chained = io.BufferedReader(stream, buffer_size=1 << 20)
    compressed = stream.kind != "file"
    return InputFile(name, chained, head, path, size, compressed, skipped, lines + 1, identity)


def _existing(name: str) -> Path:
    path = Path(name)
    if not path.exists():
        raise UnreadableFileError(f"{name}: no such file")
    if path.is_dir():
        raise UnreadableFileError(f"{name}: is a directory; give the files inside it")
    return path


def _open(path: Path, name: str) -> BinaryIO:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by InputFile.close
    except OSError as exc:
        raise UnreadableFileError(f"{name}: cannot open ({exc.strerror or exc})") from exc


def _peek(raw: BinaryIO, name: str) -> bytes:
    try:
        return raw.peek(4)[:4]
    except (OSError, ValueError) as exc:  # ValueError: a closed stdin
        raise UnreadableFileError(f"{name}: cannot read ({exc})") from exc


def _past_blank_lines(stream: _Guarded) -> tuple[bytes, int, int]:
    """Read past a byte-order mark and blank lines: the head that follows (up to HEAD_BYTES,
    starting with the first line that is not blank), the bytes and the line ends read past."""
    chunk = _read_fully(stream, HEAD_BYTES)
    skipped = len(_BOM) if chunk.startswith(_BOM) else 0
    chunk, lines = chunk[skipped:], 0
    while chunk and not chunk.strip(_BLANK):
        skipped, lines = skipped + len(chunk), lines + chunk.count(b"\n")
        chunk = _read_fully(stream, HEAD_BYTES)
    text_at = len(chunk) - len(chunk.lstrip(_BLANK))
    cut = max(chunk.rfind(b"\n", 0, text_at), chunk.rfind(b"\r", 0, text_at)) + 1
    head = chunk[cut:] + _read_fully(stream, cut) if cut else chunk
    return head, skipped + cut, lines + chunk.count(b"\n", 0, cut)


def _read_fully(stream: _Guarded, size: int) -> bytes:
    """``size`` bytes, or fewer at the end of the stream."""
    parts, left = [], size
    while left > 0 and (part := stream.read(left)):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


class _Guarded(io.RawIOBase):
    """The decompressed input as a raw stream, after a ``prefix`` of bytes already read.

    It counts the bytes it gives, so that a read error becomes an
    :class:`~trendwatch.errors.UnreadableFileError` that says after which byte it happened.
    Until :meth:`prefix` is called (while the head is taken), a read error is held in
    ``error`` and reads as the end of the stream; then it is raised after the prefix.
    """

    def __init__(self, raw: BinaryIO, name: str, kind: str, *, owns_raw: bool):
        self._raw, self._owns_raw = raw, owns_raw
        self._frames = FrameCheck(raw) if kind == "zstd" else None
        self._stream = _decompressing(raw, kind, self._frames)
        self._prefix = memoryview(b"")
        self.name, self.kind = name, kind
        self.position = 0  # bytes of the input given so far, the prefix aside
        self.error: UnreadableFileError | None = None
        self._holding = True

    def prefix(self, data: bytes) -> None:
        self._prefix = memoryview(data)
        self._holding = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self.error is None:
            try:
                # read1: one read of the stream below. A gzip read of many blocks that meets
                # the end of a truncated file raises and drops the blocks it had decompressed.
                data = self._stream.read1(len(buffer))
            except _READ_ERRORS as exc:
                self.error = UnreadableFileError(self._describe(exc))
                self.error.__cause__ = exc
            else:
                if not data and self._frames is not None and not self._frames.complete:
                    self.error = UnreadableFileError(self._describe(EOFError()))
        if self.error is not None:
            if self._holding:
                return 0
            raise self.error
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _describe(self, exc: Exception) -> str:
        where = f"after byte {self.position:,}"
        if self.kind == "file":
            return f"{self.name}: read error {where} ({exc})"
        if isinstance(exc, EOFError):
            return f"{self.name}: truncated {self.kind} {where} (the compressed data ends early)"
        return f"{self.name}: corrupt {self.kind} {where} ({type(exc).__name__}: {exc})"

    def close(self) -> None:
        # A GzipFile or BZ2File does not close the file it was given; stdin stays open.
        if self._stream is not self._raw:
            self._stream.close()
        if self._owns_raw:
            self._raw.close()
        super().close()


def _kind(magic: bytes) -> str:
    for kind, start in (("gzip", _GZIP), ("bz2", _BZ2), ("zstd", _ZSTD)):
        if magic.startswith(start):
            return kind
    return "file"


def _decompressing(raw: BinaryIO, kind: str, frames: FrameCheck | None) -> BinaryIO:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw)
    if kind == "bz2":
        return bz2.BZ2File(raw)
    if kind == "zstd":  # read through the frame check, which tells a cut frame from the end
        decompressor = zstandard.ZstdDecompressor()
        return decompressor.stream_reader(frames, read_across_frames=True, closefd=False)
    return raw
