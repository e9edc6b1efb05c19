"""What accounts send: verification and reset codes, and the security notices.

Texts are the templates in ``templates/messages/`` (``code_sms``, ``code_email`` and one per
notice), rendered in the account's stored language: several of these go out with nobody looking
at a page in any language (a reset started from another device, a contact released by a job).
Everything is queued in the outbox; the calling service commits with ``commit_and_dispatch()``.
"""

from __future__ import annotations

from konexi.messaging.outbox import queue_email, queue_sms
from konexi.messaging.texts import render_sms, render_text
from konexi.models import User, VerificationCode
from konexi.services.accounts.verification import (
    Channel,
    Purpose,
    TooManyCodes,
    issue_code,
    link_token,
)


def _locale(user: User) -> str:
    return user.locale or "en"


def queue_verification_code(user: User, purpose: Purpose, ip: str | None) -> TooManyCodes | None:
    """Issue and queue a code for the user's phone or email; past a limit nothing is sent and
    the refusal (with its retry time) is returned."""
    is_phone = purpose is Purpose.VERIFY_PHONE
    destination = user.phone if is_phone else user.email
    if destination is None:
        return None  # detached: a new one is added (and proven) from the account page
    try:
        row, code = issue_code(
            purpose=purpose,
            channel=Channel.SMS if is_phone else Channel.EMAIL,
            destination=destination,
            user_id=user.id,
            ip=ip,
        )
    except TooManyCodes as refused:
        return refused
    if is_phone:
        queue_phone_code(user, code)
    else:
        queue_email_code(user, row, code)
    return None


def queue_phone_code(user: User, code: str) -> None:
    """The phone verification code, by SMS (one short segment)."""
    assert user.phone is not None  # queue_verification_code checked
    _queue_code_sms(user, user.phone, Purpose.VERIFY_PHONE.value, code)


def queue_email_code(user: User, row: VerificationCode, code: str) -> None:
    """The email verification code and a link that verifies without typing (both 10 minutes)."""
    assert user.email is not None  # queue_verification_code checked
    _queue_code_email(
        user, user.email, Purpose.VERIFY_EMAIL.value, code, link_token=link_token(row)
    )


def queue_reset_code(user: User, channel: Channel, code: str) -> None:
    """The reset code, to the phone or the email address the account holds."""
    if channel is Channel.SMS:
        assert user.phone is not None  # the account was found by it
        _queue_code_sms(user, user.phone, Purpose.RESET_PASSWORD.value, code)
    else:
        assert user.email is not None  # the account was found by it
        _queue_code_email(user, user.email, Purpose.RESET_PASSWORD.value, code)


def _queue_code_sms(user: User, phone: str, purpose: str, code: str) -> None:
    body = render_sms("code_sms", _locale(user), purpose=purpose, code=code)
    queue_sms(to=phone, body=body, kind=purpose, user_id=user.id)


def _queue_code_email(
    user: User, email: str, purpose: str, code: str, *, link_token: str = ""
) -> None:
    text = render_text(
        "code_email",
        _locale(user),
        purpose=purpose,
        name=user.name,
        code=code,
        link_token=link_token,
    )
    queue_email(to=email, subject=text.subject, body=text.body, kind=purpose, user_id=user.id)


def queue_password_changed(user: User) -> None:
    """Tell the owner their password changed, with a way back in if it was not them."""
    if not user.email:
        return
    text = render_text("password_changed", _locale(user), name=user.name)
    queue_email(
        to=user.email,
        subject=text.subject,
        body=text.body,
        kind="password_changed",
        user_id=user.id,
    )


# -- security notices: resets and contact changes (always sent, in the owner's language) -------
def mask_contact(value: str) -> str:
    """Enough of an address for its owner to recognise it, not enough to reveal it."""
    if "@" in value:
        local, _at, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:3]}***{value[-3:]}"


def _notify(
    user: User,
    message: str,
    *,
    email: str | None,
    phone: str | None,
    kind: str,
    owned: bool = True,
    **context: str | None,
) -> None:
    """Queue the notice ``message`` by email and by SMS to whichever of the two addresses exist;
    ``owned=False`` for an address that is no longer the user's (not tied to their account)."""
    owner = user.id if owned else None
    locale = _locale(user)
    if email:
        text = render_text(message, locale, channel="email", name=user.name, **context)
        queue_email(to=email, subject=text.subject, body=text.body, kind=kind, user_id=owner)
    if phone:
        body = render_sms(message, locale, channel="sms", **context)
        queue_sms(to=phone, body=body, kind=kind, user_id=owner)


def queue_password_reset_notice(user: User, channel: Channel, removed: str | None) -> None:
    """Tell the account's contacts that the password was reset, by which channel, which
    unproven contact went with it, and how to undo it."""
    _notify(
        user,
        "password_reset_notice",
        email=user.email,
        phone=user.phone,
        kind="password_reset_notice",
        reset_by="email" if channel is Channel.EMAIL else "sms",
        removed=mask_contact(removed) if removed else None,
    )


def queue_contact_changed_notice(
    user: User, kind: str, old: str | None, new: str, *, other: str | None
) -> None:
    """Tell the old address (by its channel) and the account's other contact that the email
    or phone changed; the new address appears masked."""
    old_email, old_phone = (old, other) if kind == "email" else (other, old)
    _notify(
        user,
        "contact_changed",
        email=old_email,
        phone=old_phone,
        kind=f"{kind}_changed",
        new=mask_contact(new),
        contact=kind,
    )


def queue_contact_released_notice(user: User, kind: str, removed: str) -> None:
    """Tell the account that lost an unproven contact (at its remaining contact) why."""
    _notify(
        user,
        "contact_released",
        email=user.email,
        phone=user.phone,
        kind="contact_released",
        address=mask_contact(removed),
        contact=kind,
    )


def queue_removed_address_notice(user: User, kind: str, removed: str) -> None:
    """Tell a detached address that it left an account where it was never confirmed, without
    naming anyone: it may belong to a stranger (so the message is not tied to the account)."""
    _notify(
        user,
        "removed_address",
        email=removed if kind == "email" else None,
        phone=removed if kind == "phone" else None,
        kind="contact_released",
        owned=False,
    )


def queue_new_contact_code(user: User, kind: str, address: str, code: str) -> None:
    """The code that proves a new email or phone before it replaces the current one."""
    if kind == "phone":
        _queue_code_sms(user, address, "change_phone", code)
    else:
        _queue_code_email(user, address, "change_email", code)
