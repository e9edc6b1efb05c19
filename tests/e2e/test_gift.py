"""Giving a voucher in Chromium, in English (JavaScript on) and Indonesian (off): the demo user
gives a claimed voucher, the friend signs in from the SMS link and accepts; the friend's new code
redeems and the old one is refused. Then a shared link withdrawn from My vouchers says so."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import AccessChannel, Branch, Claim, User, Voucher
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from konexi.services.claims.claims import claim_voucher
from konexi.services.claims.redemption import Actor, RedeemOutcome, redeem
from konexi.services.sharing.sharing import share_voucher
from tests.servers.fake_twilio import FakeTwilio, SentSms

DEMO_EMAIL = "demo@konexi.test"
PASSWORD = "demo-password"  # noqa: S105 - the documented demo credential
FRIEND_PHONE = "+6281299990002"
FRIEND_EMAIL = "teman@example.com"
VOUCHER = "Free croissant with any latte"

WORDS = {
    "en-US": {
        "give": "Give this voucher",
        "send": "Give",
        "sent": "Sent to +62812",
        "log_in": "Log in to accept",
        "accept": "Accept the voucher",
        "accepted": "The voucher is yours",
        "given": "Given to a friend. This code no longer works.",
        "withdraw": "Withdraw the link",
        "gone": "This link is no longer available",
    },
    "id-ID": {
        "give": "Berikan voucher ini",
        "send": "Berikan",
        "sent": "Terkirim ke +62812",
        "log_in": "Masuk untuk menerima",
        "accept": "Terima voucher",
        "accepted": "Voucher ini milik Anda",
        "given": "Diberikan kepada teman. Kode ini tidak berlaku lagi.",
        "withdraw": "Tarik tautan",
        "gone": "Tautan ini tidak tersedia lagi",
    },
}
JOURNEYS = [("en-US", True), ("id-ID", False)]


def _prepare(live_server: Any) -> tuple[int, int]:
    """The demo user claims a voucher; the friend has a verified account. (claim id, voucher id)"""
    with live_server.app.app_context():
        demo = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
        voucher = db.session.scalar(select(Voucher).where(Voucher.title == VOUCHER))
        db.session.add(
            User(
                name="Teman Baik",
                email=FRIEND_EMAIL,
                phone=FRIEND_PHONE,
                password_hash=hash_password(PASSWORD),
                phone_verified_at=utcnow(),
                email_verified_at=utcnow(),
                # Wants texts: with SMS notifications off a share is only listed, not texted.
                sms_notifications=True,
            )
        )
        db.session.commit()
        result = claim_voucher(demo.id, voucher.id)
        assert result.ok and result.claim is not None, result.outcome
        ids = (result.claim.id, voucher.id)
        db.session.remove()
    return ids


def _log_in(page: Page, email: str) -> None:
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url


def _sms_to(twilio: FakeTwilio, number: str, timeout: float = 10.0) -> list[SentSms]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if messages := twilio.to(number):
            return messages
        time.sleep(0.1)
    return []


def _redeem(live_server: Any, claim_id: int) -> RedeemOutcome:
    """Redeem at the voucher's first branch, as a counter would."""
    with live_server.app.app_context():
        claim = db.session.get(Claim, claim_id)
        branch = db.session.scalar(
            select(Branch).where(Branch.id.in_([b.id for b in claim.voucher.branches]))
        )
        actor = Actor(claim.voucher.company_id, AccessChannel.CONSOLE)
        outcome = redeem(actor, branch, claim_id, utcnow()).outcome
        db.session.remove()
    return outcome


@pytest.mark.parametrize(("locale", "javascript"), JOURNEYS, ids=["en-js", "id-nojs"])
def test_give_a_voucher_the_friend_accepts_and_only_the_new_code_works(
    live_server: Any,
    new_page: Callable[..., Any],
    fake_twilio: FakeTwilio,
    locale: str,
    javascript: bool,
) -> None:
    words = WORDS[locale]
    claim_id, _voucher_id = _prepare(live_server)
    sender = new_page(javascript=javascript, locale=locale)
    sender.goto(live_server.url + "/login")
    _log_in(sender, DEMO_EMAIL)

    sender.goto(f"{live_server.url}/me/vouchers/{claim_id}")
    sender.get_by_role("link", name=words["give"]).click()
    sender.locator("input[name=contact]").fill("0812 9999 0002")
    sender.get_by_role("button", name=words["send"], exact=True).click()
    sender.get_by_text(words["sent"]).wait_for()

    [sms] = _sms_to(fake_twilio, FRIEND_PHONE)
    link = re.search(r"https?://\S+/g/[A-Za-z0-9_-]+", sms.body)
    assert link, sms.body
    friend = new_page(javascript=javascript, locale=locale)
    friend.goto(link.group(0))
    friend.get_by_role("link", name=words["log_in"]).click()
    _log_in(friend, FRIEND_EMAIL)
    assert "/g/" in friend.url  # back on the gift after signing in
    friend.get_by_role("button", name=words["accept"]).click()
    friend.get_by_text(words["accepted"]).wait_for()
    new_code = friend.locator(".redemption-code.big").inner_text().replace(" ", "")
    new_claim_id = int(friend.url.rstrip("/").rsplit("/", 1)[1])

    sender.goto(f"{live_server.url}/me/vouchers/{claim_id}")
    sender.get_by_text(words["given"]).wait_for()
    assert _redeem(live_server, claim_id) is RedeemOutcome.NOT_FOUND
    assert _redeem(live_server, new_claim_id) is RedeemOutcome.REDEEMED
    with live_server.app.app_context():
        assert db.session.get(Claim, new_claim_id).code == new_code
        db.session.remove()


@pytest.mark.parametrize(("locale", "javascript"), JOURNEYS, ids=["en-js", "id-nojs"])
def test_a_withdrawn_share_link_says_it_is_no_longer_available(
    live_server: Any,
    new_page: Callable[..., Any],
    fake_twilio: FakeTwilio,
    locale: str,
    javascript: bool,
) -> None:
    words = WORDS[locale]
    _claim_id, voucher_id = _prepare(live_server)
    with live_server.app.app_context():
        demo = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
        share_voucher(demo.id, voucher_id, FRIEND_PHONE, None, "10.0.0.1")
        db.session.remove()
    [sms] = _sms_to(fake_twilio, FRIEND_PHONE)
    link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", sms.body)
    assert link, sms.body

    sender = new_page(javascript=javascript, locale=locale)
    sender.goto(live_server.url + "/login")
    _log_in(sender, DEMO_EMAIL)
    sender.goto(live_server.url + "/me/vouchers")
    sender.get_by_role("button", name=words["withdraw"]).click()
    sender.wait_for_load_state()
    assert sender.get_by_role("button", name=words["withdraw"]).count() == 0

    friend = new_page(javascript=javascript, locale=locale)
    response = friend.goto(link.group(0))
    assert response is not None and response.status == 410
    friend.get_by_text(words["gone"]).wait_for()
