"""/account/privacy: one htmx toggle per setting (saved at once) and a plain form for no-JS."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from konexi.account import bp
from konexi.account.forms import PrivacyForm
from konexi.services.privacy.privacy_settings import (
    PRIVACY_SETTINGS,
    privacy_values,
    set_privacy_setting,
    set_privacy_settings,
)
from konexi.web.htmx import wants_fragment


def _form() -> PrivacyForm:
    return PrivacyForm(formdata=None, **privacy_values(current_user))


@bp.get("/privacy")
@login_required
def privacy() -> ResponseReturnValue:
    return render_template("account/privacy.html", form=_form(), settings=PRIVACY_SETTINGS)


@bp.post("/privacy")
@login_required
def save_privacy() -> ResponseReturnValue:
    set_privacy_settings(current_user.id, {name: name in request.form for name in PRIVACY_SETTINGS})
    flash(_("Your privacy settings are saved."), "success")
    return redirect(url_for("account.privacy"), code=303)


@bp.post("/privacy/<name>")
@login_required
def toggle_privacy(name: str) -> ResponseReturnValue:
    if name not in PRIVACY_SETTINGS:
        abort(404)
    set_privacy_setting(current_user.id, name, name in request.form)
    if not wants_fragment():
        flash(_("Your privacy settings are saved."), "success")
        return redirect(url_for("account.privacy"), code=303)
    response = render_template("account/_privacy_setting.html", form=_form(), name=name, saved=True)
    return response, 200, {"Vary": "HX-Request"}
