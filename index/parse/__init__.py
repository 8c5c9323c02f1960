"""Digest sources -> Article objects, whatever form the source came in."""

from __future__ import annotations

from assistant.errors import NotADigestPage, SourceError
from assistant.models import Article
from index.documents import SourceDocument

from .dates import DateRange, find_issue, parse_date, parse_date_range
from .html_page import html_to_lines, parse_html_page
from .page_text import Line, Link, parse_byline, parse_lines, parse_page_text
from .records import parse_records
from .wordpress import parse_wordpress, parse_wordpress_posts

__all__ = [
    "DateRange", "Line", "Link", "find_issue", "html_to_lines", "parse_byline", "parse_date",
    "parse_date_range", "parse_document", "parse_html_page", "parse_lines", "parse_page_text",
    "parse_records", "parse_wordpress", "parse_wordpress_posts",
]


def parse_document(doc: SourceDocument) -> list[Article]:
    """Articles of one source document, dispatching on ``doc.kind``.

    Raises NotADigestPage (empty, no "Week N" header, no article blocks) or SourceError.
    For "wp-json" a list of posts returns the articles of the posts that parsed and raises only
    if none did; call ``parse_wordpress_posts`` to get each post's error as well.
    """
    if not doc.content.strip():
        raise NotADigestPage(doc.name, "the page is empty")
    if doc.kind == "text":
        return parse_page_text(doc.content, name=doc.name, url=doc.url)
    if doc.kind == "html":
        return parse_html_page(doc.content, name=doc.name, url=doc.url)
    if doc.kind == "wp-json":
        return parse_wordpress(doc)
    if doc.kind == "jsonl":
        return parse_records(doc)
    raise SourceError(doc.name, f"unknown document kind {doc.kind!r}")
