"""What the bot does with each kind of update. Every call into the Assistant is blocking, so
it runs in a worker thread, and so does rendering a listing or an answer into messages (a long
one takes real time, and the event loop serves every chat, and the web chat under `assistant
serve`); a failure the common error policy lets the user hear about becomes one line in the
chat; anything else goes to the application's error handler."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from assistant.models import AudioClip, IssueListing
from assistant.streaming import afinal_answer
from bots.common.errors import user_error
from bots.common.memory import ChatMemory, numbered_articles
from bots.common.ratelimit import RateLimiter, slow_down
from bots.common.storage import BotStore
from bots.telegram import replies
from bots.telegram.render import (
    answer_html,
    article_caption,
    articles_html,
    episode_caption,
    hits_html,
    issue_html,
    split_html,
)
from bots.telegram.streaming import StreamedReply, send_html
from bots.telegram.voice import VoiceNotes

if TYPE_CHECKING:
    from assistant import Assistant
    from bots.settings import AppSettings

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[..., Awaitable[None]]

BUTTONS_PER_ROW = 5
TOPIC_ARTICLES = 8
SEARCH_ARTICLES = 5
_LISTEN_DATA = re.compile(r"v:(\w{1,16}):(\d{1,3})")


def answers_errors(handler: Handler) -> Handler:
    """Failures the user is told about (unknown week, question too long, speech failed...) become
    one chat line; the rest go to the application's error handler (logged, "something went wrong")."""

    @functools.wraps(handler)
    async def wrapper(self: Handlers, update: Update, *args: Any) -> None:
        try:
            await handler(self, update, *args)
        except Exception as exc:
            problem = user_error(exc)
            if problem.report:
                raise
            if problem.kind == "speech":
                log.warning("speech failed in chat %s: %s", _chat_id(update), problem.detail)
            await self.say(update, replies.error_line(problem))

    return wrapper


