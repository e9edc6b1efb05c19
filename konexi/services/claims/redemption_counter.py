"""Redeeming at the counter: staff pick their branch, type the customer's phone number, see the
customer's live claims valid there (logged as an access to customer data), and redeem one with
the code the customer shows: in full, or its last 4 symbols when no other listed claim ends so.

A number with no live claims answers the same whether or not anyone has it: staff cannot probe
who uses Konexi.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from konexi.extensions import db
from konexi.models import AccessPurpose, Branch, Claim, ClaimStatus, User, UserStatus, Voucher
from konexi.models.base import utcnow
from konexi.models.providers import Membership
from konexi.services.claims.redemption import (
    Actor,
    RedeemOutcome,
    RedeemResult,
    already_redeemed,
    log_access,
    redeem,
    valid_at,
)
from konexi.services.claims.redemption_codes import normalise_code
from konexi.services.providers.memberships import staff_branch_ids

SHORT_CODE_LENGTH = 4


@dataclass(frozen=True)
class ListedClaim:
    """One live claim as staff see it: never its code (the customer shows that)."""

    id: int
    voucher_title: str
    ends_at: datetime
    claimed_at: datetime


@dataclass(frozen=True)
class CustomerClaims:
    customer_id: int
    name: str
    phone: str  # E.164
    claims: list[ListedClaim]


def redeemable_branches(membership: Membership) -> list[Branch]:
    """The company's active branches where the member may redeem: staff only at their own."""
    query = (
        select(Branch)
        .where(Branch.company_id == membership.company_id, Branch.is_active.is_(True))
        .order_by(Branch.name, Branch.id)
    )
    assigned = staff_branch_ids(membership)
    if assigned is not None:
        query = query.where(Branch.id.in_(assigned))
    return list(db.session.scalars(query))


def _live_claims(company_id: int, branch_id: int, now: datetime) -> Select:
    """Active claims of active customers on the company's running vouchers valid at the branch."""
    return (
        select(Claim)
        .join(Claim.voucher)
        .join(Claim.user)
        .where(
            Claim.status == ClaimStatus.ACTIVE,
            Voucher.company_id == company_id,
            Voucher.ends_at > now,
            Voucher.id.in_(valid_at(branch_id)),
            User.status == UserStatus.ACTIVE,
        )
        .options(contains_eager(Claim.voucher), contains_eager(Claim.user))
        .order_by(Voucher.ends_at, Claim.id)
    )


def find_customer_claims(actor: Actor, branch_id: int, phone: str) -> CustomerClaims | None:
    """The customer's live claims valid at the branch, logged as shown; None when there are none.

    None means the same whether or not anyone has that number, so staff cannot probe for users.
    """
    claims = list(
        db.session.scalars(
            _live_claims(actor.company_id, branch_id, utcnow()).where(User.phone == phone)
        ).unique()
    )
    if not claims:
        db.session.rollback()
        return None
    customer = claims[0].user
    assert customer is not None  # joined on it
    listed = [
        ListedClaim(claim.id, claim.voucher.title, claim.voucher.ends_at, claim.claimed_at)
        for claim in claims
    ]
    result = CustomerClaims(customer.id, customer.name, customer.phone, listed)
    for claim in claims:
        log_access(actor, branch_id, customer.id, claim.id, AccessPurpose.LOOKUP)
    db.session.commit()
    return result


def _code_match(claims: list[Claim], target: Claim, code: str) -> RedeemOutcome | None:
    """None when ``code`` is the target's; otherwise why not."""
    if code == target.code:
        return None
    if len(code) == SHORT_CODE_LENGTH and target.code.endswith(code):
        if sum(1 for claim in claims if claim.code.endswith(code)) > 1:
            return RedeemOutcome.AMBIGUOUS_CODE
        return None
    return RedeemOutcome.WRONG_CODE


def redeem_at_counter(
    actor: Actor, branch_id: int, phone: str, claim_id: int, typed_code: str
) -> RedeemResult:
    """Redeem the customer's listed claim at the branch when the typed code is its code in full,
    or its last 4 symbols that no other listed claim ends with; at most once whatever the race."""
    code = normalise_code(typed_code)
    now = utcnow()
    listed = list(
        db.session.scalars(
            _live_claims(actor.company_id, branch_id, now).where(User.phone == phone)
        ).unique()
    )
    target = next((claim for claim in listed if claim.id == claim_id), None)
    if target is None:  # redeemed meanwhile (say where and when), ended, or not theirs
        db.session.rollback()
        owned = db.session.scalar(
            select(Claim.id)
            .join(Claim.user)
            .join(Claim.voucher)
            .where(
                Claim.id == claim_id, User.phone == phone, Voucher.company_id == actor.company_id
            )
        )
        done = already_redeemed(owned) if owned is not None else None
        return done or RedeemResult(RedeemOutcome.NOT_FOUND)
    refusal = _code_match(listed, target, code)
    if refusal is not None:
        db.session.rollback()
        return RedeemResult(refusal, claim_id=target.id)
    branch = db.session.get(Branch, branch_id)
    assert branch is not None  # the claim is valid there
    return redeem(actor, branch, target.id, now)
