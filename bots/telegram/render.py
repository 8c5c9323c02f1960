"""Telegram HTML for answers, listings and voice captions, and splitting under the size limit.

Only the tags Telegram accepts are produced (b, i, a href), every piece of digest text is
escaped, and a long message is cut at paragraph boundaries (then lines, then spaces) into
parts that each keep their tags balanced and their entities whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant.models import (
    Answer,
    Article,
    AudioClip,
    Citation,
    Hit,
    Issue,
    IssueListing,
    RelatedArticle,
    clock,
    format_date,
)

MESSAGE_LIMIT = 4096  # Bot API: characters of a message after entity parsing (UTF-16 code units)
CAPTION_LIMIT = 1024
# A lone surrogate (a model's stream cut inside an emoji, a JSON "\ud83d") cannot be sent as UTF-8.
_SURROGATES = re.compile("[\ud800-\udfff]")


def esc(text: str | None) -> str:
    return html.escape(_SURROGATES.sub("\ufffd", text or ""), quote=False)


def link(text: str, url: str | None) -> str:
    """Escaped ``text``, linked when there is an http(s) address (Telegram rejects other schemes)."""
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(_SURROGATES.sub("", url), quote=True)}">{esc(text)}</a>'
    return esc(text)


def utf16_len(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice (a lone surrogate once)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- answers -------------------------------------------------------------------------------
def citation_line(c: Citation) -> str:
    """ "[1] Week 373, November 1-7, 2024 · Title · Author · Magazine", linking the weekly post and the article."""
    issue = (
        f"Week {c.week}, {c.issue_dates}"
        if c.week is not None and c.issue_dates
        else (f"Week {c.week}" if c.week is not None else c.issue_dates)
    )
    parts = [link(issue, c.issue_url) if issue else "", link(c.title, c.url), esc(c.author), esc(c.magazine)]
    return f"<b>[{c.n}]</b> " + " · ".join(p for p in parts if p)


RELATED_HEADING = "Related, not an answer"
RELATED_HINT = "Near the question, not an answer to it. Tap 🔊 to hear one, or send /listen with its number."


def related_line(n: int, r: RelatedArticle) -> str:
    """ "1. Title · Week 420, September 26 – October 4, 2025": numbered, not bracketed, as it is no source."""
    issue = Issue(week=r.week, dates=r.issue_dates).label
    return f"<b>{n}.</b> " + " · ".join(p for p in (esc(r.title), esc(issue)) if p)


def answer_html(answer: Answer) -> str:
    paragraphs = [esc(p.strip()) for p in re.split(r"\n\s*\n", answer.text) if p.strip()]
    if answer.notice:
        paragraphs.append(f"<i>{esc(answer.notice)}</i>")
    if answer.citations:
        paragraphs.append("<b>Sources</b>\n" + "\n".join(citation_line(c) for c in answer.citations))
    elif answer.related:  # numbered for 🔊 and /listen only when there are no sources to number
        lines = [related_line(n, r) for n, r in enumerate(answer.related, start=1)]
        paragraphs.append(f"<b>{RELATED_HEADING}</b>\n" + "\n".join(lines) + f"\n<i>{esc(RELATED_HINT)}</i>")
    return "\n\n".join(paragraphs)


def preview_text(text: str, limit: int = MESSAGE_LIMIT - 96) -> str:
    """A partial answer while it is being written: plain text (no parse mode), cut to fit."""
    text = text.strip()
    while utf16_len(text) > limit:
        text = text[: max(0, len(text) - (utf16_len(text) - limit))]  # not 1: one emoji over limit 1 looped
    return text + " …"


# --- listings ------------------------------------------------------------------------------
def issue_title(listing: IssueListing) -> str:
    return listing.issue.label or "Undated issue"


def article_block(n: int, article: Article, takeaways: bool) -> str:
    lines = [f"<b>{n}.</b> {link(article.title, article.url)}"]
    meta = " · ".join(p for p in (esc(article.author), esc(article.magazine), format_date(article.published)) if p)
    if meta:
        lines.append(meta)
    if takeaways:
        lines.extend(f"• {esc(t)}" for t in article.takeaways)
    return "\n".join(lines)


def issue_html(listing: IssueListing, takeaways: bool, heading: str = "") -> str:
    count = len(listing.articles)
    head = f"<b>{link(issue_title(listing), listing.issue.url)}</b> · {count} article{'' if count == 1 else 's'}"
    if heading:
        head = f"{esc(heading)}\n{head}"
    blocks = [article_block(i, a, takeaways) for i, a in enumerate(listing.articles, start=1)]
    return "\n\n".join([head, *blocks, "<i>Tap 🔊 to hear an article, or send /listen with its number.</i>"])


def articles_html(heading: str, articles: Sequence[Article]) -> str:
    """A numbered list of articles from several issues (search results, a topic)."""
    blocks = []
    for i, a in enumerate(articles, start=1):
        meta = " · ".join(p for p in (esc(a.issue.label), esc(a.magazine), format_date(a.published)) if p)
        blocks.append(f"<b>{i}.</b> {link(a.title, a.url)}" + (f"\n{meta}" if meta else ""))
    return "\n\n".join([f"<b>{esc(heading)}</b>", *blocks])


def hits_html(query: str, hits: Sequence[Hit]) -> str:
    return articles_html(f"Articles matching “{query}”", [h.article for h in hits])


# --- voice captions ------------------------------------------------------------------------
def article_caption(article: Article) -> str:
    meta = " · ".join(p for p in (esc(article.issue.label), esc(article.author), esc(article.magazine)) if p)
    return _fit_caption([f"🔊 <b>{esc(article.title)}</b>", meta])


def episode_caption(listing: IssueListing, clip: AudioClip) -> str:
    lines = [f"🎧 <b>{esc(issue_title(listing))}</b> · {clock(clip.duration)}"]
    lines.extend(f"{clock(c.start)} {esc(c.title)}" for c in clip.chapters)
    return _fit_caption(lines)


def _fit_caption(lines: Iterable[str]) -> str:
    """Whole lines only, so no tag or entity is cut."""
    kept: list[str] = []
    for line in (x for x in lines if x):
        if utf16_len("\n".join([*kept, line, "…"])) > CAPTION_LIMIT:
            kept.append("…")
            break
        kept.append(line)
    return "\n".join(kept)


# --- splitting -----------------------------------------------------------------------------
# Every character is in some token: whitespace other than space and tab (\r, a no-break space) was
# in none, so findall dropped it and glued the words on either side together.
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|\n\s*\n\s*|\n[^\S\n]*|[^\S\n]+|[^<&\s]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w-]*)")
_BREAK_RANK = {"para": 3, "line": 2, "space": 1}
MIN_SPLIT_LIMIT = 32  # room for the longest entity Telegram knows (&#x10FFFF;) in any part


def _kind(token: str) -> str:
    if token.startswith("<"):
        return "close" if token.startswith("</") else "open" if _TAG_NAME.match(token) else "text"
    if token.isspace():
        return "para" if token.count("\n") >= 2 else "line" if "\n" in token else "space"
    return "text"


def _closers(stack: Sequence[str]) -> str:
    return "".join(f"</{_TAG_NAME.match(tag).group(1)}>" for tag in reversed(stack))


def _tags_within(tokens: list[str], budget: int) -> list[str]:
    """``tokens`` less the tags that would not leave a part enough room: an opening tag is kept
    (with its closing tag) only while the tags open at that point, with their closers, take at
    most ``budget`` units. A link whose address is longer than a message keeps its text, unlinked,
    and tags reopened at a cut never fill the next part."""
    kept: list[str] = []
    stack: list[int] = []  # for each open tag: what it costs when kept, 0 when dropped
    cost = 0
    for token in tokens:
        kind = _kind(token)
        if kind == "open":
            size = utf16_len(token) + utf16_len(_closers([token]))
            fits = cost + size <= budget
            stack.append(size if fits else 0)
            if fits:
                cost += size
                kept.append(token)
        elif kind == "close" and stack:
            size = stack.pop()
            if size:
                cost -= size
                kept.append(token)
        else:
            kept.append(token)
    return kept


def _units_prefix(word: str, room: int) -> int:
    """How many characters of ``word`` fit in ``room`` UTF-16 units."""
    used = 0
    for k, ch in enumerate(word):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            return k
    return len(word)


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units (measured on the HTML, which is never
    shorter than what Telegram counts). Cuts go at the last paragraph break that fits, else the
    last line break, else the last space, else inside a word; tags open at a cut are closed and
    reopened. Tags that would take more than half a part are left out, keeping their text (see
    ``_tags_within``), so every part has room for at least half a message of text."""
    if limit < MIN_SPLIT_LIMIT:
        raise ValueError(f"a part must hold at least {MIN_SPLIT_LIMIT} units, not {limit}")
    tokens = _tags_within(_TOKEN.findall(text), limit // 2)
    parts: list[str] = []
    carried: list[str] = []  # opening tags still open where the next part starts
    i = 0
    while i < len(tokens):
        while i < len(tokens) and tokens[i].isspace():
            i += 1  # a part never starts with the whitespace it was cut at
        if i == len(tokens):
            break
        stack = list(carried)
        size = utf16_len("".join(carried))
        best: tuple[int, int, list[str]] | None = None  # (rank, cut index, open tags there)
        j = i
        while j < len(tokens):
            token, kind = tokens[j], _kind(tokens[j])
            if kind in _BREAK_RANK and j > i:
                rank = _BREAK_RANK[kind]
                if best is None or rank >= best[0]:
                    best = (rank, j, list(stack))
            after = stack + [token] if kind == "open" else stack[:-1] if kind == "close" and stack else stack
            if size + utf16_len(token) + utf16_len(_closers(after)) > limit:
                break
            size += utf16_len(token)
            stack = after
            j += 1
        if j == len(tokens):
            cut, open_tags = j, stack
        elif best is not None:
            _, cut, open_tags = best
        elif j > i:
            cut, open_tags = j, stack  # one long run without spaces: cut between tokens
        else:  # one token longer than the room left: a word (tags and entities always fit), cut
            # where the room ends. The carried tags take at most half the limit, so the room is
            # at least half of it: the head is never empty and what is left gets shorter each time.
            word = tokens[i]
            k = _units_prefix(word, limit - size - utf16_len(_closers(stack)))
            if not 0 < k < len(word):
                raise AssertionError(f"split_html cannot cut a token of {utf16_len(word)} units")  # unreachable
            tokens[i : i + 1] = [word[:k], word[k:]]
            continue
        body = "".join(carried) + "".join(tokens[i:cut]).rstrip()
        parts.append(body + _closers(open_tags))
        carried, i = open_tags, cut
    return [p for p in parts if re.sub(r"<[^>]*>", "", p).strip()]
