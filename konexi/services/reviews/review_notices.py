"""Telling a reviewer, by email in their language, that their review was hidden or removed."""

from __future__ import annotations

from typing import Literal

from konexi.messaging.outbox import queue_email
from konexi.messaging.texts import render_text
from konexi.models import Review, ReviewStatus

Change = Literal[ReviewStatus.HIDDEN, ReviewStatus.REMOVED]


def queue_review_notice(review: Review, change: Change) -> None:
    """Queue the email that tells the review's author it was hidden pending moderation or
    removed (nothing for a deleted or inactive author); the caller commits."""
    author = review.user
    if author is None or not author.is_active or author.email is None:
        return
    text = render_text(
        "review_notice",
        author.locale or "en",
        change=change,
        name=author.name,
        company=review.company.name,
        voucher=review.voucher.title,
        slug=review.company.slug,
    )
    queue_email(
        to=author.email,
        subject=text.subject,
        body=text.body,
        kind=f"review_{change}",
        user_id=author.id,
    )
