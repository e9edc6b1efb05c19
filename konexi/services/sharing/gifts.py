"""Giving a claimed voucher to a friend: the code moves to them when they accept.

The sender types a friend's phone or email; the friend gets a ``/g/<token>`` link. Only an
account whose verified phone or email is that address can accept, signed in: a forwarded link is
useless to anyone else, and the form answers the same whether or not the address has an account
(nothing is looked up when giving). Accepting marks the sender's claim "given" (its code stops
working at once) and issues the friend a new claim with a new code, within the friend's
per-person limit. Until then the sender keeps the claim (and may still redeem it, which voids the
gift) and may take the gift back; unaccepted, it returns after ``GIFT_ACCEPT_DAYS`` or when the
voucher ends (``return_expired_gifts``, and checked again at accept time).

Races are settled by conditional UPDATEs checked by their row counts, as claims and redemptions
are: the gift row goes pending -> accepted first (of two friends, one wins), then the sender's
claim goes active -> given (a redemption at the same moment updates that same row while active:
one wins, and the loser's transaction is rolled back whole).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Update, func, select, update
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_email, queue_sms
from konexi.messaging.texts import render_text
from konexi.models import Claim, ClaimStatus, Gift, GiftStatus, User, Voucher, VoucherStatus
from konexi.models.base import utcnow
from konexi.services.catalogue.kept_suggestions import forget_suggestions
from konexi.services.claims.claims import SlotTaken, claims_held, insert_claim
from konexi.services.claims.voucher_stats import record_gift
from konexi.services.errors import FieldErrors
from konexi.services.sharing import sharing
from konexi.services.signing import Digest, keyed_digest
from konexi.urls import external_url

WINDOW = timedelta(hours=24)
GIFTS_PER_SENDER = 10  # a day
GIFTS_PER_RECIPIENT = 3  # gifts one person can receive a day, from everyone together


class GiftError(FieldErrors):
    """A gift the rules refuse, by form field (``contact``, or ``claim`` shown above the form)."""

    def __init__(self, reason: str, field: str, message: object) -> None:
        super().__init__({field: message})
        self.reason = reason


class AcceptOutcome(StrEnum):
    ACCEPTED = "accepted"
    UNVERIFIED = "unverified"
    NOT_FOUND = "not_found"  # unknown link
    NOT_FOR_YOU = "not_for_you"  # signed in with an account the gift was not sent to
    LIMIT_REACHED = "limit_reached"  # the friend already holds the per-person limit
    EXPIRED = "expired"  # returned to the sender (not accepted in time, or the voucher ended)
    UNAVAILABLE = "unavailable"  # taken back, accepted already, or the sender used it


@dataclass(frozen=True)
class GiftResult:
    gift_id: int
    masked_recipient: str


@dataclass(frozen=True)
class AcceptResult:
    outcome: AcceptOutcome
    claim: Claim | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is AcceptOutcome.ACCEPTED


def _rows_changed(statement: Update) -> int:
    """Run a conditional UPDATE; how many rows it changed decides who won a race."""
    return rows_changed(db.session.execute(statement.execution_options(synchronize_session=False)))


def token_hash(token: str) -> str:
    return keyed_digest(Digest.GIFT_LINK, token)


def _addresses_of(user: User) -> set[str]:
    """The recipient hashes of the user's phone and email (the only ways a gift can reach them)."""
    return {sharing.recipient_hash(value) for value in (user.phone, user.email) if value}


def _count_gifts(*conditions: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count(Gift.id)).where(*conditions)) or 0


def _check_limits(sender_id: int, recipient: str) -> None:
    # The sender's claim row lock serialises one claim's gifts; these caps are per day.
    since = Gift.created_at >= utcnow() - WINDOW
    if _count_gifts(Gift.sender_id == sender_id, since) >= GIFTS_PER_SENDER:
        raise GiftError(
            "sender_limit",
            "claim",
            _l("You have given %(n)d vouchers today. Try again tomorrow.", n=GIFTS_PER_SENDER),
        )
    if _count_gifts(Gift.recipient_hash == recipient, since) >= GIFTS_PER_RECIPIENT:
        raise GiftError(
            "recipient_limit",
            "contact",
            _l("Your friend has received enough vouchers for today. Try again tomorrow."),
        )


def can_give(claim: Claim) -> bool:
    """Whether the holder may offer this claim as a gift: active, and a received gift only when
    its voucher allows giving again (pending gifts and limits are checked when giving)."""
    if claim.status != ClaimStatus.ACTIVE or claim.voucher.ends_at <= utcnow():
        return False
    return claim.gifted_from_id is None or claim.voucher.allow_regift


