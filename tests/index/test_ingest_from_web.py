"""End to end: `Assistant.ingest` of a WordPress site served on 127.0.0.1, through the REST API."""

from __future__ import annotations

import json
from pathlib import Path

from assistant import Assistant
from index import ingest
from tests.conftest import make_settings
from tests.index.test_web import Site, site  # noqa: F401  (the fixture)

SAMPLE = Path(__file__).parents[2] / "index" / "sample"


def test_site_root_is_read_page_by_page_and_indexed(site: Site, tmp_path):  # noqa: F811
    posts = [json.loads((SAMPLE / "week-386-2025-01-31.json").read_text(encoding="utf-8"))]
    posts += json.loads((SAMPLE / "wp-posts-page-420-421.json").read_text(encoding="utf-8"))
    pages = [posts[:2], posts[2:]]

    def rest(query, _count):
        page = int(query.get("page", "1"))
        body = json.dumps(pages[page - 1]).encode()
        return 200, {"Content-Type": "application/json", "X-WP-TotalPages": str(len(pages))}, body

    site.routes["/wp-json/wp/v2/posts"] = rest
    site.routes["/2024/11/07/not-a-digest/"] = lambda q, c: (
        200,
        {"Content-Type": "text/html"},
        b"<html><body><p>Just a blog post.</p></body></html>",
    )
    with Assistant(make_settings(tmp_path / "home")) as a:
        report = ingest(a, [site.base + "/", site.base + "/2024/11/07/not-a-digest/", site.base + "/missing/"])
        again = ingest(a, [site.base + "/"])
        weeks = {x.issue.week: x for x in a.issues()}
    assert report.added == 19 and report.articles_total == 19
    assert {e.source.rsplit("/", 2)[-2] for e in report.errors} == {"not-a-digest", "missing"}
    assert any("404" in e.error for e in report.errors)
    assert again.unchanged == 19 and again.added == again.updated == 0
    assert set(weeks) == {386, 420, 421}
    assert weeks[386].issue.url == "https://informedi.org/2025/02/06/weekly-business-insights-week-386/"
    assert [h.query.get("page") for h in site.hits_to("/wp-json/wp/v2/posts")][:2] == ["1", "2"]
