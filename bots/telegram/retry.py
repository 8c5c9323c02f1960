"""Bot API requests that stay under Telegram's flood limits and survive a flaky network.

Plugged in as python-telegram-bot's rate limiter, the one hook every request (except
getUpdates, which the Updater retries itself) passes through. It is PTB's ``AIORateLimiter``
(the ``rate-limiter`` extra, aiolimiter): requests to chats share one bot-wide budget per second
(``ASSISTANT_TELEGRAM_SENDS_PER_SECOND``, Telegram's ~30 messages a second), and requests to one
group or channel a budget per minute (``..._GROUP_SENDS_PER_MINUTE``, Telegram's 20). So the
weekly push to many subscribers goes out as fast as Telegram allows, and no faster. A typing
indicator (sendChatAction) is not a message and does not wait for that budget.

On top of it, what this project adds:
- a 429 "retry after N" pauses *every* request for N seconds, before it takes its slot, then
  retries (AIORateLimiter's own pause is lifted as soon as any other request finishes, and the
  requests that took slots meanwhile then go out at once). A "retry after" longer than
  ``MAX_FLOOD_WAIT`` fails the request instead of stalling the bot;
- network errors, timeouts and 5xx answers are retried with exponential backoff;
- a 400 or 403 is never retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

MAX_FLOOD_WAIT = 300.0  # seconds; a longer "retry after" fails the request instead of stalling the bot
UNMETERED = frozenset({"sendChatAction"})  # not messages: a typing indicator that waits is pointless


class _FloodWait(Exception):
    """A 429, carried through AIORateLimiter (which would retry it its own way, and log it as an
    exception when it may not) to the retry loop below."""

    def __init__(self, error: RetryAfter):
        super().__init__(str(error))
        self.error = error


class RetryingRequests(AIORateLimiter):
    def __init__(
        self, retries: int, backoff: float = 0.5, per_second: float = 30.0, group_per_minute: float = 20.0
    ) -> None:
        # A rate of 0 turns that limit off (AIORateLimiter's convention).
        super().__init__(
            overall_max_rate=per_second,
            overall_time_period=1,
            group_max_rate=group_per_minute,
            group_time_period=60,
            max_retries=0,
        )
        self.retries = retries
        self.backoff = backoff
        self._resume_at = 0.0  # monotonic time before which no request is sent (after a 429)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        async def once(*a: Any, **kw: Any) -> bool | dict[str, Any] | list[dict[str, Any]]:
            await self._flood_pause()  # a 429 that came while this request waited for its slot
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                raise _FloodWait(exc) from None

        metered = {} if endpoint in UNMETERED else data  # the limiter looks only at data's chat_id
        attempt = 0
        while True:
            await self._flood_pause()
            try:
                return await super().process_request(once, args, kwargs, endpoint, metered, None)
            except _FloodWait as flood:
                wait = retry_after_seconds(flood.error)
                if attempt >= self.retries or wait > MAX_FLOOD_WAIT:
                    raise flood.error from None
                self._resume_at = max(self._resume_at, time.monotonic() + wait)
                log.warning(
                    "Telegram flood control on %s: all requests wait %.1f s, then it is retried", endpoint, wait
                )
            except BadRequest:
                raise  # our request is wrong: sending it again cannot help
            except NetworkError as exc:  # also TimedOut and 5xx answers
                if attempt >= self.retries:
                    raise
                delay = self.backoff * 2**attempt * (1 + random.random() / 4)
                log.warning(
                    "Bot API %s failed (%s): retry %d of %d in %.1f s",
                    endpoint,
                    type(exc).__name__,
                    attempt + 1,
                    self.retries,
                    delay,
                )
                await asyncio.sleep(delay)
            attempt += 1

    async def _flood_pause(self) -> None:
        while (pause := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(pause)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # the int form is deprecated in v22; either form is fine here
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
