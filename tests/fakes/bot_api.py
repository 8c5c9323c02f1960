"""A stand-in Telegram Bot API server on 127.0.0.1 for the real python-telegram-bot client.

It speaks the part of the Bot API the bot uses (getMe, getUpdates as a long poll, sendMessage,
editMessageText, sendVoice with multipart uploads and file_id reuse, sendChatAction,
answerCallbackQuery, setMyCommands, getMyCommands, deleteWebhook) and is as strict as Telegram
where the bot could go wrong: HTML that Telegram would refuse, messages over 4,096 characters,
callback data over 64 bytes and unknown file_ids are 400s. Every request is recorded.

Tests queue updates with ``message()``/``press()``, script faults with ``fail()``, and read what
the bot sent from ``calls()``. Another process does the same over HTTP, under ``/_control/``:
``python -m tests.fakes.bot_api --token T`` runs the server on its own and prints ``{"port": N,
"base_url": ...}`` on one line; ``POST /_control/message``, ``/_control/press`` and
``/_control/fail`` take the methods' arguments as JSON, and ``GET /_control/calls?after=N`` returns
the calls recorded after the first N (see ``call_json``).
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import html
import itertools
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes import serve_until_signalled

BOT_ID = 777000111
BOT_USERNAME = "digest_test_bot"
ALLOWED_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s+[\w-]+(?:=\"[^\"]*\"|='[^']*')?)*)\s*>")
_ATTR = re.compile(r"([\w-]+)(?:=(\"[^\"]*\"|'[^']*'))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse ``text`` with parse_mode HTML, or None when it is valid."""
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                return f"unexpected '<' at offset {i}"
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in ALLOWED_TAGS:
                return f"unsupported tag <{name}> at offset {i}"
            if closing:
                if not stack or stack[-1] != name:
                    return f"unmatched </{name}> at offset {i}"
                stack.pop()
            else:
                names = {a.group(1).lower() for a in _ATTR.finditer(attrs)}
                if names - ALLOWED_TAGS[name]:
                    return f"unsupported attribute {sorted(names - ALLOWED_TAGS[name])} on <{name}>"
                if name == "a" and "href" not in names:
                    return "<a> without href"
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                return f"unsupported entity at offset {i}: {text[i : i + 10]!r}"
            i = m.end()
        elif ch == ">":
            return f"unexpected '>' at offset {i}"
        else:
            i += 1
    if stack:
        return f"unclosed tags {stack}"
    return None


def visible_text(text: str, parse_mode: str | None) -> str:
    """What the user sees: tags removed and entities decoded (for HTML)."""
    if (parse_mode or "").upper() != "HTML":
        return text
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float  # time.monotonic() on arrival
    status: int = 200
    wall: float = field(default_factory=time.time)  # to compare with log records' ``created``
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None
    drop: bool = False  # close the connection without an answer (a network error for the client)


