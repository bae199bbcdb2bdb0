"""HTML post content (Mastodon statuses, profile notes) turned into plain text and links.

Pure functions over the standard library's :mod:`html.parser`: no network, no state kept
between calls. The input is hostile (it is the content we analyse), so the parser never
interprets anything: ``<script>``/``<style>`` content is dropped, entities are unescaped once,
and links are returned as data for the caller to normalise, never followed.

Layout rules: paragraphs (``<p>`` and other blocks) are separated by a blank line, ``<br>`` is a
line break, other white space runs collapse to one space (as a browser shows them). The text
of a link is kept as the link's text; Mastodon hides the ``https://`` and the tail of long
URLs in ``<span class="invisible">``, and that text is kept too, so a link reads as its full
URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["HtmlLink", "HtmlText", "parse_html", "html_to_text"]

_DROPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "head"})
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SPACES = re.compile(r"[ \t\r\n\f]+")
_PARAGRAPH = "\x00"  # placeholder for a paragraph break while the text is being built
_LINE = "\x01"  # placeholder for a <br> line break


@dataclass(frozen=True, slots=True)
class HtmlLink:
    """One ``<a href>`` of the content: its target, its visible text, its class and rel words."""

    href: str
    text: str
    classes: tuple[str, ...] = ()
    rel: tuple[str, ...] = ()

    @property
    def is_mention_or_hashtag(self) -> bool:
        """True for Mastodon's mention and hashtag links (``class="mention"``, ``rel="tag"``)."""
        return "mention" in self.classes or "hashtag" in self.classes or "tag" in self.rel


@dataclass(frozen=True, slots=True)
class HtmlText:
    """The plain text of an HTML fragment and its links, in document order."""

    text: str
    links: tuple[HtmlLink, ...] = ()


def parse_html(html: str | None) -> HtmlText:
    """Turn an HTML fragment into plain text and the list of its links.

    Parameters
    ----------
    html : str or None
        An HTML fragment, e.g. a Mastodon status ``content``.

    Returns
    -------
    HtmlText
        ``text`` with paragraphs separated by blank lines and ``<br>`` as line breaks;
        ``links`` with every ``<a href>`` (href unescaped, text as shown).

    Examples
    --------
    >>> parsed = parse_html('<p>Hi <a href="https://x.org/a?b=1&amp;c=2">x.org</a></p>')
    >>> parsed.text, parsed.links[0].href
    ('Hi x.org', 'https://x.org/a?b=1&c=2')
    """
    if not html:
        return HtmlText("")
    if "<" not in html and "&" not in html:  # plain text: no parser needed
        return HtmlText(_finish([_unforged(html)]))
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return HtmlText(_finish(parser.pieces), tuple(parser.links))


def html_to_text(html: str | None) -> str:
    """Return the plain text of an HTML fragment (see :func:`parse_html`).

    >>> html_to_text("<p>Caf&eacute; &lt;3</p><p>line<br>break</p><script>x()</script>")
    'Café <3\\n\\nline\\nbreak'
    """
    return parse_html(html).text


def _unforged(data: str) -> str:
    """Text without our break placeholders, so the content itself cannot forge breaks."""
    return data.replace(_PARAGRAPH, "").replace(_LINE, "")


def _finish(pieces: list[str]) -> str:
    text = _SPACES.sub(" ", "".join(pieces))
    # Spaces next to a break are layout, not content; several breaks in a row are one break,
    # a paragraph break winning over a line break.
    text = re.sub(f" *([{_PARAGRAPH}{_LINE}]) *", r"\1", text)
    text = re.sub(f"[{_PARAGRAPH}{_LINE}]*{_PARAGRAPH}[{_PARAGRAPH}{_LINE}]*", _PARAGRAPH, text)
    text = text.strip(f" {_PARAGRAPH}{_LINE}")
    return text.replace(_PARAGRAPH, "\n\n").replace(_LINE, "\n")


class _OpenLink:
    """A link whose end tag has not been seen yet; collects its text."""

    __slots__ = ("href", "classes", "rel", "pieces")

    def __init__(self, attrs: dict[str, str]):
        self.href = attrs.get("href", "").strip()
        self.classes = tuple(attrs.get("class", "").split())
        self.rel = tuple(attrs.get("rel", "").split())
        self.pieces: list[str] = []

    def close(self) -> HtmlLink:
        text = _SPACES.sub(" ", "".join(self.pieces)).strip()
        return HtmlLink(self.href, text, self.classes, self.rel)


class _TextParser(HTMLParser):
    """Collects text pieces and links; state lives only for one :func:`parse_html` call."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.links: list[HtmlLink] = []
        self._open_links: list[_OpenLink] = []
        self._dropping = 0  # depth inside <script>, <style>, ...

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag == "br":
            self.pieces.append(_LINE)
        elif tag in _BLOCKS:
            self.pieces.append(_PARAGRAPH)
        elif tag == "a" and not self._dropping:
            self._open_links.append(_OpenLink({k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <p/>, <a/>: a self-closed tag opens nothing that waits for an end tag.
        if tag == "br" or tag in _BLOCKS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            self.pieces.append(_PARAGRAPH)
        elif tag == "a" and self._open_links:
            self._close_link()

    def handle_data(self, data: str) -> None:
        if self._dropping:
            return
        data = _unforged(data)
        self.pieces.append(data)
        for link in self._open_links:
            link.pieces.append(data)

    def close(self) -> None:
        super().close()
        while self._open_links:  # an <a> never closed still counts as a link
            self._close_link()

    def _close_link(self) -> None:
        link = self._open_links.pop().close()
        if link.href:
            self.links.append(link)
