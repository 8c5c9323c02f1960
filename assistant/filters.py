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
    """The same metadata as numpy columns, for masking the keyword index: numbers as float
    arrays (NaN: none), strings as int32 codes into a list of keys, topics as one list of
    passages per topic. All are plain arrays, so the index saves and memory-maps them."""

    STRINGS = ("magazine", "author", "article")

    def __init__(self, arrays: dict[str, np.ndarray], keys: dict[str, list[str]]):
        self.arrays, self.keys = arrays, keys
        self._codes: dict[str, dict[str, int]] = {}

    @classmethod
    def build(cls, metadatas: list[dict[str, Any]]) -> FilterColumns:
        nan = float("nan")
        arrays = {
            "week": np.array([m.get("week", nan) for m in metadatas], dtype=np.float64),
            "day": np.array([m.get("day", nan) for m in metadatas], dtype=np.float64),
        }
        keys: dict[str, list[str]] = {}
        for name, field in (("magazine", "magazine_key"), ("author", "author_key"), ("article", "article_id")):
            values = [str(m.get(field, "")) for m in metadatas]
            keys[name] = sorted(set(values))
            code = {k: i for i, k in enumerate(keys[name])}
            arrays[name] = np.array([code[v] for v in values], dtype=np.int32)
        topics = [sorted(set(m.get("topic_keys") or ())) for m in metadatas]
        keys["topic"] = sorted({t for ts in topics for t in ts})
        code = {k: i for i, k in enumerate(keys["topic"])}
        pairs = sorted((code[t], p) for p, ts in enumerate(topics) for t in ts)
        arrays["topic_passages"] = np.array([p for _, p in pairs], dtype=np.int32)
        counts = np.bincount(np.array([c for c, _ in pairs], dtype=np.int64), minlength=len(keys["topic"]))
        arrays["topic_ptr"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(arrays, keys)

    def __len__(self) -> int:
        return len(self.arrays["week"])

    def code(self, name: str, key: str) -> int | None:
        """The code of ``key`` in string column ``name`` (None: no passage has it)."""
        if name not in self._codes:
            self._codes[name] = {k: i for i, k in enumerate(self.keys[name])}
        return self._codes[name].get(key)

    def topic_mask(self, key: str) -> np.ndarray:
        keep = np.zeros(len(self), dtype=bool)
        code = self.code("topic", key)
        if code is not None:
            ptr = self.arrays["topic_ptr"]
            keep[self.arrays["topic_passages"][ptr[code] : ptr[code + 1]]] = True
        return keep

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(len(self), dtype=bool)
        week, day = self.arrays["week"], self.arrays["day"]
        # NaN compares False, so an article without a week or date never passes a range filter.
        with np.errstate(invalid="ignore"):
            if filters.week_from is not None:
                keep &= week >= filters.week_from
            if filters.week_to is not None:
                keep &= week <= filters.week_to
            if filters.since is not None:
                keep &= day >= epoch_day(filters.since)
            if filters.until is not None:
                keep &= day <= epoch_day(filters.until)
        for name, wanted in (("magazine", filters.magazine), ("author", filters.author)):
            if wanted:
                keep &= self.arrays[name] == _or_none(self.code(name, match_key(wanted)))
        if filters.topic:
            keep &= self.topic_mask(match_key(filters.topic))
        if filters.articles is not None:
            codes = [c for c in (self.code("article", a) for a in filters.articles) if c is not None]
            keep &= np.isin(self.arrays["article"], codes)
        return keep


def _or_none(code: int | None) -> int:
    return -1 if code is None else code  # -1 matches no passage
