"""A provider's public page: the company, its active branches and its live vouchers."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch, Category, Company, Voucher, VoucherStatus
from konexi.services.catalogue import catalogue
from konexi.services.catalogue.catalogue import FeedItem

VOUCHERS_SHOWN = 20


@dataclass(frozen=True)
class BranchInfo:
    name: str
    address: str
    city: str
    phone: str | None
    opening_hours: str | None


@dataclass
class ProviderProfile:
    company: Company
    category: Category | None
    branches: list[BranchInfo] = field(default_factory=list)
    vouchers: list[FeedItem] = field(default_factory=list)
    more_vouchers: bool = False


def active_company(slug: str) -> Company | None:
    """The active company with that slug, or None (unknown or switched off)."""
    return db.session.scalar(
        select(Company).where(Company.slug == slug[:80], Company.is_active.is_(True))
    )


def _branch_info(branch: Branch) -> BranchInfo:
    return BranchInfo(
        name=branch.name,
        address=branch.address,
        city=branch.city,
        phone=branch.public_phone,
        opening_hours=branch.opening_hours or None,
    )


def provider_profile(slug: str) -> ProviderProfile | None:
    """What the public page shows of an active company; None when there is no such company."""
    company = active_company(slug)
    if company is None:
        return None
    category = db.session.get(Category, company.category_id) if company.category_id else None
    branches = db.session.scalars(
        select(Branch)
        .where(Branch.company_id == company.id, Branch.is_active.is_(True))
        .order_by(Branch.city, Branch.name, Branch.id)
    )
    live = catalogue.live_vouchers(
        per_page=VOUCHERS_SHOWN, extra=[Voucher.company_id == company.id]
    )
    return ProviderProfile(
        company=company,
        category=category,
        branches=[_branch_info(branch) for branch in branches],
        vouchers=live.items,
        more_vouchers=live.has_more,
    )


def company_voucher(slug: str, voucher_id: int) -> Voucher | None:
    """The voucher when it belongs to the active company with that slug (and is not a draft)."""
    return db.session.scalar(
        select(Voucher)
        .join(Company, Voucher.company_id == Company.id)
        .where(
            Voucher.id == voucher_id,
            Voucher.status != VoucherStatus.DRAFT,
            Company.slug == slug[:80],
            Company.is_active.is_(True),
        )
    )
