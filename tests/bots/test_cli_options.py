"""The command line's conventions, in process: choices from enums (listed in --help, refused
with exit 2), the global -v/--log-level and one logging setup for every command, shell
completion, and the Telegram token mask on the handler the command line installs."""

from __future__ import annotations

import logging
import re

import pytest
from typer.testing import CliRunner

from bots import logs
from bots.cli import app
from bots.telegram.logsafe import MASK, TokenRedactor


def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.replace("│", " ").split())


@pytest.fixture(autouse=True)
def _restore_logging():
    """The callback configures the root logger of this (test) process: put it back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(value)


@pytest.mark.parametrize(
    "command, choices",
    [
        (("ask",), ["--mode <auto|extractive|llm>", "--order <relevance|time>"]),
        (("listen",), ["<wav|mp3|ogg>"]),
        (("eval",), ["--split <report|tune|all>", "--answer-mode <extractive|llm>"]),
        (("bench",), ["[assistant|assistant-server|llamaindex],..."]),
        ((), ["--log-level <debug|info|warning|error>", "--install-completion", "--show-completion"]),
    ],
)
def test_help_lists_every_fixed_choice(command, choices):
    text = _help(*command)
    for choice in choices:
        assert choice in text, (choice, text)


@pytest.mark.parametrize(
    "args, option",
    [
        (["ask", "q", "--mode", "poetry"], "--mode"),
        (["ask", "q", "--order", "random"], "--order"),
        (["listen", "--text", "hi", "-f", "flac"], "--format"),
        (["eval", "--split", "train"], "--split"),
        (["eval", "--answer-mode", "auto"], "--answer-mode"),
        (["bench", "--systems", "assistant,elastic"], "--systems"),
        (["--log-level", "loud", "issues"], "--log-level"),
    ],
)
def test_a_value_outside_the_choices_is_usage_error_2(args, option):
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}" in result.output


def test_default_levels_and_verbosity():
    assert logs.default_level(long_running=False) == logging.WARNING
    assert logs.default_level(long_running=True) == logging.INFO
    assert logs.default_level(long_running=False, verbose=1) == logging.INFO
    assert logs.default_level(long_running=True, verbose=1) == logging.DEBUG
    assert logs.default_level(long_running=False, verbose=5) == logging.DEBUG
    assert {"web", "serve", "telegram", "llm-serve"} == logs.LONG_RUNNING


@pytest.mark.parametrize(
    "args, level",
    [
        (["issues", "--help"], logging.WARNING),
        (["-v", "issues", "--help"], logging.INFO),
        (["-vv", "issues", "--help"], logging.DEBUG),
        (["web", "--help"], logging.INFO),
        (["-v", "serve", "--help"], logging.DEBUG),
        (["--log-level", "ERROR", "telegram", "--help"], logging.ERROR),
        (["-vv", "--log-level", "warning", "issues", "--help"], logging.WARNING),  # an explicit level wins
    ],
)
def test_every_command_configures_logging_the_same_way(args, level):
    assert CliRunner().invoke(app, args).exit_code == 0
    root = logging.getLogger()
    assert root.level == level
    assert sum(isinstance(h, logs._Stderr) for h in root.handlers) == 1  # one handler, however often configured
    assert logging.getLogger("httpx").level == (logging.WARNING if level > logging.DEBUG else logging.NOTSET)


def test_telegram_verbose_is_still_accepted(monkeypatch, tmp_path):
    for name in ("TELEGRAM_BOT_TOKEN", "ASSISTANT_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env
    result = CliRunner().invoke(app, ["telegram", "-v"])
    assert result.exit_code == 1 and "TELEGRAM_BOT_TOKEN" in result.stderr  # -v parsed; the token check answered


def test_the_token_mask_covers_the_handler_the_command_line_installed(capsys):
    token = "123456:AAH-cli-SECRET"
    logs.configure(logs.LogLevel.INFO, long_running=True)  # what `assistant telegram` does first
    redactor = TokenRedactor(token)  # what the bot does when it starts
    redactor.install()
    try:
        logging.getLogger("telegram.ext.Updater").warning("GET https://api.telegram.org/bot%s/getMe", token)
        logging.getLogger("some.library").error("failed: %s", f"https://api.telegram.org/bot{token}/sendMessage")
    finally:
        redactor.remove()
    err = capsys.readouterr().err
    assert token not in err and err.count(MASK) == 2
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING telegram\.ext\.Updater: GET ", err)
