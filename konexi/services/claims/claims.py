"""Claiming vouchers, with quotas and per-user limits that hold under any load; my claims.

The quota is taken by one conditional ``UPDATE`` (checked by its row count), which is also the
first write of the transaction: PostgreSQL locks the voucher row there and SQLite takes its write
lock there (with pysqlite's default, the reads before it run outside a transaction, so no read
lock ever has to be upgraded), so concurrent claims queue up instead of failing. The per-user
limit is enforced by the unique ``(voucher_id, user_id, claim_number)`` constraint, so two racing
claims by one user collide even if both counted the same number of earlier claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from konexi.extensions import db, rows_changed
from konexi.i18n import DATE_FORMAT, DEFAULT_TIMEZONE
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_sms
from konexi.messaging.texts import render_sms
from konexi.models import Claim, Company, User, Voucher, VoucherStatus
from konexi.models.base import utcnow
from konexi.services.catalogue.kept_suggestions import forget_suggestions
from konexi.services.claims.redemption_codes import format_code, generate_code
from konexi.services.claims.voucher_stats import record_claim

CODE_ATTEMPTS = 5
_SMS_TITLE_CHARS = 40
_SMS_COMPANY_CHARS = 30


class ClaimOutcome(StrEnum):
    OK = "ok"
    SOLD_OUT = "sold_out"
    LIMIT_REACHED = "limit_reached"
    NOT_LIVE = "not_live"  # paused by the provider
    NOT_STARTED = "not_started"
    ENDED = "ended"
    PROVIDER_INACTIVE = "provider_inactive"
    UNVERIFIED = "unverified"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    claim: Claim | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is ClaimOutcome.OK


@dataclass
class MyClaims:
    active: list[Claim] = field(default_factory=list)
    redeemed: list[Claim] = field(default_factory=list)
    expired: list[Claim] = field(default_factory=list)
    given: list[Claim] = field(default_factory=list)  # given to a friend, who holds a new code
    hidden: list[Claim] = field(default_factory=list)


class SlotTaken(Exception):
    """Another claim already holds this user's claim number on the voucher."""


def voucher_details(voucher_id: int) -> Voucher | None:
    """The voucher with its provider, category and branches, unless unknown or still a draft."""
    voucher = db.session.scalar(
        select(Voucher)
        .where(Voucher.id == voucher_id, Voucher.status != VoucherStatus.DRAFT)
        .options(
            joinedload(Voucher.company),
            joinedload(Voucher.category),
            selectinload(Voucher.branches),
        )
    )
    return voucher


def availability(voucher: Voucher, now: datetime | None = None) -> ClaimOutcome:
    """Whether the voucher can be claimed now (OK) or why not, ignoring who asks."""
    now = now or utcnow()
    if not voucher.company.is_active:
        return ClaimOutcome.PROVIDER_INACTIVE
    if voucher.status == VoucherStatus.ENDED or voucher.ends_at <= now:
        return ClaimOutcome.ENDED
    if voucher.status != VoucherStatus.LIVE:
        return ClaimOutcome.NOT_LIVE
    if voucher.starts_at > now:
        return ClaimOutcome.NOT_STARTED
    if voucher.quota_claimed >= voucher.quota_total:
        return ClaimOutcome.SOLD_OUT
    return ClaimOutcome.OK


def claims_held(user_id: int, voucher_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Claim.id)).where(
                Claim.voucher_id == voucher_id, Claim.user_id == user_id
            )
        )
        or 0
    )


