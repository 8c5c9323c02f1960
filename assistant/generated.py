"""The generated answer: the language model writes from numbered sources, its deltas stream
to the caller, and then its citations are checked. The caller gets the checked answer, or
the extractive one with a notice saying why when the model failed or too little held up."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from assistant.errors import LanguageModelError
from assistant.models import Answer, Hit, Verification
from assistant.ports import Embedder, LanguageModel
from assistant.prompt import NOT_IN_SOURCES, answer_messages, build_sources
from assistant.settings import Settings
from assistant.verify import CitationVerifier

QUOTES_INSTEAD = "this answer quotes the digest instead."
Fallback = Callable[[str, Verification | None], Answer]  # (notice, verification) -> the extractive answer


class GeneratedAnswerer:
    def __init__(self, settings: Settings, embedder: Embedder, llm: LanguageModel):
        self._settings = settings
        self._llm = llm
        self._verifier = CitationVerifier(embedder, settings.llm.support)

    def stream(self, question: str, hits: Sequence[Hit], fallback: Fallback) -> Iterator[str | Answer]:
        """Text deltas as the model writes, then one final ``Answer``. ``hits`` passed the relevance gate."""
        sources = build_sources(hits[: self._settings.llm.sources], self._settings.llm.source_words)
        raw: list[str] = []
        try:
            for delta in self._llm.stream(answer_messages(question, sources)):
                raw.append(delta)
                yield delta
        except LanguageModelError as exc:
            yield fallback(f"{exc} So {QUOTES_INSTEAD}", None)
            return
        text = "".join(raw).strip()
        if _declined(text):
            reason = "the language model found no answer in its sources"
            yield fallback(
                f"The language model found no answer in its sources; {QUOTES_INSTEAD}",
                Verification(fell_back=True, reason=reason),
            )
            return
        checked = self._verifier.verify(text, sources)
        verification = checked.verification
        share = verification.supported_share
        if not checked.citations or share < self._settings.llm.min_supported:
            reason = (
                f"only {verification.supported} of {verification.sentences} generated sentences were supported "
                f"by their sources ({share:.0%} < {self._settings.llm.min_supported:.0%})"
                if verification.sentences
                else "the generated answer had no sentence that could be checked"
            )
            verification = verification.model_copy(update={"fell_back": True, "reason": reason})
            yield fallback(
                f"The generated answer was not supported well enough by the digest; {QUOTES_INSTEAD}", verification
            )
            return
        yield Answer(
            question=question,
            text=checked.text,
            mode="llm",
            citations=checked.citations,
            found=True,
            model=self._llm.name,
            verification=verification,
            notice=_notice(verification),
        )


def _declined(text: str) -> bool:
    """An empty reply, or the model saying the sources do not answer the question."""
    said = text.lower()
    refusals = (NOT_IN_SOURCES[:-1].lower(), "the digest does not say")
    return not text or (len(text) < 3 * len(NOT_IN_SOURCES) and any(r in said for r in refusals))


def _notice(v: Verification) -> str | None:
    parts = []
    if v.unsupported:
        n = len(v.unsupported)
        parts.append(
            f"{n} generated sentence{'s' if n > 1 else ''} not supported by the cited articles "
            f"{'were' if n > 1 else 'was'} left out."
        )
    if v.removed_markers:
        parts.append(
            "Citations to sources that do not exist were removed: "
            + ", ".join(f"[{n}]" for n in v.removed_markers)
            + "."
        )
    return " ".join(parts) or None
