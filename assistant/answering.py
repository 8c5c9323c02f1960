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

from assistant.about import about_articles
from assistant.conversation import HistoryItem, previous_turn, resolve
from assistant.errors import LanguageModelNotConfigured
from assistant.extractive import ExtractiveAnswerer
from assistant.follow_ups import FollowUpSearch
from assistant.models import Answer, AnswerOrder, Article, SearchFilters, Verification
from assistant.ports import Embedder, LanguageModel, Retriever
from assistant.questions import about_answer, read, time_topic, years_named
from assistant.sentence_vectors import SentenceVectors
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.keyword import KeywordCache
    from assistant.store import DigestStore

_COOLING_DOWN = "The language model could not be reached a moment ago; this answer quotes the digest."
_TIME_POOL = 20  # articles searched for an answer over time (one point per issue is kept)


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
        self._follow_ups = FollowUpSearch(settings, retriever, store)

    def stream(
        self,
        question: str,
        history: Sequence[HistoryItem] | None,
        filters: SearchFilters | None,
        order: AnswerOrder | None = None,
    ) -> Generator[str | Answer, None, None]:
        asked = about_answer(question)
        if asked is not None:
            before = previous_turn(question, history)
            articles = self._follow_ups.previous_articles(before, self._cited_by) if before.previous else []
            yield from _ready(about_articles(question, asked, articles).model_copy(update={"query": question}))
            return
        if order is AnswerOrder.TIME or (order is None and read(question).over_time):
            yield from _ready(self._over_time(question, history, filters))
            return
        use_llm, notice = self._use_llm()
        outages = self._llm.outages
        standalone = resolve(question, history, filters, self._llm if use_llm and self._settings.llm.rewrite else None)
        if use_llm and self._llm.outages > outages:  # the rewrite found the endpoint down: do not wait again
            use_llm, notice = False, _COOLING_DOWN
        keywords = self._keywords.get()
        previous = self._follow_ups.previous_articles(standalone, self._cited_by) if standalone.focus else []
        refused = None
        for plan in self._follow_ups.plans(standalone, keywords, previous):
            hits, focus = plan.hits, plan.focus
            selection = self._extractive.select(focus, hits, keywords, standalone.filters)
            if selection.verdict.answerable and plan.answers(selection.windows[0] if selection.windows else None):
                break
            if refused is None or not plan.within_previous:
                refused = (hits, focus, selection)  # a refusal offers what the whole digest has nearby
        else:
            if refused is not None:
                hits, focus, selection = refused
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

    def _cited_by(self, question: str, filters: SearchFilters | None) -> list[Article]:
        """The articles an answer to ``question`` cites (for a previous turn kept as text only)."""
        hits = self._retriever.search(question, filters, self._settings.retrieval.top_k)
        selection = self._extractive.select(question, hits, self._keywords.get(), filters)
        return [h.article for h in selection.hits] if selection.verdict.answerable else []

    def _over_time(self, question: str, history: Sequence[HistoryItem] | None, filters: SearchFilters | None) -> Answer:
        topic = time_topic(question)
        if topic == question and history:  # "How has that changed over time?": the previous subject
            topic = time_topic(previous_turn(question, history).previous_query or question)
        since, until = years_named(question)
        searched = filters
        if (filters is None or filters.is_empty()) and (since or until):
            searched = SearchFilters(since=since, until=until)  # the question's own years, not the user's filters
        hits = self._retriever.search(topic, searched, max(_TIME_POOL, self._settings.retrieval.top_k))
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
