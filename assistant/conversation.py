"""Follow-up questions made standalone, deterministically: a question that leans on the
previous turn ("and what did it say about AI?") carries that turn's words into retrieval."""

from __future__ import annotations

import re
from typing import Sequence

_LEANS_ON_HISTORY = re.compile(
    r"^(and|also|but|so|what about|how about|then)\b|\b(it|its|they|them|their|this|that|these|those|he|she|his|her)\b",
    re.IGNORECASE,
)
MAX_TURNS = 6  # history is bounded: only the latest turns can be referred to


def standalone_question(question: str, history: Sequence[str] | None) -> str:
    """The query to retrieve with. Self-contained questions pass through unchanged."""
    if not history:
        return question
    previous = [h for h in history[-MAX_TURNS:] if h.strip()]
    if not previous or not _LEANS_ON_HISTORY.search(question):
        return question
    return f"{previous[-1]} {question}"
