"""Bot API requests that survive a flaky network and Telegram's flood control.

Plugged in as python-telegram-bot's rate limiter, the one hook every request (except
getUpdates, which the Updater retries itself) passes through. A 429 "retry after N" pauses
all requests for N seconds (the limit is the bot's, not one chat's) and retries; network errors,
timeouts and 5xx answers are retried with exponential backoff. A 400 or 403 is never retried.
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
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

MAX_FLOOD_WAIT = 300.0  # seconds; a longer "retry after" fails the request instead of stalling the bot


class RetryingRequests(BaseRateLimiter[None]):
    def __init__(self, retries: int, backoff: float = 0.5):
        self.retries = retries
        self.backoff = backoff
        self._resume_at = 0.0  # monotonic time before which no request is sent (after a 429)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 0
        while True:
            if (pause := self._resume_at - time.monotonic()) > 0:
                await asyncio.sleep(pause)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if attempt >= self.retries or wait > MAX_FLOOD_WAIT:
                    raise
                self._resume_at = max(self._resume_at, time.monotonic() + wait)
                log.warning("Telegram flood control on %s: retrying in %.1f s", endpoint, wait)
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


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # the int form is deprecated in v22; either form is fine here
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
