"""Voucher categories: the default set (EN + ID names) and the platform admin's changes.

The default set is loaded on every release (``flask --app wsgi load-categories``) and by the demo
data: it creates or updates by slug and never deletes, so an admin's extra categories survive.
A category that vouchers use is deactivated rather than deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.models import Category, Voucher
from konexi.services.errors import FieldErrors

# (slug, English name, Indonesian name)
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("food-drink", "Food & drink", "Makanan & minuman"),
    ("beauty", "Beauty", "Kecantikan"),
    ("shopping", "Shopping", "Belanja"),
    ("fun", "Fun & leisure", "Hiburan"),
    ("services", "Services", "Layanan"),
)
_DEFAULT_SLUGS = frozenset(slug for slug, _en, _id in DEFAULT_CATEGORIES)
MAX_SLUG = 40
MAX_NAME = 80
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CategoryError(FieldErrors):
    """Input the rules refuse: translated messages by form field name."""


@dataclass(frozen=True)
class CategoryDetails:
    """What the admin types about a category, as typed."""

    slug: str = ""
    name_en: str = ""
    name_id: str = ""


@dataclass(frozen=True)
class CategoryRow:
    category: Category
    voucher_count: int


@dataclass(frozen=True)
class LoadReport:
    created: int
    updated: int
    unchanged: int


def load_default_categories() -> LoadReport:
    """Create the default categories that are missing and correct their names; never deletes."""
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    created = updated = unchanged = 0
    for slug, name_en, name_id in DEFAULT_CATEGORIES:
        category = existing.get(slug)
        if category is None:
            db.session.add(Category(slug=slug, name_en=name_en, name_id=name_id))
            created += 1
        elif (category.name_en, category.name_id) != (name_en, name_id):
            category.name_en, category.name_id = name_en, name_id
            updated += 1
        else:
            unchanged += 1
    db.session.commit()
    return LoadReport(created=created, updated=updated, unchanged=unchanged)


def categories_by_slug() -> dict[str, Category]:
    """Every category by its slug."""
    return {c.slug: c for c in db.session.scalars(select(Category))}


def admin_categories() -> list[CategoryRow]:
    """Every category with the number of vouchers using it, active ones first, by slug."""
    counts = dict(
        db.session.execute(
            select(Voucher.category_id, func.count()).group_by(Voucher.category_id)
        ).all()
    )
    rows = db.session.scalars(select(Category).order_by(Category.is_active.desc(), Category.slug))
    return [CategoryRow(category, int(counts.get(category.id, 0))) for category in rows]


def _checked(details: CategoryDetails, current: Category | None) -> CategoryDetails:
    errors: dict[str, object] = {}
    slug = (details.slug or "").strip().lower()
    name_en = " ".join((details.name_en or "").split())
    name_id = " ".join((details.name_id or "").split())
    if not slug:
        errors["slug"] = _l("Enter a slug.")
    elif len(slug) > MAX_SLUG or not _SLUG.match(slug):
        errors["slug"] = _l(
            "Use lower-case letters, digits and single hyphens, at most %(num)d characters.",
            num=MAX_SLUG,
        )
    elif current is not None and current.slug in _DEFAULT_SLUGS and slug != current.slug:
        # The release's load-categories finds the defaults by slug: a moved one would come back
        # as a second, duplicate category on the next deploy.
        errors["slug"] = _l(
            "A default category keeps its slug: the next release would add it again."
        )
    else:
        taken = db.session.scalar(select(Category.id).where(Category.slug == slug))
        if taken is not None and (current is None or taken != current.id):
            errors["slug"] = _l("Another category has this slug.")
    for name, value in (("name_en", name_en), ("name_id", name_id)):
        if not value:
            errors[name] = _l("Enter a name.")
        elif len(value) > MAX_NAME:
            errors[name] = _l("Use at most %(num)d characters.", num=MAX_NAME)
    if errors:
        raise CategoryError(errors)
    return CategoryDetails(slug=slug, name_en=name_en, name_id=name_id)


def _save(category: Category) -> Category:
    try:
        db.session.commit()
    except IntegrityError:
        # Another admin took the slug a moment ago.
        db.session.rollback()
        raise CategoryError({"slug": _l("Another category has this slug.")}) from None
    return category


def create_category(details: CategoryDetails) -> Category:
    """Add a category (active); the slug is unique and appears in feed URLs (``?category=``)."""
    checked = _checked(details, None)
    category = Category(slug=checked.slug, name_en=checked.name_en, name_id=checked.name_id)
    db.session.add(category)
    return _save(category)


def update_category(category: Category, details: CategoryDetails) -> Category:
    """Rename a category or change its slug (links with the old slug then show every voucher)."""
    checked = _checked(details, category)
    category.slug, category.name_en, category.name_id = (
        checked.slug,
        checked.name_en,
        checked.name_id,
    )
    return _save(category)


def set_category_active(category: Category, active: bool) -> Category:
    """Deactivate (hidden from filters, favourites and new vouchers) or reactivate a category."""
    category.is_active = active
    db.session.commit()
    return category
