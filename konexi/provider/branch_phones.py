"""Proving a branch phone in the console: send a code to it, type the code (owners and admins)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.auth import limits
from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.i18n import current_language
from konexi.models import Branch
from konexi.provider import bp
from konexi.provider.access import company_object_or_404, object_if_allowed, provider_required
from konexi.provider.forms_branches import BranchPhoneCodeForm
from konexi.services.accounts.contacts import display_phone
from konexi.services.providers.branch_phones import BranchPhoneError, confirm_phone, send_phone_code
from konexi.web.htmx import redirect_after_post, render_page_or_fragment
from konexi.web.rate_limited import in_place

# Each send is an SMS (money); the verification caps per number and per IP apply as well.
CODES_PER_USER = rate_limit("RATELIMIT_BRANCH_PHONE_CODES_PER_USER")
TRIES_PER_USER = rate_limit("RATELIMIT_BRANCH_PHONE_TRIES_PER_USER")


def _page(form: BranchPhoneCodeForm, branch: Branch) -> ResponseReturnValue:
    response = render_page_or_fragment(
        "provider/branch_phone.html", "provider/_branch_phone.html", form=form, branch=branch
    )
    if request.method == "POST" and (form.errors or form.form_errors):
        response.status_code = 422
    return response


def _limited(field: str) -> Callable[[str], Response | None]:
    """A rate limit hit: the page or fragment with the message beside the button that hit it."""

    def render(message: str) -> Response | None:
        branch_id = (request.view_args or {}).get("branch_id", 0)
        branch = object_if_allowed("manage_branches", Branch, int(branch_id))
        if branch is None:
            return None  # not a manager of this branch: the plain refusal, nothing about it
        form = BranchPhoneCodeForm(formdata=None)
        if field == "code":
            form.code.errors = [message]
        else:
            form.form_errors.append(message)
        return render_page_or_fragment(
            "provider/branch_phone.html", "provider/_branch_phone.html", form=form, branch=branch
        )

    return render


@bp.get("/branches/<int:branch_id>/phone")
@provider_required("manage_branches")
def branch_phone(branch_id: int) -> ResponseReturnValue:
    return _page(BranchPhoneCodeForm(), company_object_or_404(Branch, branch_id))


@bp.post("/branches/<int:branch_id>/phone/code")
@provider_required("manage_branches")
@limiter.limit(CODES_PER_USER, key_func=limits.user_key, on_breach=in_place(_limited("send")))
def branch_phone_code(branch_id: int) -> ResponseReturnValue:
    branch = company_object_or_404(Branch, branch_id)
    form = BranchPhoneCodeForm()
    try:
        send_phone_code(branch, current_user.id, client_ip(), current_language())
    except BranchPhoneError as error:
        form.show_errors(error)
        return _page(form, branch)
    flash(_("We sent a code by SMS to %(phone)s.", phone=display_phone(branch.phone or "")))
    return redirect_after_post(url_for("provider.branch_phone", branch_id=branch.id))


@bp.post("/branches/<int:branch_id>/phone")
@provider_required("manage_branches")
@limiter.limit(TRIES_PER_USER, key_func=limits.user_key, on_breach=in_place(_limited("code")))
def branch_phone_confirm(branch_id: int) -> ResponseReturnValue:
    branch = company_object_or_404(Branch, branch_id)
    form = BranchPhoneCodeForm()
    if form.validate():
        try:
            confirm_phone(branch, current_user.id, form.code.data or "")
        except BranchPhoneError as error:
            form.show_errors(error)
        else:
            flash(
                _(
                    "%(phone)s is proven for %(name)s: customers see it, and it can redeem by SMS.",
                    phone=display_phone(branch.phone or ""),
                    name=branch.name,
                )
            )
            return redirect_after_post(url_for("provider.branches"))
    return _page(form, branch)
