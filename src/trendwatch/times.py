"""Timestamp parsing for every input format; always returns aware UTC datetimes.

The store keeps UTC. A user's time zone (:func:`zone`, the CLI's ``--tz``) only changes how
times are shown (:func:`to_zone`) and how a time typed without an offset is read
(:func:`assume_zone`).

Input times without an offset (``2025-11-14 09:07:33`` in a CSV export) are read as UTC but
marked: :func:`read_input_time` gives them the zone :data:`UNSTATED`, whose offset is 0, so
that everything downstream sees UTC while ingest can count them and, with ``--assume-tz``,
read them in another zone (:func:`assumed`). A wall-clock time the change to summer time
skips, or the change back repeats, is read as DuckDB reads it (:func:`local_to_utc`), so
that every reader gives the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ParameterError

__all__ = [
    "parse_time",
    "from_epoch",
    "parse_bound",
    "has_offset",
    "zone",
    "to_zone",
    "assume_zone",
    "read_input_time",
    "UNSTATED",
    "local_to_utc",
    "assumed",
    "EARLIEST",
    "LATEST",
]

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest time a query may name (``--since``, ``--at``, ``?until=``...)."""
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""The latest time a query may name: windows of up to ten years stay inside Python's range."""

UNSTATED = timezone(timedelta(0), "UTC (no offset given)")
"""The zone of an input time that named no offset: UTC, marked (see :func:`read_input_time`)."""

# X ids carry their creation time: ms since this epoch in the top bits ("snowflake").
TWITTER_EPOCH_MS = 1288834974657


def from_epoch(value: float) -> datetime:
    """Return the UTC datetime of a Unix time in seconds (or milliseconds, if it is that large)."""
    if abs(value) > 1e11:  # later than the year 5138 in seconds: it must be milliseconds
        value = value / 1000.0
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"Unix time {value!r} is out of range") from None


