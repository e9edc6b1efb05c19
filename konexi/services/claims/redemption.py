"""Redeeming a claim at a branch, once: the core shared by the counter and by SMS.

A claim is redeemed by one conditional ``UPDATE`` (only while it is still active) checked by its
row count, the first write of the transaction: PostgreSQL re-checks the condition after waiting
for a concurrent redemption's row lock, SQLite serialises the writers, so of two staff redeeming
the same claim at once exactly one succeeds and the other is told where and when it was redeemed.
The stats count, the access log and the customer's receipt SMS commit in that same transaction.
By SMS, a branch's registered phone texts the full code (``redeem_by_branch_phone``); at the
counter, staff look the customer up first (``konexi.services.claims.redemption_counter``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.i18n import DATETIME_FORMAT, DEFAULT_TIMEZONE, TIME_FORMAT, local_time
from konexi.messaging.outbox import commit_and_dispatch, queue_sms
from konexi.messaging.texts import render_sms
from konexi.models import (
    AccessChannel,
    AccessPurpose,
    Branch,
    Claim,
    ClaimStatus,
    Company,
    CustomerDataAccess,
    User,
    UserStatus,
    Voucher,
)
from konexi.models.base import utcnow
from konexi.models.catalogue import voucher_branches
from konexi.models.providers import Membership
from konexi.services.claims.redemption_codes import is_well_formed, normalise_code
from konexi.services.claims.voucher_stats import record_redemption

log = logging.getLogger(__name__)

_SMS_TITLE_CHARS = 40


class RedeemOutcome(StrEnum):
    REDEEMED = "redeemed"
    ALREADY_REDEEMED = "already_redeemed"
    WRONG_CODE = "wrong_code"  # the typed code is not this customer's listed claim's
    AMBIGUOUS_CODE = "ambiguous_code"  # several listed claims end with the typed 4 symbols
    NOT_FOUND = "not_found"  # no such live claim for this customer / unknown code
    NOT_VALID_HERE = "not_valid_here"  # the company's claim, but not valid at this branch
    EXPIRED = "expired"  # the voucher has ended
    NOT_A_BRANCH = "not_a_branch"  # an SMS from a number that is no registered branch phone


@dataclass(frozen=True)
class Actor:
    """Who redeems: a console member, or a branch's registered phone (no membership, no user)."""

    company_id: int
    channel: AccessChannel
    membership_id: int | None = None
    user_id: int | None = None

    @classmethod
    def member(cls, membership: Membership) -> Actor:
        return cls(membership.company_id, AccessChannel.CONSOLE, membership.id, membership.user_id)


@dataclass(frozen=True)
class RedeemResult:
    outcome: RedeemOutcome
    claim_id: int | None = None
    code: str = ""
    voucher_title: str = ""
    branch_name: str = ""
    customer_name: str = ""
    redeemed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is RedeemOutcome.REDEEMED


def valid_at(branch_id: int) -> Select:
    """Ids of the vouchers valid at the branch."""
    return select(voucher_branches.c.voucher_id).where(voucher_branches.c.branch_id == branch_id)


def log_access(
    actor: Actor,
    branch_id: int,
    customer_id: int | None,
    claim_id: int | None,
    purpose: AccessPurpose,
) -> None:
    """Record that the actor saw (or redeemed) the customer's claim; commits with the caller."""
    db.session.add(
        CustomerDataAccess(
            company_id=actor.company_id,
            branch_id=branch_id,
            membership_id=actor.membership_id,
            staff_user_id=actor.user_id,
            customer_id=customer_id,
            claim_id=claim_id,
            channel=actor.channel,
            purpose=purpose,
        )
    )


def already_redeemed(claim_id: int, code: str = "") -> RedeemResult | None:
    """The "already redeemed at …" answer when the claim has been redeemed, else None."""
    claim = db.session.scalar(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(joinedload(Claim.redeemed_branch), joinedload(Claim.voucher))
        .execution_options(populate_existing=True)
    )
    if claim is None or claim.status != ClaimStatus.REDEEMED:
        return None
    return RedeemResult(
        RedeemOutcome.ALREADY_REDEEMED,
        claim_id=claim.id,
        code=code,
        voucher_title=claim.voucher.title,
        branch_name=claim.redeemed_branch.name if claim.redeemed_branch else "",
        redeemed_at=claim.redeemed_at,
    )


