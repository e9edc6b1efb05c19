"""A redemption shows in the provider's statistics; a customer's review on the public page."""

from __future__ import annotations

import re

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Claim, Company, Membership, User, Voucher
from konexi.models.base import utcnow
from konexi.services.claims.voucher_stats import record_redemption
from tests.support.browser import DEMO_PROVIDER, DEMO_USER, log_in

TITLE = "Free croissant with any latte"


def redeemed_demo_claim(live_server) -> tuple[str, str]:
    """The demo user redeemed TITLE at the first branch just now (and the provider is a member)."""
    with live_server.app.app_context():
        company = db.session.scalar(select(Company).where(Company.slug == "demo-kopi"))
        provider = db.session.scalar(select(User).where(User.email == "provider@konexi.test"))
        customer = db.session.scalar(select(User).where(User.email == "demo@konexi.test"))
        voucher = db.session.scalar(select(Voucher).where(Voucher.title == TITLE))
        membership = db.session.scalar(
            select(Membership).where(
                Membership.company_id == company.id, Membership.user_id == provider.id
            )
        )
        if membership is None:
            db.session.add(Membership(company_id=company.id, user_id=provider.id, role="owner"))
        branch = sorted(voucher.branches, key=lambda b: b.id)[0]
        db.session.add(
            Claim(
                voucher_id=voucher.id,
                user_id=customer.id,
                code="E2EREVIEW1",
                status="redeemed",
                redeemed_at=utcnow(),
                redeemed_branch_id=branch.id,
            )
        )
        record_redemption(voucher.id)
        db.session.commit()
        return branch.name, str(voucher.id)


def collect_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_redemption_shows_in_stats_and_review_on_the_public_page(live_server, new_page):
    branch_name, voucher_id = redeemed_demo_claim(live_server)

    provider = new_page()
    provider_errors = collect_errors(provider)
    log_in(provider, live_server, DEMO_PROVIDER)
    provider.goto(live_server.url + "/provider/")
    row = provider.locator("#stats-vouchers tbody tr", has_text=TITLE)
    assert row.locator("td").nth(2).inner_text() == "1"  # redemptions
    branch_row = provider.locator("#stats-branches tbody tr", has_text=branch_name)
    assert branch_row.locator("td").nth(0).inner_text() == "1"  # today
    assert provider.locator("svg.chart").count() == 2
    assert provider.get_by_role("img", name="Views per day, last 30 days").count() == 1
    assert provider_errors == []  # nothing refused by the Content-Security-Policy

    customer = new_page(javascript=False)
    log_in(customer, live_server, DEMO_USER)
    customer.goto(f"{live_server.url}/vouchers/{voucher_id}")
    customer.get_by_role("link", name="Leave a review").click()
    customer.get_by_label(re.compile("5 stars")).check()
    customer.fill("textarea[name=text]", "Croissant hangat, kopi enak.")
    customer.get_by_role("button", name="Post review").click()
    customer.wait_for_load_state()
    assert "/providers/demo-kopi" in customer.url

    visitor = new_page()
    visitor.goto(live_server.url + "/providers/demo-kopi")
    review = visitor.locator(".reviews .review", has_text="Croissant hangat, kopi enak.")
    assert review.count() == 1
    assert "Demo" in review.inner_text() and "demo@konexi.test" not in visitor.content()
    assert visitor.locator(".rating-average").inner_text() == "5.0"
