"""Sign up, log in, log out, change or reset a password. Verification lives in ``verify.py``."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from konexi.auth import bp, limits
from konexi.auth.comeback import offer_comeback
from konexi.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from konexi.auth.navigation import remember_destination, safe_next
from konexi.extensions import client_ip, limiter
from konexi.i18n import current_language
from konexi.services.accounts import account_lifecycle, accounts, password_reset
from konexi.services.accounts.accounts import AccountError
from konexi.services.accounts.verification import TooManyCodes
from konexi.web.htmx import redirect_after_post

_RESET_IDENTIFIER = "reset_identifier"
_SIGNUP_PREFILL = "signup_prefill"


def too_many_codes_message(refused: TooManyCodes) -> str:
    """The truth about a code that was not sent, and when asking again will work."""
    return ngettext(
        "We did not send a code: too many were asked for. You can ask again in %(num)d minute.",
        "We did not send a code: too many were asked for. You can ask again in %(num)d minutes.",
        refused.minutes_to_wait(),
    )


def signup_codes_missing_message(result: accounts.SignupResult) -> str:
    """Which code a new account did not get, and when it can be asked for."""
    minutes = TooManyCodes(result.retry_at).minutes_to_wait()
    if result.phone_code_sent:
        return ngettext(
            "Welcome! We sent a code to your phone but not to your email: too many were asked "
            "for. You can ask for it in %(num)d minute.",
            "Welcome! We sent a code to your phone but not to your email: too many were asked "
            "for. You can ask for it in %(num)d minutes.",
            minutes,
        )
    if result.email_code_sent:
        return ngettext(
            "Welcome! We sent a code to your email but not to your phone: too many were asked "
            "for. You can ask for it in %(num)d minute.",
            "Welcome! We sent a code to your email but not to your phone: too many were asked "
            "for. You can ask for it in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Welcome! We did not send your codes: too many were asked for. You can ask for them in "
        "%(num)d minute.",
        "Welcome! We did not send your codes: too many were asked for. You can ask for them in "
        "%(num)d minutes.",
        minutes,
    )


def released_message(kind: str) -> str:
    """Why a reset code that worked did not open the account that listed the address."""
    if kind == "email":
        return _(
            "Your email was never confirmed on the account that listed it, and that account "
            "belongs to whoever confirmed its phone number. We removed your email from it: "
            "you can create your own account with it now."
        )
    return _(
        "Your phone number was never confirmed on the account that listed it, and that "
        "account belongs to whoever confirmed its email. We removed your number from it: "
        "you can create your own account with it now."
    )


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(limits.SIGNUP_PER_IP, methods=["POST"])
def signup() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("feed.index"))
    if request.args.get("next"):
        # e.g. from a shared voucher: after verifying, the new user lands back on it
        remember_destination(request.args.get("next"))
    form = SignupForm()
    prefill = session.pop(_SIGNUP_PREFILL, None)  # an address a reset code just freed
    if request.method == "GET" and isinstance(prefill, dict):
        for name in ("email", "phone"):
            if isinstance(prefill.get(name), str):
                getattr(form, name).data = prefill[name]
    unavailable: frozenset[str] = frozenset()
    if form.validate_on_submit():
        try:
            result = accounts.sign_up(
                name=form.name.data or "",
                email=form.email.data or "",
                phone=form.phone.data or "",
                password=form.password.data or "",
                ip=client_ip(),
                locale=current_language(),
            )
        except AccountError as error:
            form.show_errors(error)
            unavailable = error.unavailable
        else:
            login_user(result.user)
            if result.phone_code_sent and result.email_code_sent:
                flash(_("Welcome! We sent a code to your phone and another to your email."))
            else:
                flash(signup_codes_missing_message(result), "error")
            return redirect_after_post(url_for("auth.verify"))
    return render_template("auth/signup.html", form=form, unavailable=unavailable)


@bp.route("/login", methods=["GET", "POST"])
@limits.login_attempt_limits
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("feed.index"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        try:
            check = account_lifecycle.check_login(
                form.identifier.data or "", form.password.data or ""
            )
        except AccountError as error:
            form.show_errors(error)
        else:
            if check is not None and check.comeback is not None:
                return offer_comeback(check, bool(form.remember.data), next_url)
            if check is not None:
                login_user(check.user, remember=bool(form.remember.data))
                return redirect_after_post(next_url or url_for("feed.index"))
            failed = True
    return render_template("auth/login.html", form=form, next_url=next_url, failed=failed)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    flash(_("You are logged out."))
    response = redirect_after_post(url_for("feed.index"))
    # Nothing stays on the device: the offline counter's queue and sent list (localStorage), the
    # pages kept for offline use (Cache Storage) and the service worker go, JavaScript on or off.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.PASSWORD_CHANGE_PER_USER, key_func=limits.user_key, methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                user, form.current_password.data or "", form.new_password.data or ""
            )
        except AccountError as error:
            form.show_errors(error)
        else:
            # The bumped session version ended every session, this one too: start a new one.
            cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=cookie in request.cookies)
            flash(_("Your password is changed. You were logged out everywhere else."))
            return redirect_after_post(url_for("feed.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(limits.FORGOT_PER_IP, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            identifier = password_reset.request_password_reset(
                form.identifier.data or "", client_ip()
            )
        except AccountError as error:
            form.show_errors(error)
        except TooManyCodes as refused:
            form.identifier.errors.append(too_many_codes_message(refused))
        else:
            session[_RESET_IDENTIFIER] = identifier
            flash(_("If an account matches, we sent a code. It is valid for 10 minutes."))
            return redirect_after_post(url_for("auth.reset_password"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(limits.RESET_PER_IP, methods=["POST"])
@limiter.limit(limits.RESET_PER_ACCOUNT, key_func=limits.identifier_and_ip_key, methods=["POST"])
def reset_password() -> ResponseReturnValue:
    form = ResetPasswordForm()
    if request.method == "GET" and not form.identifier.data:
        form.identifier.data = session.get(_RESET_IDENTIFIER, "")
    if form.validate_on_submit():
        try:
            user = password_reset.reset_password(
                form.identifier.data or "", form.code.data or "", form.new_password.data or ""
            )
        except AccountError as error:
            form.show_errors(error)
        except password_reset.AddressReleased as released:
            session.pop(_RESET_IDENTIFIER, None)
            flash(released_message(released.kind), "error")
            # Prefilled from the session, not the URL (history, logs and Referer keep URLs).
            session[_SIGNUP_PREFILL] = {released.kind: released.address}
            return redirect_after_post(url_for("auth.signup"))
        else:
            session.pop(_RESET_IDENTIFIER, None)
            login_user(user)
            flash(_("Your password is changed. You were logged out everywhere else."))
            return redirect_after_post(url_for("feed.index"))
    return render_template("auth/reset_password.html", form=form)
