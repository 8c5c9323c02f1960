"""How one question becomes an answer, as a stream: the follow-up made standalone, retrieval,
the relevance gate, then the generated or the extractive answer.

Every path yields text deltas and then exactly one final ``Answer``, so channels have one code
path. The final answer is the authority: a generated answer's checked text may differ from
the deltas streamed before it (markers removed, unsupported sentences left out, or a fallback).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.conversation import HistoryItem, resolve
from assistant.errors import LanguageModelNotConfigured
from assistant.extractive import ExtractiveAnswerer
from assistant.models import Answer, SearchFilters, Verification
from assistant.ports import Embedder, LanguageModel, Retriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.keyword import KeywordCache

_COOLING_DOWN = "The language model could not be reached a moment ago; this answer quotes the digest."


class AnswerFlow:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        embedder: Embedder,
        keywords: KeywordCache,
        llm: LanguageModel,
    ):
        self._settings = settings
        self._retriever = retriever
        self._embedder = embedder
        self._keywords = keywords
        self._llm = llm

    def stream(
        self, question: str, history: Sequence[HistoryItem] | None, filters: SearchFilters | None
    ) -> Generator[str | Answer, None, None]:
        use_llm, notice = self._use_llm()
        outages = self._llm.outages
        standalone = resolve(question, history, filters, self._llm if use_llm and self._settings.llm.rewrite else None)
        if use_llm and self._llm.outages > outages:  # the rewrite found the endpoint down: do not wait again
            use_llm, notice = False, _COOLING_DOWN
        hits = self._retriever.search(standalone.query, standalone.filters, self._settings.retrieval.top_k)
        relevant = [h for h in hits if h.score >= self._settings.answers.min_relevance]

        def extractive(
            notice: str | None, verification: Verification | None = None, model: str | None = None
        ) -> Answer:
            answer = ExtractiveAnswerer(self._settings, self._embedder).answer(
                standalone.query, hits, self._keywords.get(), standalone.filters
            )
            return answer.model_copy(
                update={
                    "question": question,
                    "query": standalone.query,
                    "notice": notice,
                    "verification": verification,
                    "model": model,
                }
            )

        if not use_llm or not relevant:  # nothing relevant: "not in the digest", never the model's own knowledge
            answer = extractive(notice if relevant else None)
            yield from _chunks(answer.text)
            yield answer
            return
        from assistant.generated import GeneratedAnswerer

        def fallback(notice: str, verification: Verification | None) -> Answer:
            return extractive(notice, verification, self._llm.name)

        for item in GeneratedAnswerer(self._settings, self._embedder, self._llm).stream(
            standalone.query, relevant, fallback
        ):
            if isinstance(item, Answer):
                item = item.model_copy(update={"question": question, "query": standalone.query})
            yield item

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


def _chunks(text: str) -> Iterator[str]:
    """A ready answer streamed in a few pieces (sentence by sentence), as a model would."""
    yield from re.findall(r"\S.*?(?:[.!?](?=\s)|\n\n|$)\s*", text, flags=re.DOTALL)
