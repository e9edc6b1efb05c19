"""A user shares a voucher by SMS; the friend opens the link logged out and can sign up."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.browser import log_in
from tests.support.live_data import demo_voucher_id

FRIEND = "+6281234567890"


def _sms_to(twilio, number: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = twilio.to(number)
        if messages:
            return messages
        time.sleep(0.1)
    return []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_shared_sms_link_opens_the_voucher_for_a_logged_out_friend(
    live_server, new_page, fake_twilio, javascript
):
    voucher_id = demo_voucher_id(live_server.app)
    page = new_page(javascript=javascript)
    log_in(page, live_server)

    page.goto(f"{live_server.url}/vouchers/{voucher_id}")
    share = page.locator("section.share")
    assert (
        share.get_by_role("link", name="WhatsApp")
        .get_attribute("href")
        .startswith("https://wa.me/?text=")
    )
    share.locator("input[name=contact]").fill("0812 3456 7890")
    share.locator("textarea[name=message]").fill("Ayo ngopi!")
    share.get_by_role("button", name="Send").click()
    # With htmx the confirmation replaces the form; without, the voucher page shows it after a 303.
    page.get_by_text("Sent to +62812").wait_for()
    assert page.url.endswith(f"/vouchers/{voucher_id}")

    [sms] = _sms_to(fake_twilio, FRIEND)
    link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", sms.body)
    assert link, sms.body
    assert link.group(0).startswith(live_server.url)

    friend = new_page(javascript=False)
    friend.goto(link.group(0))
    assert friend.locator("h1").inner_text() == "Buy 1 get 1 iced coffee"
    sign_up = friend.get_by_role("link", name="Sign up to claim")
    assert sign_up.get_attribute("href").startswith("/signup?next=")
    assert friend.get_by_role("link", name="Log out").count() == 0  # not logged in
