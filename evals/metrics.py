"""Ranking metrics over article ids. Pure functions, so they are tested on their own."""

from __future__ import annotations

import math
from collections.abc import Sequence


def hit_at(ranked: Sequence[str], expected: set[str], k: int) -> float:
    return float(any(r in expected for r in ranked[:k]))


def reciprocal_rank(ranked: Sequence[str], expected: set[str], k: int = 10) -> float:
    for i, r in enumerate(ranked[:k], start=1):
        if r in expected:
            return 1.0 / i
    return 0.0


def ndcg(ranked: Sequence[str], expected: set[str], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, r in enumerate(ranked[:k], start=1) if r in expected)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(expected), k) + 1))
    return dcg / ideal if ideal else 0.0


def recall(ranked: Sequence[str], expected: set[str], k: int) -> float:
    return len(set(ranked[:k]) & expected) / len(expected) if expected else 0.0
