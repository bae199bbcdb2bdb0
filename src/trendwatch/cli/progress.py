"""Progress of a long command on standard error, only when it is a terminal.

``ingest`` shows records per second; the analysis commands (``groups``, ``coordination``,
``report``) show the step they are in and the time spent. Nothing is written when standard
error is not a terminal (piped, redirected, in a test) or with ``--json``: a script reading the
output never sees a progress line.
"""

from __future__ import annotations

import sys
import time

import click

__all__ = ["StepProgress", "step_progress"]


class StepProgress:
    """Called with each step's name as it starts: ``[12 s] testing co-retweet links...`` on
    one rewritten line; :meth:`done` clears it."""

    def __init__(self, enabled: bool, clock=time.monotonic):
        self.enabled = enabled
        self.clock = clock
        self.start = clock()
        self.width = 0

    def __call__(self, step: str) -> None:
        if not self.enabled:
            return
        line = f"[{self.clock() - self.start:,.0f} s] {step}..."
        click.echo("\r" + line.ljust(self.width), nl=False, err=True)
        self.width = max(self.width, len(line))

    def done(self) -> None:
        """Clear the line, so the command's output starts on a clean line."""
        if self.enabled and self.width:
            click.echo("\r" + " " * self.width + "\r", nl=False, err=True)
            self.width = 0

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *_exc) -> None:
        self.done()  # also when the step failed: the Error: line starts on a clean line


def step_progress(as_json: bool = False) -> StepProgress:
    """A progress line enabled only when standard error is a terminal and output is not JSON."""
    return StepProgress(enabled=sys.stderr.isatty() and not as_json)
