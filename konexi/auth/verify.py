"""/verify: prove the phone (SMS code) and the email (code or link).

Each form works as a plain POST (the whole page comes back, or a 303 to it) and as an htmx
request (only that section is swapped).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from konexi.auth import bp, limits
from konexi.auth.forms import CodeForm
from konexi.auth.navigation import AFTER_VERIFY
from konexi.auth.routes import too_many_codes_message
from konexi.extensions import client_ip, limiter
from konexi.messaging.outbox import could_not_deliver
from konexi.models import User
from konexi.services.accounts import accounts
from konexi.services.accounts.contacts import display_phone
from konexi.services.accounts.verification import (
    CodeCheck,
    CodeStatus,
    Purpose,
    TooManyCodes,
    has_live_code,
)
from konexi.web.htmx import redirect_after_post, render_page_or_fragment, wants_fragment
from konexi.web.rate_limited import in_place

_PAGE = "auth/verify.html"
_FRAGMENTS = {"phone": "auth/_verify_phone.html", "email": "auth/_verify_email.html"}


def code_problem(check: CodeCheck) -> str:
    """What to tell the user about a code that did not work."""
    if check.status is CodeStatus.WRONG:
        return ngettext(
            "That code is wrong. You have %(num)d try left.",
            "That code is wrong. You have %(num)d tries left.",
            check.attempts_left,
        )
    if check.status is CodeStatus.EXHAUSTED:
        return _("Too many wrong tries. Ask for a new code.")
    if check.status is CodeStatus.EXPIRED:
        return _("That code has expired. Ask for a new code.")
    if check.code is None:
        return _("We have not sent you a code yet. Ask for one with the button below.")
    return _("That code can no longer be used. Ask for a new code.")


def _context(**overrides: Any) -> dict[str, Any]:
    user = current_user
    context: dict[str, Any] = {
        "phone_form": CodeForm(prefix="phone", formdata=None),
        "email_form": CodeForm(prefix="email", formdata=None),
        "phone_display": display_phone(user.phone) if user.phone else None,
        "email_display": user.email,
        "phone_notice": None,
        "email_notice": None,
        # A rate limit hit: said beside the button that hit it.
        "phone_limited": None,
        "email_limited": None,
        # What the page says about a code must match what was really sent.
        "phone_code_waiting": has_live_code(Purpose.VERIFY_PHONE, user.phone, user.id),
        "email_code_waiting": has_live_code(Purpose.VERIFY_EMAIL, user.email, user.id),
    }
    if user.phone_verified_at is None and could_not_deliver(user.id, Purpose.VERIFY_PHONE.value):
        # Twilio refused the number for good (e.g. error 21211): waiting for a code is pointless.
        context["phone_notice"] = _(
            "We could not text %(phone)s. Check that the number is right and can receive SMS.",
            phone=context["phone_display"],
        )
        context["notice_category"] = "error"
    context.update(overrides)
    return context


def _answer(section: str, **context: Any) -> Response:
    return render_page_or_fragment(_PAGE, _FRAGMENTS[section], **_context(**context))


def _done_or_section(section: str, message: str) -> ResponseReturnValue:
    """After a success: leave when both are verified, else show what is left."""
    if current_user.is_verified:
        flash(_("Your phone and email are verified. You can claim vouchers now."))
        return redirect_after_post(session.pop(AFTER_VERIFY, None) or url_for("feed.index"))
    if wants_fragment():
        return _answer(section, **{f"{section}_notice": message})
    flash(message)
    return redirect_after_post(url_for("auth.verify"))


def _notice_or_redirect(
    section: str, message: str, category: str = "message"
) -> ResponseReturnValue:
    if wants_fragment():
        return _answer(section, **{f"{section}_notice": message, "notice_category": category})
    flash(message, category)
    return redirect_after_post(url_for("auth.verify"))


def _limited_code(section: str) -> Callable[[str], Response | None]:
    """Too many codes typed: the message under the code field, the section otherwise as it was."""

    def render(message: str) -> Response | None:
        if not current_user.is_authenticated or _missing(section):
            return None
        form = CodeForm(prefix=section)
        form.code.errors = [message]
        return _answer(section, **{f"{section}_form": form})

    return render


def _limited_resend(section: str) -> Callable[[str], Response | None]:
    """Too many new codes asked for: the message beside the "Send a new code" button."""

    def render(message: str) -> Response | None:
        if not current_user.is_authenticated or _missing(section):
            return None
        return _answer(section, **{f"{section}_limited": message})

    return render


def _is_verified(section: str) -> bool:
    user = current_user
    return (user.phone_verified_at if section == "phone" else user.email_verified_at) is not None


@bp.get("/verify")
@login_required
def verify() -> ResponseReturnValue:
    return render_template(_PAGE, **_context())


def _missing(section: str) -> bool:
    """The account has no such contact (detached): it is added from the account page."""
    return (current_user.phone if section == "phone" else current_user.email) is None


def _confirm(
    section: str, confirm: Callable[[User, str], CodeCheck], verified_message: str
) -> ResponseReturnValue:
    if _missing(section):
        return redirect_after_post(url_for("account.contact", kind=section))
    form = CodeForm(prefix=section)
    already = _is_verified(section)
    if already:
        return _done_or_section(section, verified_message)
    if form.validate_on_submit():
        check = confirm(current_user._get_current_object(), form.code.data or "")
        if check.ok:
            return _done_or_section(section, verified_message)
        form.code.errors.append(code_problem(check))
    return _answer(section, **{f"{section}_form": form})


@bp.post("/verify/phone")
@login_required
@limiter.limit(
    limits.VERIFY_PER_USER, key_func=limits.user_key, on_breach=in_place(_limited_code("phone"))
)
def verify_phone() -> ResponseReturnValue:
    return _confirm("phone", accounts.confirm_phone, _("Your phone number is verified."))


@bp.post("/verify/email")
@login_required
@limiter.limit(
    limits.VERIFY_PER_USER, key_func=limits.user_key, on_breach=in_place(_limited_code("email"))
)
def verify_email() -> ResponseReturnValue:
    return _confirm("email", accounts.confirm_email, _("Your email is verified."))


def _resend(
    section: str, send: Callable[[User, str | None], None], sent_message: str
) -> ResponseReturnValue:
    if _missing(section):
        return redirect_after_post(url_for("account.contact", kind=section))
    already = _is_verified(section)
    if already:
        return _done_or_section(section, "")
    try:
        send(current_user._get_current_object(), client_ip())
    except TooManyCodes as refused:
        return _notice_or_redirect(section, too_many_codes_message(refused), "error")
    return _notice_or_redirect(section, sent_message)


@bp.post("/verify/phone/resend")
@login_required
@limiter.limit(
    limits.RESEND_PER_USER, key_func=limits.user_key, on_breach=in_place(_limited_resend("phone"))
)
def verify_phone_resend() -> ResponseReturnValue:
    message = _("We sent a new code to %(phone)s.", phone=display_phone(current_user.phone or ""))
    return _resend("phone", accounts.send_phone_code, message)


@bp.post("/verify/email/resend")
@login_required
@limiter.limit(
    limits.RESEND_PER_USER, key_func=limits.user_key, on_breach=in_place(_limited_resend("email"))
)
def verify_email_resend() -> ResponseReturnValue:
    message = _("We sent a new code and link to %(email)s.", email=current_user.email)
    return _resend("email", accounts.send_email_code, message)


@bp.get("/verify/email/<token>")
@limiter.limit(limits.EMAIL_LINK_PER_IP)
def verify_email_link(token: str) -> ResponseReturnValue:
    me = current_user.id if current_user.is_authenticated else None
    try:
        check, user = accounts.confirm_email_link(token, me)
    except accounts.LoginNeeded:
        # Log in (as the account the link was sent for), then come back to the same link.
        return render_template(
            "auth/email_link.html",
            login_needed=True,
            login_url=url_for("auth.login", next=url_for("auth.verify_email_link", token=token)),
        ), 403
    verified = user is not None and user.email_verified_at is not None
    is_me = bool(user and verified and current_user.is_authenticated and current_user.id == user.id)
    return render_template("auth/email_link.html", verified=verified, is_me=is_me, check=check)
