"""An answer shown while it is being written, then replaced by the checked one.

Only a language model writes slowly enough to watch: with none configured the finished answer
is sent as one message. With one, the text shows up ``interval`` seconds after its first words
(so a quick answer still arrives whole), as plain text edited at most once per ``interval``
(Telegram limits edits); the final edit puts in the checked HTML answer, its sources and its
buttons.
"""

from __future__ import annotations

import time

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bots.telegram.render import preview_text

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a citation link would otherwise unfurl under every answer


async def send_html(
    bot: Bot, chat_id: int, parts: list[str], markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Messages in order; the buttons go under the last one."""
    sent = []
    for i, part in enumerate(parts):
        sent.append(
            await bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup if i == len(parts) - 1 else None,
            )
        )
    return sent


class StreamedReply:
    def __init__(self, bot: Bot, chat_id: int, interval: float, live: bool = True):
        self._bot = bot
        self._chat_id = chat_id
        self._interval = interval
        self._live = live
        self._first_words: float | None = None
        self._last_shown = 0.0
        self._text = ""
        self._shown = ""
        self._message: Message | None = None
        self.edits = 0

    async def add(self, delta: str) -> None:
        self._text += delta
        if not self._live:
            return
        now = time.monotonic()
        if self._first_words is None:
            self._first_words = now
        if now - self._first_words < self._interval or now - self._last_shown < self._interval:
            return
        preview = preview_text(self._text)
        if not self._text.strip() or preview == self._shown:
            return
        if self._message is None:
            self._message = await self._bot.send_message(self._chat_id, preview, link_preview_options=NO_PREVIEW)
        else:
            await self._message.edit_text(preview, link_preview_options=NO_PREVIEW)
            self.edits += 1
        self._shown, self._last_shown = preview, time.monotonic()

    async def finish(self, parts: list[str], markup: InlineKeyboardMarkup | None = None) -> list[Message]:
        """Replace the preview with the final ``parts`` (HTML)."""
        if self._message is None:
            return await send_html(self._bot, self._chat_id, parts, markup)
        first = parts[0]
        try:
            edited = await self._message.edit_text(
                first,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup if len(parts) == 1 else None,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
            edited = self._message
        self.edits += 1
        rest = await send_html(self._bot, self._chat_id, parts[1:], markup) if len(parts) > 1 else []
        return [edited if isinstance(edited, Message) else self._message, *rest]