def redeem(actor: Actor, branch: Branch, claim_id: int, now: datetime) -> RedeemResult:
    """The conditional UPDATE, then the count, the access log and the receipt, in one commit."""
    running_here = select(Voucher.id).where(
        Voucher.company_id == actor.company_id,
        Voucher.ends_at > now,
        Voucher.id.in_(valid_at(branch.id)),
    )
    active_customers = select(User.id).where(User.status == UserStatus.ACTIVE)
    branch_id, branch_name = branch.id, branch.name
    result = db.session.execute(
        update(Claim)
        .where(
            Claim.id == claim_id,
            Claim.status == ClaimStatus.ACTIVE,
            Claim.voucher_id.in_(running_here),
            Claim.user_id.in_(active_customers),
        )
        .values(status=ClaimStatus.REDEEMED, redeemed_at=now, redeemed_branch_id=branch_id)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        db.session.rollback()
        return already_redeemed(claim_id) or RedeemResult(RedeemOutcome.NOT_FOUND)
    claim = db.session.scalar(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(joinedload(Claim.voucher).joinedload(Voucher.company), joinedload(Claim.user))
        .execution_options(populate_existing=True)
    )
    assert claim is not None and claim.user is not None  # just updated, customer active
    record_redemption(claim.voucher_id)
    log_access(actor, branch_id, claim.user_id, claim.id, AccessPurpose.REDEEM)
    _queue_receipt(claim.user, claim.voucher, branch_name, now)
    outcome = RedeemResult(
        RedeemOutcome.REDEEMED,
        claim_id=claim.id,
        code=claim.code,
        voucher_title=claim.voucher.title,
        branch_name=branch_name,
        customer_name=claim.user.name,
        redeemed_at=now,
    )
    commit_and_dispatch()
    log.info("claim %s redeemed at branch %s (%s)", claim_id, branch_id, actor.channel)
    return outcome


def redeemed_when(moment: datetime | None) -> str:
    """When a claim was redeemed, in Asia/Jakarta: "14:02" today, with the date on other days."""
    if moment is None:
        return ""
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    today = moment.astimezone(zone).date() == utcnow().astimezone(zone).date()
    return local_time(moment, TIME_FORMAT if today else DATETIME_FORMAT)


def _shorten(text: str, limit: int) -> str:
    # "..." rather than "…", which is not in the GSM alphabet and would halve the SMS length.
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _queue_receipt(customer: User, voucher: Voucher, branch_name: str, at: datetime) -> None:
    """The customer's receipt by SMS, in the customer's language."""
    assert customer.phone is not None  # found by it
    locale = customer.locale or "en"
    when = format_datetime(at, DATETIME_FORMAT, tzinfo=ZoneInfo(DEFAULT_TIMEZONE), locale=locale)
    body = render_sms(
        "redemption_receipt",
        locale,
        title=_shorten(voucher.title, _SMS_TITLE_CHARS),
        branch=branch_name,
        time=when,
    )
    queue_sms(to=customer.phone, body=body, kind="redemption_receipt", user_id=customer.id)


def branches_for_phone(phone: str) -> list[Branch]:
    """Active branches of active companies registered with this phone, its owner's consent given
    and the number proven by a code sent to it."""
    return list(
        db.session.scalars(
            select(Branch)
            .join(Branch.company)
            .where(
                Branch.phone == phone,
                Branch.is_active.is_(True),
                Branch.phone_consent_at.is_not(None),
                # A number is only trusted once the company proved it holds it: typing another
                # company's number must not let anyone redeem at a branch by SMS.
                Branch.phone_verified_at.is_not(None),
                Company.is_active.is_(True),
            )
            .order_by(Branch.id)
        )
    )


def redeem_by_branch_phone(sender: str, typed_code: str) -> RedeemResult:
    """Redeem the claim with this full code at the sending branch phone's branch, at most once."""
    branches = branches_for_phone(sender)
    if not branches:
        return RedeemResult(RedeemOutcome.NOT_A_BRANCH)
    code = normalise_code(typed_code)
    if not is_well_formed(code):
        return RedeemResult(RedeemOutcome.NOT_FOUND, code=code)
    claim = db.session.scalar(
        select(Claim)
        .where(Claim.code == code)
        .options(joinedload(Claim.voucher).selectinload(Voucher.branches))
    )
    companies = {branch.company_id for branch in branches}
    if claim is None or claim.voucher.company_id not in companies:
        return RedeemResult(RedeemOutcome.NOT_FOUND, code=code)
    if claim.status == ClaimStatus.REDEEMED:
        return already_redeemed(claim.id, code) or RedeemResult(RedeemOutcome.NOT_FOUND)
    valid_ids = {branch.id for branch in claim.voucher.branches}
    here = next((b for b in branches if b.id in valid_ids), None)
    if here is None:
        mine = next(b for b in branches if b.company_id == claim.voucher.company_id)
        return RedeemResult(RedeemOutcome.NOT_VALID_HERE, code=code, branch_name=mine.name)
    now = utcnow()
    if claim.voucher.ends_at <= now:
        return RedeemResult(RedeemOutcome.EXPIRED, code=code, voucher_title=claim.voucher.title)
    result = redeem(Actor(here.company_id, AccessChannel.SMS), here, claim.id, now)
    # A loser of a simultaneous redemption gets the "already redeemed" answer, which does not
    # know the code: the reply must still name it.
    return result if result.code else replace(result, code=code)
