"""Recognise a trendwatch data package: a folder whose ``manifest.json`` says it is one.

A package (:mod:`trendwatch.exports.package`) is a folder of files, not one stream, so it is
not in :data:`~trendwatch.formats.FORMAT_ORDER`: ``ingest`` asks :func:`package_folder` first.
Detection peeks at the first bytes of the manifest, as every format's ``sniff`` does; it never
parses the file to see whether that fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from .stream import HEAD_BYTES

__all__ = ["NAME", "DESCRIPTION", "MANIFEST", "PACKAGE_FORMAT", "sniff", "package_folder"]

NAME = "package"
DESCRIPTION = "trendwatch data package (a folder with manifest.json, from `trendwatch export`)"
MANIFEST = "manifest.json"
PACKAGE_FORMAT = "trendwatch-package"

_SIGNATURE = re.compile(rb'\A\s*\{\s*"format"\s*:\s*"trendwatch-package"')


def sniff(head: bytes) -> bool:
    """Whether a manifest's first bytes are a package manifest's (its first key says so).

    >>> sniff(b'{"format": "trendwatch-package", "package_version": 1'), sniff(b'{"id": 1}')
    (True, False)
    """
    return _SIGNATURE.match(head) is not None


def package_folder(path: str | Path) -> Path | None:
    """The package folder ``path`` names (the folder or its manifest), or None if it is none.

    >>> package_folder("no/such/folder") is None
    True
    """
    path = Path(path)
    manifest = path / MANIFEST if path.is_dir() else path
    if manifest.name != MANIFEST or not manifest.is_file():
        return None
    with open(manifest, "rb") as stream:
        head = stream.read(HEAD_BYTES)
    return manifest.parent if sniff(head) else None
