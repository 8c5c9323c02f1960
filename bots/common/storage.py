"""A chat bot's own small state, in one SQLite file per channel under ``ASSISTANT_HOME``:
subscribers and the last issue each received, the ids a chat service gave for uploaded audio
(Telegram calls them file_ids, hence the column names), and the article lists behind the short
keys of buttons. It survives restarts; the index itself is never touched. Nothing here knows
which service it serves: the channel picks the file and passes its own chat and bot ids.

Calls are short and blocking: channels run them in worker threads (``asyncio.to_thread``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    chat_id INTEGER PRIMARY KEY,
    subscribed_at REAL NOT NULL,
    last_week INTEGER            -- the newest issue this chat has (or had when it subscribed)
);
CREATE TABLE IF NOT EXISTS voice_files (
    bot_id INTEGER NOT NULL,     -- file_ids belong to one bot
    audio_key TEXT NOT NULL,     -- the audio cache's content hash
    file_id TEXT NOT NULL,
    PRIMARY KEY (bot_id, audio_key)
);
CREATE TABLE IF NOT EXISTS source_lists (
    key TEXT PRIMARY KEY,        -- in button data, which chat services limit (Telegram: 64 bytes)
    article_ids TEXT NOT NULL,
    created REAL NOT NULL
);
"""


SOURCE_LIST_DAYS = 180


class BotStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; no fsync per button list
        self._db.executescript(_SCHEMA)
        # Buttons older than this answer "expired"; the lists behind them go.
        self._db.execute("DELETE FROM source_lists WHERE created < ?", (time.time() - SOURCE_LIST_DAYS * 86400,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _write(self, sql: str, *args: object) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # --- subscriptions ---------------------------------------------------------------------
    def subscribe(self, chat_id: int, newest_week: int | None) -> bool:
        """False when the chat was already subscribed. It gets issues newer than ``newest_week``."""
        return (
            self._write(
                "INSERT OR IGNORE INTO subscribers (chat_id, subscribed_at, last_week) VALUES (?, ?, ?)",
                chat_id,
                time.time(),
                newest_week,
            )
            == 1
        )

    def unsubscribe(self, chat_id: int) -> bool:
        return self._write("DELETE FROM subscribers WHERE chat_id = ?", chat_id) == 1

    def is_subscribed(self, chat_id: int) -> bool:
        return bool(self._rows("SELECT 1 FROM subscribers WHERE chat_id = ?", chat_id))

    def due(self, week: int) -> list[int]:
        """Subscribers that have not received ``week`` yet (or anything newer)."""
        rows = self._rows(
            "SELECT chat_id FROM subscribers WHERE last_week IS NULL OR last_week < ? ORDER BY subscribed_at", week
        )
        return [r[0] for r in rows]

    def delivered(self, chat_id: int, week: int) -> None:
        self._write("UPDATE subscribers SET last_week = ? WHERE chat_id = ?", week, chat_id)

    def subscribers(self) -> list[tuple[int, int | None]]:
        return [(r[0], r[1]) for r in self._rows("SELECT chat_id, last_week FROM subscribers ORDER BY subscribed_at")]

    # --- voice file_ids --------------------------------------------------------------------
    def voice_file(self, bot_id: int, audio_key: str) -> str | None:
        rows = self._rows("SELECT file_id FROM voice_files WHERE bot_id = ? AND audio_key = ?", bot_id, audio_key)
        return rows[0][0] if rows else None

    def remember_voice_file(self, bot_id: int, audio_key: str, file_id: str) -> None:
        self._write(
            "INSERT OR REPLACE INTO voice_files (bot_id, audio_key, file_id) VALUES (?, ?, ?)",
            bot_id,
            audio_key,
            file_id,
        )

    def forget_voice_file(self, bot_id: int, audio_key: str) -> None:
        self._write("DELETE FROM voice_files WHERE bot_id = ? AND audio_key = ?", bot_id, audio_key)

    # --- article lists behind buttons ------------------------------------------------------
    def source_key(self, article_ids: list[str]) -> str:
        """A short stable key for a list of article ids (the same list always gets the same key)."""
        key = hashlib.sha256("\n".join(article_ids).encode()).hexdigest()[:12]
        self._write(
            "INSERT OR IGNORE INTO source_lists (key, article_ids, created) VALUES (?, ?, ?)",
            key,
            json.dumps(article_ids),
            time.time(),
        )
        return key

    def sources(self, key: str) -> list[str] | None:
        rows = self._rows("SELECT article_ids FROM source_lists WHERE key = ?", key)
        return json.loads(rows[0][0]) if rows else None
