"""Test data for the claim, voucher-page and my-vouchers tests (no tests in here)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Branch, Category, Claim, Company, Membership, OutboxMessage, User, Voucher
from konexi.models.base import utcnow

_numbers = itertools.count(1)


def make_company(active: bool = True, name: str | None = None) -> Company:
    """Three branches: Menteng (verified phone), Bogor (no phone), a closed one; committed."""
    n = next(_numbers)
    company = Company(name=name or f"Warung Kopi {n}", slug=f"warung-kopi-{n}", is_active=active)
    company.branches = [
        Branch(
            name=f"Kopi {n} Menteng",
            address="Jl. Cikini Raya No. 7",
            city="Jakarta",
            phone="+622131900001",
            phone_consent_at=utcnow(),
            phone_verified_at=utcnow(),
        ),
        Branch(name=f"Kopi {n} Bogor", address="Jl. Suryakencana 3", city="Bogor", phone=None),
        Branch(
            name=f"Kopi {n} Closed",
            address="Jl. Lama 1",
            city="Depok",
            phone="+6221999",
            is_active=False,
        ),
    ]
    db.session.add(company)
    db.session.commit()
    return company


def make_voucher(
    *,
    quota_total: int = 100,
    quota_claimed: int = 0,
    per_user_limit: int = 1,
    status: str = "live",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    company: Company | None = None,
    title: str = "Buy 1 get 1 es kopi susu",
) -> Voucher:
    """A voucher (live, running, quota 100, one per user unless told otherwise), committed."""
    category = db.session.scalar(select(Category).where(Category.slug == "food-drink"))
    if category is None:
        category = Category(slug="food-drink", name_en="Food & drink", name_id="Makanan & minuman")
        db.session.add(category)
    company = company or make_company()
    now = utcnow()
    voucher = Voucher(
        company=company,
        category=category,
        title=title,
        description="Two iced palm-sugar coffees for the price of one.",
        terms="Dine-in only.\nNot valid with other promotions.",
        quota_total=quota_total,
        quota_claimed=quota_claimed,
        per_user_limit=per_user_limit,
        starts_at=starts_at or now - timedelta(days=1),
        ends_at=ends_at or now + timedelta(days=7),
        status=status,
        branches=list(company.branches),
    )
    db.session.add(voucher)
    db.session.commit()
    return voucher


def make_member(
    company: Company | int, user: User, role: str, branches: list[Branch] | tuple = ()
) -> Membership:
    """``user`` joins ``company`` (or a company id) as ``role``, assigned to ``branches``."""
    company_id = company if isinstance(company, int) else company.id
    membership = Membership(company_id=company_id, user_id=user.id, role=role)
    membership.branches = list(branches)
    db.session.add(membership)
    db.session.commit()
    return membership


def fresh(model: type, ident: int):
    """Reload a row from the database (requests ran in other sessions)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def claim_count(voucher_id: int) -> int:
    return db.session.scalar(select(func.count(Claim.id)).where(Claim.voucher_id == voucher_id))


def code_messages(user_id: int) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.kind == "claim_code")
            .order_by(OutboxMessage.id)
        )
    )
