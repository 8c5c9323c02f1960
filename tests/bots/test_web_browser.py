"""The web chat in a real browser: Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import io
import shutil

import pytest
import soundfile as sf

from evals.web_bench import QUIET  # Chromium flags that keep it off Google services, which this network refuses
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("chromium is missing: scripts/install.sh test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=QUIET)
        yield b
        b.close()


# Every Content-Security-Policy violation the page meets, kept where the test can read it.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def new_page(browser, **options):
    page = browser.new_page(**options)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    return page


def csp_violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def first_card_id(page) -> str:
    return page.locator("#sources .card").first.get_attribute("data-article")


def test_ask_listen_filter_in_the_browser(web_server, browser, tmp_path):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    response = page.goto(web_server.url + "/", wait_until="load")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]  # the page runs under it
    page.wait_for_selector("#question textarea", timeout=60_000)
    assert "Informed i's Weekly Business Insights" in page.locator(".digest-header").inner_text()
    assert page.get_by_text("What do leaders do that impedes mastery?").first.is_visible()  # examples on first load

    ask(page, SEED_QUESTION)
    page.wait_for_selector("#sources .card", timeout=60_000)
    bubble = page.locator("#chat .message").last.inner_text()
    assert "[1]" in bubble and "Building Mastery" in bubble
    assert first_card_id(page) == SEED_ARTICLE_ID
    card = page.locator("#sources .card").first
    assert "Week 373 · November 1-7, 2024" in card.inner_text()

    card.locator("button.listen").click()
    player = card.locator("audio.player")
    page.wait_for_function("el => el.getAttribute('src') && !el.hidden", arg=player.element_handle(), timeout=30_000)
    src = player.get_attribute("src")
    audio = page.request.get(web_server.url + src, timeout=120_000)
    assert audio.ok and sf.info(io.BytesIO(audio.body())).duration > 60
    # The page itself can decode what the player plays.
    seconds = page.evaluate(
        """async (src) => { const data = await (await fetch(src)).arrayBuffer();
             const ctx = new OfflineAudioContext(1, 1, 22050);
             return (await ctx.decodeAudioData(data)).duration; }""",
        src,
    )
    assert seconds > 60

    # "Listen to this answer" plays the answer, served by Gradio from the audio folder.
    with page.expect_response(lambda r: "/gradio_api/file=" in r.url, timeout=120_000) as served:
        page.locator("#listen-answer").click()
    assert served.value.status == 200 and served.value.headers["content-type"] == "audio/mpeg"
    page.wait_for_selector('#answer-audio audio[src^="blob:"]', state="attached", timeout=60_000)  # in the player
    answer_seconds = page.evaluate(
        """async (src) => { const data = await (await fetch(src)).arrayBuffer();
             const ctx = new OfflineAudioContext(1, 1, 22050);
             return (await ctx.decodeAudioData(data)).duration; }""",
        served.value.url,
    )
    assert answer_seconds > 1

    # A filter that excludes the week-373 article changes the answer.
    page.locator("#since input, #since textarea").first.fill("2025-01-01")
    ask(page, SEED_QUESTION)
    page.wait_for_function(
        "id => { const c = document.querySelector('#sources .card'); return !c || c.dataset.article !== id; }",
        arg=SEED_ARTICLE_ID,
        timeout=60_000,
    )
    page.wait_for_timeout(500)
    assert SEED_ARTICLE_ID not in (page.locator("#sources").inner_html())
    page.screenshot(path=str(tmp_path / "web-chat.png"), full_page=True)
    assert (tmp_path / "web-chat.png").stat().st_size > 10_000
    assert csp_violations(page) == []


def test_phone_width_has_no_sideways_scroll(web_server, browser, tmp_path):
    page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(web_server.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    ask(page, SEED_QUESTION)
    page.wait_for_selector("#sources .card", timeout=60_000)
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    page.screenshot(path=str(tmp_path / "web-phone.png"), full_page=True)
    assert csp_violations(page) == []


def test_browse_tab_plays_the_issue_episode(web_server, browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(web_server.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.get_by_role("tab", name="Browse").click()
    page.wait_for_selector("#issue-view .card", timeout=120_000)
    view = page.locator("#issue-view")
    assert "Week 454" in view.inner_text()  # newest first
    episode = view.locator("audio.episode")
    assert episode.get_attribute("src") == "/listen/week/454.mp3"
    assert view.locator("button.chapter").count() >= 4
    view.locator("button.chapter").nth(1).click()  # seeks and plays: the page's own script at work
    page.wait_for_function("el => el.currentTime > 0", arg=episode.element_handle(), timeout=60_000)
    assert csp_violations(page) == []
