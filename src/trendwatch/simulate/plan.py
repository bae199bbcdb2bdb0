"""The scenario: how many accounts and posts of each sort, and when things happen.

All sizes scale linearly with ``scale`` (with floors, so that a small archive still holds a
detectable attack); all instants are seconds from :data:`START`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from ..errors import ParameterError

__all__ = [
    "Plan",
    "make_plan",
    "check_parameters",
    "START",
    "DURATION",
    "LOCAL_OFFSET_HOURS",
    "to_datetime",
]

START = datetime(2025, 11, 13, 0, 0, tzinfo=UTC)
"""First instant of the simulated archive (a Thursday, midnight UTC)."""
DURATION = 2 * 86400
"""The archive spans two days."""
LOCAL_OFFSET_HOURS = 1
"""Posting follows French local time (UTC+1 in November)."""
NEW_ACCOUNT_DAYS = 30
COORDINATION_WINDOW = 30
"""Attackers retweet each other within this many seconds (typically 2-30 s)."""
__all__ += ["NEW_ACCOUNT_DAYS", "COORDINATION_WINDOW"]


def to_datetime(seconds: float) -> datetime:
    """The aware UTC datetime ``seconds`` after :data:`START` (whole seconds)."""
    return datetime.fromtimestamp(START.timestamp() + int(seconds), tz=UTC)


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes and instants of one simulated archive (instants in seconds from START)."""

    seed: int
    scale: float
    organic_accounts: int
    organic_originals: int
    cascades: int
    cascade_size: int
    attackers: int
    sleepers: int
    attack_posts: int
    attack_start: float
    attack_duration: float
    late_joiners: int
    counter_accounts: int
    counter_start: float
    both_tags: int
    link_accounts: int
    link_events: int
    flood_accounts: int
    flood_events: int
    raid_accounts: int
    raid_posts: int
    core_accounts: int
    news_bots: int
    debate_accounts: int


def check_parameters(seed: int, scale: float) -> None:
    """Raise :class:`~trendwatch.errors.ParameterError` unless seed and scale are usable."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0.01 <= scale <= 20:
        raise ParameterError(f"scale must be between 0.01 and 20, got {scale!r}")


def make_plan(seed: int, scale: float, rng: np.random.Generator) -> Plan:
    """Draw the scenario for ``seed`` and ``scale`` (the attack time varies with the seed)."""
    check_parameters(seed, scale)
    attackers = max(20, round(40 * scale))
    joiners = max(3, round(15 * scale))
    attack_start = 32 * 3600 + rng.uniform(-1800, 1800)  # day 2, about 09:00 local time
    return Plan(
        seed=int(seed),
        scale=float(scale),
        organic_accounts=max(400, round(4000 * scale)),
        organic_originals=max(300, round(12500 * scale)),
        cascades=6,
        cascade_size=max(30, round(450 * scale)),
        attackers=attackers,
        sleepers=max(1, round(0.15 * attackers)),
        attack_posts=max(300, round(2350 * scale)),
        attack_start=attack_start,
        attack_duration=rng.uniform(95, 110) * 60,
        late_joiners=joiners,
        counter_accounts=max(round(650 * scale), 7 * (attackers + joiners)),
        counter_start=attack_start + rng.uniform(3600, 3 * 3600),
        both_tags=max(3, round(20 * scale)),
        link_accounts=max(8, round(23 * scale)),
        link_events=25,
        flood_accounts=max(10, round(38 * scale)),
        flood_events=11,
        raid_accounts=max(8, round(26 * scale)),
        raid_posts=18,
        core_accounts=max(5, round(8 * scale)),
        news_bots=5,
        debate_accounts=max(60, round(400 * scale)),
    )
