"""Citation text shared by the plain-text channels (the command line, a test's echo channel), so
a source reads the same wherever it is printed. Channels that draw HTML (web cards, Telegram
links) build theirs from the same ``Citation`` fields and ``assistant.models.format_date``."""

from __future__ import annotations

from assistant.models import Citation, format_date


def citation_line(c: Citation) -> str:
    """ "[1] Week 373, November 1-7, 2024 · title · author · magazine · October 29, 2024"."""
    return f"[{c.n}] {c.reference}" + (f" · {format_date(c.published)}" if c.published else "")


def citation_links(c: Citation) -> list[str]:
    """The article's address, then its weekly post's, when known."""
    return [link for link in (c.url, c.issue_url) if link]
