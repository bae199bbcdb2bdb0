"""The table layouts trendwatch recognises, each as SQL expressions over the table's columns.

A *variant* is recognised from its header (the column names, case-insensitive) and says, for
each :class:`~trendwatch.model.Post` field and for the author's
:class:`~trendwatch.model.Account` observation, which SQL expression computes it. The reader
(:mod:`.tabular`) renames the table's columns to ``c0, c1, ...`` before running the SQL, so no
name taken from a file is ever interpolated into SQL: :class:`Columns` turns a known name into
its positional identifier.

Variants
--------
``twarc-csv``
    The default columns of DocNow's ``twarc-csv`` plugin (``twarc2 csv``; column list from its
    ``dataframe_converter.DEFAULT_TWEET_COLUMNS``): ``id, conversation_id,
    referenced_tweets.{replied_to,retweeted,quoted}.id, author_id, in_reply_to_user_id,
    retweeted_user_id, quoted_user_id, created_at, text, lang, ..., entities.hashtags,
    entities.mentions, entities.urls, ..., author.username, author.name, author.created_at,
    author.public_metrics.*``. Entity cells are JSON lists (``["#tag"]``, ``["@user"]``, expanded
    URLs); twarc-csv writes newlines in text as the two characters ``\\n``, which are turned
    back into newlines. A retweet's text is the retweeted post's text (twarc-csv merges them).
``rtweet``
    R ``rtweet`` exports (``write_as_csv``, ``status_id, user_id, screen_name, created_at,
    text, is_retweet, retweet_status_id, retweet_user_id, is_quote, quoted_status_id,
    reply_to_status_id, reply_to_user_id, hashtags, urls_expanded_url, mentions_screen_name,
    lang, followers_count, friends_count, statuses_count, account_created_at, verified, ...``).
    List cells are space separated or R vectors ``c("a", "b")``; ``NA`` is empty.
``ira``
    FiveThirtyEight's IRA troll tweets (github.com/fivethirtyeight/russian-troll-tweets, Linvill
    & Warren, Clemson): ``external_author_id, author, content, region, language, publish_date,
    harvested_date, following, followers, updates, post_type, account_type, retweet, ...,
    tweet_id`` and the per-author split used in ``shared/data/ira-troll-tweets`` (``author_id``
    instead of ``author``, no ids). ``post_type`` is ``RETWEET``/``R`` or ``QUOTE_TWEET``/``Q``;
    a text starting ``RT @handle`` is a repost too (old-style retweet), and then
    ``ref_author_handle`` is that handle, lower-cased. Languages are names (``English``) and
    become ISO 639-1 codes. Without ``tweet_id`` the post id is derived, see
    :func:`derived_post_id_sql`: rows with the same author (case-insensitive), minute, text and
    ``updates`` (the author's tweet count, which differs between two real tweets) get the same
    id, so the store counts the repeats as duplicates. The account observation is the author's
    ``followers``/``following``/``updates`` at the time of the post.
``qut``
    The CSV input of QUT's ``coordination-network-toolkit`` (``preprocess_csv_files``): header
    ``message_id, user_id, username, repost_id, reply_id, message, timestamp, urls``;
    ``timestamp`` in Unix seconds, ``urls`` space separated. A row with ``repost_id`` is a
    repost of it, a row with ``reply_id`` a reply to it.
``coortweet``
    The input of the R package CooRTweet (``object_id, account_id, content_id,
    timestamp_share``, Unix seconds). Each row is the post ``content_id`` by ``account_id``
    sharing ``object_id``; trendwatch stores it as a *repost* with ``ref_post_id = object_id``
    (the published CooRTweet data sets are retweets: ``object_id`` is the retweeted post).
``mapped``
    Any other table, through ``--map column=field`` (see :func:`mapped_variant`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import MappingError
from ..model import Post

__all__ = [
    "Columns",
    "Variant",
    "VARIANTS",
    "MAPPABLE_FIELDS",
    "find_variant",
    "mapped_variant",
    "derived_post_id_sql",
    "stripped_tags",
    "LANGUAGE_CODES",
]

# RE2 twins of the patterns in trendwatch.text (RE2 has no look-behind, so the character
# before the '#' or '@' is matched instead and group 1 is taken).
HASHTAG_RE = r"(?:^|[^\p{L}\p{N}_&])[#＃]([\p{L}\p{N}_]+)"
# The same on an ASCII text (\p{L} is [A-Za-z] there, \p{N} is [0-9]); RE2 runs it 1.6x faster.
HASHTAG_ASCII_RE = r"(?:^|[^A-Za-z0-9_&])#([A-Za-z0-9_]+)"
# Without the character before the '#', the whole match is the tag with its '#' and RE2 finds
# it without a capture group, ~1.7x faster. Valid where no '#' follows a character that rules
# a tag out (the *_RULED_OUT pattern finds those texts, ~0.2 % of the IRA archive's).
HASHTAG_BARE_RE = r"[#＃][\p{L}\p{N}_]+"
HASHTAG_BARE_ASCII_RE = r"#[A-Za-z0-9_]+"
HASHTAG_RULED_OUT_RE = r"[\p{L}\p{N}_&][#＃]"
HASHTAG_RULED_OUT_ASCII_RE = r"[A-Za-z0-9_&]#"
_TAG_PATTERNS = (HASHTAG_RULED_OUT_RE, HASHTAG_BARE_RE, HASHTAG_RE)
_ASCII_TAG_PATTERNS = (HASHTAG_RULED_OUT_ASCII_RE, HASHTAG_BARE_ASCII_RE, HASHTAG_ASCII_RE)
MENTION_RE = r"(?:^|[^\w@])@(\w{1,30})"
# Python's \s (Unicode white space) spelled out for RE2; '' is a quote inside the SQL literal.
URL_RE = r"""(?i)https?://[^\t\n\v\f\r\x{1c}-\x{1f}\x{85}\p{Z}<>"''\x{2026}]+"""
RT_PREFIX_RE = r"^RT @(\w+)"


