"""Console home and company switching."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from konexi.htmx import redirect_after_post
from konexi.provider import bp
from konexi.provider.access import provider_required, switch_company


@bp.get("/")
@provider_required("redeem")
def dashboard():  # type: ignore[no-untyped-def]
    return render_template("provider/dashboard.html")


@bp.post("/switch")
@login_required
def switch():  # type: ignore[no-untyped-def]
    company_id = request.form.get("company_id", type=int)
    if company_id is None or not switch_company(company_id):
        flash(_("You are not a member of that company."), "error")
    return redirect_after_post(url_for("provider.dashboard"))
