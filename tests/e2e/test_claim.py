"""The demo user opens a voucher, claims it and sees the code, with JavaScript on and off."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Claim, User, Voucher
from tests.support.browser import DEMO_USER, log_in

CODE = re.compile(r"^[34679ACDEFGHJKMNPQRTUVWXY]{4} [34679ACDEFGHJKMNPQRTUVWXY]{4}$")


def demo_voucher(live_server) -> tuple[int, str]:
    with live_server.app.app_context():
        voucher = db.session.scalar(
            select(Voucher).where(Voucher.title == "Free croissant with any latte")
        )
        return voucher.id, voucher.title


def demo_codes(live_server, voucher_id: int) -> list[str]:
    with live_server.app.app_context():
        return list(
            db.session.scalars(
                select(Claim.code)
                .join(User, Claim.user_id == User.id)
                .where(User.email == DEMO_USER, Claim.voucher_id == voucher_id)
            )
        )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_user_claims_a_voucher_and_sees_the_code(live_server, new_page, javascript):
    page = new_page(javascript=javascript)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server)
    voucher_id, title = demo_voucher(live_server)

    page.goto(f"{live_server.url}/vouchers/{voucher_id}")
    assert page.locator("h1").inner_text() == title
    assert page.locator("a[href^='tel:']").count() == 3
    page.get_by_role("button", name="Claim this voucher").click()

    if javascript:
        code = page.locator("#claim-box .redemption-code")
        code.wait_for()
        assert page.url == f"{live_server.url}/vouchers/{voucher_id}"  # swapped in place
    else:
        page.wait_for_url(re.compile(r".*/me/vouchers/\d+$"))
        code = page.locator(".redemption-code.big")
        assert page.locator("h1").inner_text() == title
        assert "Where to redeem" in page.content()
    shown = code.inner_text().strip()
    assert CODE.match(shown), shown
    assert demo_codes(live_server, voucher_id) == [shown.replace(" ", "")]

    page.goto(f"{live_server.url}/me/vouchers")
    assert shown in page.locator("main").inner_text()
    assert errors == []  # nothing blocked by the CSP, no script errors
