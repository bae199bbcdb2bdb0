"""Headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright's Python client.

The browser is the system's, never a downloaded one (``make test`` installs Debian's chromium
when it can). Without it, or without Playwright, these tests skip and say why.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.serve.conftest import hostile_db, hostile_store  # noqa: F401 - shared fixtures

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Chromium must not phone home: this machine's network is closed and each attempt is an error.
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session (starting it costs about a second)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is absent: `apt-get install chromium` (make test does, as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page with what went wrong on it: console errors, uncaught errors, dialogs opened."""

    page: object
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a script ran: dialogs {self.dialogs}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def watched(browser):
    """A fresh page (own context) whose console errors and dialogs are recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Watched(page)
    page.on("console", lambda m: m.type == "error" and seen.errors.append(m.text))
    page.on("pageerror", lambda e: seen.errors.append(f"uncaught: {e}"))

    def on_dialog(dialog):
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield seen
    context.close()


def box_size(page, selector: str) -> tuple[float, float]:
    """Width and height of the first element matching ``selector`` (0, 0 when absent)."""
    box = page.locator(selector).first.bounding_box()
    return (box["width"], box["height"]) if box else (0.0, 0.0)


def click_a_link_in_the_network(page) -> None:
    """Click a node (nodes are drawn above links), then one of its links in the side panel.

    Links of a dense group overlap, so clicking "the first link" would hit another one; the
    node's panel lists its links as buttons, which is how a user reaches a given link.
    """
    page.locator("svg.network circle.node").first.click(force=True)
    page.locator("#evidence button.link-button").first.click()
