"""JSON input helpers shared by the JSON formats: peeking at the first record, iterating records.

Inputs are JSON Lines (one value per line), or one JSON array of records, or one JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

__all__ = [
    "first_record",
    "JsonRecord",
    "iter_json_records",
    "iter_json_lines",
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
    except ValueError:
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

    def raw_text(self) -> str:
        """The record as text, for the quarantine (array elements are re-serialised)."""
        if self.raw is not None:
            return self.raw.decode("utf-8", "replace").rstrip("\r\n")
        return orjson.dumps(self.value).decode()


def iter_json_records(stream: BinaryIO, head: bytes) -> Iterator[JsonRecord]:
    """Yield the records of a JSON Lines file, or of a file holding one array (or object).

    An indented single object (first line a lone ``{``) is one record. Blank lines are
    ignored. A JSON Lines line that does not parse is yielded with ``error``, so the caller can
    quarantine exactly that line and go on.
    """
    if is_json_array(head):
        yield from _array_records(stream)
    elif _is_pretty_object(head):
        yield from _document_record(stream)
    else:
        yield from iter_json_lines(stream)


def is_json_lines(head: bytes) -> bool:
    """True when :func:`iter_json_records` reads the input line by line (not an array or
    one indented object), so that any run of whole lines can be read on its own."""
    return not is_json_array(head) and not _is_pretty_object(head)


def _is_pretty_object(head: bytes) -> bool:
    # One indented JSON object (``jq .``, ``json.dump(indent=2)``) opens with a lone "{" line;
    # a JSON Lines record never does, so a corrupt first line stays one bad line.
    first_line = head.lstrip(_WHITESPACE).split(b"\n", 1)[0]
    return first_line.strip() == b"{"


def _document_record(stream: BinaryIO) -> Iterator[JsonRecord]:
    data = stream.read()
    try:
        yield JsonRecord(1, None, orjson.loads(data.lstrip(_WHITESPACE)))
    except orjson.JSONDecodeError as exc:
        yield JsonRecord(1, data, None, f"invalid JSON document: {exc}")


def iter_json_lines(stream: BinaryIO, first_line: int = 1) -> Iterator[JsonRecord]:
    """The records of JSON Lines; ``first_line`` numbers the first line (a piece of a file)."""
    for number, line in enumerate(stream, start=first_line):
        if not line.strip():
            continue
        try:
            yield JsonRecord(number, line, orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield JsonRecord(number, line, None, f"invalid JSON: {exc}")


def _array_records(stream: BinaryIO) -> Iterator[JsonRecord]:
    # A whole-file array is loaded at once: such files come from API dumps and are small
    # next to JSON Lines archives. A broken array is one bad record.
    data = stream.read()
    try:
        values = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield JsonRecord(1, data, None, f"invalid JSON array: {exc}")
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
