"""/login/welcome-back: a correct password on a closed account, or on one being deleted, offers
to reopen it (or cancel the deletion) and sign in; nothing changes until the person says so.

Only a correct password gets here (``account_lifecycle.check_login``): a wrong one gets the
login page's one failure message, whatever the account's status.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user

from konexi.auth import bp, limits
from konexi.auth.forms import LoginForm
from konexi.auth.navigation import safe_next
from konexi.extensions import limiter
from konexi.services.accounts import account_lifecycle
from konexi.services.accounts.account_lifecycle import Comeback, LoginCheck
from konexi.services.accounts.accounts import AccountError
from konexi.web.htmx import redirect_after_post

_PENDING = "comeback"
# The offer stands as long as a login form would take to fill in again; then the password is due.
OFFER_SECONDS = 600


def offer_comeback(check: LoginCheck, remember: bool, next_url: str | None) -> ResponseReturnValue:
    """Remember in this (signed) session that the password was right, then show the offer."""
    purge_after = check.purge_after
    session[_PENDING] = {
        "uid": check.user.id,
        "v": check.user.session_version,
        "kind": str(check.comeback),
        "at": int(time.time()),
        "until": purge_after.timestamp() if purge_after else None,
        "remember": remember,
        "next": next_url,
    }
    return redirect_after_post(url_for("auth.welcome_back"))


def _pending() -> dict[str, object] | None:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or pending.get("kind") not in set(Comeback):
        return None
    started = pending.get("at")
    if not isinstance(started, int) or time.time() - started > OFFER_SECONDS:
        session.pop(_PENDING, None)
        return None
    return pending


@bp.get("/login/welcome-back")
def welcome_back() -> ResponseReturnValue:
    pending = _pending()
    if pending is None:
        return redirect(url_for("auth.login"))
    until = pending.get("until")
    purge_date = datetime.fromtimestamp(until, UTC) if isinstance(until, int | float) else None
    return render_template(
        "auth/welcome_back.html", comeback=pending["kind"], purge_date=purge_date
    )


@bp.post("/login/welcome-back")
@limiter.limit(limits.LOGIN_PER_IP, deduct_when=limits.failed)
def welcome_back_confirm() -> ResponseReturnValue:
    # CSRFProtect has checked the token; the button is the whole form.
    pending = _pending()
    session.pop(_PENDING, None)
    if pending is None:
        return redirect_after_post(url_for("auth.login"))
    try:
        user = account_lifecycle.come_back(
            int(str(pending["uid"])), int(str(pending["v"])), Comeback(str(pending["kind"]))
        )
    except AccountError:
        # Too late (the purge date passed, or the account changed): the login page's one answer.
        return render_template("auth/login.html", form=LoginForm(), next_url=None, failed=True)
    login_user(user, remember=bool(pending.get("remember")))
    if pending["kind"] == Comeback.REOPEN:
        flash(_("Welcome back! Your account is open again."))
    else:
        flash(_("Welcome back! Your account will not be deleted."))
    next_url = pending.get("next")
    return redirect_after_post(
        safe_next(next_url if isinstance(next_url, str) else None) or url_for("feed.index")
    )
