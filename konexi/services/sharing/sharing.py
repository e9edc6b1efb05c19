"""Sharing a voucher with a friend by SMS or email, through a ``/s/<token>`` link.

The friend's phone or email lives only in the outbox row that delivers the message, and is
redacted there once delivery is final (``scrub_share_contacts``); the Share row keeps an HMAC of
it, enough to refuse a second share of the same voucher and to cap what one person receives.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_email, queue_sms
from konexi.messaging.texts import render_text
from konexi.models import (
    OutboxMessage,
    OutboxStatus,
    Share,
    User,
    UserStatus,
    Voucher,
    VoucherStatus,
)
from konexi.models.base import utcnow
from konexi.services.accounts import contacts, verification
from konexi.services.sharing.link_check import has_link, without_invisible
from konexi.services.signing import Digest, keyed_digest
from konexi.urls import external_url

WINDOW = timedelta(hours=24)
SHARES_PER_SENDER = 10
SHARES_PER_RECIPIENT = 3  # different vouchers a person can receive a day, from everyone together
MAX_MESSAGE = 140
REDACTED = "redacted"
# "sent" and "dev" rows keep the contact a day: a carrier's delivery report can still arrive,
# and the development outbox shows it.
SCRUB_GRACE = timedelta(days=1)

# Messages to a friend's typed address (shares and gifts): their contact is redacted after delivery.
FRIEND_MESSAGE_KINDS = ("share", "gift")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class ShareError(Exception):
    """A share the rules refuse; ``message`` is translated, ``field`` the form field it is about."""

    def __init__(self, reason: str, message: object, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ShareResult:
    share_id: int
    token: str
    channel: str  # sms, email
    masked_recipient: str
    url: str
    # The friend's public name, only when their account lets people find it by this contact.
    recipient_name: str | None = None


@dataclass(frozen=True)
class SharedVoucher:
    voucher: Voucher
    state: Availability


def recipient_hash(contact: str) -> str:
    """The keyed hash of a normalised phone or email: all Konexi keeps of a friend's contact."""
    return keyed_digest(Digest.SHARE_RECIPIENT, contacts.canonical_destination(contact))


def ip_hash(ip: str | None) -> str | None:
    return keyed_digest(Digest.SHARE_IP, ip) if ip else None


def parse_contact(raw: str) -> tuple[str, str]:
    """An email (anything with "@") or a phone number (0812… read as Indonesian), normalised."""
    raw = (raw or "").strip()
    if not raw:
        raise ShareError(
            "invalid_contact", _l("Enter your friend's mobile number or email."), "contact"
        )
    try:
        if "@" in raw:
            return "email", contacts.normalise_email(raw)
        return "sms", contacts.normalise_phone(raw)
    except contacts.InvalidContact as exc:
        raise ShareError("invalid_contact", exc.message, "contact") from exc


def clean_message(raw: str | None) -> str:
    """The optional note on one line: at most 140 characters, and no links in any disguise
    (anti-phishing; see ``link_check``). Invisible characters are dropped from what is sent."""
    message = " ".join(_CONTROL.sub(" ", without_invisible(raw or "")).split())
    if len(message) > MAX_MESSAGE:
        raise ShareError(
            "invalid_message",
            _l("Keep the message to %(max)d characters.", max=MAX_MESSAGE),
            "message",
        )
    if has_link(message):
        raise ShareError("invalid_message", _l("Links are not allowed in the message."), "message")
    return message


def mask_contact(contact: str) -> str:
    """Enough of a contact to recognise it: ``+62812•••••89``, ``s•••@example.com``."""
    if "@" in contact:
        local, _at, domain = contact.rpartition("@")
        return f"{local[:1]}•••@{domain}"
    hidden = max(len(contact) - 8, 3)
    return f"{contact[:6]}{'•' * hidden}{contact[-2:]}"


class Availability(StrEnum):
    """What a shared link's landing page can offer of its voucher."""

    LIVE = "live"  # can be claimed now
    ENDED = "ended"
    SOLD_OUT = "sold_out"
    UNAVAILABLE = "unavailable"  # not started, paused or a draft, or the provider is inactive
    WITHDRAWN = "withdrawn"  # the sender took the link back


def voucher_state(voucher: Voucher) -> Availability:
    """Whether the voucher can be claimed now, and if not, why."""
    now = utcnow()
    if voucher.status == VoucherStatus.ENDED or voucher.ends_at <= now:
        return Availability.ENDED
    if (
        voucher.status != VoucherStatus.LIVE
        or voucher.starts_at > now
        or not voucher.company.is_active
    ):
        return Availability.UNAVAILABLE
    return Availability.SOLD_OUT if voucher.remaining <= 0 else Availability.LIVE


def sender_public_name(user: User) -> str:
    """The sender's public name in a share or gift message (the display name they chose, else
    the first name), or "" (the message says "A friend") when there is none to show."""
    # Names are free text: one that looks like a link must not slip a URL into the message.
    first = user.public_name.strip()[:30]
    return first if first and not has_link(first) else ""


