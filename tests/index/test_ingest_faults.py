"""Hostile or broken sources (issue 14): one bad source never aborts an ingest, never prints a
traceback, and what is stored is text every later stage (tokenizer, Chroma, XML) accepts.

Web sources are served by real HTTP servers on 127.0.0.1 standing in for a slow or hostile site.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import SourceError
from index import ingest
from index.documents import SourceDocument
from index.parse import parse_document
from index.sources import read_sources
from index.web import WebReader
from tests.conftest import make_settings
from tests.index.test_web import Reply, Site, config, docs, errors, html_reply, read, site  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
XML_ILLEGAL = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])) + "\ufffe\uffff"


def _no_traceback(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + caplog.text
    assert not [r for r in caplog.records if r.exc_info], "a handled failure logged a traceback"


# --- 1. one bad source -------------------------------------------------------------


def test_a_deep_json_file_and_a_lone_surrogate_do_not_abort_the_ingest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    good = shutil.copy(FIXTURES / "records.jsonl", tmp_path / "good.jsonl")
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP_JSON, encoding="utf-8")
    lone = tmp_path / "lone.jsonl"
    records = [
        {"id": "w500-lone", "title": "Lone \ud800 surrogate", "summary": ["Before \udfff after."], "week": 500},
        {"id": "w500-fine", "title": "Fine", "summary": "Nothing odd here.", "week": 500},
    ]
    lone.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")  # \ud800 as a JSON escape
    other = shutil.copy(FIXTURES / "week-454-2026.txt", tmp_path / "week-454.txt")

    caplog.set_level(logging.DEBUG)
    with Assistant(make_settings(tmp_path / "home")) as a:
        report = ingest(a, [str(good), str(deep), str(lone), str(other)])
        stored = a.show("w500-lone")

    assert report.added == 2 + 2 + 1 and report.articles_total == 5
    [failure] = report.errors
    assert report.failed == 1
    assert failure.source == str(deep)
    assert "nested too deeply" in failure.error
    assert stored.title == "Lone \ufffd surrogate" and stored.summary == ["Before \ufffd after."]
    _no_traceback(caplog, capfd)


def test_deep_json_in_any_local_form_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(DEEP_JSON, encoding="utf-8")
    (tmp_path / "deep.jsonl").write_text(
        '{"id": "a", "title": "A", "summary": "S."}\n{"x": ' + DEEP_JSON + "}\n", encoding="utf-8"
    )
    unnamed = tmp_path / "unnamed" / "deep"  # no suffix: the content is sniffed as JSON
    unnamed.parent.mkdir()
    unnamed.write_text(DEEP_JSON, encoding="utf-8")
    results = list(read_sources([str(tmp_path), str(unnamed)], config()))

    [jsonl] = docs(results)  # JSON lines are parsed line by line, later
    with pytest.raises(SourceError, match=r"line 2: JSON nested too deeply"):
        parse_document(jsonl)
    assert {(e.source.rsplit("/", 1)[-1], e.reason) for e in errors(results)} == {
        ("deep.json", "JSON nested too deeply (over the parser's recursion limit)"),
        ("deep", "JSON nested too deeply (over the parser's recursion limit)"),
    }


def test_deep_json_from_a_wordpress_endpoint_is_one_clear_error(site: Site) -> None:  # noqa: F811
    deep = (200, {"Content-Type": "application/json"}, DEEP_JSON.encode())
    site.routes["/wp-json/wp/v2/posts"] = lambda q, n: deep
    site.routes["/wp-json/wp/v2/posts/7"] = lambda q, n: deep
    site.routes["/deep.json"] = lambda q, n: deep
    [root] = read(site.base + "/")
    [rest] = read(site.base + "/wp-json/wp/v2/posts/7")
    [page] = read(site.base + "/deep.json")

    for err in (root, rest, page):
        assert isinstance(err, SourceError), err
        assert "JSON nested too deeply" in err.reason


def test_a_reader_bug_fails_its_source_only_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    good = shutil.copy(FIXTURES / "week-454-2026.txt", tmp_path / "good.txt")
    bad = tmp_path / "bad.html"
    bad.write_text("<p>Week 1</p>", encoding="utf-8")
    import index.sources

    real = index.sources.make_documents

    def broken(text: str, kind: str, name: str, url: str | None) -> Iterator[SourceDocument | SourceError]:
        if name.endswith("bad.html"):
            raise ValueError("boom")
        return real(text, kind, name, url)

    monkeypatch.setattr(index.sources, "make_documents", broken)
    results = list(read_sources([str(bad), str(tmp_path / "missing.txt"), str(good)], config()))

    assert [type(r).__name__ for r in results] == ["SourceError", "SourceError", "SourceDocument"]
    assert results[0].source == str(bad) and results[0].reason == "could not be read (ValueError: boom)"
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert str(bad) in line.getMessage() and "ValueError: boom" in line.getMessage() and line.exc_info is None


def test_a_file_name_that_is_not_utf8_is_ingested_and_reported(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(FIXTURES / "week-454-2026.txt", os.fsencode(folder) + b"/caf\xe9.txt")  # Latin-1 name
    Path(f"{folder}/bad\udcff.txt").write_text("no digest here", encoding="utf-8")
    with Assistant(make_settings(tmp_path / "home")) as a:
        report = ingest(a, [str(folder)])
        again = ingest(a, [str(folder)])
        [article] = a.issue(454).articles

    assert report.added == 1 and again.unchanged == 1 and again.removed == 0
    assert article.source == f"{folder}/caf\\xe9.txt"
    [failure] = report.errors
    assert failure.source == f"{folder}/bad\\xff.txt"
    json.loads(report.model_dump_json())  # what `assistant ingest --json` prints


# --- 2. a slow or hostile site --------------------------------------------------------


def dribble(status_line: bytes = b"HTTP/1.1 200 OK\r\n", headers_slowly: bool = False) -> Iterator[bytes]:
    """One byte a second for two minutes: of the headers, or of the body after them."""
    head = status_line + b"Content-Type: text/html\r\nContent-Length: 1000\r\n\r\n"
    if headers_slowly:
        yield head[:10]
        for i in range(10, len(head)):
            time.sleep(1)
            yield head[i : i + 1]
    else:
        yield head
    for _ in range(120):
        time.sleep(1)
        yield b"x"


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list[float]]]:
    """A TCP server on 127.0.0.1 writing ``dribble(headers_slowly=True)`` to every connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    arrivals: list[float] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                for chunk in dribble(headers_slowly=True):
                    conn.sendall(chunk)
            except OSError:
                pass  # the client gave up: that is the point

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            arrivals.append(time.monotonic())
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", arrivals
    listener.close()