@dataclass
class BotApiServer:
    token: str
    calls_log: list[Call] = field(default_factory=list)
    pushed_at: dict[int, float] = field(default_factory=dict)  # update_id -> when it was queued
    poll_hold: float = 0.5  # longest a getUpdates waits for updates (Telegram: up to `timeout`)
    on_call: Callable[[Call], None] | None = None

    def __post_init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._files: dict[str, bytes] = {}
        self._messages: dict[tuple[int, int], str] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> BotApiServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                self._dispatch(b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self._dispatch(self.rfile.read(length))

            def _dispatch(self, body: bytes) -> None:
                if self.path.startswith("/_control/"):
                    try:
                        status, payload = fake._control(self.command, self.path, body)
                    except (KeyError, TypeError, ValueError) as exc:
                        status, payload = 400, {"ok": False, "description": f"bad control request: {exc!r}"}
                    return self._reply(status, payload)
                m = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?")[0])
                if not m:
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                token, method = m.groups()
                if token != fake.token:
                    return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                params, files = _parse_body(self.headers.get("Content-Type", ""), body)
                call = Call(method, params, files, time.monotonic())
                fault = fake._take_fault(method)
                if fault and fault.drop:
                    fake._record(call, 0, None)
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault:
                    payload = {"ok": False, "error_code": fault.status, "description": fault.description}
                    if fault.retry_after is not None:
                        payload["parameters"] = {"retry_after": fault.retry_after}
                    fake._record(call, fault.status, payload)
                    return self._reply(fault.status, payload)
                status, payload = fake._handle(call)
                fake._record(call, status, payload.get("result"))
                self._reply(status, payload)

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (the bot stopped during a long poll)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="bot-api-fake").start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._cond.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what tests do ---------------------------------------------------------------------
    def message(self, chat_id: int, text: str | None = None, user_id: int | None = None, **extra: Any) -> int:
        """Queue a message from a user (``text`` or e.g. ``voice={...}``); returns its message_id."""
        message_id = next(self._message_ids)
        msg: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "first_name": "Reader"},
            "from": {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Reader"},
            **extra,
        }
        if text is not None:
            msg["text"] = text
            command = re.match(r"/\w+(@\w+)?", text)
            if command:
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        self._queue({"message": msg})
        return message_id

    def messages(self, items: list[tuple[int, str]]) -> list[int]:
        """Queue many text messages at once (chat_id, text); returns their update ids."""
        with self._cond:
            first = len(self._updates)
            for chat_id, text in items:
                self.message(chat_id, text)
            return [u["update_id"] for u in self._updates[first:]]

    def press(self, chat_id: int, data: str, message_id: int, user_id: int | None = None) -> str:
        """Queue a press on an inline button of the bot's message ``message_id``."""
        query_id = f"cq{next(self._update_ids)}"
        with self._cond:
            text = self._messages.get((chat_id, message_id), "")
        self._queue(
            {
                "callback_query": {
                    "id": query_id,
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                    "from": {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Reader"},
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "text": text,
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Digest"},
                    },
                }
            }
        )
        return query_id

    def fail(
        self,
        method: str,
        status: int = 429,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        drop: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` fail (a 429 with retry_after, a 5xx, or a dropped connection)."""
        if description is None:
            description = f"Too Many Requests: retry after {retry_after}" if status == 429 else "Internal Server Error"
        with self._cond:
            self._faults.setdefault(method, []).extend(
                Fault(status, description, retry_after, drop) for _ in range(times)
            )

    def calls(self, method: str | None = None, chat_id: int | None = None, ok: bool | None = None) -> list[Call]:
        with self._cond:
            found = list(self.calls_log)
        return [
            c
            for c in found
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or (c.status == 200) == ok)
        ]

    def sent(self, chat_id: int) -> list[Call]:
        """Successful messages and voice notes to ``chat_id``, in order."""
        return [c for c in self.calls(chat_id=chat_id, ok=True) if c.method in ("sendMessage", "sendVoice")]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "the bot") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            with self._cond:
                self._cond.wait(0.05)

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 30.0) -> list[Call]:
        def enough() -> list[Call] | None:
            sent = self.sent(chat_id)
            return sent if len(sent) >= count else None

        return self.wait_for(enough, timeout, f"{count} message(s) to chat {chat_id}")

    def forget_files(self) -> None:
        """Telegram no longer knows any file_id it gave out (as for another bot's token)."""
        with self._cond:
            self._files.clear()

    # --- the same over HTTP, for a driver in another process ---------------------------------
    def _control(self, verb: str, path: str, body: bytes) -> tuple[int, dict]:
        route, _, query = path.partition("?")
        args = json.loads(body) if body else {}
        if verb == "POST" and route == "/_control/message":
            with self._cond:
                message_id = self.message(
                    int(args["chat_id"]), args.get("text"), args.get("user_id"), **args.get("extra", {})
                )
                return 200, {"ok": True, "message_id": message_id, "calls": len(self.calls_log)}
        if verb == "POST" and route == "/_control/press":
            with self._cond:
                query_id = self.press(
                    int(args["chat_id"]), str(args["data"]), int(args["message_id"]), args.get("user_id")
                )
                return 200, {"ok": True, "query_id": query_id, "calls": len(self.calls_log)}
        if verb == "POST" and route == "/_control/fail":
            self.fail(**args)
            return 200, {"ok": True}
        if verb == "GET" and route == "/_control/calls":
            after = int(dict(parse_qsl(query)).get("after", 0))
            with self._cond:
                found = self.calls_log[after:]
                pending = len(self._updates)
            return 200, {
                "ok": True,
                "calls": [call_json(c, after + i) for i, c in enumerate(found)],
                "next": after + len(found),
                "pending_updates": pending,
            }
        return 404, {"ok": False, "description": f"no control route {verb} {route}"}

    # --- internals -------------------------------------------------------------------------
    def _queue(self, body: dict) -> None:
        with self._cond:
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, **body})
            self.pushed_at[update_id] = time.monotonic()
            self._cond.notify_all()

    def _take_fault(self, method: str) -> Fault | None:
        with self._cond:
            queue = self._faults.get(method)
            return queue.pop(0) if queue else None

    def _record(self, call: Call, status: int, result: Any) -> None:
        call.status, call.result = status, result
        with self._cond:
            self.calls_log.append(call)
            self._cond.notify_all()
        if self.on_call:
            self.on_call(call)

    def _handle(self, call: Call) -> tuple[int, dict]:
        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        try:
            return 200, {"ok": True, "result": handler(call.params, call.files)}
        except _BadRequest as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}

    def _bot_user(self) -> dict:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Digest",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_getMe(self, params, files):
        return self._bot_user()

    def _api_deleteWebhook(self, params, files):
        return True

    def _api_setMyCommands(self, params, files):
        self._commands = params.get("commands", [])
        return True

    def _api_getMyCommands(self, params, files):
        return getattr(self, "_commands", [])

    def _api_sendChatAction(self, params, files):
        return True

    def _api_answerCallbackQuery(self, params, files):
        return True

    def _api_getUpdates(self, params, files):
        offset = int(params.get("offset") or 0)
        hold = min(float(params.get("timeout") or 0), self.poll_hold)
        deadline = time.monotonic() + hold
        with self._cond:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones go
                if self._updates or time.monotonic() >= deadline or self._server is None:
                    return list(self._updates[:100])
                self._cond.wait(max(0.0, deadline - time.monotonic()))

    def _api_sendMessage(self, params, files):
        chat_id = int(params["chat_id"])
        text = self._check_text(params, "text")
        return self._new_message(chat_id, text=text)

    def _api_editMessageText(self, params, files):
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text = self._check_text(params, "text")
        with self._cond:
            if (chat_id, message_id) not in self._messages:
                raise _BadRequest("message to edit not found")
            if self._messages[(chat_id, message_id)] == text and not params.get("reply_markup"):
                raise _BadRequest(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            self._messages[(chat_id, message_id)] = text
        return {**self._message_json(chat_id, message_id), "text": text, "edit_date": int(time.time())}

    def _api_sendVoice(self, params, files):
        chat_id = int(params["chat_id"])
        if params.get("caption"):
            self._check_text(params, "caption", limit=1024)
        if "voice" in files:
            data = files["voice"]
            file_id = f"voice-file-{next(self._file_ids)}"
            with self._cond:
                self._files[file_id] = data
        else:
            file_id = str(params.get("voice") or "")
            with self._cond:
                if file_id not in self._files:
                    raise _BadRequest("wrong file identifier/HTTP URL specified")
                data = self._files[file_id]
        voice = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": int(params.get("duration") or 0),
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._new_message(chat_id, voice=voice, caption=params.get("caption"))

    def _check_text(self, params: dict, key: str, limit: int = 4096) -> str:
        text = str(params.get(key) or "")
        parse_mode = params.get("parse_mode")
        if (parse_mode or "").upper() == "HTML" and (problem := html_problem(text)):
            raise _BadRequest(f"can't parse entities: {problem}")
        shown = visible_text(text, parse_mode)
        if not shown.strip():
            raise _BadRequest(f"{key} must be non-empty")
        if utf16_len(shown) > limit:
            raise _BadRequest("message is too long" if key == "text" else "message caption is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64 or not button.get("text"):
                    raise _BadRequest("BUTTON_DATA_INVALID")
        return text

    def _new_message(self, chat_id: int, **content: Any) -> dict:
        message_id = next(self._message_ids)
        with self._cond:
            self._messages[(chat_id, message_id)] = content.get("text") or ""
        return {**self._message_json(chat_id, message_id), **{k: v for k, v in content.items() if v is not None}}

    def _message_json(self, chat_id: int, message_id: int) -> dict:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "from": self._bot_user(),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
        }


def call_json(call: Call, seq: int) -> dict[str, Any]:
    """A recorded call as ``GET /_control/calls`` returns it (uploads as their sizes)."""
    result = call.result if isinstance(call.result, dict) else {}
    return {
        "seq": seq,
        "method": call.method,
        "status": call.status,
        "chat_id": call.chat_id,
        "message_id": result.get("message_id", call.params.get("message_id")),
        "text": call.text,
        "parse_mode": call.params.get("parse_mode"),
        "callback_data": [b.get("callback_data") for b in call.buttons if b.get("callback_data")],
        "callback_query_id": call.params.get("callback_query_id"),
        "files": {name: len(data) for name, data in call.files.items()},
        "voice": result.get("voice") is not None,
        "wall": call.wall,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the bot opens many connections at once under load (the default is 5)


class _BadRequest(Exception):
    pass


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Form fields (JSON-decoded where they are JSON, as python-telegram-bot encodes them) and uploads."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = payload
            else:
                params[name] = payload.decode()
    elif content_type.startswith("application/json"):
        params = json.loads(body or b"{}")
    else:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    return {k: v if k in _PLAIN else _maybe_json(v) for k, v in params.items()}, files


_PLAIN = {"text", "caption", "voice", "parse_mode", "callback_query_id"}  # sent as strings, never JSON


def _maybe_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list, int, float, bool)) else value


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; the first line on stdout is ``{"port": N, "base_url": ...}``."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.bot_api", description=main.__doc__)
    parser.add_argument("--token", required=True, help="the bot token it accepts")
    parser.add_argument("--poll-hold", type=float, default=0.5, help="longest a getUpdates waits (s)")
    args = parser.parse_args(argv)
    return serve_until_signalled(BotApiServer(args.token, poll_hold=args.poll_hold).start())


if __name__ == "__main__":
    sys.exit(main())
