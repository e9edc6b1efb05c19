"""A visitor browses the feed and switches language, with JavaScript on and off."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_visitor_sees_demo_vouchers_and_loads_more(live_server, new_page, javascript):
    page = new_page(javascript=javascript)
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Vouchers near you"
    first_page = page.locator("li.voucher").count()
    assert first_page == 10
    page.get_by_role("link", name="Load more").click()
    if javascript:
        # a locator wait, not wait_for_function: the CSP (no unsafe-eval) refuses string scripts
        page.locator("li.voucher").nth(10).wait_for()
        assert page.locator("li.voucher").count() > 10  # appended in place
    else:
        page.wait_for_url("**/?page=2")
        assert page.locator("li.voucher").count() >= 2


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_visitor_switches_to_indonesian_and_it_sticks(live_server, new_page, javascript):
    page = new_page(javascript=javascript)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    page.wait_for_url("**/?lang=id")
    assert page.locator("h1").inner_text() == "Voucher di dekat Anda"
    page.goto(live_server.url + "/privacy")
    assert page.locator("h1").inner_text() == "Pemberitahuan privasi"
    assert page.locator("html").get_attribute("lang") == "id"


def test_browser_language_is_honoured(live_server, new_page):
    page = new_page(locale="id-ID")
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Voucher di dekat Anda"


def test_page_has_no_console_errors_under_the_csp(live_server, new_page):
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.htmx") == "object"
    assert errors == []
