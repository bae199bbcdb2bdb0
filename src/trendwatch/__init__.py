"""trendwatch: is this hashtag trend organic, or pushed by a small coordinated group — and by whom?

The public API is what ``__all__`` lists; everything else may change between versions.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import TrendwatchError
from .ingest import FileReport, IngestReport, ingest
from .model import Account, Kind, Platform, Post
from .store import Store, open_store

open = open_store  # noqa: A001 - `trendwatch.open(db)` is the documented entry point

__all__ = [
    "__version__",
    "TrendwatchError",
    "ingest",
    "IngestReport",
    "FileReport",
    "open",
    "open_store",
    "Store",
    "Post",
    "Account",
    "Platform",
    "Kind",
]
