"""Test data for the redemption and webhook tests (no tests in here): a company with its team,
a customer holding a live claim valid at the company's branches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import (
    Branch,
    Claim,
    Company,
    CustomerDataAccess,
    Membership,
    OutboxMessage,
    User,
    Voucher,
)
from konexi.services.claims.redemption_codes import generate_code
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.factories import make_company, make_member, make_voucher

CUSTOMER_PHONE = "+6281277770001"
CUSTOMER_LOCAL = "0812-7777-0001"
HX = {"HX-Request": "true"}


def make_claim(user: User, voucher: Voucher, code: str | None = None) -> Claim:
    """A live claim of ``user`` on ``voucher`` (quota counted), committed."""
    number = 1 + (
        db.session.scalar(
            select(func.count(Claim.id)).where(
                Claim.voucher_id == voucher.id, Claim.user_id == user.id
            )
        )
        or 0
    )
    claim = Claim(
        voucher_id=voucher.id, user_id=user.id, claim_number=number, code=code or generate_code()
    )
    voucher.quota_claimed += 1
    db.session.add(claim)
    db.session.commit()
    return claim


@dataclass
class Counter:
    """A company (branches: Menteng, Bogor, a closed one), its team, a customer with one claim."""

    company: Company
    here: Branch  # Menteng: the staff member is assigned here
    elsewhere: Branch  # Bogor
    voucher: Voucher
    customer: User
    claim: Claim
    owner: User
    admin: User
    staff: User  # assigned to ``here``
    staff_elsewhere: User  # assigned to ``elsewhere`` only
    other_admin: User  # admin of another company
    stranger: User  # belongs to no company


def make_counter(create_user: Callable[..., User]) -> Counter:
    company = make_company()
    here, elsewhere = company.branches[0], company.branches[1]
    voucher = make_voucher(company=company)
    customer = create_user(name="Rina Customer", phone=CUSTOMER_PHONE)
    claim = make_claim(customer, voucher)
    people = {
        role: create_user(name=role.replace("_", " ").title())
        for role in ("owner", "admin", "staff", "staff_elsewhere", "other_admin", "stranger")
    }
    make_member(company, people["owner"], "owner")
    make_member(company, people["admin"], "admin")
    make_member(company, people["staff"], "staff", [here])
    make_member(company, people["staff_elsewhere"], "staff", [elsewhere])
    make_member(make_company(), people["other_admin"], "admin")
    return Counter(company, here, elsewhere, voucher, customer, claim, **people)


def access_rows() -> list[CustomerDataAccess]:
    db.session.expire_all()
    return list(db.session.scalars(select(CustomerDataAccess).order_by(CustomerDataAccess.id)))


def receipts(user_id: int) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id, OutboxMessage.kind == "redemption_receipt")
            .order_by(OutboxMessage.id)
        )
    )


def staff_client(app, user: User) -> FlaskClient:
    client = app.test_client()
    log_in(client, user)
    return client


def token(client: FlaskClient) -> str:
    return csrf_token_from(client.get("/provider/redeem").get_data(as_text=True))


def lookup(client: FlaskClient, branch_id: int, phone: str, htmx: bool = False, csrf=None):
    data = {"csrf_token": csrf or token(client), "branch_id": branch_id, "phone": phone}
    return client.post("/provider/redeem/lookup", data=data, headers=HX if htmx else {})


def confirm(
    client: FlaskClient, branch_id: int, claim_id: int, code: str, htmx: bool = False, csrf=None
):
    data = {
        "csrf_token": csrf or token(client),
        "branch_id": branch_id,
        "phone": CUSTOMER_PHONE,
        "claim_id": claim_id,
        "code": code,
    }
    return client.post("/provider/redeem/confirm", data=data, headers=HX if htmx else {})


def membership_of(user: User) -> Membership:
    """The user's (only) membership, as the console would act under it."""
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership is not None
    return membership
