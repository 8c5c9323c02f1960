"""The language model: any OpenAI-compatible chat endpoint (OpenAI, llama.cpp, vLLM, Ollama)
through LlamaIndex's ``OpenAILike`` on the ``openai`` client.

Retries are ours, not the libraries': LlamaIndex's tenacity wrapper waits up to 20 s between
tries and the openai client retries inside it again, so a dead endpoint could hold a question
for minutes. Here a request is tried ``llm_retries + 1`` times with a short backoff, only
before the first token, and every failure becomes a domain error whose message never carries
the key or the server's text (a 401 body may echo part of the key).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.errors import (
    LanguageModelAuthError,
    LanguageModelError,
    LanguageModelNotConfigured,
    LanguageModelNotFound,
    LanguageModelUnavailable,
)
from assistant.ports import Message
from assistant.settings import Settings

if TYPE_CHECKING:
    from llama_index.llms.openai_like import OpenAILike

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_BACKOFF_SECONDS = 0.5  # doubled on each retry, capped below
_BACKOFF_CAP = 4.0


class OpenAICompatibleModel:
    """One configured endpoint and model. Thread-safe: channels call it from worker threads."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._down_until = 0.0  # monotonic time until which auto mode skips an unreachable endpoint
        self.outages = 0  # times the endpoint could not be reached (so one question does not wait twice)
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._settings.llm.model)

    @property
    def name(self) -> str | None:
        return self._settings.llm.model

    @property
    def base_url(self) -> str:
        return (self._settings.llm.base_url or OPENAI_BASE_URL).rstrip("/")

    def cooling_down(self) -> bool:
        """True for ``llm_cooldown`` seconds after the endpoint could not be reached."""
        return time.monotonic() < self._down_until

    # --- calls ------------------------------------------------------------------------------
    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Text deltas of the model's reply. Raises ``LanguageModelError`` (never an openai error)."""
        first, pieces = self._start(messages, stream=True, max_tokens=max_tokens)
        try:
            if first is not None and first.delta:
                yield first.delta
            for piece in pieces:
                if piece.delta:
                    yield piece.delta
        except Exception as exc:  # a stream cut mid-answer: not retried, the caller falls back
            raise self._fail(exc) from None
        finally:
            pieces.close()  # a caller that stops early closes the HTTP response too

    def complete(self, messages: Sequence[Message], max_tokens: int | None = None) -> str:
        """The whole reply at once (used for short jobs such as rewriting a follow-up)."""
        return self._start(messages, stream=False, max_tokens=max_tokens).message.content or ""

    def _start(self, messages: Sequence[Message], *, stream: bool, max_tokens: int | None):
        """Send the request, retrying what may pass on a second try, until the first piece arrives."""
        if not self.configured:
            raise LanguageModelNotConfigured()
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m.role, content=m.content) for m in messages]
        # Per call: OpenAILike would let an instance-wide max_tokens override this one.
        extra = {"max_tokens": max_tokens or self._settings.llm.max_tokens}
        attempts = self._settings.llm.retries + 1
        for attempt in range(attempts):
            try:
                if not stream:
                    return self._llm.chat(chat, **extra)
                pieces = self._llm.stream_chat(chat, **extra)
                return next(pieces, None), pieces  # the HTTP request happens on this first read
            except Exception as exc:
                error = self._map(exc)
                if not error.retryable or attempt == attempts - 1:
                    raise self._fail(error) from None
                delay = min(_BACKOFF_SECONDS * 2**attempt, _BACKOFF_CAP)
                log.info("language model: %s; retry %d of %d in %.1f s", error, attempt + 1, attempts - 1, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _fail(self, exc: Exception) -> LanguageModelError:
        error = exc if isinstance(exc, LanguageModelError) else self._map(exc)
        if isinstance(error, LanguageModelUnavailable):
            with self._lock:
                self._down_until = time.monotonic() + self._settings.llm.cooldown
                self.outages += 1
        log.warning("language model failed: %s", error)  # our own message: no key, no server text
        return error

    def _map(self, exc: Exception) -> LanguageModelError:
        import openai

        if isinstance(exc, LanguageModelError):
            return exc
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return LanguageModelAuthError(exc.status_code)
        if isinstance(exc, openai.NotFoundError):
            return LanguageModelNotFound(self.name or "")
        if isinstance(exc, openai.APITimeoutError):
            return LanguageModelUnavailable(
                f"The language model did not answer within {self._settings.llm.timeout:g} s ({self.base_url})."
            )
        import httpx

        # Mid-stream the SDK raises httpx's own errors, not its wrapped ones: a stall past the
        # read timeout, or a connection cut. Both mean the endpoint is in trouble (cool down).
        if isinstance(exc, httpx.TimeoutException):
            return LanguageModelUnavailable(
                f"The language model stopped answering for {self._settings.llm.timeout:g} s ({self.base_url})."
            )
        if isinstance(exc, httpx.TransportError):
            return LanguageModelUnavailable(f"The connection to the language model endpoint {self.base_url} was cut.")
        if isinstance(exc, openai.APIConnectionError):
            return LanguageModelUnavailable(f"The language model endpoint {self.base_url} cannot be reached.")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status == 429 or status >= 500:
                return LanguageModelUnavailable(f"The language model endpoint failed ({status}).")
            return LanguageModelError(f"The language model endpoint rejected the request ({status}).")
        return LanguageModelError(f"The language model call failed ({type(exc).__name__}).")

    def llama_index_llm(self) -> OpenAILike:
        """The configured endpoint as a LlamaIndex LLM (for ``Assistant.as_query_engine``).
        Its calls go straight to the endpoint: this class's retries and cooldown do not apply."""
        return self._llm

    @cached_property
    def _llm(self) -> OpenAILike:
        # Imported here: llama_index costs ~2 s, and extractive answers never need it.
        from llama_index.llms.openai_like import OpenAILike

        import assistant.offline  # noqa: F401

        key = self._settings.llm.api_key
        return OpenAILike(
            model=self._settings.llm.model,
            api_base=self.base_url,
            # Local servers take no key, but the openai client insists on one.
            api_key=key.get_secret_value() if key else "no-key",
            is_chat_model=True,  # chat endpoint: no tokenizer is needed, so no tiktoken download
            is_function_calling_model=False,
            context_window=self._settings.llm.context_window,
            max_tokens=None,  # given per call (see _start)
            temperature=self._settings.llm.temperature,
            timeout=self._settings.llm.timeout,
            max_retries=0,  # see the module docstring
            reuse_client=True,
        )
