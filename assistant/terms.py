"""Word analysis shared by keyword search and answer scoring: lowercase, no stopwords, stemmed."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(STOPWORDS_EN) | {
    "article",
    "articles",
    "digest",
    "say",
    "said",
    "says",
    "do",
    "did",
    "does",
    "what",
    "which",
    "tell",
    "me",
}


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """Content-word stems of ``text`` ("Leaders impede mastery" -> ["leader", "imped", "masteri"])."""
    words = [w for w in _WORD.findall(text.lower().replace("’", "'")) if w not in _STOP]
    return _stemmer().stemWords(words)
