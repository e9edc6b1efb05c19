"""Test data for the purge and export tests (no tests in here): a user Konexi knows a lot about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import inspect, select

from konexi.extensions import db
from konexi.models import (
    Category,
    CustomerDataAccess,
    Invitation,
    OutboxMessage,
    ProfilePicture,
    Review,
    Share,
    User,
    VerificationCode,
    user_favourite_categories,
)
from konexi.models.base import utcnow
from konexi.models.preferences import UserLocation
from konexi.services.accounts.passwords import hash_password
from tests.support.app import TEST_PASSWORD
from tests.support.factories import make_company, make_member, make_voucher
from tests.support.redemption import make_claim

NAME = "Kartika Wulandari Sasmita"
EMAIL = "kartika.sasmita@example.com"
PHONE = "+6281299887766"
BIRTH = date(1993, 4, 17)


@dataclass
class RichUser:
    user_id: int
    voucher_ids: list[int]
    review_id: int
    share_id: int


def make_rich_user(
    name: str = NAME, email: str = EMAIL, phone: str = PHONE, birth: date = BIRTH
) -> RichUser:
    """A user with claims (one redeemed), a review, a share, codes, messages, a location, a
    favourite category, a team membership, a branch-phone consent and a provider's access log."""
    user = User(
        name=name,
        email=email,
        phone=phone,
        password_hash=hash_password(TEST_PASSWORD),
        phone_verified_at=utcnow(),
        email_verified_at=utcnow(),
        birth_date=birth,
        display_name=name.split()[0],
    )
    db.session.add(user)
    db.session.commit()
    company = make_company()
    first = make_voucher(company=company, title="Es kopi susu 1+1")
    second = make_voucher(company=company, title="Roti bakar 50%")
    make_claim(user, first)
    redeemed = make_claim(user, second)
    branch = company.branches[0]
    redeemed.status = "redeemed"
    redeemed.redeemed_at = utcnow()
    redeemed.redeemed_branch_id = branch.id
    branch.phone_consent_by_id = user.id
    db.session.add(
        CustomerDataAccess(
            company_id=company.id,
            branch_id=branch.id,
            customer_id=user.id,
            claim_id=redeemed.id,
            channel="console",
            purpose="redeem",
        )
    )
    review = Review(
        company_id=company.id,
        voucher_id=second.id,
        user_id=user.id,
        rating=4,
        text=f"Enak! Salam, {name}, {phone}",
        reply_text=f"Terima kasih {name}!",
        replied_at=utcnow(),
    )
    db.session.add(review)
    share_message = OutboxMessage(
        channel="sms",
        kind="share",
        to_address="+6281300000999",
        body=f"{name} shared a voucher with you",
    )
    db.session.add(share_message)
    db.session.flush()
    share = Share(
        token=f"tok{user.id}x",
        voucher_id=first.id,
        sender_id=user.id,
        channel="sms",
        recipient_hash="0" * 64,
        outbox_message_id=share_message.id,
    )
    db.session.add(share)
    db.session.add_all(
        [
            VerificationCode(
                user_id=user.id,
                purpose="verify_phone",
                channel="sms",
                destination_hash="1" * 64,
                code_hash="2" * 64,
                expires_at=utcnow() + timedelta(minutes=10),
            ),
            OutboxMessage(
                channel="sms",
                kind="claim_code",
                user_id=user.id,
                to_address=phone,
                body=f"Hi {name}, your code",
            ),
            OutboxMessage(
                channel="email",
                kind="invitation",
                to_address=email,
                subject="Join the team",
                body=f"Hello {name} ({email}), born {birth.isoformat()}",
            ),
            UserLocation(user_id=user.id, latitude=-6.2, longitude=106.8),
            Invitation(
                company_id=company.id,
                email=email,
                role="staff",
                expires_at=utcnow() + timedelta(days=7),
            ),
        ]
    )
    category = db.session.scalar(select(Category).where(Category.slug == "food-drink"))
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=category.id)
    )
    db.session.add(
        ProfilePicture(
            user_id=user.id,
            data=f"{name} {email}".encode(),
            content_type="image/jpeg",
            width=1,
            height=1,
            sha256="3" * 64,
        )
    )
    db.session.commit()
    make_member(company, user, "staff", [branch])
    return RichUser(user.id, [first.id, second.id], review.id, share.id)


def dump_database() -> str:
    """Every value of every row of every table, as one string."""
    existing = set(inspect(db.engine).get_table_names())
    chunks: list[str] = []
    for table in db.metadata.sorted_tables:
        if table.name not in existing:
            continue
        for row in db.session.execute(table.select()):
            chunks.extend(str(value) for value in row)
    return "\n".join(chunks)
