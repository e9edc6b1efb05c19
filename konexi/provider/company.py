"""Provider accounts: create a company, and its settings page (owners and admins)."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.auth.decorators import verified_required
from konexi.i18n import current_language
from konexi.provider import bp
from konexi.provider.access import current_membership, provider_required, switch_company
from konexi.provider.forms_team import CompanyForm, NewCompanyForm
from konexi.services.catalogue.catalogue import categories
from konexi.services.providers.companies import CompanyError, create_company, update_company
from konexi.web.htmx import redirect_after_post


def _category_choices(keep_id: int | None = None) -> list[tuple[str, str]]:
    """The active categories, plus the company's own even when an admin deactivated it."""
    language = current_language()
    offered = categories(keep_id)
    return [("", _("No category"))] + [(str(c.id), c.name_for(language)) for c in offered]


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.route("/company", methods=["GET", "POST"])
@provider_required("manage_company")
def company() -> ResponseReturnValue:
    current = current_membership().company
    form = CompanyForm(obj=current, category=current.category_id)
    form.category.choices = _category_choices(current.category_id)
    if form.validate_on_submit():
        try:
            update_company(
                current, form.name.data or "", form.description.data or "", form.category.data
            )
        except CompanyError as error:
            form.show_errors(error)
        else:
            flash(_("Company settings are saved."))
            return redirect_after_post(url_for("provider.company"))
    return render_template("provider/company.html", form=form, company=current), _status()


@bp.route("/new", methods=["GET", "POST"])
@verified_required
def company_new() -> ResponseReturnValue:
    form = NewCompanyForm()
    form.category.choices = _category_choices()
    if form.validate_on_submit():
        try:
            created = create_company(
                current_user._get_current_object(),
                name=form.name.data or "",
                description=form.description.data or "",
                category_id=form.category.data,
                slug=form.slug.data or "",
            )
        except CompanyError as error:
            form.show_errors(error)
        else:
            switch_company(created.id)
            flash(_("%(company)s is created. Add its branches next.", company=created.name))
            return redirect_after_post(url_for("provider.branches"))
    return render_template("provider/company_new.html", form=form), _status()
