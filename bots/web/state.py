"""What the web app keeps between requests: the one Assistant, and the answers to questions the
page asks often (filter choices, the number of articles, the episodes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.errors import SpeechStopped
from assistant.facade import Assistant
from assistant.models import AudioClip, IssueListing

if TYPE_CHECKING:
    from bots.settings import AppSettings

log = logging.getLogger(__name__)


@dataclass
class Choices:
    weeks: list[int] = field(default_factory=list)  # newest first
    magazines: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


class WebState:
    def __init__(self, assistant: Assistant, settings: AppSettings):
        self.assistant = assistant
        self.settings = settings

    def article_count(self) -> int:
        return sum(len(x.articles) for x in self.assistant.issues())

    def choices(self) -> Choices:
        listings = self.assistant.issues()
        articles = [a for x in listings for a in x.articles]
        return Choices(
            weeks=[x.issue.week for x in listings if x.issue.week is not None],
            magazines=sorted({a.magazine for a in articles if a.magazine}, key=str.casefold),
            topics=sorted({t for a in articles for t in a.topics}, key=str.casefold),
        )

    def episodes(self) -> list[tuple[IssueListing, AudioClip]]:
        """Every weekly issue as an MP3 episode (made once, then served from the audio cache)."""
        out = []
        for listing in self.assistant.issues():
            if listing.issue.week is None:
                continue
            try:
                out.append((listing, self.assistant.listen_issue(listing.issue.week, "mp3")))
            except SpeechStopped:
                break  # shutting down
            except Exception:  # one issue that cannot be spoken must not empty the whole feed
                log.exception("episode of week %s failed", listing.issue.week)
        return out
