"""A package's tables pseudonymised: ids, handles, names, texts and times (``--pseudonymise``).

Each column of a package table has a *role* (:data:`ROLES`) that says what it holds and so
how it is replaced: an account id, a handle, a post id, a display name, a list of handles,
URLs, a text, an evidence key, a time, a gap, or JSON (the stored rows of groups runs and
the runs' parameters and summaries). A column of a table this module does not know (a result
table added later) is treated as JSON when it is text: every string in it that is a known
id, handle or name is replaced, and every other string is scrubbed
(:meth:`~.pseudonyms.Pseudonymiser.scrub`). So a new table cannot leak what the known ones
hide.

Texts, URLs and JSON strings are scrubbed (:meth:`~.pseudonyms.Pseudonymiser.scrub`), and
two more things the package knows are replaced in them: a web domain whose name is a handle
of the package (``culturehebdo.fr`` of the account ``CultureHebdo``: a news account's site,
or a person's own), and a display name of the package written in full (at least
:data:`MIN_NAME_CHARS` characters: "Le Journal du Soir" signing its posts).

Post ids are pseudonymised too: a post id looks the post up on its platform, and so its
author (a Bluesky post's id, an ``at://`` URI, even holds its author's DID). A pseudonymised
package cannot be rehydrated; an ``--ids-only`` package is the form for that.

Pseudonyms sort differently from the ids they replace, so edges are put back in the order
the store keeps (``account_a < account_b``), with their two sides' columns swapped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa

from ..errors import ParameterError
from .pseudonyms import Pseudonymiser
from .textmask import TEXT_MODES, text_transform

__all__ = ["Privacy", "ROLES", "COARSEN_UNITS", "pseudonymise_tables"]

COARSEN_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
"""``--coarsen-times`` units and their seconds."""

ROLES: dict[str, dict[str, str]] = {
    "posts": {
        "post_id": "post", "author_id": "account", "text": "text", "ref_post_id": "post",
        "ref_author_id": "account", "ref_author_handle": "handle", "reply_to_post_id": "post",
        "reply_to_author_id": "account", "conversation_id": "post", "mentions": "handles",
        "urls": "urls", "author_handle": "handle", "source": "scrub", "created_at": "time",
        "platform": "same", "kind": "same", "lang": "same", "hashtags": "same",
        "hashtags_raw": "same", "post_url": "scrub",
    },
    "accounts": {
        "account_id": "account", "handle": "handle", "name": "name", "description": "text",
        "created_at": "time", "observed_at": "time", "platform": "same",
    },
    "coordination_edges": {
        "account_a": "account", "account_b": "account", "median_gap_s": "gap",
        "min_gap_s": "gap",
    },
    "coordination_evidence": {
        "account_a": "account", "account_b": "account", "post_a": "post", "post_b": "post",
        "key": "key", "time_a": "time", "time_b": "time", "gap_s": "gap",
    },
    "group_members": {"account_id": "account", "data": "json"},
    "group_edges": {"account_a": "account", "account_b": "account", "data": "json"},
    "group_scores": {"data": "json"},
    "runs": {"params": "json", "summary": "json", "run_id": "same", "kind": "same",
             "version": "same", "fingerprint": "same", "created_at": "same"},
    "run_inputs": {"run_id": "same", "input_run_id": "same", "role": "same"},
}  # fmt: skip
"""Table -> column -> role (``same``: kept). A column not named is kept when it is not
text, and treated as JSON or text when it is (module docs)."""

_SIDES = {
    "coordination_edges": [("account_a", "account_b"), ("a_posts", "b_posts")],
    "coordination_evidence": [("account_a", "account_b"), ("post_a", "post_b"),
                              ("time_a", "time_b")],
    "group_edges": [("account_a", "account_b")],
}  # fmt: skip
"""The columns of an edge's two sides, swapped when pseudonyms reverse the pair's order."""
MIN_NAME_CHARS = 6
"""Display names this long or longer are replaced inside texts too (a shorter one, "Zoe",
is too often an ordinary word)."""
_DOMAIN = re.compile(r"(?<![\w.@-])(?P<label>[\w-]+)(?=\.[a-z]{2,}\b)", re.IGNORECASE)
_KEY_FIELDS = {"key", "keys", "top_keys"}
_KEPT_FIELDS = {"hashtags", "top_hashtag", "methods", "method", "algorithm", "platform"}
"""Fields of stored JSON kept as they are: a run's scope and settings (hashtags are kept in
posts too; a handle inside a hashtag stays, the README says so)."""
_TEXT_FIELDS = {"text", "example_text", "text_a", "text_b", "description"}
"""Fields of stored JSON rows that hold a post's text (a group's ``top_keys`` example...)."""
_GAP_SUFFIX = "gap_s"


@dataclass(frozen=True)
class Privacy:
    """What a pseudonymised package hides.

    Attributes
    ----------
    pseudonymiser : Pseudonymiser
    text : "keep", "mask" or "drop" (:mod:`.textmask`)
    coarsen : "minute", "hour", "day" or None
        Times are floored to the unit; gaps rounded to it.
    """

    pseudonymiser: Pseudonymiser
    text: str = "keep"
    coarsen: str | None = None

    def __post_init__(self):
        if self.text not in TEXT_MODES:
            raise ParameterError(
                f"--text must be one of {', '.join(TEXT_MODES)}, not {self.text!r}"
            )
        if self.coarsen is not None and self.coarsen not in COARSEN_UNITS:
            raise ParameterError(
                f"--coarsen-times must be one of {', '.join(COARSEN_UNITS)}, not {self.coarsen!r}"
            )

    def describe(self) -> dict:
        """For the manifest: the key's fingerprint (never the key), text mode, time unit."""
        return {
            "key_fingerprint": self.pseudonymiser.fingerprint,
            "method": "HMAC-SHA-256, 80 bits, one domain per kind",
            "text": self.text,
            "coarsen_times": self.coarsen,
        }