def _count_since(*conditions: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count(Share.id)).where(*conditions)) or 0


def _serialise_shares_to(recipient: str, client: str | None) -> None:
    """On PostgreSQL, make shares from one network and to one person wait for each other until
    commit (transaction advisory locks, always taken in this order), so two at once cannot both
    count the same total and pass a limit; the sender's row lock covers the per-sender limit."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite is for development only
    keys = [f"share-ip:{client}"] if client else []
    keys.append(f"share-to:{recipient}")
    for key in keys:
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def _check_limits(sender_id: int, voucher_id: int, recipient: str, client: str | None) -> None:
    _serialise_shares_to(recipient, client)
    since = utcnow() - WINDOW
    recent = Share.created_at >= since
    if _count_since(Share.sender_id == sender_id, recent) >= SHARES_PER_SENDER:
        raise ShareError(
            "sender_limit",
            _l("You have shared %(n)d vouchers today. Try again tomorrow.", n=SHARES_PER_SENDER),
        )
    # A whole carrier's NAT address shares one figure (SHARES_PER_IP_PER_DAY, default 500): the
    # per-sender and per-recipient limits are the real caps.
    per_ip = int(current_app.config["SHARES_PER_IP_PER_DAY"])
    if client and _count_since(Share.ip_hash == client, recent) >= per_ip:
        raise ShareError(
            "ip_limit", _l("Too many vouchers were shared from this network today. Try tomorrow.")
        )
    same = Share.recipient_hash == recipient
    if _count_since(same, Share.voucher_id == voucher_id, recent):
        raise ShareError(
            "duplicate", _l("This voucher was already sent to your friend today."), "contact"
        )
    if _count_since(same, recent) >= SHARES_PER_RECIPIENT:
        raise ShareError(
            "recipient_limit",
            _l("Your friend has received enough vouchers for today. Try again tomorrow."),
            "contact",
        )


_SMS_REFUSALS = {
    # SmsRefused.reason: (ShareError reason, message, field)
    "number": (
        "recipient_limit",
        _l("Your friend has received enough texts for now. Try later or share by email."),
        "contact",
    ),
    "ip": (
        "ip_limit",
        _l("Too many texts were sent from this network. Try later or share by email."),
        None,
    ),
    "global": (
        "sms_busy",
        _l("We can't send texts right now. Try again later or share by email."),
        None,
    ),
}


def check_sms_allowed(phone: str, ip: str | None) -> None:
    """The SMS pumping defence that verification codes also meet: allowed countries only, and
    the per-number, per-IP and global SMS caps (see ``verification.check_sms_allowed``)."""
    if not verification.sms_country_allowed(phone):
        raise ShareError("country", verification.sms_country_message(), "contact")
    try:
        verification.check_sms_allowed(phone, ip)
    except verification.SmsRefused as refused:
        reason, message, field = _SMS_REFUSALS[refused.reason]
        raise ShareError(reason, message, field) from None


@dataclass(frozen=True)
class _Recipient:
    """The account behind a friend's proven contact, as far as a share may use it."""

    user: User
    findable: bool  # lets people find it: the sender sees the public name
    quiet: bool  # SMS notifications off: a share by SMS is not texted, only listed


def _recipient_account(channel: str, to: str) -> _Recipient | None:
    """The active account that proved this contact, when it lets people find it by its email or
    phone (and is fully verified) or, for a text, has SMS notifications off; None otherwise.
    The same single query runs whatever the answer, so neither the page nor the database work
    tells a sender that an address has an account."""
    fully_verified = and_(User.phone_verified_at.is_not(None), User.email_verified_at.is_not(None))
    findable = and_(User.findable_by_email.is_(True), fully_verified)
    if channel == "email":
        match = and_(User.email_key == to.lower(), User.email_verified_at.is_not(None))
        wanted = findable
    else:
        match = and_(User.phone == to, User.phone_verified_at.is_not(None))
        wanted = or_(findable, User.sms_notifications.is_(False))
    user = db.session.scalar(select(User).where(match, User.status == UserStatus.ACTIVE, wanted))
    if user is None:
        return None
    return _Recipient(
        user=user,
        findable=bool(user.findable_by_email and user.phone_verified_at and user.email_verified_at),
        quiet=channel == "sms" and not user.sms_notifications,
    )


