"""Reports: only verified outsiders report; reports queue a review for a moderator and hide it
only when the reporters are independent and many; each person counts once; the reviewer is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import OutboxMessage, Review, ReviewReport
from konexi.models.base import utcnow
from konexi.services.reviews import reviews
from konexi.services.reviews.review_moderation import moderation_queue, remove_review
from konexi.services.reviews.reviews import ReportOutcome
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.factories import fresh, make_member, make_voucher
from tests.support.reviews import independent_report, make_review, post_form


# -- reports ---------------------------------------------------------------------------------
def test_three_independent_reporters_hide_the_review(app, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher, text="Rude words")

    outcomes = [independent_report(create_user, review.id, "offensive") for _ in range(2)]
    visible_after_two = fresh(Review, review.id).status
    outcomes.append(independent_report(create_user, review.id, "spam"))

    assert outcomes == [ReportOutcome.OK] * 3
    assert visible_after_two == "visible"
    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("hidden", 3)
    assert reviews.rating_summary(company_id=voucher.company_id).count == 0


def test_three_unverified_throwaway_accounts_cannot_report(app, create_user):
    review = make_review(create_user(), make_voucher())

    outcomes = [
        reviews.report_review(create_user(verified=False).id, review.id, "spam", ip=f"10.{n}.0.1")
        for n in range(3)
    ]

    assert outcomes == [ReportOutcome.NOT_VERIFIED] * 3
    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("visible", 0)


def _aged_reporter(create_user, days: int = 30):
    reporter = create_user()
    reporter.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return reporter


def test_many_reporters_behind_one_network_queue_the_review_but_do_not_hide_it(app, create_user):
    review = make_review(create_user(), make_voucher(), text="Honest but harsh")

    for n in range(6):  # one shop's Wi-Fi, or one person's six accounts
        reporter = _aged_reporter(create_user)
        reviews.report_review(reporter.id, review.id, "not_genuine", ip=f"203.0.113.{n + 10}")

    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("visible", 6)
    assert [queued.review.id for queued in moderation_queue()] == [review.id]


def test_new_accounts_queue_the_review_but_do_not_hide_it(app, create_user):
    review = make_review(create_user(), make_voucher())

    for n in range(3):  # verified today, from three networks
        reviews.report_review(_aged_reporter(create_user, 0).id, review.id, "spam", f"10.{n}.0.1")

    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("visible", 3)
    assert [queued.review.id for queued in moderation_queue()] == [review.id]


def test_how_many_independent_reporters_hide_a_review_is_a_setting(app, create_user):
    app.config["REVIEW_HIDE_MIN_REPORTERS"] = 4
    review = make_review(create_user(), make_voucher())

    for _ in range(3):
        independent_report(create_user, review.id)
    after_three = fresh(Review, review.id).status
    independent_report(create_user, review.id)

    assert (after_three, fresh(Review, review.id).status) == ("visible", "hidden")


def test_the_reviewer_is_told_when_the_review_is_hidden_and_when_removed(app, create_user):
    author = create_user(name="Budi Pengulas")
    author.locale = "id"
    db.session.commit()
    voucher = make_voucher()
    review = make_review(author, voucher, rating=1)

    for _ in range(3):
        independent_report(create_user, review.id)
    remove_review(review.id)

    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == author.id).order_by(OutboxMessage.id)
    ).all()
    assert [(m.kind, m.to_address) for m in told] == [
        ("review_hidden", author.email),
        ("review_removed", author.email),
    ]
    assert told[0].subject == "Ulasan Konexi Anda disembunyikan selama moderator memeriksanya"
    assert f"tentang {voucher.company.name}" in told[0].body
    assert told[1].subject == "Ulasan Konexi Anda dihapus"


def test_the_same_reporter_twice_counts_once(app, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    reporter = create_user()

    first = reviews.report_review(reporter.id, review.id, "spam")
    second = reviews.report_review(reporter.id, review.id, "offensive")
    third = reviews.report_review(reporter.id, review.id, "spam")

    assert first is ReportOutcome.OK
    assert second is third is ReportOutcome.ALREADY_REPORTED
    assert fresh(Review, review.id).report_count == 1
    assert db.session.scalar(select(func.count(ReviewReport.id))) == 1


def test_authors_cannot_report_their_own_review(app, create_user):
    author = create_user()
    review = make_review(author, make_voucher())

    assert reviews.report_review(author.id, review.id, "spam") is ReportOutcome.OWN_REVIEW


def test_reporting_through_the_page_asks_for_a_reason_and_comes_back(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    reporter = create_user()
    log_in(client, reporter)
    page_url = f"/providers/{voucher.company.slug}"
    report_url = f"/reviews/{review.id}/report"

    page = client.get(page_url).get_data(as_text=True)
    form = client.get(f"{report_url}?next={page_url}")
    invalid = post_form(client, report_url, report_url, {"reason": "because", "next": page_url})
    done = post_form(client, report_url, report_url, {"reason": "spam", "next": page_url})

    assert f'href="{report_url}?next=' in page
    assert form.status_code == 200 and 'name="reason"' in form.get_data(as_text=True)
    assert invalid.status_code == 200
    assert "Choose why you are reporting this review." in invalid.get_data(as_text=True)
    assert done.status_code == 303 and done.headers["Location"] == page_url
    after = client.get(page_url).get_data(as_text=True)
    assert "You reported this review." in after
    assert fresh(Review, review.id).report_count == 1


def test_report_refuses_a_foreign_next_url(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    log_in(client, create_user())
    url = f"/reviews/{review.id}/report"

    done = post_form(client, url, url, {"reason": "spam", "next": "https://evil.example/"})

    assert done.headers["Location"] == f"/providers/{voucher.company.slug}"


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_a_providers_team_cannot_report_its_reviews(app, client, create_user, role):
    voucher = make_voucher()
    review = make_review(create_user(), voucher, rating=1, text="Cold coffee, rude staff")
    member = create_user()
    member.created_at = utcnow() - timedelta(days=365)
    make_member(voucher.company_id, member, role)
    log_in(client, member)
    url = f"/reviews/{review.id}/report"
    page_url = f"/providers/{voucher.company.slug}"

    form = client.get(f"{url}?next={page_url}")
    posted = post_form(client, page_url, url, {"reason": "not_genuine", "next": page_url})
    direct = reviews.report_review(member.id, review.id, "not_genuine", ip="198.51.100.7")

    assert form.status_code == 303 and form.headers["Location"] == page_url
    assert posted.status_code == 303
    assert direct is ReportOutcome.COMPANY_MEMBER
    assert "you cannot report its reviews" in client.get(page_url).text
    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("visible", 0)


def test_the_console_offers_replies_but_no_report_or_delete_route(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    admin = create_user()
    make_member(voucher.company_id, admin, "admin")
    log_in(client, admin)

    console = client.get("/provider/reviews").get_data(as_text=True)
    token = {"csrf_token": csrf_token_from(console)}
    attempts = [
        client.post(f"/provider/reviews/{review.id}/delete", data=token).status_code,
        client.post(f"/provider/reviews/{review.id}/remove", data=token).status_code,
        client.delete(f"/provider/reviews/{review.id}").status_code,
        client.post(f"/admin/reviews/{review.id}/remove", data=token).status_code,
    ]

    assert f"/reviews/{review.id}/report" not in console
    assert all(status in (404, 405) for status in attempts)
    assert fresh(Review, review.id).status == "visible"


def test_an_unverified_account_is_told_to_verify_before_reporting(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    log_in(client, create_user(verified=False))

    response = client.get(f"/reviews/{review.id}/report", follow_redirects=True)

    assert "Verify your phone and email to report reviews." in response.text
    assert fresh(Review, review.id).report_count == 0


def test_report_needs_login(app, client, create_user):
    review = make_review(create_user(), make_voucher())

    response = client.get(f"/reviews/{review.id}/report")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
