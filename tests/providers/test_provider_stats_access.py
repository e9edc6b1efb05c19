"""Who may open the statistics, the CSV and the reviews console (and reply), role by role."""

from __future__ import annotations

import pytest

from konexi.models import Review
from konexi.models.base import utcnow
from tests.support.app import csrf_token_from, csrf_token_of
from tests.support.auth import log_in
from tests.support.factories import fresh, make_company, make_member
from tests.support.provider_stats import seed_30_days
from tests.support.reviews import make_review, redeemed_claim

WHO = ["owner", "admin", "staff", "other_admin", "plain", "anonymous"]
SECRET_TITLE = "Es kopi susu 2 for 1"

# GET routes: the status each visitor gets, and whether our company's data shows.
EXPECTED_GET = {
    "/provider/": {
        "owner": (200, True),
        "admin": (200, True),
        "staff": (200, False),
        "other_admin": (200, False),
        "plain": (404, False),
        "anonymous": (302, False),
    },
    "/provider/stats.csv": {
        "owner": (200, True),
        "admin": (200, True),
        "staff": (403, False),
        "other_admin": (200, False),
        "plain": (404, False),
        "anonymous": (302, False),
    },
    "/provider/reviews": {
        "owner": (200, True),
        "admin": (200, True),
        "staff": (403, False),
        "other_admin": (200, False),
        "plain": (404, False),
        "anonymous": (302, False),
    },
}
EXPECTED_REPLY = {
    "owner": 303,
    "admin": 303,
    "staff": 403,
    "other_admin": 404,
    "plain": 404,
    "anonymous": 302,
}


def setup_visitor(client, create_user, who: str):
    company, voucher, _second = seed_30_days(title=SECRET_TITLE)
    customer = create_user(name="Pelanggan Setia")
    redeemed_claim(customer, voucher, utcnow(), company.branches[0].id)
    review = make_review(customer, voucher, text="Secret review text")
    if who in ("owner", "admin", "staff"):
        member = create_user()
        membership = make_member(company.id, member, who)
        if who == "staff":
            membership.branches = [company.branches[0]]
            from konexi.extensions import db

            db.session.commit()
        log_in(client, member)
    elif who == "other_admin":
        other = make_company()
        member = create_user()
        make_member(other.id, member, "admin")
        log_in(client, member)
    elif who == "plain":
        log_in(client, create_user())
    return company, review


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("url", list(EXPECTED_GET))
def test_console_pages_by_role(app, client, create_user, url: str, who: str):
    _company, review = setup_visitor(client, create_user, who)
    status, shows_ours = EXPECTED_GET[url][who]

    response = client.get(url)

    assert response.status_code == status
    body = response.get_data(as_text=True)
    if status == 302:
        assert "/login" in response.headers["Location"]
    marker = "Secret review text" if url == "/provider/reviews" else SECRET_TITLE
    assert (marker in body) is shows_ours
    assert "Pelanggan" not in body or url == "/provider/reviews"  # reviews show a first name only
    assert "Setia" not in body


@pytest.mark.parametrize("who", WHO)
def test_reply_by_role(app, client, create_user, who: str):
    _company, review = setup_visitor(client, create_user, who)
    token = csrf_token_of(client)

    response = client.post(
        f"/provider/reviews/{review.id}/reply",
        data={"csrf_token": token, f"review-{review.id}-reply": "Terima kasih"},
    )

    assert response.status_code == EXPECTED_REPLY[who]
    replied = fresh(Review, review.id).reply_text
    assert (replied == "Terima kasih") is (EXPECTED_REPLY[who] == 303)


def test_staff_see_their_branches_redemptions_today_and_the_redeem_link(app, client, create_user):
    company, _review = setup_visitor(client, create_user, "staff")

    html = client.get("/provider/").get_data(as_text=True)

    assert 'id="staff-today"' in html
    assert f'{company.branches[0].name}</th><td class="num">1</td>' in html
    assert company.branches[1].name not in html
    assert 'href="/provider/redeem"' in html
    assert 'id="stats-vouchers"' not in html and "stats.csv" not in html


def test_switch_still_works(app, client, create_user):
    first = make_company()
    second = make_company()
    user = create_user()
    make_member(first.id, user, "owner")
    make_member(second.id, user, "owner")
    log_in(client, user)
    token = csrf_token_from(client.get("/provider/").get_data(as_text=True))

    response = client.post("/provider/switch", data={"csrf_token": token, "company_id": second.id})
    refused = client.post("/provider/switch", data={"csrf_token": token, "company_id": 99999})

    assert response.status_code == 303 and response.headers["Location"] == "/provider/"
    assert second.name in client.get("/provider/").get_data(as_text=True)
    assert refused.status_code == 303
