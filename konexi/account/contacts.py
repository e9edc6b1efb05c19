"""/account/email and /account/phone: see the contact, change it with a code sent to the new one.

Every form works as a plain POST (303 back to the page, or the page again with the error next to
the field) and through htmx (only the section is swapped; a finished change redirects).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_fresh, login_required, login_user

from konexi.account import bp
from konexi.account.forms import ChangeContactForm
from konexi.auth.forms import CodeForm
from konexi.auth.limits import VERIFY_PER_USER, user_key
from konexi.auth.routes import too_many_codes_message
from konexi.auth.verify import code_problem
from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.models import User
from konexi.services.accounts import contact_changes
from konexi.services.accounts.accounts import AccountError
from konexi.services.accounts.contact_ownership import ContactKind
from konexi.services.accounts.contacts import display_phone
from konexi.services.accounts.verification import TooManyCodes
from konexi.web.htmx import redirect_after_post, render_page_or_fragment

# Asking for codes to new addresses costs an SMS or an email each: fixed per-user limits.
CONTACT_CHANGE_PER_USER = rate_limit("RATELIMIT_CONTACT_CHANGE_PER_USER")
_PAGE = "account/contact.html"
_FRAGMENT = "account/_contact.html"


def shown(kind: str, value: str | None) -> str | None:
    """How an address is shown to its owner."""
    if value is None:
        return None
    return display_phone(value) if kind == "phone" else value


def _user() -> User:
    return current_user._get_current_object()


def _answer(kind: ContactKind, status: int = 200, **overrides: Any) -> ResponseReturnValue:
    user = _user()
    context: dict[str, Any] = {
        "kind": kind,
        "current": shown(kind, user.email if kind == "email" else user.phone),
        "verified": (user.email_verified_at if kind == "email" else user.phone_verified_at),
        "pending": shown(kind, contact_changes.pending_of(user, kind)),
        "form": ChangeContactForm(formdata=None).for_kind(kind),
        "code_form": CodeForm(prefix="new", formdata=None),
        "needs_password": bool(user.password_hash),
        "notice": None,
    }
    context.update(overrides)
    response = render_page_or_fragment(_PAGE, _FRAGMENT, **context)
    response.status_code = status
    return response


@bp.get("/<any(email, phone):kind>")
@login_required
def contact(kind: ContactKind) -> ResponseReturnValue:
    return _answer(kind)


@bp.post("/<any(email, phone):kind>")
@login_required
@limiter.limit(CONTACT_CHANGE_PER_USER, key_func=user_key)
def request_contact_change(kind: ContactKind) -> ResponseReturnValue:
    form = ChangeContactForm().for_kind(kind)
    try:
        contact_changes.request_change(
            _user(),
            kind,
            form.address.data or "",
            form.password.data or "",
            fresh_login=login_fresh(),
            ip=client_ip(),
        )
    except AccountError as error:
        form.show_errors(error)
        return _answer(kind, 422, form=form)
    except TooManyCodes as refused:
        form.address.errors = [too_many_codes_message(refused)]
        return _answer(kind, 429, form=form)
    flash(
        _(
            "We sent a code to %(address)s. Type it below to finish the change.",
            address=shown(kind, contact_changes.pending_of(_user(), kind)),
        )
    )
    return redirect_after_post(url_for("account.contact", kind=kind))


@bp.post("/<any(email, phone):kind>/confirm")
@login_required
@limiter.limit(VERIFY_PER_USER, key_func=user_key)
def confirm_contact_change(kind: ContactKind) -> ResponseReturnValue:
    code_form = CodeForm(prefix="new")
    if not code_form.validate():
        return _answer(kind, 422, code_form=code_form)
    user = _user()
    try:
        check = contact_changes.confirm_change(user, kind, code_form.code.data or "")
    except AccountError as error:
        form = ChangeContactForm(formdata=None).for_kind(kind)
        form.show_errors(error)
        return _answer(kind, 422, form=form)
    if not check.ok:
        code_form.code.errors = [code_problem(check)]
        return _answer(kind, 422, code_form=code_form)
    # The bumped session version ended every session, this one too: start a new one.
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=cookie in request.cookies)
    message = (
        _("Your email address is changed. You were logged out everywhere else.")
        if kind == "email"
        else _("Your phone number is changed. You were logged out everywhere else.")
    )
    flash(message, "success")
    return redirect_after_post(url_for("account.index"))


@bp.post("/<any(email, phone):kind>/resend")
@login_required
@limiter.limit(CONTACT_CHANGE_PER_USER, key_func=user_key)
def resend_contact_code(kind: ContactKind) -> ResponseReturnValue:
    try:
        contact_changes.send_code(_user(), kind, client_ip())
    except (AccountError, TooManyCodes) as error:
        message = too_many_codes_message(error) if isinstance(error, TooManyCodes) else None
        return _answer(
            kind, 429 if message else 422, notice=message or _("Enter the new address first.")
        )
    return _answer(kind, notice=_("We sent a new code."))


@bp.post("/<any(email, phone):kind>/cancel")
@login_required
def cancel_contact_change(kind: ContactKind) -> ResponseReturnValue:
    contact_changes.cancel_change(_user(), kind)
    flash(_("The change is cancelled."))
    return redirect_after_post(url_for("account.contact", kind=kind))
