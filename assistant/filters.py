"""One meaning for search filters, in the two places they apply: Chroma's ``where`` and
the keyword index's mask. Both read the same metadata written by ``passage_metadata``."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.models import Article, SearchFilters, epoch_day, match_key


def article_day(article: Article) -> int | None:
    """The day an article is filtered by: its own date, else its issue's first day."""
    return epoch_day(article.published or article.issue.start)


def filter_metadata(article: Article) -> dict[str, Any]:
    """Flat, Chroma-safe metadata (no None values, no empty lists) used by every filter."""
    meta: dict[str, Any] = {"article_id": article.id}
    if article.issue.week is not None:
        meta["week"] = article.issue.week
    day = article_day(article)
    if day is not None:
        meta["day"] = day
    if article.magazine:
        meta["magazine_key"] = match_key(article.magazine)
    if article.author:
        meta["author_key"] = match_key(article.author)
    topics = sorted({match_key(t) for t in article.topics if match_key(t)})
    if topics:
        meta["topic_keys"] = topics
    return meta


def chroma_where(filters: SearchFilters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.week_from is not None:
        clauses.append({"week": {"$gte": filters.week_from}})
    if filters.week_to is not None:
        clauses.append({"week": {"$lte": filters.week_to}})
    if filters.since is not None:
        clauses.append({"day": {"$gte": epoch_day(filters.since)}})
    if filters.until is not None:
        clauses.append({"day": {"$lte": epoch_day(filters.until)}})
    if filters.magazine:
        clauses.append({"magazine_key": match_key(filters.magazine)})
    if filters.author:
        clauses.append({"author_key": match_key(filters.author)})
    if filters.topic:
        clauses.append({"topic_keys": {"$contains": match_key(filters.topic)}})
    if filters.articles is not None:
        clauses.append({"article_id": {"$in": list(filters.articles) or [""]}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class FilterColumns:
    """Column arrays of the same metadata, for masking the keyword index with numpy."""

    def __init__(self, metadatas: list[dict[str, Any]]):
        nan = float("nan")
        self.week = np.array([m.get("week", nan) for m in metadatas], dtype=np.float64)
        self.day = np.array([m.get("day", nan) for m in metadatas], dtype=np.float64)
        self.magazine = np.array([m.get("magazine_key", "") for m in metadatas], dtype=object)
        self.author = np.array([m.get("author_key", "") for m in metadatas], dtype=object)
        self.topics = [frozenset(m.get("topic_keys") or ()) for m in metadatas]
        self.article = np.array([m.get("article_id", "") for m in metadatas], dtype=object)

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(len(self.week), dtype=bool)
        # NaN compares False, so an article without a week or date never passes a range filter.
        with np.errstate(invalid="ignore"):
            if filters.week_from is not None:
                keep &= self.week >= filters.week_from
            if filters.week_to is not None:
                keep &= self.week <= filters.week_to
            if filters.since is not None:
                keep &= self.day >= epoch_day(filters.since)
            if filters.until is not None:
                keep &= self.day <= epoch_day(filters.until)
        if filters.magazine:
            keep &= self.magazine == match_key(filters.magazine)
        if filters.author:
            keep &= self.author == match_key(filters.author)
        if filters.topic:
            key = match_key(filters.topic)
            keep &= np.fromiter((key in t for t in self.topics), dtype=bool, count=len(self.topics))
        if filters.articles is not None:
            keep &= np.isin(self.article, list(filters.articles))
        return keep
