"""Digest sources -> Article objects, whatever form the source came in.

Each format is one module that registers its parser in ``index.registry`` (see there how to add
one); importing this package registers the built-in formats, and ``parse_document`` dispatches.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from assistant.errors import NotADigestPage, SourceError
from assistant.models import Article
from index.documents import SourceDocument
from index.reading import safe_text
from index.registry import get_format

# The format modules: each registers its parser with @register_format when imported, in this
# order (the order messages list suffixes in, and Content-Types are matched in). A new format:
# its module in this folder, and its name at the end of this line.
from . import page_text, html_page, wordpress, records  # noqa: F401, I001  isort: skip
from .dates import DateRange, find_issue, parse_date, parse_date_range
from .html_page import html_to_lines, parse_html_page
from .page_text import Line, Link, parse_byline, parse_lines, parse_page_text
from .records import parse_records
from .wordpress import parse_wordpress, parse_wordpress_posts

__all__ = [
    "DateRange",
    "Line",
    "Link",
    "find_issue",
    "html_to_lines",
    "parse_byline",
    "parse_date",
    "parse_date_range",
    "parse_document",
    "parse_html_page",
    "parse_lines",
    "parse_page_text",
    "parse_records",
    "parse_wordpress",
    "parse_wordpress_posts",
]


def parse_document(doc: SourceDocument) -> list[Article]:
    """Articles of one source document, from the parser registered for ``doc.kind``.

    Raises NotADigestPage (empty, no "Week N" header, no article blocks) or SourceError.
    For "wp-json" a list of posts returns the articles of the posts that parsed and raises only
    if none did; call ``parse_wordpress_posts`` to get each post's error as well.

    Whatever the parser, every text of the articles (and of their issue) is ``safe_text``: no
    character XML forbids, no lone surrogate, so the tokenizer, Chroma and the feed accept it.
    """
    if not doc.content.strip():
        raise NotADigestPage(doc.name, "the page is empty")
    fmt = get_format(doc.kind)
    if fmt is None:
        raise SourceError(doc.name, f"unknown document kind {doc.kind!r}")
    try:
        articles = fmt.parse(doc)
    except RecursionError:  # hostile nesting that a parser walks recursively
        raise SourceError(doc.name, "nested too deeply to parse (over the recursion limit)") from None
    return [_safe_model(article) for article in articles]


def _safe_model(model: Any) -> Any:
    """A copy of the model with ``safe_text`` applied to every string, in lists and sub-models too."""
    changes = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        safe = _safe_value(value)
        if safe is not value:
            changes[name] = safe
    return model.model_copy(update=changes) if changes else model


def _safe_value(value: Any) -> Any:
    if isinstance(value, str):
        safe = safe_text(value)
        return value if safe == value else safe
    if isinstance(value, list):
        items = [_safe_value(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, BaseModel):
        return _safe_model(value)
    return value
