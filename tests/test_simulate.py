"""The simulator: deterministic, real twarc2 page structure, and a truth that matches the data."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime
from itertools import combinations

import orjson
import pytest
from click.testing import CliRunner

from tests.conftest import shared_path
from trendwatch.cli import cli
from trendwatch.errors import InputError, ParameterError
from trendwatch.simulate import SimulationTruth, load_truth, simulate
from trendwatch.simulate.texts import Body, TextBuilder, retweet_body
from trendwatch.text import normalize_hashtag

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")


def _pages(folder) -> list[dict]:
    return [orjson.loads(line) for line in (folder / "tweets.jsonl").read_bytes().splitlines()]


def _tweets(pages) -> list[dict]:
    return [t for page in pages for t in page["data"]]


def _when(tweet_or_user) -> float:
    return datetime.fromisoformat(tweet_or_user["created_at"].replace("Z", "+00:00")).timestamp()


def _tags(tweet) -> set[str]:
    return {normalize_hashtag(h["tag"]) for h in tweet.get("entities", {}).get("hashtags", ())}


def _ref(tweet) -> tuple[str, str] | None:
    refs = tweet.get("referenced_tweets")
    return (refs[0]["type"], refs[0]["id"]) if refs else None


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    started = time.process_time()  # CPU time: robust to other jobs on the machine
    truth = simulate(folder, seed=3, scale=0.2)
    return folder, truth, _pages(folder), time.process_time() - started


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    folder = tmp_path_factory.mktemp("full")
    started = time.process_time()
    truth = simulate(folder, seed=7, scale=1.0)
    return folder, truth, _pages(folder), time.process_time() - started


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        simulate(tmp_path / name, seed=seed, scale=0.05)
    files = ("tweets.jsonl", "truth.json")
    read = lambda name, f: (tmp_path / name / f).read_bytes()  # noqa: E731
    assert all(read("a", f) == read("b", f) for f in files)
    assert all(read("a", f) != read("c", f) for f in files)


# --- page structure ---------------------------------------------------------------------------


def test_pages_have_the_twarc2_top_level_structure(small):
    _, _, pages, _ = small
    real = orjson.loads(
        shared_path("twitter-v2-twarc", "brexit.jsonl").read_bytes().splitlines()[0]
    )
    for page in pages:
        assert set(page) == set(real)
        assert set(page["__twarc"]) == set(real["__twarc"])
        assert page["__twarc"]["url"].startswith("https://api.twitter.com/2/tweets/search/")
        assert {"users"} <= set(page["includes"]) <= {"users", "tweets"}


def test_tweet_and_user_fields_are_fields_of_real_v2_payloads(small):
    _, _, pages, _ = small
    folder = shared_path("twitter-v2-twarc")
    real_tweet_keys, real_user_keys = set(), set()
    for name in ("brexit.jsonl", "entities_test.jsonl", "edited.jsonl"):
        for page in _pages_of(folder / name):
            real_tweet_keys.update(k for t in page["data"] for k in t)
            real_user_keys.update(k for u in page.get("includes", {}).get("users", ()) for k in u)
    for page in pages:
        for tweet in page["data"] + page["includes"].get("tweets", []):
            assert set(tweet) <= real_tweet_keys, set(tweet) - real_tweet_keys
        for user in page["includes"]["users"]:
            assert set(user) <= real_user_keys, set(user) - real_user_keys


def _pages_of(path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_every_reference_and_author_is_in_the_page_includes(small):
    _, _, pages, _ = small
    for page in pages:
        included = {t["id"]: t for t in page["includes"].get("tweets", [])}
        users = {u["id"] for u in page["includes"]["users"]}
        for tweet in page["data"]:
            assert tweet["author_id"] in users
            for ref in tweet.get("referenced_tweets", []):
                assert ref["id"] in included
                assert included[ref["id"]]["author_id"] in users
            if "in_reply_to_user_id" in tweet:
                assert tweet["in_reply_to_user_id"] in users
            for mention in tweet.get("entities", {}).get("mentions", []):
                assert mention["id"] in users


def test_pages_hold_at_most_100_unique_tweets_newest_first_with_meta(small):
    _, truth, pages, _ = small
    tweets = _tweets(pages)
    assert len({t["id"] for t in tweets}) == len(tweets) == truth.posts
    for number, page in enumerate(pages):
        data, meta = page["data"], page["meta"]
        assert 1 <= len(data) <= 100
        assert meta["result_count"] == len(data)
        assert (meta["newest_id"], meta["oldest_id"]) == (data[0]["id"], data[-1]["id"])
        assert ("next_token" in meta) == (number < len(pages) - 1)
    times = [_when(t) for t in tweets]
    assert times == sorted(times, reverse=True)
    # snowflake ids: sorted like times
    assert [int(t["id"]) for t in tweets] == sorted((int(t["id"]) for t in tweets), reverse=True)


def test_times_are_iso_with_milliseconds_and_z(small):
    _, _, pages, _ = small
    for page in pages:
        for item in page["data"] + page["includes"]["users"]:
            assert ISO_Z.match(item["created_at"]), item["created_at"]


def test_entity_offsets_point_at_the_entity_text(small):
    _, _, pages, _ = small
    checked = Counter()
    for tweet in _tweets(pages):
        text, entities = tweet["text"], tweet.get("entities", {})
        for h in entities.get("hashtags", []):
            assert text[h["start"] : h["end"]] == "#" + h["tag"]
            checked["hashtags"] += 1
        for m in entities.get("mentions", []):
            assert text[m["start"] : m["end"]] == "@" + m["username"]
            checked["mentions"] += 1
        for u in entities.get("urls", []):
            assert text[u["start"] : u["end"]] == u["url"]
            checked["urls"] += 1
    assert min(checked.values()) > 100


def test_retweets_quotes_and_replies_look_like_the_api(small):
    _, _, pages, _ = small
    kinds = Counter()
    for page in pages:
        included = {t["id"]: t for t in page["includes"].get("tweets", [])}
        users = {u["id"]: u["username"] for u in page["includes"]["users"]}
        for tweet in page["data"]:
            ref = _ref(tweet)
            kinds[ref[0] if ref else "post"] += 1
            if ref is None:
                continue
            target = included[ref[1]]
            author = users[target["author_id"]]
            if ref[0] == "retweeted":
                assert tweet["text"].startswith(f"RT @{author}: ")
                assert len(tweet["text"]) <= 140
                assert tweet["public_metrics"] == target["public_metrics"]
            elif ref[0] == "replied_to":
                assert tweet["text"].startswith(f"@{author} ")
                assert tweet["conversation_id"] == target["conversation_id"]
            else:
                expanded = tweet["entities"]["urls"][-1]["expanded_url"]
                assert expanded == f"https://twitter.com/{author}/status/{target['id']}"
    assert set(kinds) == {"post", "retweeted", "replied_to", "quoted"}
    assert kinds["retweeted"] > kinds["post"] > kinds["replied_to"] > kinds["quoted"]


def test_some_news_links_carry_tracking_parameters(small):
    _, _, pages, _ = small
    urls = [
        u["expanded_url"] for t in _tweets(pages) for u in t.get("entities", {}).get("urls", [])
    ]
    assert any("utm_source=" in u for u in urls)
    assert any("utm_" not in u and "twitter.com" not in u for u in urls)


# --- the truth matches the data ---------------------------------------------------------------


def test_truth_file_round_trips(small):
    folder, truth, _, _ = small
    assert load_truth(folder / "truth.json") == truth
    assert load_truth(folder) == truth
    assert SimulationTruth.from_dict(orjson.loads(orjson.dumps(truth.to_dict()))) == truth


def test_load_truth_of_a_wrong_file_is_an_input_error(tmp_path):
    (tmp_path / "truth.json").write_text('{"seed": 1}')
    with pytest.raises(InputError, match="not a simulation truth file"):
        load_truth(tmp_path)


def test_hashtag_counts_and_totals_are_those_of_the_file(small):
    _, truth, pages, _ = small
    tweets = _tweets(pages)
    counts = Counter(tag for t in tweets for tag in _tags(t))
    assert truth.hashtag_counts == dict(counts)
    assert truth.attack_posts == counts[truth.attack_hashtag]
    assert truth.counter_posts == counts[truth.counter_hashtag]
    both = [t for t in tweets if {truth.attack_hashtag, truth.counter_hashtag} <= _tags(t)]
    assert truth.both_hashtags_posts == len(both) > 0
    authors = {t["author_id"] for t in tweets}
    mentioned = {m["id"] for t in tweets for m in t.get("entities", {}).get("mentions", [])}
    assert truth.accounts == len(authors | mentioned)
    assert set(truth.organic_accounts) == (authors | mentioned) - set(truth.coordinated_accounts)


def _attack_facts(truth: SimulationTruth, pages) -> dict:
    tweets = _tweets(pages)
    attack = [t for t in tweets if truth.attack_hashtag in _tags(t)]
    counter = [t for t in tweets if truth.counter_hashtag in _tags(t)]
    coordinated = set(truth.attack_accounts)
    start = truth.attack_start.timestamp()
    return {
        "attack": attack,
        "by_coordinated": sum(t["author_id"] in coordinated for t in attack),
        "in_two_hours": sum(start <= _when(t) < start + 7200 for t in attack),
        "attack_accounts": {t["author_id"] for t in attack},
        "counter_accounts": {t["author_id"] for t in counter},
    }


@pytest.mark.parametrize("which", ["small", "full"])
def test_coordinated_accounts_write_the_attack_and_the_counter_is_broader(which, request):
    _, truth, pages, _ = request.getfixturevalue(which)
    facts = _attack_facts(truth, pages)
    assert facts["by_coordinated"] >= 0.9 * len(facts["attack"])
    assert set(truth.attack_accounts) <= facts["attack_accounts"]
    assert set(truth.late_joiners) <= facts["attack_accounts"]
    assert len(facts["counter_accounts"]) >= 5 * len(facts["attack_accounts"])
    assert set(truth.counter_accounts) == facts["counter_accounts"]
    assert not facts["counter_accounts"] & set(truth.coordinated_accounts)
    assert truth.attack_start < truth.counter_start
    assert 3600 <= (truth.counter_start - truth.attack_start).total_seconds() <= 3 * 3600 + 600


def test_full_scale_attack_reaches_2000_posts_in_under_two_hours(full):
    _, truth, pages, seconds = full
    facts = _attack_facts(truth, pages)
    assert facts["in_two_hours"] >= 2000
    assert (truth.attack_end - truth.attack_start).total_seconds() < 7200
    assert 25_000 <= truth.posts <= 40_000
    assert truth.counter_posts >= 0.7 * truth.attack_posts  # comparable volume
    assert seconds < 10  # about 3 s of CPU on a laptop


def test_most_attackers_are_new_accounts_with_few_followers(full):
    _, truth, pages, _ = full
    users = {u["id"]: u for page in pages for u in page["includes"]["users"]}
    attackers = [users[a] for a in truth.attack_accounts]
    limit = truth.new_account_days * 86400
    new = [u for u in attackers if truth.attack_start.timestamp() - _when(u) <= limit]
    assert len(new) >= 0.7 * len(attackers)
    assert len(new) < len(attackers)  # a few sleepers
    organic = [users[a] for a in truth.organic_accounts]
    old = [u for u in organic if truth.attack_start.timestamp() - _when(u) > 365 * 86400]
    assert len(old) >= 0.8 * len(organic)
    median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    followers = lambda us: median([u["public_metrics"]["followers_count"] for u in us])  # noqa: E731
    assert followers(new) < followers(organic)


def _retweets(pages) -> list[tuple[str, str, float]]:
    """(retweeter, retweeted post id, time) of every retweet."""
    return [(t["author_id"], _ref(t)[1], _when(t)) for t in _tweets(pages)
            if _ref(t) and _ref(t)[0] == "retweeted"]  # fmt: skip


def _co_retweet_pairs(pages, window: float) -> Counter:
    """Pairs of accounts retweeting the same post within ``window`` seconds, with counts."""
    by_post: dict[str, list] = {}
    for account, post, when in _retweets(pages):
        by_post.setdefault(post, []).append((when, account))
    pairs = Counter()
    for actions in by_post.values():
        for (t1, a1), (t2, a2) in combinations(sorted(actions), 2):
            if t2 - t1 <= window and a1 != a2:
                pairs[tuple(sorted((a1, a2)))] += 1
    return pairs


def test_attackers_retweet_each_other_within_the_window_and_organic_cascades_are_a_trap(full):
    _, truth, pages, _ = full
    coordinated = set(truth.attack_accounts)
    tweets = {t["id"]: t for t in _tweets(pages)}
    by_attackers = [
        when - _when(tweets[post])
        for account, post, when in _retweets(pages)
        if account in coordinated and truth.attack_hashtag in _tags(tweets[post])
    ]
    assert len(by_attackers) > 1000
    assert max(by_attackers) <= truth.coordination_window
    pairs = _co_retweet_pairs(pages, 60)
    special = set(truth.coordinated_accounts).union(*truth.lookalikes.values())
    organic_pairs = [n for pair, n in pairs.items() if not set(pair) & special]
    coordinated_pairs = [n for pair, n in pairs.items() if set(pair) <= coordinated]
    assert len(organic_pairs) > 20 * len(coordinated_pairs)  # one co-retweet proves nothing
    assert sorted(coordinated_pairs)[len(coordinated_pairs) // 2] > max(organic_pairs)


def test_organic_power_users_post_as_much_as_attackers(full):
    _, truth, pages, _ = full
    per_author = Counter(t["author_id"] for t in _tweets(pages))
    coordinated = set(truth.attack_accounts)
    attacker_median = sorted(per_author[a] for a in coordinated)[len(coordinated) // 2]
    busy_organic = [
        a for a, n in per_author.items() if n >= attacker_median and a not in coordinated
    ]
    assert len(busy_organic) >= 10


def test_attack_texts_are_near_duplicates_and_counter_texts_are_varied(full):
    _, truth, pages, _ = full
    originals = [t for t in _tweets(pages) if not _ref(t)]
    coordinated = set(truth.attack_accounts)
    attack = [t["text"] for t in originals if t["author_id"] in coordinated
              and truth.attack_hashtag in _tags(t)]  # fmt: skip
    counter = [t["text"] for t in originals if truth.counter_hashtag in _tags(t)]
    skeleton = lambda text: re.sub(r"@\w+|#\w+|[^\w\s]", "", text).split()[:4]  # noqa: E731
    assert len({tuple(skeleton(x)) for x in attack}) < 0.1 * len(attack)
    assert len(set(counter)) > 0.5 * len(counter)


def test_small_scale_is_proportional_and_quick(small, full):
    _, truth, _, seconds = small
    ratio = truth.posts / full[1].posts
    assert 0.12 <= ratio <= 0.35
    assert seconds < 2.5


def test_parameters_are_checked(tmp_path):
    with pytest.raises(ParameterError, match="scale"):
        simulate(tmp_path, scale=0)
    with pytest.raises(ParameterError, match="seed"):
        simulate(tmp_path, seed=-1)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        simulate(tmp_path / "file", scale=0.05)


# --- bodies: hand-worked offsets --------------------------------------------------------------


def test_text_builder_offsets_by_hand():
    body = TextBuilder("fr").words("Vu").hashtag("Tag").glue(",").mention("bob", "9").build()
    assert body.text == "Vu #Tag, @bob"
    assert body.hashtags == ((3, 7, "Tag"),)
    assert body.mentions == ((9, 13, "bob", "9"),)


def test_reply_prefix_and_quote_link_shift_entities_by_hand():
    body = Body("ok #A", "fr", hashtags=((3, 5, "A"),))
    reply = body.with_reply_prefix("al", "1")
    assert reply.text == "@al ok #A"
    assert reply.mentions == ((0, 3, "al", "1"),)
    assert reply.hashtags == ((7, 9, "A"),)
    quote = body.with_link("https://t.co/x", "https://twitter.com/al/status/5", "twitter.com/al")
    assert quote.text == "ok #A https://t.co/x"
    assert quote.urls[0][:2] == (6, 20)


def test_retweet_body_cuts_at_140_and_drops_cut_entities():
    # 8 ("RT @al: ") + 128 + 6 (" #Late") = 142 > 140: keep 139 characters, then '…'
    body = Body("x" * 128 + " #Late", "fr", hashtags=((129, 134, "Late"),))
    rt = retweet_body(body, "al", "1")
    assert rt.text == "RT @al: " + "x" * 128 + " #L…"
    assert len(rt.text) == 140
    assert rt.hashtags == ()
    assert rt.mentions == ((3, 6, "al", "1"),)
    short = retweet_body(Body("hi #A", "fr", hashtags=((3, 5, "A"),)), "al", "1")
    assert short.text == "RT @al: hi #A" and short.hashtags == ((11, 13, "A"),)


# --- CLI --------------------------------------------------------------------------------------


def test_cli_writes_the_archive_and_says_what_it_wrote(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        cli, ["simulate", "--out", str(out), "--seed", "2", "--scale", "0.05"]
    )
    assert result.exit_code == 0, result.output
    truth = load_truth(out)
    assert str(out / "tweets.jsonl") in result.output
    assert str(out / "truth.json") in result.output
    assert f"#{truth.attack_hashtag}  ({truth.attack_posts:,} posts)" in result.output
    assert f"#{truth.counter_hashtag}  ({truth.counter_posts:,} posts)" in result.output
    assert f"posts                 {truth.posts:,}" in result.output


def test_cli_json_and_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["simulate", "--out", str(tmp_path), "--scale", "0.05", "--json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.output)
    truth = load_truth(tmp_path)
    assert data["posts"] == truth.posts
    assert data["coordinated_accounts"] == len(truth.coordinated_accounts)
    bad = runner.invoke(cli, ["simulate", "--out", str(tmp_path), "--scale", "0"])
    assert bad.exit_code == 1
    assert "scale must be between" in bad.output


# --- integration with the X v2 reader ---------------------------------------------------------


def test_the_archive_ingests_completely(tmp_path, store):
    pytest.importorskip("trendwatch.formats.x_v2", reason="the X v2 reader is not written yet")
    from trendwatch.ingest import ingest

    truth = simulate(tmp_path, seed=11, scale=0.05)
    report = ingest(sorted(tmp_path.glob("*.jsonl")), db=store)
    assert report.totals["read"] == report.totals["added"] == truth.posts
    assert report.totals["quarantined"] == report.totals["skipped"] == 0
    count = "select count(*) from posts where collected and list_contains(hashtags, ?)"
    for tag, expected in ((truth.attack_hashtag, truth.attack_posts),
                          (truth.counter_hashtag, truth.counter_posts)):  # fmt: skip
        assert store.con.execute(count, [tag]).fetchone()[0] == expected
    accounts = {row[0] for row in store.con.execute("select account_id from accounts").fetchall()}
    assert len(accounts) == truth.accounts
    assert set(truth.coordinated_accounts) <= accounts
