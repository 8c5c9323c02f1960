"""The front of `assistant web/serve --workers N`: one public port, N web workers behind it.

Gradio keeps a browser session in the process that served its page: the queue that
/gradio_api/queue/join adds to and /gradio_api/queue/data streams from, the session's gr.State
(its chat history, its last answer), its heartbeat and its files. So every request of a session
must reach one worker, and spreading connections (SO_REUSEPORT, a shared socket) would split
them. The front pins a browser to a worker with a cookie, set on the first response it gets;
fetch and EventSource send it on every same-origin request. The routes that keep no state
(the JSON API, audio, the feed, /healthz) go to the worker with the fewest requests in flight.

Why our own: the routing above is the whole point and a few lines; the forwarding is uvicorn's
(the public side) and httpx's (the worker side), and no reverse proxy ships with the product.
Several hosts put their own proxy in front the same way (sticky by this cookie): docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

import httpx

log = logging.getLogger(__name__)
COOKIE = "assistant_worker"
STATELESS_PREFIXES = ("/api/", "/audio/", "/listen/")
STATELESS_PATHS = frozenset({"/healthz", "/podcast.xml"})
# Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, not the request: never forwarded.
# Content-length is recomputed by httpx from the body the front read.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


def is_stateless(path: str) -> bool:
    return path in STATELESS_PATHS or path.startswith(STATELESS_PREFIXES)


def pinned_worker(headers: Sequence[tuple[bytes, bytes]], workers: int) -> int | None:
    """The worker a request's cookie names, when it names one of ``workers``."""
    for name, value in headers:
        if name.lower() != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            key, _, number = part.strip().partition("=")
            if key == COOKIE and number.isdigit() and int(number) < workers:
                return int(number)
    return None


class Front:
    """The ASGI app of the public port. ``workers``: each worker's base URL (http://127.0.0.1:port).
    ``max_body``: the largest request body it reads (the workers' own limit)."""

    def __init__(self, workers: Sequence[str], max_body: int):
        self.workers = list(workers)
        self.max_body = max_body
        self.in_flight = [0] * len(self.workers)
        self.sessions = [0] * len(self.workers)  # sessions pinned to each, since start
        # No read timeout: a session's SSE stream stays open as long as its page does.
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, read=None, write=30.0, pool=None),
            # Idle connections to a worker are dropped before the worker's own keep-alive timeout
            # (uvicorn's, 5 s) can close one just as a request is sent on it.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64, keepalive_expiry=2.0),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def choose(self, path: str, headers: Sequence[tuple[bytes, bytes]]) -> tuple[int, bool]:
        """(worker, whether to pin the client to it with the cookie)."""
        if is_stateless(path):
            return min(range(len(self.workers)), key=self.in_flight.__getitem__), False
        pinned = pinned_worker(headers, len(self.workers))
        if pinned is not None:
            return pinned, False
        # A new browser: the worker with the fewest sessions so far (round robin, in effect).
        worker = min(range(len(self.workers)), key=self.sessions.__getitem__)
        self.sessions[worker] += 1
        return worker, True

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http":  # the page opens no WebSocket (Gradio 6 streams over SSE)
            return await send({"type": "websocket.close", "code": 1008})
        headers = scope.get("headers") or []
        worker, pin = self.choose(scope["path"], headers)
        body = await _read_body(receive, self.max_body)
        if body is None:
            return await _reply(send, 413, f"request body too large: the limit is {self.max_body} bytes")
        self.in_flight[worker] += 1
        try:
            await self._forward(scope, receive, send, worker, pin, headers, body)
        finally:
            self.in_flight[worker] -= 1

    async def _forward(self, scope, receive, send, worker: int, pin: bool, headers, body: bytes) -> None:
        url = self.workers[worker] + scope["raw_path"].decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        # The Host header goes through unchanged: Gradio and the feed build their links from it.
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() != b"content-length"]
        request = self.client.build_request(scope["method"], url, headers=forwarded, content=body)
        started = False

        async def relay() -> None:
            nonlocal started
            response = await self.client.send(request, stream=True)
            try:
                out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
                if pin:
                    out.append((b"set-cookie", f"{COOKIE}={worker}; Path=/; HttpOnly; SameSite=Lax".encode()))
                await send({"type": "http.response.start", "status": response.status_code, "headers": out})
                started = True
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                await response.aclose()  # also when the client left: the worker sees its stream end

        relaying = asyncio.ensure_future(relay())
        leaving = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({relaying, leaving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (relaying, leaving):
                task.cancel()
            await asyncio.gather(relaying, leaving, return_exceptions=True)
        if relaying.cancelled():
            return  # the client left; nothing to answer
        if (exc := relaying.exception()) is not None:
            if started or not isinstance(exc, httpx.HTTPError):
                raise exc  # uvicorn closes the connection and logs it
            log.warning("worker %d did not answer %s: %s", worker, scope["path"], exc)
            await _reply(send, 502, "the web worker is not answering")


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole request body (the web app's are small), or None past ``limit``."""
    chunks, seen = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client left; the worker will see an empty body
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _reply(send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
