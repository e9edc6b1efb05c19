"""Provider accounts: creating a company (its creator becomes the owner) and its settings.

The slug is the company's public address (/providers/<slug>); it is chosen once, at creation,
and never changes afterwards, so links people shared keep working.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from konexi.extensions import db
from konexi.models import Category, Company, Membership, Role, User
from konexi.services.errors import FieldErrors

MAX_NAME = 120
MAX_DESCRIPTION = 2000
MIN_SLUG, MAX_SLUG = 3, 60
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CompanyError(FieldErrors):
    """Input the rules refuse: translated messages by form field name."""


def slug_from_name(name: str) -> str:
    """A lower-case ASCII slug from a company name ("Kopi Kenangan!" → "kopi-kenangan")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_SLUG].strip("-")


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Company.id).where(Company.slug == slug)) is not None


def _free_slug(base: str) -> str:
    base = base if len(base) >= MIN_SLUG else f"{base or 'provider'}-co".strip("-")
    candidate, n = base, 1
    while _slug_taken(candidate):
        n += 1
        candidate = f"{base[: MAX_SLUG - len(str(n)) - 1]}-{n}"
    return candidate


def _details(
    errors: dict[str, object], name: str, description: str, category_id: int | None
) -> tuple[str, str, int | None]:
    name, description = (name or "").strip(), (description or "").strip()
    if not name:
        errors["name"] = _l("This is required.")
    elif len(name) > MAX_NAME:
        errors["name"] = _l("Keep it under %(num)d characters.", num=MAX_NAME)
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = _l("Keep it under %(num)d characters.", num=MAX_DESCRIPTION)
    if category_id is not None and db.session.get(Category, category_id) is None:
        errors["category"] = _l("Choose one of the categories offered.")
    return name, description, category_id


def create_company(
    owner: User, name: str, description: str = "", category_id: int | None = None, slug: str = ""
) -> Company:
    """Create a company with ``owner`` as its first owner; a blank slug is made from the name."""
    errors: dict[str, object] = {}
    name, description, category_id = _details(errors, name, description, category_id)
    slug = (slug or "").strip().lower()
    if slug:
        if not (MIN_SLUG <= len(slug) <= MAX_SLUG and _SLUG.fullmatch(slug)):
            errors["slug"] = _l(
                "Use %(min)d to %(max)d lower-case letters, digits and dashes.",
                min=MIN_SLUG,
                max=MAX_SLUG,
            )
        elif _slug_taken(slug):
            errors["slug"] = _l("This address is taken: choose another one.")
    if errors:
        raise CompanyError(errors)
    company = Company(
        name=name,
        slug=slug or _free_slug(slug_from_name(name)),
        description=description,
        category_id=category_id,
    )
    db.session.add(company)
    db.session.add(Membership(company=company, user_id=owner.id, role=Role.OWNER))
    try:
        db.session.commit()
    except IntegrityError as error:  # the same slug chosen at the same moment
        db.session.rollback()
        raise CompanyError({"slug": _l("This address is taken: choose another one.")}) from error
    return company


def update_company(
    company: Company, name: str, description: str, category_id: int | None
) -> Company:
    """Change the name, description and category (the slug stays as it was set)."""
    errors: dict[str, object] = {}
    name, description, category_id = _details(errors, name, description, category_id)
    if errors:
        raise CompanyError(errors)
    company.name, company.description, company.category_id = name, description, category_id
    db.session.commit()
    return company
