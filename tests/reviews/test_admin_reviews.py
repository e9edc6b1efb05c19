"""Moderation at /admin/reviews: platform admins only; restore clears reports, remove is final."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import OutboxMessage, Review, ReviewReport, User
from konexi.services.reviews import review_moderation, reviews
from konexi.services.reviews.reviews import ReportOutcome
from tests.support.app import csrf_token_from, csrf_token_of
from tests.support.auth import log_in
from tests.support.factories import fresh, make_member, make_voucher
from tests.support.reviews import independent_report, make_review


def platform_admin(create_user):
    admin = create_user(name="Mod Erator")
    admin.is_platform_admin = True
    db.session.commit()
    return admin


def hidden_review(create_user, text: str = "Nasty words") -> Review:
    review = make_review(create_user(), make_voucher(), rating=1, text=text)
    for reason in ("offensive", "offensive", "spam"):
        assert independent_report(create_user, review.id, reason) is ReportOutcome.OK
    assert fresh(Review, review.id).status == "hidden"
    return review


def admin_post(client, action: str):
    token = csrf_token_from(client.get("/admin/reviews").get_data(as_text=True))
    return client.post(action, data={"csrf_token": token})


@pytest.mark.parametrize("who", ["anonymous", "plain user", "provider owner"])
def test_only_platform_admins_see_the_queue_others_get_404(app, client, create_user, who):
    review = hidden_review(create_user)
    if who == "plain user":
        log_in(client, create_user())
    elif who == "provider owner":
        owner = create_user()
        make_member(review.company_id, owner, "owner")
        log_in(client, owner)
    token = csrf_token_of(client)

    assert client.get("/admin/reviews").status_code == 404
    for action in ("restore", "remove"):
        url = f"/admin/reviews/{review.id}/{action}"
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert fresh(Review, review.id).status == "hidden"


def test_queue_lists_hidden_then_reported_reviews_with_reasons(app, client, create_user):
    hidden = hidden_review(create_user, text="Hidden by reports")
    reported = make_review(create_user(), make_voucher(), text="Reported once")
    reviews.report_review(create_user().id, reported.id, "not_genuine")
    make_review(create_user(), make_voucher(), text="Nobody minds this one")
    log_in(client, platform_admin(create_user))

    response = client.get("/admin/reviews")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("Hidden by reports") < html.index("Reported once")
    assert "Nobody minds this one" not in html
    assert "Offensive or hateful (2)" in html and "Spam or advertising (1)" in html
    assert "3 reports" in html and "1 report" in html
    assert f'action="/admin/reviews/{hidden.id}/restore"' in html
    assert f'action="/admin/reviews/{hidden.id}/remove"' in html


def test_restore_clears_reports_and_the_review_stays_visible(app, client, create_user):
    review = hidden_review(create_user, text="Actually fair criticism")
    log_in(client, platform_admin(create_user))

    response = admin_post(client, f"/admin/reviews/{review.id}/restore")

    assert response.status_code == 303 and response.headers["Location"] == "/admin/reviews"
    restored = fresh(Review, review.id)
    assert (restored.status, restored.report_count) == ("visible", 0)
    assert db.session.scalar(select(func.count(ReviewReport.id))) == 0
    assert "Actually fair criticism" in client.get(f"/providers/{restored.company.slug}").text
    for _ in range(3):  # new reports are counted but no longer hide it
        reviews.report_review(create_user().id, review.id, "spam")
    again = fresh(Review, review.id)
    assert (again.status, again.report_count) == ("visible", 3)


def test_remove_hides_the_review_for_good(app, client, create_user):
    review = hidden_review(create_user, text="Gone for good")
    log_in(client, platform_admin(create_user))

    removed = admin_post(client, f"/admin/reviews/{review.id}/remove")
    restore_after = admin_post(client, f"/admin/reviews/{review.id}/restore")

    assert removed.status_code == 303 and restore_after.status_code == 404
    stored = fresh(Review, review.id)
    assert stored.status == "removed"
    assert "Gone for good" not in client.get(f"/providers/{stored.company.slug}").text
    assert "Gone for good" not in client.get("/admin/reviews").text
    assert reviews.report_review(create_user().id, review.id, "spam") is ReportOutcome.NOT_FOUND


def test_admin_posts_need_the_csrf_token(app, client, create_user):
    review = hidden_review(create_user)
    log_in(client, platform_admin(create_user))

    response = client.post(f"/admin/reviews/{review.id}/remove")

    assert response.status_code == 400
    assert fresh(Review, review.id).status == "hidden"


def test_a_review_whose_author_has_no_email_left_is_still_removed(
    create_user: Callable[..., User],
) -> None:
    author = create_user()
    review = make_review(author, make_voucher(), rating=1, text="Gone for good")
    author.email = None  # no flow leaves a verified author so; the removal must not need it
    db.session.commit()

    assert review_moderation.remove_review(review.id) is True
    assert fresh(Review, review.id).status == "removed"
    assert db.session.scalars(select(OutboxMessage)).all() == []
