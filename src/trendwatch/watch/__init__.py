"""Watching live: rolling detection and alerts (:mod:`.alerts`), replays (:mod:`.replay`)."""