def _giveable_claim(sender: User, claim_id: int, now: datetime) -> Claim:
    """The sender's own active claim on a running voucher, locked until commit."""
    claim = db.session.scalar(
        select(Claim)
        .where(Claim.id == claim_id, Claim.user_id == sender.id)
        .options(joinedload(Claim.voucher).joinedload(Voucher.company))
        .with_for_update(of=Claim)
    )
    if claim is None or claim.status != ClaimStatus.ACTIVE or claim.voucher.ends_at <= now:
        raise GiftError("unavailable", "claim", _l("This voucher can no longer be given."))
    if not can_give(claim):
        raise GiftError(
            "no_regift",
            "claim",
            _l("This voucher was a gift: its provider does not allow giving it again."),
        )
    if _count_gifts(Gift.claim_id == claim.id, Gift.status == GiftStatus.PENDING):
        raise GiftError(
            "pending",
            "claim",
            _l("You have already given this voucher. Take it back to give it to someone else."),
        )
    return claim


def give_claim(
    sender_id: int, claim_id: int, contact: str, locale: str, ip: str | None
) -> GiftResult:
    """The holder of an active claim gives it to a friend's phone or email (10 a day, 3 a day to
    one person); the friend gets a link to accept. Raises GiftError otherwise."""
    now = utcnow()
    try:
        sender = db.session.get(User, sender_id)
        if sender is None or not sender.is_active or not sender.is_verified:
            raise GiftError(
                "unverified", "claim", _l("Verify your phone and email to give vouchers.")
            )
        claim = _giveable_claim(sender, claim_id, now)
        try:
            channel, to = sharing.parse_contact(contact)
        except sharing.ShareError as error:
            raise GiftError(error.reason, "contact", error.message) from None
        recipient = sharing.recipient_hash(to)
        if recipient in _addresses_of(sender):
            raise GiftError(
                "self", "contact", _l("That is your own number or email: enter your friend's.")
            )
        _check_limits(sender.id, recipient)
        if channel == "sms":
            try:
                sharing.check_sms_allowed(to, ip)
            except sharing.ShareError as error:
                raise GiftError(error.reason, "contact", error.message) from None
        days = int(current_app.config["GIFT_ACCEPT_DAYS"])
        token = secrets.token_urlsafe(16)
        voucher = claim.voucher
        text = render_text(
            "gift",
            locale,
            channel=channel,
            name=sharing.sender_public_name(sender),
            title=voucher.title,
            company=voucher.company.name,
            url=external_url("sharing.gift_landing", token=token),
            days=days,
        )
        # The friend may not be a Konexi user: the row names the sender and goes with them.
        if channel == "sms":
            outbox = queue_sms(to=to, body=text.body.strip(), kind="gift", named_user_id=sender.id)
        else:
            outbox = queue_email(
                to=to, subject=text.subject, body=text.body, kind="gift", named_user_id=sender.id
            )
        db.session.flush()
        gift = Gift(
            token_hash=token_hash(token),
            claim_id=claim.id,
            voucher_id=voucher.id,
            sender_id=sender.id,
            channel=channel,
            recipient_hash=recipient,
            ip_hash=sharing.ip_hash(ip),
            outbox_message_id=outbox.id,
            status=GiftStatus.PENDING,
            created_at=now,
            expires_at=min(now + timedelta(days=days), voucher.ends_at),
        )
        db.session.add(gift)
        db.session.flush()
        result = GiftResult(gift.id, sharing.mask_contact(to))
    except Exception:
        db.session.rollback()
        discard_pending()
        raise
    commit_and_dispatch()
    return result


def take_back_gift(sender_id: int, gift_id: int) -> bool:
    """The sender takes back a gift nobody has accepted yet; False when it is not theirs or no
    longer pending."""
    changed = _rows_changed(
        update(Gift)
        .where(Gift.id == gift_id, Gift.sender_id == sender_id, Gift.status == GiftStatus.PENDING)
        .values(status=GiftStatus.TAKEN_BACK, settled_at=utcnow())
    )
    db.session.commit()
    return changed == 1


def return_expired_gifts(now: datetime | None = None) -> int:
    """Give every pending gift past its time (or its voucher's end) back to its sender."""
    now = now or utcnow()
    changed = _rows_changed(
        update(Gift)
        .where(Gift.status == GiftStatus.PENDING, Gift.expires_at <= now)
        .values(status=GiftStatus.RETURNED, settled_at=now)
    )
    db.session.commit()
    return changed