def pseudonymise_tables(tables: dict[str, pa.Table], privacy: Privacy) -> dict[str, pa.Table]:
    """Every table with its columns replaced by role (module docs); the same table names.

    Examples
    --------
    >>> p = Pseudonymiser("a key of sixteen+ chars")
    >>> posts = pa.table({"post_id": ["1"], "author_id": ["9"], "text": ["hi @Bob"]})
    >>> out = pseudonymise_tables({"posts": posts}, Privacy(p))["posts"].to_pylist()[0]
    >>> out == {"post_id": p.post("1"), "author_id": p.account("9"),
    ...         "text": "hi @" + p.handle("bob")}
    True
    """
    replacer = _Replacer(privacy, _known_values(tables))
    return {name: _pseudonymised(name, table, replacer) for name, table in tables.items()}


@dataclass(frozen=True)
class _Known:
    """The ids, handles and names of the package: a string in JSON or in an evidence key
    that is exactly one of them is replaced by its pseudonym."""

    accounts: frozenset
    handles: frozenset
    posts: frozenset
    names: frozenset


def _known_values(tables: dict[str, pa.Table]) -> _Known:
    found: dict[str, set] = {"account": set(), "handle": set(), "post": set(), "name": set()}
    for name, table in tables.items():
        for column, role in ROLES.get(name, {}).items():
            kind = {"handles": "handle"}.get(role, role)
            if kind in found and column in table.column_names:
                found[kind].update(_strings(table[column]))
    return _Known(
        frozenset(found["account"]),
        frozenset(h.removeprefix("@").lower() for h in found["handle"]),
        frozenset(found["post"]),
        frozenset(found["name"]),
    )


def _strings(column: pa.ChunkedArray) -> set[str]:
    if pa.types.is_list(column.type):
        column = pa.compute.list_flatten(column)
    return {v for v in column.unique().to_pylist() if v is not None}


