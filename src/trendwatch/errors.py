"""The one exception tree of trendwatch.

Every error the library raises on purpose is a :class:`TrendwatchError`. The CLI prints its
message (which says what was wrong, where, and what to do) without a traceback and exits 1.
"""

from __future__ import annotations

__all__ = [
    "TrendwatchError",
    "InputError",
    "UnknownFormatError",
    "UnreadableFileError",
    "MappingError",
    "StoreError",
    "SchemaVersionError",
    "ParameterError",
    "NoDataError",
    "AccessRefusedError",
]


class TrendwatchError(Exception):
    """Base class: anything trendwatch raises deliberately."""


class InputError(TrendwatchError):
    """Raised when an input file cannot be used as a whole (single bad records are quarantined)."""


class UnknownFormatError(InputError):
    """Raised when no format recognises a file's first bytes, or ``--format`` names no format."""


class UnreadableFileError(InputError):
    """Raised when a file is missing, is a directory, or cannot be decompressed or decoded."""


class MappingError(InputError):
    """Raised when a ``--map column=field`` option names an unknown field or a missing column."""


class StoreError(TrendwatchError):
    """Raised when the DuckDB store cannot be opened or is in an unexpected state."""


class SchemaVersionError(StoreError):
    """Raised when a store was written by an incompatible version of trendwatch."""


class ParameterError(TrendwatchError):
    """Raised when an analysis parameter is out of range or malformed (window, bucket, time...)."""


class NoDataError(TrendwatchError):
    """Raised when an analysis has nothing to work on (e.g. a hashtag with no posts)."""


class AccessRefusedError(TrendwatchError):
    """Raised when a live source's server refuses the access (HTTP 401 or 403): connecting
    again with the same token would be refused again, so the watch stops instead."""
