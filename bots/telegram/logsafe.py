"""The bot token never reaches a log line.

It is part of every Bot API address, and httpx logs each request's address at INFO. httpx and
httpcore are turned down to WARNING while the bot runs, and a filter replaces the token in
messages and tracebacks that still mention it. The filter sits on the handlers configured when
the bot starts (the root's, from ``logging.basicConfig``, and any other logger's): a filter on a
logger sees only the records logged to that very logger, never those its children or any other
logger pass up, so a logger created later would escape it. It also stays on the bot's own
loggers, for a handler added after the bot started.
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
        self._handlers: list[logging.Handler] = []
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
                record.exc_text = text  # masked below; a formatter uses this text when it is set
        if record.exc_text and self._token in record.exc_text:  # also one an earlier handler formatted
            record.exc_text = record.exc_text.replace(self._token, MASK)
        if record.stack_info and self._token in record.stack_info:
            record.stack_info = record.stack_info.replace(self._token, MASK)
        return True

    def install(self) -> None:
        for handler in _handlers():
            handler.addFilter(self)
            self._handlers.append(handler)
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
        for filtered in (*self._handlers, *self._loggers):
            filtered.removeFilter(self)
        self._handlers.clear()
        self._loggers.clear()
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._levels.clear()


def _handlers() -> list[logging.Handler]:
    """Every handler configured now: the root's and those of any logger, each once."""
    loggers = [logging.getLogger()] + [
        x for x in list(logging.Logger.manager.loggerDict.values()) if isinstance(x, logging.Logger)
    ]
    found: dict[int, logging.Handler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            found.setdefault(id(handler), handler)
    return list(found.values())
