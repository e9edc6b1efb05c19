"""/auth/<provider>/login and /callback, completing a social sign-up, and /account/linked."""

from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from joserfc.errors import JoseError

from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.i18n import current_language
from konexi.services.accounts import social_accounts
from konexi.services.accounts.accounts import AccountError
from konexi.services.accounts.social_accounts import Identity, Outcome
from konexi.services.accounts.verification import Purpose, has_live_code
from konexi.social import bp, client, configured_providers
from konexi.social.forms import CompleteSignupForm
from konexi.web.htmx import redirect_after_post

_PENDING = "social_pending"
PROVIDER_NAMES = {"google": "Google", "facebook": "Facebook"}


def _client_or_404(provider: str) -> FlaskOAuth2App:
    oauth_client = client(provider)
    if oauth_client is None:
        abort(404)
    return oauth_client


@bp.get("/auth/<provider>/login")
def login(provider: str) -> ResponseReturnValue:
    oauth_client = _client_or_404(provider)
    redirect_uri = url_for("social.callback", provider=provider, _external=True)
    return oauth_client.authorize_redirect(redirect_uri)


def _identity(provider: str, oauth_client: Any, token: dict[str, Any]) -> Identity:
    if provider == "google":
        # Authlib has checked the id_token (signature against the JWKS, issuer, audience,
        # expiry and the nonce it stored in the session) and put its claims in "userinfo".
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise OAuthError(description="no id_token")
        return Identity(
            provider=provider,
            subject=str(claims["sub"]),
            email=claims.get("email"),
            name=claims.get("name"),
            email_verified=bool(claims.get("email_verified")),
        )
    response = oauth_client.get("me", params={"fields": "id,name,email"}, token=token)
    response.raise_for_status()
    data = response.json()
    if not data.get("id"):
        raise OAuthError(description="no user id")
    return Identity(
        provider=provider,
        subject=str(data["id"]),
        email=data.get("email"),
        name=data.get("name"),
        email_verified=False,
    )


@bp.get("/auth/<provider>/callback")
@limiter.limit(rate_limit("RATELIMIT_SOCIAL_CALLBACK_PER_IP"))
def callback(provider: str) -> ResponseReturnValue:
    oauth_client = _client_or_404(provider)
    name = PROVIDER_NAMES[provider]
    try:
        token = oauth_client.authorize_access_token()
        identity = _identity(provider, oauth_client, token)
    except (AuthlibBaseError, JoseError, requests.RequestException, KeyError, ValueError) as exc:
        current_app.logger.info("social sign-in with %s failed: %s", provider, exc)
        flash(
            _("Signing in with %(provider)s did not work. Please try again.", provider=name),
            "error",
        )
        target = "social.linked" if current_user.is_authenticated else "auth.login"
        return redirect(url_for(target))

    user_id = current_user.id if current_user.is_authenticated else None
    result = social_accounts.login_or_link(identity, user_id)
    outcome = result.outcome
    if outcome is Outcome.LOGGED_IN and result.user is not None:
        if not login_user(result.user):
            flash(_("This account is closed."), "error")
            return redirect(url_for("auth.login"))
        return redirect(url_for("feed.index"))
    if outcome is Outcome.LINKED:
        flash(_("Your %(provider)s account is linked.", provider=name))
    elif outcome is Outcome.ALREADY_LINKED:
        flash(_("Your %(provider)s account was already linked.", provider=name))
    elif outcome is Outcome.LINKED_ELSEWHERE:
        flash(
            _("This %(provider)s account is linked to another Konexi account.", provider=name),
            "error",
        )
    elif outcome is Outcome.PROVIDER_TAKEN:
        flash(_("Unlink your other %(provider)s account first.", provider=name), "error")
    elif outcome is Outcome.EMAIL_EXISTS:
        flash(
            _(
                "A Konexi account already uses this email. Log in with your password, then "
                "link %(provider)s from Account › Linked accounts.",
                provider=name,
            ),
            "error",
        )
        return redirect(url_for("auth.login", next=url_for("social.linked")))
    elif outcome is Outcome.SIGNUP:
        session[_PENDING] = {
            "provider": identity.provider,
            "subject": identity.subject,
            "email": identity.email,
            "name": identity.name,
            "email_verified": identity.email_verified,
        }
        return redirect(url_for("social.complete_signup"))
    return redirect(url_for("social.linked"))


@bp.route("/auth/complete-signup", methods=["GET", "POST"])
@limiter.limit(rate_limit("RATELIMIT_SOCIAL_SIGNUP_PER_IP"), methods=["POST"])
def complete_signup() -> ResponseReturnValue:
    pending = session.get(_PENDING)
    if current_user.is_authenticated or not pending:
        session.pop(_PENDING, None)
        return redirect(url_for("feed.index"))
    identity = Identity(**pending)
    form = CompleteSignupForm()
    if request.method == "GET":
        form.name.data = identity.name or ""
        form.email.data = identity.email or ""
    unavailable: frozenset[str] = frozenset()
    if form.validate_on_submit():
        try:
            user = social_accounts.complete_signup(
                identity,
                name=form.name.data or "",
                email=form.email.data or "",
                phone=form.phone.data or "",
                ip=client_ip(),
                locale=current_language(),
            )
        except AccountError as error:
            form.show_errors(error)
            unavailable = error.unavailable
        else:
            session.pop(_PENDING, None)
            login_user(user)
            if has_live_code(Purpose.VERIFY_PHONE, user.phone, user.id):
                flash(_("Welcome! We sent a code to your phone."))
            else:  # a limit stopped it: the verify page says when to ask (never "we sent")
                flash(_("Welcome! We could not send a code to your phone yet."), "error")
            return redirect_after_post(url_for("auth.verify"))
    return render_template(
        "social/complete_signup.html",
        form=form,
        provider=PROVIDER_NAMES.get(identity.provider, identity.provider),
        unavailable=unavailable,
    )


@bp.get("/account/linked")
@login_required
def linked() -> ResponseReturnValue:
    links = social_accounts.links_of(current_user)
    linked_providers = {link.provider for link in links}
    return render_template(
        "social/linked.html",
        links=links,
        names=PROVIDER_NAMES,
        can_link=[p for p in configured_providers() if p not in linked_providers],
        has_password=current_user.password_hash is not None,
    )


@bp.post("/account/linked/<provider>/unlink")
@login_required
def unlink(provider: str) -> ResponseReturnValue:
    if provider not in PROVIDER_NAMES:
        abort(404)
    try:
        removed = social_accounts.unlink(current_user, provider)
    except social_accounts.UnlinkRefused:
        flash(_("This is your only way to log in. Set a password first, then unlink."), "error")
    else:
        if removed:
            flash(_("%(provider)s is no longer linked.", provider=PROVIDER_NAMES[provider]))
    return redirect_after_post(url_for("social.linked"))
