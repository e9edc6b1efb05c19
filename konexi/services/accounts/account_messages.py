"""What accounts send: verification and reset codes, and the password-changed notice.

Texts go through ``_()`` in the current request's language; SMS stay within one segment.
Everything is queued in the outbox; the calling service commits with ``commit_and_dispatch()``.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from konexi.messaging.outbox import queue_email, queue_sms
from konexi.models import User, VerificationCode
from konexi.services.accounts.verification import (
    Channel,
    Purpose,
    TooManyCodes,
    issue_code,
    link_token,
)


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


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
    queue_sms(
        to=user.phone,
        body=_("Konexi code: %(code)s. Valid 10 minutes. Never share it.", code=code),
        kind=Purpose.VERIFY_PHONE.value,
        user_id=user.id,
    )


def queue_email_code(user: User, row: VerificationCode, code: str) -> None:
    """The email verification code and a link that verifies without typing (both 10 minutes)."""
    assert user.email is not None  # queue_verification_code checked
    link = f"{_base_url()}/verify/email/{link_token(row)}"
    body = "\n\n".join(
        [
            _("Hello %(name)s,", name=user.name),
            _("Your Konexi code is %(code)s", code=code),
            _("Or confirm your email by opening this link:") + "\n" + link,
            _("The code and the link are valid for 10 minutes. Never share them."),
            _("If you did not sign up for Konexi, ignore this email."),
        ]
    )
    queue_email(
        to=user.email,
        subject=_("Confirm your email for Konexi"),
        body=body + "\n",
        kind=Purpose.VERIFY_EMAIL.value,
        user_id=user.id,
    )


def queue_reset_code(user: User, channel: Channel, code: str) -> None:
    """The reset code, to the phone or the email address the account holds."""
    if channel is Channel.SMS:
        assert user.phone is not None  # the account was found by it
        queue_sms(
            to=user.phone,
            body=_("Konexi password reset code: %(code)s. Valid 10 minutes.", code=code),
            kind=Purpose.RESET_PASSWORD.value,
            user_id=user.id,
        )
        return
    body = "\n\n".join(
        [
            _("Hello %(name)s,", name=user.name),
            _("Your code to reset your Konexi password is %(code)s", code=code),
            _("It is valid for 10 minutes. Never share it."),
            _("If you did not ask for it, ignore this email: your password has not changed."),
        ]
    )
    assert user.email is not None  # the account was found by it
    queue_email(
        to=user.email,
        subject=_("Reset your Konexi password"),
        body=body + "\n",
        kind=Purpose.RESET_PASSWORD.value,
        user_id=user.id,
    )


def queue_password_changed(user: User) -> None:
    """Tell the owner their password changed, with a way back in if it was not them."""
    if not user.email:
        return
    body = "\n\n".join(
        [
            _("Hello %(name)s,", name=user.name),
            _("Your Konexi password was just changed, and you were logged out everywhere else."),
            _("If this wasn't you, reset your password now:")
            + "\n"
            + f"{_base_url()}/forgot-password",
        ]
    )
    queue_email(
        to=user.email,
        subject=_("Your Konexi password was changed"),
        body=body + "\n",
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


def _forgot_link() -> str:
    return f"{_base_url()}/forgot-password"


def _notify(
    user: User,
    *,
    email: str | None,
    phone: str | None,
    subject: str,
    lines: list[str],
    sms: str,
    kind: str,
    owned: bool = True,
) -> None:
    """Queue the same notice by email and by SMS to whichever of the two addresses exist;
    ``owned=False`` for an address that is no longer the user's (not tied to their account)."""
    owner = user.id if owned else None
    if email:
        greeting = _("Hello %(name)s,", name=user.name) if owner is not None else ""
        body = "\n\n".join([line for line in (greeting, *lines) if line])
        queue_email(to=email, subject=subject, body=body + "\n", kind=kind, user_id=owner)
    if phone:
        queue_sms(to=phone, body=sms, kind=kind, user_id=owner)