def test_a_body_sent_one_byte_a_second_fails_within_the_deadline(site: Site) -> None:  # noqa: F811
    def slow(query: dict[str, str], count: int) -> Reply:
        chunks = dribble()
        next(chunks)  # the handler sends the status line and headers itself
        return 200, {"Content-Type": "text/html", "Content-Length": "1000"}, chunks

    site.routes["/slow/"] = slow
    started = time.monotonic()
    [err] = read(site.base + "/slow/", config(http_timeout=2.0, http_retries=1))
    elapsed = time.monotonic() - started

    assert isinstance(err, SourceError)
    assert err.reason == "timed out after 2 s (after 2 attempts)"
    assert elapsed < 30  # two attempts of 2 s each, not two minutes
    assert len(site.hits) == 2


def test_headers_sent_one_byte_a_second_fail_within_the_deadline(raw_server: tuple[str, list[float]]) -> None:
    base, arrivals = raw_server
    started = time.monotonic()
    [err] = read(base + "/slow/", config(http_timeout=2.0, http_retries=0))
    elapsed = time.monotonic() - started

    assert isinstance(err, SourceError)
    assert err.reason == "timed out after 2 s"
    assert elapsed < 30 and len(arrivals) == 1


def test_a_huge_retry_after_is_capped_and_logged(site: Site, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    site.routes["/busy/"] = lambda q, n: (429, {"Retry-After": "999999"}, b"") if n == 1 else html_reply("<p>ok</p>")
    caplog.set_level(logging.INFO, logger="index.web")
    started = time.monotonic()
    with WebReader(config(http_timeout=1.0, http_retries=1)) as reader:  # the default cap, not a test one
        [doc] = list(reader.read(site.base + "/busy/"))
    elapsed = time.monotonic() - started

    assert isinstance(doc, SourceDocument)
    first, second = site.hits_to("/busy/")
    assert 0.9 <= second.at - first.at < 5  # waited the cap (the 1 s deadline), not 11 days
    assert elapsed < 10
    [line] = [r.getMessage() for r in caplog.records if "Retry-After" in r.getMessage()]
    assert "999999" in line and "capped to 1 s" in line and site.base + "/busy/" in line


# --- 3. characters XML and the tokenizer refuse ----------------------------------------


def test_ingest_stores_text_without_xml_illegal_characters(tmp_path: Path) -> None:
    record = {
        "id": "w501-controls",
        "title": "Con\x00\x08trols\x1f\ufffe",
        "summary": [f"All{XML_ILLEGAL}gone.", "Second\x0cparagraph."],  # \v and \f are spaces
        "author": "A\x07da",
        "topics": ["Ri\x1bsk"],
        "takeaways": ["Lone \ud800 surrogate."],
        "week": 501,
        "issue_dates": "Week 501, May 1-7, 2026\x00",
        "issue_url": "javascript:alert(1)",
    }
    path = tmp_path / "controls.jsonl"
    path.write_text(json.dumps(record), encoding="utf-8")
    with Assistant(make_settings(tmp_path / "home")) as a:
        report = ingest(a, [str(path)])
        article = a.show("w501-controls")

    assert report.added == 1 and report.failed == 0
    assert article.title == "Controls"
    assert article.summary == ["All gone.", "Second paragraph."]
    assert (article.author, article.topics, article.takeaways) == ("Ada", ["Risk"], ["Lone \ufffd surrogate."])
    assert article.issue.dates == "May 1-7, 2026"
