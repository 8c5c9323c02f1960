"""Voice notes: OGG/Opus from the audio cache, uploaded once per audio.

When Telegram answers an upload it returns a file_id; it is stored against the audio's content
hash, and every later send of the same audio passes the file_id instead of the bytes. Sends of
an audio that has no file_id yet wait for the first upload, so a push to many subscribers
uploads the episode once. A file_id Telegram no longer knows is dropped and the file uploaded again.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from assistant.models import AudioClip
from bots.common.storage import BotStore

log = logging.getLogger(__name__)


class VoiceNotes:
    def __init__(self, store: BotStore):
        self._store = store
        self._uploads: dict[str, asyncio.Lock] = {}

    async def send(
        self, bot: Bot, chat_id: int, clip: AudioClip, caption: str = "", markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        if clip.format != "ogg":
            raise ValueError("Telegram voice notes must be OGG/Opus")
        key = clip.key or clip.path

        async def send_id(file_id: str) -> Message | None:
            try:
                return await bot.send_voice(
                    chat_id,
                    voice=file_id,
                    duration=int(clip.duration),
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as exc:  # e.g. a file_id of another bot token, or one Telegram dropped
                if "file" not in exc.message.lower():
                    raise
                log.warning("stored voice file_id was refused (%s); uploading the audio again", exc.message)
                await asyncio.to_thread(self._store.forget_voice_file, bot.id, key)
                return None

        if (file_id := await asyncio.to_thread(self._store.voice_file, bot.id, key)) and (
            sent := await send_id(file_id)
        ):
            return sent
        # One lock per audio (bounded by what the audio cache holds), so an audio uploads once.
        async with self._uploads.setdefault(key, asyncio.Lock()):
            if (file_id := await asyncio.to_thread(self._store.voice_file, bot.id, key)) and (
                sent := await send_id(file_id)
            ):
                return sent  # uploaded for another chat while this one waited
            data = await asyncio.to_thread(Path(clip.path).read_bytes)
            sent = await bot.send_voice(
                chat_id,
                voice=InputFile(data, filename=f"{key[:16]}.ogg"),
                duration=int(clip.duration),
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            if sent.voice is not None:
                await asyncio.to_thread(self._store.remember_voice_file, bot.id, key, sent.voice.file_id)
            return sent
