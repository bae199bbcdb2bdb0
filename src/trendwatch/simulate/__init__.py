"""Synthetic archives with ground truth: an attack hashtag, its counter-campaign, and organic life.

:func:`simulate` writes two days of French-language X activity as twarc2 pages (the format of
``twarc2 search``), plus ``truth.json``: which accounts are coordinated, when the campaigns
start, and how many posts each hashtag got. It is the demo data and the oracle of the tests.

What is in it, at ``scale=1`` (about 30,000 posts; sizes scale linearly, with floors):

* organic background: ~4,000 mostly old accounts with heavy-tailed activity and followers, a
  daily rhythm (UTC+1), topical hashtags, replies, quotes, news links (some with ``utm_``
  tracking), mostly French with some English and Spanish;
* six organic cascades: a celebrity's post retweeted by hundreds within minutes (the trap for
  naive co-retweet methods);
* the attack: 40 accounts, mostly created in the last 30 days, push a hashtag to ~2,300 posts in
  under two hours with near-duplicate template texts and mutual retweets 2-30 s apart; a few
  organic accounts join late;
* the counter-campaign, 1-3 h later: hundreds of organic accounts posting a few varied messages
  each, retweeting at human pace; a few posts name both hashtags;
* three more planted networks whose members act once per event (:mod:`.networks`): a link
  network posting the same fringe articles within 30 s (trackers and shorteners vary the
  links), a hashtag flood (the same 3-5 hashtags on original texts in shared 5-minute waves),
  and a reply raid on one account's posts;
* legitimate look-alikes (:mod:`.lookalikes`): an activist core inside the counter-campaign,
  news bots that post the same headlines and links when they poll the same feeds, and a
  crowd live-commenting a televised debate with its hashtag.

The truth names every planted network (``shapes``) and every look-alike (``lookalikes``).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed gives byte-identical
files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from ..errors import InputError
from .accounts import make_accounts
from .bodies import Shortener
from .campaigns import add_attack, add_counter
from .lookalikes import add_activist_core, add_live_debate, add_news_bots
from .networks import add_hashtag_flood, add_link_network, add_reply_raid
from .organic import Writers, add_organic
from .plan import check_parameters, make_plan
from .render import render
from .timeline import Timeline
from .truth import Extras, SimulationTruth, load_truth, make_truth
from .twarc2 import write_pages

__all__ = ["simulate", "SimulationTruth", "load_truth", "ARCHIVE_NAME", "TRUTH_NAME"]

ARCHIVE_NAME = "tweets.jsonl"
TRUTH_NAME = "truth.json"


def simulate(out: str | Path, *, seed: int = 0, scale: float = 1.0) -> SimulationTruth:
    """Write a synthetic twarc2 archive and its ground truth into the folder ``out``.

    Parameters
    ----------
    out
        Folder to write ``tweets.jsonl`` and ``truth.json`` into (created if missing).
    seed
        Random seed; the same seed and scale give byte-identical files.
    scale
        Size factor (0.01-20): 1.0 is about 30,000 posts over two days.

    Returns
    -------
    SimulationTruth
        What was written, also saved as ``out/truth.json``.

    Examples
    --------
    >>> import tempfile
    >>> truth = simulate(tempfile.mkdtemp(), seed=1, scale=0.05)
    >>> truth.attack_hashtag, len(truth.shapes["retweet ring"])
    ('remigrationdorsani', 20)
    """
    check_parameters(seed, scale)
    folder = _folder(out)
    rng = np.random.default_rng(seed)
    plan = make_plan(seed, scale, rng)
    accounts = make_accounts(rng, plan)
    timeline = Timeline()
    writers = Writers(accounts, Shortener(seed))
    add_organic(rng, plan, timeline, writers)
    attack_rows, joiners = add_attack(rng, plan, timeline, writers)
    people = add_counter(rng, plan, timeline, writers, attack_rows, joiners)
    add_link_network(rng, plan, timeline, writers)
    _, flood_tags = add_hashtag_flood(rng, plan, timeline, writers)
    _, raid = add_reply_raid(rng, plan, timeline, writers)
    extras = Extras(
        joiners=joiners,
        core=add_activist_core(rng, plan, timeline, writers, people),
        news_bots=add_news_bots(rng, plan, timeline, writers),
        debate=add_live_debate(rng, plan, timeline, writers),
        flood_hashtags=flood_tags,
        raid_target=raid.account,
    )
    posts = timeline.finish()
    rendered = render(posts, accounts, rng)
    write_pages(folder / ARCHIVE_NAME, posts, rendered, accounts)
    truth = make_truth(plan, posts, rendered, accounts, [ARCHIVE_NAME], extras)
    (folder / TRUTH_NAME).write_bytes(orjson.dumps(truth.to_dict(), option=orjson.OPT_INDENT_2))
    return truth


def _folder(out: str | Path) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {folder}: exists and is not a folder; choose a folder path")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