def queue_password_reset_notice(user: User, channel: Channel, removed: str | None) -> None:
    """Tell the account's contacts that the password was reset, by which channel, which
    unproven contact went with it, and how to undo it."""
    with force_locale(user.locale or "en"):
        way = _("your email address") if channel is Channel.EMAIL else _("your phone number")
        lines = [
            _(
                "Your Konexi password was reset with a code sent to %(way)s, and you were "
                "logged out everywhere.",
                way=way,
            )
        ]
        if removed:
            lines.append(
                _(
                    "%(address)s had never been confirmed, so it was removed from your account.",
                    address=mask_contact(removed),
                )
            )
        lines.append(_("If this wasn't you, reset your password now:") + "\n" + _forgot_link())
        _notify(
            user,
            email=user.email,
            phone=user.phone,
            subject=_("Your Konexi password was reset"),
            lines=lines,
            sms=_(
                "Konexi: your password was reset; you were logged out everywhere. "
                "Not you? %(link)s",
                link=_forgot_link(),
            ),
            kind="password_reset_notice",
        )


def queue_contact_changed_notice(
    user: User, kind: str, old: str | None, new: str, *, other: str | None
) -> None:
    """Tell the old address (by its channel) and the account's other contact that the email
    or phone changed; the new address appears masked."""
    is_email = kind == "email"
    old_email, old_phone = (old, other) if is_email else (other, old)
    with force_locale(user.locale or "en"):
        if is_email:
            subject = _("Your Konexi email address was changed")
            line = _(
                "The email address of your Konexi account was changed to %(new)s, and you were "
                "logged out everywhere else.",
                new=mask_contact(new),
            )
            sms = _(
                "Konexi: your account's email was changed. Not you? %(link)s", link=_forgot_link()
            )
        else:
            subject = _("Your Konexi phone number was changed")
            line = _(
                "The phone number of your Konexi account was changed to %(new)s, and you were "
                "logged out everywhere else.",
                new=mask_contact(new),
            )
            sms = _(
                "Konexi: your account's phone number was changed. Not you? %(link)s",
                link=_forgot_link(),
            )
        _notify(
            user,
            email=old_email,
            phone=old_phone,
            subject=subject,
            lines=[line, _("If this wasn't you, reset your password now:") + "\n" + _forgot_link()],
            sms=sms,
            kind=f"{kind}_changed",
        )


def queue_contact_released_notice(user: User, kind: str, removed: str) -> None:
    """Tell the account that lost an unproven contact (at its remaining contact) why."""
    with force_locale(user.locale or "en"):
        shown = mask_contact(removed)
        if kind == "email":
            line = _(
                "The email address %(address)s was removed from your Konexi account because it "
                "was never confirmed. If it is yours, add it again in your account settings.",
                address=shown,
            )
            sms = _(
                "Konexi: the unconfirmed email %(address)s was removed from your account.",
                address=shown,
            )
        else:
            line = _(
                "The phone number %(address)s was removed from your Konexi account because it "
                "was never confirmed. If it is yours, add it again in your account settings.",
                address=shown,
            )
            sms = _(
                "Konexi: the unconfirmed number %(address)s was removed from your account.",
                address=shown,
            )
        _notify(
            user,
            email=user.email,
            phone=user.phone,
            subject=_("An unconfirmed contact was removed from your Konexi account"),
            lines=[line],
            sms=sms,
            kind="contact_released",
        )


def queue_removed_address_notice(user: User, kind: str, removed: str) -> None:
    """Tell a detached address that it left an account where it was never confirmed, without
    naming anyone: it may belong to a stranger (so the message is not tied to the account)."""
    with force_locale(user.locale or "en"):
        _notify(
            user,
            email=removed if kind == "email" else None,
            phone=removed if kind == "phone" else None,
            subject=_("Removed from a Konexi account"),
            lines=[
                _(
                    "This address was removed from a Konexi account where it had never been "
                    "confirmed. Nothing else is needed from you."
                )
            ],
            sms=_("Konexi: this number was removed from an account where it was never confirmed."),
            kind="contact_released",
            owned=False,
        )


def queue_new_contact_code(user: User, kind: str, address: str, code: str) -> None:
    """The code that proves a new email or phone before it replaces the current one."""
    with force_locale(user.locale or "en"):
        if kind == "phone":
            queue_sms(
                to=address,
                body=_(
                    "Konexi code to confirm your new number: %(code)s. Valid 10 minutes.", code=code
                ),
                kind="change_phone",
                user_id=user.id,
            )
            return
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=user.name),
                _("Your code to confirm your new Konexi email address is %(code)s", code=code),
                _("It is valid for 10 minutes. Never share it."),
                _("If you did not ask for it, ignore this email: nothing has changed."),
            ]
        )
        queue_email(
            to=address,
            subject=_("Confirm your new email for Konexi"),
            body=body + "\n",
            kind="change_email",
            user_id=user.id,
        )
