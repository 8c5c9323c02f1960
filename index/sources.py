"""Turn source specs (files, folders, URLs) into SourceDocuments, one failure at a time.

Every problem becomes a yielded SourceError so one bad source never stops the others.
A ``wp-json`` document always holds exactly one post object: lists of posts are split.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputTooLarge, SourceError
from assistant.settings import Settings
from index.documents import DocumentKind, SourceDocument

if TYPE_CHECKING:
    from index.web import WebReader

KIND_BY_SUFFIX: dict[str, DocumentKind] = {
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".json": "wp-json",
    ".jsonl": "jsonl",
}
READABLE = ".txt, .html, .json, .jsonl"
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|body|p)\b", re.IGNORECASE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_sources(
    specs: Iterable[str], settings: Settings, *, web: WebReader | None = None
) -> Iterator[SourceDocument | SourceError]:
    """Yield the documents of every spec, in order, and a SourceError for each failure.

    ``web`` is an optional reader for URLs (injected by tests or a caller that reuses one);
    without it a reader is made on the first URL and closed when reading ends.
    """
    owned: WebReader | None = None
    try:
        for spec in specs:
            if _is_url(spec):
                if web is None:
                    from index.web import WebReader  # here: index.web imports this module's helpers

                    web = owned = WebReader(settings)
                yield from web.read(spec)
            elif "://" in spec:
                yield SourceError(spec, "unsupported address: only http:// and https:// URLs are read")
            else:
                yield from _read_path(spec, settings)
    finally:
        if owned is not None:
            owned.close()


# --- files and folders ---------------------------------------------------------


def _is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def _read_path(spec: str, settings: Settings) -> Iterator[SourceDocument | SourceError]:
    path = Path(spec).expanduser()
    try:
        if path.is_dir():
            yield from _read_folder(spec, path, settings)
        elif path.is_file():
            yield from _read_file(path, spec, settings)
        elif path.exists():
            yield SourceError(spec, "not a regular file or folder")
        else:
            yield SourceError(spec, "no such file or folder")
    except OSError as err:  # e.g. a folder we may not list
        yield SourceError(spec, _os_reason(err))


def _read_folder(spec: str, folder: Path, settings: Settings) -> Iterator[SourceDocument | SourceError]:
    files = _folder_files(folder)
    if not files:
        yield SourceError(spec, f"folder has no readable sources ({READABLE})")
        return
    for relative in files:
        yield from _read_file(folder / relative, str(Path(spec) / relative), settings)


def _folder_files(folder: Path) -> list[Path]:
    """Readable files under folder, relative and sorted; hidden entries and other kinds are skipped."""
    found = []
    for root, dirs, names in os.walk(folder):  # os.walk does not follow symlinked folders: no loops
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and Path(name).suffix.lower() in KIND_BY_SUFFIX:
                found.append(Path(root, name).relative_to(folder))
    return sorted(found)


def _read_file(path: Path, name: str, settings: Settings) -> Iterator[SourceDocument | SourceError]:
    kind = KIND_BY_SUFFIX.get(path.suffix.lower())
    limit = settings.max_source_bytes
    try:
        size = path.stat().st_size
        if size > limit:  # refuse before reading a byte
            raise InputTooLarge(name, too_large_reason("file", size, limit))
        with path.open("rb") as fh:
            data = fh.read(limit + 1)  # the file may have grown since stat
        if len(data) > limit:
            raise InputTooLarge(name, too_large_reason("file", len(data), limit))
        if not data.strip():
            raise SourceError(name, "file is empty")
        try:
            text = decode_bytes(data, name)
        except SourceError as err:
            if kind is None:  # named explicitly with an unknown extension and not text
                suffix = path.suffix or "no extension"
                raise SourceError(name, f"unknown kind of file ({suffix}, not text); expected {READABLE}") from err
            raise
        yield from make_documents(text, kind or sniff_kind(text), name, url=None)
    except SourceError as err:
        yield err
    except OSError as err:
        yield SourceError(name, _os_reason(err))


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "permission denied"
    return (err.strerror or str(err)).lower()


# --- helpers shared with index.web -----------------------------------------------


def too_large_reason(what: str, size: int, limit: int) -> str:
    return f"{what} is {format_size(size)}, over the {format_size(limit)} limit (ASSISTANT_MAX_SOURCE_BYTES)"


def format_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"


def decode_bytes(data: bytes, name: str, charset: str | None = None) -> str:
    """Decode text: the declared charset, else UTF-8 (BOM or not), else Windows-1252.

    Windows-1252 is the usual encoding of text saved from old Windows editors; it leaves only
    five bytes undefined, so real binary data is caught first by its NUL bytes.
    """
    if data.startswith(_UTF16_BOMS):
        return _decode(data, "utf-16", name)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SourceError(name, f"binary data, not text (NUL byte at offset {nul})")
    if charset:
        try:
            return data.decode(charset).removeprefix("\ufeff")
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common: fall back to the usual guesses
    try:
        return data.decode("utf-8-sig")  # plain UTF-8, and drops a BOM if there is one
    except UnicodeDecodeError:
        return _decode(data, "cp1252", name)


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        bad = data[err.start : err.start + 1].hex()
        raise SourceError(
            name, f"cannot decode the text: byte 0x{bad} at offset {err.start} is not UTF-8 or Windows-1252"
        ) from err


def sniff_kind(text: str) -> DocumentKind:
    """Guess the kind of content whose name tells nothing: JSON, JSON lines, HTML, else text."""
    head = text.lstrip()
    if head.startswith(("{", "[")):
        if _is_json(head):
            return "wp-json"
        first_line = head.split("\n", 1)[0]
        if first_line.startswith("{") and _is_json(first_line):
            return "jsonl"
    if _HTML_TAG.search(text):
        return "html"
    return "text"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def make_documents(
    text: str, kind: DocumentKind, name: str, url: str | None
) -> Iterator[SourceDocument | SourceError]:
    """One document, or one per WordPress post when the content is REST JSON."""
    if kind != "wp-json":
        yield SourceDocument(name=name, kind=kind, content=text, url=url)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        yield SourceError(name, f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")
        return
    yield from post_documents(data, name)


def post_documents(data: Any, origin: str) -> Iterator[SourceDocument | SourceError]:
    """Split REST JSON (one post or a list of posts) into one wp-json document per post."""
    if isinstance(data, dict) and "code" in data and "message" in data and "id" not in data:
        yield SourceError(origin, f"WordPress error {data['code']}: {data['message']}")
        return
    posts = data if isinstance(data, list) else [data]
    for number, post in enumerate(posts, 1):
        if not isinstance(post, dict):
            yield SourceError(origin, f"item {number} is not a WordPress post (a JSON object)")
            continue
        link = post.get("link") if isinstance(post.get("link"), str) and post.get("link") else None
        yield SourceDocument(
            name=link or f"{origin} post {post.get('id', number)}",
            kind="wp-json",
            content=json.dumps(post, ensure_ascii=False),
            url=link,
        )
