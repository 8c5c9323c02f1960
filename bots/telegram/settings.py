"""The Telegram bot's settings section (``ASSISTANT_TELEGRAM_*``; the token also from TELEGRAM_BOT_TOKEN)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from assistant.settings import Section


class TelegramSettings(Section):
    env_prefix = "telegram_"
    env_fallbacks = {"token": "TELEGRAM_BOT_TOKEN"}

    token: SecretStr | None = Field(
        None, description="Bot token from @BotFather; TELEGRAM_BOT_TOKEN is read when this is unset. Never logged."
    )
    base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API address (the token is appended): Telegram's, a self-hosted Bot API server, or a test stand-in.",
    )
    allowed_chats: list[int] = Field(
        default_factory=list, description="Chat ids allowed to use the bot, comma-separated; empty: everyone."
    )
    rate_per_minute: float = Field(
        12.0, gt=0, description="Messages a user may send per minute, sustained; beyond it the bot asks them to wait."
    )
    rate_burst: int = Field(5, ge=1, description="Messages a user may send at once before the rate limit applies.")
    push_interval: float = Field(
        300.0, ge=0, description="Seconds between checks for a new issue to push to subscribers; 0 turns the push off."
    )
    edit_interval: float = Field(
        1.0, gt=0, description="Least seconds between edits of an answer that is still being written."
    )
    concurrent_updates: int = Field(
        256, ge=1, le=4096, description="Updates handled at once across chats (each chat's stay in order)."
    )
    retries: int = Field(
        3,
        ge=0,
        le=10,
        description="Retries of a Bot API request after a network error, a 5xx or a 429 (retry_after honoured).",
    )
    sends_per_second: float = Field(
        30.0,
        ge=0,
        description="Bot API requests to chats per second, for the whole bot (Telegram allows about 30 messages "
        "a second; the weekly push goes out at this pace); 0: no limit.",
    )
    group_sends_per_minute: float = Field(
        20.0, ge=0, description="Requests to one group or channel per minute (Telegram allows 20); 0: no limit."
    )

    @property
    def token_value(self) -> str:
        """The token, stripped; empty when none is set."""
        return self.token.get_secret_value().strip() if self.token is not None else ""

    @field_validator("allowed_chats", mode="before")
    @classmethod
    def _chat_ids(cls, value: object) -> object:
        """From the environment: "123, -100456" (or a JSON list)."""
        if isinstance(value, str):
            return value.strip().strip("[]").replace(",", " ").split()
        return value
