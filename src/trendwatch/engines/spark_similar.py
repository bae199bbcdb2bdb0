"""co-similar on Spark: MinHash bands, the shared pair join and the exact Jaccard check in SQL.

The steps of :mod:`trendwatch.analysis.coordination.minhash`, one for one, over the actions'
DataFrame (texts as keys):

1. the distinct posts ``(account, text, time, post)`` and each text's shingle ids and band
   keys, from the SQL DuckDB runs too (:mod:`~trendwatch.analysis.coordination.
   minhash_family`), so the band keys, and the LSH candidates, are DuckDB's;
2. actions: each post of a text with a shingle on ``text:<text>`` and on ``band:<key>`` for
   every band key another text shares; the windowed pair join with its hot-key bound
   (:func:`.spark_link.pair_join_frame`) gives the candidate post pairs;
3. each post pair once (a pair may share several bands), with its two texts; the exact
   Jaccard similarity of their shingle-id sets (pairs of one text: 1, when the strings are
   equal); pairs below ``threshold`` dropped;
4. edges, evidence (``key`` is account_a's text, plus ``jaccard``) and bounded keys as for
   every method; TF-IDF reads each account's posts per text, as on DuckDB.

Only edges, evidence and bounded keys reach the driver. Like the DuckDB engine, co-similar
reads no ``min_participation``.
"""

from __future__ import annotations

import uuid

from ..analysis.coordination.join import LinkTables
from ..analysis.coordination.minhash_family import bands_sql, jaccard_sql, shingles_sql
from .spark_link import cache_view, checkpoint_view, pair_join_frame, spark_actions

__all__ = ["spark_similar_join"]


class _Views:
    """The temporary views co-similar adds to one link's (unique per call)."""

    def __init__(self, tag: str):
        self.source = f"tw_sim_source_{tag}"
        self.posts = f"tw_sim_posts_{tag}"
        self.shingles = f"tw_sim_shingles_{tag}"
        self.bands = f"tw_sim_bands_{tag}"
        self.shared = f"tw_sim_shared_{tag}"
        self.texts = f"tw_sim_texts_{tag}"
        self.candidates = f"tw_sim_candidates_{tag}"
        self.jaccard = f"tw_sim_jaccard_{tag}"
        self.tf = f"tw_sim_tf_{tag}"

    def all(self) -> list[str]:
        return list(vars(self).values())


def spark_similar_join(actions, params: dict) -> LinkTables:
    """co-similar's link of an Ibis actions table over PySpark (``key``: the texts).

    ``params`` holds the method's (``threshold``, ``shingle``, ``num_perm``, ``bands``,
    ``seed``) and the link's (window, hot-key bound, filters, ``tfidf``).
    """
    session = actions.get_backend()._session
    views = _Views(uuid.uuid4().hex[:8])
    spark_actions(actions).createOrReplaceTempView(views.source)
    cached: list = []
    try:
        _text_bands(session, views, params, cached)
        # Checkpointed: with the band expressions in their lineage, the pair join's cached
        # views printed plans of gigabytes (Spark names each cache by its plan's text) and the
        # driver ran out of memory on the hand-made case.
        band_actions = session.sql(_BAND_ACTIONS_SQL.format(v=views)).localCheckpoint()
        link = {**params, "min_participation": 1}

        def refine(session, names, cached_by_link):
            _verified_pairs(session, views, names, params, cached_by_link)

        return pair_join_frame(session, band_actions, link, refine)
    finally:
        for frame in cached:
            frame.unpersist()
        for view in views.all():
            session.catalog.dropTempView(view)


def _text_bands(session, views: _Views, params: dict, cached: list) -> None:
    # Step 1: the posts, their texts' shingle ids and the band keys two texts or more share.
    cache_view(session.sql(_POSTS_SQL.format(v=views)), views.posts, cached)
    # From the cached posts: the actions (a scan of the lake) are read once.
    texts = f"(SELECT text AS key FROM {views.posts}) AS texts"
    shingles = shingles_sql("spark", texts, params["shingle"])
    cache_view(session.sql(shingles), views.shingles, cached)
    bands = bands_sql(views.shingles, params["num_perm"], params["bands"], params["seed"])
    session.sql(bands).createOrReplaceTempView(views.bands)
    columns = ", ".join(f"b{band}" for band in range(params["bands"]))
    shared = _SHARED_BANDS_SQL.format(v=views, columns=columns)
    cache_view(session.sql(shared), views.shared, cached)