def parse_time(value) -> datetime | None:
    """Parse the time formats our inputs use into an aware UTC datetime, or None when empty.

    Accepts ISO 8601 (``2021-04-08T14:00:00.000Z``, ``2017-09-07 19:52:00`` taken as UTC),
    X v1.1's ``Wed Oct 10 20:19:24 +0000 2018``, Unix seconds or milliseconds, and datetimes.
    Raises ``ValueError`` on anything else, so the caller can quarantine the record.

    >>> parse_time("2021-04-08T14:00:00.000Z").isoformat()
    '2021-04-08T14:00:00+00:00'
    >>> parse_time("Wed Oct 10 20:19:24 +0000 2018").isoformat()
    '2018-10-10T20:19:24+00:00'
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, int | float):
        return from_epoch(float(value))
    text = str(value).strip()
    if _looks_numeric(text):
        return from_epoch(float(text))
    try:
        return _as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return _as_utc(datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y"))
    except ValueError:
        pass
    try:
        return _as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unrecognised time {text[:40]!r}") from None


def read_input_time(value) -> datetime | None:
    """:func:`parse_time` for the times of input records: one without an offset is read as
    UTC in the zone :data:`UNSTATED` (offset 0), which says it named none.

    >>> read_input_time("2025-11-14 09:07:33").tzinfo is UNSTATED
    True
    >>> read_input_time("2025-11-14T09:07:33+01:00").isoformat()
    '2025-11-14T08:07:33+00:00'
    """
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UNSTATED)
    if isinstance(value, str) and has_offset(value) is False:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UNSTATED)
    return parse_time(value)


def local_to_utc(wall: datetime, tz: tzinfo) -> datetime:
    """The UTC instant of a wall-clock time (its tzinfo is ignored) in ``tz``.

    Where the clocks go back, a time that occurs twice is read as its second occurrence (the
    zone's standard time); where they go forward, a time that does not exist is read with
    the offset before the change (so 02:30 on a spring-forward night in Paris is 01:30 UTC,
    03:30 on the new clock). DuckDB reads times this way, so CSV and Parquet tables and JSON
    inputs give the same instant.

    >>> paris = zone("Europe/Paris")
    >>> local_to_utc(datetime(2025, 1, 15, 12), paris).isoformat()
    '2025-01-15T11:00:00+00:00'
    >>> local_to_utc(datetime(2025, 10, 26, 2, 30), paris).isoformat()  # twice: the second
    '2025-10-26T01:30:00+00:00'
    >>> local_to_utc(datetime(2025, 3, 30, 2, 30), paris).isoformat()  # skipped
    '2025-03-30T01:30:00+00:00'
    """
    wall = wall.replace(tzinfo=None)
    later = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if later.astimezone(tz).replace(tzinfo=None) == wall:  # exists: once, or the second time
        return later
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)  # skipped: the offset before


def assumed(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """``moment`` read in ``tz`` when it named no offset (its zone is :data:`UNSTATED`);
    any other time (and None) as it is.

    >>> assumed(read_input_time("2025-07-14 12:00"), zone("Europe/Paris")).isoformat()
    '2025-07-14T10:00:00+00:00'
    """
    if moment is None or moment.tzinfo is not UNSTATED or tz is UTC:
        return moment
    return local_to_utc(moment, tz)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_bound(value, name: str) -> datetime | None:
    """Parse a time that bounds a query (``--at``, ``--since``, ``--until``); None stays None.

    Raises :class:`~trendwatch.errors.ParameterError`, naming the option, on a value that is
    not a time or lies outside [:data:`EARLIEST`, :data:`LATEST`).

    >>> parse_bound("2016-12-01T10:00", "--at").isoformat()
    '2016-12-01T10:00:00+00:00'
    >>> parse_bound("99999999999999999999", "--until")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ParameterError: --until '99999999999999999999' is not a time from 1900 to 2200: ...
    """
    try:
        moment = parse_time(value)
    except ValueError:
        moment = EARLIEST - timedelta(days=1)  # reported as out of range below
    if moment is not None and not EARLIEST <= moment < LATEST:
        raise ParameterError(
            f"{name} {value!r} is not a time from {EARLIEST:%Y} to {LATEST:%Y}: "
            "write ISO 8601, e.g. 2016-12-01T10:00Z"
        )
    return moment


def has_offset(value) -> bool | None:
    """Whether an ISO 8601 time names its offset (``Z``, ``+01:00``); None when ``value`` is
    not an ISO 8601 text (Unix times, X v1.1 dates and datetimes say where they are).

    >>> has_offset("2025-11-14T09:00:00Z"), has_offset("2025-11-14 09:00"), has_offset(17e8)
    (True, False, None)
    """
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return None


def zone(name: str | None) -> tzinfo:
    """The time zone called ``name`` (IANA, e.g. ``Europe/Paris``); UTC when None or empty.

    Raises :class:`~trendwatch.errors.ParameterError` on a name the zone database lacks.

    >>> zone("Europe/Paris"), zone(None)
    (zoneinfo.ZoneInfo(key='Europe/Paris'), datetime.timezone.utc)
    """
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            f"unknown time zone {name!r}: give an IANA name such as Europe/Paris or UTC"
        ) from None


def to_zone(moment, tz: tzinfo) -> datetime | None:
    """An aware time (a datetime or pandas Timestamp) as the same instant in ``tz``.

    >>> to_zone(datetime(2025, 11, 14, 8, tzinfo=UTC), zone("Europe/Paris")).isoformat()
    '2025-11-14T09:00:00+01:00'
    """
    if moment is None or moment != moment:  # None, NaT
        return None
    moment = moment.to_pydatetime() if hasattr(moment, "to_pydatetime") else moment
    return _as_utc(moment).astimezone(tz)


def assume_zone(value, tz: tzinfo):
    """A time a user typed, read in ``tz`` when it has no offset: ISO 8601 text with its
    offset; any other value as it came (an offset, a Unix time, None).

    >>> assume_zone("2025-11-14 09:00", zone("Europe/Paris"))
    '2025-11-14T09:00:00+01:00'
    >>> assume_zone("2025-11-14T09:00Z", zone("Europe/Paris"))
    '2025-11-14T09:00Z'
    """
    if has_offset(value) is not False:
        return value
    return datetime.fromisoformat(value.strip()).replace(tzinfo=tz).isoformat()
