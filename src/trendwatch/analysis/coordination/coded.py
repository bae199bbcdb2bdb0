"""The fast link path: actions read as integer codes, paired in NumPy, strings resolved last.

Strings (account ids, keys, post ids) are long and there are millions of them; the pair join
only needs to compare them. So:

1. **Code.** DuckDB reads the actions as 64-bit hashes of the account, key and post ids plus
   the time in microseconds, sorted by ``(key, time, account, post)``: four integer columns.
2. **Pair.** Duplicate actions and keys acted on by a single account are dropped, then
   :func:`~.pairs.window_pairs` walks the sorted runs (linear in the output, hot-key bound).
   On the keys the bound cuts, which pairs are kept depends on the order of actions at the
   same time: there, and only there, they are put in :data:`TIE_ORDER` (post id, then account
   id, as bytes: the SQL join's and Spark's order), their strings looked up by their codes.
3. **Resolve.** Only the actions that are in a pair are looked up again in the source, by
   their codes, to get their exact strings. Keys are then compared *as strings*, so a hash
   collision of two keys can never create a link; accounts are re-coded exactly (ranks in
   string order, so ``account_a < account_b`` holds on the strings). Two distinct account ids
   with the same 64-bit hash (probability about ``n² / 2⁶⁵``, 2e-7 for 2.7 million accounts;
   account ids are assigned by the platforms, not chosen by users) would not be linked to
   each other.
4. **Summarise.** Edges are aggregated by DuckDB on the integer pair table; the evidence is
   kept as a compact Arrow table (dictionary-encoded strings) and becomes a DataFrame only
   when read.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ... import connections
from .pairs import hot_key_bound, key_runs, window_pairs
from .results import decoded

__all__ = [
    "CodedActions",
    "read_coded",
    "read_coded_sorted_in_sql",
    "coded_link",
    "Resolved",
    "resolve",
    "string_order",
    "TIE_ORDER",
    "tie_runs",
    "on_cut_keys",
    "order_cut_ties",
    "tie_order",
    "pair_table",
    "evidence_table",
    "evidence_frame",
    "registered",
    "members",
]

_NOT_NULL = "account_id IS NOT NULL AND key IS NOT NULL AND time IS NOT NULL"
# The code of each string column: a 64-bit hash of its text.
CODE_SQL = {
    "a": "hash(CAST(account_id AS VARCHAR))",
    "k": "hash(CAST(key AS VARCHAR))",
    "p": "hash(CAST(post_id AS VARCHAR))",
}


def _codes_sql() -> str:
    # The select list of the four codes (read when a query is built: tests replace the hashes).
    t = "epoch_us(CAST(time AS TIMESTAMPTZ)) AS t"
    return ", ".join([*(f"{sql} AS {c}" for c, sql in CODE_SQL.items()), t])


@dataclass(frozen=True)
class CodedActions:
    """Actions as integer arrays sorted by ``(k, t, a, p)``: account, key, post hashes, µs."""

    a: np.ndarray
    k: np.ndarray
    t: np.ndarray
    p: np.ndarray

    def take(self, mask: np.ndarray) -> CodedActions:
        """The actions where ``mask`` is true (or at the given positions)."""
        return CodedActions(self.a[mask], self.k[mask], self.t[mask], self.p[mask])


def read_coded(
    con, source: str, min_participation: int = 1, shared_only: bool = True
) -> CodedActions:
    """The distinct actions of view ``source`` as codes, keeping keys of two accounts or more.

    ``min_participation`` first drops accounts acting on fewer distinct keys;
    ``shared_only=False`` keeps every key. DuckDB drops the keys of a single account before
    sorting (on the IRA archive's co-link 8,563 of 1.27 M actions remain: 0.16-0.17 s
    against 0.21 s for this read; on the 10 M co-retweet, where 85 % remain, 1.83-1.86 s
    against 1.73-1.82 s). It sorts by ``(k, t)`` only (half the sort key: ~20% less time on
    10 million actions); the few runs of equal ``(k, t)`` are then put in ``(a, p)`` order
    here (:func:`read_coded_sorted_in_sql`, which does both steps in NumPy, is the oracle).
    """
    acts = _order_ties(_fetch_codes(con, source, min_participation, "k, t", shared_only))
    # One take of the four columns (each take of 10 million actions is ~300 MB of new memory).
    return _kept(acts, _first_of_copies(acts))


def read_coded_sorted_in_sql(
    con, source: str, min_participation: int = 1, shared_only: bool = True
) -> CodedActions:
    """:func:`read_coded` with DuckDB sorting by ``(k, t, a, p)`` (slower; test oracle)."""
    acts = _fetch_codes(con, source, min_participation, "k, t, a, p")
    acts = _kept(acts, _first_of_copies(acts))
    return _kept(acts, _on_shared_keys(acts)) if shared_only else acts


def _kept(acts: CodedActions, keep: np.ndarray) -> CodedActions:
    # The actions where ``keep`` is true; no copy when it keeps them all.
    return acts if keep.all() else acts.take(keep)


def _fetch_codes(
    con, source: str, min_participation: int, order_by: str, shared_only: bool = False
) -> CodedActions:
    active = ""
    if min_participation > 1:
        active = (
            "SEMI JOIN (SELECT a FROM x GROUP BY a HAVING count(DISTINCT k) >= "
            f"{int(min_participation)}) USING (a)"
        )
    shared = ""
    if shared_only:  # keys acted on by two accounts or more
        shared = "SEMI JOIN (SELECT k FROM y GROUP BY k HAVING min(a) <> max(a)) USING (k)"
    table = con.sql(f"""
        WITH x AS (SELECT {_codes_sql()} FROM {source} WHERE {_NOT_NULL}),
        y AS (SELECT * FROM x {active})
        SELECT a, k, t, p FROM y {shared} ORDER BY {order_by}
    """).to_arrow_table()
    columns = []
    for name in ("a", "k", "t", "p"):
        # Each Arrow column is freed once copied: its memory is reused for the next copy.
        columns.append(table[name].to_numpy())
        table = table.drop_columns([name])
    return CodedActions(*columns)


def _order_ties(acts: CodedActions) -> CodedActions:
    # Actions sorted by (k, t): sort each run of equal (k, t) by (a, p), in place.
    rows, run = tie_runs(acts.k, acts.t)
    if not rows.size:
        return acts
    return _moved(acts, rows, rows[np.lexsort((acts.p[rows], acts.a[rows], run))])


def _moved(acts: CodedActions, rows: np.ndarray, order: np.ndarray) -> CodedActions:
    # The accounts and posts at ``order`` put at ``rows`` (keys and times there are equal).
    a, p = (x if x.flags.writeable else x.copy() for x in (acts.a, acts.p))
    a[rows], p[rows] = a[order], p[order]
    return CodedActions(a, acts.k, acts.t, p)


def tie_runs(
    key: np.ndarray, time: np.ndarray, on_key: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The positions in runs of equal ``(key, time)`` (sorted so) and each one's run number.

    ``on_key``, a mask constant over each key's run, keeps the ties of the keys it marks.

    Examples
    --------
    >>> rows, run = tie_runs(np.array([1, 1, 1, 2, 2]), np.array([0, 0, 3, 5, 5]))
    >>> rows.tolist(), run.tolist()
    ([0, 1, 3, 4], [1, 1, 2, 2])
    """
    if key.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    same = (key[1:] == key[:-1]) & (time[1:] == time[:-1])
    tied = np.r_[same, False] | np.r_[False, same]
    if on_key is not None:
        tied &= on_key
    rows = np.flatnonzero(tied)
    return rows, np.cumsum(np.r_[True, ~same][rows])


