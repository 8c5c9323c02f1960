"""The fuzz targets: each is a Hypothesis strategy and a property that must hold for every value
it draws. ``tests/fuzz/`` runs them under pytest (a few thousand examples in CI) and
``python -m evals.fuzz`` runs them at scale (a soak of 100,000 examples or more).

A property fails by raising (an ``AssertionError`` says which invariant broke), so the same
function serves both runners. What is checked, target by target:

- **parsers** (``index.parse``): any text, HTML, JSON or JSON lines either parses or raises
  ``SourceError``; what parses is safe text (no XML-illegal character, no lone surrogate), with
  unique ids, titles and dated issues; a page written from a model parses back to the model.
- **Telegram** (``bots.telegram.render``): every renderer writes valid Telegram HTML (b, i and
  http(s) links only, entities whole, tags balanced, UTF-8 encodable) that shows the text it was
  given; ``split_html`` keeps each part within the limit and valid, and loses no visible text.
- **web** (``bots.web.render``): the cards parse back to the allowed elements and attributes
  only, links are http(s), the digest text shows as text, audio addresses stay on their route.
- **feed** (``bots.web.feed``): the RSS always parses as XML, links are http(s), titles survive.
- **speech** (``assistant.speech.normalize``): text for the ear is idempotent, tidy, XML-legal,
  free of tags, URLs and citation markers, at most 9 times longer, and made in linear time.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET

from hypothesis import strategies as st
from pydantic import BaseModel

from assistant.errors import SourceError
from assistant.models import Answer, Article, Hit, IssueListing, format_date
from assistant.speech import normalize
from bots.telegram import render as tg
from bots.web import feed as web_feed
from bots.web import render as web
from evals import fuzz_strategies as s
from index.documents import SourceDocument
from index.parse import find_issue, parse_date, parse_date_range, parse_document
from index.parse.dates import clean_text
from index.reading import make_documents
from index.registry import sniff_kind


@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy
    check: Callable[[Any], None]
    weight: float = 1.0  # share of a soak's examples; slow targets get fewer


# --- shared checks ----------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def assert_xml_safe(text: str, what: str) -> None:
    bad = _XML_ILLEGAL.search(text)
    assert bad is None, f"{what} holds {bad.group()!r} (XML forbids it) at {bad.start()}: {text[:80]!r}"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name))


def _timed(seconds: float, what: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, which must take under ``seconds``: the budgets are 100 times what linear code
    needs, so only a quadratic regex or loop on a long input exceeds them."""
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    assert took < seconds, f"{what} took {took:.2f} s (budget {seconds:.2f} s): superlinear on this input"
    return result


# --- parsers --------------------------------------------------------------------------------

PARSE_BUDGET = 20.0  # seconds for one document of at most ~200 kB, bs4 and lxml included


def check_articles(articles: list[Article], kind: str) -> None:
    """What every parsed document holds, whatever its kind."""
    assert isinstance(articles, list) and articles, "a parser returned no articles without raising"
    ids = [a.id for a in articles]
    assert len(set(ids)) == len(ids), f"duplicate article ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    for a in articles:
        assert isinstance(a, Article)
        for text in _strings(a):
            assert_xml_safe(text, f"article {a.id!r}")
        assert a.id.strip(), f"an article with an empty id: {a!r}"[:300]
        assert a.title.strip(), f"an article with an empty title: {a.id!r}"
        assert all(p.strip() for p in a.summary), f"an empty summary paragraph in {a.id!r}"
        if a.issue.start and a.issue.end:
            assert a.issue.start <= a.issue.end, f"issue ends before it starts: {a.issue!r}"
        if kind == "jsonl":
            assert a.summary, f"a record without a summary: {a.id!r}"
        else:  # page layouts: the block's title and byline (a block may have no summary), the page's week
            assert a.title == clean_text(a.title) and len(a.title) <= 250, f"title not a clean line: {a.title!r}"
            assert a.published is not None and a.issue.week is not None, f"undated article {a.id!r}"
            assert a.id.startswith(f"w{a.issue.week}-"), f"id {a.id!r} does not name week {a.issue.week}"


