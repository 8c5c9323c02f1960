"""What the bot remembers about each chat while it runs: the last questions (for follow-ups) and
the articles of its last answer or list (for "/listen 2"). Bounded per chat and in chat count;
it is conversation context, so it is not persisted (buttons are: see storage.source_key)."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from assistant.conversation import MAX_TURNS, Turn


@dataclass
class ChatState:
    history: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))
    sources: list[str] = field(default_factory=list)  # article ids, numbered from 1 as last shown

    def source(self, n: int) -> str | None:
        return self.sources[n - 1] if 1 <= n <= len(self.sources) else None


class ChatMemory:
    def __init__(self, max_chats: int = 10_000):
        self._chats: OrderedDict[int, ChatState] = OrderedDict()
        self._max_chats = max_chats

    def get(self, chat_id: int) -> ChatState:
        state = self._chats.pop(chat_id, None) or ChatState()
        self._chats[chat_id] = state
        if len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)  # the chat quiet for longest forgets first
        return state

    def reset(self, chat_id: int) -> None:
        self._chats.pop(chat_id, None)
