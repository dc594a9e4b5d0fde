"""The web page in headless Chromium (Debian's, driven by Playwright): upload, gallery, search, review."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import pytest
from harness import SCREENSHOTS, Server, injected_photo, sample_photos, upload, wait_done

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser_page(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/services.sh installs it)")
    with playwright_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        page = ctx.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
        page.set_default_timeout(90_000)
        yield page, problems
        ctx.close()


def _id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def _until(page, expression: str, timeout: float = 30) -> None:
    """Poll a JS expression from outside (the page's CSP forbids the eval that wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def _shot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_upload_gallery_search_review_in_chromium(server: Server, browser_page):
    page, problems = browser_page
    photos = {p.name: p for p in sample_photos()}
    page.goto(server.url)
    assert page.title() == "snapscribe"
    page.wait_for_selector("#keybar:not([hidden])")
    page.fill("#key-input", server.key)
    page.click("#key-save")
    page.wait_for_selector("#conn-dot.ok")

    # upload through the page: progress row, then the card with its caption
    photo = photos["pagoda.jpg"]
    page.set_input_files("#file-input", str(photo))
    page.wait_for_selector(".upload")
    card = f'#gallery .card[data-id="{_id(photo)}"][data-status="captioned"]'
    page.wait_for_selector(f"{card} .media img[src^='blob:']")
    caption = page.inner_text(f"{card} .caption").strip()
    with server.client() as c:
        rec = c.get(f"/v1/images/{_id(photo)}").json()
    assert caption == rec["caption"] and caption
    assert page.inner_text(f"{card} .hashtags").startswith("#")
    assert page.locator(f"{card} .tags li").count() >= 1
    assert page.locator(f"{card} .badge").count() >= 1
    page.wait_for_timeout(300)
    _shot(page, "gallery.png")

    # two photos the safety gates hold for review (text aimed at a model): approve one, reject the other
    with server.client(key="test-key-3") as c:  # an uploader's photos; the page's admin key reviews them
        held = [
            wait_done(c, upload(c, data=injected_photo(photos[n]), name=n).json()["id"])
            for n in ("astronaut.jpg", "dandelions.jpg")
        ]
    assert [r["status"] for r in held] == ["review", "review"]
    waiting = [r["id"] for r in held]
    page.click("#tab-review")
    for image_id in waiting:
        page.wait_for_selector(f'#review .card[data-id="{image_id}"] .media img[src^="blob:"]')
    queued = int(page.inner_text("#count-review"))
    assert queued >= 2
    page.wait_for_timeout(400)
    _shot(page, "review.png")
    page.click(f'#review .card[data-id="{waiting[0]}"] .approve')
    page.wait_for_selector(f'#review .card[data-id="{waiting[0]}"]', state="detached")
    page.click(f'#review .card[data-id="{waiting[1]}"] .reject')
    page.wait_for_selector(f'#review .card[data-id="{waiting[1]}"]', state="detached")
    if queued == 2:
        page.wait_for_selector("#review-empty:not([hidden])")
    with server.client() as c:
        assert c.get(f"/v1/images/{waiting[0]}").json()["status"] == "captioned"
        assert c.get(f"/v1/images/{waiting[1]}").json()["status"] == "blocked"

    # the rejected photo is a placeholder in the gallery, never an image
    page.click("#tab-gallery")
    blocked = f'#gallery .card[data-id="{waiting[1]}"][data-status="blocked"]'
    page.wait_for_selector(f"{blocked} .placeholder")
    assert page.locator(f"{blocked} img").count() == 0

    # search by the pagoda's best tag: the pagoda is found, the blocked photo is not
    word = rec["tags"][0]["label"]
    page.fill("#search-input", word)
    page.press("#search-input", "Enter")
    page.wait_for_selector(f'#results .card[data-id="{_id(photo)}"]')
    assert page.locator(f'#results .card[data-id="{waiting[1]}"]').count() == 0
    page.wait_for_timeout(300)
    _shot(page, "search.png")

    # a fresh load never asks for the blocked image's thumbnail
    thumbs: list[str] = []
    page.on("request", lambda r: thumbs.append(r.url) if "/thumbnail" in r.url else None)
    page.reload()
    page.wait_for_selector(f"{card} .media img[src^='blob:']")
    page.wait_for_selector(f"{blocked} .placeholder")
    assert thumbs and not any(waiting[1] in u for u in thumbs)
    page.click(f"{card} .media")
    page.wait_for_selector("#detail[open] .info h2")
    _until(page, "document.querySelector('#detail .pic img')?.naturalWidth > 400")
    page.wait_for_timeout(300)
    _shot(page, "detail.png", full_page=False)

    # an uploader key: no review tab, and only its own uploads in the gallery
    page.keyboard.press("Escape")
    page.click("#key-button")
    page.fill("#key-input", "test-key-3")
    page.click("#key-save")
    page.wait_for_selector("#key-label:has-text('uploader')")
    assert page.locator("#tab-review").is_hidden()
    page.wait_for_selector(f'#gallery .card[data-id="{waiting[0]}"]')
    assert page.locator(f'#gallery .card[data-id="{_id(photo)}"]').count() == 0  # the admin's upload
    assert problems == [], problems
