"""The review queue in headless Chromium shows the NSFW category and the signals that disagreed.

No explicit material is needed: the server runs with thresholds at zero (any photo is
'explicit' to the model) and a skin threshold no body reaches, so a portrait arrives in
the queue with open_nsfw and the skin reading disagreeing: the real path to ``review``.
"""

from __future__ import annotations

import pytest
from harness import Server, sample_photos, upload, wait_done
from test_server_web import _shot, browser_page  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DISAGREE = {"SNAPSCRIBE_NSFW__REVIEW": "0", "SNAPSCRIBE_NSFW__BLOCK": "0", "SNAPSCRIBE_NSFW__SKIN_AGREE": "1.01"}


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("nsfw-serve"), keys="tester:test-key-1:admin", env=DISAGREE, workers=1).start()
    yield srv
    srv.stop()


def test_review_card_shows_category_and_disagreeing_signals(strict_server: Server, browser_page):  # noqa: F811
    page, problems = browser_page
    photo = {p.name: p for p in sample_photos()}["astronaut.jpg"]
    with strict_server.client() as c:
        rec = wait_done(c, upload(c, photo).json()["id"])
    nsfw = rec["safety"]["nsfw"]
    assert rec["status"] == "review" and nsfw["agree"] is False, rec["safety"]
    assert {c["name"] for c in nsfw["categories"]} == {"explicit", "suggestive"}

    page.goto(strict_server.url)
    page.fill("#key-input", strict_server.key)
    page.click("#key-save")
    page.wait_for_selector("#conn-dot.ok")
    page.click("#tab-review")
    card = f'#review .card[data-id="{rec["id"]}"]'
    page.wait_for_selector(f"{card} .signals.disagree")
    badges = page.inner_text(f"{card} .badges")
    assert "explicit: possible" in badges, badges
    signals = page.inner_text(f"{card} .signals")
    assert "Signals disagree" in signals and "open_nsfw" in signals and "skin" in signals, signals
    assert "not explicit" in signals
    page.wait_for_timeout(300)
    _shot(page, "review-nsfw-signals.png")
    assert not problems, problems