@dataclass
class Handlers:
    assistant: Assistant
    settings: AppSettings
    store: BotStore
    memory: ChatMemory
    voices: VoiceNotes
    limiter: RateLimiter

    # --- before everything: the rate limit (before the chat's turn), then the allowlist ------
    async def admit(self, update: object) -> bool:
        """The rate limit, checked as an update arrives, before it waits for its chat's turn
        (bots/telegram/ordering.py): a flood from a chat whose answer is still being written is
        refused at once instead of queueing behind it, holding the bot's update slots. A user
        over the limit is told once; False drops the update."""
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            return True
        verdict = self.limiter.check(user.id)
        if verdict == "ok":
            return True  # nothing awaited: the update takes its place in its chat's queue in order
        if verdict == "warn":
            try:
                await self.refuse(update, slow_down(self.limiter.wait_seconds(user.id)))
            except TelegramError as exc:  # the update is dropped either way
                log.warning("could not ask user %s to slow down (%s)", user.id, type(exc).__name__)
        return False

    async def gate(self, update: Update, context: Context) -> None:
        chat = update.effective_chat
        allowed = self.settings.telegram.allowed_chats
        if allowed and (chat is None or chat.id not in allowed):
            log.info("refused chat %s: not in ASSISTANT_TELEGRAM_ALLOWED_CHATS", chat.id if chat else None)
            if chat is not None:
                await self.refuse(update, replies.not_in_allowlist(chat.id))
            raise ApplicationHandlerStop

    # --- questions --------------------------------------------------------------------------
    async def ask_command(self, update: Update, context: Context) -> None:
        question = _after_command(update.effective_message.text or "")
        if not question.strip():
            await self.say(update, replies.ASK_USAGE)
            return
        await self.answer(update, question)

    async def text(self, update: Update, context: Context) -> None:
        await self.answer(update, update.effective_message.text or "")

    @answers_errors
    async def answer(self, update: Update, question: str) -> None:
        chat_id = _chat_id(update)
        bot = update.get_bot()
        state = self.memory.get(chat_id)
        await _show_action(bot, chat_id, ChatAction.TYPING)
        knobs = self.assistant.settings
        writes_slowly = knobs.answers.mode != "extractive" and knobs.llm.model is not None
        reply = StreamedReply(bot, chat_id, self.settings.telegram.edit_interval, live=writes_slowly)
        answer = await afinal_answer(self.assistant.aask_stream(question, history=list(state.history)), reply.add)
        ids = numbered_articles(answer)  # its sources, or the related articles of a "not in the digest"
        await reply.finish(await rendered(answer_html, answer), await self.listen_buttons(ids))
        state.remember(question, answer)

    async def reset(self, update: Update, context: Context) -> None:
        self.memory.reset(_chat_id(update))
        await self.say(update, replies.RESET)

    # --- browsing ---------------------------------------------------------------------------
    async def help(self, update: Update, context: Context) -> None:
        await self.say(update, replies.HELP)

    @answers_errors
    async def latest(self, update: Update, context: Context) -> None:
        listings = await asyncio.to_thread(self.assistant.issues)  # newest first; week-less issues last
        if not listings:
            await self.say(update, replies.NO_ISSUES)
            return
        await self.send_listing(update.get_bot(), _chat_id(update), listings[0], takeaways=True)

    @answers_errors
    async def week(self, update: Update, context: Context) -> None:
        arg = _after_command(update.effective_message.text or "").strip()
        if not arg:
            listings = await asyncio.to_thread(self.assistant.issues)
            recent = [x.issue.week for x in listings if x.issue.week is not None][:3]
            await self.say(update, replies.week_usage(recent))
            return
        if not arg.isdigit():
            await self.say(update, replies.not_a_number("week", arg))
            return
        listing = await asyncio.to_thread(self.assistant.issue, int(arg))
        await self.send_listing(update.get_bot(), _chat_id(update), listing, takeaways=False)

    @answers_errors
    async def topic(self, update: Update, context: Context) -> None:
        name = _after_command(update.effective_message.text or "").strip()
        if not name:
            await self.say(update, replies.TOPIC_USAGE)
            return
        match = await asyncio.to_thread(self.assistant.topic_articles, name)
        if not match.articles:
            await self.say(update, replies.no_topic(name, match.suggestions))
            return
        articles = match.articles[:TOPIC_ARTICLES]  # newest issue first: these are the most recent
        parts = await rendered(articles_html, f"Recent articles on {name}", articles)
        await self.send_articles(update.get_bot(), _chat_id(update), parts, [a.id for a in articles])

    @answers_errors
    async def search(self, update: Update, context: Context) -> None:
        query = _after_command(update.effective_message.text or "").strip()
        if not query:
            await self.say(update, replies.SEARCH_USAGE)
            return
        hits = await asyncio.to_thread(self.assistant.search, query, None, SEARCH_ARTICLES)
        if not hits:
            await self.say(update, f"No articles match “{replies.esc(query)}”.")
            return
        parts = await rendered(hits_html, query, hits)
        await self.send_articles(update.get_bot(), _chat_id(update), parts, [h.article.id for h in hits])

    # --- audio ------------------------------------------------------------------------------
    @answers_errors
    async def listen(self, update: Update, context: Context) -> None:
        arg = _after_command(update.effective_message.text or "").strip()
        if not arg:
            await self.say(update, replies.LISTEN_USAGE)
            return
        chat_id = _chat_id(update)
        article_id = arg
        if arg.isdigit():
            state = self.memory.get(chat_id)
            if not state.sources:
                await self.say(update, "I haven't shown you any articles yet: ask a question or send /latest first.")
                return
            if (found := state.source(int(arg))) is None:
                await self.say(
                    update,
                    f"My last answer or list has articles 1 to {len(state.sources)}: "
                    f"send /listen with one of those numbers.",
                )
                return
            article_id = found
        await self.send_article_audio(update.get_bot(), chat_id, article_id)

    @answers_errors
    async def listen_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        match = _LISTEN_DATA.fullmatch(query.data or "")
        ids = await asyncio.to_thread(self.store.sources, match.group(1)) if match else None
        n = int(match.group(2)) if match else 0
        if not ids or not 1 <= n <= len(ids):
            await query.answer(replies.EXPIRED_BUTTON, show_alert=True)
            return
        await query.answer("Preparing the audio…")
        await self.send_article_audio(update.get_bot(), _chat_id(update), ids[n - 1])

    @answers_errors
    async def episode(self, update: Update, context: Context) -> None:
        arg = _after_command(update.effective_message.text or "").strip()
        if arg and not arg.isdigit():
            await self.say(update, replies.not_a_number("episode", arg))
            return
        if arg:
            listing = await asyncio.to_thread(self.assistant.issue, int(arg))
        else:
            listing = await asyncio.to_thread(self.assistant.latest_issue)
            if listing is None:
                await self.say(update, replies.NO_ISSUES)
                return
        bot, chat_id = update.get_bot(), _chat_id(update)
        await _show_action(bot, chat_id, ChatAction.RECORD_VOICE)
        clip = await asyncio.to_thread(self.assistant.listen_issue, listing.issue.week, "ogg")
        await self.voices.send(bot, chat_id, clip, await asyncio.to_thread(episode_caption, listing, clip))

    async def send_article_audio(self, bot: Bot, chat_id: int, article_id: str) -> None:
        article = await asyncio.to_thread(self.assistant.show, article_id)
        await _show_action(bot, chat_id, ChatAction.RECORD_VOICE)
        clip = await asyncio.to_thread(self.assistant.listen_article, article.id, "ogg")
        await self.voices.send(bot, chat_id, clip, await asyncio.to_thread(article_caption, article))

    # --- the weekly issue -------------------------------------------------------------------
    @answers_errors
    async def subscribe(self, update: Update, context: Context) -> None:
        newest = await asyncio.to_thread(self.assistant.latest_issue)
        week = newest.issue.week if newest is not None else None
        newly = await asyncio.to_thread(self.store.subscribe, _chat_id(update), week)
        await self.say(update, replies.subscribed(newly))

    async def unsubscribe(self, update: Update, context: Context) -> None:
        was = await asyncio.to_thread(self.store.unsubscribe, _chat_id(update))
        await self.say(update, replies.unsubscribed(was))

    async def push_issue(self, bot: Bot, chat_id: int, listing: IssueListing, clip: AudioClip | None) -> None:
        """What a subscriber receives: the takeaways, then the episode."""
        await self.send_listing(bot, chat_id, listing, takeaways=True, heading="📬 A new issue is out")
        if clip is not None:
            await self.voices.send(bot, chat_id, clip, await asyncio.to_thread(episode_caption, listing, clip))

    # --- everything else --------------------------------------------------------------------
    async def unknown_command(self, update: Update, context: Context) -> None:
        command, _, addressee = (update.effective_message.text or "/").split()[0].partition("@")
        if addressee and addressee.lower() != (update.get_bot().username or "").lower():
            return  # in a group, a command for another bot
        await self.say(update, replies.unknown_command(command))

    async def not_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        kind = next((k for k in replies.NOT_TEXT if getattr(message, k, None)), None)
        await self.say(update, replies.NOT_TEXT.get(kind, replies.NOT_TEXT_OTHER) if kind else replies.NOT_TEXT_OTHER)

    async def on_error(self, update: object, context: Context) -> None:
        """Log first (with the traceback, for the operator), then one friendly line for the user."""
        log.error(
            "handling update %s failed: %s",
            getattr(update, "update_id", "?"),
            type(context.error).__name__,
            exc_info=context.error,
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                if update.callback_query is not None:
                    await update.callback_query.answer()
                await update.get_bot().send_message(update.effective_chat.id, replies.SOMETHING_WENT_WRONG)
            except Exception as exc:  # the network may be what failed: nothing more to do
                log.warning("could not tell chat %s about the error (%s)", update.effective_chat.id, type(exc).__name__)

    # --- sending ----------------------------------------------------------------------------
    async def say(self, update: Update, html_text: str) -> Message:
        return await update.get_bot().send_message(_chat_id(update), html_text, parse_mode=ParseMode.HTML)

    async def refuse(self, update: Update, text: str) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await update.get_bot().send_message(update.effective_chat.id, text)

    async def listen_buttons(self, article_ids: list[str]) -> InlineKeyboardMarkup | None:
        """ "🔊 1", "🔊 2"… Callback data holds a short key for the list, not the ids (64-byte limit)."""
        if not article_ids:
            return None
        key = await asyncio.to_thread(self.store.source_key, article_ids)
        buttons = [
            InlineKeyboardButton(f"🔊 {n}", callback_data=f"v:{key}:{n}") for n in range(1, len(article_ids) + 1)
        ]
        return InlineKeyboardMarkup([buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)])

    async def send_listing(
        self, bot: Bot, chat_id: int, listing: IssueListing, takeaways: bool, heading: str = ""
    ) -> None:
        parts = await rendered(issue_html, listing, takeaways, heading)
        await self.send_articles(bot, chat_id, parts, [a.id for a in listing.articles])

    async def send_articles(self, bot: Bot, chat_id: int, parts: list[str], article_ids: list[str]) -> None:
        """``parts`` (from ``rendered``) in order, with a 🔊 button per article under the last one."""
        await send_html(bot, chat_id, parts, await self.listen_buttons(article_ids))
        self.memory.get(chat_id).sources = article_ids


async def rendered(render: Callable[..., str], *args: Any) -> list[str]:
    """``render(*args)`` as HTML messages under Telegram's limit, made in a worker thread."""
    return await asyncio.to_thread(lambda: split_html(render(*args)))


async def _show_action(bot: Bot, chat_id: int, action: str) -> None:
    """ "typing…" / "recording a voice message…": a courtesy, so its failure stops nothing."""
    try:
        await bot.send_chat_action(chat_id, action)
    except TelegramError as exc:
        log.debug("chat action for %s failed: %s", chat_id, type(exc).__name__)


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update without a chat")
    return chat.id


def _after_command(text: str) -> str:
    """What follows "/command" (or "/command@bot"), keeping the user's line breaks."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 and parts[0].startswith("/") else ""
