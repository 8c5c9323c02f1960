"""HTML of a weekly post -> lines with their links -> the page-text parser.

Block elements become lines as a browser would show them, list items get a "- " (or "1. ")
marker, and links are kept per line so each article gets its "Read" and "Listen" addresses.
Works on a whole page or on a WordPress ``content.rendered`` fragment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, PreformattedString

from assistant.models import Article
from index.documents import SourceDocument
from index.reading import safe_text
from index.registry import register_format

from .dates import clean_text
from .page_text import Line, Link, parse_lines

_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|body|p)\b", re.IGNORECASE)

_BLOCK = {
    "address",
    "article",
    "blockquote",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tr",
    "ul",
    "caption",
    "body",
}
# Site chrome, sidebars and comments: never part of the digest, and a sidebar's "Recent posts"
# would otherwise offer a second "Week N" header.
_CHROME = (
    "script, style, noscript, template, nav, aside, form, iframe, svg, footer, "
    "#comments, .comments-area, .comment-respond, .sharedaddy, .jp-relatedposts, "
    ".widget-area, #secondary, .sidebar, .post-navigation"
)


@dataclass
class PageMeta:
    url: str | None = None  # <link rel="canonical"> or og:url
    hints: list[str] = field(default_factory=list)  # <title> and og:title, for the week header


class _LineWriter:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self._text: list[str] = []
        self._links: list[Link] = []

    def text(self, s: str) -> None:
        self._text.append(s)

    def link(self, link: Link) -> None:
        self._links.append(link)

    def newline(self) -> None:
        text = clean_text("".join(self._text))
        if text or self._links:
            self.lines.append(Line(text, tuple(self._links)))
        self._text, self._links = [], []


def _attr(node: Tag, name: str) -> str:
    """An attribute as one stripped string ("" when absent); bs4 gives lists for class-like ones."""
    value = node.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return (value or "").strip()


def _list_marker(li: Tag) -> str:
    parent = li.parent
    if parent is None or parent.name != "ol":
        return "- "
    try:
        first = int(_attr(parent, "start") or 1)
    except ValueError:
        first = 1
    return f"{first + len(li.find_previous_siblings('li'))}. "


def _enter(node: Tag, out: _LineWriter) -> None:
    if node.name == "br":
        out.newline()
        return
    if node.name in _BLOCK:
        out.newline()
    if node.name == "li":
        out.text(_list_marker(node))
    if node.name == "a" and _attr(node, "href"):
        out.link(Link(clean_text(node.get_text(" ")), _attr(node, "href")))
    if node.name in ("audio", "source") and _attr(node, "src"):
        out.link(Link("", _attr(node, "src"), audio=True))


def _walk(root: Tag, out: _LineWriter) -> None:
    # Iterative, so badly nested pages cannot hit the recursion limit.
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString) or isinstance(node, CData):
                out.text(str(node))
        elif isinstance(node, Tag):
            if leaving:
                if node.name in _BLOCK:
                    out.newline()
                continue
            _enter(node, out)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    out.newline()


def _meta(soup: BeautifulSoup) -> PageMeta:
    meta = PageMeta()
    canonical = soup.find("link", rel="canonical", href=True)
    og_url = soup.find("meta", property="og:url", content=True)
    meta.url = (
        (_attr(canonical, "href") if isinstance(canonical, Tag) else "")
        or (_attr(og_url, "content") if isinstance(og_url, Tag) else "")
        or None
    )
    og_title = soup.find("meta", property="og:title", content=True)
    titles = [
        soup.title.get_text() if soup.title else "",
        _attr(og_title, "content") if isinstance(og_title, Tag) else "",
    ]
    meta.hints = [clean_text(t) for t in titles if clean_text(t)]
    return meta


def html_to_lines(html: str) -> tuple[list[Line], PageMeta]:
    """The visible lines of an HTML page (chrome removed) and its address and title hints."""
    soup = BeautifulSoup(safe_text(html), "lxml")  # lxml cannot encode a lone surrogate (a JSON "\ud800")
    meta = _meta(soup)
    for element in soup.select(_CHROME):
        element.decompose()
    out = _LineWriter()
    _walk(soup.body or soup, out)
    return out.lines, meta


def parse_html_page(
    html: str,
    *,
    name: str,
    url: str | None = None,
    hints: Sequence[str] = (),
    near: date | None = None,
) -> list[Article]:
    """HTML of a weekly post -> articles. The issue address is ``url`` if given, else the page's
    canonical/og:url. ``hints``/``near`` as in ``parse_lines``. Raises NotADigestPage."""
    lines, meta = html_to_lines(html)
    return parse_lines(lines, name=name, url=url or meta.url, hints=[*hints, *meta.hints], near=near)


def looks_like_html(text: str) -> bool:
    return _HTML_TAG.search(text) is not None


@register_format("html", suffixes=(".html", ".htm"), sniff=looks_like_html, media_types=("html",), priority=30)
def parse_html_document(doc: SourceDocument) -> list[Article]:
    return parse_html_page(doc.content, name=doc.name, url=doc.url)
