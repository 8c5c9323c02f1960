"""index.registry: a new format is one parser plus one registration line, and the normal read
path (folders by suffix, other files by sniffing, URLs by scheme) and parse path pick it up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import NotADigestPage, SourceError
from assistant.models import Article, make_article_id
from index import ingest
from index.documents import SourceDocument
from index.parse import find_issue, parse_document
from index.registry import (
    formats,
    kind_for_suffix,
    register_format,
    register_reader,
    sniff_kind,
    unregister_format,
    unregister_reader,
)
from index.sources import read_sources
from tests.conftest import make_settings

WEEK_480 = """# Week 480, July 3-9, 2026

## The quiet return of the four-day week
*Harvard Business Review* | Jane Doe

Trials in three countries found that output held steady while sick days fell.
Managers said meetings got shorter.

## Why container ports run at night now
*The Economist*

Automated cranes keep loading ships after the crews go home.
"""
WEEK_481 = """# Week 481, July 10-16, 2026

## Loyalty programs become banks
*Fortune* | Sam Lee

Airlines now earn more from selling miles than from flying.
"""


# --- the whole format: one function -------------------------------------------------


def parse_markdown(doc: SourceDocument) -> list[Article]:
    """'# Week N, <dates>', then per article '## Title', '*Magazine* | Author' and paragraphs."""
    lines = [line.strip() for line in doc.content.splitlines()]
    issue = find_issue(line[2:] for line in lines if line.startswith("# "))
    if issue is None:
        raise NotADigestPage(doc.name, 'no "# Week N" header')
    blocks: list[dict] = []
    for line in lines:
        if line.startswith("## "):
            blocks.append({"title": line[3:], "summary": []})
        elif blocks and line.startswith("*") and "magazine" not in blocks[-1]:
            magazine, _, author = line.partition("|")
            blocks[-1].update(magazine=magazine.strip(" *"), author=author.strip() or None)
        elif blocks and line:
            blocks[-1]["summary"].append(line)
    return [
        Article(id=make_article_id(issue.week, b["title"]), issue=issue, source=doc.name, position=k, **b)
        for k, b in enumerate(blocks)
    ]


@contextmanager
def markdown_format() -> Iterator[None]:
    # The one registration line (a format module would put it as a decorator on parse_markdown).
    register_format("markdown", suffixes=(".md",), sniff=lambda text: text.startswith("# Week"))(parse_markdown)
    try:
        yield
    finally:
        unregister_format("markdown")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_format_is_read_by_suffix_and_by_sniffing_and_ingested(tmp_path: Path) -> None:
    folder = tmp_path / "digest"
    by_suffix = write(folder / "week-480.md", WEEK_480)
    write(folder / "week-373.txt", "Week 373")  # still page text: the markdown sniffer does not claim it
    sniffed = write(tmp_path / "week-481.digest", WEEK_481)  # a name that tells nothing

    with markdown_format():
        kinds = [(d.name, d.kind) for d in read_sources([str(folder), str(sniffed)], make_settings(tmp_path))]
        with Assistant(make_settings(tmp_path / "home")) as a:
            report = ingest(a, [str(by_suffix), str(sniffed)])
            four_day = a.show("w480-the-quiet-return-of-the-four-day-week")
            weeks = {x.issue.week: [art.title for art in x.articles] for x in a.issues()}

    assert kinds == [(str(folder / "week-373.txt"), "text"), (str(by_suffix), "markdown"), (str(sniffed), "markdown")]
    assert (report.added, report.failed, report.articles_total) == (3, 0, 3)
    assert weeks == {
        480: ["The quiet return of the four-day week", "Why container ports run at night now"],
        481: ["Loyalty programs become banks"],
    }
    assert (four_day.magazine, four_day.author) == ("Harvard Business Review", "Jane Doe")
    assert four_day.source == str(by_suffix)
    assert four_day.summary[1] == "Managers said meetings got shorter."
    assert (four_day.issue.dates, str(four_day.issue.start)) == ("July 3-9, 2026", "2026-07-03")


def test_unregistering_leaves_the_built_in_formats_as_they_were(tmp_path: Path) -> None:
    before = formats()
    with markdown_format():
        assert kind_for_suffix(".MD") == "markdown" and sniff_kind(WEEK_480) == "markdown"
    assert formats() == before and [f.kind for f in before] == ["text", "html", "wp-json", "jsonl"]
    assert kind_for_suffix(".md") is None and sniff_kind(WEEK_480) == "text"
    write(tmp_path / "notes.md", WEEK_480)
    [err] = read_sources([str(tmp_path)], make_settings(tmp_path))
    assert isinstance(err, SourceError) and err.reason == "folder has no readable sources (.txt, .html, .json, .jsonl)"
    with pytest.raises(SourceError, match="unknown document kind 'markdown'"):
        parse_document(SourceDocument(name="x.md", kind="markdown", content=WEEK_480))


def test_a_kind_or_suffix_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_format("html")(parse_markdown)
    with pytest.raises(ValueError, match=r"suffix \.htm already belongs to kind 'html'"):
        register_format("markdown", suffixes=(".HTM",))(parse_markdown)
    assert kind_for_suffix(".md") is None  # the refused registration left nothing behind


def test_a_new_scheme_is_one_reader_and_one_registration(tmp_path: Path) -> None:
    notes = {"memo://week-480": WEEK_480}
    made: list[object] = []

    class MemoReader:
        def __init__(self, settings):
            self.closed = False
            made.append(self)

        def read(self, spec: str) -> Iterator[SourceDocument | SourceError]:
            if spec not in notes:
                yield SourceError(spec, "no such memo")
                return
            yield SourceDocument(name=spec, kind=sniff_kind(notes[spec]), content=notes[spec])

        def close(self) -> None:
            self.closed = True

    register_reader("memo")(MemoReader)
    try:
        with markdown_format():
            specs = ["memo://week-480", "memo://nothing", "ftp://x.org/a.txt"]
            results = list(read_sources(specs, make_settings(tmp_path)))
            articles = parse_document(results[0])
    finally:
        unregister_reader("memo")
    assert [type(r).__name__ for r in results] == ["SourceDocument", "SourceError", "SourceError"]
    assert results[1].reason == "no such memo"
    assert results[2].reason == "unsupported address: only http://, https:// and memo:// URLs are read"
    assert [a.title for a in articles][0] == "The quiet return of the four-day week"
    assert len(made) == 1 and made[0].closed  # one reader for the run, closed at its end
    [err] = read_sources(["memo://week-480"], make_settings(tmp_path))
    assert err.reason == "unsupported address: only http:// and https:// URLs are read"


CARDS = """<html><body><p>Week 482, July 17-23, 2026</p>
<div class="digest-card"><h2>Robots in the warehouse</h2><p>Pickers now work beside arms.</p></div>
</body></html>"""


def parse_cards(doc: SourceDocument) -> list[Article]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(doc.content, "lxml")
    issue = find_issue([soup.p.get_text()])
    return [
        Article(
            id=make_article_id(issue.week, card.h2.get_text()),
            title=card.h2.get_text(),
            issue=issue,
            summary=[p.get_text() for p in card.find_all("p")],
            source=doc.name,
            position=k,
        )
        for k, card in enumerate(soup.select(".digest-card"))
    ]


def test_a_new_page_layout_refines_a_kind(tmp_path: Path) -> None:
    cards = write(tmp_path / "cards.html", CARDS)
    plain = write(tmp_path / "plain.html", "<html><body><p>Week 373</p></body></html>")
    register_format("html-cards", refines="html", sniff=lambda text: 'class="digest-card"' in text)(parse_cards)
    try:
        docs = list(read_sources([str(cards), str(plain)], make_settings(tmp_path)))
        [article] = parse_document(docs[0])
        assert sniff_kind(CARDS) == "html"  # a layout is told apart only once the kind is known
    finally:
        unregister_format("html-cards")
    assert [d.kind for d in docs] == ["html-cards", "html"]
    assert (article.title, article.issue.week, article.summary) == (
        "Robots in the warehouse",
        482,
        ["Pickers now work beside arms."],
    )
    with pytest.raises(ValueError, match="must be registered, and a sniffer given"):
        register_format("html-cards", refines="html")(parse_cards)
    assert [f.kind for f in formats()] == ["text", "html", "wp-json", "jsonl"]
