"""The privacy journey: change a setting (JS on and off), download my data, delete my account,
the purge runs, and the same email signs up again as a new person."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.support.browser import DEMO_PASSWORD as PASSWORD
from tests.support.browser import DEMO_USER as EMAIL
from tests.support.browser import log_in


def _setting(page, name: str):
    return page.locator(f"#privacy-{name} input[type=checkbox]")


def test_privacy_settings_export_delete_purge_and_sign_up_again(live_server, new_page):
    from konexi.extensions import db
    from konexi.models import User
    from konexi.models.base import utcnow
    from konexi.services.privacy.purge import purge_due_accounts

    # JS on: a switch saves itself (htmx) and a reload shows it saved.
    page = new_page(javascript=True)
    log_in(page, live_server)
    page.goto(live_server.url + "/account/privacy")
    findable = _setting(page, "findable_by_email")
    assert not findable.is_checked()
    findable.check()
    page.locator("#privacy-findable_by_email .saved-note").wait_for()
    page.reload()
    assert _setting(page, "findable_by_email").is_checked()

    # JS off: the plain form's Save button.
    plain = new_page(javascript=False)
    log_in(plain, live_server)
    plain.goto(live_server.url + "/account/privacy")
    assert _setting(plain, "findable_by_email").is_checked()
    assert _setting(plain, "personalisation_enabled").is_checked()
    _setting(plain, "personalisation_enabled").uncheck()
    plain.get_by_role("button", name="Save").click()
    plain.wait_for_url("**/account/privacy")
    assert "Your privacy settings are saved." in plain.locator("main").inner_text()
    assert not _setting(plain, "personalisation_enabled").is_checked()
    assert _setting(plain, "findable_by_email").is_checked()

    # Download my data: the file is JSON and holds the user's email and settings.
    page.goto(live_server.url + "/account/export")
    with page.expect_download() as info:
        page.locator("main").get_by_role("button", name="Download my data").click()
    download = info.value
    assert download.suggested_filename.startswith("konexi-data-")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["findable_by_email"] is True
    assert data["profile"]["personalisation_enabled"] is False

    # Delete the account with the password.
    page.goto(live_server.url + "/account/delete")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Delete my account").click()
    page.wait_for_url("**/account/deleted")

    # The grace period ends and the daily purge runs.
    with live_server.app.app_context():
        user = db.session.scalars(select(User).where(User.email_key == EMAIL)).one()
        old_id = user.id
        assert user.status == "deleting"
        user.purge_after = utcnow() - timedelta(minutes=1)
        db.session.commit()
        report = purge_due_accounts()
        assert report.purged_count == 1
        assert db.session.scalars(select(User).where(User.email_key == EMAIL)).first() is None

    # The same email signs up again, as a new person.
    visitor = new_page(javascript=True)
    visitor.goto(live_server.url + "/signup")
    visitor.get_by_label("Name").fill("Dewi Lestari")
    visitor.get_by_label("Email").fill(EMAIL)
    visitor.get_by_label("Mobile number").fill("0812 5555 6666")
    visitor.get_by_label("Password").fill("dewi-password-1")
    visitor.get_by_role("button", name="Create account").click()
    visitor.wait_for_url("**/verify")

    with live_server.app.app_context():
        again = db.session.scalars(select(User).where(User.email_key == EMAIL)).one()
        assert again.id != old_id
        assert again.name == "Dewi Lestari"
        assert again.findable_by_email is False  # nothing carried over from the old account