class _Replacer:
    """The replacement of each role, under one privacy setting."""

    def __init__(self, privacy: Privacy, known: _Known):
        self.p, self.known, self.privacy = privacy.pseudonymiser, known, privacy
        self.text = text_transform(privacy.text, self.scrub)
        self.unit = COARSEN_UNITS.get(privacy.coarsen or "", 0)
        names = sorted((n for n in known.names if len(n) >= MIN_NAME_CHARS), key=len, reverse=True)
        self.names = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
            if names else None
        )  # fmt: skip

    def scrub(self, text: str) -> str:
        """Identifiers out of a text: mentions, URLs, DIDs (:meth:`Pseudonymiser.scrub`),
        a web domain named like a known handle (a news account's site), and known display
        names written in full."""
        text = _DOMAIN.sub(self._domain, self.p.scrub(text))
        return self.names.sub(lambda m: self.p.name(m[0]), text) if self.names else text

    def _domain(self, match: re.Match) -> str:
        label = match["label"]
        return self.p.handle(label) if label.lower() in self.known.handles else label

    def value(self, role: str) -> Callable | None:
        """The function replacing one value of ``role`` (None: the column is kept)."""
        return {
            "account": self.p.account, "handle": self.p.handle, "post": self.p.post,
            "name": self.p.name, "scrub": self.scrub, "text": self.text, "key": self.key,
            "json": self.json, "handles": lambda v: _each(self.p.handle, v),
            "urls": lambda v: _each(self.scrub, v),
        }.get(role)  # fmt: skip

    def exact(self, value: str) -> str | None:
        """The pseudonym of a string that is a known id, handle or name, else None."""
        if value in self.known.accounts:
            return self.p.account(value)
        if value in self.known.posts:
            return self.p.post(value)
        if value.removeprefix("@").lower() in self.known.handles:
            return "@" * value.startswith("@") + self.p.handle(value)
        if value in self.known.names:
            return self.p.name(value)
        return None

    def key(self, key: str) -> str:
        """An evidence key: a known id's pseudonym; else the scrubbed key when texts are
        kept, a keyed hash when they are not (a co-tweet's key is the text itself)."""
        found = self.exact(key)
        if found is not None:
            return found
        return self.scrub(key) if self.privacy.text == "keep" else self.p.key(key)

    def json(self, text: str) -> str:
        return orjson.dumps(self.walk(orjson.loads(text))).decode()

    def walk(self, value, field: str = ""):
        """A JSON value with its strings replaced; keys of objects too when they are ids."""
        if isinstance(value, dict):
            return {self.exact(k) or k: self.walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.walk(v, field) for v in value]
        if isinstance(value, str):
            return self.string(value, field)
        if isinstance(value, int | float) and self.unit and field.endswith(_GAP_SUFFIX):
            return _round_gap(value, self.unit)
        return value

    def string(self, value: str, field: str) -> str | None:
        """A string of a JSON value, by the name of its field."""
        if field in _KEPT_FIELDS:
            return value
        if field in _KEY_FIELDS:
            return self.key(value)
        if field in _TEXT_FIELDS:
            return self.text(value)
        return self.exact(value) or self.scrub(value)

    def times(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        if not self.unit:
            return column
        unit = {60: "minute", 3600: "hour", 86400: "day"}[self.unit]
        return pa.compute.floor_temporal(column, unit=unit)

    def gaps(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        if not self.unit:
            return column
        values = column.to_numpy(zero_copy_only=False).astype(float)
        return pa.chunked_array([np.round(values / self.unit) * self.unit], pa.float64())


def _each(function: Callable, values: list) -> list:
    """``function`` of each item of a list column's value; a null item stays null."""
    return [None if v is None else function(v) for v in values]


def _round_gap(value: float, unit: int) -> float:
    return float(round(value / unit) * unit)


def _pseudonymised(name: str, table: pa.Table, replacer: _Replacer) -> pa.Table:
    roles = ROLES.get(name, {})
    columns = []
    for column_name, column in zip(table.column_names, table.columns, strict=True):
        role = roles.get(column_name) or _unknown_role(column)
        columns.append(_replaced(column, role, replacer))
    out = pa.table(columns, names=table.column_names)
    return _ordered_pairs(name, out)


def _unknown_role(column: pa.ChunkedArray) -> str:
    """A column no role names: JSON-like treatment when it holds text, kept otherwise."""
    if pa.types.is_string(column.type):
        return "json_or_text"
    if pa.types.is_list(column.type) and pa.types.is_string(column.type.value_type):
        return "json_or_text_list"
    return "same"


def _replaced(column: pa.ChunkedArray, role: str, replacer: _Replacer) -> pa.ChunkedArray:
    if role == "time":
        return replacer.times(column)
    if role == "gap":
        return replacer.gaps(column)
    if role == "json_or_text":
        return _mapped(column, lambda v: _json_or_text(v, replacer))
    if role == "json_or_text_list":
        return _mapped(column, lambda v: _each(lambda s: _json_or_text(s, replacer), v))
    function = replacer.value(role)
    return column if function is None else _mapped(column, function)


def _json_or_text(value: str, replacer: _Replacer) -> str:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return replacer.exact(value) or replacer.scrub(value)
    return orjson.dumps(replacer.walk(parsed)).decode()


def _mapped(column: pa.ChunkedArray, function: Callable) -> pa.ChunkedArray:
    """``function`` applied to each distinct non-null value (lists: to the whole list)."""
    values = column.to_pylist()
    if pa.types.is_list(column.type):
        out = [None if v is None else function(v) for v in values]
    else:
        memo: dict = {}

        def once(value):
            if value not in memo:
                memo[value] = function(value)
            return memo[value]

        out = [None if v is None else once(v) for v in values]
    return pa.chunked_array([pa.array(out, type=column.type)])


def _ordered_pairs(name: str, table: pa.Table) -> pa.Table:
    """Edges back in ``account_a < account_b`` order, each side's columns swapped with it."""
    sides = [(a, b) for a, b in _SIDES.get(name, []) if a in table.column_names]
    if not sides or table.num_rows == 0:
        return table
    frame = table.to_pandas()
    flip = (frame["account_a"] > frame["account_b"]).to_numpy()
    for a, b in sides:
        left, right = frame[a].copy(), frame[b].copy()
        frame.loc[flip, a], frame.loc[flip, b] = right[flip], left[flip]
    if "data" in frame:
        frame.loc[flip, "data"] = frame.loc[flip, "data"].map(_swap_json_sides)
    return pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False)


def _swap_json_sides(text: str) -> str:
    row = orjson.loads(text)
    row["account_a"], row["account_b"] = row.get("account_b"), row.get("account_a")
    return orjson.dumps(row).decode()