def _take_one_from_quota(voucher_id: int, now: datetime) -> bool:
    """Atomically count one more claim if the voucher is live, running and not sold out."""
    active_companies = select(Company.id).where(Company.is_active.is_(True))
    result = db.session.execute(
        update(Voucher)
        .where(
            Voucher.id == voucher_id,
            Voucher.quota_claimed < Voucher.quota_total,
            Voucher.status == VoucherStatus.LIVE,
            Voucher.starts_at <= now,
            Voucher.ends_at > now,
            Voucher.company_id.in_(active_companies),
        )
        .values(quota_claimed=Voucher.quota_claimed + 1)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def _is_code_collision(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    violated = getattr(diag, "constraint_name", None) or str(error.orig)
    return "uq_claims_code" in violated or "claims.code" in violated


def insert_claim(
    voucher_id: int, user_id: int, claim_number: int, gifted_from_id: int | None = None
) -> Claim:
    """Insert the claim with a fresh code, drawing again (in a savepoint) on a code collision;
    raises SlotTaken when the user already holds ``claim_number`` on the voucher."""
    for _attempt in range(CODE_ATTEMPTS):
        claim = Claim(
            voucher_id=voucher_id,
            user_id=user_id,
            claim_number=claim_number,
            code=generate_code(),
            gifted_from_id=gifted_from_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(claim)
        except IntegrityError as error:
            if not _is_code_collision(error):
                raise SlotTaken from error
            continue
        return claim
    raise RuntimeError("could not draw an unused redemption code")


def _refusal_after_race(voucher_id: int) -> ClaimOutcome:
    voucher = voucher_details(voucher_id)
    if voucher is None:
        return ClaimOutcome.NOT_FOUND
    outcome = availability(voucher)
    return ClaimOutcome.SOLD_OUT if outcome is ClaimOutcome.OK else outcome


def _shorten(text: str, limit: int) -> str:
    # "..." rather than "…", which is not in the GSM alphabet and would halve the SMS length.
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _queue_code_sms(user: User, voucher: Voucher, claim: Claim, locale: str) -> None:
    """The code by SMS, in ``locale``."""
    assert user.phone is not None  # only verified accounts claim
    ends = voucher.ends_at.astimezone(ZoneInfo(DEFAULT_TIMEZONE))
    body = render_sms(
        "claim_code",
        locale,
        code=format_code(claim.code),
        title=_shorten(voucher.title, _SMS_TITLE_CHARS),
        company=_shorten(voucher.company.name, _SMS_COMPANY_CHARS),
        date=format_date(ends, DATE_FORMAT, locale=locale),
    )
    queue_sms(to=user.phone, body=body, kind="claim_code", user_id=user.id)


def claim_voucher(user_id: int, voucher_id: int, locale: str | None = None) -> ClaimResult:
    """Give a verified user a claim with a code while the voucher is live and within both limits;
    the code's SMS is in ``locale`` (the language on the page), else the user's stored one."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.is_verified:
        return ClaimResult(ClaimOutcome.UNVERIFIED)
    voucher = voucher_details(voucher_id)
    if voucher is None:
        return ClaimResult(ClaimOutcome.NOT_FOUND)
    now = utcnow()
    refusal = availability(voucher, now)
    if refusal is not ClaimOutcome.OK:
        return ClaimResult(refusal)
    if claims_held(user_id, voucher_id) >= voucher.per_user_limit:
        return ClaimResult(ClaimOutcome.LIMIT_REACHED)

    # The first write: from here on this transaction holds the voucher (PostgreSQL row lock,
    # SQLite write lock) until it commits or rolls back.
    if not _take_one_from_quota(voucher_id, now):
        db.session.rollback()
        return ClaimResult(_refusal_after_race(voucher_id))
    held = claims_held(user_id, voucher_id)
    if held >= voucher.per_user_limit:
        db.session.rollback()
        return ClaimResult(ClaimOutcome.LIMIT_REACHED)
    try:
        claim = insert_claim(voucher_id, user_id, held + 1)
    except SlotTaken:
        db.session.rollback()
        discard_pending()
        return ClaimResult(ClaimOutcome.LIMIT_REACHED)
    record_claim(voucher_id)
    _queue_code_sms(user, voucher, claim, locale or user.locale or "en")
    commit_and_dispatch()
    forget_suggestions(user_id)  # the voucher may be used up for them now, and is a new signal
    return ClaimResult(ClaimOutcome.OK, claim)


def claims_on_voucher(user_id: int, voucher_id: int) -> list[Claim]:
    """The user's own claims on one voucher, oldest first (hidden ones included)."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.user_id == user_id, Claim.voucher_id == voucher_id)
            .order_by(Claim.claim_number)
        )
    )


def _with_voucher(query: Select[Claim]) -> Select[Claim]:
    return query.options(
        joinedload(Claim.voucher).joinedload(Voucher.company),
        joinedload(Claim.voucher).selectinload(Voucher.branches),
        joinedload(Claim.redeemed_branch),
    )


def claim_for_owner(user_id: int, claim_id: int) -> Claim | None:
    """The claim with its voucher when ``user_id`` owns it; None for anyone else's or unknown."""
    return db.session.scalar(
        _with_voucher(select(Claim).where(Claim.id == claim_id, Claim.user_id == user_id))
    )


def list_my_claims(user_id: int) -> MyClaims:
    """The user's claims as active, redeemed and expired; hidden ones only in ``hidden``."""
    now = utcnow()
    mine = MyClaims()
    rows = db.session.scalars(
        _with_voucher(
            select(Claim).where(Claim.user_id == user_id).order_by(Claim.claimed_at.desc())
        )
    ).unique()
    for claim in rows:
        if claim.hidden_at is not None:
            mine.hidden.append(claim)
        else:
            getattr(mine, claim.state_at(now)).append(claim)
    mine.active.sort(key=lambda claim: claim.voucher.ends_at)
    mine.redeemed.sort(key=lambda claim: claim.redeemed_at or claim.claimed_at, reverse=True)
    mine.expired.sort(key=lambda claim: claim.voucher.ends_at, reverse=True)
    return mine


def set_claim_hidden(user_id: int, claim_id: int, hidden: bool) -> Claim | None:
    """Hide the owner's claim from history and suggestions, or show it again; None if not theirs."""
    claim = claim_for_owner(user_id, claim_id)
    if claim is None:
        return None
    if hidden and claim.hidden_at is None:
        claim.hidden_at = utcnow()
    elif not hidden:
        claim.hidden_at = None
    db.session.commit()
    forget_suggestions(user_id)  # a hidden claim no longer signals what they like
    return claim
