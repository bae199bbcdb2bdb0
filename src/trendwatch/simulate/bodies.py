"""What each sort of simulated account writes: organic chatter, attack templates, solidarity.

Every maker takes a row ``u`` of uniform random numbers drawn in bulk by the caller (so the
numpy generator is called once per block, not once per post) and returns a :class:`Body`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .texts import Body, TextBuilder, tco
from .vocab import (
    ARTICLE_SLUGS,
    ATTACK_SLOTS,
    ATTACK_TAG_VARIANTS,
    ATTACK_TEMPLATES,
    COUNTER_PARTS,
    COUNTER_TAG,
    COUNTER_TAG_VARIANTS,
    EMOJIS,
    ENDINGS,
    NEWS_DOMAINS,
    QUOTE_OPENERS,
    REPLY_OPENERS,
    TOPICS,
    UTM_SUFFIXES,
)

__all__ = [
    "Shortener",
    "Mentionable",
    "organic_body",
    "reply_body",
    "quote_body",
    "attack_body",
    "counter_body",
    "UNIFORMS",
]

UNIFORMS = 16
"""How many uniform numbers each maker may read from its row."""

TOPIC_NAMES = tuple(TOPICS)
_HARASSMENT_ARTICLE = "politique/campagne-dorsani-cible-de-harcelement"
_OPENERS = {
    "fr": ("", "", "", "Franchement,", "Bon,", "Perso", "Honnêtement,", "Bref,", "Ce matin",
           "Ce soir", "Sérieusement,", "Je trouve que", "Alors", "Hmm,", "Au fait,"),
    "en": ("", "", "Honestly,", "So", "Tonight", "I think"),
    "es": ("", "Bueno,", "Hoy"),
}  # fmt: skip


def pick(options: Sequence, x: float):
    """The option a uniform number ``x`` in [0, 1) falls on."""
    return options[int(x * len(options))]


def _zipf_pick(options: Sequence, x: float):
    """Like :func:`pick`, but the first options are much more likely."""
    return options[int(x * x * x * len(options))]


class Shortener:
    """Hands out distinct t.co links, deterministically for a seed."""

    def __init__(self, seed: int):
        self._n = seed * 10_000_019

    def __call__(self) -> str:
        self._n += 1
        return tco(self._n)


class Mentionable:
    """Accounts a text may mention: handles and ids, with the most mentioned first."""

    def __init__(self, usernames: Sequence[str], ids: Sequence[str]):
        self.usernames = list(usernames)
        self.ids = list(ids)

    def add_to(self, builder: TextBuilder, x: float) -> None:
        i = int(x * x * len(self.ids))
        builder.mention(self.usernames[i], self.ids[i])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _news_link(builder: TextBuilder, u, short: Shortener, slug: str | None = None) -> None:
    domain = pick(NEWS_DOMAINS, u[0])
    slug = slug or pick(ARTICLE_SLUGS, u[1])
    article = f"{slug}-{int(u[2] * 9000) + 1000}"
    utm = pick(UTM_SUFFIXES, u[3]) if u[4] < 0.4 else ""
    display = f"{domain.removeprefix('www.')}/{article}"
    display = display if len(display) <= 26 else display[:25] + "…"
    builder.url(short(), f"https://{domain}/{article}{utm}", display)


def organic_body(u, lang: str, topic: str, mentions: Mentionable, short: Shortener) -> Body:
    """A topical post: opener, fragment, ending, maybe hashtags, a mention, a news link."""
    words = TOPICS[topic]
    tags = words["tags"]
    b = TextBuilder(lang)
    if u[5] < 0.2:
        b.hashtag(_zipf_pick(tags, u[6]))
    sentence = f"{pick(_OPENERS[lang], u[0])} {pick(words[lang], u[1])} {pick(ENDINGS[lang], u[2])}"
    b.words(_capitalised(sentence.strip()))
    if u[3] < 0.15:
        b.words(pick(EMOJIS, u[4]))
    if u[7] < 0.1:
        mentions.add_to(b, u[8])
    if 0.2 <= u[5] < 0.65:
        b.hashtag(_zipf_pick(tags, u[6]))
    if u[9] < 0.15:
        _news_link(b, u[10:15], short)
    return b.build()


def reply_body(u, lang: str) -> Body:
    """A short answer; the ``@author`` prefix is added when the reply target is known."""
    b = TextBuilder(lang).words(pick(REPLY_OPENERS[lang], u[0]))
    if u[1] < 0.5:
        b.words(pick(ENDINGS[lang], u[2]))
    if u[3] < 0.2:
        b.words(pick(EMOJIS, u[4]))
    return b.build()


def quote_body(u, lang: str, topic: str) -> Body:
    """A comment on a quoted post; the link to the quoted post is added when written."""
    b = TextBuilder(lang).words(pick(QUOTE_OPENERS[lang], u[0]))
    if u[1] < 0.6:
        b.words(_capitalised(pick(TOPICS[topic][lang], u[2])) + " " + pick(ENDINGS[lang], u[3]))
    if u[4] < 0.3:
        b.hashtag(_zipf_pick(TOPICS[topic]["tags"], u[5]))
    return b.build()


def attack_body(u, mentions: Mentionable, candidate: tuple[str, str]) -> Body:
    """One of a handful of templates with small substitutions: near-duplicates by design."""
    template = pick(ATTACK_TEMPLATES, u[0])
    values = {
        slot: pick(options, u[4 + k]) for k, (slot, options) in enumerate(ATTACK_SLOTS.items())
    }
    values.update(emoji=pick(EMOJIS[:5], u[8]), emoji2=pick(EMOJIS[:5], u[9]))
    b = TextBuilder("fr")
    for token in template.split(" "):
        _attack_token(b, token, u, values, mentions, candidate)
    return b.build()


def _attack_token(b: TextBuilder, token: str, u, values, mentions: Mentionable, candidate) -> None:
    if token == "{tag}":
        b.hashtag(pick(ATTACK_TAG_VARIANTS, u[1]))
    elif token.startswith("#"):
        b.hashtag(token[1:])
    elif token == "{mention}":
        mentions.add_to(b, u[2])
    elif token == "{cand}" and values["cand"].startswith("@"):
        b.mention(*candidate)
    else:
        b.words(token.format(**values))


def counter_body(u, lang: str, candidate: tuple[str, str], short: Shortener, both: bool) -> Body:
    """A solidarity post: varied sentences, the counter hashtag, sometimes a news link.

    With ``both`` the post also names the attack hashtag, to denounce it.
    """
    if u[0] < 0.1 and lang == "fr" and not both:
        return _slogan(candidate)
    parts = COUNTER_PARTS[lang]
    b = TextBuilder(lang)
    if u[1] < 0.3:
        b.hashtag(pick(COUNTER_TAG_VARIANTS, u[2]))
    b.words(pick(parts["open"], u[3]))
    subject = pick(parts["subject"], u[4])
    b.mention(*candidate) if subject.startswith("@") else b.words(subject)
    b.glue("." if u[5] < 0.5 else " !").words(pick(parts["close"], u[6]))
    if both:
        b.words("Le tag").hashtag(pick(ATTACK_TAG_VARIANTS, u[7])).words("est une honte.")
    if u[1] >= 0.3:
        b.hashtag(pick(COUNTER_TAG_VARIANTS, u[2]))
    if u[8] < 0.1:
        _news_link(b, u[10:15], short, slug=_HARASSMENT_ARTICLE)
    return b.build()


def _slogan(candidate: tuple[str, str]) -> Body:
    b = TextBuilder("fr").words("Je soutiens").mention(*candidate)
    return b.words("face au harcèlement raciste.").hashtag(COUNTER_TAG).build()
