"""Updates from different chats are handled at the same time; one chat's updates one at a time,
in the order Telegram sent them (a follow-up must see the answer before it in the history).

python-telegram-bot starts one task per update in arrival order; each takes its chat's lock
before running. asyncio locks are first-come first-served, so a chat's updates keep their order.

An update waiting for its chat's lock holds one of the ``max_concurrent_updates`` slots, so
``admit`` (the rate limit) runs first: a chat flooding behind its own slow answer is refused at
once instead of filling the slots other chats need.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

Admit = Callable[[object], Awaitable[bool]]


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, admit: Admit | None = None):
        super().__init__(max_concurrent_updates)
        self._admit = admit  # False: drop the update (it must not await when it admits: order)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # chat id -> (lock, updates holding or waiting)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._admit is not None:
            try:
                admitted = await self._admit(update)
            except BaseException:
                _discard(coroutine)
                raise
            if not admitted:
                _discard(coroutine)
                return
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]  # idle chats cost nothing
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def busy_chats(self) -> int:
        return len(self._locks)


def _discard(coroutine: Awaitable[Any]) -> None:
    """An update that will not be handled: its handling coroutine is closed, never awaited."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None