def on_cut_keys(key: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The mask of the actions on keys (sorted) where the hot-key bound ``cut`` an action.

    Examples
    --------
    >>> on_cut_keys(np.array([1, 1, 2, 2, 3]), np.array([0, 0, 0, 1, 0], bool)).tolist()
    [False, False, True, True, False]
    """
    starts, lengths = key_runs(key)
    if not starts.size:
        return np.zeros(0, bool)
    return np.repeat(np.maximum.reduceat(cut, starts), lengths)


TIE_ORDER = "post_id, then account_id, both compared as UTF-8 bytes"
"""How actions of one key at the same time are ordered before the hot-key bound pairs each
with its next ones: the order of the SQL join (:func:`.join.number_actions`) and of Spark's
(:mod:`trendwatch.engines.spark_link`), whose default string comparisons are bytewise."""


def order_cut_ties(con, source: str, acts: CodedActions, cut: np.ndarray) -> CodedActions:
    """``acts`` with the ties of the keys the bound ``cut`` in :data:`TIE_ORDER`.

    Only there does the order of equal ``(key, time)`` change which pairs are kept; elsewhere
    the ties stay in hash order (:func:`read_coded`), which costs no string.

    Examples
    --------
    >>> import datetime as dt
    >>> con = connections.connect()
    >>> t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> _ = con.register("v", pa.table({"account_id": ["x", "y", "z"], "key": ["k"] * 3,
    ...                                 "time": [t] * 3, "post_id": ["b", "c", "B"]}))
    >>> acts = order_cut_ties(con, "v", read_coded(con, "v"), np.array([True, False, False]))
    >>> post = dict(con.sql("SELECT hash(post_id), post_id FROM v").fetchall())
    >>> [post[p] for p in acts.p.tolist()]
    ['B', 'b', 'c']
    """
    if not cut.any():
        return acts
    rows, run = tie_runs(acts.k, acts.t, on_cut_keys(acts.k, cut))
    if not rows.size:
        return acts
    return _moved(acts, rows, rows[tie_order(con, source, acts, rows, run)])


def tie_order(
    con, source: str, acts: CodedActions, positions: np.ndarray, run: np.ndarray
) -> np.ndarray:
    """The permutation of ``positions`` that sorts them by ``run``, then :data:`TIE_ORDER`.

    The strings are looked up in view ``source`` by the actions' codes; ``run`` numbers the
    runs of equal ``(key, time)`` in increasing order.
    """
    wanted = pa.table(
        {
            **{c: getattr(acts, c)[positions] for c in ("a", "k", "t", "p")},
            "run": run,
            "i": np.arange(positions.size, dtype=np.int64),
        }
    )
    with registered(con, wanted) as name:
        found = con.sql(f"""
            SELECT w.i FROM {name} w JOIN (
                SELECT {_codes_sql()}, CAST(post_id AS VARCHAR) AS post_id,
                       CAST(account_id AS VARCHAR) AS account_id
                FROM {source} WHERE {_NOT_NULL}
            ) s USING (a, k, t, p)
            GROUP BY w.i, w.run
            ORDER BY w.run, min(encode(s.post_id)), min(encode(s.account_id)), w.i
        """).to_arrow_table()
    if found.num_rows != positions.size:
        raise RuntimeError("coordination: actions changed while being linked; run again")
    return found["i"].to_numpy()


def _on_shared_keys(acts: CodedActions) -> np.ndarray:
    # The mask of the actions on keys acted on by two accounts or more.
    starts, lengths = key_runs(acts.k)
    if not starts.size:
        return np.zeros(0, bool)
    shared = np.minimum.reduceat(acts.a, starts) != np.maximum.reduceat(acts.a, starts)
    return np.repeat(shared, lengths)


def _first_of_copies(acts: CodedActions) -> np.ndarray:
    # The mask of the actions that are not a copy of the one before (sorted by k, t, a, p).
    keep = np.ones(acts.k.size, bool)
    if acts.k.size < 2:
        return keep
    tied = np.flatnonzero((acts.k[1:] == acts.k[:-1]) & (acts.t[1:] == acts.t[:-1]))
    copy = (acts.a[tied + 1] == acts.a[tied]) & (acts.p[tied + 1] == acts.p[tied])
    keep[tied[copy] + 1] = False
    return keep


@dataclass(frozen=True)
class Resolved:
    """Exact strings of the actions in a pair, by position in ``positions`` (sorted).

    ``account`` holds each action's account rank (string order) into ``accounts``; ``key``
    its key code into ``keys``; ``post[post_row]`` its post id string; ``time`` its time
    (µs). The strings stay in the order DuckDB found them: only integer codes are reordered.
    """

    positions: np.ndarray
    account: np.ndarray
    accounts: pa.Array
    key: np.ndarray
    keys: pa.Array
    post: pa.Array
    post_row: np.ndarray
    time: np.ndarray

    def index(self, positions: np.ndarray) -> np.ndarray:
        """Where action positions sit in :attr:`positions`."""
        return np.searchsorted(self.positions, positions)


@contextlib.contextmanager
def registered(con, table: pa.Table):
    """Register an Arrow table on ``con`` under a fresh name for the ``with`` block."""
    name = f"_tw_reg_{uuid.uuid4().hex[:8]}"
    with connections.registered(con, name, table):
        yield name


def resolve(con, source: str, acts: CodedActions, positions: np.ndarray) -> Resolved:
    """Look the actions at ``positions`` up in view ``source`` by their codes."""
    wanted = pa.table(
        {
            "a": acts.a[positions],
            "k": acts.k[positions],
            "t": acts.t[positions],
            "p": acts.p[positions],
            "pos": np.arange(positions.size, dtype=np.int64),
        }
    )
    with registered(con, wanted) as name:
        found = con.sql(f"""
            SELECT w.pos, CAST(s.account_id AS VARCHAR) AS account_id,
                   CAST(s.key AS VARCHAR) AS key, CAST(s.post_id AS VARCHAR) AS post_id
            FROM (SELECT {_codes_sql()}, account_id, key, post_id FROM {source} WHERE {_NOT_NULL}) s
            JOIN {name} w USING (a, k, t, p)
        """).to_arrow_table()
    # Identical source rows match twice: each position keeps its first row.
    pos = found["pos"].to_numpy()
    row = np.full(positions.size, -1, np.int64)
    row[pos[::-1]] = np.arange(pos.size - 1, -1, -1)
    if (row < 0).any():
        raise RuntimeError("coordination: actions changed while being linked; run again")
    account_codes = acts.a[positions][pos]
    return _exact_codes(positions, found, row, acts.t[positions], con, account_codes)


def _exact_codes(
    positions, found: pa.Table, row, time: np.ndarray, con, account_codes: np.ndarray
) -> Resolved:
    # Strings are encoded in found order; only the integer codes are taken by ``row``.
    accounts = encode_by_code(found["account_id"], account_codes)
    if accounts is None:  # a hash collision among the accounts
        accounts = pc.dictionary_encode(found["account_id"]).combine_chunks()
    order = string_order(accounts.dictionary, con)
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    keys = pc.dictionary_encode(found["key"]).combine_chunks()
    return Resolved(
        positions=positions,
        account=rank[accounts.indices.to_numpy()[row]],
        accounts=accounts.dictionary.take(pa.array(order)),
        key=keys.indices.to_numpy()[row].astype(np.int64),
        keys=keys.dictionary,
        post=found["post_id"].combine_chunks(),
        post_row=row,
        time=time,
    )


def encode_by_code(strings: pa.ChunkedArray, codes: np.ndarray) -> pa.DictionaryArray | None:
    """``strings`` dictionary-encoded through their hash ``codes``; None on a hash collision.

    Grouping 64-bit integers is cheaper than hashing the strings again (2 M account ids of
    the 10 M co-retweet: ~0.2 s against 0.45-0.95 s for Arrow's ``dictionary_encode``). Each
    string is then compared with the first string of its code, so two distinct strings
    sharing a code are never merged.
    """
    index, uniques = pd.factorize(codes)
    first = np.empty(uniques.size, np.int64)
    first[index[::-1]] = np.arange(index.size - 1, -1, -1)
    flat = strings.combine_chunks()
    dictionary = flat.take(pa.array(first))
    if not pc.all(pc.equal(dictionary.take(pa.array(index)), flat), min_count=0).as_py():
        return None
    return pa.DictionaryArray.from_arrays(pa.array(index), dictionary)


def string_order(strings: pa.Array, con=None) -> np.ndarray:
    """The positions that sort distinct ``strings`` by their UTF-8 bytes (code point order).

    With a DuckDB connection, DuckDB sorts them (two threads: ~2x faster than Arrow's
    ``array_sort_indices`` on a million account ids); ``encode`` compares the bytes, whatever
    the connection's default collation.
    """
    if con is None or len(strings) < 2:
        return pc.array_sort_indices(strings).to_numpy()
    table = pa.table({"s": strings, "i": np.arange(len(strings), dtype=np.int64)})
    with registered(con, table) as name:
        order = con.sql(f"SELECT i FROM {name} ORDER BY encode(s)").to_arrow_table()
    return order["i"].to_numpy()


def coded_link(con, source: str, params: dict, acts: CodedActions | None = None):
    """Pairs of the actions in view ``source``: ``(acts, pairs, resolved, pair_table)``.

    ``pair_table`` has one row per linked post pair, oriented so ``lo < hi`` (account ranks):
    ``lo, hi, k, p_lo, p_hi, i_lo, i_hi, gap_us`` (``i_*`` index ``resolved``). ``acts``:
    the :func:`read_coded` actions of ``source``, when already read.
    """
    if acts is None:
        acts = read_coded(con, source, params["min_participation"])
    window = round(params["window_s"] * 1_000_000)
    fanout, budget = params["max_key_fanout"], params.get("max_key_pairs")
    bound = hot_key_bound(acts.k, acts.t, window, fanout, budget)
    acts = order_cut_ties(con, source, acts, bound[1])
    found = window_pairs(acts.k, acts.t, acts.a, window, fanout, budget, bound)
    positions = members(acts.k.size, found.first, found.second)
    resolved = resolve(con, source, acts, positions)
    return acts, found, resolved, pair_table(acts, found.first, found.second, resolved)


def members(n: int, *positions: np.ndarray) -> np.ndarray:
    """The sorted distinct positions among ``positions`` (``< n``), by a mask: no sort."""
    mask = np.zeros(n, bool)
    for p in positions:
        mask[p] = True
    return np.flatnonzero(mask)


def pair_table(
    acts: CodedActions,
    first,
    second,
    resolved: Resolved,
    same_key: bool = True,
    extra: dict | None = None,
) -> pa.Table:
    """The post pairs ``(first, second)`` (``t[first] <= t[second]``) as integer columns.

    With ``same_key``, a pair whose key strings differ (a hash collision) is dropped; the
    ``k`` column is account_a's key. ``extra`` columns (arrays aligned with ``first``) are
    kept as they are (co-similar's ``jaccard``).
    """
    i, j = resolved.index(first), resolved.index(second)
    keep = resolved.account[i] != resolved.account[j]
    if same_key:
        keep &= resolved.key[i] == resolved.key[j]
    i, j, first, second = i[keep], j[keep], first[keep], second[keep]
    swap = resolved.account[i] > resolved.account[j]
    i_lo, i_hi = np.where(swap, j, i), np.where(swap, i, j)
    f_lo, f_hi = np.where(swap, second, first), np.where(swap, first, second)
    columns = {
        "lo": resolved.account[i_lo],
        "hi": resolved.account[i_hi],
        "k": resolved.key[i_lo],
        "p_lo": acts.p[f_lo],
        "p_hi": acts.p[f_hi],
        "i_lo": i_lo,
        "i_hi": i_hi,
        "gap_us": acts.t[second] - acts.t[first],
        "t_lo": acts.t[f_lo],
    }
    columns |= {name: np.asarray(values)[keep] for name, values in (extra or {}).items()}
    return pa.table(columns)


def evidence_table(ev: pa.Table, resolved: Resolved) -> pa.Table:
    """The evidence rows (integer columns ``lo, hi, k, i_lo, i_hi, gap_us``) with strings.

    Strings stay dictionary-encoded (no copy); :func:`evidence_frame` decodes them.
    """
    i_lo, i_hi = ev["i_lo"].to_numpy(), ev["i_hi"].to_numpy()
    stamp = pa.timestamp("us", tz="UTC")
    columns = {
        "account_a": _dict(ev["lo"], resolved.accounts),
        "account_b": _dict(ev["hi"], resolved.accounts),
        "key": _dict(ev["k"], resolved.keys),
        "post_a": _dict(resolved.post_row[i_lo], resolved.post),
        "post_b": _dict(resolved.post_row[i_hi], resolved.post),
        "time_a": pa.array(resolved.time[i_lo], pa.int64()).cast(stamp),
        "time_b": pa.array(resolved.time[i_hi], pa.int64()).cast(stamp),
        "gap_s": pc.divide(ev["gap_us"].cast(pa.float64()), 1e6),
    }
    extra = [c for c in ev.column_names if c not in _CODED_EVIDENCE]
    columns.update({c: ev[c] for c in extra})
    return pa.table(columns)


_CODED_EVIDENCE = ("lo", "hi", "k", "i_lo", "i_hi", "gap_us", "p_lo", "p_hi", "t_lo")


def _dict(indices, dictionary: pa.Array) -> pa.DictionaryArray:
    codes = pa.array(np.asarray(indices, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(codes, dictionary)


def evidence_frame(table: pa.Table) -> pd.DataFrame:
    """An evidence Arrow table as a DataFrame, dictionary columns decoded to strings."""
    return decoded(table).to_pandas()
