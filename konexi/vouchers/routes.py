"""The voucher page and the claim button.

Forms here are single buttons: CSRFProtect checks their token (field or X-CSRFToken header)
on every POST before a view runs, so there is no FlaskForm to validate.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.auth.navigation import remember_destination
from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.i18n import current_language
from konexi.services.claims import claims, voucher_stats
from konexi.services.claims.claims import ClaimOutcome
from konexi.vouchers import bp
from konexi.web.htmx import redirect_after_post, render_page_or_fragment, wants_fragment
from konexi.web.rate_limited import in_place

# Per user, not per IP: many Indonesian mobile users share one carrier-grade NAT address.
CLAIM_LIMITS = rate_limit("RATELIMIT_CLAIMS_PER_USER")


def claimer_key() -> str:
    """The logged-in user, or the client IP for anonymous requests."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + client_ip()


@bp.app_template_global()
def claim_outcome_message(outcome: str) -> str:
    """Why a voucher cannot be claimed, in a sentence for the user."""
    messages = {
        ClaimOutcome.SOLD_OUT: _("Sold out: every voucher has been claimed."),
        # Not an error: the person holds as many as one may (usually the one they just claimed).
        ClaimOutcome.LIMIT_REACHED: _("You have this voucher."),
        ClaimOutcome.NOT_LIVE: _("This voucher is paused and can't be claimed right now."),
        ClaimOutcome.NOT_STARTED: _("This voucher can't be claimed yet."),
        ClaimOutcome.ENDED: _("This voucher has ended."),
        ClaimOutcome.PROVIDER_INACTIVE: _("This voucher is not available right now."),
        ClaimOutcome.UNVERIFIED: _("Verify your phone and email to claim vouchers."),
    }
    return messages.get(ClaimOutcome(outcome), "")


@bp.app_template_global()
def voucher_status_label(outcome: str) -> str:
    """A short status for a voucher: live, sold out, ended, …"""
    labels = {
        ClaimOutcome.OK: _("Live"),
        ClaimOutcome.SOLD_OUT: _("Sold out"),
        ClaimOutcome.NOT_LIVE: _("Paused"),
        ClaimOutcome.NOT_STARTED: _("Not started"),
        ClaimOutcome.ENDED: _("Ended"),
        ClaimOutcome.PROVIDER_INACTIVE: _("Not available"),
    }
    return labels.get(ClaimOutcome(outcome), "")


def _detail_context(voucher_id: int) -> dict[str, object]:
    voucher = claims.voucher_details(voucher_id)
    if voucher is None:
        abort(404)
    mine = []
    if current_user.is_authenticated:
        mine = claims.claims_on_voucher(current_user.id, voucher.id)
    return {
        "voucher": voucher,
        "availability": claims.availability(voucher),
        "my_claims": mine,
    }


@bp.get("/vouchers/<int:voucher_id>")
def detail(voucher_id: int) -> ResponseReturnValue:
    context = _detail_context(voucher_id)
    user_id = current_user.id if current_user.is_authenticated else None
    visitor = voucher_stats.visitor_id(user_id, client_ip(), request.user_agent.string)
    voucher_stats.record_view(voucher_id, visitor)
    return render_page_or_fragment("vouchers/detail.html", "vouchers/_detail.html", **context)


def _login_first(voucher_id: int) -> ResponseReturnValue:
    return redirect_after_post(
        url_for("auth.login", next=url_for("vouchers.detail", voucher_id=voucher_id))
    )


def _refused(voucher_id: int, outcome: ClaimOutcome) -> ResponseReturnValue:
    if wants_fragment():
        # The box as it now stands (the person's codes, the reason), and the count beside it.
        return render_template(
            "vouchers/_claim_box.html", out_of_band=True, **_detail_context(voucher_id)
        )
    flash(claim_outcome_message(outcome), "error")
    return redirect(url_for("vouchers.detail", voucher_id=voucher_id), code=303)


def _claims_limited(message: str) -> Response | None:
    """Too many claim taps: the voucher page (or its claim box) with the message in the box."""
    voucher_id = int((request.view_args or {}).get("voucher_id", 0))
    if claims.voucher_details(voucher_id) is None:
        return None
    return render_page_or_fragment(
        "vouchers/detail.html",
        "vouchers/_claim_box.html",
        limited=message,
        **_detail_context(voucher_id),
    )


@bp.post("/vouchers/<int:voucher_id>/claim")
@limiter.limit(CLAIM_LIMITS, key_func=claimer_key, on_breach=in_place(_claims_limited))
def claim(voucher_id: int) -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return _login_first(voucher_id)
    if not current_user.is_verified:
        remember_destination(url_for("vouchers.detail", voucher_id=voucher_id))
        return _refused(voucher_id, ClaimOutcome.UNVERIFIED)
    result = claims.claim_voucher(current_user.id, voucher_id, locale=current_language())
    if result.outcome is ClaimOutcome.NOT_FOUND:
        abort(404)
    if not result.ok or result.claim is None:
        return _refused(voucher_id, result.outcome)
    if wants_fragment():
        return render_template(
            "vouchers/_claim_result.html",
            claim=result.claim,
            voucher=claims.voucher_details(voucher_id),
            out_of_band=True,
        )
    flash(_("Claimed! Show this code at the counter. We also sent it to you by SMS."))
    return redirect(url_for("vouchers.my_claim", claim_id=result.claim.id), code=303)
