"""The Telegram bot end to end: the real python-telegram-bot Application, polling a Bot API
stand-in on 127.0.0.1 (tests/fakes/bot_api.py), over a real Assistant with part of the sample
digest ingested once for the module and real speech."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

import pytest
import soundfile as sf
from pydantic import SecretStr

import index
from assistant import Assistant
from assistant.conversation import Turn
from assistant.models import Answer
from assistant.sentences import split_sentences
from bots.telegram import BotConfigError, TelegramBot
from bots.telegram.render import MESSAGE_LIMIT, answer_html, split_html, utf16_len
from bots.telegram.replies import HELP, SOMETHING_WENT_WRONG
from index import ingest
from tests.conftest import SEED_QUESTION, make_settings
from tests.fakes.bot_api import BotApiServer, Call, html_problem, visible_text
from tests.fakes.openai_server import FakeOpenAI, Text
from tests.fakes.openai_server import Request as OpenAIRequest

TOKEN = "424242:AAH-secret-TOKEN-must-not-leak"
SAMPLE = Path(index.__file__).parent / "sample"
FILES = [
    "week-373-2024-11-01-seed.txt",
    "week-374-2024-11-08.txt",
    "week-454-2026-05-22.txt",
    "week-225-2021-12-31.html",
]
ISSUE_COMMANDS = {
    "ask",
    "start",
    "help",
    "latest",
    "week",
    "topic",
    "search",
    "listen",
    "episode",
    "subscribe",
    "unsubscribe",
    "reset",
}
_chat_ids = itertools.count(1001)


def new_chat() -> int:
    return next(_chat_ids)


def shown(call: Call) -> str:
    return visible_text(call.text, call.params.get("parse_mode"))


def expected_shown(answer: Answer) -> str:
    return visible_text(answer_html(answer), "HTML")


class RunningBot:
    """A TelegramBot started on its own event loop in a thread, as `assistant telegram` runs it."""

    def __init__(self, bot: TelegramBot):
        self.bot = bot
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, daemon=True, name="telegram-bot")
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.bot.start())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.bot.stop())
        self.loop.close()

    def __enter__(self) -> RunningBot:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc) -> None:
        if self._error is None:
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(60)

    def call(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def bot_settings(assistant: Assistant, api: BotApiServer, **overrides):
    values = dict(
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=api.base_url,
        telegram_push_interval=0.5,
        telegram_rate_burst=8,
        telegram_rate_per_minute=4,
        telegram_edit_interval=0.3,
        telegram_retries=3,
    )
    values.update(overrides)
    return assistant.settings.replace(**values)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    home = tmp_path_factory.mktemp("telegram-home")
    # espeak-ng at a brisk rate: real OGG/Opus voice notes, made quickly on a shared CPU
    with Assistant(make_settings(home, speech_engine="espeak-ng", speech_rate=320)) as a:
        report = ingest(a, [str(SAMPLE / name) for name in FILES])
        assert report.failed == 0, report.errors
        yield a


@pytest.fixture(scope="module")
def api():
    with BotApiServer(TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def bot(assistant, api):
    with RunningBot(TelegramBot(assistant, bot_settings(assistant, api))) as running:
        yield running


# --- starting ---------------------------------------------------------------------------------
def test_startup_registers_the_command_list(bot, api):
    assert api.calls("getMe", ok=True)
    registered = {c["command"] for c in api.calls("setMyCommands")[0].params["commands"]}
    assert ISSUE_COMMANDS - {"start"} <= registered


def test_missing_or_refused_token_is_a_clear_error(assistant, tmp_path):
    with pytest.raises(BotConfigError, match="TELEGRAM_BOT_TOKEN"):
        TelegramBot(assistant, assistant.settings.replace(**{"telegram_token": None, "home": tmp_path}))
    with BotApiServer("another:token") as other:
        settings = bot_settings(assistant, other, home=tmp_path)
        with pytest.raises(BotConfigError, match="refused the bot token"):
            RunningBot(TelegramBot(assistant, settings)).__enter__()


def _cli(tmp_path, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "TELEGRAM_"))}
    env.update(ASSISTANT_HOME=str(tmp_path / "home"), **env_vars)
    return subprocess.run(
        [shutil.which("assistant"), "telegram"], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
    )


def test_cli_without_a_token_is_one_line_and_exit_1(tmp_path):
    proc = _cli(tmp_path)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_with_a_refused_token_is_one_line_and_never_shows_the_token(tmp_path):
    with BotApiServer(TOKEN) as api:
        proc = _cli(tmp_path, TELEGRAM_BOT_TOKEN="999:wrong-SECRET", ASSISTANT_TELEGRAM_BASE_URL=api.base_url)
    assert proc.returncode == 1, proc.stderr
    assert "refused the bot token" in proc.stderr and "Traceback" not in proc.stderr
    assert "wrong-SECRET" not in proc.stderr + proc.stdout  # nor in the log lines on stderr


# --- answers ----------------------------------------------------------------------------------
def test_seed_question_is_answered_with_a_week_373_citation_in_valid_html(bot, api, assistant):
    chat = new_chat()
    api.message(chat, SEED_QUESTION)
    [reply] = api.wait_sent(chat)
    assert reply.method == "sendMessage" and reply.params["parse_mode"] == "HTML"
    assert html_problem(reply.text) is None, reply.text
    text = shown(reply)
    assert "Week 373, November 1-7, 2024 · Building Mastery: What Leaders Do That Helps — or Impedes" in text
    assert "[1]" in text and "Sources" in text
    assert text == expected_shown(assistant.ask(SEED_QUESTION))
    assert [b["text"] for b in reply.buttons][0] == "🔊 1"
    assert all(len(b["callback_data"].encode()) <= 64 for b in reply.buttons)
    assert api.calls("sendChatAction", chat)[0].params["action"] == "typing"


def test_citations_link_the_article_and_the_weekly_post(bot, api, assistant):
    article = assistant.issue(225).articles[0]
    assert article.url and article.issue.url
    chat = new_chat()
    api.message(chat, article.title + "?")
    [reply] = api.wait_sent(chat)
    assert html_problem(reply.text) is None
    assert re.search(
        rf'<a href="{re.escape(article.issue.url)}">Week 225, [^<]+</a> · '
        rf'<a href="{re.escape(article.url)}">',
        reply.text.replace("&amp;", "&"),
    ), reply.text


def test_follow_ups_use_the_chat_history_and_reset_clears_it(bot, api, assistant):
    first, follow_up = SEED_QUESTION, "Which week was that in?"
    answer = assistant.ask(first)
    with_history = assistant.ask(follow_up, history=[Turn.of(first, answer)])  # as the chat remembers it
    alone = assistant.ask(follow_up)
    assert with_history.text != alone.text  # otherwise this test could not tell them apart
    chat = new_chat()
    for text in (first, follow_up, "/reset", follow_up):
        api.message(chat, text)
    replies = api.wait_sent(chat, 4)
    assert shown(replies[1]) == expected_shown(with_history)
    assert "forgotten this conversation" in shown(replies[2])
    assert shown(replies[3]) == expected_shown(alone)


UNANSWERABLE = "What did the digest say about the collapse of Silicon Valley Bank?"  # never in the sample


def test_a_question_the_digest_does_not_answer_lists_related_articles_with_listen_buttons(bot, api, assistant):
    expected = assistant.ask(UNANSWERABLE)
    assert not expected.found and expected.citations == [] and expected.related, expected.text
    chat = new_chat()
    api.message(chat, UNANSWERABLE)
    [reply] = api.wait_sent(chat)
    assert reply.params["parse_mode"] == "HTML" and html_problem(reply.text) is None, reply.text
    text = shown(reply)
    assert text == expected_shown(expected)
    assert text.startswith("The digest has nothing that answers this.") and "Sources" not in text and "[1]" not in text
    assert "\n\nRelated, not an answer\n" in text and "not an answer to it" in text
    for n, related in enumerate(expected.related, start=1):
        assert f"\n{n}. {related.title} · Week {related.week}, {related.issue_dates}\n" in text
    assert [b["text"] for b in reply.buttons] == [f"🔊 {n}" for n in range(1, len(expected.related) + 1)]

    api.press(chat, reply.buttons[0]["callback_data"], reply.result["message_id"])
    voice = api.wait_sent(chat, 2, timeout=180)[1]
    assert voice.method == "sendVoice" and "voice" in voice.files
    assert shown(voice).startswith(f"🔊 {expected.related[0].title}")
    api.message(chat, f"/listen {len(expected.related)}")  # the related articles are the chat's numbered list
    listened = api.wait_sent(chat, 3, timeout=180)[2]
    assert listened.method == "sendVoice" and shown(listened).startswith(f"🔊 {expected.related[-1].title}")


def _long_generated_reply(request: OpenAIRequest) -> Text:
    """A model answer that quotes every sentence of source 1, cited, three to a paragraph: long
    enough for two messages, and every sentence passes the citation check."""
    user = request.user
    block = re.search(r'<source id="1">\n(.*?)\n</source>', user, re.DOTALL).group(1)
    sentences = [s.rstrip(".") + " [1]." for s in split_sentences(block.split("\ntext: ", 1)[1])]
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return Text("\n\n".join(paragraphs), piece_chars=120, delay=0.04)


def test_a_generated_answer_streams_as_throttled_edits_and_a_long_one_is_split(assistant, tmp_path):
    fake = FakeOpenAI(reply=_long_generated_reply).start()
    llm = Assistant(
        assistant.settings.replace(
            **dict(
                answer_mode="llm",
                llm_model="fake-model",
                llm_base_url=fake.base_url,
                llm_api_key=SecretStr("sk-test"),
                llm_retries=0,
                llm_rewrite=False,
                llm_sources=1,
                llm_source_words=2000,
            )
        )
    )
    chat = new_chat()
    try:
        with BotApiServer(TOKEN) as api, RunningBot(TelegramBot(llm, bot_settings(assistant, api, home=tmp_path))):
            api.message(chat, SEED_QUESTION)
            api.wait_for(lambda: [c for c in api.sent(chat) if c.buttons], timeout=120, what="the final answer")
            calls = [c for c in api.calls(chat_id=chat, ok=True) if c.method in ("sendMessage", "editMessageText")]
        expected = llm.ask(SEED_QUESTION)  # the same scripted model reply, checked the same way
    finally:
        fake.stop()
    assert expected.mode == "llm" and fake.chat_requests()
    parts = split_html(answer_html(expected))
    assert len(parts) >= 2
    preview, *edits = [c for c in calls if c.method == "sendMessage"][:1] + [
        c for c in calls if c.method == "editMessageText"
    ]
    assert "parse_mode" not in preview.params and preview.text.endswith(" …")  # plain text while it is written
    assert len(edits) >= 2 and all(e.params["message_id"] == preview.result["message_id"] for e in edits)
    assert all(b.at - a.at >= 0.25 for a, b in zip(edits[:-1], edits[1:-1]))  # at most one edit per interval
    final_edit, rest = edits[-1], [c for c in calls if c.method == "sendMessage"][1:]
    assert [final_edit.text] + [c.text for c in rest] == parts  # the checked answer replaced the stream
    assert all(html_problem(p) is None and utf16_len(p) <= MESSAGE_LIMIT for p in parts)
    assert not final_edit.buttons and rest[-1].buttons[0]["text"] == "🔊 1"


# --- voice notes ------------------------------------------------------------------------------
def test_pressing_listen_sends_an_ogg_opus_voice_note_then_reuses_its_file_id(bot, api):
    chat = new_chat()
    api.message(chat, SEED_QUESTION)
    [answer] = api.wait_sent(chat)
    button = answer.buttons[0]
    query_id = api.press(chat, button["callback_data"], answer.result["message_id"])
    voice = api.wait_sent(chat, 2, timeout=180)[1]
    assert voice.method == "sendVoice" and "voice" in voice.files
    assert any(c.params.get("callback_query_id") == query_id for c in api.calls("answerCallbackQuery"))
    info = sf.info(io.BytesIO(voice.files["voice"]))
    assert (info.format, info.subtype, info.samplerate) == ("OGG", "OPUS", 48000)
    assert abs(int(voice.params["duration"]) - info.duration) <= 1.0 and info.duration > 5
    assert "Building Mastery" in shown(voice) and html_problem(voice.text) is None
    data, _ = sf.read(io.BytesIO(voice.files["voice"]))
    assert abs(data).max() > 0.01  # speech, not silence

    api.press(chat, button["callback_data"], answer.result["message_id"])
    api.message(chat, "/listen 1")
    again = api.wait_sent(chat, 4, timeout=60)[2:]
    file_id = voice.result["voice"]["file_id"]
    assert [c.method for c in again] == ["sendVoice", "sendVoice"]
    assert all(c.params["voice"] == file_id and not c.files for c in again)  # no second upload

    api.forget_files()  # a file_id Telegram refuses is dropped, and the audio uploaded again
    api.message(chat, "/listen 1")
    refused, uploaded = api.wait_for(
        lambda: api.calls("sendVoice", chat)[3:] if len(api.calls("sendVoice", chat)) >= 5 else None
    )
    assert (refused.status, refused.params["voice"]) == (400, file_id)
    assert uploaded.status == 200 and uploaded.files["voice"] == voice.files["voice"]


def test_listen_by_article_id_and_bad_listen_requests(bot, api, assistant):
    article = assistant.issue(454).articles[1]
    chat = new_chat()
    for text in ("/listen", "/listen 1", f"/listen {article.id}", "/listen w999-no-such-article"):
        api.message(chat, text)
    replies = api.wait_sent(chat, 4, timeout=180)
    assert "Which article?" in shown(replies[0])
    assert "haven't shown you any articles yet" in shown(replies[1])
    assert replies[2].method == "sendVoice" and article.title in shown(replies[2])
    assert "no article with the id" in shown(replies[3])


def test_episode_is_the_issue_audio_with_its_chapters(bot, api, assistant):
    chat = new_chat()
    for text in ("/episode 454", "/episode 999", "/episode abc"):
        api.message(chat, text)
    replies = api.wait_sent(chat, 3, timeout=240)
    episode = replies[0]
    assert episode.method == "sendVoice"
    info = sf.info(io.BytesIO(episode.files["voice"]))
    assert (info.format, info.subtype) == ("OGG", "OPUS") and info.duration > 30
    caption = shown(episode)
    assert caption.startswith("🎧 Week 454, May 22-28, 2026")
    assert all(a.title in caption for a in assistant.issue(454).articles[:2])  # chapter list
    assert "Week 999 is not in the digest. Nearby issues:" in shown(replies[1])
    assert "“abc” is not an issue number" in shown(replies[2])


# --- browsing -----------------------------------------------------------------------------------
def test_week_lists_the_issue_articles_and_explains_bad_weeks(bot, api, assistant):
    chat = new_chat()
    for text in ("/week 454", "/week", "/week 999", "/week three"):
        api.message(chat, text)
    replies = api.wait_sent(chat, 4)
    listing = assistant.issue(454)
    text = shown(replies[0])
    assert text.startswith("Week 454, May 22-28, 2026 · ")
    for n, article in enumerate(listing.articles, start=1):
        assert f"{n}. {article.title}" in text
    assert [b["text"] for b in replies[0].buttons] == [f"🔊 {n}" for n in range(1, len(listing.articles) + 1)]
    assert "Which week?" in shown(replies[1]) and "454" in shown(replies[1])
    assert shown(replies[2]).startswith("Week 999 is not in the digest. Nearby issues: ")
    assert "“three” is not an issue number" in shown(replies[3])


def test_latest_shows_the_newest_issue_with_takeaways_and_listen_numbers_follow_it(bot, api, assistant):
    newest = assistant.issues()[0]
    chat = new_chat()
    api.message(chat, "/latest")
    replies = api.wait_sent(chat)
    text = "\n\n".join(shown(r) for r in replies)
    assert newest.issue.label in text
    assert all(t in text for a in newest.articles for t in a.takeaways)
    assert all(utf16_len(r.text) <= MESSAGE_LIMIT and html_problem(r.text) is None for r in replies)


def test_topic_and_search(bot, api, assistant):
    chat = new_chat()
    for text in ("/topic leadership", "/topic qqqzzz", "/topic", "/search mastery feedback", "/search"):
        api.message(chat, text)
    replies = api.wait_sent(chat, 5)
    leadership = [a for x in assistant.issues() for a in x.articles if "Leadership" in a.topics]
    assert shown(replies[0]).startswith("Recent articles on leadership")
    assert leadership[0].title in shown(replies[0])  # newest first
    assert "No articles on “qqqzzz”" in shown(replies[1])
    assert "Which topic?" in shown(replies[2])
    assert "Building Mastery" in shown(replies[3]) and replies[3].buttons
    assert "What should I look for?" in shown(replies[4])


def test_bad_input_gets_a_specific_reply(bot, api):
    chat = new_chat()
    api.message(chat, "/frobnicate now")
    api.message(chat, "/ask")
    api.message(chat, "   ")
    api.message(chat, "why " * 300)
    api.message(chat, voice={"file_id": "v1", "file_unique_id": "uv1", "duration": 3})
    api.message(chat, photo=[{"file_id": "p1", "file_unique_id": "up1", "width": 10, "height": 10}])
    api.message(
        chat,
        sticker={
            "file_id": "s1",
            "file_unique_id": "us1",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    replies = [shown(r) for r in api.wait_sent(chat, 7)]
    assert "I don't know the command /frobnicate" in replies[0]
    assert replies[1].startswith("Ask your question after /ask")
    assert replies[2].startswith("Your question is empty")
    assert "longer than 1000 characters" in replies[3]
    assert "voice messages" in replies[4]
    assert "pictures" in replies[5]
    assert "sticker" in replies[6]


def test_in_a_group_commands_for_other_bots_are_left_alone(bot, api):
    group = -new_chat()
    api.message(group, "/weather@some_other_bot Paris", user_id=77)
    api.message(group, "/week@digest_test_bot 373", user_id=77)
    api.message(group, "/nothing@digest_test_bot", user_id=77)
    replies = api.wait_sent(group, 2)
    assert shown(replies[0]).startswith("Week 373, November 1-7, 2024")
    assert "I don't know the command /nothing" in shown(replies[1])
    time.sleep(0.5)
    assert len(api.sent(group)) == 2


# --- safety -------------------------------------------------------------------------------------
def test_rate_limit_replies_politely_once_then_drops(bot, api):
    chat = new_chat()
    api.messages([(chat, "/help")] * 11)
    api.wait_sent(chat, 9)
    time.sleep(1.0)  # anything more would have arrived by now
    replies = [shown(r) for r in api.sent(chat)]
    # The limit is checked as updates arrive, before they wait for the chat's turn: the warning
    # may come before the answers to the burst that is still being handled.
    assert len(replies) == 9, replies
    assert sum("faster than I can answer" in r for r in replies) == 1
    assert [r for r in replies if "faster than" not in r] == [visible_text(HELP, "HTML")] * 8


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own RetryAfter()
def test_a_429_is_retried_after_retry_after(bot, api):
    chat = new_chat()
    api.fail("sendMessage", status=429, retry_after=1)
    api.message(chat, "/help")
    api.wait_sent(chat)
    attempts = api.calls("sendMessage", chat)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0


def test_network_errors_and_server_errors_are_retried(bot, api):
    chat = new_chat()
    api.fail("sendMessage", drop=True)
    api.fail("sendMessage", status=502, description="Bad Gateway")
    api.message(chat, "/help")
    api.wait_sent(chat)
    assert [c.status for c in api.calls("sendMessage", chat)] == [0, 502, 200]


def test_allowlist_refuses_a_stranger(assistant, tmp_path):
    friend, stranger = new_chat(), new_chat()
    with (
        BotApiServer(TOKEN) as api,
        RunningBot(
            TelegramBot(assistant, bot_settings(assistant, api, home=tmp_path, telegram_allowed_chats=[friend]))
        ),
    ):
        api.message(stranger, SEED_QUESTION)
        api.press(stranger, "v:abc:1", 1)
        api.message(friend, "/help")
        [refusal] = api.wait_sent(stranger)
        assert "private bot" in shown(refusal) and str(stranger) in shown(refusal)
        alert = api.wait_for(lambda: api.calls("answerCallbackQuery"))[0]
        assert alert.params["show_alert"] is True and "private bot" in alert.params["text"]
        assert shown(api.wait_sent(friend)[0]) == visible_text(HELP, "HTML")
        time.sleep(0.5)
        assert len(api.sent(stranger)) == 1 and not api.calls("sendChatAction", stranger)


class _Exploding:
    """The real assistant, except that search fails with an internal error."""

    def __init__(self, inner: Assistant):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def search(self, *args, **kwargs):
        raise RuntimeError(f"index corrupted at /srv/internal/chroma/{TOKEN}/segment")


def test_a_failing_handler_logs_first_then_sends_one_friendly_line(assistant, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    chat = new_chat()
    with (
        BotApiServer(TOKEN) as api,
        RunningBot(TelegramBot(_Exploding(assistant), bot_settings(assistant, api, home=tmp_path))),
    ):
        api.message(chat, "/search anything")
        [reply] = api.wait_sent(chat)
        api.message(chat, "/help")  # the bot carries on
        api.wait_sent(chat, 2)
    assert shown(reply) == SOMETHING_WENT_WRONG
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].name == "bots.telegram.handlers" and errors[0].created <= reply.wall
    assert "RuntimeError" in caplog.text and "<bot-token>" in caplog.text  # the traceback, with the token masked
    assert TOKEN not in caplog.text
    assert not any("/srv/internal" in c.text or "Traceback" in c.text for c in api.sent(chat))


def test_the_token_never_reaches_a_log_line_or_a_chat(bot, api, caplog):
    caplog.set_level(logging.DEBUG)
    chat = new_chat()
    for text in (SEED_QUESTION, "/week 373", "/nope"):
        api.message(chat, text)
    api.wait_sent(chat, 3)
    logging.getLogger("httpx").warning("HTTP Request: POST %s", f"{api.base_url}{TOKEN}/sendMessage")
    assert TOKEN not in caplog.text and "<bot-token>/sendMessage" in caplog.text
    assert not any(r.name.startswith("httpx") and r.levelno < logging.WARNING for r in caplog.records)
    assert all(TOKEN not in json.dumps(c.params, ensure_ascii=False) for c in api.calls())


# --- the weekly push ------------------------------------------------------------------------------
NEW_ISSUE = """Informed i’s Weekly Business Insights
FREE weekly newsletter | Sharing knowledge briefs from TOP TEN BUSINESS MAGAZINES | Since 2017 | Week 455, May 29-June 4, 2026 | Archive
Pricing Power Returns to the Boardroom
By Amara Okafor | Harbour Business Review | May 27, 2026
Extractive Summary of the Article | Read | Listen
3 key takeaways from the article
- Firms that reviewed prices every quarter grew margins twice as fast as firms that reviewed them once a year.
- Customers accepted increases explained by rising costs, but punished increases timed to moments of high demand.
- Boards that asked for a pricing report at every meeting caught margin leaks months earlier.
(Copyright lies with the publisher)
Topics: Strategy, Pricing, Governance
Click for the extractive summary of the articleFirms that reviewed prices every quarter grew margins twice as fast as firms that reviewed them once a year, a study of 400 companies found. Customers accepted increases explained by rising costs, but punished increases timed to moments of high demand. Boards that asked for a pricing report at every meeting caught margin leaks months earlier than boards that did not.
show less
"""


def test_subscribers_receive_a_newly_ingested_issue_once(bot, api, assistant, tmp_path):
    subscriber, bystander = new_chat(), new_chat()
    api.message(subscriber, "/subscribe")
    api.message(subscriber, "/subscribe")
    api.message(bystander, "/unsubscribe")
    replies = api.wait_sent(subscriber, 2)
    assert "Subscribed!" in shown(replies[0]) and "already subscribed" in shown(replies[1])
    assert "weren't subscribed" in shown(api.wait_sent(bystander)[0])
    time.sleep(1.2)  # a few push rounds: nothing is sent for the issues that were already there
    assert len(api.sent(subscriber)) == 2

    page = tmp_path / "week-455.txt"
    page.write_text(NEW_ISSUE, encoding="utf-8")
    report = ingest(assistant, [str(page)])
    try:
        assert report.added == 1
        takeaways, episode = api.wait_sent(subscriber, 4, timeout=180)[2:]
        text = shown(takeaways)
        assert "A new issue is out" in text and "Week 455, May 29-June 4, 2026" in text
        assert "Pricing Power Returns to the Boardroom" in text and "reviewed prices every quarter" in text
        assert episode.method == "sendVoice" and shown(episode).startswith("🎧 Week 455")
        assert sf.info(io.BytesIO(episode.files["voice"])).subtype == "OPUS"
        time.sleep(1.2)
        assert len(api.sent(subscriber)) == 4  # pushed once
        assert api.sent(bystander)[-1].text.startswith("You weren't subscribed")
        assert (subscriber, 455) in bot.bot.store.subscribers()  # persisted in SQLite
    finally:
        for listing in assistant.issues():
            if listing.issue.week == 455:
                for article in listing.articles:
                    assistant.forget(article.id)


def test_a_push_to_60_subscribers_keeps_to_the_bot_wide_send_limit_and_retries_a_5xx(assistant, tmp_path):
    rate = 10  # sends a second, bot-wide; Telegram's is about 30
    chats = [880_000 + n for n in range(60)]
    week = assistant.latest_issue().issue.week
    with BotApiServer(TOKEN) as api:
        bot = TelegramBot(assistant, bot_settings(assistant, api, home=tmp_path, telegram_sends_per_second=rate))
        for chat in chats:
            bot.store.subscribe(chat, week - 1)  # subscribed before the newest issue: it is due
        api.fail("sendMessage", status=502, description="Bad Gateway")  # the push's first send
        with RunningBot(bot):
            api.wait_for(
                lambda: set(dict(bot.store.subscribers()).values()) == {week}, timeout=240, what="the push to 60 chats"
            )
        sends = sorted(c.at for c in api.calls() if c.chat_id in chats)
    shapes = {tuple(x.method for x in api.sent(c)) for c in chats}  # the takeaways (in 2 parts here), the episode
    assert len(shapes) == 1 and next(iter(shapes))[-1] == "sendVoice"
    per_chat = len(next(iter(shapes)))
    assert len(sends) == 60 * per_chat + 1  # and the send that got the 502
    assert len([c for c in chats if api.calls(chat_id=c)[0].status == 502]) == 1  # retried: that chat got it all
    # Counted where they arrive. aiolimiter lets a burst of `rate` go at once, then `rate` a second,
    # so any one second holds at most 2 x rate. Unlimited (sends_per_second=0), the same push here
    # put 127 sends in its busiest second.
    most = max(sum(1 for t in sends if start <= t < start + 1.0) for start in sends)
    assert most <= 2 * rate + 4, most


# --- load ---------------------------------------------------------------------------------------
LOAD_QUESTIONS = [
    SEED_QUESTION,
    "How are digital cash transfers changing the fight against poverty?",
    "How should leaders stay calm during a crisis?",
]


def test_load_50_chats_3_questions_each(bot, api, assistant, caplog, capsys):
    caplog.set_level(logging.WARNING)
    expected, history = [], []
    for question in LOAD_QUESTIONS:
        answer = assistant.ask(question, history=list(history))
        expected.append(expected_shown(answer))
        history.append(Turn.of(question, answer))
    assert len(set(expected)) == 3
    chats = [new_chat() for _ in range(50)]
    items = [(chat, q) for q in LOAD_QUESTIONS for chat in chats]
    update_ids = dict(zip(items, api.messages(items)))

    processor = bot.bot.application.update_processor
    most_at_once = 0
    deadline = time.monotonic() + 600
    started = time.monotonic()
    while not all(len(api.sent(c)) >= 3 for c in chats):
        most_at_once = max(most_at_once, processor.current_concurrent_updates)
        assert time.monotonic() < deadline, "not all 150 questions were answered"
        time.sleep(0.01)

    elapsed = time.monotonic() - started
    latencies = []
    for chat in chats:
        replies = api.sent(chat)
        assert len(replies) == 3
        assert [shown(r) for r in replies] == expected  # every answer, in the order asked
        latencies += [r.at - api.pushed_at[update_ids[(chat, q)]] for r, q in zip(replies, LOAD_QUESTIONS)]
    assert all(c.status == 200 for c in api.calls("sendMessage") if c.chat_id in chats)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert most_at_once > 1  # different chats really were handled at the same time
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[18]
    with capsys.disabled():
        print(
            f"\n[telegram load] 150 questions from 50 chats: reply latency p50 {p50:.2f} s, p95 {p95:.2f} s, "
            f"max {max(latencies):.2f} s; all answered in {elapsed:.1f} s ({150 / elapsed:.1f} questions/s); "
            f"up to {most_at_once} updates in flight"
        )