def check_parse(doc: SourceDocument) -> None:
    """``parse_document`` raises SourceError or returns well-formed articles."""
    try:
        articles = _timed(PARSE_BUDGET, f"parsing a {doc.kind} document", lambda: parse_document(doc))
    except SourceError as err:
        assert err.reason.strip()
        return
    check_articles(articles, doc.kind)


def check_read_and_parse(text: str) -> None:
    """The ingest path for content whose name tells nothing: sniff, split, parse."""
    kind = sniff_kind(text)
    for item in make_documents(text, kind, "fuzz", None):
        if isinstance(item, SourceError):
            assert item.reason.strip()
        else:
            assert isinstance(item, SourceDocument)
            check_parse(item)


def _documents(kinds: list[str], content: st.SearchStrategy[str]) -> st.SearchStrategy[SourceDocument]:
    return st.builds(
        lambda kind, text, url: SourceDocument(name="fuzz", kind=kind, content=text, url=url),
        st.sampled_from(kinds),
        content,
        s.maybe(s.URLS),
    )


def _expected_articles(page: s.Page, url: str | None, source: str, html_links: bool) -> list[dict]:
    out = []
    for a in page.articles:
        if html_links:
            read = a.read if a.modern else None
            read = read or (None if a.read else "https://example.org/title/")
            listen = a.listen if a.modern else None
        else:
            read = listen = None
        out.append(
            {
                "title": a.title,
                "author": a.author,
                "magazine": a.magazine,
                "published": a.published,
                "url": read,
                "listen_url": listen,
                "takeaways": a.takeaways,
                "topics": a.topics,
                "summary": a.summary,
                "issue": {"week": page.week, "dates": None, "start": page.start, "end": page.end, "url": url},
                "source": source,
            }
        )
    return out


def _compare(articles: list[Article], expected: list[dict]) -> None:
    got = []
    for a in articles:
        row = a.model_dump(exclude={"id", "position"})
        row["issue"]["dates"] = None  # the range as the page writes it: checked as dates instead
        got.append(row)
    assert len(got) == len(expected), f"{len(expected)} articles written, {len(got)} parsed"
    for n, (g, e) in enumerate(zip(got, expected)):
        assert g == e, f"article {n} parsed as\n{g}\nwritten as\n{e}"


def check_text_page(page: s.Page) -> None:
    articles = parse_document(SourceDocument(name="page.txt", kind="text", content=s.page_text(page), url=page.url))
    check_articles(articles, "text")
    _compare(articles, _expected_articles(page, page.url, "page.txt", html_links=False))


def check_html_page(page: s.Page) -> None:
    articles = parse_document(SourceDocument(name="page.html", kind="html", content=s.page_html(page)))
    check_articles(articles, "html")
    _compare(articles, _expected_articles(page, page.url, "page.html", html_links=True))


@st.composite
def _wordpress_pages(draw: st.DrawFn) -> tuple[list[s.Page], bool]:
    pages = draw(st.lists(s.pages(), min_size=1, max_size=3, unique_by=lambda p: p.week))
    return pages, draw(st.booleans())


def check_wordpress(value: tuple[list[s.Page], bool]) -> None:
    pages, ensure_ascii = value
    posts = [s.wordpress_post(p, i) for i, p in enumerate(pages)]
    content = json.dumps(posts if len(posts) > 1 else posts[0], ensure_ascii=ensure_ascii)
    documents = list(make_documents(content, sniff_kind(content), "posts.json", None))
    assert all(isinstance(d, SourceDocument) and d.kind == "wp-json" for d in documents), documents
    assert len(documents) == len(pages)
    for page, doc in zip(pages, documents):
        assert isinstance(doc, SourceDocument)
        articles = parse_document(doc)
        check_articles(articles, "wp-json")
        _compare(articles, _expected_articles(page, page.url, doc.name, html_links=True))


def _clean_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = clean_text(value)
    return cleaned or None


