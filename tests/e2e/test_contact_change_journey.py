"""A person changes their phone number from the account page: JS on (htmx) and off."""

from __future__ import annotations

import pytest

from tests.support.accounts import latest_code, received, wrong_code
from tests.support.browser import log_in

OLD_PHONE, NEW_PHONE = "+6281200000001", "+6281266665555"  # the demo user's number, a new one


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_change_the_phone_number_from_the_account_page(
    live_server, new_page, fake_twilio, smtp_server, javascript
):
    page = new_page(javascript=javascript)
    log_in(page, live_server)

    page.goto(live_server.url + "/account")
    assert "+62 812-0000-0001" in page.locator(".contacts").inner_text()
    page.get_by_role("link", name="Phone number").click()
    page.get_by_label("New mobile number").fill("0812 6666 5555")
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Send the code").click()
    page.locator("#password-error").wait_for()
    assert page.locator("#password-error").inner_text() == "Your password is wrong."

    page.get_by_label("Your password").fill("demo-password")
    page.get_by_role("button", name="Send the code").click()
    page.get_by_role("heading", name="Confirm +62 812-6666-5555").wait_for()
    with live_server.app.app_context():
        code = latest_code(NEW_PHONE, fake_twilio, smtp_server)
    page.get_by_label("Code").fill(wrong_code(code))
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.locator("#new-code-error").wait_for()
    assert "That code is wrong" in page.locator("#new-code-error").inner_text()

    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.wait_for_url(live_server.url + "/account/")
    assert "+62 812-6666-5555" in page.locator(".contacts").inner_text()
    assert "phone number is changed" in page.locator("main").inner_text()
    with live_server.app.app_context():
        assert "phone number was changed" in received(OLD_PHONE, fake_twilio, smtp_server)[-1]
