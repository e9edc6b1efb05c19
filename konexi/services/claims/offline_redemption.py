"""Redemptions a counter saved while offline, sent when the connection returns.

Each item carries the customer's full code (the same proof as online: never a phone number
alone), the branch and a random one-time nonce from the device. A nonce is accepted once, ever
(a unique row in ``offline_redemptions``): a replay answers what the first delivery answered and
changes nothing; the same nonce with another code, or from another company, is refused. Each new
item is checked as the SMS path checks a full code and redeemed through the same conditional
``UPDATE`` (``konexi.services.claims.redemption.redeem``), so of two counters sending the same
claim exactly one redeems it; the other item is kept as a conflict that both staff members and
the company's owners and admins see. The receipt SMS goes only for the redemption that counted.
The device's clock is stored for display and never used to order anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from konexi.extensions import db
from konexi.models import (
    AccessPurpose,
    Branch,
    Claim,
    ClaimStatus,
    CustomerDataAccess,
    OfflineRedemption,
    Voucher,
)
from konexi.models.base import utcnow
from konexi.models.offline_redemptions import OfflineOutcome
from konexi.models.providers import Membership
from konexi.services.claims.redemption import Actor, already_redeemed, redeem
from konexi.services.claims.redemption_codes import is_well_formed, normalise_code
from konexi.services.claims.redemption_counter import redeemable_branches
from konexi.services.signing import Digest, digests_equal, keyed_digest

# crypto.randomUUID() gives 36 characters; anything from 16 to 64 URL-safe ones is accepted.
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_ITEMS = 50  # a shift's queue; a bigger batch is refused as a whole
CONFLICT_DAYS = 30  # how long a conflict stays on the redeem page and in the console


@dataclass(frozen=True)
class OfflineItem:
    """One saved redemption as the device sent it."""

    nonce: str
    code: str
    branch_id: int | None
    device_redeemed_at: datetime | None = None


@dataclass(frozen=True)
class OfflineItemResult:
    """The answer for one item; ``replayed`` when its nonce had been answered before."""

    nonce: str
    outcome: OfflineOutcome
    voucher_title: str = ""
    branch_name: str = ""
    redeemed_at: datetime | None = None
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is OfflineOutcome.REDEEMED


@dataclass(frozen=True)
class Conflict:
    """An offline item that arrived for a claim already redeemed: never a customer's name."""

    id: int
    voucher_title: str
    code_tail: str  # the last 4 symbols, to find the customer's receipt
    sent_branch: str  # where the offline item was confirmed
    counted_branch: str  # where the redemption that counted happened
    counted_at: datetime | None
    device_redeemed_at: datetime | None
    received_at: datetime


def code_digest(code: str) -> str:
    """What an offline row keeps of the code it was sent with."""
    return keyed_digest(Digest.OFFLINE_CODE, normalise_code(code))


def redeem_offline_batch(
    membership: Membership, items: list[OfflineItem]
) -> list[OfflineItemResult]:
    """Answer each saved item in order: redeemed once per claim, replays unchanged."""
    actor = Actor.member(membership)
    branches = {branch.id: branch for branch in redeemable_branches(membership)}
    db.session.commit()  # each item is its own transaction from here on
    return [_redeem_item(actor, branches, item) for item in items]


def _by_nonce(nonce: str) -> OfflineRedemption | None:
    return db.session.scalar(
        select(OfflineRedemption)
        .where(OfflineRedemption.nonce == nonce)
        .options(joinedload(OfflineRedemption.branch), joinedload(OfflineRedemption.claim))
        .execution_options(populate_existing=True)
    )


def _replay(actor: Actor, nonce: str, digest: str) -> OfflineItemResult:
    """What the nonce's first delivery answered, or a refusal when it is not the same item."""
    row = _by_nonce(nonce)
    assert row is not None  # only called once the nonce is known to be taken
    if row.company_id != actor.company_id or not digests_equal(row.code_digest, digest):
        return OfflineItemResult(nonce, OfflineOutcome.TAMPERED)
    outcome = row.outcome
    if row.claim_id is None or outcome not in (
        OfflineOutcome.REDEEMED,
        OfflineOutcome.ALREADY_REDEEMED,
    ):
        return OfflineItemResult(nonce, outcome, replayed=True)
    counted = already_redeemed(row.claim_id)
    return OfflineItemResult(
        nonce,
        outcome,
        voucher_title=counted.voucher_title if counted else "",
        branch_name=counted.branch_name if counted else "",
        redeemed_at=counted.redeemed_at if counted else None,
        replayed=True,
    )


def _row(
    actor: Actor, item: OfflineItem, digest: str, outcome: OfflineOutcome
) -> OfflineRedemption:
    return OfflineRedemption(
        nonce=item.nonce,
        company_id=actor.company_id,
        branch_id=item.branch_id,
        staff_user_id=actor.user_id,
        code_digest=digest,
        outcome=outcome,
        device_redeemed_at=item.device_redeemed_at,
        received_at=utcnow(),
    )


def _keep(row: OfflineRedemption) -> bool:
    """Add and flush the row; False (nothing kept) when the nonce was taken meanwhile."""
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _refuse(
    actor: Actor, item: OfflineItem, digest: str, outcome: OfflineOutcome
) -> OfflineItemResult:
    if not _keep(_row(actor, item, digest, outcome)):
        return _replay(actor, item.nonce, digest)
    db.session.commit()
    return OfflineItemResult(item.nonce, outcome)


