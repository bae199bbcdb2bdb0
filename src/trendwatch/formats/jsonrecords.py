"""JSON input helpers shared by the JSON formats: peeking at the first record, iterating records.

Inputs are JSON Lines (one value per line), or one JSON array of records, or one JSON object.

A line longer than the record size cap (:attr:`~.items.ReadOptions.max_record_bytes`) is never
held whole in memory: it is read past in pieces and given as a record with an ``error`` that
says its length, with only its first :data:`~.items.KEPT_BYTES` bytes as its raw text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

import orjson

from .items import KEPT_BYTES, MAX_RECORD_BYTES, Quarantined, ReadOptions
from .stream import InputFile

__all__ = [
    "first_record",
    "json_records",
    "json_text",
    "quarantined",
    "oversized_reason",
    "JsonRecord",
    "iter_json_records",
    "iter_json_lines",
    "LongLine",
    "is_json_array",
    "is_json_lines",
    "RecordNumbers",
]

_DECODER = json.JSONDecoder()
_WHITESPACE = b" \t\r\n\xef\xbb\xbf"  # includes the UTF-8 byte-order mark


def _text(head: bytes) -> str:
    return head.lstrip(_WHITESPACE).decode("utf-8", "ignore")


def is_json_array(head: bytes) -> bool:
    """True when the input is one JSON array (``[`` first, after white space)."""
    return head.lstrip(_WHITESPACE)[:1] == b"["


def first_record(head: bytes) -> object | None:
    """The first JSON value of a head (first line, or first element of an array), or None.

    Only the head is parsed (it is a peek): a first record longer than the head gives None.

    >>> first_record(b'{"a": 1}\\n{"a": 2')
    {'a': 1}
    >>> first_record(b'[{"id": "1"}, {"id": ')
    {'id': '1'}
    """
    text = _text(head)
    start = 1 if text.startswith("[") else 0
    while start < len(text) and text[start] in " \t\r\n":
        start += 1
    try:
        value, _ = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to peek at
        return None
    return value


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One input record: its number (1-based line, or array index + 1), raw text, value.

    ``error`` is set (and ``value`` is None) when the record is not valid JSON.
    """

    record_no: int
    raw: bytes | None
    value: object | None
    error: str | None = None

    def raw_text(self) -> str | None:
        """The record as text, for the quarantine (array elements are re-serialised)."""
        if self.raw is not None:
            return self.raw.decode("utf-8", "replace").rstrip("\r\n")
        return json_text(self.value)


def json_text(value: object) -> str | None:
    """``value`` as JSON text, for the quarantine; None when it nests too deeply to write.

    orjson writes at most 254 levels (it reads 1,024); the standard library goes as deep as
    Python's recursion limit allows.

    >>> json_text({"a": [1]}), json_text([[]] * 2)
    ('{"a":[1]}', '[[],[]]')
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError, TypeError):
        return None


def quarantined(number: int, value: object, reason: str) -> Quarantined:
    """A quarantined record holding ``value`` as JSON text, or no text (said in the reason)
    when it nests too deeply to be written."""
    raw = json_text(value)
    return Quarantined(number, raw, reason if raw is not None else f"{reason} {_TOO_DEEP}")


_TOO_DEEP = "(nested too deeply to keep its raw text)"


def json_records(source: InputFile, options: ReadOptions) -> Iterator[JsonRecord]:
    """The records of an input (see :func:`iter_json_records`), lines numbered from the
    input's first line and capped at ``options.max_record_bytes``."""
    return iter_json_records(
        source.stream,
        source.head,
        first_line=source.first_line,
        max_bytes=options.max_record_bytes,
    )


def iter_json_records(
    stream: BinaryIO, head: bytes, *, first_line: int = 1, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[JsonRecord]:
    """Yield the records of a JSON Lines file, or of a file holding one array (or object).

    An indented single object (first line a lone ``{``) is one record. Blank lines are
    ignored. A JSON Lines line that does not parse, or is longer than ``max_bytes``, is yielded
    with ``error``, so the caller can quarantine exactly that line and go on. An array or an
    indented object is read whole (the cap applies to lines).
    """
    if is_json_array(head):
        yield from _array_records(stream, max_bytes)
    elif _is_pretty_object(head):
        yield from _document_record(stream, max_bytes)
    else:
        yield from iter_json_lines(stream, first_line, max_bytes)


def is_json_lines(head: bytes) -> bool:
    """True when :func:`iter_json_records` reads the input line by line (not an array or
    one indented object), so that any run of whole lines can be read on its own."""
    return not is_json_array(head) and not _is_pretty_object(head)


def _is_pretty_object(head: bytes) -> bool:
    # One indented JSON object (``jq .``, ``json.dump(indent=2)``) opens with a lone "{" line;
    # a JSON Lines record never does, so a corrupt first line stays one bad line.
    first_line = head.lstrip(_WHITESPACE).split(b"\n", 1)[0]
    return first_line.strip() == b"{"


def _document_record(stream: BinaryIO, max_bytes: int) -> Iterator[JsonRecord]:
    data = stream.read()
    try:
        yield JsonRecord(1, None, orjson.loads(data.lstrip(_WHITESPACE)))
    except orjson.JSONDecodeError as exc:
        yield _broken_document(data, f"invalid JSON document: {exc}", max_bytes)


def _broken_document(data: bytes, reason: str, max_bytes: int) -> JsonRecord:
    """A whole-file record that does not parse; only its first bytes when it is over the cap."""
    if len(data) <= max_bytes:
        return JsonRecord(1, data, None, reason)
    kept = data[:KEPT_BYTES]
    return JsonRecord(1, kept, None, f"{reason}; {len(data):,} bytes, first {len(kept):,} kept")


def iter_json_lines(
    stream: BinaryIO, first_line: int = 1, max_bytes: int = MAX_RECORD_BYTES
) -> Iterator[JsonRecord]:
    """The records of JSON Lines; ``first_line`` numbers the first line (a piece of a file).

    A line of more than ``max_bytes`` bytes (its line end aside) is an error record holding
    its first bytes; it is read past without being held whole.
    """
    lines = iter(partial(stream.readline, max_bytes + 1), b"")  # + 1: room for the LF
    for number, line in enumerate(lines, start=first_line):
        if len(line) > max_bytes and len(line.removesuffix(b"\n")) > max_bytes:
            yield _long_line(stream, line, number, max_bytes)
        elif not line.strip():
            continue
        else:
            try:
                yield JsonRecord(number, line, orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                yield JsonRecord(number, line, None, f"invalid JSON: {exc}")


_SKIP_BYTES = 1 << 20  # read size while reading past a long line


def _long_line(stream: BinaryIO, line: bytes, number: int, max_bytes: int) -> JsonRecord:
    """The error record of a line longer than ``max_bytes`` whose first part is ``line``:
    the rest of the line is read past (hashed and counted, never held). A record's size is
    its line's without the LF (a CR before it counts)."""
    long = LongLine(line[:KEPT_BYTES])
    while True:
        ended = line.endswith(b"\n")
        long.add(line[:-1] if ended else line)
        if ended or not (line := stream.readline(_SKIP_BYTES)):
            break
    return long.record(number, max_bytes)


class LongLine:
    """What is kept of a line over the cap while it is read past: its first bytes, its size
    and a digest (blake2b, 64 bits) of the whole line, which tells two such lines apart."""

    def __init__(self, kept: bytes):
        self.kept, self.size = kept, 0
        self.digest = hashlib.blake2b(digest_size=8)

    def add(self, part: bytes) -> None:
        self.digest.update(part)
        self.size += len(part)

    def record(self, number: int, max_bytes: int) -> JsonRecord:
        reason = oversized_reason(self.size, max_bytes, len(self.kept), self.digest.hexdigest())
        return JsonRecord(number, self.kept, None, reason)


def oversized_reason(size: int, max_bytes: int, kept: int, digest: str) -> str:
    """The quarantine reason of a record longer than the cap.

    >>> print(oversized_reason(20_000_000, 16 << 20, 4096, "00ff").split(" (")[0])
    record of 20,000,000 bytes is over the 16,777,216-byte cap
    """
    return (
        f"record of {size:,} bytes is over the {max_bytes:,}-byte cap (--max-record-bytes): "
        f"only its first {kept:,} bytes are kept (blake2b-64 of the record {digest})"
    )


def _array_records(stream: BinaryIO, max_bytes: int) -> Iterator[JsonRecord]:
    # A whole-file array is loaded at once: such files come from API dumps and are small
    # next to JSON Lines archives. A broken array is one bad record.
    data = stream.read()
    try:
        values = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield _broken_document(data, f"invalid JSON array: {exc}", max_bytes)
        return
    for index, value in enumerate(values, start=1):
        yield JsonRecord(index, None, value)


class RecordNumbers:
    """Record numbers for inputs where one JSON value may hold several records (API pages).

    Numbers increase in file order and are never reused (the quarantine is keyed by them);
    they equal the line number (or array position) while each value holds one record.

    >>> numbers = RecordNumbers()
    >>> [numbers.take(1), numbers.take(1), numbers.take(2), numbers.take(7)]
    [1, 2, 3, 7]
    """

    def __init__(self) -> None:
        self.last = 0

    def take(self, record_no: int) -> int:
        """The number of the next record found in the JSON value numbered ``record_no``."""
        self.last = max(self.last + 1, record_no)
        return self.last