def share_voucher(
    sender_id: int,
    voucher_id: int,
    contact: str,
    message: str | None,
    ip: str | None,
    locale: str | None = None,
) -> ShareResult:
    """A verified user sends a live voucher to a friend, within 10 shares a day per user and IP,
    never the same voucher to the same person twice a day; raises ShareError otherwise. The text
    is in ``locale`` (the sender's language on the page), else the sender's stored language."""
    sender = db.session.get(User, sender_id, with_for_update=True)  # serialises one user's shares
    try:
        if sender is None or not sender.is_active or not sender.is_verified:
            raise ShareError(
                "unverified", _l("Verify your phone and email to share vouchers by SMS or email.")
            )
        channel, to = parse_contact(contact)
        note = clean_message(message)
        voucher = db.session.scalar(
            select(Voucher).where(Voucher.id == voucher_id).options(joinedload(Voucher.company))
        )
        if voucher is None or voucher_state(voucher) != Availability.LIVE:
            raise ShareError("unavailable", _l("This voucher can no longer be shared."))
        recipient = recipient_hash(to)
        client = ip_hash(ip)
        _check_limits(sender.id, voucher.id, recipient, client)
        if channel == "sms":
            check_sms_allowed(to, ip)
        friend = _recipient_account(channel, to)
        if friend is not None and friend.user.id == sender.id:
            friend = None  # one's own address: nothing to find
        token = secrets.token_urlsafe(16)
        url = external_url("sharing.landing", token=token)
        text = render_text(
            "share",
            locale or sender.locale or "en",
            channel=channel,
            name=sender_public_name(sender),
            title=voucher.title,
            company=voucher.company.name,
            message=note,
            url=url,
            # Only a friend the sender was shown by name is told they have an account: the
            # email then reveals nothing the sender does not already know.
            has_account=friend is not None and friend.findable,
        )
        # The message is addressed to a contact, not to an account (even a findable friend's):
        # the row carries no user_id; it names the sender, so it goes when they are purged.
        if channel == "sms":
            outbox = queue_sms(to=to, body=text.body.strip(), kind="share", named_user_id=sender.id)
            if friend is not None and friend.quiet:
                # Not an essential text: it lands in their list instead. The row is still
                # written (same statements for the sender), without the number, never sent.
                outbox.status = OutboxStatus.WITHHELD
                outbox.to_address = REDACTED
        else:
            outbox = queue_email(
                to=to,
                subject=text.subject,
                body=text.body,
                kind="share",
                named_user_id=sender.id,
            )
        db.session.flush()
        share = Share(
            token=token,
            voucher_id=voucher.id,
            sender_id=sender.id,
            channel=channel,
            recipient_hash=recipient,
            ip_hash=client,
            outbox_message_id=outbox.id,
            # Always set, even to None, so the INSERT is the same statement either way.
            recipient_user_id=friend.user.id if friend is not None else None,
        )
        db.session.add(share)
        db.session.flush()  # assigns share.id
        name = (friend.user.public_name or None) if friend is not None and friend.findable else None
        result = ShareResult(share.id, token, channel, mask_contact(to), url, name)
    except Exception:
        db.session.rollback()
        discard_pending()
        raise
    commit_and_dispatch()
    return result


def open_shared_voucher(token: str, count_open: bool = False) -> SharedVoucher | None:
    """The voucher behind a share link (None for an unknown token) and whether it is claimable;
    a visit adds one to the share's open count in one UPDATE (an aggregate, nothing else)."""
    if count_open:
        db.session.execute(
            update(Share)
            .where(Share.token == token)
            .values(opened_count=Share.opened_count + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    share = db.session.scalar(
        select(Share)
        .where(Share.token == token)
        .options(
            joinedload(Share.voucher).joinedload(Voucher.company),
            joinedload(Share.voucher).joinedload(Voucher.category),
        )
    )
    if share is None:
        return None
    if share.withdrawn_at is not None:
        return SharedVoucher(voucher=share.voucher, state=Availability.WITHDRAWN)
    return SharedVoucher(voucher=share.voucher, state=voucher_state(share.voucher))


def list_my_shares(sender_id: int, limit: int = 20) -> list[Share]:
    """The sender's links that still work, newest first (withdrawn ones are gone for good)."""
    return list(
        db.session.scalars(
            select(Share)
            .where(Share.sender_id == sender_id, Share.withdrawn_at.is_(None))
            .options(joinedload(Share.voucher))
            .order_by(Share.created_at.desc(), Share.id.desc())
            .limit(limit)
        )
    )


def withdraw_share(sender_id: int, share_id: int) -> bool:
    """The sender withdraws their link: it shows "no longer available" from now on; False when
    the share is not theirs or already withdrawn."""
    result = db.session.execute(
        update(Share)
        .where(Share.id == share_id, Share.sender_id == sender_id, Share.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result) == 1


def scrub_share_contacts(now: datetime | None = None) -> int:
    """Redact the friend's phone or email from share messages once delivery is final
    (delivered or failed; sent or in the dev outbox for a day); returns the rows redacted."""
    now = now or utcnow()
    final = or_(
        OutboxMessage.status.in_((OutboxStatus.DELIVERED, OutboxStatus.FAILED)),
        and_(
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DEV)),
            OutboxMessage.created_at < now - SCRUB_GRACE,
        ),
    )
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind.in_(FRIEND_MESSAGE_KINDS),
            OutboxMessage.to_address != REDACTED,
            final,
        )
        .values(to_address=REDACTED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result)
