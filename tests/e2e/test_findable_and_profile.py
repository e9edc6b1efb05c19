"""Findable friends and public profiles in the browser, in English and Indonesian, JS on and
off: a share to a findable friend names them and lands in their "Shared with me" list, which
they open and dismiss; a reviewer's name on a provider page opens their public profile."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from konexi.extensions import db
from konexi.models import Company, User, Voucher
from tests.support.browser import log_in
from tests.support.live_data import add_verified_person, demo_voucher_id
from tests.support.reviews import make_review, redeemed_claim
from tests.support.screens import check_phone_screen

PASSWORD = "demo-password"  # noqa: S105 - the documented demo credential
FRIEND_EMAIL = "budi.friend@example.com"
TEXT = {
    "en": {
        "sent": "Sent to Budi S. (b•••@example.com). It is also in their Konexi inbox.",
        "shared": "Shared with me",
        "claim": "See and claim",
        "dismiss": "Dismiss",
        "born": "Born 17 Aug 1994",
    },
    "id": {
        "sent": "Terkirim ke Budi S. (b•••@example.com). Voucher ini juga ada di kotak masuk",
        "shared": "Dibagikan kepada saya",
        "claim": "Lihat dan klaim",
        "dismiss": "Tutup",
        "born": "Lahir 17 Agu 1994",
    },
}


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_share_to_a_findable_friend_lands_in_their_list(
    live_server: Any, new_page: Any, lang: str, javascript: bool
) -> None:
    text = TEXT[lang]
    add_verified_person(
        live_server.app,
        "Budi Santoso",
        FRIEND_EMAIL,
        "+6281298765432",
        PASSWORD,
        display_name="Budi S.",
        findable_by_email=True,
    )
    voucher_id = demo_voucher_id(live_server.app)

    sender = new_page(javascript=javascript)
    log_in(sender, live_server, "demo@konexi.test", PASSWORD, lang=lang)
    sender.goto(f"{live_server.url}/vouchers/{voucher_id}/share")
    form = sender.locator(f"#share-send-{voucher_id}")
    form.locator("input[name=contact]").fill(FRIEND_EMAIL)
    form.locator("button[type=submit]").click()
    sender.get_by_text(text["sent"]).wait_for()

    friend = new_page(javascript=javascript)
    log_in(friend, live_server, FRIEND_EMAIL, PASSWORD, lang=lang)
    friend.goto(live_server.url + "/me/vouchers")
    entry = friend.locator("li.shared-entry")
    assert friend.locator("#shared-title").inner_text() == text["shared"]
    assert "Buy 1 get 1 iced coffee" in entry.inner_text()
    check_phone_screen(friend, f"shared-with-me-{lang}-{'js' if javascript else 'nojs'}")
    entry.get_by_role("link", name=text["claim"]).click()
    friend.wait_for_url(f"**/vouchers/{voucher_id}")
    friend.go_back()
    friend.locator("li.shared-entry").get_by_role("button", name=text["dismiss"]).click()
    friend.locator("li.shared-entry").wait_for(state="detached")
    friend.goto(live_server.url + "/me/vouchers")
    assert friend.locator("li.shared-entry").count() == 0


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_reviewers_name_opens_their_public_profile(
    live_server: Any, new_page: Any, lang: str, javascript: bool
) -> None:
    reviewer = add_verified_person(
        live_server.app,
        "Dewi Lestari Putri",
        "dewi@example.com",
        "+6281311112222",
        PASSWORD,
        display_name="Dewi L.",
        birth_date=date(1994, 8, 17),
        show_birth_date=True,
    )
    with live_server.app.app_context():
        voucher = db.session.get(Voucher, demo_voucher_id(live_server.app))
        assert voucher is not None
        person = db.session.get(User, reviewer.id)
        redeemed_claim(person, voucher)
        make_review(person, voucher, rating=5, text="Kopinya enak, pelayanannya cepat.")
        company = db.session.get(Company, voucher.company_id)
        assert company is not None
        slug = company.slug
        db.session.remove()

    page = new_page(javascript=javascript)
    page.goto(f"{live_server.url}/providers/{slug}?lang={lang}")
    page.get_by_role("link", name="Dewi L.").click()
    page.wait_for_url(f"**/people/{reviewer.public_id}")
    assert page.locator("h1").inner_text() == "Dewi L."
    body = page.locator("main").inner_text()
    assert TEXT[lang]["born"] in body and "Kopinya enak" in body
    assert "Dewi Lestari Putri" not in page.content()
    check_phone_screen(page, f"public-profile-{lang}-{'js' if javascript else 'nojs'}")
