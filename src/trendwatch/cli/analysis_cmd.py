"""Commands being written (see the open issues)."""

COMMANDS: list = []
