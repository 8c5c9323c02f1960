"""Hypothesis strategies for the fuzz targets (``evals/fuzz_targets.py``): hostile text, and digest
pages, records and posts built from a model, so a parser's output can be checked against what
was written.

Hostile text mixes what real sources and models send and what breaks text handling: lone
surrogates (JSON "\\ud800", a model's stream cut inside an emoji), C0/C1 controls, odd and
zero-width spaces, bidi marks, astral emoji, words and whitespace runs of thousands of
characters, deep nesting, HTML, entity and Markdown fragments, digest furniture, long and
non-http URLs.

Hypothesis spends ~50 µs a draw, so the secondary fields of an object (an author, a topic) are
one draw from ``POOL``, hostile strings made once from the same fragments, and page words come
from a seeded phrase; the fields a target is about get ``hostile_text``, which shrinks to the
few pieces that matter.
"""

from __future__ import annotations

import calendar
import functools
import html
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hypothesis import strategies as st

from assistant.models import (
    MAX_WEEK,
    Answer,
    Article,
    AudioClip,
    AudioFormat,
    Chapter,
    Citation,
    Issue,
    IssueListing,
    RelatedArticle,
)

# --- fragments ------------------------------------------------------------------------------

CONTROL_CHARS = [chr(c) for c in range(0x20)] + ["\x7f", "\x80", "\x85", "\x9f", "\ufffe", "\uffff"]
SURROGATE_CHARS = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00"]
SPACE_CHARS = [" ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\r\n\r\n", "\xa0", "\u202f", "\u2007", "\u2009"]
SPACE_CHARS += ["\u3000", "\u1680", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u200b"]
SPACE_CHARS += ["\ufeff"]
MARK_CHARS = ["\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067"]
MARK_CHARS += ["\u2068", "\u2069", "\u200c", "\u200d", "\u2060", "\u00ad", "\u0301", "\u0308", "\u20e3", "\ufe0f"]
EMOJI_CHARS = ["😀", "👩‍💻", "🇺🇸", "𝕏", "🏳️‍🌈", "👍🏽", "🔊", "🎧", "\U0010fffd", "\U0001f600\u200d", "𐍈", "ﷺ"]
EMOJI_CHARS += ["ẞ", "İ", "ǅ"]
HTML_BITS = ["<", ">", "</", "<>", "<b>", "</b>", "<i>", "</i>", "<a>", "</a>", '<a href="', "<br>", "<br/>"]
HTML_BITS += ['<a href="https://x.org/">', "<a href='javascript:alert(1)'>", "<script>", "</script>", "<p>"]
HTML_BITS += ["<script>alert(1)</script>", "<SCRIPT SRC=//x.org/x.js>", "<img src=x onerror=alert(1)>", "</p>"]
HTML_BITS += ["<svg onload=alert(1)>", "<!--", "-->", "<!DOCTYPE html>", "<![CDATA[", "]]>", "<?xml version='1.0'?>"]
HTML_BITS += ["<div>", "</div>", "<li>", '<ol start="x">', '<ol start="99999999999999999999">', "<tg-spoiler>"]
HTML_BITS += ['<span class="tg-spoiler">', "<style>", "</style>", "<template>", '" onmouseover="alert(1)']
HTML_BITS += ["' onfocus='alert(1)", "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)"]
HTML_BITS += ["data:text/html,<script>alert(1)</script>", "vbscript:msgbox", "]]></title><script>"]
ENTITY_BITS = ["&", "&amp;", "&amp", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&nbsp;", "&#", "&#x", "&#;"]
ENTITY_BITS += ["&#0;", "&#x10FFFF;", "&#1114112;", "&#xD800;", "&#55296;", "&bogus;", "&lt", "&#9999999999;"]
ENTITY_BITS += ["&;", "&amp;lt;"]
MARKDOWN_BITS = ["*", "**", "***", "_", "__", "`", "```", "[", "]", "(", ")", "[1]", "[2, 3]", "[1–4]", "[12]"]
MARKDOWN_BITS += ["# ", "> ", "- ", "• ", "1. ", "2) ", "[text](https://x.org/a)", "[a](b)", "![img](x)", "]("]
MARKDOWN_BITS += ["*[", "|", "~~"]
DIGEST_BITS = [
    "Week 373",
    "Week 373, November 1-7, 2024",
    "Week 231|February 11-17, 2022",
    "Week 386 | January 31- February 6, 2025",
    "Week 420, covering September 26 – October 4, 2025",
    "Week 434, covering January 02-08, 2026.",
    "December 31, 2021 to January 6, 2022",
    "April 29-May 5, 2022",
    "November 1-7",  # no year: the post's date supplies it
    "December 28 - January 3",
    "January 0-5",
    "May 5-0",
    "Feb 30-31",
    "Week 5 | December 31-January 6",
    "Week 99999",
    "Week 0",
    "February 30, 2024",
    "Sept. 31, 2023",
    "By Lynda Gratton | MIT Sloan Management Review | October 29, 2024",
    "The Economist | October 10, 2024",
    "Extractive Summary of the Article | Read | Listen",
    "3 key takeaways from the article",
    "two key takeaways",
    "Topics: Leadership, Mastery",
    "Topics:",
    "Click for the extractive summary of the article",
    "Click to for the extractive summary of the article",
    "show less",
    "(Copyright lies with the publisher)",
    "Leave a Reply",
    "You must be logged in to post a comment.",
    "Informed i's Weekly Business Insights",
    "Shaping Section : Ideas and forces shaping economies",
    "Read | Listen",
]
SPEECH_BITS = ["$5bn", "€3.2 million", "£1,000,000", "¥7", "$", "44%", "4 %", "Q3", "Q5", "1990s", "2020s"]
SPEECH_BITS += ["12,000", "1,2,3", "e.g.", "i.e.,", "etc.", "vs.", "v.", "U.S.", "U.K.", "GenAI", "AI", "CEOs"]
SPEECH_BITS += ["NASA", "SaaS", "1-7", "–", "—", "...", "…", "“", "”", "‘", "’", "+", "=", "&", "www.x.org"]
SPEECH_BITS += ["https://x.org/a?b=1", "http://", "www."]
WORD_BITS = ["leaders", "mastery", "the", "a", "of", "and", "growth", "Economist", "AI", "CEO", "bank", "x", "I"]
WORD_BITS += ["inflation", "Ünïcödé", "naïve", "Straße", "日本", "Россия", "مرحبا", "שלום", "हिन्दी", "ok", "0", "7"]
WORD_BITS += ["²", "٣", "１２", "Ⅻ", "42", "2024", "99999999999999999999"]  # digits int() reads, and not
URL_SCHEME_BITS = ["https://", "http://", "HTTPS://", "Http://", " https://", "javascript:", "JAVASCRIPT:", "data:"]
URL_SCHEME_BITS += ["ftp://", "//", "mailto:", "file:///", "tg://", "", "https:/", "\x00https://", "java\tscript:"]
URL_SCHEME_BITS += ["\u202ehttps://"]
URL_TAIL_BITS = ["x.org", "/", "a", "?", "&", "=", "#", "%", "%00", "%2F", '"', "'", "<", ">", " ", "..", "é"]
URL_TAIL_BITS += ["😀", "\n", "\ud800", "\x00", "javascript:alert(1)", "@", ":", ";", "\\"]
HUGE_BITS = ["x", "😀", "é", "&", "<", "-", "*", "w", "\u0301", "&amp;", "ab", " ", "\n", " \n", "\t", "\xa0", "["]
NESTING_PAIRS = [("<b>", "</b>"), ("<div>", "</div>"), ("[", "]"), ("(", ")"), ("**", "**"), ("<i>", ""), ("[", "](u)")]

# --- strategies of hostile text -------------------------------------------------------------

LONE_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
CONTROLS = st.sampled_from(CONTROL_CHARS)
SPACES = st.sampled_from(SPACE_CHARS)
MARKS = st.sampled_from(MARK_CHARS)
EMOJI = st.sampled_from(EMOJI_CHARS)
HTML_FRAGMENTS = st.sampled_from(HTML_BITS)
ENTITY_FRAGMENTS = st.sampled_from(ENTITY_BITS)
MARKDOWN_FRAGMENTS = st.sampled_from(MARKDOWN_BITS)
DIGEST_FRAGMENTS = st.sampled_from(DIGEST_BITS)
SPEECH_FRAGMENTS = st.sampled_from(SPEECH_BITS)
WORDS = st.sampled_from(WORD_BITS)
ANY_CHARS = st.characters(codec=None, categories=None, exclude_categories=())  # every code point, surrogates too


def _repeat(piece: str, n: int) -> str:
    return piece * n


def _nest(pair: tuple[str, str], n: int, middle: str) -> str:
    return pair[0] * n + middle + pair[1] * n


HUGE_WORDS = st.builds(_repeat, st.sampled_from(HUGE_BITS), st.integers(50, 6000))
NESTING = st.builds(_nest, st.sampled_from(NESTING_PAIRS), st.integers(2, 2000), st.sampled_from(["", "x", "<", "&"]))
URL_TAILS = st.lists(st.sampled_from(URL_TAIL_BITS), max_size=6).map("".join)
LONG_URLS = st.builds(
    lambda s, n, tail: s + "x.org/" + "a" * n + tail, st.sampled_from(URL_SCHEME_BITS), st.integers(0, 5000), URL_TAILS
)
URLS = st.one_of(st.builds(str.__add__, st.sampled_from(URL_SCHEME_BITS), URL_TAILS), LONG_URLS)
HTTP_URLS = st.builds(
    lambda s, tail, n: s + "x.org/" + "a" * n + tail,
    st.sampled_from(["https://", "http://"]),
    URL_TAILS,
    st.integers(0, 5000),
)


@functools.cache
def hostile_text(max_pieces: int = 8) -> st.SearchStrategy[str]:
    """A string made of hostile pieces (a list shrinks well: to the few pieces that matter)."""
    piece = st.one_of(
        WORDS,
        SPACES,
        st.text(ANY_CHARS, max_size=6),
        LONE_SURROGATES,
        CONTROLS,
        MARKS,
        EMOJI,
        HTML_FRAGMENTS,
        ENTITY_FRAGMENTS,
        MARKDOWN_FRAGMENTS,
        DIGEST_FRAGMENTS,
        SPEECH_FRAGMENTS,
        URLS,
        HUGE_WORDS,
        NESTING,
    )
    return st.lists(piece, max_size=max_pieces).map("".join)


def _pool(size: int, seed: int) -> list[str]:
    """Hostile strings made once: "" first (what a field shrinks to), then every fragment alone,
    then random mixes of two to five of them."""
    rng = random.Random(seed)
    singles = CONTROL_CHARS + SURROGATE_CHARS + SPACE_CHARS + MARK_CHARS + EMOJI_CHARS + HTML_BITS + ENTITY_BITS
    singles += MARKDOWN_BITS + DIGEST_BITS + SPEECH_BITS + WORD_BITS
    mixes = ["".join(rng.choice(singles) for _ in range(rng.randint(2, 5))) for _ in range(size)]
    return ["", *dict.fromkeys(singles + mixes)]


POOL = _pool(600, 14)
SHORT = st.sampled_from(POOL)  # one draw: for the many secondary fields of an object


def short_text() -> st.SearchStrategy[str]:
    return SHORT


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


# --- domain objects with hostile fields -----------------------------------------------------

DATES = st.dates()
WEEKS = st.one_of(st.none(), st.integers(0, 10_000), st.integers(-(2**63), 2**63))
SECONDS = st.floats(0, 1e7, allow_nan=False, allow_infinity=False)
MAYBE_URL = st.one_of(st.none(), st.sampled_from(["https://x.org/a?b=1&c=<2>", "javascript:alert(1)", ""]), URLS)


def issues() -> st.SearchStrategy[Issue]:
    return st.builds(Issue, week=WEEKS, dates=SHORT, start=maybe(DATES), end=maybe(DATES), url=MAYBE_URL)


def articles() -> st.SearchStrategy[Article]:
    return st.builds(
        Article,
        id=SHORT,
        title=hostile_text(4),
        author=maybe(SHORT),
        magazine=maybe(SHORT),
        published=maybe(DATES),
        url=MAYBE_URL,
        takeaways=st.lists(SHORT, max_size=3),
        topics=st.lists(SHORT, max_size=2),
        summary=st.lists(SHORT, max_size=2),
        issue=issues(),
    )


def citations() -> st.SearchStrategy[Citation]:
    return st.builds(
        Citation,
        n=st.integers(-5, 10**6),
        article_id=SHORT,
        title=hostile_text(4),
        author=maybe(SHORT),
        magazine=maybe(SHORT),
        published=maybe(DATES),
        week=WEEKS,
        issue_dates=SHORT,
        issue_url=MAYBE_URL,
        url=MAYBE_URL,
        quote=hostile_text(4),
    )


def related() -> st.SearchStrategy[RelatedArticle]:
    return st.builds(RelatedArticle, article_id=SHORT, title=hostile_text(4), week=WEEKS, issue_dates=SHORT)


def answers() -> st.SearchStrategy[Answer]:
    return st.builds(
        Answer,
        question=SHORT,
        text=hostile_text(12),
        citations=st.lists(citations(), max_size=3),
        found=st.booleans(),
        notice=maybe(SHORT),
        related=st.lists(related(), max_size=2),
    )


def listings() -> st.SearchStrategy[IssueListing]:
    return st.builds(IssueListing, issue=issues(), articles=st.lists(articles(), max_size=3))


def clips() -> st.SearchStrategy[AudioClip]:
    chapter = st.builds(Chapter, start=SECONDS, title=st.one_of(SHORT, hostile_text(4)))
    return st.builds(
        AudioClip,
        path=st.just("week.mp3"),
        format=st.just(AudioFormat.MP3),
        duration=SECONDS,
        sample_rate=st.just(22050),
        engine=st.just("fuzz"),
        voice=st.just("fuzz"),
        title=SHORT,
        chapters=st.lists(chapter, max_size=4),
        key=st.sampled_from(["", "0123456789abcdef0123", "f" * 40]),
        bytes=st.integers(0, 2**40),
    )


# --- Telegram HTML as the renderers write it ------------------------------------------------


def _element(tag: str, kids: list[str]) -> str:
    return f"<{tag}>{''.join(kids)}</{tag}>"


def _anchor(url: str, body: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(body, quote=False)}</a>'


def telegram_html() -> st.SearchStrategy[str]:
    """Valid Telegram HTML of the shape the renderers produce: escaped hostile text in b, i and
    a href (nested), with paragraph, line and odd whitespace breaks."""
    text = hostile_text(4).map(lambda s: html.escape(s, quote=False))
    leaf = st.one_of(text, SPACES, st.just("\n\n"), st.builds(_anchor, HTTP_URLS, SHORT))
    return st.recursive(
        leaf,
        lambda inner: (
            st.builds(_element, st.sampled_from(["b", "i"]), st.lists(inner, max_size=4))
            | st.lists(inner, max_size=6).map("".join)
        ),
        max_leaves=12,
    )


# --- digest pages from a model, for round trips ---------------------------------------------

# Words that are never furniture, a label or a byline, whatever their order: a page written from
# them parses back to exactly what was written.
PLAIN_WORDS = (
    "leaders mastery growth markets bank tariffs inflation workers firms capital startup boards "
    "Sloan Review MIT Economist Fortune Forbes Harvard McKinsey Quarterly Gratton Lynda Chen Müller "
    "Ødegaard Zoë naïve café 日本 Россия مرحبا AI CEO ESG 44% 2024 Q3 3.5 $5bn co-ops self-made why how "
    "what when new old big small the a of and in on for to with O’Neil “quoted” – — …"
).split()
NOISE = [" ", "  ", "\xa0", "\u202f", "\u2009", " \u200b", "\t", "\u2007"]  # spaces clean_text reads as " "


def _phrase(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(PLAIN_WORDS) for _ in range(n))


def _words(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """A phrase of plain words, from two draws (a seed and a length), not one draw per word."""
    return st.builds(_phrase, st.integers(0, 2**32 - 1), st.integers(min_size, max_size))


@dataclass
class PageArticle:
    title: str
    author: str | None
    magazine: str
    published: date
    takeaways: list[str]
    topics: list[str]
    summary: list[str]
    read: str | None = None
    listen: str | None = None
    by: bool = True  # "By Author | ..." or "Author | ..."
    numbered: bool = False  # takeaways as "1." rather than "-"
    count_word: bool = False  # "Three key takeaways"
    modern: bool = True  # the 2024 block (takeaways, topics, summary label); else title, byline, summary


@dataclass
class Page:
    week: int
    start: date
    end: date
    header: str  # the "Week N, <dates>" line
    articles: list[PageArticle]
    url: str | None = None
    footer: bool = False
    noise: list[str] = field(default_factory=list)  # what replaces the spaces of a line, cycled
    newline: str = "\n"


_MONTHS = [calendar.month_name[m] for m in range(13)]
_SHORT_MONTHS = [calendar.month_abbr[m] + "." for m in range(13)]


def _header(week: int, start: date, end: date, style: int) -> str:
    m1, m2, y1, y2 = _MONTHS[start.month], _MONTHS[end.month], start.year, end.year
    if y1 != y2:
        return f"Week {week}, {m1} {start.day}, {y1} to {m2} {end.day}, {y2}"
    if start.month != end.month:
        return [
            f"Week {week} | {m1} {start.day}- {m2} {end.day}, {y2}",
            f"Week {week}, covering {m1} {start.day} – {m2} {end.day}, {y2}",
            f"Week {week}|{m1} {start.day}-{m2} {end.day}, {y2}",
        ][style % 3]
    return [
        f"Week {week}, {m1} {start.day}-{end.day}, {y2}",
        f"Week {week}|{m1} {start.day}-{end.day}, {y2}",
        f"Week {week}, covering {m1} {start.day:02d}-{end.day:02d}, {y2}.",
    ][style % 3]


def _published(d: date, style: int) -> str:
    return [f"{_MONTHS[d.month]} {d.day}, {d.year}", f"{_SHORT_MONTHS[d.month]} {d.day} {d.year}"][style % 2]


@st.composite
def page_articles(draw: st.DrawFn, titles: st.SearchStrategy[str]) -> PageArticle:
    modern = draw(st.booleans())
    takeaways = draw(st.lists(_words(1, 12), max_size=5)) if modern else []
    return PageArticle(
        title=draw(titles),
        author=draw(st.none() | _words(1, 3)),
        magazine=draw(_words(1, 4)),
        published=draw(st.dates(date(1000, 1, 1), date(9999, 12, 31))),
        takeaways=takeaways,
        topics=draw(st.lists(_words(1, 3), max_size=4)) if modern else [],
        summary=draw(st.lists(_words(1, 30).map(lambda s: s + "."), min_size=1, max_size=3)),
        read=draw(st.sampled_from([None, "https://example.org/read/", "https://x.org/a?b=1&c=<2>"])),
        listen=draw(st.sampled_from([None, "https://example.org/listen.mp3"])),
        by=draw(st.booleans()),
        numbered=draw(st.booleans()),
        count_word=draw(st.booleans()) and 2 <= len(takeaways) <= 5,
        modern=modern,
    )


@st.composite
def pages(draw: st.DrawFn) -> Page:
    """A weekly post as a model; titles repeat often (the same title twice in a week, "X" and "X 2")."""
    start = draw(st.dates(date(1000, 1, 1), date(9998, 12, 20)))
    end = start + timedelta(days=draw(st.integers(0, 10)))
    week = draw(st.integers(0, 9999))
    pool = draw(st.lists(_words(1, 8), min_size=1, max_size=3))
    titles = st.sampled_from(pool) | st.sampled_from(pool).map(lambda t: f"{t} 2") | _words(1, 10)
    return Page(
        week=week,
        start=start,
        end=end,
        header=_header(week, start, end, draw(st.integers(0, 2))),
        articles=draw(st.lists(page_articles(titles), min_size=1, max_size=4)),
        url=draw(st.sampled_from([None, "https://informedi.org/2024/11/07/week/"])),
        footer=draw(st.booleans()),
        noise=draw(st.lists(st.sampled_from(NOISE), max_size=4)),
        newline=draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\u2028", "\n \n"])),
    )


_WORD_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}


def _takeaway_heading(a: PageArticle) -> str:
    n = len(a.takeaways)
    count = _WORD_COUNTS[n].capitalize() if a.count_word else str(n)
    return f"{count} key takeaway{'s' if n != 1 else ''} from the article"


def _byline(a: PageArticle, style: int) -> str:
    date_text = _published(a.published, style)
    if a.author is None:
        return f"{a.magazine} | {date_text}"
    return f"{'By ' if a.by else ''}{a.author} | {a.magazine} | {date_text}"


def page_lines(page: Page) -> list[str]:
    """The page as a browser shows it (the layout of /work/shared/docs/digest-format.md)."""
    lines = ["Informed i's Weekly Business Insights", f"Since 2017 | {page.header} | Archive"]
    for k, a in enumerate(page.articles):
        lines += [a.title, _byline(a, k)]
        if a.modern:
            lines.append("Extractive Summary of the Article | Read | Listen")
            if a.takeaways:
                lines.append(_takeaway_heading(a))
                lines += [f"{i}. {t}" if a.numbered else f"- {t}" for i, t in enumerate(a.takeaways, 1)]
            lines.append("(Copyright lies with the publisher)")
            if a.topics:
                lines.append("Topics: " + ", ".join(a.topics))
            lines.append("Click for the extractive summary of the article" + a.summary[0])
            lines += a.summary[1:]
            lines.append("show less")
        else:
            lines += a.summary
    if page.footer:
        lines += ["Leave a Reply", "You must be logged in to post a comment."]
    return lines


def page_text(page: Page) -> str:
    """Page text with the model's odd spaces and line breaks (clean_text reads them as plain)."""
    noisy = []
    for n, line in enumerate(page_lines(page)):
        if page.noise:
            words = line.split(" ")
            line = words[0] + "".join(page.noise[(n + i) % len(page.noise)] + w for i, w in enumerate(words[1:]))
        noisy.append(line)
    return page.newline.join(noisy)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def page_html(page: Page, fragment: bool = False) -> str:
    """The page as WordPress renders it: blocks, lists, links, and chrome that must be ignored."""
    body = [
        '<nav><a href="/">Week 1, January 1-7, 2017</a></nav>',
        f"<header><h1>Informed i&#8217;s Weekly Business Insights</h1><p>Since 2017 | {_e(page.header)}</p></header>",
    ]
    for a in page.articles:
        title = _e(a.title)
        if a.read is None:
            title = f'<a href="https://example.org/title/">{title}</a>'
        block = [f"<h2>{title}</h2>", f"<p>{_e(_byline(a, 0))}</p>"]
        if a.modern:
            read = f'<a href="{html.escape(a.read)}">Read</a>' if a.read else "Read"
            listen = f'<a href="{html.escape(a.listen)}">Listen</a>' if a.listen else "Listen"
            block.append(f"<p>Extractive Summary of the Article | {read} | {listen}</p>")
            if a.takeaways:
                tag = "ol" if a.numbered else "ul"
                items = "".join(f"<li>{_e(t)}</li>" for t in a.takeaways)
                block.append(f"<p>{_e(_takeaway_heading(a))}</p><{tag}>{items}</{tag}>")
            block.append("<p>(Copyright lies with the publisher)</p>")
            if a.topics:
                block.append(f"<p>Topics: <span>{_e(', '.join(a.topics))}</span></p>")
            paragraphs = "".join(f"<p>{_e(p)}</p>" for p in a.summary)
            block.append(f'<div class="summary">Click for the extractive summary of the article{paragraphs}</div>')
            block.append("<p>show less</p>")
        else:
            block += [f"<p>{_e(p)}</p>" for p in a.summary]
        body.append("<article>" + "".join(block) + "</article>")
    body.append("<!-- Week 9999, January 1-7, 2099 --><script>var x = '<p>Week 1</p>';</script>")
    body.append('<aside class="widget-area"><p>Week 5, January 1-7, 2018</p></aside>')
    if page.footer:
        body.append('<div id="comments"><h3>Leave a Reply</h3></div>')
    if fragment:
        return "".join(body[1:])
    canonical = f'<link rel="canonical" href="{html.escape(page.url)}">' if page.url else ""
    return f"<!DOCTYPE html><html><head><title>Weekly</title>{canonical}</head><body>{''.join(body)}</body></html>"


def wordpress_post(page: Page, post_id: int) -> dict:
    return {
        "id": post_id,
        "date": datetime.combine(page.end, datetime.min.time()).isoformat(),
        "link": page.url,
        "title": {"rendered": html.escape(f"Weekly Business Insights – {page.header}")},
        "content": {"rendered": page_html(page, fragment=True), "protected": False},
    }


# --- hostile documents ----------------------------------------------------------------------

_MONTH_SPELLINGS = [*_MONTHS[1:], *_SHORT_MONTHS[1:], "Sept", "sept.", "MAY", "Mayo", "Ja", "Decembers"]
_DASHES = ["-", "–", "—", "‑", " to ", " until ", "through", "--", " - ", "-\n"]


def date_ish_text() -> st.SearchStrategy[str]:
    """Week headers and date ranges with any days, months and years, possible or not: day 0,
    February 30, a year of five digits or none (the post's date supplies it)."""
    day = st.integers(0, 99).map(str)
    month = st.sampled_from(_MONTH_SPELLINGS)
    year = st.one_of(
        st.just(""), st.integers(0, 99999).map(lambda y: f", {y}"), st.integers(0, 9999).map(lambda y: f" {y}")
    )
    return st.builds(
        lambda week, m1, d1, y1, dash, m2, d2, y2: f"{week}{m1} {d1}{y1}{dash}{m2}{d2}{y2}",
        st.sampled_from(["", "Week 1, ", "Week 373 | ", "Week 9999, covering ", "Week 12345, "]),
        month,
        day,
        st.sampled_from(["", ", 2024", ", 1"]),
        st.sampled_from(_DASHES),
        st.one_of(st.just(""), month.map(lambda m: m + " ")),
        day,
        year,
    )


BYLINE_DATES = ["October 29, 2024", "Feb 30 2024", "Sept. 1, 0999", "May 5, 99999", "Oct 29 2024.", "Jan 1 1000"]


def _byline_line(by: str, author: str, magazine: str, when: str) -> str:
    return f"{by}{author} | {magazine} | {when}"


def digest_ish_lines() -> st.SearchStrategy[str]:
    """Page text made of digest lines, broken ones and hostile ones, in any order."""
    byline = st.builds(
        _byline_line,
        st.sampled_from(["By ", "", "by  ", "BY\xa0"]),
        SHORT,
        SHORT,
        st.sampled_from(BYLINE_DATES) | SHORT,
    )
    line = st.one_of(
        DIGEST_FRAGMENTS,
        byline,
        SHORT,
        hostile_text(4),
        st.builds(lambda w, d: f"Week {w}, {d}", st.integers(0, 10**6), SHORT),
    )
    newline = st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x1c", "\x85", "\x0b", "\x0c"])
    return st.builds(str.join, newline, st.lists(line, max_size=16))


_HTML_TAGS = ["p", "div", "li", "ol", "ul", "a", "b", "span", "br", "h2", "article", "table", "tr", "td"]
_HTML_TAGS += ["audio", "source", "script", "style", "nav", "aside", "template", "svg", "footer", "pre", "title"]
_HTML_TAGS += ["head", "body", "html", "meta", "link", "noscript", "iframe", "textarea", "xmp", "plaintext"]
_ATTRIBUTE_NAMES = ["href", "src", "start", "class", "id", "rel", "property", "content", "onclick"]
_ATTRIBUTE_VALUES = ["canonical", "og:url", "og:title", "comments-area", "-3", "sidebar"]


def _attribute(name: str, value: str) -> str:
    return f' {name}="{html.escape(value)}"'


def _tag(tag: str, attrs: list[str], kids: list[str], close: bool) -> str:
    return f"<{tag}{''.join(attrs)}>{''.join(kids)}" + (f"</{tag}>" if close else "")


@functools.cache
def hostile_html() -> st.SearchStrategy[str]:
    """Tag soup: random elements and attributes around hostile text, unclosed and misnested tags."""
    attribute = st.builds(
        _attribute, st.sampled_from(_ATTRIBUTE_NAMES), st.one_of(SHORT, st.sampled_from(_ATTRIBUTE_VALUES), URLS)
    )
    text = st.one_of(SHORT, hostile_text(3), SHORT.map(_e), DIGEST_FRAGMENTS)
    element = st.recursive(
        text,
        lambda inner: st.builds(
            _tag,
            st.sampled_from(_HTML_TAGS),
            st.lists(attribute, max_size=2),
            st.lists(inner, max_size=4),
            st.booleans(),
        ),
        max_leaves=10,
    )
    deep = st.builds(
        lambda n, tag, t: f"<{tag}>" * n + t, st.integers(1, 3000), st.sampled_from(["div", "b", "li"]), text
    )
    return st.one_of(st.lists(element, max_size=4).map("".join), deep)


_JSON_KEYS = ["id", "title", "content", "rendered", "link", "date", "guid", "code", "message", "summary", "week"]
_JSON_STRINGS = ["2024-11-07T10:00:00", "2024-02-30", "", "not a date", "99999-01-01", "9999-12-31T00:00:00"]


@functools.cache
def json_values() -> st.SearchStrategy[object]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        SHORT,
        hostile_html(),
        st.sampled_from(_JSON_STRINGS),
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_JSON_KEYS) | SHORT, inner, max_size=4)
        ),
        max_leaves=8,
    )


