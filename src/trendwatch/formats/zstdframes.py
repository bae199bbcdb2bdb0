"""Whether a zstd stream ends where a frame ends.

``zstandard``'s readers take a stream cut inside a frame for its end: a truncated ``.zst``
would be read as a shorter file, without a word. :class:`FrameCheck` reads the compressed
bytes for the decompressor and follows the frame format (RFC 8878, section 3.1) as they go
by: frame headers, block headers (it skips the blocks' contents) and checksums, and skippable
frames. It never decompresses anything; its cost is a few header reads per 128 KB block.
"""

from __future__ import annotations

from typing import BinaryIO

__all__ = ["FrameCheck"]

_MAGIC = 0xFD2FB528
_SKIPPABLE = 0x184D2A50  # to 0x184D2A5F
_DICTIONARY_ID_BYTES = (0, 1, 2, 4)
_CONTENT_SIZE_BYTES = (0, 2, 4, 8)  # by flag; flag 0 with a single segment: 1 byte


class FrameCheck:
    """A compressed zstd stream that knows whether it has ended where a frame ends.

    ``complete`` is False while a frame (or a skippable frame) is unfinished. A stream that
    stops following the format (not zstd, a reserved block type) is left to the decompressor,
    which reports it: ``complete`` is then True.

    >>> import io, zstandard
    >>> data = zstandard.compress(b"hello") * 2
    >>> check = FrameCheck(io.BytesIO(data[:-3]))
    >>> _ = check.read(), check.complete
    >>> check.complete
    False
    """

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._header = b""  # the bytes of the header being read
        self._need, self._state, self._skip = 4, self._magic, 0
        self._checksum = False
        self._lost = False

    @property
    def complete(self) -> bool:
        return self._lost or (self._state == self._magic and not self._header and not self._skip)

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if not self._lost:
            self._follow(memoryview(data))
        return data

    def close(self) -> None:
        self._raw.close()

    def _follow(self, data: memoryview) -> None:
        at = 0
        while at < len(data) and not self._lost:
            if self._skip:
                step = min(self._skip, len(data) - at)
                self._skip -= step
                at += step
                continue
            part = data[at : at + self._need - len(self._header)]
            self._header += part
            at += len(part)
            if len(self._header) == self._need:
                header, self._header = self._header, b""
                self._state(header)

    def _expect(self, state, need: int, skip: int = 0) -> None:
        self._state, self._need, self._skip = state, need, skip

    def _magic(self, header: bytes) -> None:
        magic = int.from_bytes(header, "little")
        if magic == _MAGIC:
            self._expect(self._descriptor, 1)
        elif magic & 0xFFFFFFF0 == _SKIPPABLE:
            self._expect(self._skippable_size, 4)
        else:
            self._lost = True

    def _skippable_size(self, header: bytes) -> None:
        self._expect(self._magic, 4, skip=int.from_bytes(header, "little"))

    def _descriptor(self, header: bytes) -> None:
        flags = header[0]
        single_segment = bool(flags & 0x20)
        self._checksum = bool(flags & 0x04)
        size_bytes = _CONTENT_SIZE_BYTES[flags >> 6] or int(single_segment)
        rest = (not single_segment) + _DICTIONARY_ID_BYTES[flags & 0x03] + size_bytes
        self._expect(self._block, 3, skip=rest)

    def _block(self, header: bytes) -> None:
        value = int.from_bytes(header, "little")
        last, kind, size = value & 1, (value >> 1) & 3, value >> 3
        if kind == 3:  # reserved: corrupt, the decompressor says so
            self._lost = True
            return
        content = 1 if kind == 1 else size  # an RLE block holds one byte
        if not last:
            self._expect(self._block, 3, skip=content)
        elif self._checksum:
            self._expect(self._magic, 4, skip=content + 4)
        else:
            self._expect(self._magic, 4, skip=content)
