"""At the counter: the demo user's claim is redeemed by phone number; the receipt arrives by SMS."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch, Claim, Company, Membership, User, Voucher
from konexi.services.claims.claims import claim_voucher
from tests.support.browser import DEMO_PROVIDER, DEMO_USER, log_in

CUSTOMER_PHONE = "+6281200000001"


def prepare(live_server) -> tuple[int, str, str, str]:
    """The demo user claims a voucher; the demo provider belongs to Demo Kopi (made if missing)."""
    with live_server.app.app_context():
        company = db.session.scalar(select(Company).where(Company.name == "Demo Kopi"))
        provider = db.session.scalar(select(User).where(User.email == DEMO_PROVIDER))
        customer = db.session.scalar(select(User).where(User.email == DEMO_USER))
        membership = db.session.scalar(
            select(Membership).where(
                Membership.user_id == provider.id, Membership.company_id == company.id
            )
        )
        if membership is None:
            db.session.add(Membership(company_id=company.id, user_id=provider.id, role="admin"))
            db.session.commit()
        voucher = db.session.scalar(
            select(Voucher).where(Voucher.title == "Free croissant with any latte")
        )
        result = claim_voucher(customer.id, voucher.id)
        assert result.ok, result.outcome
        claim = db.session.get(Claim, result.claim.id)
        branch = db.session.scalar(
            select(Branch).where(Branch.company_id == company.id).order_by(Branch.name)
        )
        return claim.id, claim.code, voucher.title, branch.name


def wait_for_receipt(fake_twilio, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipts = [m for m in fake_twilio.to(CUSTOMER_PHONE) if "redeemed at" in m.body]
        if receipts:
            return receipts
        time.sleep(0.1)
    return []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_redeem_a_claim_by_the_customers_phone_number(
    live_server, new_page, fake_twilio, javascript
):
    claim_id, code, title, branch = prepare(live_server)
    page = new_page(javascript=javascript)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, DEMO_PROVIDER)

    page.goto(live_server.url + "/provider/")
    page.get_by_role("link", name="Redeem", exact=True).click()
    page.wait_for_url("**/provider/redeem")
    page.get_by_label("Branch you are at").select_option(label=branch)
    page.get_by_label("Customer's mobile number").fill("0812 0000 0001")
    page.get_by_role("button", name="Find vouchers").click()

    customer = page.locator(".redeem-customer")
    customer.wait_for()
    assert "Demo User" in customer.inner_text() and "+62 812-0000-0001" in customer.inner_text()
    assert title in customer.inner_text()
    assert code not in page.content()  # the customer shows it; staff never see it
    if javascript:
        assert page.url.endswith("/provider/redeem")  # swapped in place

    page.locator(f"#code-{claim_id}").fill(code[-4:].lower())
    page.locator(f"#code-{claim_id}").locator("xpath=..").get_by_role("button").click()

    outcome = page.locator(".redeem-result" if javascript else ".flash")
    outcome.wait_for()
    assert f"Redeemed: {title} for Demo User at {branch}" in outcome.inner_text()
    [receipt] = wait_for_receipt(fake_twilio)
    assert title in receipt.body and branch in receipt.body
    assert errors == []  # nothing blocked by the CSP, no script errors
