"""The Telegram bot as one of the channels `assistant serve` runs (and the only one of
`assistant telegram`): on when a bot token is set. Light to import; python-telegram-bot loads
in ``start``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant import Assistant
    from bots.settings import AppSettings
    from bots.telegram.bot import TelegramBot

log = logging.getLogger(__name__)


class TelegramChannel:
    name = "telegram"
    label = "the Telegram bot"

    def __init__(self) -> None:
        self._bot: TelegramBot | None = None

    def off_reason(self, settings: AppSettings) -> str | None:
        return None if settings.telegram.token_value else "no Telegram token (TELEGRAM_BOT_TOKEN)"

    async def start(self, assistant: Assistant, settings: AppSettings) -> None:
        from bots.telegram.bot import TelegramBot

        bot = TelegramBot(assistant, settings)
        await bot.start()  # a refused token or an unreachable Bot API raises BotConfigError
        self._bot = bot
        log.info("Telegram bot started")

    async def stop(self) -> None:
        if self._bot is not None:
            await self._bot.stop()
            self._bot = None
