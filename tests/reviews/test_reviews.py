"""Reviews: only after a redemption, once per voucher; one reply from the provider."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.models import Review
from konexi.services.reviews import reviews
from konexi.services.reviews.reviews import ReplyOutcome, ReviewOutcome
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.factories import fresh, make_member, make_voucher
from tests.support.reviews import make_review, post_form, redeemed_claim


def review_url(voucher) -> str:
    return f"/providers/{voucher.company.slug}/vouchers/{voucher.id}/review"


def reviews_of(voucher_id: int) -> list[Review]:
    db.session.expire_all()
    return list(db.session.scalars(select(Review).where(Review.voucher_id == voucher_id)))


# -- leaving a review ------------------------------------------------------------------------
def test_user_who_redeemed_leaves_a_review_shown_on_the_provider_page(app, client, create_user):
    user = create_user(name="Siti Rahma")
    voucher = make_voucher()
    redeemed_claim(user, voucher)
    log_in(client, user)

    response = post_form(
        client, review_url(voucher), review_url(voucher), {"rating": "5", "text": "Kopinya mantap"}
    )

    [review] = reviews_of(voucher.id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/providers/{voucher.company.slug}#review-{review.id}"
    assert (review.rating, review.text, review.user_id) == (5, "Kopinya mantap", user.id)
    assert review.company_id == voucher.company_id and review.status == "visible"
    client.post(
        "/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))}
    )
    html = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)
    assert "Log in" in html  # seen by a visitor
    assert "Kopinya mantap" in html and "Siti" in html
    assert "Rahma" not in html and user.email not in html and user.phone not in html


def test_user_without_a_redeemed_claim_cannot_review(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    log_in(client, user)

    page = client.get(review_url(voucher))
    token_page = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)
    posted = client.post(
        review_url(voucher), data={"csrf_token": csrf_token_from(token_page), "rating": "5"}
    )

    assert page.status_code == 303 and posted.status_code == 303
    assert reviews_of(voucher.id) == []
    assert reviews.leave_review(user.id, voucher.id, 5, "x").outcome is ReviewOutcome.NOT_REDEEMED


def test_an_active_claim_is_not_enough_to_review(app, create_user):
    from konexi.services.claims.claims import claim_voucher

    user = create_user()
    voucher = make_voucher()
    assert claim_voucher(user.id, voucher.id).ok

    assert not reviews.can_review(user.id, voucher.id)
    assert reviews.leave_review(user.id, voucher.id, 4, "").outcome is ReviewOutcome.NOT_REDEEMED


def test_one_review_per_voucher_and_user(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    redeemed_claim(user, voucher)
    redeemed_claim(user, voucher)  # two redemptions still give one review

    first = reviews.leave_review(user.id, voucher.id, 4, "Good")
    second = reviews.leave_review(user.id, voucher.id, 1, "Changed my mind")
    log_in(client, user)
    again = client.get(review_url(voucher))

    assert first.ok and second.outcome is ReviewOutcome.ALREADY_REVIEWED
    assert [r.text for r in reviews_of(voucher.id)] == ["Good"]
    assert again.status_code == 303
    flashed = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "You have already reviewed this voucher." in flashed


def test_unique_constraint_holds_even_without_the_service_check(app, create_user):
    user = create_user()
    voucher = make_voucher()
    make_review(user, voucher)
    with pytest.raises(IntegrityError):
        make_review(user, voucher)
    db.session.rollback()


def test_review_form_keeps_input_and_shows_translated_errors(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    redeemed_claim(user, voucher)
    log_in(client, user)

    response = post_form(client, review_url(voucher), review_url(voucher), {"text": "x" * 1001})
    html = response.get_data(as_text=True)
    response_id = post_form(
        client, review_url(voucher) + "?lang=id", review_url(voucher), {"rating": "9"}
    )

    assert response.status_code == 200
    assert "Choose a rating from 1 to 5 stars." in html
    assert "Keep it to 1000 characters or fewer." in html
    assert "x" * 1001 in html  # what was typed is still there
    assert response_id.status_code == 200
    assert 'class="field-error"' in response_id.get_data(as_text=True)
    assert reviews_of(voucher.id) == []


def test_review_of_another_companys_voucher_under_this_slug_is_404(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    other = make_voucher()
    redeemed_claim(user, other)
    log_in(client, user)

    response = client.get(f"/providers/{voucher.company.slug}/vouchers/{other.id}/review")

    assert response.status_code == 404


def test_review_needs_login(app, client):
    voucher = make_voucher()

    response = client.get(review_url(voucher))

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_review_posts_are_rate_limited(app, client, create_user):
    user = create_user()
    voucher = make_voucher()
    log_in(client, user)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    statuses = [
        client.post(review_url(voucher), data={"csrf_token": token, "rating": "3"}).status_code
        for _ in range(6)
    ]

    assert statuses[:5] == [303] * 5 and statuses[5] == 429


# -- the provider's reply --------------------------------------------------------------------
def test_provider_replies_once(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    admin = create_user(name="Budi Admin")
    make_member(voucher.company_id, admin, "admin")
    log_in(client, admin)
    field = f"review-{review.id}-reply"

    first = post_form(
        client,
        "/provider/reviews",
        f"/provider/reviews/{review.id}/reply",
        {field: "Terima kasih!"},
    )
    second = reviews.reply_to_review(voucher.company_id, review.id, admin.id, "Once more")

    assert first.status_code == 303
    assert second is ReplyOutcome.ALREADY_REPLIED
    stored = fresh(Review, review.id)
    assert stored.reply_text == "Terima kasih!" and stored.replied_by_id == admin.id
    public = client.get(f"/providers/{voucher.company.slug}").get_data(as_text=True)
    assert "Terima kasih!" in public and f"Reply from {voucher.company.name}" in public
    console = client.get("/provider/reviews").get_data(as_text=True)
    assert f'name="{field}"' not in console  # no second reply form


def test_empty_reply_re_renders_with_an_error_next_to_the_field(app, client, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    owner = create_user()
    make_member(voucher.company_id, owner, "owner")
    log_in(client, owner)

    response = post_form(
        client,
        "/provider/reviews",
        f"/provider/reviews/{review.id}/reply",
        {f"review-{review.id}-reply": "   "},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="review-{review.id}-reply-error"' in html and "Write a reply first." in html
    assert fresh(Review, review.id).reply_text is None


def test_a_company_cannot_reply_to_another_companys_review(app, create_user):
    voucher = make_voucher()
    review = make_review(create_user(), voucher)
    other = make_voucher()

    outcome = reviews.reply_to_review(other.company_id, review.id, create_user().id, "Hi")

    assert outcome is ReplyOutcome.NOT_FOUND
    assert fresh(Review, review.id).reply_text is None


def test_reviews_show_the_display_name_the_user_chose(app, create_user):
    from konexi.models.reviews import Review

    user = create_user(name="Siti Rahma Putri")
    review = Review(rating=5, text="Enak", user=user)
    assert review.author_name == "Siti"
    user.display_name = "Kopi Lover"
    assert review.author_name == "Kopi Lover"
