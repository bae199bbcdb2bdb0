"""The public namespace is curated: adding or removing a name is a deliberate act."""

from __future__ import annotations

import trendwatch
from trendwatch import errors

EXPECTED_PUBLIC = {
    "__version__",
    "TrendwatchError",
    "ingest",
    "IngestReport",
    "FileReport",
    "open",
    "open_store",
    "Store",
    "Post",
    "Account",
    "Platform",
    "Kind",
    "trending",
    "onsets",
    "Trending",
    "campaign",
    "Campaign",
    "account_signals",
    "compare",
    "Comparison",
    "coordinate",
    "CoordinationResult",
    "Scope",
    "groups",
    "GroupsResult",
    "interaction_network",
    "InteractionNetwork",
    "write_network",
    "simulate",
    "SimulationTruth",
    "load_truth",
    "write_report",
    "serve",
    "make_server",
}


def test_public_names_are_exactly_the_curated_ones():
    assert set(trendwatch.__all__) == EXPECTED_PUBLIC
    for name in trendwatch.__all__:
        assert hasattr(trendwatch, name), name


def test_every_error_is_a_trendwatch_error_with_a_docstring():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.TrendwatchError)
        assert cls.__doc__ and "raised" in cls.__doc__.lower() or cls is errors.TrendwatchError


def test_open_is_the_store_entry_point():
    with trendwatch.open(":memory:") as store:
        assert isinstance(store, trendwatch.Store)


def test_python_dash_m_runs_the_command_line():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "trendwatch", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert trendwatch.__version__ in done.stdout
