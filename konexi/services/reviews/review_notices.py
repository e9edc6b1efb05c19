"""Telling a reviewer, by email in their language, that their review was hidden or removed."""

from __future__ import annotations

from typing import Literal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from konexi.messaging.outbox import queue_email
from konexi.models import Review

Change = Literal["hidden", "removed"]


def queue_review_notice(review: Review, change: Change) -> None:
    """Queue the email that tells the review's author it was hidden pending moderation or
    removed (nothing for a deleted or inactive author); the caller commits."""
    author = review.user
    if author is None or not author.is_active or author.email is None:
        return
    page = f"{str(current_app.config['BASE_URL']).rstrip('/')}/providers/{review.company.slug}"
    with force_locale(author.locale or "en"):
        what = {"company": review.company.name, "voucher": review.voucher.title}
        if change == "hidden":
            subject = _("Your Konexi review is hidden while a moderator looks at it")
            news = _(
                "Several people reported your review of %(company)s (%(voucher)s). It is hidden "
                "until a Konexi moderator has looked at it; if it follows the rules, it comes "
                "back as it was.",
                **what,
            )
        else:
            subject = _("Your Konexi review was removed")
            news = _(
                "A Konexi moderator removed your review of %(company)s (%(voucher)s) because it "
                "broke the review rules.",
                **what,
            )
        body = "\n\n".join([_("Hello %(name)s,", name=author.name), news, page])
    queue_email(
        to=author.email,
        subject=subject,
        body=body + "\n",
        kind=f"review_{change}",
        user_id=author.id,
    )
