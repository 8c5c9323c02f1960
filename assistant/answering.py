"""How one question becomes an answer, as a stream.

1. A question about the previous answer ("which week was that?") is answered from its articles'
   metadata.
2. The follow-up is made standalone. One that leans on the previous turn and asks about
   something those articles cover is searched *within* them, and quoted for its own words, so
   a new focus gets new sentences.
3. Retrieval, then the answerability judge (``answerability.py``), in both modes, before any
   model is called: "not in the digest", with related articles, when the evidence does not answer.
4. The generated or the extractive answer; by relevance, or by time (one point per issue) when
   asked or when the question asks how a view changed.

Every path yields text deltas and then exactly one final ``Answer``, so channels have one code
path. The final answer is the authority: a generated answer's checked text may differ from
the deltas streamed before it (markers removed, unsupported sentences left out, or a fallback).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.conversation import HistoryItem, Standalone, refers_back, resolve
from assistant.errors import LanguageModelNotConfigured
from assistant.extractive import ExtractiveAnswerer
from assistant.models import Answer, AnswerOrder, Article, Hit, SearchFilters, Verification
from assistant.ports import Embedder, LanguageModel, Retriever
from assistant.questions import about_answer, read, time_topic, years_named
from assistant.quoting import SentenceVectors
from assistant.settings import Settings
from assistant.terms import analyze

if TYPE_CHECKING:
    from assistant.keyword import KeywordCache, KeywordIndex
    from assistant.store import DigestStore

_COOLING_DOWN = "The language model could not be reached a moment ago; this answer quotes the digest."
_TIME_POOL = 20  # articles searched for an answer over time (one point per issue is kept)
_COVERED = 0.5  # share of a follow-up's words the previous articles hold when it asks about them


class AnswerFlow:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        embedder: Embedder,
        keywords: KeywordCache,
        llm: LanguageModel,
        store: DigestStore,
        vectors: SentenceVectors | None = None,
    ):
        self._settings = settings
        self._retriever = retriever
        self._embedder = embedder
        self._keywords = keywords
        self._llm = llm
        self._store = store
        self._extractive = ExtractiveAnswerer(settings, embedder, vectors)

    def stream(
        self,
        question: str,
        history: Sequence[HistoryItem] | None,
        filters: SearchFilters | None,
        order: AnswerOrder | None = None,
    ) -> Generator[str | Answer, None, None]:
        asked = about_answer(question) if history else None
        if asked is not None:
            standalone = resolve(question, history, filters)
            articles = self._previous_articles(standalone) if standalone.previous else []
            if articles:
                from assistant.about import about_articles

                yield from _ready(about_articles(question, asked, articles).model_copy(update={"query": question}))
                return
        if order is AnswerOrder.TIME or (order is None and read(question).over_time):
            yield from _ready(self._over_time(question, filters))
            return
        use_llm, notice = self._use_llm()
        outages = self._llm.outages
        standalone = resolve(question, history, filters, self._llm if use_llm and self._settings.llm.rewrite else None)
        if use_llm and self._llm.outages > outages:  # the rewrite found the endpoint down: do not wait again
            use_llm, notice = False, _COOLING_DOWN
        keywords = self._keywords.get()
        hits, focus = self._retrieve(standalone, keywords)
        selection = self._extractive.select(focus, hits, keywords, standalone.filters)
        done = {"question": question, "query": standalone.query}

        def extractive(
            notice: str | None, verification: Verification | None = None, model: str | None = None
        ) -> Answer:
            answer = self._extractive.write(standalone.query, selection, hits, standalone.filters)
            return answer.model_copy(update={**done, "notice": notice, "verification": verification, "model": model})

        if not use_llm or not selection.verdict.answerable:  # refusals never reach the model
            yield from _ready(extractive(notice if selection.verdict.answerable else None))
            return
        from assistant.generated import GeneratedAnswerer

        def fallback(notice: str, verification: Verification | None) -> Answer:
            return extractive(notice, verification, self._llm.name)

        for item in GeneratedAnswerer(self._settings, self._embedder, self._llm).stream(
            standalone.query, selection.relevant, fallback
        ):
            if isinstance(item, Answer):
                item = item.model_copy(update=done)
            yield item

    def _retrieve(self, standalone: Standalone, keywords: KeywordIndex) -> tuple[list[Hit], str]:
        """The hits, and the words to quote for. A follow-up about what the previous articles
        cover is searched within them and quoted for its own words."""
        top_k = self._settings.retrieval.top_k
        if standalone.previous is None or not standalone.focus:
            return self._retriever.search(standalone.query, standalone.filters, top_k), standalone.query
        previous = self._previous_articles(standalone)
        own = analyze(standalone.focus)
        if not own:  # "why?", "tell me more": the previous subject is all there is
            return self._retriever.search(standalone.query, standalone.filters, top_k), standalone.query
        if previous and not self._new_topic(standalone, previous, keywords):
            ids = [a.id for a in previous]
            within = (standalone.filters or SearchFilters()).model_copy(update={"articles": ids})
            # Passages matched for the new focus (so its sentences lead), with the evidence of
            # the whole follow-up, which the previous answer already established.
            hits = self._retriever.search(standalone.focus, within, top_k)
            whole = {h.article.id: h.score for h in self._retriever.search(standalone.query, within, top_k)}
            for hit in hits:
                hit.score = max(hit.score, whole.get(hit.article.id, 0.0))
            if hits:
                return sorted(hits, key=lambda h: -h.score), standalone.focus
        # A new topic: search everywhere for the whole follow-up.
        return self._retriever.search(standalone.query, standalone.filters, top_k), standalone.query

    def _new_topic(self, standalone: Standalone, previous: list[Article], keywords: KeywordIndex) -> bool:
        """Whether a follow-up clearly asks about something else. One that points back ("it",
        "they", "the study") asks about the previous articles; one that only opens with "and" or
        "what about" asks something new when those articles lack most of its words ("And AI?")."""
        assert standalone.focus is not None
        if refers_back(standalone.focus):
            return False
        vocabulary = frozenset().union(*(keywords.article_terms.get(a.id, frozenset()) for a in previous))
        return keywords.coverage(analyze(standalone.focus), vocabulary) < _COVERED

    def _previous_articles(self, standalone: Standalone) -> list[Article]:
        """The articles the previous answer cited: carried by the turn, or found again by
        searching its question (a channel that kept only the question text)."""
        turn = standalone.previous
        if turn is not None and turn.articles:
            return self._store.get_articles(turn.articles[: self._settings.answers.max_articles])
        if not standalone.previous_query:
            return []
        filters = turn.filters if turn is not None else None
        hits = self._retriever.search(standalone.previous_query, filters, self._settings.retrieval.top_k)
        selection = self._extractive.select(standalone.previous_query, hits, self._keywords.get())
        return [h.article for h in selection.hits] if selection.verdict.answerable else []

    def _over_time(self, question: str, filters: SearchFilters | None) -> Answer:
        topic = time_topic(question)
        since, until = years_named(question)
        if (filters is None or filters.is_empty()) and (since or until):
            filters = SearchFilters(since=since, until=until)
        hits = self._retriever.search(topic, filters, max(_TIME_POOL, self._settings.retrieval.top_k))
        answer = self._extractive.answer_over_time(question, topic, hits, self._keywords.get(), filters)
        return answer.model_copy(update={"query": topic})

    def _use_llm(self) -> tuple[bool, str | None]:
        """Whether to ask the model, and a notice when auto mode skips it."""
        mode = self._settings.answers.mode
        if mode == "extractive":
            return False, None
        if not self._llm.configured:
            if mode == "llm":
                raise LanguageModelNotConfigured()
            return False, None
        if mode == "auto" and self._llm.cooling_down():
            return False, _COOLING_DOWN
        return True, None


def _ready(answer: Answer) -> Iterator[str | Answer]:
    yield from _chunks(answer.text)
    yield answer


def _chunks(text: str) -> Iterator[str]:
    """A ready answer streamed in a few pieces (sentence by sentence), as a model would."""
    yield from re.findall(r"\S.*?(?:[.!?](?=\s)|\n\n|$)\s*", text, flags=re.DOTALL)
