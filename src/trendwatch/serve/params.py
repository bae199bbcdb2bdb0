"""Strict validation of the dashboard's query parameters, declared once as data.

Every page declares the parameters it accepts (:class:`Param`). A request is refused (HTTP 400,
JSON ``{"error": ...}`` naming the parameter) when it carries a parameter the page does not
know, repeats one that is single, leaves out a required one, or gives a value that does not
parse. Values are turned into Python objects here and only ever reach the library as function
arguments: nothing a request says is pasted into SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from ..analysis.timeseries import MAX_DURATION, parse_duration
from ..errors import ParameterError
from ..model import Platform
from ..text import normalize_hashtag
from ..times import EARLIEST, LATEST, parse_bound

__all__ = ["BadParameter", "Param", "parse_query", "RESERVED", "MAX_VALUE_LENGTH"]

MAX_VALUE_LENGTH = 200
MAX_FIELDS = 40
# Handled by the server before validation (authentication), never passed to a view.
RESERVED = frozenset({"token"})


class BadParameter(ParameterError):
    """A query parameter the page refuses; ``name`` is the parameter, for the JSON error."""

    def __init__(self, name: str, message: str):
        super().__init__(f"parameter {name!r}: {message}")
        self.name = name


def _as_time(text: str) -> datetime:
    try:
        moment = parse_bound(text, "time")
    except ParameterError:
        moment = None
    if moment is None:
        raise ValueError(
            f"is not a time from {EARLIEST:%Y} to {LATEST:%Y}: write ISO 8601, "
            "e.g. 2016-12-01T10:00Z"
        )
    return moment


def _as_platform(text: str) -> str:
    names = [p.value for p in Platform]
    if text not in names:
        raise ValueError(f"is not a platform: choose one of {', '.join(names)}")
    return text


def _as_hashtag(text: str) -> str:
    tag = normalize_hashtag(text)
    if not tag:
        raise ValueError("is not a hashtag")
    return tag


def _as_window(text: str) -> str:
    try:
        parse_duration(text)
    except ParameterError:
        raise ValueError(
            f"is not a duration from 1s to {MAX_DURATION.days}d: write e.g. 30s, 5min, 1h or 1d"
        ) from None
    return text


def _as_identifier(text: str) -> str:
    # Account ids, run ids: printable text without control characters; looked up, never parsed.
    if not text.strip() or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("must be a non-empty identifier without control characters")
    return text


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"must be a whole number from {low} to {high}")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be from {low} to {high}")
        return value

    return convert


CONVERTERS: dict[str, Callable[[str], object]] = {
    "time": _as_time,
    "platform": _as_platform,
    "hashtag": _as_hashtag,
    "window": _as_window,
    "id": _as_identifier,
    "top": _bounded_int(1, 500),
}


@dataclass(frozen=True)
class Param:
    """One accepted query parameter.

    Attributes
    ----------
    name : the query-string name.
    kind : a key of :data:`CONVERTERS` (``time``, ``platform``, ``hashtag``, ``window``, ``id``,
        ``top``).
    multiple : whether it may repeat (its value is then a tuple).
    required : whether the page needs it.
    help : one line for the filter form and the docs.
    """

    name: str
    kind: str
    multiple: bool = False
    required: bool = False
    help: str = ""

    def convert(self, values: list[str]) -> object:
        """Convert the raw values; raises :class:`BadParameter`."""
        if not self.multiple and len(values) > 1:
            raise BadParameter(self.name, "given more than once")
        converted = tuple(self._one(v) for v in values)
        return converted if self.multiple else converted[0]

    def _one(self, text: str) -> object:
        if len(text) > MAX_VALUE_LENGTH:
            raise BadParameter(self.name, f"longer than {MAX_VALUE_LENGTH} characters")
        try:
            return CONVERTERS[self.kind](text)
        except ValueError as exc:
            raise BadParameter(self.name, f"{text!r} {exc}") from None


def _raw_fields(query: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query, keep_blank_values=True, strict_parsing=False,
                        max_num_fields=MAX_FIELDS, errors="strict")  # fmt: skip
    except UnicodeDecodeError:
        raise BadParameter("query", "is not valid UTF-8") from None
    except ValueError:
        raise BadParameter("query", f"has more than {MAX_FIELDS} fields") from None


def parse_query(query: str, params: Mapping[str, Param] | tuple[Param, ...]) -> dict[str, object]:
    """Validate a raw query string against a page's parameters.

    Empty values count as absent (an unfilled form field). Returns ``{name: value}`` for the
    parameters present; :data:`RESERVED` names are ignored here.

    Examples
    --------
    >>> parse_query("hashtag=%23Brexit&top=5",
    ...             (Param("hashtag", "hashtag", multiple=True), Param("top", "top")))
    {'hashtag': ('brexit',), 'top': 5}
    """
    accepted = params if isinstance(params, Mapping) else {p.name: p for p in params}
    values: dict[str, object] = {}
    for name, raw in _raw_fields(query).items():
        if name in RESERVED:
            continue
        if name not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise BadParameter(name, f"unknown parameter here (accepted: {known})")
        filled = [v for v in raw if v != ""]
        if filled:
            values[name] = accepted[name].convert(filled)
    for param in accepted.values():
        if param.required and param.name not in values:
            raise BadParameter(param.name, "is required")
    return values
