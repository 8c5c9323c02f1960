"""A stand-in OpenAI-protocol server on 127.0.0.1 for deterministic language-model tests.

It speaks just enough of the protocol for the real ``openai`` client: ``POST
/v1/chat/completions`` (streamed as server-sent events or whole) and ``GET /v1/models``.
Each test scripts the replies with ``server.reply = lambda request: ...`` and reads what the
client sent from ``server.requests``.

``Flaky`` is a reply policy for soak runs: mostly a cited answer built from the request's own
sources (``cited_reply``), and at set rates a slow reply, a hang past the client's timeout, a 5xx,
a dropped connection or a reply cut short. ``python -m tests.fakes.openai_server --flaky`` runs
the server on its own, prints ``{"port": N, "base_url": ...}`` on one line, and answers
``GET /_stats`` with what it served.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes import serve_until_signalled


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


@dataclass
class Drop:
    """Close the connection without a word (a network error for the client)."""


@dataclass
class Truncated:
    """A reply cut short. A stream sends ``pieces`` pieces and stops: with ``broken`` the chunked
    body ends without its last chunk (the client sees a protocol error), else the connection just
    closes with no finish reason and no ``[DONE]`` (the client sees a stream that ends early). A
    whole (non-streamed) reply sends part of the body its Content-Length promises, then closes."""

    text: str
    pieces: int = 2
    piece_chars: int = 12
    broken: bool = False


Reply = Text | Status | Hang | Drop | Truncated


@dataclass
class FakeOpenAI:
    reply: Callable[[Request], Reply] = lambda request: Text("")
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    keep_requests: bool = True  # False for long runs: count them instead of keeping every body
    served: Counter = field(default_factory=Counter)  # requests by path, for GET /_stats
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
                if self.path.split("?")[0] == "/_stats":
                    counts = getattr(fake.reply, "counts", None)
                    self._json(200, {"requests": dict(fake.served), "replies": dict(counts or {})})
                elif self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                fake.served[self.path] += 1
                if fake.keep_requests:
                    fake.requests.append(request)
                reply = fake.reply(request)
                if isinstance(reply, Hang):
                    fake._stop.wait(reply.seconds)
                    self.close_connection = True
                    return
                if isinstance(reply, Drop):
                    self.close_connection = True
                    return
                if isinstance(reply, Status):
                    self._json(reply.code, {"error": {"message": reply.message, "type": "error", "code": reply.code}})
                    return
                if isinstance(reply, Truncated):
                    self._truncated(reply, body)
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

            def _truncated(self, reply: Truncated, body: dict) -> None:
                self.close_connection = True
                model = body.get("model", "")
                try:
                    if not body.get("stream"):
                        data = json.dumps(_completion(reply.text, model)).encode()
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    if reply.broken:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    text = reply.text[: reply.pieces * reply.piece_chars]
                    for i in range(0, len(text), reply.piece_chars):
                        event = (
                            b"data: "
                            + json.dumps(_chunk(model, {"content": text[i : i + reply.piece_chars]}, None)).encode()
                            + b"\n\n"
                        )
                        if reply.broken:
                            event = f"{len(event):x}\r\n".encode() + event + b"\r\n"
                        self.wfile.write(event)
                        self.wfile.flush()
                    # No finish reason, no [DONE], and (broken) no terminating zero-length chunk.
                except (BrokenPipeError, ConnectionResetError):
                    pass

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


_SOURCE = re.compile(r'<source id="(\d+)">\n(.*?)\n</source>', re.DOTALL)
_LATEST = re.compile(r"^Latest question: (.*)$", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(])")


def cited_reply(request: Request) -> Text:
    """What a well-behaved model would say: a follow-up rewrite repeats the latest question; an
    answer quotes the first sentence (or two) of source 1 with its [1] marker, so it passes the
    citation check; with no sources it says they do not answer."""
    if "rewrite" in request.system.lower():
        latest = _LATEST.search(request.user)
        return Text(latest.group(1).strip() if latest else "")
    sources = {int(n): body for n, body in _SOURCE.findall(request.user)}
    if 1 not in sources or "\ntext: " not in sources[1]:
        return Text("Not in the sources.")
    text = sources[1].split("\ntext: ", 1)[1].strip()
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    quoted = " ".join(f"{s} [1]" for s in sentences[: 1 + len(request.user) % 2])
    return Text(quoted, piece_chars=16)


@dataclass
class Flaky:
    """A reply policy for soak runs: ``good(request)``, except at these rates (each 0..1, drawn
    per request from a seeded generator): ``slow`` (the good reply, a pause before each piece but
    within the client's timeout), ``hang`` (silence for ``hang_seconds``: past the timeout),
    ``error`` (a 500, 502 or 503), ``drop`` (the connection closed unanswered) and ``truncate``
    (the reply cut short, half of them as a broken chunked body). ``counts`` tallies what was
    served. Thread-safe."""

    good: Callable[[Request], Text] = cited_reply
    slow: float = 0.10
    hang: float = 0.03
    error: float = 0.07
    drop: float = 0.05
    truncate: float = 0.07
    slow_delay: float = 0.15
    hang_seconds: float = 30.0
    seed: int = 0
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            roll, pick = self._random.random(), self._random.random()
            kind = "good"
            for name in ("slow", "hang", "error", "drop", "truncate"):
                rate = getattr(self, name)
                if roll < rate:
                    kind = name
                    break
                roll -= rate
            self.counts[kind] += 1
        good = self.good(request)
        if kind == "slow":
            if not request.body.get("stream"):  # a whole reply is slow before it starts
                time.sleep(min(self.slow_delay * (1 + len(good.text) // good.piece_chars), 3.0))
            return Text(good.text, good.piece_chars, self.slow_delay)
        if kind == "hang":
            return Hang(self.hang_seconds)
        if kind == "error":
            return Status((500, 502, 503)[int(pick * 3)], "the stand-in failed on purpose")
        if kind == "drop":
            return Drop()
        if kind == "truncate":
            return Truncated(good.text or "Not in the sources.", pieces=1 + int(pick * 3), broken=pick < 0.5)
        return good


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


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; the first line on stdout is ``{"port": N, "base_url": ...}``."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.openai_server", description=main.__doc__)
    parser.add_argument("--flaky", action="store_true", help="the Flaky policy (else every reply is cited_reply)")
    parser.add_argument("--seed", type=int, default=0)
    for name in ("slow", "hang", "error", "drop", "truncate"):
        parser.add_argument(f"--{name}", type=float, default=None, help=f"rate of {name} replies (0..1)")
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    reply: Callable[[Request], Reply] = cited_reply
    if args.flaky:
        rates = {
            n: getattr(args, n) for n in ("slow", "hang", "error", "drop", "truncate") if getattr(args, n) is not None
        }
        reply = Flaky(seed=args.seed, hang_seconds=args.hang_seconds, **rates)
    return serve_until_signalled(FakeOpenAI(reply=reply, keep_requests=False).start())


if __name__ == "__main__":
    sys.exit(main())
