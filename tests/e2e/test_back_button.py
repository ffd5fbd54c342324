"""Back to a page htmx changed in place, once its history cache no longer holds it: htmx asks
the server again, and the whole page returns, not the fragment the tab's request swapped in."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_back_to_a_filtered_queue_restores_the_whole_page(page, rep):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, rep)
    page.goto("/collections/")
    # A cache of 0 pages: every Back is a cache miss, as after the cache evicted the page.
    page.evaluate("() => { htmx.config.historyCacheSize = 0; sessionStorage.clear(); }")
    page.get_by_role("link", name="Active (0)").click()
    page.wait_for_url("**/collections/?status=active")
    page.get_by_role("link", name="Paused (0)").click()
    page.wait_for_url("**/collections/?status=paused")
    settle(page)

    with page.expect_request(lambda r: r.headers.get("hx-history-restore-request") == "true"):
        page.go_back()
    settle(page)

    assert page.url.endswith("/collections/?status=active")
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.get_by_role("heading", name="Collections")).to_be_visible()
    assert not errors
