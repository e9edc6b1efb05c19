"""Categories in the admin area: list, add, edit, deactivate and reactivate (never delete)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from konexi.admin import bp
from konexi.admin.access import platform_admin_required
from konexi.admin.forms import CategoryForm
from konexi.extensions import db
from konexi.models import Category
from konexi.services.catalogue.categories import (
    CategoryError,
    admin_categories,
    create_category,
    set_category_active,
    update_category,
)
from konexi.web.htmx import redirect_after_post, render_page_or_fragment

_FORM_PAGE = "admin/category_form.html"
_FORM_FRAGMENT = "admin/_category_form.html"


def _category_or_404(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    return category


def _form_page(form: CategoryForm, category: Category | None) -> ResponseReturnValue:
    response = render_page_or_fragment(_FORM_PAGE, _FORM_FRAGMENT, form=form, category=category)
    if request.method == "POST":
        response.status_code = 422
    return response


@bp.get("/categories")
@platform_admin_required
def categories() -> ResponseReturnValue:
    return render_page_or_fragment(
        "admin/categories.html", "admin/_category_list.html", rows=admin_categories()
    )


@bp.route("/categories/new", methods=["GET", "POST"])
@platform_admin_required
def category_new() -> ResponseReturnValue:
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = create_category(form.details())
        except CategoryError as error:
            form.show_errors(error)
        else:
            flash(_("Category “%(name)s” is added.", name=category.name_en))
            return redirect_after_post(url_for("admin.categories"))
    return _form_page(form, None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@platform_admin_required
def category_edit(category_id: int) -> ResponseReturnValue:
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            update_category(category, form.details())
        except CategoryError as error:
            db.session.refresh(category)
            form.show_errors(error)
        else:
            flash(_("Category “%(name)s” is saved.", name=category.name_en))
            return redirect_after_post(url_for("admin.categories"))
    return _form_page(form, category)


@bp.post("/categories/<int:category_id>/deactivate")
@platform_admin_required
def category_deactivate(category_id: int) -> ResponseReturnValue:
    category = set_category_active(_category_or_404(category_id), False)
    flash(
        _(
            "Category “%(name)s” is deactivated: its vouchers keep it, new vouchers can't use it.",
            name=category.name_en,
        )
    )
    return redirect_after_post(url_for("admin.categories"))


@bp.post("/categories/<int:category_id>/reactivate")
@platform_admin_required
def category_reactivate(category_id: int) -> ResponseReturnValue:
    category = set_category_active(_category_or_404(category_id), True)
    flash(_("Category “%(name)s” is active again.", name=category.name_en))
    return redirect_after_post(url_for("admin.categories"))
