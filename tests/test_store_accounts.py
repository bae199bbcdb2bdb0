"""The store's account merge against a Python fold, whatever the batches.

The rule (``Store._write_accounts``): observations are applied one by one in the order they
come; one older than an already applied observation of the account is ignored; an applied one
replaces the fields it has and keeps the others. A time-less observation is always applied.
Cutting the same observations into batches differently must not change the stored accounts.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import T0
from trendwatch.model import Account, accounts_to_arrow
from trendwatch.store import Store

_FIELDS = ("handle", "name", "followers", "verified")


def folded(observations: list[Account]) -> dict[str, tuple]:
    """The reference: apply each observation in turn, as the rule says."""
    state: dict[str, dict] = {}
    for obs in observations:
        current = state.get(obs.account_id)
        if current is None:
            state[obs.account_id] = {f: getattr(obs, f) for f in (*_FIELDS, "observed_at")}
            continue
        seen = current["observed_at"]
        if obs.observed_at is not None and seen is not None and obs.observed_at < seen:
            continue
        for field in (*_FIELDS, "observed_at"):
            if getattr(obs, field) is not None:
                current[field] = getattr(obs, field)
    return {
        account: tuple(fields[f] for f in (*_FIELDS, "observed_at"))
        for account, fields in state.items()
    }


def stored(store: Store) -> dict[str, tuple]:
    rows = store.con.execute(
        f"SELECT account_id, {', '.join(_FIELDS)}, observed_at FROM accounts"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def write_in_batches(store: Store, observations: list[Account], cuts: list[int]) -> None:
    bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(observations)), len(observations)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        store.write_batch(accounts=accounts_to_arrow(observations[start:end]))


def test_a_later_observation_without_a_field_keeps_it_within_one_batch():
    # A Bluesky post view (display name) then an identity event of the same account (handle).
    view = Account("bluesky", "did:a", handle="a.bsky", name="Alice", observed_at=T0)
    identity = Account("bluesky", "did:a", handle="alice.bsky", observed_at=T0 + timedelta(1))
    with Store(":memory:") as store:
        store.write_batch(accounts=accounts_to_arrow([view, identity]))
        assert store.con.execute("SELECT handle, name FROM accounts").fetchall() == [
            ("alice.bsky", "Alice")
        ]


def test_an_older_observation_after_a_newer_one_changes_nothing_even_in_its_fields():
    new = Account("x", "1", handle="new", observed_at=T0 + timedelta(1))
    old = Account("x", "1", handle="old", followers=5, observed_at=T0)
    untimed = Account("x", "1", name="N")
    for cuts in ([], [1], [1, 2]):
        with Store(":memory:") as store:
            write_in_batches(store, [new, old, untimed], cuts)
            assert stored(store) == {"1": ("new", "N", None, None, T0 + timedelta(1))}


_TIMES = st.one_of(st.none(), st.integers(0, 3).map(lambda d: T0 + timedelta(days=d)))
_OBSERVATION = st.builds(
    Account,
    platform=st.just("x"),
    account_id=st.sampled_from(["1", "2", "3"]),
    handle=st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
    name=st.one_of(st.none(), st.sampled_from(["A", "B"])),
    followers=st.one_of(st.none(), st.integers(0, 9)),
    verified=st.one_of(st.none(), st.booleans()),
    observed_at=_TIMES,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    observations=st.lists(_OBSERVATION, min_size=1, max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=6),
)
def test_the_merge_is_the_fold_whatever_the_batches(observations, cuts):
    expected = folded(observations)
    with Store(":memory:") as one_batch, Store(":memory:") as cut:
        write_in_batches(one_batch, observations, [])
        write_in_batches(cut, observations, cuts)
        assert stored(one_batch) == expected
        assert stored(cut) == expected