_POSTS_SQL = """
    SELECT DISTINCT CAST(account_id AS STRING) AS account_id, CAST(key AS STRING) AS text,
           CAST(time AS TIMESTAMP) AS time, CAST(post_id AS STRING) AS post_id,
           xxhash64(CAST(key AS STRING)) AS tid
    FROM {v.source} WHERE account_id IS NOT NULL AND key IS NOT NULL AND time IS NOT NULL
"""
_SHARED_BANDS_SQL = """
    WITH u AS (SELECT tid, explode(array({columns})) AS key FROM {v.bands})
    SELECT tid, key FROM u
    WHERE key IN (SELECT key FROM u GROUP BY key HAVING count(*) > 1)
"""
# Step 2's actions: a text without a shingle (no word) never matches, as on DuckDB.
_BAND_ACTIONS_SQL = """
    WITH p AS (
        SELECT * FROM {v.posts} q LEFT SEMI JOIN (SELECT DISTINCT tid FROM {v.shingles}) s
            ON q.tid = s.tid
    )
    SELECT account_id, concat('text:', text) AS key, time, post_id FROM p
    UNION ALL
    SELECT p.account_id, concat('band:', CAST(b.key AS STRING)) AS key, p.time, p.post_id
    FROM p JOIN {v.shared} b ON p.tid = b.tid
"""


def _verified_pairs(session, views: _Views, names, params: dict, cached: list) -> None:
    """Step 3: the band pairs (``names.pairs``) become the post pairs whose texts' Jaccard
    similarity is at least ``threshold``; TF-IDF is to read the posts' text actions.

    Each step is checkpointed, not cached: a cached view's plan carries the plans it reads, and
    the edges' query over these three cached views had 1,055 plan nodes and 27 MB of plan
    text; on the 58-post hand case its collect took 53 s and the evidence's 43 s (all steps,
    checkpointed: 7 s and 2 s).
    """
    checkpoint_view(session.sql(_CANDIDATES_SQL.format(v=views, pairs=names.pairs)), views.texts)
    session.sql(f"SELECT tid_a AS t1, tid_b AS t2 FROM {views.texts}").createOrReplaceTempView(
        views.candidates
    )
    jaccard = jaccard_sql("spark", views.candidates, views.shingles)
    checkpoint_view(session.sql(jaccard), views.jaccard)
    kept = session.sql(_KEPT_SQL.format(v=views), args={"threshold": float(params["threshold"])})
    checkpoint_view(kept, names.pairs)
    tf = session.sql(f"SELECT account_id, concat('text:', text) AS key FROM {views.posts}")
    names.tf = views.tf
    cache_view(tf, views.tf, cached)


# Each post pair once, whichever bands found it, with both posts' texts.
_CANDIDATES_SQL = """
    WITH c AS (
        SELECT DISTINCT account_a, account_b, post_a, post_b, time_a, time_b, gap_s FROM {pairs}
    )
    SELECT c.*, pa.text AS text_a, pa.tid AS tid_a, pb.text AS text_b, pb.tid AS tid_b
    FROM c
    JOIN {v.posts} pa
        ON pa.account_id = c.account_a AND pa.post_id = c.post_a AND pa.time = c.time_a
    JOIN {v.posts} pb
        ON pb.account_id = c.account_b AND pb.post_id = c.post_b AND pb.time = c.time_b
"""
# Texts with one id are one text only if their strings are equal (an id collision is dropped).
_KEPT_SQL = """
    SELECT account_a, account_b, key, post_a, post_b, time_a, time_b, gap_s, jaccard FROM (
        SELECT c.account_a, c.account_b, c.text_a AS key, c.post_a, c.post_b, c.time_a,
               c.time_b, c.gap_s,
               CASE WHEN c.tid_a = c.tid_b THEN 1.0D ELSE j.jaccard END AS jaccard
        FROM {v.texts} c LEFT JOIN {v.jaccard} j ON j.t1 = c.tid_a AND j.t2 = c.tid_b
        WHERE c.tid_a <> c.tid_b OR c.text_a = c.text_b
    ) WHERE jaccard >= :threshold
"""
