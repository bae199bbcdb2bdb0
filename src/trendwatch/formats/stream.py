"""Opening inputs: paths or stdin, gzip / bz2 / zstd recognised by their magic bytes."""

from __future__ import annotations

import bz2
import gzip
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from ..errors import UnreadableFileError

__all__ = ["HEAD_BYTES", "InputFile", "open_input"]

HEAD_BYTES = 64 * 1024
_GZIP = b"\x1f\x8b"
_BZ2 = b"BZh"
_ZSTD = b"\x28\xb5\x2f\xfd"


@dataclass
class InputFile:
    """An opened input: a buffered binary stream, its first bytes (decompressed), its size.

    ``path`` is None for stdin. ``size`` is the on-disk size (for progress), or None.
    """

    name: str
    stream: BinaryIO
    head: bytes
    path: Path | None
    size: int | None
    compressed: bool

    def close(self) -> None:
        self.stream.close()


def open_input(name: str) -> InputFile:
    """Open a path (or ``-`` for stdin) for reading, decompressing transparently.

    Raises :class:`~trendwatch.errors.UnreadableFileError` for a missing path, a directory, or
    a compressed file that cannot be decompressed.
    """
    if name == "-":
        raw: BinaryIO = sys.stdin.buffer
        path, size = None, None
    else:
        path = Path(name)
        if not path.exists():
            raise UnreadableFileError(f"{name}: no such file")
        if path.is_dir():
            raise UnreadableFileError(f"{name}: is a directory; give the files inside it")
        raw = open(path, "rb")  # noqa: SIM115 - closed by InputFile.close
        size = path.stat().st_size
    magic = _peek(raw, name)
    stream = _decompressing(raw, magic)
    try:
        head = stream.read(HEAD_BYTES)
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        stream.close()
        raise UnreadableFileError(f"{name}: cannot decompress ({exc})") from exc
    # Put the head back in front of the rest: detection peeks, it never consumes a record.
    chained = io.BufferedReader(_Prefixed(head, stream), buffer_size=1 << 20)
    return InputFile(name, chained, head, path, size, compressed=stream is not raw)


def _peek(raw: BinaryIO, name: str) -> bytes:
    try:
        return raw.peek(4)[:4]
    except OSError as exc:
        raise UnreadableFileError(f"{name}: cannot read ({exc})") from exc


class _Prefixed(io.RawIOBase):
    """A raw stream that yields ``prefix`` and then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO):
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _decompressing(raw: BinaryIO, magic: bytes) -> BinaryIO:
    if magic.startswith(_GZIP):
        return gzip.GzipFile(fileobj=raw)
    if magic.startswith(_BZ2):
        return bz2.BZ2File(raw)
    if magic.startswith(_ZSTD):
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw
