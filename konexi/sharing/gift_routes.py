"""Give a claimed voucher to a friend (``/me/vouchers/<id>/give``), take it back, the friend's
``/g/<token>`` page to accept it, and withdrawing a share link."""

from __future__ import annotations

from flask import abort, flash, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.i18n import current_language
from konexi.models.base import utcnow
from konexi.services.claims import claims
from konexi.services.sharing import gifts, sharing
from konexi.services.sharing.gifts import AcceptOutcome, GiftError
from konexi.sharing import bp
from konexi.sharing.forms import GiftForm
from konexi.web.htmx import redirect_after_post

# Every POST counts, typos included: a flood guard. The readable rule is the service's
# (10 gifts a day per sender, 3 a day to one person).
GIFTS_PER_USER = rate_limit("RATELIMIT_GIFTS_PER_USER")
GIFTS_PER_IP = rate_limit("RATELIMIT_GIFTS_PER_IP")
ACCEPTS_PER_USER = rate_limit("RATELIMIT_CLAIMS_PER_USER")
_LIMIT_REASONS = {"sender_limit", "recipient_limit", "ip_limit", "sms_busy"}
_ACCEPT_STATUS = {
    AcceptOutcome.UNVERIFIED: 403,
    AcceptOutcome.NOT_FOR_YOU: 403,
    AcceptOutcome.LIMIT_REACHED: 409,
    AcceptOutcome.EXPIRED: 410,
    AcceptOutcome.UNAVAILABLE: 410,
}


bp.add_app_template_global(gifts.can_give, "can_give")


def _gift_user_key() -> str:
    return f"gift-user:{current_user.id}" if current_user.is_authenticated else client_ip()


def _give_page(claim_id: int, form: GiftForm, status: int = 200) -> Response:
    claim = claims.claim_for_owner(current_user.id, claim_id)
    if claim is None:
        abort(404)
    pending = gifts.pending_gifts_of(current_user.id).get(claim.id)
    page = render_template("sharing/give.html", claim=claim, form=form, pending_gift=pending)
    return make_response(page, status)


@bp.route("/me/vouchers/<int:claim_id>/give", methods=["GET", "POST"])
@login_required
@limiter.limit(GIFTS_PER_USER, key_func=_gift_user_key, methods=["POST"])
@limiter.limit(GIFTS_PER_IP, methods=["POST"])
def give(claim_id: int) -> Response:
    form = GiftForm()
    if not form.is_submitted():
        return _give_page(claim_id, form)
    if not form.validate():
        return _give_page(claim_id, form, 422)
    try:
        result = gifts.give_claim(
            current_user.id, claim_id, form.contact.data or "", current_language(), client_ip()
        )
    except GiftError as error:
        form.show_errors(error)
        return _give_page(claim_id, form, 429 if error.reason in _LIMIT_REASONS else 422)
    flash(
        _(
            "Sent to %(to)s. It stays yours until your friend accepts it.",
            to=result.masked_recipient,
        )
    )
    return redirect_after_post(url_for("vouchers.my_claim", claim_id=claim_id))


@bp.post("/me/gifts/<int:gift_id>/take-back")
@login_required
def take_back(gift_id: int) -> Response:
    if not gifts.take_back_gift(current_user.id, gift_id):
        abort(404)
    flash(_("Taken back. The voucher is yours again."))
    return redirect_after_post(url_for("vouchers.mine"))


@bp.post("/me/shares/<int:share_id>/withdraw")
@login_required
def withdraw_share(share_id: int) -> Response:
    if not sharing.withdraw_share(current_user.id, share_id):
        abort(404)
    flash(_("Link withdrawn. It now says the voucher is no longer available."))
    return redirect_after_post(url_for("vouchers.mine"))


def _gift_page(token: str, outcome: AcceptOutcome | None = None, status: int = 200) -> Response:
    gift = gifts.gift_for_token(token)
    if gift is None:
        abort(404)
    pending = gifts.is_open(gift)
    expired = outcome is AcceptOutcome.EXPIRED or (
        not pending and gifts.closed_reason(gift, utcnow()) is AcceptOutcome.EXPIRED
    )
    if not pending and status == 200:
        status = 410
    next_path = url_for("sharing.gift_landing", token=token)
    response = make_response(
        render_template(
            "sharing/gift.html",
            gift=gift,
            token=token,
            pending=pending,
            expired=expired,
            outcome=outcome,
            login_url=url_for("auth.login", next=next_path),
            signup_url=url_for("auth.signup", next=next_path),
        ),
        status,
    )
    # The token is the friend's capability: keep it out of search engines and Referer headers.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/g/<token>")
def gift_landing(token: str) -> Response:
    # Like a share link, the page says nothing about who gave it: the link may be forwarded.
    return _gift_page(token)


@bp.post("/g/<token>/accept")
@login_required
@limiter.limit(ACCEPTS_PER_USER, key_func=_gift_user_key)
def accept(token: str) -> Response:
    result = gifts.accept_gift(current_user.id, token)
    if result.outcome is AcceptOutcome.NOT_FOUND:
        abort(404)
    if not result.ok or result.claim is None:
        return _gift_page(token, result.outcome, _ACCEPT_STATUS.get(result.outcome, 409))
    flash(_("The voucher is yours. Show this code at the counter."))
    return redirect_after_post(url_for("vouchers.my_claim", claim_id=result.claim.id))