class Columns:
    """The columns of one table: maps a header name (case-insensitive) to its SQL identifier.

    >>> cols = Columns(["ID", "text"])
    >>> cols("id"), cols("missing"), "text" in cols
    ('c0', 'NULL', True)
    """

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        self._index: dict[str, int] = {}
        for i, name in enumerate(names):
            self._index.setdefault(name.strip().lower(), i)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._index

    def __call__(self, name: str) -> str:
        """The identifier of a column (``c<i>``), or ``NULL`` when the table lacks it."""
        i = self._index.get(name.lower())
        return "NULL" if i is None else f"c{i}"

    def text(self, name: str) -> str:
        """The column as text, trimmed of spaces, with empty cells as NULL."""
        return trimmed_text(f"CAST({self(name)} AS VARCHAR)")

    def first(self, *names: str) -> str:
        """The first of ``names`` that the table has, as text (``NULL`` if none)."""
        for name in names:
            if name in self:
                return self.text(name)
        return "NULL"


def trimmed_text(text: str) -> str:
    """SQL for ``nullif(trim(text), '')`` that calls ``trim`` only when it may cut something.

    DuckDB's ``trim`` copies every string it is given; it cuts the Unicode space separators,
    and the only one in ASCII is the space itself. An ASCII text that neither begins nor
    ends with a space is left as it is: the IRA archive's author column took 0.09 against
    0.17 CPU-s, its times 0.08 against 0.25. A test compares it with the plain expression.
    """
    needs_trim = (
        f"starts_with({text}, ' ') OR ends_with({text}, ' ') OR strlen({text}) <> length({text})"
    )
    return f"nullif(CASE WHEN {needs_trim} THEN trim({text}) ELSE {text} END, '')"


Expressions = dict[str, str]
"""Field name -> SQL expression. Post fields plus ``_time`` (raw time text),
``hashtags_raw``/``mentions``/``urls`` as VARCHAR[] (unnormalised), and ``account_*`` fields."""


@dataclass(frozen=True)
class Variant:
    """A table layout: its name, the columns that identify it, and its SQL expressions."""

    name: str
    required: frozenset[str]
    build: Callable[[Columns], Expressions]
    time_column: Callable[[Columns], str]
    """Name of the column holding the time, for quarantine reasons."""

    def matches(self, cols: Columns) -> bool:
        return all(name in cols for name in self.required)


# -- shared expressions ---------------------------------------------------------------------


