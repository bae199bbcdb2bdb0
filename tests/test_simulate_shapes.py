"""The simulator's planted networks and look-alikes are what their docs say, in the written data."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import orjson
import pytest

from trendwatch.simulate import simulate
from trendwatch.simulate.lookalikes import DEBATE_DURATION, DEBATE_START, DEBATE_TAG
from trendwatch.simulate.networks import FLOOD_WINDOW, LINK_WINDOW, RAID_WINDOW
from trendwatch.simulate.plan import START
from trendwatch.text import normalize_hashtag, normalize_url


@pytest.fixture(scope="module", params=[3, 8])
def sim(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"shapes{request.param}")
    truth = simulate(folder, seed=request.param, scale=0.5)
    pages = [orjson.loads(line) for line in (folder / "tweets.jsonl").read_bytes().splitlines()]
    tweets = [t for page in pages for t in page["data"]]
    users = {u["id"]: u for page in pages for u in page["includes"]["users"]}
    return truth, tweets, users


def _when(item) -> float:
    return datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")).timestamp()


def _tags(tweet) -> frozenset[str]:
    return frozenset(
        normalize_hashtag(h["tag"]) for h in tweet.get("entities", {}).get("hashtags", ())
    )


def _ref(tweet):
    refs = tweet.get("referenced_tweets")
    return (refs[0]["type"], refs[0]["id"]) if refs else None


def test_shapes_are_disjoint_and_make_the_coordinated_accounts(sim):
    truth, _, _ = sim
    members = [set(accounts) for accounts in truth.shapes.values()]
    assert set(truth.shapes) == {"retweet ring", "link network", "hashtag flood", "reply raid"}
    assert sum(map(len, members)) == len(set().union(*members))
    assert set().union(*members) == set(truth.coordinated_accounts)
    assert set(truth.shapes["retweet ring"]) == set(truth.attack_accounts)
    for accounts in truth.lookalikes.values():
        assert not set(accounts) & set(truth.coordinated_accounts)
        assert set(accounts) <= set(truth.organic_accounts)


def _link_posts(truth, tweets) -> dict[str, list]:
    """The link network's posts by article (the canonical URL of the most resolved link)."""
    network = set(truth.shapes["link network"])
    by_article = defaultdict(list)
    for tweet in tweets:
        if tweet["author_id"] in network and not _ref(tweet):
            for url in tweet.get("entities", {}).get("urls", ()):
                resolved = url.get("unwound_url") or url["expanded_url"]
                by_article[normalize_url(resolved)].append(tweet)
    return by_article


def test_link_network_posts_each_article_within_thirty_seconds_through_varied_links(sim):
    truth, tweets, _ = sim
    articles = _link_posts(truth, tweets)
    events = [posts for posts in articles.values() if len(posts) >= 3]
    assert len(events) >= 20
    for posts in events:
        times = [_when(t) for t in posts]
        assert max(times) - min(times) <= LINK_WINDOW
    urls = [u for posts in events for t in posts for u in t["entities"]["urls"]]
    shortened = [u for u in urls if "unwound_url" in u]
    assert 0.15 * len(urls) <= len(shortened) <= 0.35 * len(urls)
    assert all(normalize_url(u["expanded_url"]) != normalize_url(u["unwound_url"])
               for u in shortened)  # fmt: skip
    raw = {u["expanded_url"] for u in urls if "unwound_url" not in u}
    assert sum("utm_" in url for url in raw) >= 0.3 * len(raw)
    assert len(raw) > 3 * len(events)  # the same article behind many different links


def test_hashtag_flood_waves_carry_the_same_tags_on_original_texts(sim):
    truth, tweets, _ = sim
    flood, tags = set(truth.shapes["hashtag flood"]), set(truth.flood_hashtags)
    posts = [t for t in tweets if t["author_id"] in flood and _tags(t) & tags]
    assert posts and all(_ref(t) is None for t in posts)
    waves = _waves(sorted((_when(t), _tags(t) & tags) for t in posts))
    assert len(waves) >= 8
    for wave in waves:
        assert max(w for w, _ in wave) - min(w for w, _ in wave) <= FLOOD_WINDOW
        assert len({tag_set for _, tag_set in wave}) == 1  # every post: the wave's tags
        assert 3 <= len(wave[0][1]) <= 5
    assert len({t["text"] for t in posts}) > 0.5 * len(posts)  # texts of their own


def _waves(timed: list) -> list[list]:
    """Posts cut into waves where more than an hour passes without one."""
    waves = [[timed[0]]]
    for item in timed[1:]:
        if item[0] - waves[-1][-1][0] > 3600:
            waves.append([])
        waves[-1].append(item)
    return waves


def test_reply_raid_answers_the_targets_posts_within_two_minutes(sim):
    truth, tweets, _ = sim
    raiders, target = set(truth.shapes["reply raid"]), truth.raid_target
    by_id = {t["id"]: t for t in tweets}
    replies = [t for t in tweets if t["author_id"] in raiders
               and t.get("in_reply_to_user_id") == target]  # fmt: skip
    assert len(replies) >= 5 * len(raiders)
    for reply in replies:
        original = by_id[_ref(reply)[1]]
        assert 0 < _when(reply) - _when(original) <= RAID_WINDOW
    targeted = {_ref(r)[1] for r in replies}
    organic = [t for t in tweets if _ref(t) and _ref(t)[1] in targeted
               and t["author_id"] not in raiders]  # fmt: skip
    assert organic  # ordinary people answer the same posts, later


def test_activist_core_is_old_and_retweets_itself_within_minutes(sim):
    truth, tweets, users = sim
    core = set(truth.lookalikes["activist core"])
    assert core <= set(truth.counter_accounts)
    for account in core:
        assert truth.attack_start.timestamp() - _when(users[account]) > 365 * 86400
    by_id = {t["id"]: t for t in tweets}
    retweets = [
        t for t in tweets
        if t["author_id"] in core and _ref(t) and _ref(t)[0] == "retweeted"
        and by_id[_ref(t)[1]]["author_id"] in core
    ]  # fmt: skip
    assert len(retweets) >= 2 * len(core)
    delays = sorted(_when(t) - _when(by_id[_ref(t)[1]]) for t in retweets)
    assert delays[len(delays) // 2] <= 120


def test_news_bots_post_the_same_headline_and_link_when_they_poll(sim):
    truth, tweets, users = sim
    bots = set(truth.lookalikes["news bots"])
    posts = [t for t in tweets if t["author_id"] in bots]
    assert all(t["source"] == "IFTTT" for t in posts)
    by_link = defaultdict(set)
    for tweet in posts:
        by_link[
            (tweet["text"].rsplit(" ", 1)[0], tweet["entities"]["urls"][0]["expanded_url"])
        ].add(tweet["author_id"])
    shared = [authors for authors in by_link.values() if len(authors) >= 2]
    assert len(shared) >= 20
    profiles = [(users[b]["description"] + users[b]["name"]).lower() for b in bots]
    assert all("bot" in text or "automati" in text for text in profiles)


def test_live_debate_crowd_comments_within_the_debate(sim):
    truth, tweets, _ = sim
    crowd = set(truth.lookalikes["live debate"])
    tag = normalize_hashtag(DEBATE_TAG)
    start = START.timestamp() + DEBATE_START
    posts = [t for t in tweets if t["author_id"] in crowd and tag in _tags(t)
             and start <= _when(t) <= start + DEBATE_DURATION]  # fmt: skip
    assert len(posts) >= 3 * len(crowd)
    assert len({t["author_id"] for t in posts}) == len(crowd)
