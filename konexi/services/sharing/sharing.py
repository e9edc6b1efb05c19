"""Sharing a voucher with a friend by SMS or email, through a ``/s/<token>`` link.

The friend's phone or email lives only in the outbox row that delivers the message, and is
redacted there once delivery is final (``scrub_share_contacts``); the Share row keeps an HMAC of
it, enough to refuse a second share of the same voucher and to cap what one person receives.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import joinedload

from konexi.extensions import db, rows_changed
from konexi.i18n import current_language
from konexi.messaging.outbox import commit_and_dispatch, discard_pending, queue_email, queue_sms
from konexi.models import OutboxMessage, Share, User, Voucher
from konexi.models.base import utcnow
from konexi.services.accounts import contacts, verification
from konexi.services.sharing.link_check import has_link, without_invisible

WINDOW = timedelta(hours=24)
SHARES_PER_SENDER = 10
SHARES_PER_RECIPIENT = 3  # different vouchers a person can receive a day, from everyone together
MAX_MESSAGE = 140
REDACTED = "redacted"
# "sent" and "dev" rows keep the contact a day: a carrier's delivery report can still arrive,
# and the development outbox shows it.
SCRUB_GRACE = timedelta(days=1)

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


@dataclass(frozen=True)
class SharedVoucher:
    voucher: Voucher
    state: str  # live, ended, sold_out, unavailable


def _hash(*parts: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def recipient_hash(contact: str) -> str:
    """The keyed hash of a normalised phone or email: all Konexi keeps of a friend's contact."""
    return _hash("share-recipient", contacts.canonical_destination(contact))


def ip_hash(ip: str | None) -> str | None:
    return _hash("share-ip", ip) if ip else None


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


def voucher_state(voucher: Voucher) -> str:
    """live (can be claimed now), ended, sold_out, or unavailable (not started, paused, draft)."""
    now = utcnow()
    if voucher.status == "ended" or voucher.ends_at <= now:
        return "ended"
    if voucher.status != "live" or voucher.starts_at > now or not voucher.company.is_active:
        return "unavailable"
    return "sold_out" if voucher.remaining <= 0 else "live"


def _sender_first_name(user: User) -> str:
    # Names are free text: one that looks like a link must not slip a URL into the message.
    first = ((user.name or "").split() or [""])[0][:30]
    return first if first and not has_link(first) else _("A friend")


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


def _check_sms_allowed(phone: str, ip: str | None) -> None:
    """The SMS pumping defence that verification codes also meet: allowed countries only, and
    the per-number, per-IP and global SMS caps (see ``verification.check_sms_allowed``)."""
    if not verification.sms_country_allowed(phone):
        raise ShareError("country", verification.sms_country_message(), "contact")
    try:
        verification.check_sms_allowed(phone, ip)
    except verification.SmsRefused as refused:
        reason, message, field = _SMS_REFUSALS[refused.reason]
        raise ShareError(reason, message, field) from None


def _texts(sender: User, voucher: Voucher, message: str, url: str) -> tuple[str, str, str]:
    """The SMS, and the email's subject and body, in the request's (else the sender's) language."""
    with force_locale(current_language() if has_request_context() else sender.locale or "en"):
        name = _sender_first_name(sender)
        # Plain " - " and straight quotes keep the SMS in the GSM alphabet (160 a part).
        fields = {"name": name, "title": voucher.title, "company": voucher.company.name}
        intro = _("%(name)s shared a voucher on Konexi: %(title)s - %(company)s.", **fields)
        sms = " ".join(part for part in (intro, f'"{message}"' if message else "", url) if part)
        note = [_('%(name)s wrote: "%(message)s"', name=name, message=message)] if message else []
        body = [
            _("%(name)s shared a voucher with you on Konexi:", name=name),
            "",
            f"{voucher.title} - {voucher.company.name}",
            "",
            *note,
            _("See the voucher: %(url)s", url=url),
            _("No account yet? Sign up on that page to claim it."),
            "",
            "-- ",
            _(
                "You got this email because %(name)s typed your address on Konexi to share a "
                "voucher with you. You are not on any mailing list.",
                name=name,
            ),
        ]
        subject = _("%(name)s shared a voucher with you on Konexi", name=name)
    return sms, subject, "\n".join(body)


def share_voucher(
    sender_id: int, voucher_id: int, contact: str, message: str | None, ip: str | None
) -> ShareResult:
    """A verified user sends a live voucher to a friend, within 10 shares a day per user and IP,
    never the same voucher to the same person twice a day; raises ShareError otherwise."""
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
        if voucher is None or voucher_state(voucher) != "live":
            raise ShareError("unavailable", _l("This voucher can no longer be shared."))
        recipient = recipient_hash(to)
        client = ip_hash(ip)
        _check_limits(sender.id, voucher.id, recipient, client)
        if channel == "sms":
            _check_sms_allowed(to, ip)
        token = secrets.token_urlsafe(16)
        url = f"{current_app.config['BASE_URL']}/s/{token}"
        sms, subject, body = _texts(sender, voucher, note, url)
        # The friend is not a Konexi user (as far as we know): the row carries no user_id; it
        # names the sender, so it is tied to them and goes when they are purged.
        if channel == "sms":
            outbox = queue_sms(to=to, body=sms, kind="share", named_user_id=sender.id)
        else:
            outbox = queue_email(
                to=to, subject=subject, body=body, kind="share", named_user_id=sender.id
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
        )
        db.session.add(share)
        db.session.flush()  # assigns share.id
        result = ShareResult(share.id, token, channel, mask_contact(to), url)
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
    return SharedVoucher(voucher=share.voucher, state=voucher_state(share.voucher))


def scrub_share_contacts(now: datetime | None = None) -> int:
    """Redact the friend's phone or email from share messages once delivery is final
    (delivered or failed; sent or in the dev outbox for a day); returns the rows redacted."""
    now = now or utcnow()
    final = or_(
        OutboxMessage.status.in_(("delivered", "failed")),
        and_(
            OutboxMessage.status.in_(("sent", "dev")),
            OutboxMessage.created_at < now - SCRUB_GRACE,
        ),
    )
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == "share", OutboxMessage.to_address != REDACTED, final)
        .values(to_address=REDACTED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result)
