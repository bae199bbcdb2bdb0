"""The attack (a few dozen accounts retweeting each other) and the counter-campaign.

Attack: the coordinated accounts post near-duplicate template texts with the attack hashtag and
retweet each other's posts within seconds; a few organic accounts join late. Counter: hundreds
of organic accounts post a few varied messages each, and retweet each other at human pace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import CELEBRITY, ORGANIC, RING
from .bodies import UNIFORMS, attack_body, counter_body
from .organic import Writers, _add_unique_retweets
from .plan import COORDINATION_WINDOW, DURATION, Plan
from .texts import TextBuilder
from .timeline import POST, QUOTE, RETWEET, Timeline, retweet_delays, weighted_pick
from .vocab import CANDIDATE, COUNTER_TAG

__all__ = ["Campaigns", "add_attack", "add_counter", "candidate_of"]

# A few "leaders" seed the posts the others amplify: a quarter of the attack posts, each
# retweeted by 6-15 attackers; the rest get 1-3 retweets. Mean retweets per original:
_LEADER_SHARE, _LEADER_RETWEETS, _OTHER_RETWEETS = 0.25, (6, 16), (1, 4)
_MEAN_RETWEETERS = _LEADER_SHARE * 10.5 + (1 - _LEADER_SHARE) * 2.0


@dataclass(frozen=True)
class Campaigns:
    """Rows and accounts of both campaigns, for the ground truth."""

    attack_originals: np.ndarray
    late_joiners: np.ndarray
    counter_participants: np.ndarray


def candidate_of(w: Writers) -> tuple[str, str]:
    """``(username, id)`` of the targeted candidate."""
    i = w.accounts.usernames.index(CANDIDATE["username"])
    return w.accounts.usernames[i], w.accounts.ids[i]


def add_attack(rng, plan: Plan, tl: Timeline, w: Writers) -> tuple[np.ndarray, np.ndarray]:
    """The coordinated push; returns (attack original rows, late joiner accounts)."""
    attackers = w.accounts.of_shape(RING)
    n = round(plan.attack_posts / (1 + _MEAN_RETWEETERS))
    times = np.sort(plan.attack_start + plan.attack_duration * rng.beta(1.3, 1.6, n))
    authors = _attack_authors(rng, attackers, n)
    u = rng.random((n, UNIFORMS))
    candidate = candidate_of(w)
    bodies = [attack_body(u[i], w.mentions, candidate) for i in range(n)]
    rows = tl.add(times, authors, POST, bodies=bodies)
    _mutual_retweets(rng, tl, rows, attackers)
    return rows, _late_joiners(rng, plan, tl, w, rows)


def _leaders(attackers: np.ndarray) -> np.ndarray:
    return attackers[: max(3, len(attackers) // 8)]


def _attack_authors(rng, attackers: np.ndarray, n: int) -> np.ndarray:
    """A quarter of the posts come from the leaders, the rest from the others."""
    leaders = _leaders(attackers)
    others = attackers[len(leaders) :]
    by_leader = rng.random(n) < _LEADER_SHARE
    other = weighted_pick(rng, others, rng.lognormal(0, 0.4, len(others)), n)
    return np.where(by_leader, rng.choice(leaders, n), other)


def _mutual_retweets(rng, tl: Timeline, rows: np.ndarray, attackers: np.ndarray) -> None:
    """Each attack post is retweeted by other attackers, 2 to 30 seconds later."""
    authors = tl.authors()[rows]
    keys = rng.random((len(rows), len(attackers)))
    keys[authors[:, None] == attackers[None, :]] = 2.0  # never retweet oneself
    ranked = np.argsort(keys, axis=1)
    by_leader = np.isin(authors, _leaders(attackers))
    k = np.where(by_leader, rng.integers(*_LEADER_RETWEETS, len(rows)),
                 rng.integers(*_OTHER_RETWEETS, len(rows)))  # fmt: skip
    pick = np.arange(attackers.size)[None, :] < k[:, None]
    retweeters = attackers[ranked[pick]]
    target = np.repeat(rows, k)
    delays = np.clip(rng.lognormal(np.log(7.0), 0.6, len(target)), 2.0, COORDINATION_WINDOW)
    tl.add(tl.times()[target] + delays, retweeters, RETWEET, target=target)


def _late_joiners(rng, plan: Plan, tl: Timeline, w: Writers, attack_rows) -> np.ndarray:
    """A few organic accounts retweet or imitate the attack, at human pace, later on."""
    organic = w.accounts.of_role(ORGANIC)
    joiners = rng.choice(organic, plan.late_joiners, replace=False)
    per = rng.integers(1, 5, len(joiners))
    authors = np.repeat(joiners, per)
    as_retweet = rng.random(len(authors)) < 0.6
    target = rng.choice(attack_rows[len(attack_rows) // 3 :], int(as_retweet.sum()))
    delays = retweet_delays(rng, len(target), median=900, sigma=1.0)
    _add_unique_retweets(tl, tl.times()[target] + delays, authors[as_retweet], target)
    own = authors[~as_retweet]
    times = plan.attack_start + rng.uniform(1800, 4 * 3600, len(own))
    u = rng.random((len(own), UNIFORMS))
    tl.add(times, own, POST, bodies=[attack_body(x, w.mentions, candidate_of(w)) for x in u])
    return joiners


def add_counter(rng, plan: Plan, tl: Timeline, w: Writers, attack_rows, joiners) -> np.ndarray:
    """The solidarity campaign; returns its participants (organic accounts)."""
    acc = w.accounts
    organic = np.setdiff1d(acc.of_role(ORGANIC), joiners)
    weights = acc.activity[organic] ** 0.5
    people = rng.choice(organic, plan.counter_accounts, replace=False, p=weights / weights.sum())
    per = rng.geometric(0.3, len(people))  # a few posts each, some people many
    authors = np.repeat(people, per)
    is_original = rng.random(len(authors)) < 0.4
    originals = _counter_originals(rng, plan, tl, w, authors[is_original])
    originals = np.concatenate([originals, _counter_voices(rng, plan, tl, w, people)])
    _counter_retweets(rng, tl, acc.followers, originals, authors[~is_original])
    _both_tags(rng, plan, tl, w, people, attack_rows)
    return people


def _counter_times(rng, plan: Plan, n: int) -> np.ndarray:
    """A rise then a slow decay over hours after the counter-campaign starts."""
    offsets = rng.gamma(1.3, 2.5 * 3600, n)
    return plan.counter_start + np.minimum(offsets, DURATION - plan.counter_start - 60)


def _counter_originals(rng, plan: Plan, tl: Timeline, w: Writers, authors) -> np.ndarray:
    u = rng.random((len(authors), UNIFORMS))
    lang = w.accounts.lang
    cand = candidate_of(w)
    bodies = [counter_body(u[i], lang[a], cand, w.short, False) for i, a in enumerate(authors)]
    return tl.add(_counter_times(rng, plan, len(authors)), authors, POST, bodies=bodies)


def _counter_voices(rng, plan: Plan, tl: Timeline, w: Writers, people) -> np.ndarray:
    """The candidate and two news accounts speak up; the candidate's thanks go viral."""
    acc = w.accounts
    cand_row = acc.usernames.index(CANDIDATE["username"])
    news = [i for i in acc.of_role(CELEBRITY) if i != cand_row][:2]
    thanks = (
        TextBuilder("fr")
        .words("Merci à toutes et à tous pour vos messages. Nous ne céderons rien.")
        .hashtag(COUNTER_TAG)
        .build()
    )
    u = rng.random((len(news), UNIFORMS))
    bodies = [thanks] + [counter_body(x, "fr", candidate_of(w), w.short, False) for x in u]
    times = plan.counter_start + np.array([3600.0, 600.0, 1500.0])[: len(bodies)]
    rows = tl.add(times, np.array([cand_row, *news]), POST, bodies=bodies)
    size = min(len(people), max(20, plan.cascade_size // 2))
    fans = rng.choice(people, size, replace=False)
    delays = retweet_delays(rng, size, median=150, sigma=1.2)
    _add_unique_retweets(tl, times[0] + delays, fans, np.full(size, rows[0]))
    return rows


def _counter_retweets(rng, tl: Timeline, followers, originals, retweeters) -> None:
    """Retweets of counter posts: popular authors more often, delays of minutes to hours."""
    weights = np.log1p(followers[tl.authors()[originals]]) + 1.0
    target = weighted_pick(rng, originals, weights, len(retweeters))
    times = tl.times()[target] + retweet_delays(rng, len(target), median=600, sigma=1.5)
    _add_unique_retweets(tl, times, retweeters, target)


def _both_tags(rng, plan: Plan, tl: Timeline, w: Writers, people, attack_rows) -> None:
    """A few counter posts quote an attack post and name both hashtags."""
    authors = rng.choice(people, plan.both_tags, replace=False)
    target = rng.choice(attack_rows, plan.both_tags)
    times = np.maximum(tl.times()[target], plan.counter_start) + rng.uniform(60, 3600, len(target))
    u = rng.random((len(authors), UNIFORMS))
    cand = candidate_of(w)
    bodies = [counter_body(x, "fr", cand, w.short, True) for x in u]
    tl.add(times, authors, QUOTE, target=target, bodies=bodies)
