"""The Telegram bot channel (``assistant telegram``, or inside ``assistant serve``)."""

from bots.telegram.bot import BotConfigError, TelegramBot

__all__ = ["BotConfigError", "TelegramBot"]
