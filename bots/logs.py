"""Logging for every `assistant` command, set up once and in one way: one line per record on
stderr (``time LEVEL logger: message``), at the level given by ``--log-level``, by ``-v``, or
by the command's default. The default is WARNING for one-shot commands and INFO for the
long-running ones (web, serve, telegram, llm-serve).

The handler is installed once. A later call changes only levels, so a filter that someone
else put on the handler stays there. The Telegram token mask (bots/telegram/logsafe.py) is
such a filter: it is added when the bot starts, after the command line has configured logging.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LONG_RUNNING = frozenset({"web", "serve", "telegram", "llm-serve"})
# They log every request's address at INFO, and a Telegram address holds the bot token.
QUIET = ("httpx", "httpcore")


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def number(self) -> int:
        return int(getattr(logging, self.name))


class _Stderr(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a record is written, not as it was at start.
    Rich's live displays replace ``sys.stderr`` while they run, and so does pytest's capture."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def default_level(long_running: bool, verbose: int = 0) -> int:
    """INFO for servers, WARNING otherwise; each ``-v`` is one step more (DEBUG at most)."""
    return max(logging.DEBUG, (logging.INFO if long_running else logging.WARNING) - 10 * verbose)


def configure(level: LogLevel | None = None, verbose: int = 0, *, long_running: bool = False) -> int:
    """Set the level (``level`` if given, else the default for the command) and, the first time,
    the stderr handler. Returns the level set."""
    number = level.number if level is not None else default_level(long_running, verbose)
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(number)
    for name in QUIET:  # DEBUG lets them through; the Telegram token mask then holds them at WARNING
        logging.getLogger(name).setLevel(logging.WARNING if number > logging.DEBUG else logging.NOTSET)
    return number
