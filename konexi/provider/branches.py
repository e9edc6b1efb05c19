"""Branches in the console: list, create, edit, deactivate and reactivate (owners and admins)."""

from __future__ import annotations

from flask import flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.models import Branch
from konexi.provider import bp
from konexi.provider.access import company_object_or_404, current_company_id, provider_required
from konexi.provider.forms_branches import BranchForm
from konexi.services.accounts.contacts import display_phone
from konexi.services.providers.branches import (
    BranchError,
    company_branches,
    create_branch,
    set_branch_active,
    update_branch,
)
from konexi.web.htmx import redirect_after_post, render_page_or_fragment

bp.add_app_template_filter(display_phone, "display_phone")

_FORM_PAGE = "provider/branch_form.html"
_FORM_FRAGMENT = "provider/_branch_form.html"


def _form_page(form: BranchForm, branch: Branch | None) -> ResponseReturnValue:
    response = render_page_or_fragment(_FORM_PAGE, _FORM_FRAGMENT, form=form, branch=branch)
    if request.method == "POST":
        response.status_code = 422
    return response


def _after_save(branch: Branch) -> ResponseReturnValue:
    # A new number is not shown nor used until proven: go straight to proving it.
    if branch.phone and branch.phone_verified_at is None:
        return redirect_after_post(url_for("provider.branch_phone", branch_id=branch.id))
    return redirect_after_post(url_for("provider.branches"))


@bp.get("/branches")
@provider_required("manage_branches")
def branches() -> ResponseReturnValue:
    return render_page_or_fragment(
        "provider/branches.html",
        "provider/_branch_list.html",
        branches=company_branches(current_company_id()),
    )


@bp.route("/branches/new", methods=["GET", "POST"])
@provider_required("manage_branches")
def branch_new() -> ResponseReturnValue:
    form = BranchForm()
    if form.validate_on_submit():
        try:
            branch = create_branch(current_company_id(), form.details(), current_user.id)
        except BranchError as error:
            form.show_errors(error)
        else:
            flash(_("Branch “%(name)s” is added.", name=branch.name))
            return _after_save(branch)
    return _form_page(form, None)


@bp.route("/branches/<int:branch_id>/edit", methods=["GET", "POST"])
@provider_required("manage_branches")
def branch_edit(branch_id: int) -> ResponseReturnValue:
    branch = company_object_or_404(Branch, branch_id)
    form = BranchForm(obj=branch)
    if form.validate_on_submit():
        try:
            update_branch(branch, form.details(), current_user.id)
        except BranchError as error:
            form.show_errors(error)
        else:
            flash(_("Branch “%(name)s” is saved.", name=branch.name))
            return _after_save(branch)
    return _form_page(form, branch)


@bp.post("/branches/<int:branch_id>/deactivate")
@provider_required("manage_branches")
def branch_deactivate(branch_id: int) -> ResponseReturnValue:
    branch = set_branch_active(company_object_or_404(Branch, branch_id), False)
    flash(_("Branch “%(name)s” is deactivated: customers no longer see it.", name=branch.name))
    return redirect_after_post(url_for("provider.branches"))


@bp.post("/branches/<int:branch_id>/reactivate")
@provider_required("manage_branches")
def branch_reactivate(branch_id: int) -> ResponseReturnValue:
    branch = set_branch_active(company_object_or_404(Branch, branch_id), True)
    flash(_("Branch “%(name)s” is active again.", name=branch.name))
    return redirect_after_post(url_for("provider.branches"))
