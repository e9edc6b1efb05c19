"""Coming back to a closed account, or to one being deleted, by logging in: the right password
offers to reopen it (or cancel the deletion, with the date after which nothing can be recovered),
one button does it and signs in; EN with JavaScript, ID without; each page checked at 360 px."""

from __future__ import annotations

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User
from tests.support.screens import check_phone_screen

EMAIL = "demo@konexi.test"
PASSWORD = "demo-password"  # noqa: S105 - the documented demo credential


def _submit_login(page, live_server, password: str = PASSWORD) -> None:
    """Send the login form (the form itself is what these journeys test: it may refuse)."""
    page.goto(live_server.url + "/login")
    page.fill("input[name=identifier]", EMAIL)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def _status(live_server) -> tuple[str, object]:
    with live_server.app.app_context():
        user = db.session.scalars(select(User).where(User.email_key == EMAIL)).one()
        return user.status, user.purge_after


def test_a_closed_account_is_reopened_by_logging_in(live_server, new_page) -> None:
    page = new_page(javascript=True)
    _submit_login(page, live_server)
    page.goto(live_server.url + "/account/close")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/closed")
    assert _status(live_server)[0] == "closed"

    _submit_login(page, live_server, "not the password")
    assert "Email/phone or password is wrong." in page.locator("main").inner_text()
    assert "closed" not in page.locator("main").inner_text()

    _submit_login(page, live_server)
    page.wait_for_url("**/login/welcome-back")
    assert page.locator("h1").inner_text() == "Your account is closed"
    check_phone_screen(page, "welcome-back-closed-en")
    page.get_by_role("button", name="Reopen my account and sign in").click()
    page.wait_for_url(live_server.url + "/")
    assert "Welcome back! Your account is open again." in page.locator("main").inner_text()
    assert _status(live_server)[0] == "active"


def test_a_deletion_is_cancelled_by_logging_in_without_javascript_in_indonesian(
    live_server, new_page
) -> None:
    page = new_page(javascript=False, locale="id-ID")
    _submit_login(page, live_server)
    page.goto(live_server.url + "/account/delete")
    assert page.locator("html").get_attribute("lang") == "id"
    promise = page.locator("main .purge-date").inner_text()
    assert promise.startswith("Sampai ") and "tidak ada yang dapat dipulihkan" in promise
    check_phone_screen(page, "delete-id")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/deleted")
    confirmation = page.locator("main .purge-date").inner_text()
    assert "Masuk sebelum " in confirmation
    check_phone_screen(page, "deleted-id")
    status, purge_after = _status(live_server)
    assert status == "deleting" and purge_after is not None

    _submit_login(page, live_server)
    page.wait_for_url("**/login/welcome-back")
    offer = page.locator("main .purge-date").inner_text()
    assert offer.startswith("Setelah ") and offer.endswith("tidak ada yang dapat dipulihkan.")
    # The same date on every page that states it.
    date = offer.removeprefix("Setelah ").removesuffix(" tidak ada yang dapat dipulihkan.")
    assert date in confirmation
    check_phone_screen(page, "welcome-back-deleting-id")
    page.get_by_role("button", name="Batalkan penghapusan dan masuk").click()
    page.wait_for_url(live_server.url + "/")
    assert "Akun Anda tidak akan dihapus." in page.locator("main").inner_text()
    assert _status(live_server) == ("active", None)
