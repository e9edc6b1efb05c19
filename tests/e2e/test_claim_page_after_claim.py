"""Right after a claim the voucher page tells the truth: one fewer left (swapped in place with
JavaScript, on the next visit without), and "You have this voucher" with the way to the code;
EN with JavaScript, ID without; the voucher page checked at 360 px."""

from __future__ import annotations

import re

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Voucher
from tests.support.browser import log_in
from tests.support.screens import check_phone_screen

EMAIL = "demo@konexi.test"
PASSWORD = "demo-password"  # noqa: S105 - the documented demo credential
LEFT = re.compile(r"^(?:(\d+) of (\d+) left|(\d+) dari (\d+))$")


def _voucher(live_server, title: str) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(Voucher.id).where(Voucher.title == title))


def _left(page) -> tuple[int, int]:
    shown = page.locator("#voucher-remaining").inner_text().strip()
    found = LEFT.match(shown)
    assert found, shown
    left, total = [int(n) for n in found.groups() if n is not None]
    return left, total


def test_the_count_and_the_claim_box_update_in_place_with_javascript(live_server, new_page) -> None:
    page = new_page(javascript=True)
    log_in(page, live_server)
    voucher_id = _voucher(live_server, "Free croissant with any latte")
    page.goto(f"{live_server.url}/vouchers/{voucher_id}")
    before, total = _left(page)

    page.get_by_role("button", name="Claim this voucher").click()
    page.locator("#claim-box .redemption-code").wait_for()

    assert _left(page) == (before - 1, total)
    page.reload()
    assert _left(page) == (before - 1, total)
    box = page.locator("#claim-box").inner_text()
    assert "You have this voucher." in box and "reached the limit" not in box
    page.get_by_role("link", name="Show my code").click()
    page.wait_for_url(re.compile(r".*/me/vouchers/\d+$"))
    page.go_back()
    check_phone_screen(page, "voucher-claimed-en")


def test_without_javascript_the_voucher_page_shows_the_claim_in_indonesian(
    live_server, new_page
) -> None:
    page = new_page(javascript=False, locale="id-ID")
    log_in(page, live_server)
    voucher_id = _voucher(live_server, "Free croissant with any latte")
    page.goto(f"{live_server.url}/vouchers/{voucher_id}")
    before, total = _left(page)

    page.locator("#claim-box button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/me/vouchers/\d+$"))
    code_page = page.url
    page.goto(f"{live_server.url}/vouchers/{voucher_id}")

    assert _left(page) == (before - 1, total)
    box = page.locator("#claim-box").inner_text()
    assert "Anda sudah memiliki voucher ini." in box
    assert page.locator("#have-voucher a").get_attribute("href") == code_page.removeprefix(
        live_server.url
    )
    check_phone_screen(page, "voucher-claimed-id")
