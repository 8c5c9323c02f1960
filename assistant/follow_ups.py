"""Where a question is searched, in the order to try: a follow-up about what the previous answer's
articles cover is searched *within* them first, and quoted for its own words, so a new focus
("and what did it say about the threats to them?") gets new sentences, not the first answer again.

A follow-up's *topic* is its words less the words that only say what kind of answer it wants
("what did they suggest instead?" has none; "what did they find about wages?" has "wages"). When
the previous articles hold most of the topic, or there is none, they are searched first, else the
follow-up's own words are searched across the whole digest first; when the first search gives no
answer the other is tried, so "not in the digest" is never said after searching three articles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.conversation import Standalone, refers_back
from assistant.keyword import KeywordIndex
from assistant.models import Article, Hit, SearchFilters
from assistant.ports import Retriever
from assistant.quoting import Window
from assistant.settings import Settings
from assistant.terms import analyze

if TYPE_CHECKING:
    from assistant.store import DigestStore

# Words that say what kind of answer is wanted, not what it is about.
_ASKING = frozenset(
    analyze(
        "say said says suggest suggested recommend recommended propose proposed argue argued find found finding "
        "findings show showed shown mean means think do does did done happen happened instead else more detail "
        "details explain explained describe tell mention mentioned write wrote note noted add added claim conclude "
        "concluded learn learned lesson lessons advice advise way ways thing things specific specifically also "
        "anything something regarding author authors article study report piece step steps fix fixes solve "
        "solution solutions help why how what when where which who whom whose about actually really"
    )
)
_COVERED = 0.5  # share of a follow-up's topic the previous articles hold when it asks about them

# (question, filters) -> the articles its answer would cite.
AnsweredBy = Callable[[str, SearchFilters | None], list[Article]]


@dataclass(frozen=True)
class Plan:
    """One place to search: the hits, and the words to quote for."""

    hits: list[Hit]
    focus: str
    within_previous: bool = False
    topic: frozenset[str] = frozenset()  # the follow-up's own topic words, for a search within

    def answers(self, best: Window | None) -> bool:
        """Within the previous articles, the best quote must hold some of the follow-up's topic:
        evidence borrowed from the previous question says nothing about "steel and whiskey"."""
        return not self.topic or (best is not None and bool(best.stems & self.topic))


class FollowUpSearch:
    def __init__(self, settings: Settings, retriever: Retriever, store: DigestStore):
        self._settings = settings
        self._retriever = retriever
        self._store = store

    def plans(self, standalone: Standalone, keywords: KeywordIndex, previous: list[Article]) -> Iterator[Plan]:
        """Searches to try in order, each run only when the one before gave no answer."""
        top_k = self._settings.retrieval.top_k
        focus = standalone.focus
        if standalone.previous is None or not focus:
            yield Plan(self._retriever.search(standalone.query, standalone.filters, top_k), standalone.query)
            return
        topic = [s for s in analyze(focus) if s not in _ASKING]
        vocabulary = frozenset().union(*(keywords.article_terms.get(a.id, frozenset()) for a in previous))
        share = keywords.coverage(topic, vocabulary) if topic else 1.0
        # Pointing back ("it", "that trap") asks about the previous articles, and they are searched
        # at all only when they hold some of its topic ("what did they find about wages?" after an
        # answer that never says wages goes straight to the whole digest).
        covered = share >= _COVERED or (refers_back(focus) and share > 0)
        # Its own words everywhere; or, with no topic ("why?", "tell me more"), the previous subject.
        everywhere_query = focus if topic else standalone.query

        def everywhere() -> Plan:
            return Plan(self._retriever.search(everywhere_query, standalone.filters, top_k), everywhere_query)

        def within() -> Plan | None:
            hits = self._within(standalone, focus, [a.id for a in previous]) if previous and share > 0 else []
            return Plan(hits, focus, within_previous=True, topic=frozenset(topic)) if hits else None

        # The likelier place first; the other when the first gives no answer.
        for make in (within, everywhere) if covered else (everywhere, within):
            plan = make()
            if plan is not None:
                yield plan

    def _within(self, standalone: Standalone, focus: str, ids: list[str]) -> list[Hit]:
        """Passages matched for the follow-up's focus (so its sentences lead), with the evidence
        of the whole follow-up, which the previous answer established (a focus such as "what did
        they suggest instead?" has little evidence of its own). The quote must still hold the
        follow-up's topic (``Plan.answers``)."""
        top_k = self._settings.retrieval.top_k
        within = (standalone.filters or SearchFilters()).model_copy(update={"articles": ids})
        hits = self._retriever.search(focus, within, top_k)
        whole = {h.article.id: h.score for h in self._retriever.search(standalone.query, within, top_k)}
        for hit in hits:
            hit.score = max(hit.score, whole.get(hit.article.id, 0.0))
        return sorted(hits, key=lambda h: -h.score)

    def previous_articles(self, standalone: Standalone, answered: AnsweredBy) -> list[Article]:
        """The articles the previous answer cited: carried by the turn, or found again by asking
        its question (a channel that kept only the question text)."""
        turn = standalone.previous
        if turn is not None and turn.articles:
            return self._store.get_articles(turn.articles[: self._settings.answers.max_articles])
        if not standalone.previous_query:
            return []
        filters = turn.filters if turn is not None else None
        return answered(standalone.previous_query, filters)
