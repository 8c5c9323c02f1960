"""The core parser: a weekly post as lines (what a browser shows) -> articles.

An article starts at a title line followed by a byline ("By Author | Magazine | October 29, 2024",
"By" and the author both optional). The byline must end in a full date: that is what tells it
apart from summary text that happens to contain "|". Everything before the first article is the
site header, where the "Week N, <dates>" issue header is looked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from assistant.errors import NotADigestPage
from assistant.models import Article, Issue, make_article_id
from index.documents import SourceDocument
from index.registry import FALLBACK_KIND, register_format

from .dates import WEEK_RE, clean_text, find_issue, parse_date


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    audio: bool = False  # an <audio>/<source> src rather than an <a>


@dataclass(frozen=True)
class Line:
    """One rendered line; HTML pages also carry the links found on it."""

    text: str
    links: tuple[Link, ...] = ()


class Byline(NamedTuple):
    author: str | None
    magazine: str | None
    published: date


def _rx(*patterns: str) -> list[re.Pattern]:
    return [re.compile(p, re.I) for p in patterns]


# Lines that are never content, wherever they appear.
_FURNITURE = _rx(
    r"extractive summary of the article(\s*\|\s*(read|listen))*",
    r"listen to the extractive summary of the article",
    r"\(copyright lies with the publisher\)",
    r"(download|listen to) this week['’]s edition\b.*",
    r"(\w+ ){1,2}section\s*:\s*.{1,120}",  # "Shaping Section : Ideas and forces shaping ..."
    r"(read|listen)(\s*\|\s*(read|listen))*",
)
# Lines after which the post is over (comments, sharing, footer).
_PAGE_END = _rx(
    r"leave a (reply|comment)",
    r"you must be logged in to post a comment\.?",
    r"comments are closed\.?",
    r"(post navigation|share this:?|like this:?|related( posts)?|cancel reply)",
    r"informed i['’]s weekly business insights",
    r"(©|copyright ©|proudly powered by wordpress).*",
)
# Glued to the summary with no space on browser pages; "Click to for" is a typo on real pages.
_SUMMARY_LABEL = re.compile(
    r"click\s+(?:to\s+)?(?:here\s+)?for\s+the\s+extractive\s+summary\s+of\s+the\s+article:?\s*", re.I
)
_TAKEAWAYS = re.compile(r"(?P<n>\d+|two|three|four|five)\s+key\s+takeaways?(\s+from\s+the\s+article)?\s*:?", re.I)
_TOPICS = re.compile(r"topics?\s*:\s*(?P<rest>.*)", re.I)
_BULLET = re.compile(r"[-•]\s+(?P<text>.+)")
_NUMBERED = re.compile(r"\d{1,2}[.)]\s+(?P<text>.+)")
_SHOW_LESS = re.compile(r"show less", re.I)
_GLUED_SHOW_LESS = re.compile(r"(?<=[.!?”\"’)])show less$", re.I)
_BY = re.compile(r"by\s+", re.I)
_WORD_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5}
_MAX_TITLE = 250
_MAX_BYLINE_PART = 120

NO_HEADER = "no 'Week N' issue header found"
NO_ARTICLES = "no article blocks found (expected a title line followed by a 'By Author | Magazine | Date' line)"


def _matches(patterns: list[re.Pattern], text: str) -> bool:
    return any(p.fullmatch(text) for p in patterns)


def parse_byline(text: str) -> Byline | None:
    """ "By Author | Magazine | October 29, 2024" -> Byline; None if the line is not a byline."""
    parts = [p.strip() for p in re.split(r"\s*\|\s*", clean_text(text))]
    if not 2 <= len(parts) <= 4:
        return None
    published = parse_date(parts[-1])
    if published is None:
        return None
    head = parts[:-1]
    # Long parts are prose; "Week N | <date>" is an issue header, not a byline.
    if any(not p or len(p) > _MAX_BYLINE_PART or WEEK_RE.search(p) for p in head):
        return None
    by = _BY.match(head[0])
    if by:
        head[0] = head[0][by.end() :]
    head = [p.strip(" ,") for p in head]
    if len(head) == 1:
        return Byline(head[0], None, published) if by else Byline(None, head[0], published)
    return Byline(head[0] or None, " | ".join(head[1:]), published)


def _is_title(text: str) -> bool:
    return (
        0 < len(text) <= _MAX_TITLE
        and not _matches(_FURNITURE, text)
        and not _matches(_PAGE_END, text)
        and not _SUMMARY_LABEL.match(text)
        and not _TAKEAWAYS.fullmatch(text)
        and not _TOPICS.fullmatch(text)
        and not _BULLET.fullmatch(text)
        and not _SHOW_LESS.fullmatch(text)
    )


def _split_topics(text: str) -> list[str]:
    return [t.strip(" .") for t in re.split(r"[,;]", text) if t.strip(" .")]


def _strip_bullet(text: str) -> str:
    m = _BULLET.fullmatch(text)
    return m["text"] if m else text


@dataclass
class _Block:
    takeaways: list[str]
    topics: list[str]
    summary: list[str]


def _parse_body(lines: Sequence[Line]) -> _Block:
    """The lines after the byline: takeaways, topics and summary paragraphs, furniture dropped."""
    block = _Block([], [], [])
    state = "body"  # body | takeaways | topics-next | summary
    expected = 0
    for line in lines:
        text = line.text
        if _SHOW_LESS.fullmatch(text):
            break
        label = _SUMMARY_LABEL.match(text)
        if label:
            state, text = "summary", text[label.end() :].strip()
        glued_end = _GLUED_SHOW_LESS.search(text)
        if glued_end:
            text = text[: glued_end.start()].strip()
        # Takeaways and topics may come right after the summary label, never inside the summary.
        head_allowed = state != "summary" or not block.summary
        if not text or _matches(_FURNITURE, text):
            pass
        elif head_allowed and (m := _TAKEAWAYS.fullmatch(text)):
            state, n = "takeaways", m["n"].lower()
            expected = _WORD_NUMBERS.get(n) or int(n)
        elif head_allowed and (m := _TOPICS.fullmatch(text)):
            block.topics = _split_topics(m["rest"])
            state = "body" if block.topics else "topics-next"
        elif state == "topics-next":
            block.topics, state = _split_topics(text), "body"
        elif state == "takeaways" and (m := _BULLET.fullmatch(text) or _NUMBERED.fullmatch(text)):
            block.takeaways.append(m["text"])
        elif state == "takeaways" and len(block.takeaways) < expected:
            block.takeaways.append(text)  # an item whose list marker was lost
        else:
            if state == "takeaways":
                state = "body"
            block.summary.append(_strip_bullet(text))
        if glued_end:
            break
    return block


def _links(lines: Sequence[Line], title: str) -> tuple[str | None, str | None]:
    """The "Read" and "Listen" addresses of one block; a linked title stands in for "Read"."""
    links = [link for line in lines for link in line.links]
    read = next((ln.href for ln in links if not ln.audio and ln.text.lower() in {"read", "read more"}), None)
    listen = next((ln.href for ln in links if not ln.audio and ln.text.lower() == "listen"), None)
    listen = listen or next((ln.href for ln in links if ln.audio), None)
    read = read or next((ln.href for ln in lines[0].links if ln.text == title and not ln.audio), None)
    return read, listen


def _as_lines(lines: Sequence[str | Line]) -> list[Line]:
    out = []
    for line in lines:
        line = Line(line) if isinstance(line, str) else line
        text = clean_text(line.text)
        if text:
            out.append(Line(text, line.links))
        elif line.links and out:  # e.g. an <audio> player on its own: keep it with the line above
            out[-1] = Line(out[-1].text, out[-1].links + line.links)
    return out


def _article_starts(lines: Sequence[Line]) -> list[int]:
    return [
        i
        for i in range(len(lines) - 1)
        if _is_title(lines[i].text) and parse_byline(lines[i + 1].text) and not parse_byline(lines[i].text)
    ]


def _page_end(lines: Sequence[Line], first: int, starts: Sequence[int]) -> int:
    start_set = set(starts)
    for i in range(first, len(lines)):
        if i not in start_set and _matches(_PAGE_END, lines[i].text):
            return i
    return len(lines)


def parse_lines(
    lines: Sequence[str | Line],
    *,
    name: str,
    url: str | None = None,
    hints: Sequence[str] = (),
    near: date | None = None,
) -> list[Article]:
    """Parse a weekly post given as lines.

    ``hints`` are extra header lines searched for the "Week N" header before the page's own
    (e.g. a WordPress post title); ``near`` is a date close to the issue (the post date), used
    only when the header's date range has no year. Raises NotADigestPage.
    """
    rows = _as_lines(lines)
    if not rows:
        raise NotADigestPage(name, "the page is empty")
    starts = _article_starts(rows)
    header = rows[: starts[0]] if starts else rows
    issue = find_issue([*hints, *(r.text for r in header)], near)
    if issue is None:
        raise NotADigestPage(name, NO_HEADER)
    if not starts:
        raise NotADigestPage(name, NO_ARTICLES)
    issue = Issue(**{**issue.model_dump(), "url": url})

    end = _page_end(rows, starts[0], starts)
    starts = [s for s in starts if s < end]
    articles: list[Article] = []
    taken: set[str] = set()
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else end
        title, byline = rows[start].text, parse_byline(rows[start + 1].text)
        assert byline is not None  # _article_starts keeps only titles followed by a byline
        block = _parse_body(rows[start + 2 : stop])
        read, listen = _links(rows[start:stop], title)
        # The same title twice in one week: keep both, ids must differ. The next free suffix, not a
        # count of the title: "X", "X", "X 2" would otherwise give "x-2" twice and lose an article.
        base = article_id = make_article_id(issue.week, title)
        n = 1
        while article_id in taken:
            n += 1
            article_id = f"{base}-{n}"
        taken.add(article_id)
        articles.append(
            Article(
                id=article_id,
                title=title,
                author=byline.author,
                magazine=byline.magazine,
                published=byline.published,
                url=read,
                listen_url=listen,
                takeaways=block.takeaways,
                topics=block.topics,
                summary=block.summary,
                issue=issue,
                source=name,
                position=k,
            )
        )
    return articles


def parse_page_text(text: str, *, name: str, url: str | None = None) -> list[Article]:
    """Browser page text (as copied from the page) -> articles. Raises NotADigestPage."""
    return parse_lines(text.splitlines(), name=name, url=url)


# No sniffer: page text is what content no other format recognises (FALLBACK_KIND).
@register_format(FALLBACK_KIND, suffixes=(".txt",))
def parse_text_document(doc: SourceDocument) -> list[Article]:
    return parse_page_text(doc.content, name=doc.name, url=doc.url)