def check_records(records: list[dict]) -> None:
    """JSON lines written from valid records (distinct ids, a title and a summary that are more
    than spaces and controls) parse back to the records' text as ``clean_text`` leaves it."""
    lines = [json.dumps(r, ensure_ascii=bool(n % 2)) for n, r in enumerate(records)]
    records = [json.loads(line) for line in lines]  # "\ud800\udc00" escaped reads back as one character
    ids = [_clean_or_none(r["id"]) for r in records]
    articles = parse_document(SourceDocument(name="records.jsonl", kind="jsonl", content="\n".join(lines)))
    check_articles(articles, "jsonl")
    assert [a.id for a in articles] == ids
    for a, r in zip(articles, records):
        assert a.title == clean_text(r["title"])
        summary = r["summary"].splitlines() if isinstance(r["summary"], str) else r["summary"]
        assert a.summary == [clean_text(p) for p in summary if clean_text(p)]
        for key in ("author", "magazine", "url", "listen_url"):
            assert getattr(a, key) == _clean_or_none(r.get(key)), key
        for key in ("takeaways", "topics"):
            assert getattr(a, key) == [clean_text(t) for t in r.get(key, []) if clean_text(t)], key
        assert a.published == (date.fromisoformat(r["published"]) if "published" in r else None)


# --- dates ----------------------------------------------------------------------------------

_MONTH_NAMES = ["", *(date(2000, m, 1).strftime("%B") for m in range(1, 13))]


@st.composite
def _date_ranges(draw: st.DrawFn) -> tuple[str, date, date, int]:
    start = draw(st.dates(date(1000, 1, 1), date(9998, 12, 1)))
    end = draw(st.dates(start, min(date(9999, 12, 31), date(start.year + 1, 12, 31))))
    week = draw(st.integers(0, 9999))
    m1, m2 = _MONTH_NAMES[start.month], _MONTH_NAMES[end.month]
    dash = draw(st.sampled_from(["-", "–", "—", " - ", "- ", " to ", " until ", " through ", "‑"]))
    sep = draw(st.sampled_from([", ", "|", " | ", ": ", " – ", ", covering ", " ", "\xa0"]))
    if start.year != end.year:
        text = f"{m1} {start.day}, {start.year}{dash}{m2} {end.day}, {end.year}"
    elif start.month != end.month:
        text = f"{m1} {start.day}{dash}{m2} {end.day}, {end.year}"
    else:
        text = f"{m1} {start.day:0{draw(st.integers(1, 2))}d}{dash}{end.day}, {end.year}"
    return f"Week {week}{sep}{text}", start, end, week


def check_date_range(value: tuple[str, date, date, int]) -> None:
    """A header written from dates reads back as those dates, and so does the bare range."""
    text, start, end, week = value
    issue = find_issue(["Informed i's Weekly Business Insights", text])
    assert issue is not None and (issue.week, issue.start, issue.end) == (week, start, end), (text, issue)
    found = parse_date_range(text)
    assert found is not None and (found.start, found.end) == (start, end), (text, found)


def check_date(value: tuple[date, int]) -> None:
    d, style = value
    month = _MONTH_NAMES[d.month]
    text = [
        format_date(d),
        f"{month[:3]} {d.day} {d.year}",
        f"{month[:3]}. {d.day}, {d.year}.",
        f"{month} {d.day}th, {d.year}",
    ][style]
    assert parse_date(text) == d, text


def check_dates_never_raise(value: tuple[str, date | None]) -> None:
    text, near = value
    parsed = parse_date(text)
    assert parsed is None or isinstance(parsed, date)
    found = parse_date_range(text, near)
    if found is not None and found.start and found.end:
        assert found.start <= found.end, found
    issue = find_issue(text.splitlines(), near)
    if issue is not None:
        assert issue.week is not None and issue.week >= 0
        assert not (issue.start and issue.end) or issue.start <= issue.end, issue


# --- Telegram HTML --------------------------------------------------------------------------

_TG_TAG = re.compile(r'<(/?)(b|i|a)(?: href="([^"<>]*)")?>')
_TG_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));")


