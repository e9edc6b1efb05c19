"""Reports: three distinct people hide a review; each person counts once; providers may report."""

from __future__ import annotations

from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Review, ReviewReport
from konexi.services import reviews
from konexi.services.reviews import ReportOutcome
from tests.conftest import csrf_token_from
from tests.test_reviews_factories import (
    fresh,
    log_in,
    make_member,
    make_review,
    make_voucher,
    post_form,
)


# -- reports ---------------------------------------------------------------------------------
def test_three_distinct_reporters_hide_the_review(app, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher, text="Rude words")
    reporters = [create_user() for _ in range(3)]

    outcomes = [reviews.report_review(r.id, review.id, "offensive") for r in reporters[:2]]
    visible_after_two = fresh(Review, review.id).status
    outcomes.append(reviews.report_review(reporters[2].id, review.id, "spam"))

    assert outcomes == [ReportOutcome.OK] * 3
    assert visible_after_two == "visible"
    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("hidden", 3)
    assert reviews.rating_summary(company_id=voucher.company_id).count == 0


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


def test_provider_admins_can_report_but_have_no_delete_route(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    admin = create_user()
    make_member(voucher.company_id, admin, "admin")
    log_in(client, admin)
    url = f"/reviews/{review.id}/report"

    console = client.get("/provider/reviews").get_data(as_text=True)
    reported = post_form(client, url, url, {"reason": "not_genuine", "next": "/provider/reviews"})
    token = {"csrf_token": csrf_token_from(console)}
    attempts = [
        client.post(f"/provider/reviews/{review.id}/delete", data=token).status_code,
        client.post(f"/provider/reviews/{review.id}/remove", data=token).status_code,
        client.delete(f"/provider/reviews/{review.id}").status_code,
        client.post(f"/admin/reviews/{review.id}/remove", data=token).status_code,
    ]

    assert f'href="/reviews/{review.id}/report?next=/provider/reviews"' in console
    assert reported.status_code == 303 and reported.headers["Location"] == "/provider/reviews"
    assert all(status in (404, 405) for status in attempts)
    stored = fresh(Review, review.id)
    assert (stored.status, stored.report_count) == ("visible", 1)


def test_report_needs_login(app, client, create_user):
    review = make_review(create_user(), make_voucher())

    response = client.get(f"/reviews/{review.id}/report")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
