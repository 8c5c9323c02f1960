"""JSONL article records: one JSON object per line, blank lines allowed.

Required: ``id``, ``title``, ``summary`` (a string, one paragraph per line, or a list of paragraphs).
Optional: ``takeaways``, ``topics`` (lists of strings), ``author``, ``magazine``, ``published``
(YYYY-MM-DD), ``week`` (int), ``issue_dates`` (e.g. "November 1-7, 2024"), ``url``, ``issue_url``.
Any error names its line; the first bad line fails the file, so a fixed file ingests whole.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from assistant.errors import NotADigestPage, SourceError
from assistant.models import MAX_WEEK, Article, Issue
from index.documents import SourceDocument
from index.reading import JsonTooDeep, load_json
from index.registry import register_format

from .dates import WEEK_RE, clean_text, parse_date_range


class _RecordError(Exception):
    """A problem with one record; the caller adds the file name and line number."""


# Emptiness is judged after clean_text: a value of only controls ("\u0000") or zero-width spaces
# is missing, not an empty id, title or paragraph.
def _string(rec: dict, key: str, required: bool = False) -> str | None:
    value = rec.get(key)
    if value is not None and not isinstance(value, str):
        raise _RecordError(f"field '{key}' must be a string, got {type(value).__name__}")
    text = clean_text(value) if value is not None else ""
    if not text:
        if required:
            raise _RecordError(f"missing required field '{key}'")
        return None
    return text


def _strings(rec: dict, key: str) -> list[str]:
    value = rec.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _RecordError(f"field '{key}' must be a list of strings")
    return [text for text in map(clean_text, value) if text]


def _summary(rec: dict) -> list[str]:
    value = rec.get("summary")
    if isinstance(value, str):
        paragraphs = [text for text in map(clean_text, value.splitlines()) if text]
    else:
        paragraphs = _strings(rec, "summary")
    if not paragraphs:
        raise _RecordError("missing required field 'summary'")
    return paragraphs


def _published(rec: dict) -> date | None:
    text = _string(rec, "published")
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _RecordError(f"field 'published' is not a YYYY-MM-DD date: {text!r}") from None


def _week(rec: dict) -> int | None:
    value = rec.get("week")
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdecimal():  # not isdigit: int("²") fails
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _RecordError(f"field 'week' must be an integer, got {value!r}")
    if not 0 <= value <= MAX_WEEK:
        raise _RecordError(f"field 'week' must be between 0 and {MAX_WEEK}, got {value}")
    return value


def _issue(rec: dict, published: date | None) -> Issue:
    week, text = _week(rec), _string(rec, "issue_dates") or ""
    if week is None and (m := WEEK_RE.search(text)):
        week = int(m["week"])
    dr = parse_date_range(text, near=published) if text else None
    dates = dr.text if dr else text
    return Issue(week=week, dates=dates, start=dr and dr.start, end=dr and dr.end, url=_string(rec, "issue_url"))


def _record_to_article(rec: Any, source: str, position: int = 0) -> Article:
    """One decoded record -> Article. Raises _RecordError with a message without the line."""
    if not isinstance(rec, dict):
        raise _RecordError(f"expected a JSON object, got {type(rec).__name__}")
    published = _published(rec)
    return Article(
        id=_string(rec, "id", required=True),
        title=_string(rec, "title", required=True),
        summary=_summary(rec),
        author=_string(rec, "author"),
        magazine=_string(rec, "magazine"),
        published=published,
        url=_string(rec, "url"),
        listen_url=_string(rec, "listen_url"),
        takeaways=_strings(rec, "takeaways"),
        topics=_strings(rec, "topics"),
        issue=_issue(rec, published),
        source=source,
        position=position,
    )


def looks_like_records(text: str) -> bool:
    """Content whose first line is a JSON object (the whole of it is not JSON: see wordpress)."""
    first_line = text.lstrip().split("\n", 1)[0]
    if not first_line.startswith("{"):
        return False
    try:
        load_json(first_line)
    except JsonTooDeep:
        return True  # JSON all the same: parse_records says what is wrong with it
    except ValueError:
        return False
    return True


@register_format("jsonl", suffixes=(".jsonl",), sniff=looks_like_records, priority=20)
def parse_records(doc: SourceDocument) -> list[Article]:
    """Every record of a JSONL document. Raises SourceError ("line 3: invalid JSON: ...")."""
    articles: list[Article] = []
    first_seen: dict[str, int] = {}
    # Lines end at "\n" only: str.splitlines() also cuts at U+2028, U+0085 and \x1c-\x1e, which
    # JSON strings may hold raw (json.dumps(..., ensure_ascii=False) writes them so).
    for n, raw in enumerate(doc.content.lstrip("\ufeff").split("\n"), 1):
        if not raw.strip():
            continue
        try:
            rec = load_json(raw)
        except JsonTooDeep as err:
            raise SourceError(doc.name, f"line {n}: {err}") from None
        except json.JSONDecodeError as err:
            raise SourceError(doc.name, f"line {n}: invalid JSON: {err.msg} (column {err.colno})") from None
        try:
            article = _record_to_article(rec, doc.name, position=len(articles))
        except _RecordError as err:
            raise SourceError(doc.name, f"line {n}: {err}") from None
        if article.id in first_seen:
            raise SourceError(
                doc.name, f"line {n}: duplicate id {article.id!r} (first on line {first_seen[article.id]})"
            )
        first_seen[article.id] = n
        articles.append(article)
    if not articles:
        raise NotADigestPage(doc.name, "the page is empty")
    return articles
