"""A synthetic digest of any size, made from the bundled sample digest's own text.

The speed benchmark needs thousands of articles that look like the real ones: the same
magazines in the same proportions, the same length of summary, real business sentences.
Every article here is recombined from the sample (58 articles): its title is two sample
titles spliced, its summary mostly follows one sample article's sentences with others
mixed in, its takeaways and topics come from the sample. Issues run backwards from week
454 (May 22-28, 2026), ten articles a week (more when the corpus would otherwise run past
week 1), The Meridian in the first slot.

Deterministic: the same ``n_articles`` and ``seed`` give the same bytes.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

from assistant.models import make_article_id, slugify

FIRST_WEEK = 454
FIRST_WEEK_START = date(2026, 5, 22)  # "Week 454, May 22-28, 2026" in the sample
ARTICLES_PER_WEEK = 10
FIRST_SLOT_MAGAZINE = "The Meridian"
SUMMARY_WORDS = (250, 350)  # the sample's summaries: mean 267 words, most 220-330
PARAGRAPHS = (3, 5)
SENTENCES_PER_PARAGRAPH = (3, 5)
TAKEAWAYS = (2, 3)
TOPICS = (3, 5)
_PRIMARY_SHARE = 0.6  # share of summary sentences taken, in order, from one sample article

_STOP = frozenset(
    """a an the and or but if then than that this these those there their they them it its
    is are was were be been being has have had do does did of in on at to for from by with
    as into about over under after before between through during without within among per
    not no nor so such too very can could would should will may might must shall also more
    most less least much many few some any each every all both other another one two three
    he she his her him we our us you your i me my who whom whose which what when where why
    how while because since until though although yet still just only even again ever never
    up down out off here now new said says say according percent per cent rather around like
    well back instead across already often almost always usually later first last year years
    found find finds told""".split()
)
# Words a title's second half may start with: verbs and prepositions that link two halves.
_SEAM = frozenset(
    """are is was has have can will need needs lose loses make makes win wins join joins get gets
    change changes turn turning come comes keep keeps rebuild limit eat eating outlast outgrow
    without for behind beyond before after against when""".split()
)
_WHOLE = re.compile(r"^[\"“‘(\[]?[A-Z0-9].*[.!?][\"”’)\]]*$", re.DOTALL)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")

_QUESTION_TEMPLATES = (
    "What did the digest say about {words}?",
    "What does the research say about {words}?",
    "How do companies deal with {words}?",
    "What are the risks of {words}?",
    "Is there anything on {words}?",
    "What should leaders know about {words}?",
)
_TOPIC_TEMPLATES = (
    "How do companies approach {topic}?",
    "What did the digest say about {topic}?",
    "What are the latest findings on {topic}?",
    "What did the digest say about {topic} and {words}?",
    "Anything on {topic}, in particular {words}?",
)


@dataclass(frozen=True)
class _Source:
    """One sample article, reduced to what recombination needs."""

    title: str
    magazine: str | None
    author: str | None
    position: int
    takeaways: tuple[str, ...]
    topics: tuple[str, ...]
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class _Material:
    articles: tuple[_Source, ...]
    sentences: tuple[str, ...]  # every summary sentence of the sample
    takeaways: tuple[str, ...]
    topics: tuple[str, ...]
    titles: frozenset[str]
    first_slot: tuple[tuple[str | None, str | None], ...]  # (magazine, author) of The Meridian articles
    other_slots: tuple[tuple[str | None, str | None], ...]  # (magazine, author) of the other slots


@lru_cache(maxsize=1)
def sample_articles() -> tuple:
    """The bundled sample digest (index/sample), parsed: Articles with their issue positions."""
    import assistant.offline  # noqa: F401
    from assistant.errors import SourceError
    from assistant.settings import Settings
    from index.parse import parse_document
    from index.pipeline import SAMPLE_DIR
    from index.sources import read_sources

    settings = Settings(_env_file=None, home=Path("unused"), chroma_host=None)
    found = {}
    for doc in read_sources([str(SAMPLE_DIR)], settings):
        if isinstance(doc, SourceError):
            raise RuntimeError(f"the bundled sample did not read: {doc}")
        for position, a in enumerate(parse_document(doc)):
            a.position = position
            found.setdefault(a.id, a)
    return tuple(found[k] for k in sorted(found))


@lru_cache(maxsize=1)
def sample_material() -> _Material:
    """The bundled sample digest, reduced to pools of real text and metadata."""
    from assistant.sentences import split_sentences

    articles: dict[str, _Source] = {}
    for a in sample_articles():
        # Only whole sentences that stay whole when recombined: "...pay people:" before a
        # list would merge with whatever follows it.
        sentences = tuple(
            s for p in a.summary for s in split_sentences(p) if _WHOLE.match(s) and split_sentences(s) == [s]
        )
        articles[a.id] = _Source(
            a.title,
            a.magazine,
            a.author,
            a.position,
            tuple(a.takeaways),
            tuple(t for t in a.topics if len(t.split()) <= 4),
            sentences,
        )
    sources = tuple(articles[k] for k in sorted(articles))
    if not sources:
        raise RuntimeError("the bundled sample holds no articles")
    first = tuple((s.magazine, s.author) for s in sources if s.magazine == FIRST_SLOT_MAGAZINE)
    others = tuple((s.magazine, s.author) for s in sources if s.magazine != FIRST_SLOT_MAGAZINE or s.position != 0)
    return _Material(
        articles=sources,
        sentences=tuple(s for a in sources for s in a.sentences),
        takeaways=tuple(t for a in sources for t in a.takeaways),
        topics=tuple(sorted({t for a in sources for t in a.topics})),
        titles=frozenset(a.title for a in sources),
        first_slot=first or tuple((s.magazine, s.author) for s in sources),
        other_slots=others or tuple((s.magazine, s.author) for s in sources),
    )


# --- issues -------------------------------------------------------------------------------


def week_start(week: int) -> date:
    """First day of a synthetic issue: weeks are 7 days apart, anchored on week 454."""
    return FIRST_WEEK_START - timedelta(days=7 * (FIRST_WEEK - week))


def issue_dates(start: date) -> str:
    """The page's way of writing a week: "May 22-28, 2026", "May 29-June 4, 2026",
    "December 26, 2025 to January 1, 2026"."""
    end = start + timedelta(days=6)
    if start.year != end.year:
        return f"{start:%B} {start.day}, {start.year} to {end:%B} {end.day}, {end.year}"
    if start.month != end.month:
        return f"{start:%B} {start.day}-{end:%B} {end.day}, {end.year}"
    return f"{start:%B} {start.day}-{end.day}, {end.year}"


# --- articles -----------------------------------------------------------------------------


def _title(rng: random.Random, m: _Material, used: set[str], week: int, parts: dict[str, int]) -> str:
    """Two sample titles spliced at a seam: the head of one ("Why Most Factory AI Pilots")
    and the tail of another that starts with a linking word ("Are Eating the Ad Budget").
    Never a sample title, never one used before, and never one whose id (the week and a
    slug cut at 60 characters) is taken: two long titles can share their first 60 characters.
    The seams give about 7,500 titles; after that, "Part n: <sample title>" (``parts`` holds
    each sample title's last n, so a 100,000-article corpus does not rescan them)."""
    titles = _sorted_titles(m.titles)
    for _ in range(500):
        a, b = rng.sample(titles, 2) if len(titles) > 1 else (titles[0], titles[0])
        (wa, heads), (wb, tails) = _seams(a)[:2], _seams(b)[::2]
        if not heads or not tails:
            continue
        words = wa[: rng.choice(heads)] + wb[rng.choice(tails) :]
        title = " ".join(words).strip(" :,;—–-")
        if 4 <= len(words) <= 14 and title not in m.titles and title not in used and _free(used, week, title):
            used.update((title, make_article_id(week, title)))
            return title
    base = rng.choice(titles)
    n = parts.get(base, 1) + 1
    while not _free(used, week, f"Part {n}: {base}"):
        n += 1
    parts[base] = n
    used.update((f"Part {n}: {base}", make_article_id(week, f"Part {n}: {base}")))
    return f"Part {n}: {base}"


@lru_cache(maxsize=4)
def _sorted_titles(titles: frozenset[str]) -> list[str]:
    return sorted(titles)


@cache
def _seams(title: str) -> tuple[list[str], list[int], list[int]]:
    """A title's words, where a head may end, and where a tail may start."""
    w = title.split()
    heads = [i for i in range(2, len(w)) if _bare(w[i - 1]) not in _STOP and w[i - 1][-1].isalnum()]
    tails = [j for j in range(1, len(w) - 1) if _bare(w[j]) in _SEAM and _bare(w[j - 1]) not in _STOP]
    return w, heads, tails


def _free(used: set[str], week: int, title: str) -> bool:
    return title not in used and make_article_id(week, title) not in used


def _bare(word: str) -> str:
    return word.strip(":,;.?!—–-‘’'\"“”").lower()


def _summary(rng: random.Random, m: _Material, primary: _Source) -> list[str]:
    """3-5 paragraphs of 3-5 sentences, 250-350 words: the primary article's sentences in
    order, about 40% of them swapped for sentences from elsewhere in the sample."""
    target = rng.randint(*SUMMARY_WORDS)
    own = list(primary.sentences) or [rng.choice(m.sentences)]
    max_sentences = PARAGRAPHS[1] * SENTENCES_PER_PARAGRAPH[1]
    min_sentences = PARAGRAPHS[0] * SENTENCES_PER_PARAGRAPH[0]
    picked: list[str] = []
    words = 0
    i = 0
    while (words < target or len(picked) < min_sentences) and len(picked) < max_sentences:
        if rng.random() < _PRIMARY_SHARE:
            sentence = own[i % len(own)]
            i += 1
        else:
            sentence = rng.choice(m.sentences)
        if sentence in picked:
            sentence = rng.choice(m.sentences)
            if sentence in picked:
                continue
        picked.append(sentence)
        words += len(sentence.split())
    # Too long (many long sentences): drop from the end while the shape still holds.
    while words > SUMMARY_WORDS[1] and len(picked) > min_sentences:
        words -= len(picked.pop().split())
    # Paragraph sizes: between 3 and 5 paragraphs, each 3-5 sentences, summing to len(picked).
    k = len(picked)
    lo = max(PARAGRAPHS[0], -(-k // SENTENCES_PER_PARAGRAPH[1]))
    hi = min(PARAGRAPHS[1], k // SENTENCES_PER_PARAGRAPH[0])
    n_par = rng.randint(lo, hi)
    sizes = [SENTENCES_PER_PARAGRAPH[0]] * n_par
    for _ in range(k - sum(sizes)):
        room = [j for j, s in enumerate(sizes) if s < SENTENCES_PER_PARAGRAPH[1]]
        sizes[rng.choice(room)] += 1
    paragraphs, start = [], 0
    for size in sizes:
        paragraphs.append(" ".join(picked[start : start + size]))
        start += size
    return paragraphs


def _takeaways(rng: random.Random, m: _Material, primary: _Source) -> list[str]:
    n = rng.randint(*TAKEAWAYS)
    own = list(primary.takeaways)
    if len(own) >= n:
        keep = sorted(rng.sample(range(len(own)), n))
        return [own[j] for j in keep]
    pool = [t for t in m.takeaways if t not in own] or list(m.sentences)
    return own + rng.sample(pool, n - len(own))


def _topics(rng: random.Random, m: _Material, primary: _Source) -> list[str]:
    n = rng.randint(*TOPICS)
    own = list(primary.topics)
    rng.shuffle(own)
    chosen = own[:n]
    pool = [t for t in m.topics if t not in chosen]
    chosen += rng.sample(pool, min(n - len(chosen), len(pool)))
    return chosen


def _record(
    rng: random.Random, m: _Material, week: int, slot: int, used_titles: set[str], parts: dict[str, int]
) -> dict:
    start = week_start(week)
    magazine, author = rng.choice(m.first_slot if slot == 0 else m.other_slots)
    primary = rng.choice(m.articles)
    title = _title(rng, m, used_titles, week, parts)
    published = start - timedelta(days=rng.randint(1, 6))
    record: dict = {
        "id": make_article_id(week, title),
        "title": title,
        "author": author,
        "magazine": magazine,
        "published": published.isoformat(),
        "week": week,
        "issue_dates": issue_dates(start),
        "url": f"https://example-publisher.test/{slugify(magazine or 'digest')}/{published:%Y/%m/%d}/{slugify(title)}",
        "issue_url": f"https://digest.example.test/{start:%Y/%m/%d}/weekly-business-insights-week-{week}/",
        "takeaways": _takeaways(rng, m, primary),
        "topics": _topics(rng, m, primary),
        "summary": _summary(rng, m, primary),
    }
    return {k: v for k, v in record.items() if v is not None}


def articles_per_week(n_articles: int, per_week: int = ARTICLES_PER_WEEK) -> int:
    """``per_week``, raised just enough that ``n_articles`` fit in weeks 454..1."""
    return max(per_week, -(-n_articles // FIRST_WEEK))


def generate(n_articles: int, seed: int = 0, per_week: int = ARTICLES_PER_WEEK) -> list[dict]:
    """The records of a synthetic digest: ``per_week`` articles a week from week 454 backwards.

    Week 1 is the oldest issue, so a corpus larger than 454 weeks' worth packs more articles
    into each week (5,000 articles: 12 a week) rather than inventing weeks before week 1.
    """
    if n_articles < 0 or per_week < 1:
        raise ValueError("n_articles must be >= 0 and per_week >= 1")
    per_week = articles_per_week(n_articles, per_week)
    m = sample_material()
    rng = random.Random(seed)
    used_titles: set[str] = set()
    parts: dict[str, int] = {}
    records = []
    for i in range(n_articles):
        week, slot = FIRST_WEEK - i // per_week, i % per_week
        records.append(_record(rng, m, week, slot, used_titles, parts))
    return records


def write_corpus(path: Path, n_articles: int, seed: int = 0, per_week: int = ARTICLES_PER_WEEK) -> Path:
    """Write ``n_articles`` synthetic articles to ``path`` as JSONL (one record a line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=False) for r in generate(n_articles, seed, per_week)]
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path


# --- questions ----------------------------------------------------------------------------


def _phrases(sentence: str) -> list[str]:
    """Runs of 2-4 adjacent content words, not crossing punctuation ("digital cash transfers")."""
    runs: list[list[str]] = [[]]
    for token in sentence.replace("’", "'").split():
        word = token.strip("\"“”‘'()[]")
        bare = word.rstrip(".,;:!?")
        if _WORD.fullmatch(bare) and bare.lower() not in _STOP and len(bare) > 2:
            runs[-1].append(bare if bare.isupper() or bare[1:].lower() != bare[1:] else bare.lower())
        else:
            runs.append([])
            continue
        if bare != word or token != word:  # punctuation ends a run
            runs.append([])
    return [" ".join(r[-4:]) for r in runs if len(r) >= 2]


def queries(n: int, seed: int = 0) -> list[str]:
    """``n`` realistic questions about the sample's subjects, not copied sentences: a phrase of
    adjacent content words from a random summary sentence and/or a topic, in a question template."""
    m = sample_material()
    rng = random.Random(f"queries-{seed}")
    out: list[str] = []
    while len(out) < n:
        phrase = ""
        for _ in range(20):
            found = _phrases(rng.choice(m.sentences))
            if found:
                phrase = rng.choice(found)
                break
        topic = rng.choice(m.topics).lower() if m.topics else ""
        if topic and (not phrase or rng.random() < 0.35):
            template = rng.choice(_TOPIC_TEMPLATES if phrase else _TOPIC_TEMPLATES[:3])
            question = template.format(topic=topic, words=phrase)
        else:
            question = rng.choice(_QUESTION_TEMPLATES).format(words=phrase or "business strategy")
        out.append(question)
    return out
