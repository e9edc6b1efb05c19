"""Test data for the review, provider page, moderation and statistics tests (no tests in here)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

from flask.testing import FlaskClient

from konexi.extensions import db
from konexi.models import Claim, Review, User, Voucher
from konexi.models.base import utcnow
from konexi.services.reviews import reviews
from konexi.services.reviews.reviews import ReportOutcome
from tests.support.app import csrf_token_from

_codes = itertools.count(1)
_networks = itertools.count(1)


def independent_report(
    create_user: Callable[..., User], review_id: int, reason: str = "spam"
) -> ReportOutcome:
    """A report by a verified, month-old account from a /24 network no other reporter used."""
    reporter = create_user()
    reporter.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    n = next(_networks)
    return reviews.report_review(reporter.id, review_id, reason, ip=f"10.{n // 250}.{n % 250}.7")


def redeemed_claim(
    user: User | None,
    voucher: Voucher,
    at: datetime | None = None,
    branch_id: int | None = None,
) -> Claim:
    """A claim of ``voucher`` redeemed at ``at`` (now) at its first branch unless told otherwise."""
    claim = Claim(
        voucher_id=voucher.id,
        user_id=user.id if user else None,
        claim_number=next(_codes),  # unique per (voucher, user) even for several claims
        code=f"RV{next(_codes):08d}",
        status="redeemed",
        claimed_at=at or utcnow(),
        redeemed_at=at or utcnow(),
        redeemed_branch_id=branch_id if branch_id is not None else voucher.branches[0].id,
    )
    db.session.add(claim)
    db.session.commit()
    return claim


def make_review(
    user: User | None, voucher: Voucher, rating: int = 4, text: str = "Enak!", **extra: object
) -> Review:
    review = Review(
        company_id=voucher.company_id,
        voucher_id=voucher.id,
        user_id=user.id if user else None,
        rating=rating,
        text=text,
        **extra,
    )
    db.session.add(review)
    db.session.commit()
    return review


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, str] | None = None):
    """POST ``data`` to ``action`` with the CSRF token of the page at ``page_url``."""
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})})
