"""A stand-in OpenAI-protocol server on 127.0.0.1 for deterministic language-model tests.

It speaks just enough of the protocol for the real ``openai`` client: ``POST
/v1/chat/completions`` (streamed as server-sent events or whole) and ``GET /v1/models``.
Each test scripts the replies with ``server.reply = lambda request: ...`` and reads what the
client sent from ``server.requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def system(self) -> str:
        return "\n".join(m["content"] for m in self.messages if m["role"] == "system")

    @property
    def user(self) -> str:
        return "\n".join(m["content"] for m in self.messages if m["role"] == "user")


@dataclass
class Text:
    """A reply; streamed in ``pieces`` when the client asks for a stream."""

    text: str
    piece_chars: int = 12
    delay: float = 0.0  # seconds before each piece


@dataclass
class Status:
    """An HTTP error with an OpenAI-style error body."""

    code: int
    message: str = "error"


@dataclass
class Hang:
    """Say nothing for ``seconds`` (the client should time out first)."""

    seconds: float


Reply = Text | Status | Hang


@dataclass
class FakeOpenAI:
    reply: Callable[[Request], Reply] = lambda request: Text("")
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                fake.requests.append(request)
                reply = fake.reply(request)
                if isinstance(reply, Hang):
                    fake._stop.wait(reply.seconds)
                    self.close_connection = True
                    return
                if isinstance(reply, Status):
                    self._json(reply.code, {"error": {"message": reply.message, "type": "error", "code": reply.code}})
                    return
                if body.get("stream"):
                    self._stream(reply, body.get("model", ""))
                else:
                    self._json(200, _completion(reply.text, body.get("model", "")))

            def _json(self, code: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Text, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                pieces = [reply.text[i : i + reply.piece_chars] for i in range(0, len(reply.text), reply.piece_chars)]
                try:
                    for piece in pieces:
                        if reply.delay and fake._stop.wait(reply.delay):
                            return
                        self._event(_chunk(model, {"content": piece}, None))
                    self._event(_chunk(model, {}, "stop"))
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(text: str, model: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
