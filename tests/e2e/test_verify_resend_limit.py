"""Too many "Send a new code" taps keep the verify page: the message appears beside the button,
with JavaScript (the section is swapped) and without (the page comes back with it)."""

from __future__ import annotations

import pytest

from konexi.extensions import db
from konexi.models import User
from konexi.services.accounts.passwords import hash_password
from tests.support.screens import check_phone_screen

PASSWORD = "a-long-password-1"  # noqa: S105 - a test account's


def _unverified_user(live_server, email: str) -> None:
    with live_server.app.app_context():
        db.session.add(
            User(
                name="Rina Baru",
                email=email,
                phone="+6281277001122" if "js" in email else "+6281277001133",
                password_hash=hash_password(PASSWORD),
            )
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("javascript", "locale", "message"),
    [
        (True, "en-US", "Too many attempts. Please wait a while and try again."),
        (False, "id-ID", "Terlalu banyak percobaan."),
    ],
    ids=["js-en", "nojs-id"],
)
def test_too_many_resend_taps_keep_the_verify_page(
    live_server, new_page, javascript, locale, message
) -> None:
    email = f"rina.{'js' if javascript else 'nojs'}@example.com"
    _unverified_user(live_server, email)
    page = new_page(javascript=javascript, locale=locale)
    page.goto(live_server.url + "/login")
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/verify")
    heading = page.locator("h1").inner_text()

    limited = page.locator("#verify-email-limited")
    for _ in range(6):
        with page.expect_response("**/verify/email/resend"):
            page.locator("#verify-email button.resend").click()
        page.wait_for_load_state()
        if javascript:
            page.wait_for_timeout(300)  # the swap settles after the answer
        if limited.count():
            break

    assert message in limited.inner_text()
    assert page.locator("h1").inner_text() == heading  # the page is still the verify page
    assert page.locator("#verify-phone").count() == 1
    check_phone_screen(page, f"verify-limited-{locale}")
