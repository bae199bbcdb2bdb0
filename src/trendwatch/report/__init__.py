"""Self-contained HTML report: the views' data (:mod:`.views`) rendered as one offline page.

See :mod:`.views` for the data behind every section (the dashboard reuses it) and
:mod:`.render` for the HTML, the escaping rules and the stable DOM the browser tests use.
"""

from __future__ import annotations

__all__: list[str] = []
