"""The coordination methods: each maps posts to actions ``(account_id, key, time, post_id)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis

__all__ = ["Method", "METHODS", "method_names", "get_method"]


@dataclass(frozen=True)
class Method:
    """One coordination method: a name, a doc line, its defaults and its action builder."""

    name: str
    doc: str
    build: Callable[[ibis.Table, dict], ibis.Table]
    defaults: dict = field(default_factory=dict)
    default_window: float | None = None


METHODS: dict[str, Method] = {}


def method_names() -> list[str]:
    return list(METHODS)


def get_method(name: str) -> Method:
    raise NotImplementedError
