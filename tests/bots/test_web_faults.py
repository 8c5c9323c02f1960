"""The web app at its edges, over HTTP on loopback: bodies over the limit (announced or streamed),
malformed input, weeks that do not exist, a speech engine that fails, WebSocket upgrades without
a login, security headers, and what Gradio must not serve or accept (uploads, audio sidecars)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest

from assistant import Assistant
from assistant.chroma_server import free_port
from assistant.errors import SpeechError
from assistant.models import Answer
from bots.web.app import create_app
from bots.web.state import WebState
from bots.web.ui import ChatHandlers
from tests.conftest import SEED_ARTICLE_ID, make_settings

LIMIT = 65_536  # ASSISTANT_WEB_MAX_REQUEST_BYTES's default, which the servers here run with
LOGIN = ("reader", "s3cret")
# What a failing engine says: the operator's business, never an API client's.
ENGINE_TROUBLE = "no engine produced valid audio (pyttsx3: worker 4123 died in /usr/lib/speech-dispatcher/libx.so)"


def _chunks(data: bytes, size: int = 8192):
    """A body sent with Transfer-Encoding: chunked, its length never announced."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _multipart(n: int) -> tuple[bytes, str]:
    boundary = "digestboundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
    head += "Content-Type: text/plain\r\n\r\n"
    body = head.encode() + b"y" * n + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


OVERSIZED = {
    "/api/ask": (json.dumps({"question": "x" * (3 * LIMIT)}).encode(), "application/json"),
    "/gradio_api/queue/join": (
        json.dumps({"data": ["x" * (3 * LIMIT)], "fn_index": 0, "session_hash": "abc"}).encode(),
        "application/json",
    ),
    "/gradio_api/upload": _multipart(3 * LIMIT),
}


# --- 1. bodies over the limit -----------------------------------------------------------------
@pytest.mark.parametrize("streamed", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("path", list(OVERSIZED))
def test_bodies_over_the_limit_get_413_with_an_error(web_server, path, streamed):
    body, content_type = OVERSIZED[path]
    content = _chunks(body) if streamed else body
    r = httpx.post(web_server.url + path, content=content, headers={"content-type": content_type}, timeout=60)
    assert r.status_code == 413, (r.status_code, r.text[:300])
    assert "too large" in r.json()["error"]
    assert httpx.get(web_server.url + "/healthz", timeout=60).status_code == 200  # and the server lives on


def test_a_streamed_body_under_the_limit_still_reaches_the_api(web_server):
    body = json.dumps({"question": "   "}).encode()
    r = httpx.post(
        web_server.url + "/api/ask", content=_chunks(body, 4), headers={"content-type": "application/json"}, timeout=60
    )
    assert r.status_code == 400 and "question is empty" in r.json()["error"]


# --- 2. the API's errors: {"error"} with 400, short, never the input ----------------------------
@pytest.mark.parametrize(
    "body, words",
    [
        ({"question": "q" * 60_000}, ("question", "4000")),
        ({}, ("question", "required")),
        ({"question": "Why?", "history": [{"articles": []}]}, ("history[0].question", "required")),
        ({"question": "Why?", "history": ["q"] * 21}, ("history", "20")),
        ({"question": "Why?", "order": "sideways"}, ("order", "relevance")),
        ({"question": "Why?", "since": "soon"}, ("since", "date")),
        ({"question": ["Why?"]}, ("question", "string")),
        ({"question": "Why?", "history": [5]}, ("history[0] must be a question",)),
        ([1, 2], ("the request body must be a JSON object",)),
    ],
)
def test_api_validation_errors_are_short_400s_naming_the_field(web_server, body, words):
    r = httpx.post(web_server.url + "/api/ask", json=body, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert set(r.json()) == {"error"} and len(r.content) < 300, r.text[:300]
    assert all(w in r.json()["error"] for w in words), r.json()
    assert "qqqqq" not in r.text


def test_a_body_that_is_not_json_is_a_400(web_server):
    r = httpx.post(
        web_server.url + "/api/ask", content=b"question=why", headers={"content-type": "application/json"}, timeout=60
    )
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_search_parameters_are_checked_the_same_way(web_server):
    r = httpx.get(web_server.url + "/api/search", params={"q": "tariffs", "top_k": 0}, timeout=60)
    assert r.status_code == 400 and "top_k" in r.json()["error"] and set(r.json()) == {"error"}
    r = httpx.get(web_server.url + "/api/search", timeout=60)
    assert r.status_code == 400 and "q" in r.json()["error"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"question": "\\ud800"}',
        b'{"question": "tariffs \\udfff"}',
        b'{"question": "tariffs", "magazine": "\\ud800"}',
        b'{"question": "tariffs", "history": ["\\ud800"]}',
        b'{"question": "tariffs", "history": [{"question": "why", "titles": ["\\udc00"]}]}',
    ],
)
def test_a_lone_surrogate_is_a_400_not_a_500(web_server, raw):
    r = httpx.post(web_server.url + "/api/ask", content=raw, headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "not valid text" in r.json()["error"]


def test_api_not_found_errors_have_the_error_shape(web_server):
    for path in ("/audio/nothing.mp3", f"/listen/article/{SEED_ARTICLE_ID}.flac"):
        r = httpx.get(web_server.url + path, timeout=60)
        assert r.status_code == 404 and set(r.json()) == {"error"}, path


# --- 3. weeks -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "week, status",
    [
        ("-99999999999999999999999", 404),
        ("99999", 404),
        ("0", 404),
        ("9" * 5000, 404),
        ("abc", 400),
        ("3.5", 400),
        ("1e3", 400),
    ],
    ids=["huge-negative", "too-high", "zero", "5000-digits", "abc", "3.5", "1e3"],
)
def test_listen_week_checks_the_week_first(web_server, week, status):
    r = httpx.get(web_server.url + f"/listen/week/{week}.mp3", timeout=120)
    assert r.status_code == status, (r.status_code, r.text[:300])
    error = r.json()["error"]
    assert error.startswith(("Week", "The week")) and len(error) < 200, error
    for internal in ("pyttsx3", "espeak", "engine", "Traceback"):
        assert internal not in error


