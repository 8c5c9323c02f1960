"""The web chat's settings section (``ASSISTANT_WEB_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from assistant.settings import Section


class WebSettings(Section):
    env_prefix = "web_"

    host: str = Field("127.0.0.1", description="Address `assistant web`/`serve` binds to (0.0.0.0 to expose it).")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web chat and its JSON API.")
    auth: SecretStr | None = Field(None, description="`user:password` to require HTTP basic login on every page.")
    public_url: str | None = Field(
        None, description="Public base URL used in the podcast feed's links. Unset: the URL the request came to."
    )
    concurrency: int = Field(16, ge=1, le=256, description="Chat requests the web app handles at once.")
    max_request_bytes: int = Field(65_536, ge=1_024, description="Largest request body the web app accepts.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Web worker processes of `assistant web`/`serve` (`--workers`); above 1 they share a Chroma "
        "server, started over the index folder when ASSISTANT_CHROMA_HOST is unset. See docs/scaling.md.",
    )
    warm_audio: bool = Field(
        True, description="Make the newest issue's audio at start (`serve --workers` leaves it to one worker)."
    )
