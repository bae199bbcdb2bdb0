"""A store with known handles, ids and names planted in every place they can be written:
authors, profiles, references, mentions, texts, URLs, Bluesky URIs, runs and their rows."""

from __future__ import annotations

import itertools

from tests.conftest import add_posts, at, background_reposts, make_post
from trendwatch.analysis.coordination.groups import groups
from trendwatch.model import Account, Post, accounts_to_arrow

TRIO = {"770077007701": "PlantedAnna", "770077007702": "PlantedBenoit",
        "770077007703": "PlantedChloe"}  # fmt: skip
ORIGINAL = ("990099009900", "PlantedOrig")
ZOE_DID = "did:plc:plantedzoe0000000000000a"
ZOE_HANDLE = "plantedzoe.bsky.social"
ZOE_POST = f"at://{ZOE_DID}/app.bsky.feed.post/3kplantedzoe"
NAMES = {"770077007701": "Anna Plantedname", "770077007702": "Benoit Plantedname"}


def original_id(i: int) -> str:
    return f"5500550055{i}"


def repost_id(account: str, i: int) -> str:
    return f"66006600{account[-1]}{i}"


PLANTED = [
    *TRIO, *TRIO.values(), *ORIGINAL, ZOE_DID, ZOE_HANDLE, "3kplantedzoe", *NAMES.values(),
    *(original_id(i) for i in range(6)),
    *(repost_id(a, i) for a in TRIO for i in range(6)),
]  # fmt: skip
"""Every planted value: no byte of any may remain in a pseudonymised package."""


def planted_store(store, *, with_groups: bool = True):
    """Fill ``store``; with a groups run over #tag (the trio is its one group)."""
    oid, ohandle = ORIGINAL
    posts = [
        make_post(original_id(i), oid, at(5 * i - 1), text=f"original {i} #tag",
                  hashtags=("tag",), author_handle=ohandle)
        for i in range(6)
    ]  # fmt: skip
    for i, (account, secs) in itertools.product(range(6), zip(TRIO, (0, 1, 2), strict=True)):
        posts.append(
            make_post(
                repost_id(account, i), account, at(5 * i, secs), "repost",
                ref_post_id=original_id(i), ref_author_id=oid, ref_author_handle=ohandle,
                conversation_id=original_id(i), author_handle=TRIO[account],
                text=f"RT @{ohandle}: original {i} https://x.com/{ohandle}/status/{original_id(i)}",
                mentions=(ohandle.lower(),), hashtags=("tag",),
                urls=(f"twitter.com/{ohandle}/status/{original_id(i)}",),
            )
        )  # fmt: skip
    posts.append(
        Post("bluesky", ZOE_POST, ZOE_DID, at(3), "reply", text="@PlantedAnna see "
             f"https://bsky.app/profile/{ZOE_HANDLE}/post/3kplantedzoe", hashtags=("tag",),
             reply_to_post_id=repost_id("770077007701", 0), reply_to_author_id="770077007701",
             mentions=("plantedanna",), author_handle=ZOE_HANDLE)
    )  # fmt: skip
    add_posts(store, posts + background_reposts())
    accounts = [
        Account("x", a, handle=h, name=NAMES.get(a), description=f"bio, follow @{ohandle}",
                created_at=at(-60 * 24 * 30))
        for a, h in TRIO.items()
    ] + [Account("bluesky", ZOE_DID, handle=ZOE_HANDLE, name="Zoe")]  # fmt: skip
    store.write_batch(accounts=accounts_to_arrow(accounts))
    return groups(store, hashtags=["tag"]) if with_groups else None
