"""Test data for the feed, nearby and "for you" tests: a small catalogue builder and helpers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from konexi.extensions import db
from konexi.models import Branch, Category, Claim, Company, User, Voucher
from konexi.models.base import utcnow

MONAS = (-6.1754, 106.8272)  # Jakarta Pusat


class Shop:
    """Builds categories, providers, branches, vouchers and claims, committing each."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def category(self, slug: str, name_en: str, name_id: str) -> Category:
        category = Category(slug=slug, name_en=name_en, name_id=name_id)
        return self._save(category)

    def company(self, name: str = "Warung Kopi", active: bool = True) -> Company:
        n = next(self._n)
        return self._save(Company(name=name, slug=f"company-{n}", is_active=active))

    def branch(
        self, company: Company, lat: float | None, lon: float | None, active: bool = True
    ) -> Branch:
        n = next(self._n)
        branch = Branch(
            company_id=company.id,
            name=f"Branch {n}",
            address=f"Jl. Contoh No. {n}",
            city="Jakarta",
            latitude=lat,
            longitude=lon,
            is_active=active,
        )
        return self._save(branch)

    def voucher(
        self,
        company: Company,
        category: Category,
        title: str = "Free coffee",
        branches: list[Branch] | tuple[Branch, ...] = (),
        quota: int = 10,
        claimed: int = 0,
        starts_in_days: float = -1,
        ends_in_days: float = 10,
        status: str = "live",
        per_user_limit: int = 1,
        commit: bool = True,
    ) -> Voucher:
        now = utcnow()
        voucher = Voucher(
            company_id=company.id,
            category_id=category.id,
            title=title,
            quota_total=quota,
            quota_claimed=claimed,
            per_user_limit=per_user_limit,
            starts_at=now + timedelta(days=starts_in_days),
            ends_at=now + timedelta(days=ends_in_days),
            status=status,
            branches=list(branches),
        )
        if not commit:
            db.session.add(voucher)
            return voucher
        return self._save(voucher)

    def vouchers(self, company: Company, category: Category, count: int, **options) -> None:
        """``count`` vouchers titled "Voucher 00", "Voucher 01"…, ending a day apart."""
        for n in range(count):
            self.voucher(
                company, category, f"Voucher {n:02d}", ends_in_days=1 + n, commit=False, **options
            )
        db.session.commit()

    def claim(self, user: User, voucher: Voucher, number: int = 1, hidden: bool = False) -> Claim:
        claim = Claim(
            voucher_id=voucher.id,
            user_id=user.id,
            claim_number=number,
            code=f"C{next(self._n):08d}",
            hidden_at=utcnow() if hidden else None,
        )
        return self._save(claim)

    @staticmethod
    def _save(obj):
        db.session.add(obj)
        db.session.commit()
        return obj


@pytest.fixture
def shop(app) -> Shop:
    return Shop()


@pytest.fixture
def food(shop: Shop) -> Category:
    return shop.category("food-drink", "Food & drink", "Makanan & minuman")


@pytest.fixture
def beauty(shop: Shop) -> Category:
    return shop.category("beauty", "Beauty", "Kecantikan")


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def titles(listing) -> list[str]:
    return [item.voucher.title for item in listing.items]
