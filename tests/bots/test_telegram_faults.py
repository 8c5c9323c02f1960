"""The Telegram bot under the faults of issue 14: the real python-telegram-bot Application polling
the Bot API stand-in (tests/fakes/bot_api.py), over a scripted core whose listings and answers
the tests choose and whose answers a test can hold back.

- an article whose address is longer than a message (a 5 KB and a 50 KB URL) and a 10 KB word:
  rendering must end, fit, and never run on the event loop;
- one chat flooding behind a slow answer: the rate limit answers it at once, other chats go on;
- a logger created after the bot started: the token is still masked in what is logged.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

import bots.telegram.handlers as handlers_module
from assistant.models import Answer, Article, Citation, Issue, IssueListing
from bots.telegram import TelegramBot
from bots.telegram.logsafe import MASK, TokenRedactor
from bots.telegram.render import MESSAGE_LIMIT, utf16_len
from bots.telegram.replies import HELP
from tests.bots.test_telegram_bot import RunningBot
from tests.conftest import make_settings
from tests.fakes.bot_api import BotApiServer, Call, html_problem, visible_text

TOKEN = "515151:AAF-faults-TOKEN-must-not-leak"
URL_5K = "https://example.org/track?" + "&".join(f"k{i}=v{i}" for i in range(560))
URL_50K = "https://example.org/huge/" + "segment-" * 6250
LONG_WORD = "Supercalifragilistic" * 500  # 10,000 characters with no space to cut at
HELD = "slow question"  # a question whose answer the test holds back
SLOW_DOWN = "faster than I can answer"
_chat_ids = itertools.count(5001)


def new_chat() -> int:
    return next(_chat_ids)


def shown(call: Call) -> str:
    return visible_text(call.text, call.params.get("parse_mode"))


def no_space(text: str) -> str:
    return "".join(text.split())


def huge_listing() -> IssueListing:
    issue = Issue(week=373, dates="November 1-7, 2024", url=URL_5K)
    articles = [
        Article(id="w373-five", title="Five kilobytes of address", url=URL_5K, takeaways=["Point one", LONG_WORD]),
        Article(id="w373-fifty", title="Fifty kilobytes of address", url=URL_50K, takeaways=["Point two"]),
        Article(id="w373-plain", title="An ordinary article", url="https://example.org/a", takeaways=["Point three"]),
    ]
    return IssueListing(issue=issue, articles=[a.model_copy(update={"issue": issue}) for a in articles])


def huge_answer(question: str) -> Answer:
    """An answer citing the listing's articles (the weekly post's address is 5 KB too)."""
    articles = huge_listing().articles
    citations = [Citation.for_article(n, a, quote=a.takeaways[0]) for n, a in enumerate(articles, start=1)]
    return Answer(question=question, text=f"Cited [1] [2] [3].\n\n{LONG_WORD}", citations=citations)


class ScriptedAssistant:
    """The core as the bot uses it: settings, listings and streamed answers. An answer to ``HELD``
    waits until ``release`` is set; ``started`` says it is being written."""

    def __init__(self, settings, answer=lambda q: Answer(question=q, text=f"Answer to: {q}")):
        self.settings = settings
        self._answer = answer
        self.started = threading.Event()
        self.release = threading.Event()

    def issues(self) -> list[IssueListing]:
        return [huge_listing()]

    def latest_issue(self) -> IssueListing:
        return huge_listing()

    async def aask_stream(self, question: str, history=None, **_: object) -> AsyncIterator[str | Answer]:
        if question == HELD:
            self.started.set()
            await asyncio.to_thread(self.release.wait, 300)
        yield "Writing… "
        yield self._answer(question)


def settings_for(home, api: BotApiServer, **overrides):
    values = dict(
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=api.base_url,
        telegram_push_interval=0,
        telegram_rate_burst=8,
        telegram_rate_per_minute=4,
        telegram_retries=3,
    )
    values.update(overrides)
    return make_settings(home).replace(**values)


@pytest.fixture
def api():
    with BotApiServer(TOKEN) as server:
        yield server


def assert_fits(replies: list[Call]) -> None:
    for reply in replies:
        assert reply.params.get("parse_mode") == "HTML"
        assert utf16_len(reply.text) <= MESSAGE_LIMIT and html_problem(reply.text) is None, reply.text[:200]


# --- 1. long addresses: rendering ends, fits, and stays off the event loop --------------------
def test_latest_with_5_and_50_kb_urls_is_sent_in_valid_parts_and_the_bot_keeps_answering(api, tmp_path):
    core = ScriptedAssistant(settings_for(tmp_path, api), answer=huge_answer)
    reader, question_chat, other = new_chat(), new_chat(), new_chat()
    with RunningBot(TelegramBot(core)):
        api.message(reader, "/latest")
        api.message(question_chat, "What do leaders do?")
        api.message(other, "/help")
        assert shown(api.wait_sent(other, timeout=60)[0]) == visible_text(HELP, "HTML")
        listing = api.wait_for(
            lambda: (s := api.sent(reader)) and s[-1].buttons and s, timeout=120, what="the whole /latest listing"
        )
        answer = api.wait_for(
            lambda: (s := api.sent(question_chat)) and s[-1].buttons and s, timeout=120, what="the whole answer"
        )
    assert_fits(listing)
    text = "\n\n".join(shown(r) for r in listing)
    assert "Week 373, November 1-7, 2024 · 3 articles" in text
    for title in ("1. Five kilobytes of address", "2. Fifty kilobytes of address", "3. An ordinary article"):
        assert title in text
    assert no_space(LONG_WORD) in no_space(text) and "• Point three" in text
    assert [b["text"] for b in listing[-1].buttons] == ["🔊 1", "🔊 2", "🔊 3"]
    assert_fits(answer)
    said = "\n\n".join(shown(r) for r in answer)
    assert said.startswith("Cited [1] [2] [3].") and no_space(LONG_WORD) in no_space(said)
    for n, article in enumerate(huge_listing().articles, start=1):
        assert f"[{n}] Week 373, November 1-7, 2024 · {article.title}" in said


@pytest.mark.parametrize("request_text", ["/latest", "What do leaders do?"])
def test_a_slow_render_does_not_stop_other_chats(api, tmp_path, monkeypatch, request_text):
    """Rendering a listing or an answer runs in a worker thread: while one takes long, the event
    loop (the bot's other chats, and the web chat in `assistant serve`) goes on."""
    rendering, release = threading.Event(), threading.Event()
    real_split = handlers_module.split_html

    def slow_split(text: str, *args, **kwargs) -> list[str]:
        if "Five kilobytes" in text or "Cited [1]" in text:
            rendering.set()
            release.wait(120)
        return real_split(text, *args, **kwargs)

    monkeypatch.setattr(handlers_module, "split_html", slow_split)
    core = ScriptedAssistant(settings_for(tmp_path, api), answer=huge_answer)
    slow_chat, other = new_chat(), new_chat()
    try:
        with RunningBot(TelegramBot(core)):
            api.message(slow_chat, request_text)
            assert rendering.wait(60), "the render never started"
            api.message(other, "/help")
            reply = api.wait_sent(other, timeout=60)[0]  # while the other chat's render is still going
            assert not release.is_set() and shown(reply) == visible_text(HELP, "HTML")
            release.set()
            sent = api.wait_for(lambda: (s := api.sent(slow_chat)) and s[-1].buttons and s, timeout=120)
            assert_fits(sent)
    finally:
        release.set()  # a loop blocked by the render (the bug) is let go, so the bot can stop


# --- 2. a flood from one chat is refused before it queues behind that chat's slow answer ------
def test_a_flood_behind_a_slow_answer_is_rate_limited_at_once_and_other_chats_are_answered(api, tmp_path):
    settings = settings_for(
        tmp_path, api, telegram_rate_burst=2, telegram_rate_per_minute=1, telegram_concurrent_updates=4
    )
    core = ScriptedAssistant(settings)
    flooder, other = new_chat(), new_chat()
    try:
        with RunningBot(TelegramBot(core)):
            api.message(flooder, HELD)
            assert core.started.wait(60), "the slow answer never started"
            api.messages([(flooder, "/help")] * 20)  # more than the bot handles at once
            api.message(other, "/help")

            # While the slow answer is still being written, the flood is told to slow down...
            warned = api.wait_for(
                lambda: [c for c in api.sent(flooder) if SLOW_DOWN in shown(c)], timeout=60, what="the rate-limit reply"
            )
            # ...and another chat is answered: the flood holds none of the bot's update slots.
            assert shown(api.wait_sent(other, timeout=60)[0]) == visible_text(HELP, "HTML")
            assert not core.release.is_set() and len(warned) == 1
            assert not [c for c in api.sent(flooder) if "Answer to" in shown(c)]

            core.release.set()
            api.wait_sent(flooder, 3, timeout=60)
            time.sleep(1.0)  # anything more would have arrived by now
            replies = [shown(c) for c in api.sent(flooder)]
    finally:
        core.release.set()
    # One warning, then the chat's admitted updates in the order sent: the answer, then one /help
    # (the burst of 2 covers the question and the first /help; the other 19 were refused).
    assert len(replies) == 3, replies
    assert SLOW_DOWN in replies[0]
    assert replies[1].startswith(f"Answer to: {HELD}") and replies[2] == visible_text(HELP, "HTML")


# --- 3. the token is masked for every logger, also those created after the bot started --------
def test_a_logger_created_after_the_bot_started_has_the_token_masked(api, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    output = io.StringIO()
    handler = logging.StreamHandler(output)  # what `logging.basicConfig` gives `assistant telegram`
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    names = ("telegram.ext.created_after_start.child", "some_library.created_after_start")
    assert not any(name in logging.Logger.manager.loggerDict for name in names)
    try:
        with RunningBot(TelegramBot(ScriptedAssistant(settings_for(tmp_path, api)))):
            child, other = (logging.getLogger(name) for name in names)
            child.warning("POST %s/getUpdates", f"{api.base_url}{TOKEN}")
            other.error("configured with token=%s", TOKEN)
            try:
                raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
            except RuntimeError:
                other.exception("delivery failed")
        after_stop = len(output.getvalue())
        logging.getLogger(names[1]).error("after the bot stopped: %s", "no token here")
    finally:
        root.removeHandler(handler)
    logged = output.getvalue()
    assert TOKEN not in logged and TOKEN not in caplog.text
    assert f"{MASK}/getUpdates" in logged and f"token={MASK}" in logged
    assert f"/bot{MASK}/sendMessage" in logged and "Traceback" in logged  # the traceback too
    assert "after the bot stopped" in logged[after_stop:]
    assert not [f for h in (handler, *root.handlers) for f in h.filters if isinstance(f, TokenRedactor)]