def gift_for_token(token: str) -> Gift | None:
    """The gift behind a link, with its voucher, provider and claim; None for an unknown token."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Gift)
        .where(Gift.token_hash == token_hash(token))
        .options(joinedload(Gift.voucher).joinedload(Voucher.company), joinedload(Gift.claim))
        .execution_options(populate_existing=True)
    )


def is_open(gift: Gift, now: datetime | None = None) -> bool:
    """Whether the friend can still accept: pending, in time, and the sender still holds it."""
    now = now or utcnow()
    return (
        gift.status == GiftStatus.PENDING
        and gift.expires_at > now
        and gift.claim.status == ClaimStatus.ACTIVE
    )


def closed_reason(gift: Gift, now: datetime) -> AcceptOutcome:
    """Why a gift that is not pending (or past its time) cannot be accepted."""
    if gift.status == GiftStatus.RETURNED or (
        gift.status == GiftStatus.PENDING and gift.expires_at <= now
    ):
        return AcceptOutcome.EXPIRED
    return AcceptOutcome.UNAVAILABLE


def accept_gift(user_id: int, token: str) -> AcceptResult:
    """The friend the gift was sent to (a verified account with that phone or email) takes the
    voucher: a new claim and code for them, the sender's code stops working; at most once."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.is_verified:
        return AcceptResult(AcceptOutcome.UNVERIFIED)
    gift = gift_for_token(token)
    if gift is None:
        return AcceptResult(AcceptOutcome.NOT_FOUND)
    if gift.recipient_hash not in _addresses_of(user) or gift.sender_id == user.id:
        return AcceptResult(AcceptOutcome.NOT_FOR_YOU)
    now = utcnow()
    if gift.status == GiftStatus.ACCEPTED and gift.recipient_id == user.id:
        return AcceptResult(AcceptOutcome.ACCEPTED, gift.new_claim)
    if gift.status != GiftStatus.PENDING or gift.expires_at <= now:
        return AcceptResult(closed_reason(gift, now))
    voucher = gift.voucher
    if voucher.status == VoucherStatus.ENDED:
        return AcceptResult(AcceptOutcome.EXPIRED)  # ended early by its provider
    if claims_held(user.id, voucher.id) >= voucher.per_user_limit:
        return _limit_or_settled(token, user.id, now)
    gift_id, claim_id, sender_id = gift.id, gift.claim_id, gift.sender_id

    # The first write: of two accepts, the second waits for this row and then finds it settled.
    taken = _rows_changed(
        update(Gift)
        .where(Gift.id == gift_id, Gift.status == GiftStatus.PENDING, Gift.expires_at > now)
        .values(status=GiftStatus.ACCEPTED, recipient_id=user.id, settled_at=now)
    )
    if taken != 1:
        db.session.rollback()
        return _after_race(token, user.id, now)
    moved = _rows_changed(
        update(Claim)
        .where(
            Claim.id == claim_id,
            Claim.user_id == sender_id,
            Claim.status == ClaimStatus.ACTIVE,
        )
        .values(status=ClaimStatus.GIVEN)
    )
    if moved != 1:
        db.session.rollback()  # the sender redeemed it (or lost the account) first
        _void(gift_id, now)
        return AcceptResult(AcceptOutcome.UNAVAILABLE)
    held = claims_held(user.id, voucher.id)
    if held >= voucher.per_user_limit:
        db.session.rollback()
        return _limit_or_settled(token, user.id, now)
    try:
        new_claim = insert_claim(voucher.id, user.id, held + 1, gifted_from_id=claim_id)
    except SlotTaken:
        db.session.rollback()
        return _limit_or_settled(token, user.id, now)
    _rows_changed(update(Gift).where(Gift.id == gift_id).values(new_claim_id=new_claim.id))
    record_gift(voucher.id)
    db.session.commit()
    forget_suggestions(user.id)  # the recipient's new claim counts like one of their own
    return AcceptResult(AcceptOutcome.ACCEPTED, new_claim)


def _void(gift_id: int, now: datetime) -> None:
    """The gift's claim was used by the sender: the link says so from now on."""
    _rows_changed(
        update(Gift)
        .where(Gift.id == gift_id, Gift.status == GiftStatus.PENDING)
        .values(status=GiftStatus.VOID, settled_at=now)
    )
    db.session.commit()


def _limit_or_settled(token: str, user_id: int, now: datetime) -> AcceptResult:
    """Over the limit, unless the claim that fills it is this very gift, accepted a moment ago
    by the same person in another request (a double tap), or the gift is settled meanwhile."""
    gift = gift_for_token(token)
    if gift is not None and gift.status == GiftStatus.PENDING and gift.expires_at > now:
        return AcceptResult(AcceptOutcome.LIMIT_REACHED)
    return _after_race(token, user_id, now)


def _after_race(token: str, user_id: int, now: datetime) -> AcceptResult:
    gift = gift_for_token(token)
    if gift is None:
        return AcceptResult(AcceptOutcome.NOT_FOUND)
    if gift.status == GiftStatus.ACCEPTED and gift.recipient_id == user_id:
        return AcceptResult(AcceptOutcome.ACCEPTED, gift.new_claim)
    return AcceptResult(closed_reason(gift, now))


def pending_gifts_of(sender_id: int) -> dict[int, Gift]:
    """The sender's gifts still waiting for their friend, by the claim they give."""
    rows = db.session.scalars(
        select(Gift).where(Gift.sender_id == sender_id, Gift.status == GiftStatus.PENDING)
    )
    return {gift.claim_id: gift for gift in rows}
