"""The public provider page, leaving a review, reporting one, and the voucher page's review box."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from konexi.auth.limits import user_key
from konexi.auth.navigation import safe_next
from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.providers_public import bp
from konexi.providers_public.forms import ReportForm, ReviewForm
from konexi.services.catalogue.catalogue import clean_page
from konexi.services.providers import provider_profile
from konexi.services.reviews import reviews
from konexi.services.reviews.reviews import ReportOutcome, ReviewOutcome, VoucherReviews
from konexi.web.htmx import redirect_after_post, render_page_or_fragment

# Per user: many Indonesian mobile users share one carrier-grade NAT address.
REVIEW_LIMITS = rate_limit("RATELIMIT_REVIEWS_PER_USER")
REPORT_LIMITS = rate_limit("RATELIMIT_REVIEW_REPORTS_PER_USER")


@bp.app_template_global()
def voucher_review_box(voucher_id: int) -> VoucherReviews:
    """The voucher page's reviews: rating, the latest few, and whether I may add mine."""
    user_id = current_user.id if current_user.is_authenticated else None
    return reviews.voucher_reviews(voucher_id, user_id)


@bp.get("/providers/<slug>")
def page(slug: str) -> ResponseReturnValue:
    profile = provider_profile.provider_profile(slug)
    if profile is None:
        abort(404)
    company_id = profile.company.id
    listing = reviews.visible_reviews(company_id, clean_page(request.args.get("page")))
    reported: set[int] = set()
    to_review = []
    if current_user.is_authenticated:
        reported = reviews.reported_by(current_user.id, (r.id for r in listing.items))
        to_review = reviews.reviewable_vouchers(current_user.id, company_id)
    return render_page_or_fragment(
        "providers/page.html",
        "providers/_page.html",
        profile=profile,
        summary=reviews.rating_summary(company_id=company_id),
        listing=listing,
        reported=reported,
        to_review=to_review,
    )


def _review_refusal(outcome: ReviewOutcome) -> str:
    if outcome is ReviewOutcome.ALREADY_REVIEWED:
        return _("You have already reviewed this voucher.")
    return _("You can review a voucher once you have redeemed it.")


@bp.route("/providers/<slug>/vouchers/<int:voucher_id>/review", methods=["GET", "POST"])
@limiter.limit(REVIEW_LIMITS, key_func=user_key, methods=["POST"])
@login_required
def review(slug: str, voucher_id: int) -> ResponseReturnValue:
    voucher = provider_profile.company_voucher(slug, voucher_id)
    if voucher is None:
        abort(404)
    back = url_for("providers.page", slug=slug)
    eligibility = reviews.review_eligibility(current_user.id, voucher_id)
    if eligibility is not ReviewOutcome.OK:
        flash(_review_refusal(eligibility), "error")
        return redirect_after_post(back)
    form = ReviewForm()
    if form.validate_on_submit():
        result = reviews.leave_review(
            current_user.id, voucher_id, form.rating.data or 0, form.text.data or ""
        )
        if result.ok and result.review is not None:
            flash(_("Thank you! Your review is on the page."))
            return redirect_after_post(f"{back}#review-{result.review.id}")
        if result.outcome is ReviewOutcome.INVALID:
            form.text.errors = [_("Check your rating and keep the review to 1000 characters.")]
        else:
            flash(_review_refusal(result.outcome), "error")
            return redirect_after_post(back)
    return render_template("providers/review_form.html", form=form, voucher=voucher, slug=slug)


def _report_message(outcome: ReportOutcome) -> tuple[str, str]:
    messages = {
        ReportOutcome.OK: (_("Thank you. A moderator will look at this review."), "message"),
        ReportOutcome.ALREADY_REPORTED: (_("You have already reported this review."), "message"),
        ReportOutcome.OWN_REVIEW: (_("You cannot report your own review."), "error"),
        ReportOutcome.NOT_VERIFIED: (
            _("Verify your phone and email to report reviews."),
            "error",
        ),
        ReportOutcome.COMPANY_MEMBER: (
            _("You work for this company, so you cannot report its reviews."),
            "error",
        ),
    }
    return messages.get(outcome, (_("This review cannot be reported."), "error"))


@bp.route("/reviews/<int:review_id>/report", methods=["GET", "POST"])
@limiter.limit(REPORT_LIMITS, key_func=user_key, methods=["POST"])
@login_required
def report(review_id: int) -> ResponseReturnValue:
    target = reviews.visible_review(review_id)
    if target is None:
        abort(404)
    back = safe_next(request.values.get("next")) or url_for(
        "providers.page", slug=target.company.slug
    )
    refusal = reviews.report_refusal(current_user.id, target)
    if refusal is not None:
        # Said before the form is filled in, not after: the reason would be wasted typing.
        message, category = _report_message(refusal)
        flash(message, category)
        return redirect_after_post(back)
    form = ReportForm()
    if form.validate_on_submit():
        outcome = reviews.report_review(
            current_user.id, review_id, form.reason.data or "", ip=client_ip()
        )
        if outcome is not ReportOutcome.INVALID:
            message, category = _report_message(outcome)
            flash(message, category)
            return redirect_after_post(back)
        form.reason.errors = [_("Choose why you are reporting this review.")]
    return render_template("providers/report.html", form=form, review=target, next_url=back)