def _who_redeemed(claim_id: int) -> int | None:
    """The staff member whose redemption counted (None for a branch phone's SMS)."""
    return db.session.scalar(
        select(CustomerDataAccess.staff_user_id)
        .where(
            CustomerDataAccess.claim_id == claim_id,
            CustomerDataAccess.purpose == AccessPurpose.REDEEM,
        )
        .order_by(CustomerDataAccess.id)
        .limit(1)
    )


def _conflict(actor: Actor, item: OfflineItem, digest: str, claim_id: int) -> OfflineItemResult:
    """Keep the item as a conflict with the redemption that counted, and say where and when."""
    counted = already_redeemed(claim_id)
    if counted is None:  # the claim is not redeemed after all: gone (purged customer, ended)
        return _refuse(actor, item, digest, OfflineOutcome.NOT_FOUND)
    row = _row(actor, item, digest, OfflineOutcome.ALREADY_REDEEMED)
    row.claim_id, row.is_conflict = claim_id, True
    row.counted_staff_user_id = _who_redeemed(claim_id)
    if not _keep(row):
        return _replay(actor, item.nonce, digest)
    db.session.commit()
    return OfflineItemResult(
        item.nonce,
        OfflineOutcome.ALREADY_REDEEMED,
        voucher_title=counted.voucher_title,
        branch_name=counted.branch_name,
        redeemed_at=counted.redeemed_at,
    )


def _redeem_item(actor: Actor, branches: dict[int, Branch], item: OfflineItem) -> OfflineItemResult:
    if not _NONCE.fullmatch(item.nonce):
        return OfflineItemResult(item.nonce[:64], OfflineOutcome.MALFORMED)
    code = normalise_code(item.code)
    digest = code_digest(code)
    if _by_nonce(item.nonce) is not None:
        db.session.rollback()
        return _replay(actor, item.nonce, digest)
    branch = branches.get(item.branch_id) if item.branch_id is not None else None
    if branch is None:  # not kept: the nonce stays free for the device's own honest retry
        return OfflineItemResult(item.nonce, OfflineOutcome.NOT_YOUR_BRANCH)
    claim = None
    if is_well_formed(code):
        claim = db.session.scalar(
            select(Claim)
            .join(Claim.voucher)
            .where(Claim.code == code, Voucher.company_id == actor.company_id)
            .options(selectinload(Claim.voucher).selectinload(Voucher.branches))
        )
    if claim is None:  # unknown, or another company's: the same answer
        return _refuse(actor, item, digest, OfflineOutcome.NOT_FOUND)
    if claim.status is ClaimStatus.REDEEMED:
        return _conflict(actor, item, digest, claim.id)
    if branch.id not in {valid.id for valid in claim.voucher.branches}:
        return _refuse(actor, item, digest, OfflineOutcome.NOT_VALID_HERE)
    now = utcnow()
    if claim.voucher.ends_at <= now:
        return _refuse(actor, item, digest, OfflineOutcome.EXPIRED)
    row = _row(actor, item, digest, OfflineOutcome.REDEEMED)
    row.claim_id = claim.id
    # The nonce row first: a second delivery of the same nonce waits here for this one's
    # commit, then finds it. ``redeem`` commits the row with the redemption, or rolls it back.
    if not _keep(row):
        return _replay(actor, item.nonce, digest)
    result = redeem(actor, branch, claim.id, now)
    if result.ok:
        return OfflineItemResult(
            item.nonce,
            OfflineOutcome.REDEEMED,
            voucher_title=result.voucher_title,
            branch_name=result.branch_name,
            redeemed_at=result.redeemed_at,
        )
    # Another counter redeemed it between our check and our update.
    return _conflict(actor, item, digest, claim.id)


def _conflicts(where: ColumnElement[bool], since: datetime) -> list[Conflict]:
    counted_branch = aliased(Branch)
    rows = db.session.execute(
        select(OfflineRedemption, Claim, Voucher.title, Branch.name, counted_branch.name)
        .join(Claim, Claim.id == OfflineRedemption.claim_id)
        .join(Voucher, Voucher.id == Claim.voucher_id)
        .outerjoin(Branch, Branch.id == OfflineRedemption.branch_id)
        .outerjoin(counted_branch, counted_branch.id == Claim.redeemed_branch_id)
        .where(OfflineRedemption.is_conflict.is_(True), OfflineRedemption.received_at >= since)
        .where(where)
        .order_by(OfflineRedemption.received_at.desc(), OfflineRedemption.id.desc())
        .limit(100)
    )
    return [
        Conflict(
            id=row.id,
            voucher_title=title,
            code_tail=claim.code[-4:],
            sent_branch=sent or "",
            counted_branch=counted or "",
            counted_at=claim.redeemed_at,
            device_redeemed_at=row.device_redeemed_at,
            received_at=row.received_at,
        )
        for row, claim, title, sent, counted in rows
    ]


def conflicts_for_staff(company_id: int, user_id: int) -> list[Conflict]:
    """The company's recent conflicts this member sent, or whose redemption counted."""
    return _conflicts(
        (OfflineRedemption.company_id == company_id)
        & or_(
            OfflineRedemption.staff_user_id == user_id,
            OfflineRedemption.counted_staff_user_id == user_id,
        ),
        utcnow() - timedelta(days=CONFLICT_DAYS),
    )


def conflicts_for_company(company_id: int) -> list[Conflict]:
    """All the company's recent conflicts, for its owners and admins."""
    return _conflicts(
        OfflineRedemption.company_id == company_id, utcnow() - timedelta(days=CONFLICT_DAYS)
    )
