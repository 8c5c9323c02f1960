"""Channels run in one process, on one event loop, over one Assistant: an embedded Chroma
folder has a single writer, so the web chat and the Telegram bot must not be two processes.

``serve`` is what `assistant web`, `assistant telegram` and `assistant serve` run: it owns the
Assistant and SIGINT/SIGTERM, starts the channels that are on, and stops them (in reverse
order) when a signal comes. ``running`` is the same without the Assistant or the signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant import Assistant
    from bots.channels import Channel
    from bots.settings import AppSettings

log = logging.getLogger(__name__)


class NothingToServe(AssistantError):
    """Every channel asked for is off."""


@contextlib.asynccontextmanager
async def running(
    channels: Iterable[Channel], assistant: Assistant, settings: AppSettings
) -> AsyncIterator[list[Channel]]:
    """The channels that are on, started; stopped on the way out (also when one fails to start)."""
    reasons = [(c, c.off_reason(settings)) for c in channels]
    on = [c for c, reason in reasons if reason is None]
    off = [reason for _, reason in reasons if reason is not None]
    if not on:
        raise NothingToServe("; ".join(off))
    for reason in off:
        log.info("%s: serving %s only", reason, " and ".join(c.label for c in on))
    started: list[Channel] = []
    try:
        for channel in on:
            await channel.start(assistant, settings)
            started.append(channel)
        yield started
    finally:
        for channel in reversed(started):
            try:
                await channel.stop()
            except Exception:  # the others must still stop
                log.exception("stopping %s failed", channel.label)


async def serve(settings: AppSettings, names: Iterable[str] | None = None) -> None:
    """Run the channels named (default: every registered one that is on) until SIGINT or SIGTERM."""
    from assistant import Assistant
    from bots.channels import channels

    chosen = channels(names)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # add_signal_handler is POSIX-only (NotImplementedError on Windows) and main-thread-only
        # (RuntimeError). Without it, Ctrl-C still makes asyncio.run cancel this task, so the
        # channels stop and the Assistant closes in the blocks below; Windows has no SIGTERM to catch.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    assistant = Assistant(settings)
    try:
        async with running(chosen, assistant, settings):
            await stop.wait()
    finally:
        await asyncio.to_thread(assistant.close)
