"""The podcast feed (bots/web/feed.py) as XML: always well formed, and only http(s) links.

The feed served by a real `assistant web` process is tested in test_web.py
(test_podcast_feed_lists_every_issue_with_real_enclosures).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from assistant import Assistant
from assistant.models import Article, AudioClip, AudioFormat, Chapter, Issue, IssueListing
from bots.web.feed import podcast_feed
from index import ingest
from tests.conftest import make_settings

BASE = "http://127.0.0.1:7860"
XML_ILLEGAL = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])) + "\ufffe\uffff\ud800"


def clip(*chapters: str) -> AudioClip:
    return AudioClip(
        path="week.mp3",
        format=AudioFormat.MP3,
        duration=61.0,
        sample_rate=22050,
        engine="test",
        voice="test",
        chapters=[Chapter(start=i * 10.0, title=t) for i, t in enumerate(chapters)],
        key="0123456789abcdef",
        bytes=1234,
    )


def parse_feed(episodes: list[tuple[IssueListing, AudioClip]]) -> ET.Element:
    return ET.fromstring(podcast_feed(episodes, BASE))  # raises ParseError on invalid XML


def links(rss: ET.Element) -> list[str]:
    return [el.text or "" for el in rss.iter("link")]


def test_feed_is_well_formed_whatever_characters_a_record_kept() -> None:
    title = f"Con{XML_ILLEGAL}trols"
    issue = Issue(week=501, dates=f"May 1-7, 2026{XML_ILLEGAL}", start=date(2026, 5, 1), end=date(2026, 5, 7))
    article = Article(id="a", title=title, summary=[f"Sum{XML_ILLEGAL}mary"])
    rss = parse_feed([(IssueListing(issue=issue, articles=[article]), clip(title))])

    [item] = rss.iter("item")
    assert item.findtext("title") == "Week 501, May 1-7, 2026"
    assert "Controls" in (item.findtext("description") or "")


@pytest.mark.parametrize(
    ("issue_url", "shown"),
    [
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/", False),
        ("https://informedi.org/2026/05/07/week-501/", True),
        ("HTTP://informedi.org/week-501/", True),
    ],
)
def test_feed_links_only_http_addresses(issue_url: str, shown: bool) -> None:
    issue = Issue(week=501, dates="May 1-7, 2026", url=issue_url)
    rss = parse_feed([(IssueListing(issue=issue, articles=[]), clip())])

    [item] = rss.iter("item")
    assert (item.findtext("link") == issue_url.strip()) is shown
    assert not [link for link in links(rss) if not link.lower().startswith(("http://", "https://"))]


def test_an_ingested_hostile_record_gives_a_valid_feed_without_its_link(tmp_path: Path) -> None:
    record = {
        "id": "w501-controls",
        "title": "Con\x00\x08trols\x1f\ufffe",
        "summary": ["Sum\x0emary\x1b."],
        "week": 501,
        "issue_dates": "May 1-7, 2026",
        "issue_url": "javascript:alert(1)",
    }
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(record), encoding="utf-8")
    with Assistant(make_settings(tmp_path / "home")) as a:
        assert ingest(a, [str(path)]).added == 1
        listing = a.issue(501)
    [article] = listing.articles

    assert (article.title, article.summary) == ("Controls", ["Summary."])  # cleaned at ingest
    rss = parse_feed([(listing, clip(article.title))])
    assert "javascript" not in ET.tostring(rss, encoding="unicode").lower()
    assert links(rss) == [BASE + "/"]
