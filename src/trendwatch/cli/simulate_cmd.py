"""``trendwatch simulate`` (being written: see issue 2)."""

COMMANDS: list = []