@pytest.mark.parametrize("week", ["9223372036854775808", "1-99999999999999999999999", "100000"])
def test_week_filters_no_issue_could_match_are_400s(web_server, week):
    for r in (
        httpx.get(web_server.url + "/api/search", params={"q": "tariffs", "week": week}, timeout=60),
        httpx.post(web_server.url + "/api/ask", json={"question": "tariffs", "week": week}, timeout=60),
    ):
        assert r.status_code == 400, (r.status_code, r.text[:300])
        assert r.json() == {"error": "week must be between 0 and 99999"}


def test_the_chat_says_what_is_wrong_with_a_week_filter(sample_assistant):
    handlers = ChatHandlers(WebState(sample_assistant, sample_assistant.settings))
    *_, (chat, *_rest) = handlers.respond("tariffs", [], [], "9223372036854775808", "Any", "", "", "Any", "Any")
    assert chat[-1]["content"] == "⚠️ week must be between 0 and 99999"


@dataclass
class FailingSpeaker:
    """A speech engine that always fails, and says too much about it."""

    calls: list = field(default_factory=list)

    def render(self, script, fmt, check_length=False):
        self.calls.append(script)
        raise SpeechError(ENGINE_TROUBLE)

    def close(self) -> None:
        pass


@dataclass
class Guarded:
    url: str
    speaker: FailingSpeaker


@pytest.fixture(scope="module")
def failing_speech(sample_assistant, tmp_path_factory) -> Assistant:
    """The sample index, with a speech engine that always fails."""
    settings = make_settings(tmp_path_factory.mktemp("guarded"), web_auth=":".join(LOGIN))
    return Assistant(
        settings,
        embedder=sample_assistant.embedder,
        store=sample_assistant.store,
        keywords=sample_assistant.keywords,
        speaker=FailingSpeaker(),
    )


@pytest.fixture(scope="module")
def guarded(failing_speech):
    """The real app with a login and a failing speech engine, served by uvicorn on loopback in
    this process."""
    import uvicorn

    assistant, settings, speaker = failing_speech, failing_speech.settings, failing_speech.speaker
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(assistant, settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="guarded-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web app did not start"
        time.sleep(0.05)
    yield Guarded(f"http://127.0.0.1:{port}", speaker)
    server.should_exit = True
    thread.join(30)


def test_a_failing_speech_engine_is_a_503_without_its_internals(guarded):
    r = httpx.get(guarded.url + "/listen/week/373.mp3", auth=LOGIN, timeout=120)
    assert r.status_code == 503 and guarded.speaker.calls
    error = r.json()["error"]
    assert "audio" in error and ENGINE_TROUBLE not in error and "/usr" not in error and "pyttsx3" not in error


def test_an_unknown_week_never_reaches_the_speech_engine(guarded):
    guarded.speaker.calls.clear()
    for week in ("-99999999999999999999999", "99999", "abc"):
        r = httpx.get(guarded.url + f"/listen/week/{week}.mp3", auth=LOGIN, timeout=120)
        assert r.status_code in (400, 404) and ENGINE_TROUBLE not in r.text, (week, r.text)
    assert guarded.speaker.calls == []


def test_the_page_never_shows_a_speech_engines_internals(failing_speech):
    handlers = ChatHandlers(WebState(failing_speech, failing_speech.settings))
    page = handlers.show_issue(373)
    assert "make the audio" in page and ENGINE_TROUBLE not in page and "/usr" not in page
    assert 'class="episode"' not in page and f'data-article="{SEED_ARTICLE_ID}"' in page  # the issue, no player
    _player, status = handlers.listen_to_answer(Answer(question="q", text="Tariffs rose.").model_dump(mode="json"))
    assert "make the audio" in status and ENGINE_TROUBLE not in status
    assert "Nearby" in handlers.show_issue(99999)  # an unknown week is still said as such


# --- the login on WebSocket upgrades --------------------------------------------------------------
def _upgrade(url: str, path: str, headers: str = "") -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n"
            ).encode()
        )
        return s.recv(4096)


