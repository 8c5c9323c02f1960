"""Every channel, registered once: what `assistant serve` runs (each one that is on), and how
`assistant web` and `assistant telegram` find theirs.

A channel is an object with a ``name`` and a ``label``, ``off_reason(settings)`` (None when it
should run, else why not) and ``async start(assistant, settings)`` / ``async stop()``. Every
channel shares the one process, event loop and Assistant (bots/host.py). A channel module must
be light to import: its library (uvicorn, python-telegram-bot...) loads in ``start``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from bots.telegram.channel import TelegramChannel
from bots.web.server import WebChannel

if TYPE_CHECKING:
    from assistant import Assistant
    from bots.settings import AppSettings


class Channel(Protocol):
    name: str  # how commands and tests select it: "web", "telegram"
    label: str  # how log lines call it: "the web chat"

    def off_reason(self, settings: AppSettings) -> str | None: ...

    async def start(self, assistant: Assistant, settings: AppSettings) -> None: ...

    async def stop(self) -> None: ...


CHANNELS: list[Callable[[], Channel]] = [
    WebChannel,
    TelegramChannel,
]


def channels(names: Iterable[str] | None = None) -> list[Channel]:
    """New instances of the registered channels, in registration order; ``names`` picks some."""
    made = [make() for make in CHANNELS]
    if names is None:
        return made
    wanted = set(names)
    if unknown := wanted - {c.name for c in made}:
        raise ValueError(f"no channel named {', '.join(sorted(unknown))}")
    return [c for c in made if c.name in wanted]
