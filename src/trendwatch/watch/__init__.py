"""Watch live streams: collect into the store, resume exactly, check on the stream's clock.

:func:`watch` runs sources (:class:`Jetstream`, :class:`MastodonStream`, :class:`StdinSource`)
into a store and calls a hook every ``check_every`` seconds of stream time; the gaps and
cursors it keeps are read with :func:`watch_gaps` and :func:`load_cursor`. The hook the
``watch`` command gives it is a :class:`~.alerts.Checker`: rolling detection and alerts
(:mod:`.alerts`, :mod:`.rules`, :mod:`.raids`, :mod:`.webhook`); :mod:`.replay` runs an archive
through the same checks in stream order.
"""

from __future__ import annotations

from .jetstream import COLLECTIONS, DEFAULT_COLLECTIONS, Jetstream
from .loop import CheckHook, WatchReport, check_times, watch
from .mastodon import MastodonStream
from .sources import Backoff, Received, Source
from .state import Gap, load_cursor, watch_gaps
from .stdin import StdinSource

__all__ = [
    "watch",
    "WatchReport",
    "CheckHook",
    "check_times",
    "Jetstream",
    "MastodonStream",
    "StdinSource",
    "Source",
    "Received",
    "Backoff",
    "Gap",
    "watch_gaps",
    "load_cursor",
    "COLLECTIONS",
    "DEFAULT_COLLECTIONS",
]
