"""Opening inputs: compression by magic bytes, the head is a peek, clear errors."""

from __future__ import annotations

import bz2
import gzip
import io
import sys

import pytest
import zstandard

from trendwatch.errors import UnreadableFileError
from trendwatch.formats.stream import HEAD_BYTES, open_input

PAYLOAD = b"".join(b'{"n": %d}\n' % i for i in range(20000))  # larger than the head


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        ("", lambda b: b),
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".zst", lambda b: zstandard.ZstdCompressor().compress(b)),
    ],
)
def test_compressed_inputs_read_transparently(tmp_path, suffix, compress):
    path = tmp_path / f"data.jsonl{suffix}"
    path.write_bytes(compress(PAYLOAD))
    source = open_input(str(path))
    try:
        assert source.head == PAYLOAD[:HEAD_BYTES]
        assert source.stream.read() == PAYLOAD  # the head was not consumed
        assert source.compressed == bool(suffix)
    finally:
        source.close()


def test_compression_is_recognised_by_content_not_name(tmp_path):
    path = tmp_path / "misnamed.jsonl"
    path.write_bytes(gzip.compress(PAYLOAD))
    source = open_input(str(path))
    assert source.stream.read() == PAYLOAD
    source.close()


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(PAYLOAD))))
    source = open_input("-")
    assert source.path is None
    assert source.stream.read() == PAYLOAD


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file"):
        open_input(str(tmp_path / "nope.jsonl"))
    with pytest.raises(UnreadableFileError, match="is a directory"):
        open_input(str(tmp_path))


def test_corrupt_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(UnreadableFileError, match="corrupt gzip after byte 0"):
        open_input(str(path))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    source = open_input(str(path))
    assert source.head == b""
    assert source.stream.read() == b""
