"""What a chat channel remembers about each conversation while it runs: the last turns (for
follow-ups, with the articles each answer cited) and the articles of its last answer or list
(for "listen to 2"). Bounded per chat and in chat count; it is conversation context, so it is
not persisted (buttons are: see storage.BotStore.source_key)."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field

from assistant.conversation import MAX_TURNS, Turn
from assistant.models import Answer


@dataclass
class ChatState:
    history: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))
    sources: list[str] = field(default_factory=list)  # article ids, numbered from 1 as last shown

    def source(self, n: int) -> str | None:
        return self.sources[n - 1] if 1 <= n <= len(self.sources) else None

    def remember(self, question: str, answer: Answer) -> None:
        """An answered question: history for follow-ups; the articles it numbers, when it has any,
        for "listen to n"."""
        self.history.append(Turn.of(question, answer))
        if listed := numbered_articles(answer):
            self.sources = listed


def numbered_articles(answer: Answer) -> list[str]:
    """The article ids an answer numbers for listening, from 1: its citations, or, when the digest
    has no answer, the related articles it offers instead (to read, not as evidence)."""
    return [c.article_id for c in answer.citations] or [r.article_id for r in answer.related]


class ChatMemory:
    def __init__(self, max_chats: int = 10_000):
        self._chats: OrderedDict[Hashable, ChatState] = OrderedDict()
        self._max_chats = max_chats

    def get(self, chat_id: Hashable) -> ChatState:
        state = self._chats.pop(chat_id, None) or ChatState()
        self._chats[chat_id] = state
        if len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)  # the chat quiet for longest forgets first
        return state

    def reset(self, chat_id: Hashable) -> None:
        self._chats.pop(chat_id, None)
