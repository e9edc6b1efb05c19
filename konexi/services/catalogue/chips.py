"""The feed's category chips: the active categories, as plain values any worker may keep."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Category


@dataclass(frozen=True)
class Chip:
    """One active category as the feed shows it (hashable: part of a fragment's key)."""

    slug: str
    name_en: str
    name_id: str

    def name_for(self, locale: str) -> str:
        return self.name_id if locale == "id" else self.name_en


def active_chips() -> tuple[Chip, ...]:
    """Every active category in slug order (one statement, no ORM objects)."""
    rows = db.session.execute(
        select(Category.slug, Category.name_en, Category.name_id)
        .where(Category.is_active.is_(True))
        .order_by(Category.slug)
    )
    return tuple(Chip(slug, name_en, name_id) for slug, name_en, name_id in rows)


__all__ = ["Chip", "active_chips"]
