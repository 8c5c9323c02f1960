"""index.sources: files, folders and URLs become SourceDocuments or SourceErrors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.errors import InputTooLarge, SourceError
from assistant.settings import Settings
from index.documents import SourceDocument
from index.sources import read_sources
from index.web import WebReader

PAGE = "<html><body><p>Week 373, November 1-7, 2024</p></body></html>"
POSTS = [
    {"id": 1, "link": "https://informedi.org/?p=1", "content": {"rendered": "<p>one</p>"}},
    {"id": 2, "link": "", "content": {"rendered": "<p>two</p>"}},
]


def config(**overrides: object) -> Settings:
    values: dict[str, object] = {"http_delay": 0.0, "http_retries": 0}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def read(*specs: str | Path, s: Settings | None = None) -> list[SourceDocument | SourceError]:
    return list(read_sources([str(spec) for spec in specs], s or config()))


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def only_error(results: list[SourceDocument | SourceError]) -> SourceError:
    [err] = results
    assert isinstance(err, SourceError), err
    return err


# --- folders ---------------------------------------------------------------------


def test_folder_is_read_recursively_and_sorted(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "Week 373")
    write(tmp_path / "a" / "z.html", PAGE)
    write(tmp_path / "a" / "y.HTM", PAGE)
    write(tmp_path / "c.json", json.dumps(POSTS))
    write(tmp_path / "d.jsonl", '{"week": 373}\n{"week": 374}\n')
    results = read(tmp_path)

    assert all(isinstance(r, SourceDocument) for r in results)
    assert [(r.name, r.kind) for r in results] == [
        (str(tmp_path / "a" / "y.HTM"), "html"),
        (str(tmp_path / "a" / "z.html"), "html"),
        (str(tmp_path / "b.txt"), "text"),
        ("https://informedi.org/?p=1", "wp-json"),  # a list of posts: one document per post
        (f"{tmp_path / 'c.json'} post 2", "wp-json"),
        (str(tmp_path / "d.jsonl"), "jsonl"),
    ]
    assert results[2].content == "Week 373" and results[2].url is None
    assert json.loads(results[4].content) == POSTS[1]
    assert results[3].url == "https://informedi.org/?p=1"


def test_hidden_entries_and_unknown_extensions_are_skipped_in_folders(tmp_path: Path) -> None:
    write(tmp_path / "week.txt", "Week 373")
    write(tmp_path / ".draft.txt", "hidden")
    write(tmp_path / ".git" / "notes.txt", "hidden folder")
    write(tmp_path / "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path / "README.md", "# notes")
    results = read(tmp_path)

    assert [(r.name, r.kind) for r in results] == [(str(tmp_path / "week.txt"), "text")]


@pytest.mark.parametrize("layout", [{}, {".hidden.txt": "x", "logo.png": "x", "sub/notes.md": "x"}])
def test_folder_without_readable_sources(tmp_path: Path, layout: dict[str, str]) -> None:
    for name, text in layout.items():
        write(tmp_path / name, text)
    err = only_error(read(tmp_path))

    assert err.source == str(tmp_path)
    assert err.reason == "folder has no readable sources (.txt, .html, .json, .jsonl)"


# --- single files ----------------------------------------------------------------


def test_explicit_file_with_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.md", "Week 373, November 1-7, 2024")
    page = write(tmp_path / "saved.webpage", "<!DOCTYPE html>\n<title>x</title><body>Week 373</body>")
    api = write(tmp_path / "posts", json.dumps(POSTS[:1]))
    lines = write(tmp_path / "records.ndjson", '{"week": 373}\n{"week": 374}\n')
    listed = write(tmp_path / "list.dat", "[Week 373] is not JSON")
    results = read(notes, page, api, lines, listed)

    assert [(r.name, r.kind) for r in results] == [
        (str(notes), "text"),
        (str(page), "html"),
        ("https://informedi.org/?p=1", "wp-json"),
        (str(lines), "jsonl"),
        (str(listed), "text"),
    ]


def test_explicit_binary_file_is_an_error(tmp_path: Path) -> None:
    logo = write(tmp_path / "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    err = only_error(read(logo))

    assert err.source == str(logo)
    assert err.reason == "unknown kind of file (.png, not text); expected .txt, .html, .json, .jsonl"


def test_oversize_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "archive.txt"
    with big.open("wb") as fh:
        fh.truncate(12_300_000)  # sparse: big on paper, no time to write

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    err = only_error(read(big))

    assert isinstance(err, InputTooLarge)
    assert err.reason == "file is 12.3 MB, over the 5.0 MB limit (ASSISTANT_MAX_SOURCE_BYTES)"


def test_missing_path(tmp_path: Path) -> None:
    err = only_error(read(tmp_path / "nowhere.txt"))

    assert (err.source, err.reason) == (str(tmp_path / "nowhere.txt"), "no such file or folder")
    assert str(err) == f"{tmp_path / 'nowhere.txt'}: no such file or folder"


def test_undecodable_bytes(tmp_path: Path) -> None:
    bad = write(tmp_path / "week.txt", b"Week 373 \x81\x8d")
    err = only_error(read(bad))

    assert err.reason == "cannot decode the text: byte 0x81 at offset 9 is not UTF-8 or Windows-1252"


def test_binary_data_in_a_text_file(tmp_path: Path) -> None:
    bad = write(tmp_path / "week.txt", b"Week\x00373")

    assert only_error(read(bad)).reason == "binary data, not text (NUL byte at offset 4)"


def test_encodings_that_are_decoded(tmp_path: Path) -> None:
    bom = write(tmp_path / "a.txt", "\ufeffIt’s week 373".encode())
    windows = write(tmp_path / "b.txt", b"It\x92s week 373 \x96 Economist")
    utf16 = write(tmp_path / "c.txt", "It’s week 373".encode("utf-16"))
    results = read(bom, windows, utf16)

    assert [r.content for r in results] == ["It’s week 373", "It’s week 373 – Economist", "It’s week 373"]


def test_empty_file_and_invalid_json(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", "  \n")
    broken = write(tmp_path / "posts.json", '[{"id": 1,}]')
    results = read(empty, broken)

    assert [(e.source, e.reason) for e in results] == [  # type: ignore[union-attr]
        (str(empty), "file is empty"),
        (str(broken), "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 11"),
    ]


def test_json_that_is_not_a_post(tmp_path: Path) -> None:
    odd = write(tmp_path / "odd.json", '[1, {"id": 9}]')
    results = read(odd)

    assert isinstance(results[0], SourceError)
    assert results[0].reason == "item 1 is not a WordPress post (a JSON object)"
    assert isinstance(results[1], SourceDocument) and results[1].name == f"{odd} post 9"


def test_one_bad_source_never_stops_the_others(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", "Week 373")
    bad = write(tmp_path / "bad.txt", b"\x81\x8d")
    folder = tmp_path / "folder"
    write(folder / "a.txt", "a")
    write(folder / "b.txt", b"\x00")
    write(folder / "c.txt", "c")
    results = read(tmp_path / "missing", good, bad, "ftp://example.org/x.txt", folder)

    assert [(type(r).__name__, r.name if isinstance(r, SourceDocument) else r.source) for r in results] == [
        ("SourceError", str(tmp_path / "missing")),
        ("SourceDocument", str(good)),
        ("SourceError", str(bad)),
        ("SourceError", "ftp://example.org/x.txt"),
        ("SourceDocument", str(folder / "a.txt")),
        ("SourceError", str(folder / "b.txt")),
        ("SourceDocument", str(folder / "c.txt")),
    ]


# --- URLs --------------------------------------------------------------------------


class _PostPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        found = self.path == "/2024/11/07/building-mastery/"
        body = PAGE.encode() if found else b"not found"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PostPage)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_and_files_mix(tmp_path: Path, base_url: str) -> None:
    week = write(tmp_path / "week.txt", "Week 373")
    url = base_url + "/2024/11/07/building-mastery/"
    results = read(url, base_url + "/missing/", week)

    assert isinstance(results[0], SourceDocument)
    assert (results[0].name, results[0].kind, results[0].url, results[0].content) == (url, "html", url, PAGE)
    assert isinstance(results[1], SourceError) and results[1].reason == "HTTP 404 Not Found"
    assert isinstance(results[2], SourceDocument) and results[2].name == str(week)


def test_an_injected_web_reader_is_used_and_left_open(base_url: str) -> None:
    with WebReader(config(), backoff=0.01) as web:
        [doc] = list(read_sources([base_url + "/2024/11/07/building-mastery/"], config(), web=web))
        assert isinstance(doc, SourceDocument) and doc.kind == "html"
        assert not web.client.is_closed
