"""Near-duplicate clusters: co-similar's links turned into keys, so that they can be tested.

co-similar links *post pairs* (MinHash candidates verified by their Jaccard similarity,
:mod:`.minhash`); two posts of a pair share no key, and the significance test
(:mod:`.significance`) counts events on shared keys. So every linked post gets the key of its
**cluster**: the connected component of the near-duplicate links (single linkage: a text
edited a little at each copy stays one cluster), named after its smallest post id. A post in
no link keeps its own text as its key, so identical texts still share one. The test then
treats a cluster like any key: a cell is a cluster within a time bin.

>>> import pyarrow as pa
>>> ev = pa.table({"post_a": ["1", "2", "7"], "post_b": ["2", "3", "8"]})
>>> sorted(zip(*cluster_keys(ev).to_pydict().values()))
[('1', 'near:1'), ('2', 'near:1'), ('3', 'near:1'), ('7', 'near:7'), ('8', 'near:7')]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["cluster_keys", "with_cluster_keys", "evidence_with_cluster_keys", "PREFIX"]

PREFIX = "near:"
"""Cluster keys start with it (no text key of the method does: they are normalised texts)."""


def cluster_keys(evidence: pa.Table) -> pa.Table:
    """``post_id, key``: the cluster key of every post of ``evidence`` (module docs)."""
    a = evidence["post_a"].to_numpy(zero_copy_only=False).astype(str)
    b = evidence["post_b"].to_numpy(zero_copy_only=False).astype(str)
    codes, posts = pd.factorize(np.concatenate([a, b]))
    n = len(posts)
    links = coo_matrix((np.ones(len(a)), (codes[: len(a)], codes[len(a) :])), shape=(n, n))
    _, label = connected_components(links, directed=False)
    first = pd.Series(posts).groupby(label).transform("min").to_numpy(dtype=str)
    return pa.table({"post_id": pa.array(posts.astype(str)), "key": pa.array(PREFIX + first)})


def with_cluster_keys(actions: pa.Table, clusters: pa.Table) -> pa.Table:
    """``actions`` (with ``post_id``) keyed by their post's cluster where it has one."""
    frame = actions.to_pandas().merge(
        clusters.to_pandas().rename(columns={"key": "cluster"}), on="post_id", how="left"
    )
    frame["key"] = frame["cluster"].fillna(frame["key"])
    return pa.Table.from_pandas(frame.drop(columns="cluster"), preserve_index=False)


def evidence_with_cluster_keys(evidence: pa.Table, clusters: pa.Table) -> pa.Table:
    """``evidence`` keyed by the cluster of its posts (both posts of a row share it)."""
    lookup = dict(zip(clusters["post_id"].to_pylist(), clusters["key"].to_pylist(), strict=True))
    keys = [lookup[p] for p in evidence["post_a"].to_pylist()]
    index = evidence.schema.get_field_index("key")
    return evidence.set_column(index, "key", pa.array(keys, pa.string()))
