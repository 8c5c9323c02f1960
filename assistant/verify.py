"""Checking a generated answer against its sources, sentence by sentence.

- A marker that points to no source ([7] with three sources) is removed.
- A sentence counts as supported when its meaning is close (cosine >= ``llm_support``) to a
  sentence of a source it cites, at least half of its content words occur in that source, and
  every number in it does. Cosine alone passes an invented claim on the source's topic (about
  0.4-0.65 with MiniLM); the word check catches most of those. A sentence with no marker may
  be supported by any source, and then cites the one that supports it.
- Questions, echoed titles and the prompt's own labels ("Question: …") are not claims and are
  dropped before the check: small models echo them, and each would look supported.
- Unsupported sentences are left out and listed in the verification. Whether enough is left
  to show is the caller's decision (``GeneratedAnswerer``).
- Kept sources are renumbered 1..n in order of first use, like the extractive answer's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.models import Citation, SentenceCheck, Verification
from assistant.ports import Embedder
from assistant.prompt import Source
from assistant.sentences import split_sentences
from assistant.terms import analyze

_MARKER = re.compile(r"\s*\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
# Markers written after the full stop ("… costs. [2] Then …") belong to the sentence before.
_MARKER_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SCAFFOLD = re.compile(
    r"^(?:question|answer(?: with)?|sources?|title|issue|magazine|author|published|text|q|a)\b[^:]{0,20}:|^&lt;|^</?source",
    re.IGNORECASE,
)
_MIN_WORDS = 4  # shorter bits ("In short:") are kept but not checked
_MIN_WORD_SHARE = 0.5  # of a sentence's content words that must occur in its source


@dataclass
class _Claim:
    paragraph: int
    text: str  # without markers
    cited: list[int]  # as the model wrote them, valid ones only
    check: SentenceCheck | None = None  # None: too short to check
    support: int | None = None  # the source number that supports it
    evidence: str = ""  # that source's closest sentence


@dataclass
class VerifiedText:
    text: str
    citations: list[Citation]
    verification: Verification


class CitationVerifier:
    def __init__(self, embedder: Embedder, support: float):
        self._embedder = embedder
        self._support = support

    def verify(self, raw: str, sources: Sequence[Source]) -> VerifiedText:
        by_n = {s.n: s for s in sources}
        claims, removed = _parse(raw, set(by_n))
        titles = [set(analyze(s.article.title)) for s in sources]
        claims = [c for c in claims if not _is_echo(c.text, titles)]
        checked = [c for c in claims if len(c.text.split()) >= _MIN_WORDS]
        if checked:
            self._check(checked, sources)
        kept = [c for c in claims if c.check is None or c.check.supported]
        verification = Verification(
            sentences=len(checked),
            supported=sum(c.check.supported for c in checked if c.check),
            removed_markers=sorted(set(removed)),
            unsupported=[c.check for c in checked if c.check and not c.check.supported],
        )
        text, citations = _compose(kept, by_n)
        return VerifiedText(text, citations, verification)

    def _check(self, claims: list[_Claim], sources: Sequence[Source]) -> None:
        claim_vectors = self._embedder.embed([c.text for c in claims])
        # Titles are left out here: a sentence that only repeats a title answers nothing.
        source_sentences = [(s.n, sentence) for s in sources for sentence in s.sentences]
        source_vectors = self._embedder.embed([sentence for _, sentence in source_sentences])
        similarity = claim_vectors @ source_vectors.T  # claims x source sentences
        owners = np.array([n for n, _ in source_sentences])
        texts = {s.n: _searchable(s) for s in sources}  # where a claim's numbers must appear
        words = {n: set(analyze(text)) for n, text in texts.items()}
        for i, claim in enumerate(claims):
            allowed = claim.cited or sorted(texts)  # uncited: any source may support it
            best_sim, best_n, best_j = -1.0, None, -1
            for n in allowed:
                cols = np.flatnonzero(owners == n)
                if cols.size == 0:
                    continue
                j = int(cols[np.argmax(similarity[i, cols])])
                if similarity[i, j] > best_sim:
                    best_sim, best_n, best_j = float(similarity[i, j]), n, j
            supported = (
                best_n is not None
                and best_sim >= self._support
                and _word_share(claim.text, words[best_n]) >= _MIN_WORD_SHARE
                and all(num in texts[best_n] for num in _NUMBER.findall(claim.text))
            )
            claim.check = SentenceCheck(
                text=claim.text, cited=claim.cited, similarity=round(max(best_sim, 0.0), 4), supported=supported
            )
            if supported:
                claim.support = best_n
                claim.evidence = source_sentences[best_j][1]


def _is_echo(text: str, titles: list[set[str]]) -> bool:
    """Not a claim: a question, the prompt's own scaffolding, or a bare source title (small
    models echo all three, and each would look "supported")."""
    if text.endswith("?") or _SCAFFOLD.match(text):
        return True
    stems = set(analyze(text))
    return bool(stems) and any(stems <= title for title in titles)


def _word_share(text: str, source_words: set[str]) -> float:
    stems = set(analyze(text))
    return len(stems & source_words) / len(stems) if stems else 1.0


def _searchable(source: Source) -> str:
    a = source.article
    return " ".join([source.text, a.title, a.issue.label, str(a.published or "")]).lower()


def _parse(raw: str, valid: set[int]) -> tuple[list[_Claim], list[int]]:
    claims: list[_Claim] = []
    removed: list[int] = []
    seen: set[str] = set()
    paragraphs = [p for p in re.split(r"\n\s*\n", raw.strip()) if p.strip()]
    for pi, paragraph in enumerate(paragraphs):
        paragraph = _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), paragraph)
        for sentence in split_sentences(paragraph):
            numbers = [int(x) for group in _MARKER.findall(sentence) for x in re.split(r"[,;]", group)]
            cited = list(dict.fromkeys(n for n in numbers if n in valid))
            removed.extend(n for n in numbers if n not in valid)
            text = " ".join(_MARKER.sub("", sentence).split())
            text = re.sub(r"\s+([.!?,;:])", r"\1", text)
            if text and text.lower() not in seen:  # small models loop: say each sentence once
                seen.add(text.lower())
                claims.append(_Claim(pi, text, cited))
    if claims and not re.search(r"[.!?\"”)]$", claims[-1].text):
        claims.pop()  # cut off by the token limit mid-sentence
    return claims, removed


def _compose(claims: list[_Claim], by_n: dict[int, Source]) -> tuple[str, list[Citation]]:
    """Sentences with markers renumbered by first use, and one citation per source kept."""
    renumber: dict[int, int] = {}
    evidence: dict[int, list[str]] = {}
    paragraphs: dict[int, list[str]] = {}
    for claim in claims:
        cites = [claim.support] if claim.support is not None else []
        for n in cites:
            renumber.setdefault(n, len(renumber) + 1)
            if claim.evidence and claim.evidence not in evidence.setdefault(n, []):
                evidence[n].append(claim.evidence)
        markers = "".join(f"[{renumber[n]}]" for n in cites)
        sentence = claim.text
        if markers:
            stop = sentence[-1] if sentence[-1] in ".!?" else ""
            sentence = f"{sentence[:-1] if stop else sentence} {markers}{stop}"
        paragraphs.setdefault(claim.paragraph, []).append(sentence)
    text = "\n\n".join(" ".join(p) for _, p in sorted(paragraphs.items()))
    citations = [
        Citation.for_article(new, by_n[old].article, " … ".join(evidence.get(old, [])) or by_n[old].text[:300])
        for old, new in sorted(renumber.items(), key=lambda kv: kv[1])
    ]
    return text, citations
