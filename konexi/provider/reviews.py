"""Console: the company's reviews, with one reply each (owners and admins: ``reply_reviews``).

There is deliberately no delete: a provider may reply, or report a review like anyone else.
"""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from konexi.models.reviews import MAX_REVIEW_CHARS
from konexi.provider import bp
from konexi.provider.access import current_membership, provider_required
from konexi.providers_public.forms import TEXT_TOO_LONG
from konexi.services.catalogue.catalogue import clean_page
from konexi.services.reviews import reviews
from konexi.services.reviews.reviews import ReplyOutcome
from konexi.web.htmx import redirect_after_post
from konexi.web.web_forms import KonexiForm


def _clean(value: str | None) -> str | None:
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class ReplyForm(KonexiForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST

    reply = TextAreaField(
        _l("Your reply"),
        filters=[_clean],
        validators=[
            DataRequired(message=_l("Write a reply first.")),
            Length(max=MAX_REVIEW_CHARS, message=TEXT_TOO_LONG),
        ],
        render_kw={"rows": "3", "maxlength": str(MAX_REVIEW_CHARS)},
    )


def _reply_form(review_id: int) -> ReplyForm:
    # A prefix per review keeps the field ids on the list page unique.
    return ReplyForm(prefix=f"review-{review_id}")


def _render_list(
    failed: ReplyForm | None = None, failed_id: int | None = None
) -> ResponseReturnValue:
    membership = current_membership()
    listing = reviews.company_reviews(membership.company_id, clean_page(request.args.get("page")))
    forms = {
        review.id: (failed if review.id == failed_id and failed else _reply_form(review.id))
        for review in listing.items
        if review.reply_text is None
    }
    summary = reviews.rating_summary(company_id=membership.company_id)
    return render_template("provider/reviews.html", listing=listing, forms=forms, summary=summary)


@bp.get("/reviews", endpoint="reviews")
@provider_required("reply_reviews")
def reviews_list() -> ResponseReturnValue:
    return _render_list()


@bp.post("/reviews/<int:review_id>/reply")
@provider_required("reply_reviews")
def reply(review_id: int) -> ResponseReturnValue:
    membership = current_membership()
    form = _reply_form(review_id)
    if not form.validate():
        return _render_list(form, review_id)
    outcome = reviews.reply_to_review(
        membership.company_id, review_id, membership.user_id, form.reply.data or ""
    )
    if outcome is ReplyOutcome.NOT_FOUND:
        abort(404)
    if outcome is ReplyOutcome.ALREADY_REPLIED:
        flash(_("This review already has a reply."), "error")
    elif outcome is ReplyOutcome.INVALID:
        form.reply.errors = [_("Write a reply of up to 1000 characters.")]
        return _render_list(form, review_id)
    else:
        flash(_("Your reply is on your public page."))
    return redirect_after_post(url_for("provider.reviews") + f"#review-{review_id}")
