"""The Telegram bot channel (``assistant telegram``, or inside ``assistant serve``)."""

__all__ = ["BotConfigError", "TelegramBot"]


def __getattr__(name: str):
    # Lazy: importing bots.telegram.settings must not load python-telegram-bot.
    if name in __all__:
        from bots.telegram import bot

        return getattr(bot, name)
    raise AttributeError(name)
