"""Input formats: detection by peeking at the first bytes, and one reader module per format.

A format module defines:

* ``NAME`` — the name ``--format`` takes;
* ``DESCRIPTION`` — one line for ``trendwatch formats`` and the docs;
* ``sniff(head: bytes) -> bool`` — True when the first bytes (already decompressed, at most
  :data:`HEAD_BYTES`) look like this format. It peeks; it never consumes the stream;
* ``read(source: InputFile, options: ReadOptions) -> Iterator[Item]`` — the records, see
  :mod:`.items`. ``source.stream`` is the decompressed byte stream (its first bytes are
  ``source.head``); ``source.path`` is set for real files (Parquet needs it to seek).

Detection asks the modules in :data:`FORMAT_ORDER` order; the first that says yes wins.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import UnknownFormatError
from .items import Item, PostTable, Quarantined, ReadOptions, Skipped
from .stream import HEAD_BYTES, InputFile, open_input

__all__ = [
    "FORMAT_ORDER",
    "detect_format",
    "get_format",
    "format_names",
    "open_input",
    "InputFile",
    "HEAD_BYTES",
    "Item",
    "PostTable",
    "Quarantined",
    "Skipped",
    "ReadOptions",
]

# Most specific first: e.g. twarc2 pages before flattened tweets before v1.1 tweets.
FORMAT_ORDER: tuple[str, ...] = (
    "parquet",
    "twarc2",
    "twarc2-flat",
    "gnip-activity",
    "x-v1",
    "mastodon",
    "bluesky",
    "jetstream",
    "csv",
)

_MODULES = {
    "parquet": "tabular",
    "csv": "tabular",
    "twarc2": "x_v2",
    "twarc2-flat": "x_v2",
    "x-v1": "x_v1",
    "gnip-activity": "x_v1",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "jetstream": "bluesky",
}


def format_names() -> list[str]:
    return list(FORMAT_ORDER)


def get_format(name: str) -> ModuleType:
    """Return the reader object for a format name; raises UnknownFormatError if unknown.

    A module may implement several formats: it then exposes ``FORMATS`` (name -> object with
    ``sniff``/``read``/``DESCRIPTION``) and the object for ``name`` is returned.
    """
    if name not in _MODULES:
        raise UnknownFormatError(
            f"unknown format {name!r}: choose one of {', '.join(FORMAT_ORDER)}"
        )
    module = importlib.import_module(f".{_MODULES[name]}", __name__)
    formats = getattr(module, "FORMATS", None)
    return formats[name] if formats else module


def detect_format(head: bytes, source: str = "input") -> str:
    """Name the format of a file from its first bytes; raise UnknownFormatError if none fits."""
    for name in FORMAT_ORDER:
        if get_format(name).sniff(head):
            return name
    preview = head[:60].decode("utf-8", "replace").replace("\n", "\\n")
    raise UnknownFormatError(
        f"{source}: unrecognised format (starts with {preview!r}); expected one of "
        f"{', '.join(FORMAT_ORDER)}. Use --format NAME to force one, or --map for other tables."
    )