def _rendered(value: object) -> dict:
    return {"rendered": value}


def wordpress_posts() -> st.SearchStrategy[object]:
    """Objects shaped like REST posts, with hostile or wrongly typed fields."""
    post = st.fixed_dictionaries(
        {"content": st.one_of(st.builds(_rendered, hostile_html()), hostile_html(), json_values())},
        optional={
            "id": st.one_of(st.integers(), SHORT, json_values()),
            "title": st.one_of(st.builds(_rendered, hostile_text(3)), json_values()),
            "link": st.one_of(URLS, json_values()),
            "guid": st.one_of(st.builds(_rendered, URLS), json_values()),
            "date": st.one_of(st.sampled_from(_JSON_STRINGS), json_values()),
        },
    )
    return st.one_of(post, st.lists(post | json_values(), max_size=3))


def _dumps(value: object, ensure_ascii: bool) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii)


def json_text() -> st.SearchStrategy[str]:
    dumped = st.builds(_dumps, st.one_of(json_values(), wordpress_posts()), st.booleans())
    deep = st.builds(_repeat, st.sampled_from(["[", "{", '{"a":', '[{"content":']), st.integers(1, 200_000))
    return st.one_of(dumped, deep, st.builds(str.__add__, dumped, hostile_text(3)))


def jsonl_text() -> st.SearchStrategy[str]:
    value = st.one_of(SHORT, st.lists(SHORT, max_size=2), st.integers(), st.none(), hostile_text(3), json_values())
    keys = ("takeaways", "topics", "author", "magazine", "published", "week", "issue_dates", "url")
    record = st.fixed_dictionaries({"id": value, "title": value, "summary": value}, optional={k: value for k in keys})
    line = st.one_of(
        st.builds(_dumps, record, st.booleans()),
        st.builds(_dumps, json_values(), st.just(True)),
        SHORT,
        st.builds(_repeat, st.just("["), st.integers(1, 100_000)),
    )
    return st.lists(line, max_size=5).map("\n".join)