@pytest.mark.parametrize("path", ["/", "/gradio_api/queue/join", "/anything"])
def test_a_websocket_upgrade_without_a_login_is_refused(guarded, path):
    reply = _upgrade(guarded.url, path)
    status = reply.split(b"\r\n", 1)[0]
    assert status.startswith((b"HTTP/1.1 401", b"HTTP/1.1 403")), reply[:300]
    if status.startswith(b"HTTP/1.1 401"):
        assert b"www-authenticate: basic" in reply.lower()
    wrong = _upgrade(guarded.url, path, "Authorization: Basic cmVhZGVyOndyb25n\r\n")  # reader:wrong
    assert wrong.split(b"\r\n", 1)[0].startswith((b"HTTP/1.1 401", b"HTTP/1.1 403")), wrong[:300]


def test_login_comes_before_the_body_limit_and_both_answer_in_json(guarded):
    body, content_type = OVERSIZED["/api/ask"]
    r = httpx.post(guarded.url + "/api/ask", content=_chunks(body), headers={"content-type": content_type}, timeout=60)
    assert r.status_code == 401 and "login" in r.json()["error"]
    r = httpx.post(
        guarded.url + "/api/ask", content=_chunks(body), headers={"content-type": content_type}, auth=LOGIN, timeout=60
    )
    assert r.status_code == 413 and "too large" in r.json()["error"]


# --- 4. security headers, uploads, what Gradio serves -----------------------------------------
def _assert_security_headers(r: httpx.Response) -> None:
    csp = r.headers.get("content-security-policy", "")
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"):
        assert directive in csp, (r.url, csp)
    assert r.headers.get("x-frame-options") == "DENY"
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") == "same-origin"


def test_every_response_carries_security_headers(web_server, guarded):
    for path in ("/", "/healthz", "/api/search?q=tariffs", "/audio/nothing.mp3", "/gradio_api/info", "/theme.css"):
        _assert_security_headers(httpx.get(web_server.url + path, timeout=60))
    body, content_type = OVERSIZED["/api/ask"]
    _assert_security_headers(
        httpx.post(web_server.url + "/api/ask", content=body, headers={"content-type": content_type}, timeout=60)
    )
    _assert_security_headers(httpx.get(guarded.url + "/", timeout=60))  # the 401 too


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/upload/", "/gradio_api/process_recording"])
def test_uploads_are_off(web_server, guarded, path):
    for url, auth in ((web_server.url, None), (guarded.url, LOGIN)):
        r = httpx.post(url + path, files={"files": ("a.txt", b"hello")}, auth=auth, timeout=60, follow_redirects=True)
        assert r.status_code == 404 and r.json() == {"error": "uploads are off"}, (url, r.status_code, r.text[:300])
        assert "/tmp" not in r.text
    r = httpx.get(web_server.url + "/gradio_api/upload_progress?upload_id=x", timeout=60)
    assert r.status_code == 404


def test_audio_sidecars_are_not_served_only_audio_is(web_server):
    r = httpx.get(web_server.url + f"/listen/article/{SEED_ARTICLE_ID}.mp3", timeout=120)
    assert r.status_code == 200
    audio_dir = web_server.home / "audio"
    sidecar = next(audio_dir.glob("*.json"))
    audio = next(audio_dir.glob("*.mp3"))
    assert str(audio_dir.resolve()) in sidecar.read_text()  # what it must not give away
    for path in (
        f"/gradio_api/file={sidecar}",
        f"/gradio_api/file/{sidecar}",
        f"/gradio_api/file={audio_dir}/tmp/../{sidecar.name}",
        f"/gradio_api/file={audio_dir}/./{sidecar.name}",
        f"/gradio_api/file={audio_dir}",
        f"/gradio_api/file={audio.with_suffix('.json.mp3')}",
    ):
        r = httpx.get(web_server.url + path, timeout=60)
        assert r.status_code == 404, (path, r.status_code)
        assert str(audio_dir.resolve()) not in r.text and set(r.json()) == {"error"}
    ok = httpx.get(web_server.url + f"/gradio_api/file={audio}", timeout=60)  # the answer player's file
    assert ok.status_code == 200 and ok.content == audio.read_bytes()
