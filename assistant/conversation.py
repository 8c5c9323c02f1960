"""Follow-up questions made standalone ("and what did they say about AI?", "which week was that?").

With a language model the question is rewritten by it, and the rewrite is accepted only if it
still reads as the user's question (one line, their content words kept). Otherwise, and with no
model, the rewrite is deterministic: a question that leans on the previous turn carries that
turn's standalone question (so its subject and names), the titles it was answered from and its
filters into retrieval. History is bounded to the last ``MAX_TURNS`` turns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from assistant.models import Answer, SearchFilters
from assistant.terms import analyze

if TYPE_CHECKING:
    from assistant.ports import LanguageModel

log = logging.getLogger(__name__)

MAX_TURNS = 6  # only the latest turns can be referred to
_MAX_TURN_CHARS = 300  # of each earlier question carried into a query (history is not length-checked upstream)
_REWRITE_TOKENS = 80

_OPENS_FOLLOW_UP = r"^(and|also|but|so|what about|how about|then|why|how come|what else|anything else|more)\b"
_POINTS_BACK = (
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|him|there|same|the company|the study"
    r"|the article|the author|the magazine|the firm|the report|the piece|the research|the survey|the companies)\b"
)
_LEANS_ON_HISTORY = re.compile(f"{_OPENS_FOLLOW_UP}|{_POINTS_BACK}", re.IGNORECASE)
_REFERS_BACK = re.compile(_POINTS_BACK, re.IGNORECASE)
_CONNECTIVE = re.compile(r"^(and|also|but|so|then)\s+", re.IGNORECASE)


class Turn(BaseModel):
    """A previous turn. Channels may pass plain question strings instead."""

    question: str
    filters: SearchFilters | None = None
    titles: list[str] = Field(default_factory=list, description="Titles of the articles its answer cited.")
    articles: list[str] = Field(default_factory=list, description="Ids of the articles its answer cited.")

    @classmethod
    def of(cls, question: str, answer: Answer, filters: SearchFilters | None = None) -> Turn:
        """The turn a channel remembers after answering ``question``."""
        return cls(
            question=question,
            filters=filters,
            titles=[c.title for c in answer.citations],
            articles=[c.article_id for c in answer.citations],
        )


HistoryItem = str | Turn


@dataclass(frozen=True)
class Standalone:
    query: str
    filters: SearchFilters | None
    rewritten_by: Literal["none", "rules", "llm"]
    # For a question that leans on the previous turn: that turn, its own standalone question
    # (to find its articles when the turn does not carry them), and the follow-up's own words.
    previous: Turn | None = None
    previous_query: str | None = None
    focus: str | None = None


def leans_on_history(question: str) -> bool:
    return bool(_LEANS_ON_HISTORY.search(question))


def refers_back(question: str) -> bool:
    """Whether the question points at what was said before ("it", "they", "that trap"), rather
    than only opening with "and" or "what about"."""
    return bool(_REFERS_BACK.search(question))


def standalone_question(question: str, history: Sequence[HistoryItem] | None) -> str:
    """The query to retrieve with (deterministic). Self-contained questions pass through unchanged."""
    return resolve(question, history).query


def resolve(
    question: str,
    history: Sequence[HistoryItem] | None,
    filters: SearchFilters | None = None,
    llm: LanguageModel | None = None,
) -> Standalone:
    """The standalone question and the filters to use. ``llm``: rewrite with it when it can."""
    turns = _turns(history)
    if not turns:
        return Standalone(question, filters, "none")
    previous = _chain(turns)
    carried = filters if filters is not None and not filters.is_empty() else previous.filters
    leans = leans_on_history(question)
    before, before_query = (turns[-1], previous.query) if leans else (None, None)
    if llm is not None:
        rewritten = _rewrite_with_llm(question, [t.question for t in turns], llm)
        if rewritten is not None:
            changed = rewritten != question
            return Standalone(
                rewritten, carried if changed else filters, "llm", before, before_query, rewritten if leans else None
            )
    if not leans:
        return Standalone(question, filters, "none")
    focus = _CONNECTIVE.sub("", question).strip()
    return Standalone(_join(previous.query, turns[-1].titles, question), carried, "rules", before, before_query, focus)


def previous_turn(question: str, history: Sequence[HistoryItem] | None) -> Standalone:
    """``question`` with the last turn as what it refers to, whether or not it says "it" ("Which
    week?" after an answer is about that answer)."""
    turns = _turns(history)
    if not turns:
        return Standalone(question, None, "none")
    return Standalone(question, None, "none", turns[-1], _chain(turns).query, question)


def _turns(history: Sequence[HistoryItem] | None) -> list[Turn]:
    items = [h if isinstance(h, Turn) else Turn(question=h) for h in (history or [])]
    turns = [t for t in items if t.question.strip()][-MAX_TURNS:]
    # Earlier questions join the query: keep them short and their article ids unique.
    return [
        t.model_copy(
            update={
                "question": " ".join(t.question.split())[:_MAX_TURN_CHARS],
                "articles": list(dict.fromkeys(t.articles)),
            }
        )
        for t in turns
    ]


def _chain(turns: list[Turn]) -> Standalone:
    """The previous turn made standalone itself: a follow-up of a follow-up keeps the first subject."""
    current = Standalone(turns[0].question, turns[0].filters, "none")
    for before, turn in zip(turns, turns[1:]):
        if leans_on_history(turn.question):
            current = Standalone(
                _join(current.query, before.titles, turn.question), turn.filters or current.filters, "rules"
            )
        else:
            current = Standalone(turn.question, turn.filters, "none")
    return current


def _join(previous: str, titles: list[str], question: str) -> str:
    # The previous question first (its subject and names), the title its answer came from
    # ("which week was that?" needs it), then the follow-up without its leading "and".
    parts = [previous, *titles[:1], _CONNECTIVE.sub("", question)]
    return " ".join(p.strip() for p in parts if p.strip())


def _rewrite_with_llm(question: str, history: list[str], llm: LanguageModel) -> str | None:
    from assistant.errors import LanguageModelError
    from assistant.prompt import rewrite_messages

    try:
        reply = llm.complete(rewrite_messages(question, history), max_tokens=_REWRITE_TOKENS)
    except LanguageModelError as exc:
        log.info("follow-up rewrite by the language model failed (%s); using the rules", exc)
        return None
    return _acceptable(reply, question)


def _acceptable(reply: str, question: str) -> str | None:
    """The model's rewrite, if it is still the user's question; small models often answer instead."""
    lines = [ln for ln in reply.strip().splitlines() if ln.strip()]
    if len(lines) != 1:
        return None
    text = re.sub(r"^(rewritten question|question)\s*:\s*", "", lines[0].strip(), flags=re.IGNORECASE)
    text = text.strip().strip("\"“”'").strip()
    if not text or len(text) > max(300, 3 * len(question)) or not text.endswith("?"):
        return None
    asked = set(analyze(question))
    if asked and len(asked & set(analyze(text))) < 0.5 * len(asked):
        return None  # it dropped what the user asked about
    return text
