"""Turn source specs (files, folders, URLs) into SourceDocuments, one failure at a time.

Every problem becomes a yielded SourceError so one bad source never stops the others; even
an unexpected exception in a reader fails only its file or spec, logged in one line.
A spec goes to the reader registered for its scheme in ``index.registry``: local files and
folders are read here, http(s) URLs by ``index.web``. A file's kind comes from its suffix, else
from its content (the registered formats' sniffers).
A ``wp-json`` document always holds exactly one post object: lists of posts are split.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import index.parse  # noqa: F401 - the built-in formats register their suffixes and sniffers
from assistant.errors import InputTooLarge, SourceError
from assistant.settings import Settings
from index import web as _web  # registers the reader of http(s) URLs
from index.documents import SourceDocument
from index.reading import decode_bytes, make_documents, too_large_reason
from index.registry import (
    PATH,
    ReaderFactory,
    SourceReader,
    kind_for_suffix,
    readable_suffixes,
    reader_for,
    register_reader,
    scheme_of,
    sniff_kind,
    url_schemes,
)

log = logging.getLogger(__name__)


def read_sources(
    specs: Iterable[str], settings: Settings, *, web: SourceReader | None = None
) -> Iterator[SourceDocument | SourceError]:
    """Yield the documents of every spec, in order, and a SourceError for each failure.

    Each spec goes to the reader registered for its scheme, made on the first spec that needs
    it and closed when reading ends. ``web`` is an optional reader for http(s) URLs (injected by
    tests or a caller that reuses one); it is left open.
    """
    given = dict.fromkeys(_web.SCHEMES, web) if web is not None else {}
    made: dict[ReaderFactory, SourceReader] = {}
    try:
        for spec in specs:
            scheme = scheme_of(spec)
            reader = given.get(scheme)
            if reader is None:
                factory = reader_for(scheme)
                if factory is None:
                    yield SourceError(spec, f"unsupported address: only {_schemes()} URLs are read")
                    continue
                if factory not in made:
                    made[factory] = factory(settings)
                reader = made[factory]
            try:
                yield from reader.read(spec)
            except Exception as exc:  # a reader's bug or a hostile source: this spec fails, not the run
                yield unexpected_failure(shown_path(spec), exc)
    finally:
        for reader in made.values():
            reader.close()


def unexpected_failure(source: str, exc: Exception) -> SourceError:
    """The SourceError for an exception no reader expected, logged in one line (the traceback
    only at DEBUG level): the ingest goes on and reports it like any other failure."""
    message = " ".join(str(exc).split())
    what = f"{type(exc).__name__}: {message[:200]}" if message else type(exc).__name__
    log.warning("could not read %s (%s)", source, what)
    log.debug("traceback of the failure to read %s", source, exc_info=exc)
    return SourceError(source, f"could not be read ({what})")


def _schemes() -> str:
    names = [f"{scheme}://" for scheme in url_schemes()]
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


# --- files and folders ---------------------------------------------------------


@register_reader(PATH)
class PathReader:
    """Reads local files and folders (a folder: its readable files, recursively, sorted)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def read(self, spec: str) -> Iterator[SourceDocument | SourceError]:
        return _read_path(spec, self.settings)

    def close(self) -> None:
        pass


def _read_path(spec: str, settings: Settings) -> Iterator[SourceDocument | SourceError]:
    path = Path(spec).expanduser()
    try:
        if path.is_dir():
            yield from _read_folder(spec, path, settings)
        elif path.is_file():
            yield from _read_file(path, shown_path(spec), settings)
        elif path.exists():
            yield SourceError(shown_path(spec), "not a regular file or folder")
        else:
            yield SourceError(shown_path(spec), "no such file or folder")
    except OSError as err:  # e.g. a folder we may not list
        yield SourceError(shown_path(spec), _os_reason(err))


def _read_folder(spec: str, folder: Path, settings: Settings) -> Iterator[SourceDocument | SourceError]:
    files = _folder_files(folder)
    if not files:
        yield SourceError(shown_path(spec), f"folder has no readable sources ({readable_suffixes()})")
        return
    for relative in files:
        yield from _read_file(folder / relative, shown_path(str(Path(spec) / relative)), settings)


def shown_path(name: str) -> str:
    """A path as reports and the index can hold it: the bytes of a file name that are not UTF-8
    (which Python keeps as lone surrogates, unencodable: the store and JSON refuse them) as
    ``\\xNN``, so each name stays distinct and the same from one run to the next."""
    if name.isascii():
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an undecodable byte
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _folder_files(folder: Path) -> list[Path]:
    """Readable files under folder, relative and sorted; hidden entries and other kinds are skipped."""
    found = []
    for root, dirs, names in os.walk(folder):  # os.walk does not follow symlinked folders: no loops
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and kind_for_suffix(Path(name).suffix) is not None:
                found.append(Path(root, name).relative_to(folder))
    return sorted(found)


def _read_file(path: Path, name: str, settings: Settings) -> Iterator[SourceDocument | SourceError]:
    kind = kind_for_suffix(path.suffix)
    limit = settings.sources.max_source_bytes
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
                raise SourceError(
                    name, f"unknown kind of file ({suffix}, not text); expected {readable_suffixes()}"
                ) from err
            raise
        yield from make_documents(text, kind or sniff_kind(text), name, url=None)
    except SourceError as err:
        yield err
    except OSError as err:
        yield SourceError(name, _os_reason(err))
    except Exception as exc:  # this file fails, not its folder's other files
        yield unexpected_failure(name, exc)


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "permission denied"
    return (err.strerror or str(err)).lower()
