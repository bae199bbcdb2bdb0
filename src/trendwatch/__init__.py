"""trendwatch: is this hashtag trend organic, or pushed by a small coordinated group — and by whom?

The public API is what ``__all__`` lists; everything else may change between versions.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analysis.accounts import account_signals
from .analysis.campaign import Campaign, campaign
from .analysis.compare import Comparison, compare
from .analysis.coordination import CoordinationResult, Scope, coordinate
from .analysis.coordination.groups import GroupsResult, groups
from .analysis.interactions import InteractionNetwork, interaction_network
from .analysis.interactions_export import write_network
from .analysis.trends import Trending, onsets, trending
from .errors import TrendwatchError
from .ingest import FileReport, IngestReport, ingest
from .model import Account, Kind, Platform, Post
from .report import write_report
from .serve import make_server, serve
from .simulate import SimulationTruth, load_truth, simulate
from .store import Store, open_store

open = open_store  # noqa: A001 - `trendwatch.open(db)` is the documented entry point

__all__ = [
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
]
