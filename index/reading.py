"""What every reader shares: decoding bytes, size limits in words, turning a text of a
known kind into documents (its layout and splitter as registered in ``index.registry``), JSON
that cannot crash the reader, and text every later stage accepts (``safe_text``)."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

from assistant.errors import SourceError
from index.documents import DocumentKind, SourceDocument
from index.registry import get_format, refine_kind

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
TOO_DEEP = "JSON nested too deeply (over the parser's recursion limit)"

# Characters XML 1.0 forbids (C0 controls but tab, newline and return; U+FFFE, U+FFFF) and lone
# surrogates, which only JSON escapes ("\ud800") can produce: UTF-8 cannot encode them, so the
# tokenizer, Chroma and the podcast feed would all fail on them later.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")
_VERTICAL_SPACE = re.compile("[\x0b\x0c]")  # vertical tab and form feed: spaces
_SURROGATES = re.compile("[\ud800-\udfff]")


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


def make_documents(text: str, kind: DocumentKind, name: str, url: str | None) -> Iterator[SourceDocument | SourceError]:
    """One document, or what the kind's splitter makes of the text (one per WordPress post for REST
    JSON). A registered layout of ``kind`` that recognises the text (``refines``) takes it over."""
    kind = refine_kind(kind, text)
    fmt = get_format(kind)
    if fmt is None or fmt.split is None:
        yield SourceDocument(name=name, kind=kind, content=text, url=url)
        return
    yield from fmt.split(text, name, url)


class JsonTooDeep(ValueError):
    """JSON whose nesting is over the parser's recursion limit (``[[[[...`` 100,000 deep)."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def load_json(text: str) -> Any:
    """``json.loads`` that raises JsonTooDeep (a ValueError) instead of RecursionError, which
    no ``except ValueError`` catches and which would end the whole ingest."""
    try:
        return json.loads(text)
    except RecursionError:
        raise JsonTooDeep() from None


def safe_text(text: str) -> str:
    """``text`` without the characters XML forbids (vertical tab and form feed become spaces),
    lone surrogates replaced by U+FFFD: text the tokenizer, Chroma and XML all accept."""
    if text.isascii() and text.isprintable():
        return text  # the usual case, at C speed
    text = _CONTROLS.sub("", _VERTICAL_SPACE.sub(" ", text))
    return _SURROGATES.sub("\ufffd", text)
