"""Which reader opens a source, and which parser reads a kind of document.

Two tables, filled by the modules that implement them (this module imports none of them):

- **formats**: a document kind ("text", "html", "wp-json", "jsonl", ...) -> its ``Format``: the
  parser, the file suffixes that name it, how to recognise its content when the name tells
  nothing, the media types a web server gives it, and optionally how one text splits into
  several documents. ``index.parse`` imports the built-in formats, which register themselves.
- **readers**: a source's scheme ("http", "https"; ``PATH`` for a local file or folder) -> a
  factory ``(settings) -> SourceReader``. ``index.sources`` (local paths) and ``index.web``
  (http and https) register the built-in ones; ``index.sources.read_sources`` dispatches.

How to add a format (a new file type or page layout): write one module with a parser,
``(SourceDocument) -> list[Article]`` that raises ``SourceError``/``NotADigestPage``, and register
it with one decorator line::

    @register_format("markdown", suffixes=(".md",), sniff=lambda text: text.startswith("# Week"))
    def parse_markdown(doc: SourceDocument) -> list[Article]:
        ...

and add the module's name to the list of format modules imported in ``index/parse/__init__.py``
(a format living outside ``index`` registers the same way when its module is imported). Folders now
include ``*.md`` files, a file with an unknown name whose content passes ``sniff`` is read as
markdown, and ``parse_document`` sends such documents to ``parse_markdown``. Sniffers are tried
by ``priority`` (lower first; the built-in JSON, JSON lines and HTML sniffers use 10, 20 and 30;
new ones default to 100). Content that no sniffer claims is ``FALLBACK_KIND`` (page text).

A new page layout of a kind that exists (the HTML of another site, say) refines that kind::

    @register_format("html-cards", refines="html", sniff=lambda text: 'class="digest-card"' in text)
    def parse_cards(doc: SourceDocument) -> list[Article]:
        ...

Every document read as "html" (by suffix, Content-Type or sniffing) whose text passes the sniffer
becomes "html-cards" and goes to ``parse_cards``; the rest stay "html".

``unregister_format`` undoes a registration (tests use it to leave no global state). Readers
work the same way with ``register_reader(*schemes)`` on a factory, usually the reader class itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from assistant.errors import SourceError
from assistant.models import Article
from assistant.settings import Settings
from index.documents import DocumentKind, SourceDocument

Parser = Callable[[SourceDocument], list[Article]]
Sniffer = Callable[[str], bool]
# (text, name, url) -> the documents one text holds, e.g. one per post of a WordPress JSON list.
Splitter = Callable[[str, str, str | None], Iterator[SourceDocument | SourceError]]
FALLBACK_KIND: DocumentKind = "text"
PATH = ""  # the "scheme" of a local file or folder
DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class Format:
    kind: DocumentKind
    parse: Parser
    suffixes: tuple[str, ...] = ()  # lower case, with the dot: ".txt"
    sniff: Sniffer | None = None  # does this content (of a name that tells nothing) look like this kind?
    media_types: tuple[str, ...] = ()  # parts of a Content-Type that mean this kind, e.g. "html"
    split: Splitter | None = None  # None: the whole text is one document
    priority: int = DEFAULT_PRIORITY  # sniffing order, lower first
    refines: DocumentKind | None = None  # a layout of this kind, told apart by ``sniff``


class SourceReader(Protocol):
    """Reads sources of its schemes into documents; one reader serves every spec of a run."""

    def read(self, spec: str) -> Iterator[SourceDocument | SourceError]: ...

    def close(self) -> None: ...


ReaderFactory = Callable[[Settings], SourceReader]
P = TypeVar("P", bound=Parser)
R = TypeVar("R", bound=ReaderFactory)

_formats: dict[DocumentKind, Format] = {}  # in registration order
_readers: dict[str, ReaderFactory] = {}


# --- formats -------------------------------------------------------------------------


def register_format(
    kind: DocumentKind,
    *,
    suffixes: tuple[str, ...] = (),
    sniff: Sniffer | None = None,
    media_types: tuple[str, ...] = (),
    split: Splitter | None = None,
    priority: int = DEFAULT_PRIORITY,
    refines: DocumentKind | None = None,
) -> Callable[[P], P]:
    """Decorator: register the parser of ``kind`` (see the module docstring). A kind or suffix
    that is already registered is refused: unregister the old one first."""

    def register(parse: P) -> P:
        suffixes_ = tuple(s.lower() for s in suffixes)
        add_format(Format(kind, parse, suffixes_, sniff, media_types, split, priority, refines))
        return parse

    return register


def add_format(fmt: Format) -> None:
    if fmt.kind in _formats:
        raise ValueError(f"document kind {fmt.kind!r} is already registered")
    if fmt.refines is not None and (fmt.sniff is None or fmt.refines not in _formats):
        raise ValueError(f"{fmt.kind!r} refines {fmt.refines!r}: that kind must be registered, and a sniffer given")
    taken = [s for s in fmt.suffixes if kind_for_suffix(s) is not None]
    if taken:
        raise ValueError(f"suffix {taken[0]} already belongs to kind {kind_for_suffix(taken[0])!r}")
    _formats[fmt.kind] = fmt


def unregister_format(kind: DocumentKind) -> None:
    """Forget ``kind`` (no error if it is not registered)."""
    _formats.pop(kind, None)


def get_format(kind: DocumentKind) -> Format | None:
    return _formats.get(kind)


def formats() -> list[Format]:
    """Every registered format, in registration order."""
    return list(_formats.values())


def kind_for_suffix(suffix: str) -> DocumentKind | None:
    """The kind a file suffix (".HTM", ".txt") names, or None."""
    suffix = suffix.lower()
    return next((f.kind for f in _formats.values() if suffix in f.suffixes), None)


def readable_suffixes() -> str:
    """For messages: the first suffix of every format that has one, ".txt, .html, .json, .jsonl"."""
    return ", ".join(f.suffixes[0] for f in _formats.values() if f.suffixes)


def kind_for_media_type(media_type: str) -> DocumentKind | None:
    """The kind a Content-Type ("text/html") names, or None; formats are asked in registration order."""
    return next((f.kind for f in _formats.values() for part in f.media_types if part in media_type), None)


def sniff_kind(text: str) -> DocumentKind:
    """The kind of content whose name tells nothing: the first sniffer (by priority) that
    recognises it, else ``FALLBACK_KIND``. Layouts (``refines``) are told apart later, by
    ``refine_kind``."""
    return _first_sniffed(None, text) or FALLBACK_KIND


def refine_kind(kind: DocumentKind, text: str) -> DocumentKind:
    """The layout of ``kind`` that recognises ``text`` (by priority), else ``kind`` itself."""
    return _first_sniffed(kind, text) or kind


def _first_sniffed(refines: DocumentKind | None, text: str) -> DocumentKind | None:
    candidates = sorted((f for f in _formats.values() if f.sniff and f.refines == refines), key=lambda f: f.priority)
    return next((f.kind for f in candidates if f.sniff(text)), None)  # type: ignore[misc]


# --- readers ---------------------------------------------------------------------------


def register_reader(*schemes: str) -> Callable[[R], R]:
    """Decorator: ``factory(settings)`` makes the reader of specs with these schemes ("http";
    ``PATH`` for local files and folders). A scheme that is already registered is refused."""
    if not schemes:
        raise ValueError("register_reader needs at least one scheme")

    def register(factory: R) -> R:
        for scheme in schemes:
            if scheme.lower() in _readers:
                raise ValueError(f"a reader for {scheme or 'local paths'!r} is already registered")
        for scheme in schemes:
            _readers[scheme.lower()] = factory
        return factory

    return register


def unregister_reader(*schemes: str) -> None:
    for scheme in schemes:
        _readers.pop(scheme.lower(), None)


def scheme_of(spec: str) -> str:
    """ "https" for "https://x.org/"; ``PATH`` for anything without "://"."""
    return spec.split("://", 1)[0].lower() if "://" in spec else PATH


def reader_for(scheme: str) -> ReaderFactory | None:
    return _readers.get(scheme.lower())


def url_schemes() -> list[str]:
    """Registered schemes other than local paths, in registration order."""
    return [s for s in _readers if s != PATH]
