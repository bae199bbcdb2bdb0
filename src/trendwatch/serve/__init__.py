"""``trendwatch serve``: the web dashboard, a thin client of the same views as the report.

Every page has a JSON twin under ``/api/``; the store is opened read-only; see
:mod:`.routes` for the pages and their parameters, :mod:`.security` for the token and headers.
"""

from __future__ import annotations

from .app import Dashboard, Response
from .routes import ROUTES, Route
from .server import DashboardServer, make_server, serve

__all__ = ["Dashboard", "DashboardServer", "Response", "Route", "ROUTES", "make_server", "serve"]
