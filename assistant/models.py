"""Typed domain objects shared by the write path, the core and the channels."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Literal, overload

from pydantic import BaseModel, Field

EPOCH = date(1970, 1, 1)
MAX_WEEK = 99_999  # a weekly digest's issue number; anything above is a typo or a probe (Chroma's ints stop at 2**63)


@overload
def epoch_day(d: date) -> int: ...
@overload
def epoch_day(d: None) -> None: ...
def epoch_day(d: date | None) -> int | None:
    """Dates are stored as integers because Chroma compares ranges only on numbers."""
    return None if d is None else (d - EPOCH).days


def format_date(d: date | None) -> str:
    """ "November 7, 2024" (how the digest writes dates), or "" for no date. No ``%-d``:
    it is POSIX-only."""
    return f"{d:%B} {d.day}, {d.year}" if d is not None else ""


def slugify(text: str, max_len: int = 60) -> str:
    """ASCII, lowercase, hyphenated; cut at a word boundary so ids stay readable."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0]
    return slug or "untitled"


def make_article_id(week: int | None, title: str) -> str:
    """Stable id: the week and the title slug. Re-ingesting the same article gives the same id."""
    prefix = f"w{week}-" if week is not None else ""
    return prefix + slugify(title)


def match_key(text: str | None) -> str:
    """Key for exact-but-forgiving filter matches: case, accents, punctuation and a
    leading "The" or trailing "Magazine" do not matter ("Forbes Magazine" == "forbes")."""
    if not text:
        return ""
    key = slugify(text, max_len=200)
    key = re.sub(r"^the-", "", key)
    key = re.sub(r"-magazine$", "", key)
    return key


class Issue(BaseModel):
    """One weekly post: "Week 373, November 1-7, 2024"."""

    week: int | None = None
    dates: str = Field("", description="The date range as the page writes it, e.g. 'November 1-7, 2024'.")
    start: date | None = None
    end: date | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        if self.week is None:
            return self.dates
        return f"Week {self.week}, {self.dates}" if self.dates else f"Week {self.week}"


class Article(BaseModel):
    """One article block: the unit people cite and listen to."""

    id: str
    title: str
    author: str | None = None
    magazine: str | None = None
    published: date | None = None
    url: str | None = Field(None, description="The original article ('Read' link).")
    listen_url: str | None = None
    takeaways: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    summary: list[str] = Field(default_factory=list, description="Summary paragraphs, verbatim.")
    issue: Issue = Field(default_factory=Issue)
    source: str = Field("", description="Where it was read from (path or URL).")
    position: int = Field(0, description="Order on the weekly page, from 0.")

    @property
    def byline(self) -> str:
        parts = [p for p in (self.author, self.magazine, format_date(self.published)) if p]
        return " | ".join(parts)

    def content_hash(self) -> str:
        """Hash of the article's content. Where it was read from and its slot on the page
        are left out, so a moved file or a reordered page re-embeds nothing."""
        payload = self.model_dump(mode="json", exclude={"source", "position"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


class Passage(BaseModel):
    """A retrieval unit cut from an article. ``kind='head'`` is title, topics and takeaways."""

    id: str
    article_id: str
    seq: int
    kind: Literal["head", "summary"]
    text: str


class SearchFilters(BaseModel):
    """Filters applied to both the vector and the keyword retriever."""

    week_from: int | None = None
    week_to: int | None = None
    since: date | None = None
    until: date | None = None
    magazine: str | None = None
    author: str | None = None
    topic: str | None = None
    articles: list[str] | None = Field(
        None, description="Only these article ids (a follow-up searches within the previous answer's articles)."
    )

    def is_empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())


class PassageMatch(BaseModel):
    passage_id: str
    kind: Literal["head", "summary"]
    text: str
    similarity: float = Field(0.0, description="Cosine similarity to the query (0..1).")


class Hit(BaseModel):
    """One article found by search, with the passages that matched."""

    article: Article
    score: float = Field(description="Evidence score 0..1: passage cosine blended with question-word coverage.")
    similarity: float = Field(0.0, description="Best passage cosine similarity to the query.")
    passages: list[PassageMatch] = Field(default_factory=list)
    dense_rank: int | None = Field(None, description="Best rank of its passages on the dense side (None: not found).")
    keyword_rank: int | None = Field(None, description="Best rank of its passages on the keyword side.")


class Citation(BaseModel):
    n: int
    article_id: str
    title: str
    author: str | None
    magazine: str | None
    published: date | None
    week: int | None
    issue_dates: str
    issue_url: str | None
    url: str | None
    quote: str

    @classmethod
    def for_article(cls, n: int, article: Article, quote: str) -> Citation:
        return cls(
            n=n,
            article_id=article.id,
            title=article.title,
            author=article.author,
            magazine=article.magazine,
            published=article.published,
            week=article.issue.week,
            issue_dates=article.issue.dates,
            issue_url=article.issue.url,
            url=article.url,
            quote=quote,
        )

    @property
    def reference(self) -> str:
        """ "Week 373, November 1-7, 2024 · title · author · magazine"."""
        issue = f"Week {self.week}, {self.issue_dates}" if self.week is not None else self.issue_dates
        return " · ".join(p for p in (issue, self.title, self.author, self.magazine) if p)


class SentenceCheck(BaseModel):
    """One sentence of a generated answer, checked against the sources it cites."""

    text: str
    cited: list[int] = Field(default_factory=list, description="Source numbers the model cited (as it wrote them).")
    similarity: float = Field(0.0, description="Best cosine to a sentence of a cited article (any source if uncited).")
    supported: bool = False


class Verification(BaseModel):
    """What the citation check found in a generated answer."""

    sentences: int = Field(0, description="Sentences checked.")
    supported: int = 0
    removed_markers: list[int] = Field(default_factory=list, description="Markers that pointed to no source.")
    unsupported: list[SentenceCheck] = Field(default_factory=list, description="Sentences left out: not supported.")
    fell_back: bool = Field(False, description="Too little was supported: the extractive answer was given instead.")
    reason: str | None = Field(None, description="Why it fell back.")

    @property
    def supported_share(self) -> float:
        return self.supported / self.sentences if self.sentences else 0.0

    @property
    def all_verified(self) -> bool:
        """Every sentence supported and every marker pointing to a real source."""
        return self.sentences > 0 and self.supported == self.sentences and not self.removed_markers


class AnswerOrder(StrEnum):
    """How an answer's sources are ordered: best first, or one per issue, oldest first."""

    RELEVANCE = "relevance"
    TIME = "time"


class RelatedArticle(BaseModel):
    """A near article offered when the digest has no answer: something to read, not evidence."""

    article_id: str
    title: str
    week: int | None
    issue_dates: str

    @classmethod
    def for_article(cls, article: Article) -> RelatedArticle:
        return cls(article_id=article.id, title=article.title, week=article.issue.week, issue_dates=article.issue.dates)


class Answer(BaseModel):
    question: str
    text: str
    mode: Literal["extractive", "llm"] = "extractive"
    citations: list[Citation] = Field(default_factory=list)
    found: bool = Field(True, description="False when the digest has nothing relevant.")
    query: str | None = Field(None, description="The standalone question retrieval used (follow-ups rewritten).")
    model: str | None = Field(None, description="The language model that wrote the answer, or tried to.")
    verification: Verification | None = Field(None, description="The citation check of a generated answer.")
    notice: str | None = Field(None, description="A note for the user, e.g. why the answer quotes the digest.")
    related: list[RelatedArticle] = Field(
        default_factory=list,
        description="When the digest has no answer: up to 3 nearest articles, offered as reading, never as evidence.",
    )


class IssueListing(BaseModel):
    """An issue with its articles, for browsing."""

    issue: Issue
    articles: list[Article]


class TopicMatch(BaseModel):
    """Articles on a topic (newest first), or, when there are none, topics with a similar name."""

    topic: str
    articles: list[Article] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)


