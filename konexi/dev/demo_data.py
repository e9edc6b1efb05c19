"""Demo users, a provider with branches and live vouchers (development only, idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import (
    Branch,
    Company,
    CompanyPhone,
    Membership,
    Role,
    User,
    Voucher,
    VoucherStatus,
)
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from konexi.services.catalogue.categories import categories_by_slug, load_default_categories

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo credential, development only

BRANCHES = [
    (
        "Demo Kopi Sudirman",
        "Jl. Jend. Sudirman No. 10",
        "Jakarta",
        -6.2146,
        106.8227,
        "+622150000001",
    ),
    ("Demo Kopi Kemang", "Jl. Kemang Raya No. 22", "Jakarta", -6.2607, 106.8137, "+622150000002"),
    (
        "Demo Kopi Kelapa Gading",
        "Jl. Boulevard Raya No. 5",
        "Jakarta",
        -6.1588,
        106.9057,
        "+622150000003",
    ),
]

VOUCHERS = [
    ("Buy 1 get 1 iced coffee", "food-drink", 100, 10),
    ("Free croissant with any latte", "food-drink", 60, 14),
    ("20% off whole coffee beans", "shopping", 40, 30),
    ("Free upsize on tea drinks", "food-drink", 80, 7),
    ("Rp 15.000 off breakfast set", "food-drink", 50, 21),
    ("Half price on a second cake", "food-drink", 30, 5),
    ("Free tote bag over Rp 100.000", "shopping", 25, 28),
    ("10% off cold brew bottles", "shopping", 70, 20),
    ("Latte art class: 50% off", "fun", 12, 45),
    ("Board game night entry free", "fun", 20, 12),
    ("Free hand cream sample with coffee", "beauty", 35, 9),
    ("Espresso machine cleaning service 30% off", "services", 15, 40),
    ("Student discount 25% after 3pm", "food-drink", 90, 60),
    ("Free birthday drink", "fun", 45, 90),
]


def _user(email: str, name: str, phone: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        now = utcnow()
        user = User(
            name=name,
            email=email,
            phone=phone,
            password_hash=hash_password(DEMO_PASSWORD),
            phone_verified_at=now,
            email_verified_at=now,
        )
        db.session.add(user)
    return user


def load_demo_data() -> dict[str, int]:
    """Create what is missing of the demo data set; running it twice changes nothing."""
    _user("demo@konexi.test", "Demo User", "+6281200000001")
    provider = _user("provider@konexi.test", "Demo Provider", "+6281200000002")

    load_default_categories()
    categories = categories_by_slug()

    company = db.session.scalar(select(Company).where(Company.slug == "demo-kopi"))
    if company is None:
        company = Company(
            name="Demo Kopi",
            slug="demo-kopi",
            description="Neighbourhood coffee in Jakarta.",
            category_id=None,
        )
        db.session.add(company)
        db.session.flush()
        company.category_id = categories["food-drink"].id
        for name, address, city, lat, lon, phone in BRANCHES:
            db.session.add(
                Branch(
                    company=company,
                    name=name,
                    address=address,
                    city=city,
                    latitude=lat,
                    longitude=lon,
                    phone=phone,
                )
            )
        db.session.flush()

    _demo_team(company, provider)

    existing = set(
        db.session.scalars(select(Voucher.title).where(Voucher.company_id == company.id))
    )
    now = utcnow()
    created = 0
    for title, category_slug, quota, days in VOUCHERS:
        if title in existing:
            continue
        db.session.add(
            Voucher(
                company_id=company.id,
                category_id=categories[category_slug].id,
                title=title,
                description=f"{title} at any Demo Kopi branch in Jakarta.",
                terms="One per customer per visit. Show the code at the counter.",
                quota_total=quota,
                per_user_limit=1,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=days),
                status=VoucherStatus.LIVE,
                branches=list(company.branches),
            )
        )
        created += 1
    db.session.commit()
    return {"vouchers_created": created}


OPENING_HOURS = {
    "Demo Kopi Sudirman": "Mon–Fri 07:00–21:00\nSat–Sun 08:00–22:00",
    "Demo Kopi Kemang": "Mon–Sun 08:00–23:00",
    "Demo Kopi Kelapa Gading": "Mon–Sat 08:00–21:00\nSun 09:00–20:00",
}


def _demo_team(company: Company, owner: User) -> None:
    """provider@ owns Demo Kopi, demo-staff@ redeems at Sudirman; branches get hours and consent."""
    staff = _user("demo-staff@konexi.test", "Demo Staff", "+6281200000003")
    db.session.flush()
    memberships = {}
    for user, role in ((owner, Role.OWNER), (staff, Role.STAFF)):
        membership = db.session.scalar(
            select(Membership).where(
                Membership.company_id == company.id, Membership.user_id == user.id
            )
        )
        if membership is None:
            membership = Membership(company_id=company.id, user_id=user.id, role=role)
            db.session.add(membership)
        memberships[role] = membership
    sudirman = [b for b in company.branches if b.name == "Demo Kopi Sudirman"]
    staff_branches = memberships[Role.STAFF].branches
    staff_branches.extend(b for b in sudirman if b not in staff_branches)
    now = utcnow()
    for branch in company.branches:
        if not branch.opening_hours:
            branch.opening_hours = OPENING_HOURS.get(branch.name, "Mon–Sun 08:00–21:00")
        if branch.phone and branch.phone_consent_at is None:
            branch.phone_consent_by_id, branch.phone_consent_at = owner.id, now
        if branch.phone and branch.phone_verified_at is None:
            # Demo numbers count as proven (no SMS can reach them), unless a real company
            # holds one already.
            holder = db.session.scalar(
                select(CompanyPhone.company_id).where(CompanyPhone.phone == branch.phone)
            )
            if holder is None:
                db.session.add(
                    CompanyPhone(phone=branch.phone, company_id=company.id, verified_by_id=owner.id)
                )
                db.session.flush()
            if holder in (None, company.id):
                branch.phone_verified_at = now
    db.session.flush()
