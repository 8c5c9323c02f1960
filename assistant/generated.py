"""The generated answer: the language model writes from numbered sources, its deltas stream
to the caller, and then its citations are checked. The caller gets the checked answer, or
the extractive one with a notice saying why when the model failed or too little held up.

Article text is data, also on the way out: whichever answer is given, text of the cited
articles that reads as an instruction to the assistant, or a link that is not an article's
own, is left out of it (its text, quotes, titles and bylines), and the notice says so."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from assistant.errors import LanguageModelError
from assistant.models import Answer, Article, Citation, Hit, Verification
from assistant.ports import Embedder, LanguageModel
from assistant.prompt import NOT_IN_SOURCES, answer_messages, build_sources
from assistant.quoting import quotable
from assistant.sentences import split_sentences
from assistant.settings import Settings
from assistant.verify import CitationVerifier, VerifiedText, drop_foreign_links, own_links, unsafe_source_text

QUOTES_INSTEAD = "this answer quotes the digest instead."
WITHHELD = "[withheld]"  # an article's title, author or magazine that reads as an instruction
LEFT_OUT = (
    "Article text that reads as an instruction to an assistant, or links that are not the articles' own, were left out."
)
NOTHING_LEFT = "The matching articles hold only text that reads as instructions to an assistant; nothing is quoted."
Fallback = Callable[[str, Verification | None], Answer]  # (notice, verification) -> the extractive answer


class GeneratedAnswerer:
    def __init__(self, settings: Settings, embedder: Embedder, llm: LanguageModel):
        self._settings = settings
        self._llm = llm
        self._verifier = CitationVerifier(embedder, settings.llm.support)

    def stream(self, question: str, hits: Sequence[Hit], fallback: Fallback) -> Iterator[str | Answer]:
        """Text deltas as the model writes, then one final ``Answer``. ``hits`` passed the relevance gate."""
        sources = build_sources(hits[: self._settings.llm.sources], self._settings.llm.source_words)
        articles = {h.article.id: h.article for h in hits}
        fallback = _scrubbed(fallback, articles)
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
            if checked.unsafe:
                reason += (
                    f"; {_count(len(checked.unsafe), 'sentence')} repeated instructions or links from article text"
                )
            verification = verification.model_copy(update={"fell_back": True, "reason": reason})
            why = (
                "repeated instructions or links from the articles' text"
                if checked.unsafe
                else "was not supported well enough by the digest"
            )
            yield fallback(f"The generated answer {why}; {QUOTES_INSTEAD}", verification)
            return
        answer = Answer(
            question=question,
            text=checked.text,
            mode="llm",
            citations=checked.citations,
            found=True,
            model=self._llm.name,
            verification=verification,
            notice=_notice(checked),
        )
        yield _scrub(answer, articles)


def _declined(text: str) -> bool:
    """An empty reply, or the model saying the sources do not answer the question."""
    said = text.lower()
    refusals = (NOT_IN_SOURCES[:-1].lower(), "the digest does not say")
    return not text or (len(text) < 3 * len(NOT_IN_SOURCES) and any(r in said for r in refusals))


def _notice(checked: VerifiedText) -> str | None:
    v = checked.verification
    parts = []
    if checked.unsafe:
        n = len(checked.unsafe)
        parts.append(
            f"{_count(n, 'generated sentence')} that repeated instructions found in the article text "
            f"or carried a link that is not the cited articles' own {'were' if n > 1 else 'was'} left out."
        )
    if len(v.unsupported) > len(checked.unsafe):
        n = len(v.unsupported) - len(checked.unsafe)
        parts.append(
            f"{_count(n, 'generated sentence')} not supported by the cited articles "
            f"{'were' if n > 1 else 'was'} left out."
        )
    if checked.dropped_links:
        n = checked.dropped_links
        parts.append(
            f"{_count(n, 'link')} that {'are' if n > 1 else 'is'} not the cited articles' own {'were' if n > 1 else 'was'} removed."
        )
    if v.removed_markers:
        parts.append(
            "Citations to sources that do not exist were removed: "
            + ", ".join(f"[{n}]" for n in v.removed_markers)
            + "."
        )
    return " ".join(parts) or None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _scrubbed(fallback: Fallback, articles: Mapping[str, Article]) -> Fallback:
    """The extractive fallback, with unsafe article text left out of it."""
    return lambda notice, verification: _scrub(fallback(notice, verification), articles)


def _scrub(answer: Answer, articles: Mapping[str, Article]) -> Answer:
    """``answer`` without the cited articles' unsafe text (``unsafe_source_text``): such sentences
    are cut from its text and quotes, such a title, author or magazine is shown as "[withheld]",
    and links that are not the cited articles' own are dropped. A citation with nothing left to
    quote goes, with its paragraphs. The notice says when anything was left out."""
    cited = [articles[c.article_id] for c in answer.citations if c.article_id in articles]
    replace: dict[str, str] = {}
    links: set[str] = set()
    for a in cited:
        own = own_links(a)
        links |= own
        for meta in (a.title, a.author, a.magazine):
            if meta and unsafe_source_text(meta, own):
                replace[meta] = WITHHELD
        for sentence in (s for block in (*a.takeaways, *a.summary) for s in split_sentences(block)):
            if unsafe_source_text(sentence, own):
                replace[sentence] = replace[quotable(sentence)] = ""
    text, dropped = drop_foreign_links(_replace(answer.text, replace), links)
    changed = dropped > 0 or text != answer.text
    citations: list[Citation] = []
    gone: set[int] = set()
    for c in answer.citations:
        fields = {
            k: replace.get(v, v) if v else v
            for k, v in (("title", c.title), ("author", c.author), ("magazine", c.magazine))
        }
        quotes = [drop_foreign_links(_replace(q, replace), links)[0] for q in c.quote.split(" … ")]
        quotes = [q for q in quotes if re.search(r"\w", q)]
        update = {**fields, "quote": " … ".join(quotes)}
        if any(update[k] != getattr(c, k) for k in update):
            changed = True
        if not quotes:
            gone.add(c.n)
        else:
            citations.append(c.model_copy(update=update))
    if not changed:
        return answer
    if gone:  # nothing left to quote: its paragraphs go, the others are renumbered
        text = "\n\n".join(p for p in text.split("\n\n") if not any(f"[{n}]" in p for n in gone))
        number = {c.n: i for i, c in enumerate(citations, start=1)}
        text = re.sub(r"\[(\d+)\]", lambda m: f"[{number.get(int(m.group(1)), m.group(1))}]", text)
        citations = [c.model_copy(update={"n": number[c.n]}) for c in citations]
    notice = " ".join(p for p in (answer.notice, LEFT_OUT) if p)
    return answer.model_copy(update={"text": text or NOTHING_LEFT, "citations": citations, "notice": notice})


def _replace(text: str, replace: Mapping[str, str]) -> str:
    """Each key of ``replace`` (longest first) replaced in ``text``; spaces tidied where text went."""
    out = text
    for old in sorted((k for k in replace if k), key=len, reverse=True):
        out = out.replace(old, replace[old])
    if out == text:
        return text
    lines = [
        re.sub(r"[ \t]+([.,;:!?])(?=\s|$)", r"\1", re.sub(r"[ \t]{2,}", " ", line)).strip() for line in out.split("\n")
    ]
    return "\n".join(lines)