def text_entities(text: str) -> Expressions:
    """Hashtags, mentions and URLs extracted from a text expression (no entity columns).

    A hashtag may keep its ``#``: the read query strips it, as it does from the tags of the
    tables that have a tag column.
    """
    # The contains() tests skip the costly regular expressions on texts that cannot match.
    return {
        "hashtags_raw": f"CASE WHEN contains({text}, '#') OR contains({text}, '＃') "
        f"THEN (CASE WHEN strlen({text}) = length({text}) "  # ASCII: the cheaper ASCII twins
        f"THEN {_hashtags_sql(text, *_ASCII_TAG_PATTERNS)} "
        f"ELSE {_hashtags_sql(text, *_TAG_PATTERNS)} END) ELSE []::VARCHAR[] END",
        "mentions": f"CASE WHEN contains({text}, '@') "
        f"THEN regexp_extract_all({text}, '{MENTION_RE}', 1) ELSE []::VARCHAR[] END",
        "urls": f"CASE WHEN contains({text}, '://') "
        f"THEN regexp_extract_all({text}, '{URL_RE}') ELSE []::VARCHAR[] END",
    }


def _hashtags_sql(text: str, ruled_out: str, bare: str, full: str) -> str:
    """The tags of a text that has a ``#``: by the bare pattern unless ``ruled_out`` matches.

    The IRA archive's 902,344 texts with a ``#``: 0.85 against 1.44 CPU-s for the full
    pattern alone, the same tags once stripped of ``#``.
    """
    return (
        f"(CASE WHEN regexp_matches({text}, '{ruled_out}') "
        f"THEN regexp_extract_all({text}, '{full}', 1) "
        f"ELSE regexp_extract_all({text}, '{bare}') END)"
    )


def stripped_tags(tags: str) -> str:
    """SQL for a list of tags without their leading ``#`` or ``＃``, empty ones left out."""
    return f"list_filter(list_transform({tags}, lambda x: ltrim(x, '#＃')), lambda x: x <> '')"


def split_list(cell: str) -> str:
    """A space- or comma-separated cell, or an R vector ``c("a", "b")``, as VARCHAR[]."""
    return (
        f"CASE WHEN {cell} IS NULL OR {cell} = 'NA' THEN []::VARCHAR[] "
        f"""WHEN {cell} LIKE 'c(%' THEN regexp_extract_all({cell}, '"([^"]*)"', 1) """
        f"ELSE list_filter(string_split_regex({cell}, '[\\s,]+'), lambda x: x <> '') END"
    )


def json_list(cell: str) -> str:
    """A JSON list cell (twarc-csv) as VARCHAR[]; invalid JSON gives an empty list."""
    return (
        f"CASE WHEN {cell} IS NOT NULL AND json_valid({cell}) "
        f"THEN from_json({cell}, '[\"VARCHAR\"]') ELSE []::VARCHAR[] END"
    )


def truthy(cell: str) -> str:
    return f"(lower({cell}) IN ('true', 't', '1', 'yes'))"


def as_int(cell: str) -> str:
    return f"TRY_CAST(TRY_CAST({cell} AS DOUBLE) AS BIGINT)"


def derived_post_id_sql(author: str, created_at: str, text: str, extra: str = "''") -> str:
    """SQL for a post id derived from author, time, text (and ``extra``), for id-less tables.

    ``'md5-'`` followed by the first 16 hex digits of the MD5 of the lower-cased author, the
    time in Unix seconds, the text and ``extra``, joined by the unit separator U+001F. Equal
    inputs give equal ids, so a repeated row is counted as a duplicate by the store.
    """
    parts = [
        f"coalesce(lower({author}), '')",
        f"coalesce({epoch_text_sql(created_at)}, '')",
        f"coalesce({text}, '')",
        f"coalesce({extra}, '')",
    ]
    # One concat_ws instead of a chain of ||, which copies the growing string at each step
    # (the IRA archive's ids: 1.55 against 2.05 CPU-s); no part is NULL, so none is skipped.
    return f"concat('md5-', left(md5(concat_ws(chr(31), {', '.join(parts)})), 16))"


def epoch_text_sql(time: str) -> str:
    """SQL for ``CAST(epoch(time) AS VARCHAR)``, the seconds as DuckDB writes a DOUBLE.

    Whole seconds (nearly every archive's times) are written from the integer, without
    formatting a double: 0.10 against 0.21 CPU-s on the IRA archive's 2.46 M times. Both
    give ``'1443616140.0'`` (a test compares them over the whole range of timestamps).
    """
    return (
        f"CASE WHEN epoch_us({time}) % 1000000 = 0 "
        f"THEN CAST(epoch_us({time}) // 1000000 AS VARCHAR) || '.0' "
        f"ELSE CAST(epoch({time}) AS VARCHAR) END"
    )


def _kind(*cases: tuple[str, str]) -> str:
    whens = " ".join(f"WHEN {cond} THEN '{kind}'" for cond, kind in cases)
    return f"CASE {whens} ELSE 'post' END"


