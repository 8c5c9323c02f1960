"""The channels' common layer is enough for a new channel: an in-memory "echo" channel, built
only from it, answers through the facade with memory, a rate limit and the error policy, and
runs through the channel registry and host like the web chat and the Telegram bot."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from assistant.errors import (
    EmptyQuestion,
    EmptySpeechText,
    InvalidFilter,
    LanguageModelUnavailable,
    NoSpeechEngine,
    StoreUnavailable,
    UnknownArticle,
    UnknownVoice,
    UnknownWeek,
)
from assistant.streaming import afinal_answer
from bots import channels as registry
from bots.cli_support import error_line as cli_line
from bots.common.errors import SOMETHING_WENT_WRONG, DeliveryFailed, RecipientGone, user_error
from bots.common.formatting import citation_line
from bots.common.memory import ChatMemory
from bots.common.ratelimit import RateLimiter, slow_down
from bots.common.storage import BotStore
from bots.common.subscriptions import WeeklyPush
from bots.host import running
from bots.telegram.replies import error_line as telegram_line
from bots.web.api import STATUS
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION


# --- the channel: its transport is two queues -------------------------------------------------
class EchoChannel:
    name = "echo"
    label = "the echo channel"

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.memory = ChatMemory()
        self.limiter = RateLimiter(per_minute=1, burst=5)

    def off_reason(self, settings) -> str | None:
        return None

    async def start(self, assistant, settings) -> None:
        self.assistant = assistant
        self._worker = asyncio.create_task(self._serve())

    async def stop(self) -> None:
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker

    async def _serve(self) -> None:
        while True:
            user, text = await self.inbox.get()
            verdict = self.limiter.check(user)
            if verdict == "warn":
                await self.outbox.put((user, slow_down(self.limiter.wait_seconds(user))))
            if verdict != "ok":
                continue
            try:
                reply = await self._reply(user, text)
            except Exception as exc:
                reply = user_error(exc).text
            await self.outbox.put((user, reply))

    async def _reply(self, user: str, text: str) -> str:
        if text.startswith("/week "):
            listing = await asyncio.to_thread(self.assistant.issue, int(text.split()[1]))
            return f"{listing.issue.label}: " + "; ".join(a.title for a in listing.articles)
        state = self.memory.get(user)
        answer = await afinal_answer(self.assistant.aask_stream(text, history=list(state.history)))
        state.remember(text, answer)
        return "\n".join([answer.text, *map(citation_line, answer.citations)])


# --- the channel at work ----------------------------------------------------------------------
def test_an_echo_channel_from_the_common_layer(sample_assistant, monkeypatch):
    monkeypatch.setattr(registry, "CHANNELS", [*registry.CHANNELS, EchoChannel])
    [echo] = registry.channels(["echo"])
    with pytest.raises(UnknownWeek) as unknown_week:
        sample_assistant.issue(999)

    async def scenario() -> None:
        async with running([echo], sample_assistant, sample_assistant.settings) as started:
            assert started == [echo]

            async def say(user: str, text: str) -> str:
                await echo.inbox.put((user, text))
                to, reply = await asyncio.wait_for(echo.outbox.get(), 120)
                assert to == user
                return reply

            reply = await say("ann", SEED_QUESTION)
            assert "[1]" in reply.splitlines()[0]
            assert "\n[1] Week 373, November 1-7, 2024 · Building Mastery: What Leaders Do" in reply
            assert echo.memory.get("ann").sources[0] == SEED_ARTICLE_ID

            await say("ann", "And what helps it?")  # a follow-up: answered with the history
            state = echo.memory.get("ann")
            assert [t.question for t in state.history] == [SEED_QUESTION, "And what helps it?"]
            assert state.sources[0] == SEED_ARTICLE_ID

            not_found = user_error(unknown_week.value)
            assert not_found.kind == "not_found"
            assert await say("ann", "/week 999") == not_found.text
            assert not_found.text.startswith("Week 999 is not in the digest. Nearby issues: ")
            assert (await say("ann", "   ")).startswith("Your question is empty.")

            for _ in range(8):  # a flood: five answered, one told to wait, the rest dropped
                await echo.inbox.put(("bob", "/week 373"))
            replies = [(await asyncio.wait_for(echo.outbox.get(), 60))[1] for _ in range(6)]
            assert all(r.startswith("Week 373, November 1-7, 2024: Building Mastery") for r in replies[:5])
            assert "faster than I can answer" in replies[5]
            await asyncio.sleep(0.3)
            assert echo.outbox.empty()
        assert echo._worker.cancelled()

    asyncio.run(scenario())


def test_the_weekly_push_drops_gone_recipients_and_retries_failed_deliveries(sample_assistant, tmp_path):
    store = BotStore(tmp_path / "bot.sqlite3")
    week = sample_assistant.latest_issue().issue.week
    for chat in (1, 2, 3):
        store.subscribe(chat, newest_week=week - 1)
    failures = {2: RecipientGone("blocked the bot"), 3: DeliveryFailed("timed out")}
    sent = []

    async def send_issue(chat_id, listing, clip):
        if chat_id in failures:
            raise failures[chat_id]
        sent.append((chat_id, listing.issue.week, clip))

    push = WeeklyPush(sample_assistant, store, send_issue, interval=60)
    assert asyncio.run(push.check()) == 1 and sent == [(1, week, None)]  # no audio format: takeaways only
    assert set(store.subscribers()) == {(1, week), (3, week - 1)}
    del failures[3]
    assert asyncio.run(push.check()) == 1 and store.due(week) == []
    store.close()


# --- the error policy, as each channel formats it ---------------------------------------------
@pytest.mark.parametrize(
    "exc, kind, status, cli, telegram",
    [
        (
            UnknownWeek(999, [454, 455]),
            "not_found",
            404,
            "Week 999 is not in the index. Nearby weeks: 454, 455. (see `assistant issues`)",
            "Week 999 is not in the digest. Nearby issues: 454, 455.",
        ),
        (
            UnknownArticle("w1-x", ["w1-y"]),
            "not_found",
            404,
            "No article with id 'w1-x' in the index. Did you mean: w1-y? (see `assistant search`)",
            "There is no article with the id “w1-x”. Did you mean w1-y? /search finds articles; "
            "/listen 1 plays the first of my last answer or list.",
        ),
        (
            EmptyQuestion(),
            "bad_input",
            400,
            "The question is empty: type a question about the digest.",
            "Your question is empty. Type a question, e.g. What do leaders do that impedes mastery?",
        ),
        (
            InvalidFilter("since must be a date as YYYY-MM-DD, not 'x'"),
            "bad_input",
            400,
            "since must be a date as YYYY-MM-DD, not 'x'",
            "since must be a date as YYYY-MM-DD, not 'x'",
        ),
        (
            EmptySpeechText(),
            "bad_input",
            400,
            "There is nothing to speak: the text is empty.",
            "There is nothing to speak: the text is empty.",
        ),
        (
            UnknownVoice("voice 'xx' is not available for pyttsx3"),
            "speech",
            503,
            "voice 'xx' is not available for pyttsx3 (see `assistant voices`)",
            "Sorry, I couldn't make the audio just now. Please try again later.",
        ),
        (
            NoSpeechEngine("no speech engine can run here (piper, espeak-ng)"),
            "speech",
            503,
            "no speech engine can run here (piper, espeak-ng): see `assistant voices`",
            "Sorry, I couldn't make the audio just now. Please try again later.",
        ),
        (
            LanguageModelUnavailable("The language model timed out."),
            "unavailable",
            503,
            "The language model timed out.",
            "The language model timed out.",
        ),
    ],
)
def test_error_policy_and_each_channels_wording(exc, kind, status, cli, telegram):
    problem = user_error(exc)
    assert (problem.kind, STATUS[problem.kind], problem.report) == (kind, status, False)
    assert cli_line(problem) == cli
    assert telegram_line(problem) == telegram


@pytest.mark.parametrize(
    "exc, kind",
    [
        (StoreUnavailable("Cannot open the index at /srv/chroma: locked"), "unavailable"),
        (RuntimeError("/secret/path is broken"), "internal"),
    ],
)
def test_operator_trouble_is_reported_and_never_shown_in_a_chat(exc, kind):
    problem = user_error(exc)
    assert problem.kind == kind and problem.report and problem.text == SOMETHING_WENT_WRONG
    assert "/s" not in problem.text and STATUS[kind] == (503 if kind == "unavailable" else 500)
