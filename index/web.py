"""Read http(s) URLs: a WordPress site through its REST API, REST JSON, or one post page.

Polite by construction: one client, a pause between requests to the same host, and retries
with exponential backoff only for failures that may pass (network, timeouts, 429, 5xx).

Bounded by construction too: ``ASSISTANT_HTTP_TIMEOUT`` is the time one attempt may take in all
(connecting, the headers, the whole body), not only the longest silence between two reads,
so a server that sends one byte a second fails instead of holding the ingest for hours. A
``Retry-After`` longer than that is cut to it (and said in the log).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from assistant.errors import InputTooLarge, SourceError
from assistant.settings import Settings
from index.documents import SourceDocument
from index.parse.wordpress import post_documents  # importing index.parse registers the built-in formats
from index.reading import TOO_DEEP, JsonTooDeep, decode_bytes, format_size, load_json, make_documents, too_large_reason
from index.registry import kind_for_media_type, register_reader, sniff_kind

log = logging.getLogger(__name__)
SCHEMES = ("http", "https")
PER_PAGE = 100  # the most WordPress returns per REST page
# The longest Retry-After honoured, and never more than ASSISTANT_HTTP_TIMEOUT: a server asking
# for longer (some say 999999 s) is not worth blocking an ingest on; the retry may still fail.
RETRY_AFTER_CAP = 60.0
BACKOFF_CAP = 30.0


class HttpError(SourceError):
    """A request that failed for good. ``status`` is the HTTP status when the server answered."""

    def __init__(self, source: str, reason: str, status: int | None = None):
        super().__init__(source, reason)
        self.status = status


class _NotJson(SourceError):
    """A 200 answer that is not JSON: on a site root it means there is no REST API there."""


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    content_type: str
    charset: str | None
    headers: httpx.Headers
    body: bytes

    def text(self) -> str:
        return decode_bytes(self.body, self.url, self.charset)


def make_client(settings: Settings) -> httpx.Client:
    """The client WebReader makes when none is injected (tests may pass their own)."""
    return httpx.Client(
        timeout=settings.sources.http_timeout,
        follow_redirects=True,
        headers={"User-Agent": settings.sources.user_agent},
    )


@register_reader(*SCHEMES)
class WebReader:
    """Reads URLs into SourceDocuments. Close it (or use ``with``) to close the client it made.

    ``backoff`` is the first retry's pause in seconds, doubled on each further retry.
    """

    def __init__(
        self,
        settings: Settings,
        client: httpx.Client | None = None,
        *,
        backoff: float = 1.0,
        retry_after_cap: float = RETRY_AFTER_CAP,
    ):
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self._owns_client = client is None
        self.backoff = backoff
        self.retry_after_cap = retry_after_cap  # further capped at ASSISTANT_HTTP_TIMEOUT
        self._last_request: dict[str, float] = {}  # host -> monotonic time its last request ended

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> WebReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what a URL means --------------------------------------------------------

    def read(self, url: str) -> Iterator[SourceDocument | SourceError]:
        """Yield the documents behind one URL, and a SourceError for each part that failed."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as err:
            yield SourceError(url, f"not a valid address ({err})")
            return
        if parsed.scheme not in ("http", "https") or not parsed.host:
            yield SourceError(url, "not a valid http(s) address")
        elif parsed.path in ("", "/") and not parsed.query:
            yield from self._read_site(url, str(parsed.copy_with(path="/", fragment=None)).rstrip("/"))
        elif parsed.path.startswith("/wp-json/") or "rest_route" in parsed.params:
            yield from self._read_rest(url)
        else:
            yield from self._read_page(url)

    def _read_site(self, site: str, root: str) -> Iterator[SourceDocument | SourceError]:
        """Every post of a WordPress site, 100 per REST page, one page after the other."""
        try:
            prefix, posts, total = self._first_page(site, root)
        except SourceError as err:
            yield err
            return
        yield from post_documents(posts, site)
        max_pages = self.settings.sources.http_max_pages
        for page in range(2, min(total or max_pages, max_pages) + 1):
            if total is None and len(posts) < PER_PAGE:
                break  # no X-WP-TotalPages header: a short page is the last one
            try:
                posts, _ = self._posts_page(f"{prefix}{page}")
            except SourceError as err:
                if total is None and getattr(err, "status", None) == 400:
                    break  # WordPress answers 400 past the last page
                yield err  # one lost page; the next may still be fine
                continue
            yield from post_documents(posts, site)
        if total and total > max_pages:
            yield SourceError(
                site, f"read only the first {max_pages} of {total} pages of posts (ASSISTANT_HTTP_MAX_PAGES)"
            )

    def _first_page(self, site: str, root: str) -> tuple[str, list[Any], int | None]:
        """Page 1 and the URL prefix of the others: /wp-json/, else ?rest_route= (no pretty permalinks)."""
        pretty = f"{root}/wp-json/wp/v2/posts?per_page={PER_PAGE}&page="
        plain = f"{root}/?rest_route=/wp/v2/posts&per_page={PER_PAGE}&page="
        try:
            return (pretty, *self._posts_page(f"{pretty}1"))
        except SourceError as err:
            if not _no_api(err):
                raise
            first_reason = err.reason
        try:
            return (plain, *self._posts_page(f"{plain}1"))
        except SourceError as err:
            if not _no_api(err):
                raise
            raise SourceError(
                site,
                f"no WordPress REST API found (/wp-json/: {first_reason}; ?rest_route=: {err.reason}); "
                "give the addresses of single posts instead",
            ) from err

    def _posts_page(self, url: str) -> tuple[list[Any], int | None]:
        fetched = self.fetch(url)
        data = _json(fetched)
        if not isinstance(data, list):
            message = data.get("message") if isinstance(data, dict) else None
            raise SourceError(url, f"WordPress error: {message}" if message else "not a list of posts")
        total = fetched.headers.get("x-wp-totalpages", "")
        return data, int(total) if total.strip().isdigit() else None

    def _read_rest(self, url: str) -> Iterator[SourceDocument | SourceError]:
        try:
            data = _json(self.fetch(url))
        except SourceError as err:
            yield err
            return
        yield from post_documents(data, url)

    def _read_page(self, url: str) -> Iterator[SourceDocument | SourceError]:
        try:
            fetched = self.fetch(url)
            text = fetched.text()
        except SourceError as err:
            yield err
            return
        if not text.strip():
            yield SourceError(url, "the page is empty")
            return
        kind = kind_for_media_type(fetched.content_type) or sniff_kind(text)
        yield from make_documents(text, kind, url, url=fetched.url)

    # --- HTTP --------------------------------------------------------------------

    def fetch(self, url: str) -> Fetched:
        """GET url politely, with retries and the size limit. Raises HttpError or InputTooLarge."""
        host = httpx.URL(url).host
        attempts = self.settings.sources.http_retries + 1
        for attempt in range(1, attempts + 1):
            self._pause(host)
            try:
                return self._get_once(url, host)
            except _Retryable as err:
                if attempt == attempts:
                    after = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise HttpError(url, err.reason + after, err.status) from None
                backoff = min(self.backoff * 2 ** (attempt - 1), BACKOFF_CAP)
                time.sleep(err.wait if err.wait is not None else backoff)
        raise AssertionError("unreachable: attempts >= 1")

    def _pause(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = last + self.settings.sources.http_delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _get_once(self, url: str, host: str) -> Fetched:
        """One attempt, within ASSISTANT_HTTP_TIMEOUT in all (see ``_Deadline``)."""
        timeout = self.settings.sources.http_timeout
        timed_out = f"timed out after {timeout:g} s"
        # One connection per request ("close"), so the deadline knows the socket it may cut.
        headers = {"User-Agent": self.settings.sources.user_agent, "Connection": "close"}
        deadline = _Deadline(timeout)
        try:
            with (
                deadline,
                self.client.stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=timeout,
                    follow_redirects=True,
                    extensions={"trace": deadline.trace},
                ) as resp,
            ):
                status = resp.status_code
                if status == 429 or status >= 500:
                    raise _Retryable(_status_reason(status), status, self._retry_after(resp, url))
                if status >= 300:  # redirects are followed, so what is left is an error
                    raise HttpError(url, _status_reason(status), status)
                content_type = resp.headers.get("content-type", "")
                mime = content_type.split(";")[0].strip().lower()
                if mime and not (mime.startswith("text/") or mime.endswith(("/json", "+json", "/xml", "+xml"))):
                    raise HttpError(url, f"not a web page (content-type {mime})", status)
                body = self._read_body(resp, url, deadline)
                if deadline.cut:  # a body that ends with the connection may have been cut short
                    raise _Retryable(timed_out)
                return Fetched(str(resp.url), mime, resp.charset_encoding, resp.headers, body)
        except httpx.TimeoutException:
            raise _Retryable(timed_out) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as err:
            if deadline.cut:  # the deadline cut the connection
                raise _Retryable(timed_out) from None
            raise _Retryable(_network_reason(err, host)) from None
        except httpx.TooManyRedirects:
            raise HttpError(url, "too many redirects") from None
        except httpx.HTTPError as err:
            raise HttpError(url, f"request failed ({err})") from None
        finally:
            self._last_request[host] = time.monotonic()

    def _read_body(self, resp: httpx.Response, url: str, deadline: _Deadline | None = None) -> bytes:
        limit = self.settings.sources.max_source_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:  # refuse before downloading
            raise InputTooLarge(url, too_large_reason("download", int(declared), limit))
        body = bytearray()
        for chunk in resp.iter_bytes():
            if deadline is not None and deadline.passed:  # a transport the deadline cannot cut
                raise _Retryable(f"timed out after {deadline.seconds:g} s")
            body += chunk
            if len(body) > limit:  # no or wrong Content-Length: stop as soon as it is too much
                raise InputTooLarge(
                    url,
                    f"download is over the {format_size(limit)} limit (ASSISTANT_MAX_SOURCE_BYTES); "
                    f"stopped after {format_size(len(body))}",
                )
        return bytes(body)

    def _retry_after(self, resp: httpx.Response, url: str) -> float | None:
        """Seconds asked by Retry-After (a number or an HTTP date), capped at ``retry_after_cap``
        and ASSISTANT_HTTP_TIMEOUT (a cut is logged); None if absent or unreadable."""
        value = resp.headers.get("retry-after", "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                return None
        if seconds != seconds:  # NaN
            return None
        cap = min(self.retry_after_cap, self.settings.sources.http_timeout)
        if seconds > cap:
            log.warning(
                "HTTP %s from %s: Retry-After %s s capped to %g s (the longest wait honoured: "
                "ASSISTANT_HTTP_TIMEOUT, at most %g s)",
                resp.status_code,
                url,
                value if value.replace(".", "", 1).isdigit() else f"{seconds:.0f}",
                cap,
                self.retry_after_cap,
            )
            return cap
        return max(seconds, 0.0)


class _Deadline:
    """The whole-attempt time limit. httpx's timeout bounds each read, not a request: a server
    that sends a byte just before each read times out would hold a request forever.

    Armed with ``with``; httpx's ``trace`` extension hands it the connection's socket, and when
    the time is up a timer shuts that socket down, which ends a read that is waiting (for
    the headers or the body) at once. Requests that never show a socket (an injected
    transport) are still stopped between two chunks of the body.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._end = 0.0
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self._done = False
        self.cut = False  # the timer shut the connection down

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._end

    def __enter__(self) -> _Deadline:
        self._end = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
            self._sock = None
        if self._timer is not None:
            self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback: keep the socket of the connection (the TLS one if any)."""
        if event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            stream: Any = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None and hasattr(stream, "get_extra_info") else None
            if isinstance(sock, socket.socket):
                with self._lock:
                    if not self._done:
                        self._sock = sock

    def _expire(self) -> None:
        with self._lock:
            if self._done or self._sock is None:
                return
            try:  # the plain socket's shutdown, not SSLSocket's, which would unwrap TLS under the reader
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
            except OSError:
                return  # already closed
            self.cut = True


def _json(fetched: Fetched) -> Any:
    try:
        return load_json(fetched.text())
    except JsonTooDeep:
        raise SourceError(fetched.url, TOO_DEEP) from None
    except ValueError:
        raise _NotJson(fetched.url, f"not JSON (content-type {fetched.content_type or 'none'})") from None


def _no_api(err: SourceError) -> bool:
    return isinstance(err, _NotJson) or getattr(err, "status", None) == 404


def _status_reason(status: int) -> str:
    return f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()


def _network_reason(err: Exception, host: str) -> str:
    message = str(err) or type(err).__name__
    lowered = message.lower()
    if "refused" in lowered:
        return "connection refused"
    if any(s in lowered for s in ("name or service not known", "name resolution", "nodename nor servname")):
        return f"cannot resolve host {host}"
    if isinstance(err, httpx.ConnectError):
        return f"cannot connect ({message})"
    return f"connection broken ({message})"
