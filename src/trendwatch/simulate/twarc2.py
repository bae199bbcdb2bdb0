"""Write rendered posts as twarc2 response pages: one JSON page per line, newest first.

Each page is what the X API v2 full-archive search returns with twarc2's expansions: at most
100 tweets in ``data``; ``includes.users`` with every author, referenced author and mentioned
account; ``includes.tweets`` with every referenced tweet; ``meta``; and the ``__twarc`` block.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import numpy as np
import orjson

from .accounts import Accounts
from .plan import DURATION, START
from .render import Rendered, iso_times
from .texts import tco
from .timeline import Posts
from .vocab import ATTACK_TAG, COUNTER_TAG

__all__ = ["write_pages", "PAGE_SIZE", "TWARC_VERSION"]

PAGE_SIZE = 100
TWARC_VERSION = "2.14.0"
_EXPANSIONS = (
    "author_id,in_reply_to_user_id,referenced_tweets.id,referenced_tweets.id.author_id,"
    "entities.mentions.username,attachments.poll_ids,attachments.media_keys,geo.place_id"
)
_TWEET_FIELDS = (
    "author_id,conversation_id,created_at,entities,id,in_reply_to_user_id,lang,public_metrics,"
    "text,possibly_sensitive,referenced_tweets,reply_settings,source,edit_history_tweet_ids"
)
_USER_FIELDS = "created_at,description,id,name,protected,public_metrics,url,username,verified"


def _search_url() -> str:
    query = f"lang:fr OR #{ATTACK_TAG} OR #{COUNTER_TAG}"
    params = {
        "expansions": _EXPANSIONS,
        "tweet.fields": _TWEET_FIELDS,
        "user.fields": _USER_FIELDS,
        "start_time": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": (START + timedelta(seconds=DURATION)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "query": query,
        "max_results": str(PAGE_SIZE),
    }
    args = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return "https://api.twitter.com/2/tweets/search/all?" + args


def user_objects(accounts: Accounts) -> list[dict]:
    """The v2 user object of every account (row ``i`` for account ``i``)."""
    created = iso_times(accounts.created)
    return [
        {
            "name": accounts.names[i],
            "verified": bool(accounts.verified[i]),
            "description": accounts.descriptions[i],
            "protected": False,
            "id": accounts.ids[i],
            "username": accounts.usernames[i],
            "profile_image_url": _avatar(accounts.ids[i]),
            "url": "",
            "created_at": created[i],
            "public_metrics": {
                "followers_count": int(accounts.followers[i]),
                "following_count": int(accounts.following[i]),
                "tweet_count": int(accounts.tweet_count[i]),
                "listed_count": int(accounts.followers[i] // 120),
            },
        }
        for i in range(len(accounts))
    ]


def _avatar(user_id: str) -> str:
    return f"https://pbs.twimg.com/profile_images/{user_id}/avatar_normal.jpg"


def write_pages(path: Path, posts: Posts, rendered: Rendered, accounts: Accounts) -> int:
    """Write all posts to ``path`` as twarc2 pages, newest first; return the number of pages."""
    users = user_objects(accounts)
    row_of_id = {uid: i for i, uid in enumerate(accounts.ids)}
    newest_first = rendered.order[::-1]
    pages = [newest_first[k : k + PAGE_SIZE] for k in range(0, len(newest_first), PAGE_SIZE)]
    url = _search_url()
    with open(path, "wb") as out:
        for number, rows in enumerate(pages):
            page = _page(rows, posts, rendered, users, row_of_id)
            page["meta"] = _meta(rows, rendered, number, last=number == len(pages) - 1)
            page["__twarc"] = {"url": url, "version": TWARC_VERSION, "retrieved_at": _at(number)}
            out.write(orjson.dumps(page) + b"\n")
    return len(pages)


def _page(rows: np.ndarray, posts: Posts, rendered: Rendered, users, row_of_id) -> dict:
    tweets = rendered.tweets
    referenced = [int(posts.target[r]) for r in rows if posts.target[r] >= 0]
    referenced = list(dict.fromkeys(referenced))
    people: dict[str, None] = {}
    for r in [*rows, *referenced]:
        tweet = tweets[r]
        people[tweet["author_id"]] = None
        for mention in tweet.get("entities", {}).get("mentions", ()):
            people[mention["id"]] = None
    includes = {"users": [users[row_of_id[uid]] for uid in people]}
    if referenced:
        includes["tweets"] = [tweets[r] for r in referenced]
    return {"data": [tweets[r] for r in rows], "includes": includes}


def _meta(rows: np.ndarray, rendered: Rendered, number: int, last: bool) -> dict:
    meta = {
        "newest_id": rendered.ids[rows[0]],
        "oldest_id": rendered.ids[rows[-1]],
        "result_count": len(rows),
    }
    if not last:
        meta["next_token"] = tco(number + 7).removeprefix("https://t.co/").lower() + "zq8o3"
    return meta


def _at(page_number: int) -> str:
    """Pages are fetched one after the other, shortly after the archive's end."""
    when = START + timedelta(seconds=DURATION + 600 + 2 * page_number)
    return when.isoformat()