# -- twarc-csv ------------------------------------------------------------------------------


def _twarc(cols: Columns) -> Expressions:
    t = cols.text
    retweeted, quoted = t("referenced_tweets.retweeted.id"), t("referenced_tweets.quoted.id")
    replied = t("referenced_tweets.replied_to.id")
    return {
        "post_id": t("id"),
        "author_id": t("author_id"),
        "_time": t("created_at"),
        "kind": _kind(
            (f"{retweeted} IS NOT NULL", "repost"),
            (f"{quoted} IS NOT NULL", "quote"),
            (f"{replied} IS NOT NULL", "reply"),
        ),
        "text": f"replace({cols('text')}, '\\n', chr(10))",
        "lang": t("lang"),
        "ref_post_id": f"coalesce({retweeted}, {quoted})",
        "ref_author_id": f"CASE WHEN {retweeted} IS NOT NULL THEN {t('retweeted_user_id')} "
        f"ELSE {t('quoted_user_id')} END",
        "ref_author_handle": f"CASE WHEN {retweeted} IS NOT NULL THEN "
        f"{cols.first('retweeted_username')} ELSE {cols.first('quoted_username')} END",
        "reply_to_post_id": replied,
        "reply_to_author_id": t("in_reply_to_user_id"),
        "conversation_id": t("conversation_id"),
        "hashtags_raw": json_list(t("entities.hashtags")),
        "mentions": json_list(t("entities.mentions")),
        "urls": json_list(t("entities.urls")),
        "author_handle": t("author.username"),
        "account_handle": t("author.username"),
        "account_name": t("author.name"),
        "account_created_at": f"TRY_CAST({t('author.created_at')} AS TIMESTAMPTZ)",
        "account_followers": as_int(t("author.public_metrics.followers_count")),
        "account_following": as_int(t("author.public_metrics.following_count")),
        "account_posts_count": as_int(t("author.public_metrics.tweet_count")),
        "account_listed": as_int(t("author.public_metrics.listed_count")),
        "account_verified": truthy(t("author.verified")),
        "account_description": t("author.description"),
    }


# -- rtweet ---------------------------------------------------------------------------------


def _rtweet(cols: Columns) -> Expressions:
    t = cols.text
    is_retweet, is_quote = truthy(t("is_retweet")), truthy(t("is_quote"))
    rt_handle = f"lower(nullif(regexp_extract({t('text')}, '{RT_PREFIX_RE}', 1), ''))"
    return {
        "post_id": t("status_id"),
        "author_id": t("user_id"),
        "_time": t("created_at"),
        "kind": _kind(
            (is_retweet, "repost"),
            (is_quote, "quote"),
            (f"{t('reply_to_status_id')} IS NOT NULL", "reply"),
        ),
        "text": t("text"),
        "lang": t("lang"),
        "ref_post_id": f"CASE WHEN {is_retweet} THEN {t('retweet_status_id')} "
        f"WHEN {is_quote} THEN {t('quoted_status_id')} END",
        "ref_author_id": f"CASE WHEN {is_retweet} THEN {t('retweet_user_id')} "
        f"WHEN {is_quote} THEN {cols.first('quoted_user_id')} END",
        "ref_author_handle": f"CASE WHEN {is_retweet} THEN coalesce(lower("
        f"{cols.first('retweet_screen_name')}), {rt_handle}) "
        f"WHEN {is_quote} THEN lower({cols.first('quoted_screen_name')}) END",
        "reply_to_post_id": t("reply_to_status_id"),
        "reply_to_author_id": t("reply_to_user_id"),
        "hashtags_raw": split_list(t("hashtags")),
        "mentions": split_list(t("mentions_screen_name")),
        "urls": split_list(t("urls_expanded_url")),
        "author_handle": t("screen_name"),
        "account_handle": t("screen_name"),
        "account_name": t("name"),
        "account_created_at": f"TRY_CAST({t('account_created_at')} AS TIMESTAMPTZ)",
        "account_followers": as_int(t("followers_count")),
        "account_following": as_int(t("friends_count")),
        "account_posts_count": as_int(t("statuses_count")),
        "account_listed": as_int(t("listed_count")),
        "account_verified": truthy(t("verified")),
        "account_description": t("description"),
    }


# -- IRA troll tweets -----------------------------------------------------------------------

