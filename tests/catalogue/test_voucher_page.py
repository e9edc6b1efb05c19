"""The voucher page: everything needed to decide, claim and find a branch; views as counts only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import VoucherDailyStats
from konexi.models.base import utcnow
from konexi.services.claims.claims import claim_voucher
from konexi.services.claims.redemption_codes import format_code
from konexi.services.claims.voucher_stats import record_claim, record_view, stats_day
from tests.support.auth import log_in
from tests.support.factories import make_company, make_voucher

HX = {"HX-Request": "true"}


def test_voucher_page_shows_terms_validity_quota_branches_and_provider(app, client):
    voucher = make_voucher(
        quota_total=100,
        quota_claimed=37,
        per_user_limit=2,
        starts_at=datetime(2025, 1, 1, 17, 30, tzinfo=UTC),
        ends_at=datetime(2099, 3, 31, 16, 59, tzinfo=UTC),
    )
    company = voucher.company

    response = client.get(f"/vouchers/{voucher.id}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Buy 1 get 1 es kopi susu · Konexi</title>" in html
    assert "Two iced palm-sugar coffees for the price of one." in html
    assert "Dine-in only.\nNot valid with other promotions." in html
    # Validity in Asia/Jakarta (UTC+7), not UTC.
    assert "2 Jan 2025, 00:30 to 31 Mar 2099, 23:59" in html
    assert "63 of 100 left" in html
    assert "Up to 2 claims" in html
    assert f'href="/providers/{company.slug}"' in html
    assert company.name in html
    assert "Jl. Cikini Raya No. 7, Jakarta" in html
    assert 'href="tel:+622131900001"' in html
    assert "Jl. Suryakencana 3, Bogor" in html
    assert "Closed" not in html  # inactive branch
    assert "Claim this voucher" in html
    # anonymous: the button leads to the login form and back (no token, so no cookie)
    assert 'action="/login"' in html
    assert f'name="next" value="/vouchers/{voucher.id}"' in html
    assert "Live" in html


def test_htmx_request_gets_only_the_voucher_fragment(app, client):
    voucher = make_voucher()

    response = client.get(f"/vouchers/{voucher.id}", headers=HX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "Buy 1 get 1 es kopi susu" in html
    assert "HX-Request" in response.headers["Vary"]
    boosted = client.get(f"/vouchers/{voucher.id}", headers={**HX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"quota_total": 10, "quota_claimed": 10}, "Sold out", "every voucher has been claimed"),
        ({"ends_at": utcnow() - timedelta(days=1)}, "Ended", "This voucher has ended."),
        ({"status": "ended"}, "Ended", "This voucher has ended."),
        ({"starts_at": utcnow() + timedelta(days=2)}, "Not started", "can't be claimed yet"),
        ({"status": "paused"}, "Paused", "paused and can't be claimed"),
    ],
    ids=["sold-out", "expired", "ended", "not-started", "paused"],
)
def test_voucher_that_is_not_live_still_shows_but_has_no_claim_button(
    app, client, changes, status, message
):
    voucher = make_voucher(**changes)

    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert "Buy 1 get 1 es kopi susu" in html
    assert re.search(rf'class="voucher-status voucher-status-\w+">{status}</p>', html)
    assert message in html.replace("&#39;", "'")
    assert "Claim this voucher" not in html


def test_voucher_of_an_inactive_provider_cannot_be_claimed_from_its_page(app, client):
    voucher = make_voucher(company=make_company(active=False))

    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert "not available right now" in html
    assert "Claim this voucher" not in html


def test_unknown_or_draft_voucher_is_404(app, client):
    draft = make_voucher(status="draft")
    assert client.get("/vouchers/999999").status_code == 404
    assert client.get(f"/vouchers/{draft.id}").status_code == 404


def test_views_are_counted_per_day_only(app, client, create_user):
    voucher = make_voucher()
    client.get(f"/vouchers/{voucher.id}")
    log_in(client, create_user())
    client.get(f"/vouchers/{voucher.id}")
    client.get(f"/vouchers/{voucher.id}", headers=HX)

    rows = db.session.scalars(
        select(VoucherDailyStats).where(VoucherDailyStats.voucher_id == voucher.id)
    ).all()
    # once as an anonymous visitor, once as the signed-in user (the htmx reload is a repeat)
    assert [(row.day, row.views, row.claims) for row in rows] == [(stats_day(), 2, 0)]
    # The row holds counts and nothing else: no user, no IP.
    assert set(VoucherDailyStats.__table__.columns.keys()) == {
        "voucher_id",
        "day",
        "views",
        "claims",
        "redemptions",
    }


def test_counts_add_up_on_one_row_per_day(app):
    voucher = make_voucher()
    yesterday = stats_day() - timedelta(days=1)
    record_view(voucher.id)
    record_view(voucher.id)
    record_view(voucher.id, day=yesterday)
    record_claim(voucher.id)
    db.session.commit()

    today = db.session.get(VoucherDailyStats, (voucher.id, stats_day()))
    earlier = db.session.get(VoucherDailyStats, (voucher.id, yesterday))
    assert (today.views, today.claims, today.redemptions) == (2, 1, 0)
    assert (earlier.views, earlier.claims) == (1, 0)


def test_stats_day_is_the_jakarta_date():
    late_evening_utc = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)  # 01:00 on 2 March in Jakarta
    assert stats_day(late_evening_utc).isoformat() == "2026-03-02"


def test_page_shows_my_code_instead_of_the_button_once_i_hit_my_limit(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    code = claim_voucher(user.id, voucher.id).claim.code
    log_in(client, user)

    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert format_code(code) in html
    assert "You have this voucher." in html
    assert "Claim this voucher" not in html


def test_unverified_user_is_told_to_verify_instead_of_a_button(app, client, create_user):
    log_in(client, create_user(verified=False))
    voucher = make_voucher()

    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)

    assert "Verify your phone and email to claim vouchers." in html
    assert 'href="/verify"' in html
    assert "Claim this voucher" not in html


def test_branch_phone_without_recorded_consent_is_not_shown(app, client):
    from konexi.extensions import db
    from tests.support.factories import make_voucher

    voucher = make_voucher()
    for branch in voucher.company.branches:
        branch.phone_consent_at = None
    db.session.commit()
    html = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)
    assert "tel:" not in html