# --- JSONL records (round trip) -------------------------------------------------------------


@st.composite
def records(draw: st.DrawFn) -> list[dict]:
    """Valid JSONL records whose strings are hostile: distinct ids, a title and a summary that
    keep some text after clean_text ("r0-", "T ", "S " prefixes)."""
    out = []
    for i in range(draw(st.integers(1, 4))):
        summary = draw(st.one_of(hostile_text(6), st.lists(hostile_text(3), min_size=1, max_size=3)))
        rec: dict = {
            "id": f"r{i}-" + draw(SHORT),
            "title": "T " + draw(hostile_text(4)),
            "summary": "S " + summary if isinstance(summary, str) else ["S", *summary],
        }
        for key in ("author", "magazine", "url", "listen_url", "issue_url", "issue_dates"):
            if draw(st.booleans()):
                rec[key] = draw(maybe(SHORT))
        for key in ("takeaways", "topics"):
            if draw(st.booleans()):
                rec[key] = draw(st.lists(SHORT, max_size=3))
        if draw(st.booleans()):
            rec["published"] = draw(DATES).isoformat()
        if draw(st.booleans()):
            rec["week"] = draw(st.one_of(st.integers(0, MAX_WEEK), st.integers(0, 999).map(str)))
        out.append(rec)
    return out
