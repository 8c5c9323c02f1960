"""The Telegram transport: a python-telegram-bot Application wired to the Assistant and the
common layer (memory, rate limit, bot state, weekly push).

``TelegramBot(assistant, settings)`` has ``await start()`` / ``await stop()``, so it shares an
event loop (and one Assistant) with the other channels (see bots/telegram/channel.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from assistant.errors import AssistantError
from bots.common.errors import DeliveryFailed, RecipientGone
from bots.common.memory import ChatMemory
from bots.common.ratelimit import RateLimiter
from bots.common.storage import BotStore
from bots.common.subscriptions import WeeklyPush
from bots.telegram.handlers import Handlers
from bots.telegram.logsafe import TokenRedactor
from bots.telegram.ordering import ChatOrderedProcessor
from bots.telegram.replies import bot_commands
from bots.telegram.retry import RetryingRequests
from bots.telegram.voice import VoiceNotes

if TYPE_CHECKING:
    from assistant import Assistant
    from assistant.models import AudioClip, IssueListing
    from bots.settings import AppSettings

log = logging.getLogger(__name__)

NOT_TEXT = (
    filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.VIDEO
    | filters.PHOTO
    | filters.Sticker.ALL
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.POLL
)


# Chats the weekly push sends to at the same time. The rate limiter (retry.py) sets the pace; a
# few chats in flight keep it busy: ~30 requests a second at ~0.25 s a round trip is ~8.
PUSH_CHATS_AT_ONCE = 8


class BotConfigError(AssistantError):
    """The bot cannot start: no token, a token Telegram refuses, or no Bot API to reach."""


def file_url(base_url: str) -> str:
    """Telegram's file address for a Bot API address: https://host/bot -> https://host/file/bot."""
    base = base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file"


class TelegramBot:
    def __init__(self, assistant: Assistant, settings: AppSettings | None = None):
        self.settings = settings or assistant.settings
        token = self.settings.telegram.token_value
        if not token:
            raise BotConfigError(
                "No Telegram bot token: set TELEGRAM_BOT_TOKEN (or ASSISTANT_TELEGRAM_TOKEN) to the token from @BotFather."
            )
        self.assistant = assistant
        self.store = BotStore(self.settings.storage.home / "telegram.sqlite3")
        self.handlers = Handlers(
            assistant=assistant,
            settings=self.settings,
            store=self.store,
            memory=ChatMemory(),
            voices=VoiceNotes(self.store),
            limiter=RateLimiter(self.settings.telegram.rate_per_minute, self.settings.telegram.rate_burst),
        )
        self.push = WeeklyPush(
            assistant,
            self.store,
            self._send_issue,
            self.settings.telegram.push_interval,
            audio_format="ogg",  # voice notes are OGG/Opus
            at_once=PUSH_CHATS_AT_ONCE,
        )
        self._redactor = TokenRedactor(token)
        self.application = self._build(token)
        self._push_task: asyncio.Task | None = None

    def _build(self, token: str) -> Application:
        s = self.settings
        app = (
            ApplicationBuilder()
            .token(token)
            .base_url(s.telegram.base_url)
            .base_file_url(file_url(s.telegram.base_url))
            .concurrent_updates(ChatOrderedProcessor(s.telegram.concurrent_updates, admit=self.handlers.admit))
            .rate_limiter(
                RetryingRequests(
                    s.telegram.retries,
                    per_second=s.telegram.sends_per_second,
                    group_per_minute=s.telegram.group_sends_per_minute,
                )
            )
            .job_queue(None)  # the weekly push is one asyncio task; no scheduler needed
            .build()
        )
        h = self.handlers
        new = filters.UpdateType.MESSAGE  # edits of old messages are not new questions
        app.add_handler(TypeHandler(Update, h.gate), group=-1)
        commands = {
            "start": h.help,
            "help": h.help,
            "ask": h.ask_command,
            "reset": h.reset,
            "latest": h.latest,
            "week": h.week,
            "topic": h.topic,
            "search": h.search,
            "listen": h.listen,
            "episode": h.episode,
            "subscribe": h.subscribe,
            "unsubscribe": h.unsubscribe,
        }
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=new))
        app.add_handler(CallbackQueryHandler(h.listen_button))
        app.add_handler(MessageHandler(filters.COMMAND & new, h.unknown_command))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new, h.text))
        app.add_handler(MessageHandler(NOT_TEXT & new, h.not_text))
        app.add_error_handler(h.on_error)
        return app

    async def start(self) -> None:
        """Connect, register the commands, start polling and the weekly push; returns at once."""
        self._redactor.install()
        app = self.application
        try:
            await app.initialize()  # getMe: a wrong token fails here
            await app.bot.set_my_commands(bot_commands())
        except InvalidToken:
            await self._close()
            raise BotConfigError("Telegram refused the bot token: check TELEGRAM_BOT_TOKEN.") from None
        except NetworkError as exc:
            await self._close()
            raise BotConfigError(
                f"Could not reach the Bot API at {self.settings.telegram.base_url} ({type(exc).__name__})."
            ) from None
        await app.start()
        await app.updater.start_polling(
            allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY], error_callback=_polling_failed
        )
        if self.settings.telegram.push_interval > 0:
            self._push_task = asyncio.create_task(self.push.run(), name="telegram-weekly-push")
        log.info("Telegram bot @%s is running", app.bot.username)

    async def stop(self) -> None:
        if self._push_task is not None:
            self._push_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._push_task
            self._push_task = None
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await self._close()
        log.info("Telegram bot stopped")

    async def _close(self) -> None:
        await self.application.shutdown()
        self.store.close()
        self._redactor.remove()

    async def _send_issue(self, chat_id: int, listing: IssueListing, clip: AudioClip | None) -> None:
        """The weekly push's delivery: a chat that blocked the bot or left is gone for good; any
        other Bot API failure is worth another try next round."""
        try:
            await self.handlers.push_issue(self.application.bot, chat_id, listing, clip)
        except Forbidden as exc:
            raise RecipientGone(str(exc)) from exc
        except TelegramError as exc:
            raise DeliveryFailed(str(exc)) from exc


def _polling_failed(exc: TelegramError) -> None:
    """A failed getUpdates (the network, a 5xx): PTB retries it with backoff by itself, so it is
    one warning line, not the three chained tracebacks PTB logs at ERROR without this callback."""
    log.warning("getting updates from Telegram failed (%s: %s); retrying", type(exc).__name__, exc)
