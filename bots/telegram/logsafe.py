"""The bot token never reaches a log line.

It is part of every Bot API address, and httpx logs each request's address at INFO. httpx and
httpcore are turned down to WARNING while the bot runs, and a filter on every logger the bot's
requests pass through replaces the token in messages and tracebacks that still mention it.
"""

from __future__ import annotations

import logging

PREFIXES = ("httpx", "httpcore", "telegram", "bots.telegram", "assistant")
QUIET = ("httpx", "httpcore")
MASK = "<bot-token>"


class TokenRedactor(logging.Filter):
    def __init__(self, token: str):
        super().__init__()
        self._token = token
        self._loggers: list[logging.Logger] = []
        self._levels: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        if self._token in message:
            record.msg, record.args = message.replace(self._token, MASK), ()
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if self._token in text:
                record.exc_text = text.replace(self._token, MASK)
        return True

    def install(self) -> None:
        names = {n for n in logging.Logger.manager.loggerDict if n.startswith(PREFIXES)} | set(PREFIXES)
        for name in sorted(names):
            logger = logging.getLogger(name)
            logger.addFilter(self)
            self._loggers.append(logger)
        for name in QUIET:
            logger = logging.getLogger(name)
            self._levels[name] = logger.level
            if logger.level < logging.WARNING:  # NOTSET too: the root may be turned down later
                logger.setLevel(logging.WARNING)

    def remove(self) -> None:
        for logger in self._loggers:
            logger.removeFilter(self)
        self._loggers.clear()
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._levels.clear()
