"""The podcast feed: RSS 2.0 with the iTunes tags podcast apps read, one episode per weekly issue.

Always well-formed XML whatever an index holds (ingest drops the characters XML forbids, but an
index built before it did may still have them), and it links only http(s) addresses, as the
web and Telegram renderers do: a podcast app opens ``<link>`` when the episode is tapped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from assistant.brand import DIGEST_NAME, PODCAST_TAGLINE, PUBLISHER
from assistant.models import AudioClip, IssueListing, clock

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ET.register_namespace("itunes", ITUNES)
# What XML 1.0 forbids in text: C0 controls but tab, newline and return; surrogates; U+FFFE, U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _http_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) address (``javascript:``, ``data:`` and the rest are dropped)."""
    url = _xml_text(url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def podcast_feed(episodes: list[tuple[IssueListing, AudioClip]], base_url: str) -> bytes:
    base_url = _xml_text(base_url)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    for tag, text in (
        ("title", DIGEST_NAME),
        ("link", base_url + "/"),
        ("description", PODCAST_TAGLINE),
        ("language", "en"),
    ):
        ET.SubElement(channel, tag).text = text
    ET.SubElement(channel, f"{{{ITUNES}}}author").text = PUBLISHER
    ET.SubElement(channel, f"{{{ITUNES}}}explicit").text = "false"
    ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": "Business"})
    for listing, clip in episodes:
        issue = listing.issue
        url = f"{base_url}/listen/week/{issue.week}.mp3"
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _xml_text(issue.label)
        chapters = "\n".join(f"{clock(c.start)} {c.title}" for c in clip.chapters)
        ET.SubElement(item, "description").text = _xml_text(f"{len(listing.articles)} articles.\n{chapters}").strip()
        ET.SubElement(item, "enclosure", {"url": url, "length": str(clip.bytes), "type": "audio/mpeg"})
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = _xml_text(f"week-{issue.week}-{clip.key[:12]}")
        published = issue.end or issue.start
        if published:
            moment = datetime.combine(published, time(12, 0), tzinfo=UTC)
            ET.SubElement(item, "pubDate").text = format_datetime(moment)
        ET.SubElement(item, f"{{{ITUNES}}}duration").text = _duration(clip.duration)
        link = _http_url(issue.url)
        if link:
            ET.SubElement(item, "link").text = link
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)