LANGUAGE_CODES = {
    "English": "en", "Russian": "ru", "German": "de", "Ukrainian": "uk", "Italian": "it",
    "Serbian": "sr", "Bulgarian": "bg", "Uzbek": "uz", "Arabic": "ar", "Macedonian": "mk",
    "French": "fr", "Spanish": "es", "Norwegian": "no", "Romanian": "ro", "Dutch": "nl",
    "Vietnamese": "vi", "Farsi (Persian)": "fa", "Swedish": "sv", "Estonian": "et",
    "Catalan": "ca", "Croatian": "hr", "Portuguese": "pt", "Albanian": "sq", "Pushto": "ps",
    "Turkish": "tr", "Japanese": "ja", "Finnish": "fi", "Icelandic": "is", "Lithuanian": "lt",
    "Polish": "pl", "Tagalog (Filipino)": "tl", "Latvian": "lv", "Somali": "so",
    "Kurdish": "ku", "Czech": "cs", "Slovak": "sk", "Malay": "ms", "Hungarian": "hu",
    "Indonesian": "id", "Danish": "da", "Hebrew": "he", "Slovenian": "sl", "Urdu": "ur",
    "Hindi": "hi", "Korean": "ko", "Greek": "el", "Thai": "th", "Simplified Chinese": "zh",
    "Traditional Chinese": "zh", "Gujarati": "gu", "Bengali": "bn",
}  # fmt: skip
"""The IRA files' language names (all those in the data) -> ISO 639-1; others become NULL."""


def _ira(cols: Columns) -> Expressions:
    t = cols.text
    content = cols("content")
    handle = cols.first("author", "author_id")
    post_type = f"upper({t('post_type')})"
    rt_handle = f"nullif(regexp_extract({content}, '{RT_PREFIX_RE}', 1), '')"
    created = "_read_utc"  # the stage reads the time before post_id (see tabular)
    updates = as_int(cols("updates"))
    derived = derived_post_id_sql(handle, created, content, f"CAST({updates} AS VARCHAR)")
    entities = text_entities(content)
    return {
        "post_id": f"coalesce({cols.first('tweet_id')}, {derived})"
        if "tweet_id" in cols
        else derived,
        "author_id": cols.first("external_author_id", "author_id", "author"),
        "_time": t("publish_date"),
        "kind": _kind(
            (f"{post_type} IN ('R', 'RETWEET') OR {rt_handle} IS NOT NULL", "repost"),
            (f"{post_type} IN ('Q', 'QUOTE_TWEET')", "quote"),
        ),
        "text": content,
        "lang": "getvariable('tw_language_codes')[" + t("language") + "]",
        "ref_author_handle": f"lower({rt_handle})",
        **entities,
        "author_handle": handle,
        "account_handle": handle,
        "account_followers": as_int(cols("followers")),
        "account_following": as_int(cols("following")),
        "account_posts_count": updates,
    }


def _ira_time(cols: Columns) -> str:
    return "publish_date"


# -- QUT coordination-network-toolkit -------------------------------------------------------


def _qut(cols: Columns) -> Expressions:
    t = cols.text
    message = cols("message")
    return {
        "post_id": t("message_id"),
        "author_id": t("user_id"),
        "_time": t("timestamp"),
        "kind": _kind(
            (f"{t('repost_id')} IS NOT NULL", "repost"), (f"{t('reply_id')} IS NOT NULL", "reply")
        ),
        "text": message,
        "ref_post_id": t("repost_id"),
        "reply_to_post_id": t("reply_id"),
        **text_entities(message),
        "urls": split_list(t("urls")),
        "author_handle": t("username"),
        "account_handle": t("username"),
    }


# -- CooRTweet ------------------------------------------------------------------------------


def _coortweet(cols: Columns) -> Expressions:
    t = cols.text
    return {
        "post_id": t("content_id"),
        "author_id": t("account_id"),
        "_time": t("timestamp_share"),
        "kind": "'repost'",
        "ref_post_id": t("object_id"),
    }


def _named(column: str) -> Callable[[Columns], str]:
    return lambda cols: column


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "twarc-csv",
        frozenset({"id", "author_id", "created_at", "text", "referenced_tweets.retweeted.id"}),
        _twarc,
        _named("created_at"),
    ),
    Variant(
        "rtweet",
        frozenset({"status_id", "user_id", "created_at", "text", "is_retweet"}),
        _rtweet,
        _named("created_at"),
    ),
    Variant(
        "ira",
        frozenset({"content", "publish_date", "following", "followers", "updates", "post_type"}),
        _ira,
        _ira_time,
    ),
    Variant(
        "qut",
        frozenset({"message_id", "user_id", "repost_id", "reply_id", "message", "timestamp"}),
        _qut,
        _named("timestamp"),
    ),
    Variant(
        "coortweet",
        frozenset({"object_id", "account_id", "content_id", "timestamp_share"}),
        _coortweet,
        _named("timestamp_share"),
    ),
)


