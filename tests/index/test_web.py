"""index.web against real HTTP servers on 127.0.0.1 (no mocks of httpx)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.errors import InputTooLarge, SourceError
from assistant.settings import Settings
from index.documents import SourceDocument
from index.web import WebReader

# A route gets the query (first values) and how many times its path was hit, and returns
# (status, headers, body). A body may be an iterator of chunks, sent with no Content-Length.
Reply = tuple[int, dict[str, str], "bytes | Iterator[bytes]"]
Route = Callable[[dict[str, str], int], Reply]


@dataclass
class Hit:
    at: float  # time.monotonic() when the request arrived
    path: str
    query: dict[str, str]
    user_agent: str


@dataclass
class Site:
    """A scripted web site on 127.0.0.1 that records every request."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    base: str = ""

    def hits_to(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            site.hits.append(Hit(time.monotonic(), parts.path, query, self.headers.get("User-Agent", "")))
            route = site.routes.get(parts.path)
            count = len(site.hits_to(parts.path))
            status, headers, body = route(query, count) if route else (404, {}, b"not found")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for chunk in [body] if isinstance(body, bytes) else body:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on purpose (size limit, timeout)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def config(**overrides: object) -> Settings:
    values: dict[str, object] = {"http_delay": 0.0, "http_retries": 2, "http_timeout": 5.0}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def read(url: str, s: Settings | None = None, **reader_options: float) -> list[SourceDocument | SourceError]:
    with WebReader(s or config(), backoff=0.01, **reader_options) as reader:
        return list(reader.read(url))


def json_reply(data: object, headers: dict[str, str] | None = None) -> Reply:
    return 200, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, json.dumps(data).encode()


def html_reply(text: str) -> Reply:
    return 200, {"Content-Type": "text/html; charset=UTF-8"}, text.encode()


def post(post_id: int, base: str, link: bool = True) -> dict[str, object]:
    return {
        "id": post_id,
        "link": f"{base}/?p={post_id}" if link else "",
        "title": {"rendered": f"Week {post_id}"},
        "content": {"rendered": f"<p>Week {post_id}, November 1-7, 2024 – “quoted”</p>"},
    }


def posts_api(site: Site, pages: int = 3, per_page: int = 2, total_header: bool = True) -> Route:
    """A WordPress posts endpoint: page N holds posts N*10+1..N*10+per_page."""

    def route(query: dict[str, str], _count: int) -> Reply:
        page = int(query.get("page", "1"))
        if page > pages:
            error = {"code": "rest_post_invalid_page_number", "message": "The page number requested is larger"}
            return 400, {"Content-Type": "application/json"}, json.dumps(error).encode()
        posts = [post(page * 10 + i, site.base) for i in range(1, per_page + 1)]
        headers = {"X-WP-Total": str(pages * per_page), "X-WP-TotalPages": str(pages)} if total_header else {}
        return json_reply(posts, headers)

    return route


def docs(results: list[SourceDocument | SourceError]) -> list[SourceDocument]:
    return [r for r in results if isinstance(r, SourceDocument)]


def errors(results: list[SourceDocument | SourceError]) -> list[SourceError]:
    return [r for r in results if isinstance(r, SourceError)]


# --- WordPress sites -------------------------------------------------------------


def test_site_root_is_read_through_the_rest_api_page_by_page(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = posts_api(site, pages=3)
    results = read(site.base + "/")

    assert errors(results) == []
    assert [d.name for d in results] == [f"{site.base}/?p={n}" for n in (11, 12, 21, 22, 31, 32)]
    assert all(d.kind == "wp-json" and d.url == d.name for d in docs(results))
    first = json.loads(docs(results)[0].content)
    assert first["id"] == 11
    assert first["content"]["rendered"] == "<p>Week 11, November 1-7, 2024 – “quoted”</p>"  # unicode kept
    assert [h.query["page"] for h in site.hits] == ["1", "2", "3"]
    assert {h.query["per_page"] for h in site.hits} == {"100"}
    assert {h.user_agent for h in site.hits} == {Settings(_env_file=None).sources.user_agent}


def test_a_post_without_link_is_named_after_the_site(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = lambda q, n: json_reply(
        [post(5, site.base, link=False)], {"X-WP-TotalPages": "1"}
    )
    [doc] = read(site.base)

    assert isinstance(doc, SourceDocument)
    assert doc.name == f"{site.base} post 5" and doc.url is None


def test_polite_delay_between_requests_to_the_same_host(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = posts_api(site, pages=3)
    read(site.base, config(http_delay=0.05))

    arrivals = [h.at for h in site.hits]
    assert len(arrivals) == 3
    assert all(later - earlier >= 0.05 for earlier, later in zip(arrivals, arrivals[1:]))


def test_pages_are_capped_by_http_max_pages(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = posts_api(site, pages=3)
    results = read(site.base, config(http_max_pages=2))

    assert len(docs(results)) == 4
    assert [h.query["page"] for h in site.hits] == ["1", "2"]
    [cap] = errors(results)
    assert "first 2 of 3 pages" in cap.reason and "ASSISTANT_HTTP_MAX_PAGES" in cap.reason


def test_without_total_pages_header_reading_stops_at_a_short_page(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = posts_api(site, pages=3, per_page=2, total_header=False)
    results = read(site.base)

    assert errors(results) == [] and len(results) == 2  # 2 < 100 posts: page 1 was the last
    assert len(site.hits) == 1


def test_without_total_pages_header_a_400_past_the_end_is_quiet(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = posts_api(site, pages=1, per_page=100, total_header=False)
    results = read(site.base)

    assert errors(results) == [] and len(results) == 100
    assert [h.query["page"] for h in site.hits] == ["1", "2"]  # a full page: maybe more; page 2 says 400


def test_rest_route_fallback_when_wp_json_is_missing(site: Site) -> None:
    api = posts_api(site, pages=2)

    def root(query: dict[str, str], count: int) -> Reply:
        if query.get("rest_route") == "/wp/v2/posts":
            return api(query, count)
        return html_reply("<html><body>home</body></html>")

    site.routes["/"] = root
    results = read(site.base + "/")

    assert errors(results) == []
    assert [d.name for d in results] == [f"{site.base}/?p={n}" for n in (11, 12, 21, 22)]
    assert [h.path for h in site.hits] == ["/wp-json/wp/v2/posts", "/", "/"]  # the 404 is not retried
    assert [h.query.get("page") for h in site.hits[1:]] == ["1", "2"]


def test_a_site_with_no_rest_api_is_one_clear_error(site: Site) -> None:
    site.routes["/"] = lambda q, n: html_reply("<html><body>not WordPress</body></html>")
    [err] = read(site.base)

    assert isinstance(err, SourceError) and err.source == site.base
    assert "no WordPress REST API found" in err.reason
    assert "HTTP 404 Not Found" in err.reason and "not JSON (content-type text/html)" in err.reason


def test_a_failing_page_is_reported_and_the_next_pages_are_read(site: Site) -> None:
    api = posts_api(site, pages=3)
    site.routes["/wp-json/wp/v2/posts"] = lambda q, n: (500, {}, b"oops") if q["page"] == "2" else api(q, n)
    results = read(site.base, config(http_retries=1))

    assert [d.name for d in docs(results)] == [f"{site.base}/?p={n}" for n in (11, 12, 31, 32)]
    [err] = errors(results)
    assert err.source.endswith("page=2")
    assert err.reason == "HTTP 500 Internal Server Error (after 2 attempts)"
    assert [h.query["page"] for h in site.hits] == ["1", "2", "2", "3"]


# --- REST JSON URLs --------------------------------------------------------------


def test_wp_json_url_with_one_post(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts/7"] = lambda q, n: json_reply(post(7, site.base))
    [doc] = read(site.base + "/wp-json/wp/v2/posts/7")

    assert isinstance(doc, SourceDocument)
    assert (doc.kind, doc.name, doc.url) == ("wp-json", f"{site.base}/?p=7", f"{site.base}/?p=7")
    assert json.loads(doc.content)["title"]["rendered"] == "Week 7"


def test_wp_json_url_with_a_list_is_split_per_post(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts"] = lambda q, n: json_reply([post(1, site.base), post(2, site.base)])
    results = read(site.base + "/wp-json/wp/v2/posts?search=mastery")

    assert [d.name for d in docs(results)] == [f"{site.base}/?p=1", f"{site.base}/?p=2"]
    assert site.hits[0].query == {"search": "mastery"}


def test_wp_json_url_that_is_not_json(site: Site) -> None:
    site.routes["/wp-json/wp/v2/posts/7"] = lambda q, n: html_reply("<html>maintenance</html>")
    [err] = read(site.base + "/wp-json/wp/v2/posts/7")

    assert isinstance(err, SourceError) and err.reason == "not JSON (content-type text/html)"


# --- single pages ----------------------------------------------------------------

PAGE = (
    "<html><body><h1>Informed i's Weekly Business Insights</h1>"
    "<p>Week 373, November 1-7, 2024 – “Building mastery”</p></body></html>"
)


def test_single_post_page(site: Site) -> None:
    site.routes["/2024/11/07/building-mastery/"] = lambda q, n: html_reply(PAGE)
    url = site.base + "/2024/11/07/building-mastery/"
    [doc] = read(url)

    assert isinstance(doc, SourceDocument)
    assert (doc.name, doc.kind, doc.url, doc.content) == (url, "html", url, PAGE)


def test_a_page_without_content_type_is_sniffed(site: Site) -> None:
    site.routes["/plain"] = lambda q, n: (200, {}, b"Week 373, November 1-7, 2024\nThe Economist")
    site.routes["/markup"] = lambda q, n: (200, {}, b"<p>Week 373</p>")
    [plain] = read(site.base + "/plain")
    [markup] = read(site.base + "/markup")

    assert isinstance(plain, SourceDocument) and plain.kind == "text"
    assert isinstance(markup, SourceDocument) and markup.kind == "html"


def test_redirect_gives_the_final_url(site: Site) -> None:
    site.routes["/"] = lambda q, n: (301, {"Location": "/2024/11/07/building-mastery/"}, b"")
    site.routes["/2024/11/07/building-mastery/"] = lambda q, n: html_reply(PAGE)
    [doc] = read(site.base + "/?p=373")  # a root with a query is a post, not the site

    assert isinstance(doc, SourceDocument)
    assert doc.name == site.base + "/?p=373"
    assert doc.url == site.base + "/2024/11/07/building-mastery/"
    assert [h.path for h in site.hits] == ["/", "/2024/11/07/building-mastery/"]


def test_404_is_not_retried(site: Site) -> None:
    [err] = read(site.base + "/missing/")

    assert isinstance(err, SourceError) and err.reason == "HTTP 404 Not Found"
    assert len(site.hits) == 1


def test_500_then_success_is_retried(site: Site) -> None:
    site.routes["/flaky/"] = lambda q, n: (500, {}, b"oops") if n == 1 else html_reply(PAGE)
    [doc] = read(site.base + "/flaky/")

    assert isinstance(doc, SourceDocument) and doc.content == PAGE
    assert len(site.hits_to("/flaky/")) == 2


def test_429_honours_retry_after(site: Site) -> None:
    site.routes["/busy/"] = lambda q, n: (429, {"Retry-After": "0"}, b"slow down") if n == 1 else html_reply(PAGE)
    [doc] = read(site.base + "/busy/", config(http_delay=0.05))

    assert isinstance(doc, SourceDocument)
    first, second = site.hits_to("/busy/")
    assert second.at - first.at >= 0.05  # Retry-After: 0 still leaves the polite delay


def test_a_long_retry_after_is_capped(site: Site) -> None:
    site.routes["/busy/"] = lambda q, n: (429, {"Retry-After": "3600"}, b"") if n == 1 else html_reply(PAGE)
    started = time.monotonic()
    [doc] = read(site.base + "/busy/", retry_after_cap=0.05)

    assert isinstance(doc, SourceDocument)
    assert time.monotonic() - started < 2


def test_server_errors_give_up_after_the_retries(site: Site) -> None:
    site.routes["/down/"] = lambda q, n: (503, {}, b"")
    [err] = read(site.base + "/down/", config(http_retries=3))

    assert isinstance(err, SourceError) and err.reason == "HTTP 503 Service Unavailable (after 4 attempts)"
    assert len(site.hits) == 4


def test_backoff_doubles_between_retries(site: Site) -> None:
    site.routes["/down/"] = lambda q, n: (500, {}, b"")
    with WebReader(config(http_retries=2), backoff=0.05) as reader:
        list(reader.read(site.base + "/down/"))

    a, b, c = (h.at for h in site.hits)
    assert b - a >= 0.05 and c - b >= 0.1


def test_timeout(site: Site) -> None:
    def slow(query: dict[str, str], count: int) -> Reply:
        time.sleep(0.5)
        return html_reply(PAGE)

    site.routes["/slow/"] = slow
    [err] = read(site.base + "/slow/", config(http_timeout=0.1, http_retries=1))

    assert isinstance(err, SourceError) and err.reason == "timed out after 0.1 s (after 2 attempts)"
    assert len(site.hits) == 2


def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    [err] = read(f"http://127.0.0.1:{port}/post/", config(http_retries=1))

    assert isinstance(err, SourceError) and err.reason == "connection refused (after 2 attempts)"


def test_oversized_download_is_refused_from_its_content_length(site: Site) -> None:
    site.routes["/big/"] = lambda q, n: html_reply("<p>" + "x" * 5000 + "</p>")
    [err] = read(site.base + "/big/", config(max_source_bytes=1000))

    assert isinstance(err, InputTooLarge)
    assert err.reason == "download is 5.0 kB, over the 1.0 kB limit (ASSISTANT_MAX_SOURCE_BYTES)"
    assert len(site.hits) == 1  # not retried


def test_oversized_stream_is_cut_off(site: Site) -> None:
    def endless(query: dict[str, str], count: int) -> Reply:
        def chunks() -> Iterator[bytes]:
            for _ in range(10_000):  # 10 MB if nobody stops it
                yield b"x" * 1000

        return 200, {"Content-Type": "text/plain"}, chunks()

    site.routes["/stream/"] = endless
    [err] = read(site.base + "/stream/", config(max_source_bytes=3000))

    assert isinstance(err, InputTooLarge)
    expected = r"download is over the 3\.0 kB limit \(ASSISTANT_MAX_SOURCE_BYTES\); stopped after [\d.]+ kB"
    assert re.fullmatch(expected, err.reason)  # kB, not MB: it stopped long before the 10 MB


def test_not_a_web_page(site: Site) -> None:
    site.routes["/logo.png"] = lambda q, n: (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n")
    [err] = read(site.base + "/logo.png")

    assert isinstance(err, SourceError) and err.reason == "not a web page (content-type image/png)"


def test_reader_closes_only_the_client_it_made(site: Site) -> None:
    import httpx

    with WebReader(config()) as own:
        pass
    assert own.client.is_closed

    injected = httpx.Client()
    with WebReader(config(), injected) as reader:
        site.routes["/p/"] = lambda q, n: html_reply(PAGE)
        [doc] = list(reader.read(site.base + "/p/"))
    assert isinstance(doc, SourceDocument)
    assert not injected.is_closed
    assert site.hits[0].user_agent == Settings(_env_file=None).sources.user_agent  # set per request
    injected.close()