def telegram_problem(text: str, encodable: bool = True) -> str | None:
    """Why Telegram (or the renderers' own contract) would refuse ``text`` as parse_mode HTML:
    only b, i and a href="http(s)…" (no <a> inside <a>), balanced; every & an entity Telegram
    knows; no bare < or >; UTF-8 encodable (no lone surrogate)."""
    if encodable and (bad := _SURROGATE.search(text)):
        return f"lone surrogate {bad.group()!r} at {bad.start()}"
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TG_TAG.match(text, i)
            if not m:
                return f"not an allowed tag at {i}: {text[i : i + 30]!r}"
            closing, name, href = m.groups()
            if closing:
                if href is not None or not stack or stack[-1] != name:
                    return f"unbalanced </{name}> at {i}"
                stack.pop()
            elif name == "a":
                if href is None or "a" in stack:
                    return f"<a> without href, or inside another link, at {i}"
                if not html.unescape(href).startswith(("http://", "https://")):
                    return f"a link that is not http(s): {href[:40]!r}"
                stack.append(name)
            else:
                if href is not None:
                    return f"an attribute on <{name}>"
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _TG_ENTITY.match(text, i)
            if not m:
                return f"not an entity at {i}: {text[i : i + 12]!r}"
            if m.group(1) or m.group(2):
                code = int(m.group(1) or m.group(2), 10 if m.group(1) else 16)
                if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    return f"entity of no character at {i}: {m.group()!r}"
            i = m.end()
        elif ch == ">":
            return f"bare '>' at {i}"
        else:
            i += 1
    return f"unclosed {stack}" if stack else None


