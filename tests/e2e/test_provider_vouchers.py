"""The demo provider creates a voucher with a photo, finds it in the console and on the feed."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Company, Membership, User
from konexi.models.base import utcnow
from tests.support.browser import DEMO_PROVIDER, log_in
from tests.support.console import photo_bytes

JAKARTA = ZoneInfo("Asia/Jakarta")
TITLE = "Es kopi gula aren 2 for 1"


def ensure_demo_membership(live_server) -> None:
    """The demo provider owns Demo Kopi (the demo data may not say so yet)."""
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_PROVIDER))
        company = db.session.scalar(select(Company).where(Company.slug == "demo-kopi"))
        found = db.session.scalar(
            select(Membership).where(
                Membership.user_id == user.id, Membership.company_id == company.id
            )
        )
        if found is None:
            db.session.add(Membership(company_id=company.id, user_id=user.id, role="owner"))
            db.session.commit()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_provider_creates_a_voucher_with_a_photo_and_customers_see_it(
    live_server, new_page, tmp_path, javascript
):
    ensure_demo_membership(live_server)
    photo = tmp_path / "kopi.jpg"
    photo.write_bytes(photo_bytes((2400, 1600), orientation=None))
    page = new_page(javascript=javascript)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(page, live_server, DEMO_PROVIDER)

    page.goto(live_server.url + "/provider/vouchers")
    page.get_by_role("link", name="New voucher").click()
    page.wait_for_url("**/provider/vouchers/new")
    now = utcnow().astimezone(JAKARTA)
    page.fill("#title", TITLE)
    page.fill("#description", "Dua gelas es kopi, bayar satu.")
    page.select_option("#category_id", label="Food & drink")
    page.fill("#quota_total", "25")
    page.fill("#per_user_limit", "1")
    page.fill("#starts_at", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#ends_at", (now + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Demo Kopi Kemang").check()
    page.set_input_files("#image", str(photo))
    page.get_by_role("button", name="Publish now").click()

    page.wait_for_url("**/provider/vouchers")
    card = page.locator(".provider-voucher", has_text=TITLE)
    assert card.locator(".tag.state").inner_text() == "Live"
    assert "0 / 25 claimed" in card.inner_text()
    assert "0 redeemed" in card.inner_text()

    customer = new_page(javascript=javascript)
    customer.goto(live_server.url + "/?q=gula+aren")
    feed_card = customer.locator(".card.voucher", has_text=TITLE)
    image = feed_card.locator("img.voucher-thumb")
    assert image.get_attribute("width") == "160" and image.get_attribute("height") == "90"
    if javascript:  # the browser really loads and decodes it
        image.scroll_into_view_if_needed()
        # a locator assertion, not wait_for_function: the CSP refuses string evaluation
        expect(image).to_have_js_property("complete", True)
        expect(image).to_have_js_property("naturalWidth", 160)
    response = customer.request.get(live_server.url + image.get_attribute("src"))
    assert response.status == 200
    assert response.headers["content-type"] == "image/webp"
    assert len(response.body()) <= 8 * 1024
    assert errors == []
