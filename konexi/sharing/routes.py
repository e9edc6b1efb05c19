"""Share a voucher with a friend (``/vouchers/<id>/share``) and the shared link (``/s/<token>``)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from konexi.config import rate_limit
from konexi.extensions import client_ip, db, limiter
from konexi.i18n import current_language
from konexi.models import Voucher, VoucherStatus
from konexi.services.sharing import inbox, sharing
from konexi.services.sharing.sharing import ShareError, ShareResult
from konexi.sharing import bp
from konexi.sharing.forms import ShareForm
from konexi.urls import external_url
from konexi.web.htmx import redirect_after_post, wants_fragment
from konexi.web.rate_limited import in_place

# Every POST counts, typos included: a flood guard only. The rule people meet first is the
# service's (10 shares a day per user and per network), which answers with a readable message.
POSTS_PER_USER = rate_limit("RATELIMIT_SHARES_PER_USER")
POSTS_PER_IP = rate_limit("RATELIMIT_SHARES_PER_IP")
_LIMIT_REASONS = {"sender_limit", "ip_limit", "recipient_limit"}
_FACEBOOK = "https://www.facebook.com/sharer/sharer.php?"
# Link previews (chat apps, social sites) fetch the page without a person opening it.
_PREVIEW_AGENTS = re.compile(r"bot|crawler|spider|preview|facebookexternalhit|whatsapp", re.I)


def voucher_path(voucher_id: int) -> str:
    """The voucher page (the vouchers blueprint serves it)."""
    return url_for("vouchers.detail", voucher_id=voucher_id)


@bp.app_template_global()
def new_share_form() -> ShareForm:
    """An empty share form for pages that include ``sharing/_share_buttons.html``."""
    return ShareForm(formdata=None)


@bp.app_template_global()
def voucher_shareable(voucher: Voucher) -> bool:
    return sharing.voucher_state(voucher) == sharing.Availability.LIVE


@bp.app_template_global()
def share_intents(voucher: Voucher) -> list[tuple[str, str, str]]:
    """(name, label, href) of the share links that need no API: WhatsApp, Facebook and X."""
    url = external_url("vouchers.detail", voucher_id=voucher.id)
    company = voucher.company.name
    text = _("%(title)s at %(company)s, on Konexi", title=voucher.title, company=company)
    return [
        ("whatsapp", "WhatsApp", "https://wa.me/?" + urlencode({"text": f"{text} {url}"})),
        ("facebook", "Facebook", _FACEBOOK + urlencode({"u": url})),
        ("x", "X", "https://twitter.com/intent/tweet?" + urlencode({"text": text, "url": url})),
    ]


def _user_key() -> str:
    if current_user.is_authenticated:
        return f"share-user:{current_user.id}"
    return "share-ip:" + client_ip()


def _shareable(voucher_id: int) -> Voucher | None:
    voucher = db.session.scalar(
        select(Voucher)
        .where(Voucher.id == voucher_id)
        .options(joinedload(Voucher.company), joinedload(Voucher.category))
    )
    return None if voucher is None or voucher.status == VoucherStatus.DRAFT else voucher


def _voucher_or_404(voucher_id: int) -> Voucher:
    voucher = _shareable(voucher_id)
    if voucher is None:
        abort(404)
    return voucher


def _render(
    voucher: Voucher, form: ShareForm, status: int = 200, sent: ShareResult | None = None
) -> Response:
    context = {"voucher": voucher, "share_form": form, "sent": sent}
    if wants_fragment():
        # htmx swaps only 2xx answers: errors come back as 200 with the messages in the form.
        response = make_response(render_template("sharing/_share_form.html", **context))
    else:
        response = make_response(render_template("sharing/share.html", **context), status)
    response.vary.add("HX-Request")
    return response


def _shares_limited(message: str) -> Response | None:
    """Too many shares: the form as typed, the message under the friend's contact."""
    voucher = _shareable(int((request.view_args or {}).get("voucher_id", 0)))
    if voucher is None:
        return None
    form = ShareForm()
    form.contact.errors = [message]
    return _render(voucher, form)


@bp.route("/vouchers/<int:voucher_id>/share", methods=["GET", "POST"])
@limiter.limit(
    POSTS_PER_USER, key_func=_user_key, methods=["POST"], on_breach=in_place(_shares_limited)
)
@limiter.limit(POSTS_PER_IP, methods=["POST"], on_breach=in_place(_shares_limited))
def share(voucher_id: int) -> ResponseReturnValue:
    voucher = _voucher_or_404(voucher_id)
    form = ShareForm()
    if request.method == "GET":
        return _render(voucher, form)
    if not current_user.is_authenticated:
        return redirect_after_post(url_for("auth.login", next=voucher_path(voucher.id)))
    if not current_user.is_verified:
        return _render(voucher, form, 403)  # the template says why, with a link to /verify
    if not form.validate_on_submit():
        return _render(voucher, form, 422)
    try:
        result = sharing.share_voucher(
            current_user.id,
            voucher.id,
            form.contact.data or "",
            form.message.data,
            client_ip(),
            locale=current_language(),
        )
    except ShareError as error:
        form.show_error(error)
        return _render(voucher, form, 429 if error.reason in _LIMIT_REASONS else 422)
    if wants_fragment():
        return _render(voucher, ShareForm(formdata=None), sent=result)
    flash(sent_note(result))
    return redirect_after_post(voucher_path(voucher.id))


@bp.app_template_global()
def sent_note(result: ShareResult) -> str:
    """The confirmation: the friend's public name only when their account lets people find it."""
    if result.recipient_name:
        return _(
            "Sent to %(name)s (%(to)s). It is also in their Konexi inbox.",
            name=result.recipient_name,
            to=result.masked_recipient,
        )
    return _("Sent to %(to)s.", to=result.masked_recipient)


@bp.post("/me/shared/<int:share_id>/dismiss")
def dismiss_shared(share_id: int) -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return redirect_after_post(url_for("auth.login", next=url_for("vouchers.mine")))
    if not inbox.dismiss_shared(current_user.id, share_id):
        abort(404)
    if wants_fragment():
        return ""  # htmx removes the entry
    flash(_("Removed from “Shared with me”."))
    return redirect_after_post(url_for("vouchers.mine"))


@bp.get("/s/<token>")
def landing(token: str) -> ResponseReturnValue:
    # Nothing about the sender is shown (not even a first name): the link may be forwarded,
    # and who shared what with whom is the sender's business.
    if len(token) > 64:
        abort(404)
    agent = request.headers.get("User-Agent", "")
    is_visit = request.method == "GET" and not _PREVIEW_AGENTS.search(agent)
    shared = sharing.open_shared_voucher(token, count_open=is_visit)
    if shared is None:
        abort(404)
    next_path = voucher_path(shared.voucher.id)
    response = make_response(
        render_template(
            "sharing/landing.html",
            voucher=shared.voucher,
            state=shared.state,
            voucher_url=next_path,
            signup_url=url_for("auth.signup", next=next_path),
            login_url=url_for("auth.login", next=next_path),
        ),
        # Gone for good: the sender withdrew the link.
        410 if shared.state == sharing.Availability.WITHDRAWN else 200,
    )
    # The token is a capability: keep it out of search engines and other sites' Referer headers.
    # Not "no-referrer": over HTTPS the CSRF check wants a same-origin Referer on every POST,
    # and this page's forms (log out) would all fail with "Form expired".
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