def shown(text: str) -> str:
    """What Telegram shows of valid HTML: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _words_joined(text: str) -> str:
    return " ".join(text.split())


def check_split(parts: list[str], text: str, limit: int, encodable: bool = True) -> None:
    """The parts of valid HTML: each within ``limit`` UTF-16 units, valid on its own, not blank;
    together they show the same words, in order (a word is cut in two only when it is longer
    than a part, and whitespace is only dropped or squeezed where the message is cut)."""
    for n, part in enumerate(parts):
        assert tg.utf16_len(part) <= limit, f"part {n} is {tg.utf16_len(part)} units, over {limit}"
        problem = telegram_problem(part, encodable)
        assert problem is None, f"part {n}: {problem}: {part[:200]!r}"
        assert shown(part).strip(), f"part {n} shows nothing: {part[:80]!r}"
    original = _words_joined(shown(text))
    rebuilt = ""
    for part in parts:
        words = _words_joined(shown(part))
        # A cut at whitespace drops it (the next part starts a new word); a cut in a word does not.
        rebuilt += " " + words if rebuilt and original[len(rebuilt) : len(rebuilt) + 1] == " " else words
        assert original.startswith(rebuilt), f"the parts show {rebuilt[-80:]!r}, not {original[: len(rebuilt)][-80:]!r}"
    assert rebuilt == original, f"the parts lose text: {original[len(rebuilt) :][:80]!r}"


def check_split_html(value: tuple[str, int]) -> None:
    text, limit = value
    assert telegram_problem(text, encodable=False) is None, "the strategy made invalid HTML"
    parts = tg.split_html(text, limit)
    check_split(parts, text, limit, encodable=False)
    # A message that fits, with no tag long enough to be dropped, is sent as it is.
    if text.strip() and tg.utf16_len(text) <= limit // 2 and shown(text).strip():
        assert parts == [text.strip()], f"a message that fits was changed: {parts!r}"


def _telegram_ok(out: str, what: str) -> None:
    problem = telegram_problem(out)
    assert problem is None, f"{what}: {problem}: {out[:300]!r}"


def _shows(out: str, texts: list[str | None], what: str) -> None:
    """Each given text (surrogates replaced, as the renderer must) shows in ``out``, words intact."""
    visible = _words_joined(shown(out))
    for t in texts:
        if t and t.strip():
            words = _words_joined(_SURROGATE.sub("\ufffd", t))
            assert words in visible, f"{what} does not show {words[:80]!r}"


def check_telegram_answer(answer: Answer) -> None:
    out = tg.answer_html(answer)
    _telegram_ok(out, "answer_html")
    _shows(out, [p for p in re.split(r"\n\s*\n", answer.text)] + [answer.notice], "answer_html")
    _shows(out, [c.title for c in answer.citations], "answer_html")
    check_split(tg.split_html(out), out, tg.MESSAGE_LIMIT)
    for c in answer.citations:
        _telegram_ok(tg.citation_line(c), "citation_line")
    for n, r in enumerate(answer.related, 1):
        _telegram_ok(tg.related_line(n, r), "related_line")


def check_telegram_listing(value: tuple[IssueListing, bool, str]) -> None:
    listing, takeaways, heading = value
    out = tg.issue_html(listing, takeaways, heading)
    _telegram_ok(out, "issue_html")
    _shows(out, [heading, *(a.title for a in listing.articles)], "issue_html")
    check_split(tg.split_html(out), out, tg.MESSAGE_LIMIT)
    found = tg.articles_html(heading, listing.articles)
    _telegram_ok(found, "articles_html")
    hits = [Hit(article=a, score=0.5) for a in listing.articles]
    _telegram_ok(tg.hits_html(heading, hits), "hits_html")
    for a in listing.articles:
        caption = tg.article_caption(a)
        _telegram_ok(caption, "article_caption")
        assert tg.utf16_len(caption) <= tg.CAPTION_LIMIT


def check_telegram_caption(value: tuple[IssueListing, Any]) -> None:
    listing, clip = value
    caption = tg.episode_caption(listing, clip)
    _telegram_ok(caption, "episode_caption")
    assert tg.utf16_len(caption) <= tg.CAPTION_LIMIT, tg.utf16_len(caption)


def check_preview(value: tuple[str, int]) -> None:
    text, limit = value
    out = tg.preview_text(text, limit)
    assert tg.utf16_len(out) <= limit + 2, f"{tg.utf16_len(out)} units, over {limit} + ' …'"
    assert out.endswith(" …") and text.strip().startswith(out[:-2]), out[:80]


# --- web HTML -------------------------------------------------------------------------------

_WEB_TAGS = {
    "header": {"class"},
    "h1": set(),
    "p": {"class"},
    "article": {"class", "id", "data-article"},
    "h4": set(),
    "h3": set(),
    "span": {"class"},
    "div": {"class"},
    "blockquote": set(),
    "button": {"class", "data-src", "data-start"},
    "audio": {"class", "controls", "preload", "hidden", "src"},
    "section": {"class"},
    "ul": {"class"},
    "li": set(),
    "a": {"href", "target", "rel"},
}


class _WebScan(HTMLParser):
    """Start and end tags, attributes and text, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append("a comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("a declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("a processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("a marked section")


def web_problems(out: str) -> tuple[list[str], str]:
    """What is wrong with the renderer's HTML, and the text it shows."""
    scan = _WebScan()
    scan.feed(out)
    scan.close()
    problems = list(scan.problems)
    if scan.stack:
        problems.append(f"unclosed {scan.stack}")
    for tag, attrs in scan.elements:
        if tag not in _WEB_TAGS:
            problems.append(f"element <{tag}>")
            continue
        extra = set(attrs) - _WEB_TAGS[tag]
        if extra:
            problems.append(f"attributes {sorted(extra)} on <{tag}>")
        href = attrs.get("href")
        if href is not None and not href.startswith(("http://", "https://")):
            problems.append(f"a link that is not http(s): {href[:40]!r}")
        src = attrs.get("data-src")
        if src is not None:
            parts = urlsplit(src)
            if parts.scheme or parts.netloc or parts.query or parts.fragment or not parts.path.startswith("/listen/"):
                problems.append(f"audio address off its route: {src[:60]!r}")
    return problems, "".join(scan.text)


def _web_ok(out: str, what: str, texts: list[str | None]) -> str:
    problems, text = web_problems(out)
    assert not problems, f"{what}: {problems[:3]}: {out[:300]!r}"
    # html.parser decodes what the renderer escaped, so each field shows verbatim, \r aside.
    visible = text.replace("\r", "")
    for t in texts:
        if t:
            assert t.replace("\r", "") in visible, f"{what} does not show {t[:60]!r}"
    return text


def _listen_ids(out: str) -> list[str]:
    """The article ids the Listen buttons ask for, as the server's route reads them."""
    scan = _WebScan()
    scan.feed(out)
    srcs = [a["data-src"] for t, a in scan.elements if t == "button" and a.get("data-src")]
    return [unquote(urlsplit(src or "").path).removeprefix("/listen/article/").removesuffix(".mp3") for src in srcs]


def _utf8(text: str) -> str:
    return text.encode("utf-8", "replace").decode()


def check_web_answer(answer: Answer) -> None:
    out = web.sources_html(answer)
    _web_ok(out, "sources_html", [c.title for c in answer.citations] + [c.quote for c in answer.citations])
    ids = [_utf8(c.article_id) for c in answer.citations] + [_utf8(r.article_id) for r in answer.related]
    assert _listen_ids(out) == ids, "a Listen button points at another article"
    web.answer_markdown(answer)


def check_web_listing(value: tuple[IssueListing, Any]) -> None:
    listing, clip = value
    out = web.issue_html(listing, clip)
    texts = [a.title for a in listing.articles] + [t for a in listing.articles for t in a.takeaways]
    if clip is not None and listing.issue.week is not None:
        texts += [c.title for c in clip.chapters]
    _web_ok(out, "issue_html", texts)
    assert _listen_ids(out) == [_utf8(a.id) for a in listing.articles], "a Listen button points at another article"
    _web_ok(web.header_html(), "header_html", [])


# --- podcast feed ---------------------------------------------------------------------------


def _xml_shown(text: str) -> str:
    """What an XML parser reads back: XML-illegal characters dropped, line ends normalised."""
    return _XML_ILLEGAL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def check_feed(value: tuple[list[tuple[IssueListing, Any]], str]) -> None:
    episodes, base_url = value
    rss = ET.fromstring(web_feed.podcast_feed(episodes, base_url))  # raises ParseError if not XML
    items = list(rss.iter("item"))
    assert len(items) == len(episodes)
    channel = rss.find("channel")
    assert channel is not None
    links = [el.text or "" for item in items for el in item.iter("link")]
    if _xml_shown(base_url).lower().startswith(("http://", "https://")):  # the channel's own link is the base
        links += [el.text or "" for el in channel.findall("link")]
        links += [el.get("url", "") for el in channel.iter("enclosure")]
    for link in links:
        assert link.lower().startswith(("http://", "https://")), f"a feed link that is not http(s): {link[:60]!r}"
    for item, (listing, clip) in zip(items, episodes):
        assert (item.findtext("title") or "") == _xml_shown(listing.issue.label), item.findtext("title")
        enclosure = item.find("enclosure")
        assert enclosure is not None and enclosure.get("length") == str(clip.bytes)
        for chapter in clip.chapters:
            assert _xml_shown(chapter.title).strip() in (item.findtext("description") or "")


# --- speech ---------------------------------------------------------------------------------

# "Q1" (2 characters) is read "the first quarter" (17): the largest growth a rule makes.
SPEECH_GROWTH = 9
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_URL = re.compile(r"\b(?:https?://|www\.)\S", re.IGNORECASE)
_MARKER = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")


def check_speech(text: str) -> None:
    budget = 2.0 + len(text) * 1e-4
    out = _timed(budget, "speech_text", lambda: normalize.speech_text(text))
    assert_xml_safe(out, "speech text")
    assert len(out) <= SPEECH_GROWTH * len(text), f"{len(text)} characters became {len(out)}"
    assert _TAG.search(out) is None and _URL.search(out) is None and _MARKER.search(out) is None, (
        f"markup left: {out[:120]!r}"
    )
    for line in out.splitlines():
        assert line and line == line.strip() and "  " not in line, f"untidy line {line[:80]!r}"
    again = normalize.speech_text(out)
    assert again == out, f"not idempotent: {out[:120]!r} -> {again[:120]!r}"
    said = normalize.sentence(text)
    assert said in (out, out + ".") and (not said or said[-1] in ".!?"), said[-40:]


# --- the targets ----------------------------------------------------------------------------

_ALL_KINDS = ["text", "html", "wp-json", "jsonl"]
_LIMITS = st.one_of(st.integers(tg.MIN_SPLIT_LIMIT, 200), st.integers(200, tg.MESSAGE_LIMIT), st.just(tg.MESSAGE_LIMIT))

PARSE_TEXT = Target("parse-text", _documents(["text"], s.digest_ish_lines()), check_parse)
PARSE_HTML = Target("parse-html", _documents(["html", "text"], s.hostile_html()), check_parse, 0.6)
PARSE_JSON = Target("parse-json", _documents(["wp-json", "jsonl"], s.json_text()), check_parse, 0.6)
PARSE_JSONL = Target("parse-jsonl", _documents(["jsonl", "wp-json"], s.jsonl_text()), check_parse)
PARSE_ANY_KIND = Target(
    "parse-any-kind",
    _documents(_ALL_KINDS, st.one_of(s.hostile_text(), s.hostile_html(), s.json_text(), s.digest_ish_lines())),
    check_parse,
    0.6,
)
READ_AND_PARSE = Target(
    "read-and-parse",
    st.one_of(s.hostile_text(), s.hostile_html(), s.json_text(), s.jsonl_text(), s.digest_ish_lines()),
    check_read_and_parse,
    0.6,
)
TEXT_PAGE = Target("text-page-round-trip", s.pages(), check_text_page)
HTML_PAGE = Target("html-page-round-trip", s.pages(), check_html_page, 0.5)
WORDPRESS = Target("wordpress-round-trip", _wordpress_pages(), check_wordpress, 0.4)
RECORDS = Target("jsonl-round-trip", s.records(), check_records)
DATE_RANGES = Target("date-range-round-trip", _date_ranges(), check_date_range)
DATES = Target("date-round-trip", st.tuples(st.dates(date(1000, 1, 1)), st.integers(0, 3)), check_date)
DATES_ANY = Target(
    "dates-any-text",
    st.tuples(st.one_of(s.hostile_text(), s.date_ish_text()), s.maybe(st.dates())),
    check_dates_never_raise,
)
SPLIT_HTML = Target("telegram-split-html", st.tuples(s.telegram_html(), _LIMITS), check_split_html)
TELEGRAM_ANSWER = Target("telegram-answer", s.answers(), check_telegram_answer)
TELEGRAM_LISTING = Target(
    "telegram-listing", st.tuples(s.listings(), st.booleans(), s.short_text()), check_telegram_listing
)
TELEGRAM_CAPTION = Target("telegram-caption", st.tuples(s.listings(), s.clips()), check_telegram_caption)
TELEGRAM_PREVIEW = Target("telegram-preview", st.tuples(s.hostile_text(), st.integers(1, 5000)), check_preview)
WEB_ANSWER = Target("web-answer", s.answers(), check_web_answer)
WEB_LISTING = Target("web-listing", st.tuples(s.listings(), s.maybe(s.clips())), check_web_listing)
FEED = Target(
    "podcast-feed",
    st.tuples(
        st.lists(st.tuples(s.listings(), s.clips()), max_size=4),
        st.one_of(st.just("http://127.0.0.1:7860"), s.URLS, s.short_text()),
    ),
    check_feed,
)
SPEECH = Target("speech-text", s.hostile_text(16), check_speech)

TARGETS = [
    PARSE_TEXT,
    PARSE_HTML,
    PARSE_JSON,
    PARSE_JSONL,
    PARSE_ANY_KIND,
    READ_AND_PARSE,
    TEXT_PAGE,
    HTML_PAGE,
    WORDPRESS,
    RECORDS,
    DATE_RANGES,
    DATES,
    DATES_ANY,
    SPLIT_HTML,
    TELEGRAM_ANSWER,
    TELEGRAM_LISTING,
    TELEGRAM_CAPTION,
    TELEGRAM_PREVIEW,
    WEB_ANSWER,
    WEB_LISTING,
    FEED,
    SPEECH,
]