def find_variant(names: Sequence[str]) -> Variant | None:
    """The first variant whose identifying columns are all in ``names``, else None.

    >>> find_variant(["object_id", "account_id", "content_id", "timestamp_share"]).name
    'coortweet'
    """
    cols = Columns(names)
    for variant in VARIANTS:
        if variant.matches(cols):
            return variant
    return None


# -- --map ----------------------------------------------------------------------------------

_NOT_MAPPABLE = {"platform", "collected", "hashtags_raw", "source"}
MAPPABLE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Post) if f.name not in _NOT_MAPPABLE
)
"""Post fields a ``--map column=field`` may name (``hashtags`` keeps the raw form too)."""
_LIST_FIELDS = {"hashtags", "mentions", "urls"}


def mapped_variant(mapping: dict[str, str], names: Sequence[str]) -> Variant:
    """The variant for a ``--map column=field`` mapping over a table with columns ``names``.

    List fields (hashtags, mentions, urls) are split on spaces and commas; without a hashtags,
    mentions or urls column they are extracted from the mapped ``text``. Without ``kind``, a
    row is a reply when ``reply_to_post_id`` is set and a repost when ``ref_post_id`` is set
    (repost first). Without ``post_id``, the id is derived from author, time and text (see
    :func:`derived_post_id_sql`), which needs all three mapped.

    Raises
    ------
    MappingError
        When a field is unknown, a column is missing, or post_id is neither mapped nor
        derivable; the message names them and lists the valid fields.
    """
    _check_mapping(mapping, names)
    by_field = {field: column for column, field in mapping.items()}
    time_column = by_field["created_at"]
    return Variant(
        "mapped", frozenset(mapping), lambda cols: _mapped(by_field, cols), _named(time_column)
    )


def _check_mapping(mapping: dict[str, str], names: Sequence[str]) -> None:
    valid = ", ".join(MAPPABLE_FIELDS)
    unknown = sorted(f for f in mapping.values() if f not in MAPPABLE_FIELDS)
    if unknown:
        raise MappingError(f"--map: unknown field(s) {', '.join(unknown)}; valid fields: {valid}")
    cols = Columns(names)
    missing = sorted(c for c in mapping if c not in cols)
    if missing:
        raise MappingError(
            f"--map: column(s) {', '.join(missing)} not in the table "
            f"(its columns: {', '.join(names)})"
        )
    fields = set(mapping.values())
    needed = {"author_id", "created_at"} | (
        set() if "post_id" in fields else {"author_id", "created_at", "text"}
    )
    if needed - fields:
        raise MappingError(
            f"--map: map a column to {', '.join(sorted(needed - fields))} "
            f"(post_id can be derived only from author_id, created_at and text); "
            f"valid fields: {valid}"
        )


def _mapped(by_field: dict[str, str], cols: Columns) -> Expressions:
    exprs = {
        f: (split_list(cols.text(c)) if f in _LIST_FIELDS else cols.text(c))
        for f, c in by_field.items()
        if f not in ("created_at", "hashtags", "kind")
    }
    exprs["_time"] = cols.text(by_field["created_at"])
    text = exprs.get("text", "NULL")
    extracted = text_entities(text)
    exprs["hashtags_raw"] = (
        split_list(cols.text(by_field["hashtags"]))
        if "hashtags" in by_field
        else extracted["hashtags_raw"]
    )
    for name in ("mentions", "urls"):
        exprs.setdefault(name, extracted[name])
    exprs["kind"] = _mapped_kind(by_field, cols, exprs)
    if "post_id" not in exprs:
        exprs["post_id"] = derived_post_id_sql(exprs["author_id"], "_read_utc", text)
    return exprs


def _mapped_kind(by_field: dict[str, str], cols: Columns, exprs: Expressions) -> str:
    if "kind" in by_field:
        return f"lower({cols.text(by_field['kind'])})"
    return _kind(
        (f"{exprs.get('ref_post_id', 'NULL')} IS NOT NULL", "repost"),
        (f"{exprs.get('reply_to_post_id', 'NULL')} IS NOT NULL", "reply"),
    )
