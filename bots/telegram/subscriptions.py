"""The weekly push: when a newer issue appears in the index, each subscriber gets its takeaways
and its audio episode.

The bot polls the index every ``telegram_push_interval`` seconds (ingest runs in another
command, so polling is the one signal that works across processes). Who has received what is
kept per subscriber in SQLite, so a restart or a crash halfway through a push resumes without
sending anyone the same issue twice. Only the newest issue is pushed: ingesting a backlog does
not flood subscribers with every old week.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Awaitable, Callable

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from assistant.errors import AssistantError
from assistant.models import AudioClip, IssueListing

if TYPE_CHECKING:
    from assistant import Assistant
    from bots.telegram.storage import BotStore

log = logging.getLogger(__name__)

PAUSE_BETWEEN_CHATS = 0.05  # seconds; keeps a large push under Telegram's ~30 messages/s

SendIssue = Callable[[Bot, int, IssueListing, "AudioClip | None"], Awaitable[None]]


class WeeklyPush:
    def __init__(self, assistant: "Assistant", store: "BotStore", send_issue: SendIssue, interval: float):
        self._assistant = assistant
        self._store = store
        self._send_issue = send_issue
        self.interval = interval

    async def run(self, bot: Bot) -> None:
        """Check, sleep, repeat, until cancelled. A failed round is logged and tried again later."""
        while True:
            try:
                await self.check(bot)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("weekly push round failed; trying again in %.0f s", self.interval)
            await asyncio.sleep(self.interval)

    async def check(self, bot: Bot) -> int:
        """Push the newest issue to the subscribers who have not had it; returns how many got it."""
        listings = await asyncio.to_thread(self._assistant.issues)
        newest = next((x for x in listings if x.issue.week is not None), None)
        if newest is None:
            return 0
        week = newest.issue.week
        due = await asyncio.to_thread(self._store.due, week)
        if not due:
            return 0
        log.info("pushing week %s to %d subscriber(s)", week, len(due))
        clip = await self._episode(week)
        pushed = 0
        for chat_id in due:
            try:
                await self._send_issue(bot, chat_id, newest, clip)
            except Forbidden:
                log.info("chat %s blocked the bot or left: unsubscribed", chat_id)
                await asyncio.to_thread(self._store.unsubscribe, chat_id)
                continue
            except TelegramError as exc:
                log.warning("push of week %s to chat %s failed (%s); next round retries", week, chat_id, exc)
                continue
            await asyncio.to_thread(self._store.delivered, chat_id, week)
            pushed += 1
            await asyncio.sleep(PAUSE_BETWEEN_CHATS)
        return pushed

    async def _episode(self, week: int) -> AudioClip | None:
        """The episode, made once for all subscribers; without speech the takeaways still go out."""
        try:
            return await asyncio.to_thread(self._assistant.listen_issue, week, "ogg")
        except AssistantError as exc:
            log.warning("no audio episode for week %s (%s); pushing the takeaways only", week, exc)
            return None
