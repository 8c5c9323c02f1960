"""The weekly push: when a newer issue appears in the index, each subscriber gets its takeaways
and its audio episode, through whatever channel runs the push.

The channel polls the index every ``interval`` seconds (ingest runs in another command, so
polling is the one signal that works across processes). Who has received what is kept per
subscriber in SQLite, so a restart or a crash halfway through a push resumes without sending
anyone the same issue twice. Only the newest issue is pushed: ingesting a backlog does not flood
subscribers with every old week.

The push knows no transport: the channel passes ``send_issue(chat_id, listing, clip)``, which
raises ``RecipientGone`` for a subscriber that can no longer be reached (unsubscribed here) and
``DeliveryFailed`` for a failure worth another try (logged; the next round retries). Keeping
under a service's send limits is the transport's job too (Telegram: bots/telegram/retry.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.models import AudioClip, IssueListing
from bots.common.errors import DeliveryFailed, RecipientGone

if TYPE_CHECKING:
    from assistant import Assistant
    from bots.common.storage import BotStore

log = logging.getLogger(__name__)

SendIssue = Callable[[int, IssueListing, "AudioClip | None"], Awaitable[None]]


class WeeklyPush:
    def __init__(
        self,
        assistant: Assistant,
        store: BotStore,
        send_issue: SendIssue,
        interval: float,
        audio_format: str | None = None,
        at_once: int = 1,
    ):
        self._assistant = assistant
        self._store = store
        self._send_issue = send_issue
        self.interval = interval
        self._audio_format = audio_format  # the episode's format for this channel; None: takeaways only
        self._at_once = at_once  # chats sent to at the same time; the transport keeps to its send limits

    async def run(self) -> None:
        """Check, sleep, repeat, until cancelled. A failed round is logged and tried again later."""
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("weekly push round failed; trying again in %.0f s", self.interval)
            await asyncio.sleep(self.interval)

    async def check(self) -> int:
        """Push the newest issue to the subscribers who have not had it; returns how many got it."""
        newest = await asyncio.to_thread(self._assistant.latest_issue)
        if newest is None:
            return 0
        week = newest.issue.week
        due = await asyncio.to_thread(self._store.due, week)
        if not due:
            return 0
        log.info("pushing week %s to %d subscriber(s)", week, len(due))
        clip = await self._episode(week)
        waiting = iter(due)  # shared by the senders: each chat is taken once
        pushed = 0

        async def sender() -> None:
            nonlocal pushed
            for chat_id in waiting:
                try:
                    await self._send_issue(chat_id, newest, clip)
                except RecipientGone:
                    log.info("chat %s blocked the bot or left: unsubscribed", chat_id)
                    await asyncio.to_thread(self._store.unsubscribe, chat_id)
                    continue
                except DeliveryFailed as exc:
                    log.warning("push of week %s to chat %s failed (%s); next round retries", week, chat_id, exc)
                    continue
                await asyncio.to_thread(self._store.delivered, chat_id, week)
                pushed += 1

        # ``at_once`` senders in a task group: anything else that goes wrong ends the round, all senders with it.
        async with asyncio.TaskGroup() as group:
            for _ in range(min(self._at_once, len(due))):
                group.create_task(sender())
        return pushed

    async def _episode(self, week: int) -> AudioClip | None:
        """The episode, made once for all subscribers; without speech the takeaways still go out."""
        if self._audio_format is None:
            return None
        try:
            return await asyncio.to_thread(self._assistant.listen_issue, week, self._audio_format)
        except AssistantError as exc:
            log.warning("no audio episode for week %s (%s); pushing the takeaways only", week, exc)
            return None