class SourceFailure(BaseModel):
    source: str
    error: str


class IngestReport(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    errors: list[SourceFailure] = Field(default_factory=list)
    articles_total: int = 0
    embedded: int = Field(0, description="Passage texts the model embedded.")
    reused: int = Field(
        0,
        description="Passages that got a vector without the model: stored (unchanged in an edited article) or "
        "met earlier in the ingest.",
    )
    provider: str | None = Field(None, description="The onnxruntime execution provider that embedded, if any did.")
    problems: list[str] = Field(
        default_factory=list, description="What the quick integrity check found after the ingest (normally none)."
    )


# --- integrity ------------------------------------------------------------------------------
FindingKind = Literal[
    "interrupted-write",
    "keyword-index",
    "orphan-passages",
    "missing-passages",
    "unreadable-articles",
    "stale-metadata",
    "bad-vectors",
    "count-mismatch",
    "awaiting-ingest",
    "duplicate-weeks",
    "removed-outside",
    "old-layout",
]


class Finding(BaseModel):
    """One thing `assistant check` found wrong with the index."""

    kind: FindingKind
    severity: Literal["error", "warning"] = "error"
    problem: str = Field(description="One line: what is wrong and how much of it.")
    ids: list[str] = Field(default_factory=list, description="Up to 20 of the records concerned.")
    fix: str = Field(description="What `--repair` does about it, or what the user must do.")
    repairable: bool = Field(description="`--repair` fixes it without re-embedding.")


class IntegrityReport(BaseModel):
    """What `assistant check` found: counts, the findings, and what a repair did."""

    location: str
    embedding_model: str
    revision: str
    articles: int
    passages: int
    full: bool = Field(description="False: only the quick checks that run after every ingest.")
    findings: list[Finding] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list, description="What `--repair` did, one line each.")

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


# --- audio ----------------------------------------------------------------------------------
class AudioFormat(StrEnum):
    """The audio files the assistant makes: WAV, MP3 (web players) and OGG/Opus (Telegram voice notes)."""

    WAV = "wav"
    MP3 = "mp3"
    OGG = "ogg"

    @classmethod
    def choices(cls) -> str:
        """ "wav, mp3 or ogg", for messages."""
        names = [f.value for f in cls]
        return ", ".join(names[:-1]) + " or " + names[-1]

    @property
    def media_type(self) -> str:
        return {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}[self.value]


def clock(seconds: float) -> str:
    """ "m:ss", as audio players show a position or a length."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


class Chapter(BaseModel):
    """Where a part of an episode starts, for players (Podcasting 2.0 chapters use the same shape)."""

    start: float = Field(description="Seconds from the start of the audio.")
    title: str


class AudioClip(BaseModel):
    """Spoken audio of an article, an issue, an answer or free text, stored in the audio cache."""

    path: str = Field(description="The audio file (inside the cache folder).")
    format: AudioFormat
    duration: float = Field(description="Seconds.")
    sample_rate: int
    engine: str = Field(description="The engine that really produced the audio (after any fallback).")
    voice: str
    title: str = Field("", description="What is spoken, e.g. the article title or 'Week 373'.")
    chapters: list[Chapter] = Field(default_factory=list)
    cached: bool = Field(False, description="Served from the cache without synthesis.")
    key: str = Field("", description="Content hash of text, engine, voice, rate and format.")
    bytes: int = 0
