"""What accounts send: verification and reset codes, and the password-changed notice.

Texts go through ``_()`` in the current request's language; SMS stay within one segment.
Everything is queued in the outbox; the calling service commits with ``commit_and_dispatch()``.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from konexi.messaging.outbox import queue_email, queue_sms
from konexi.models import User, VerificationCode
from konexi.services.verification import Channel, Purpose, TooManyCodes, issue_code, link_token


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def queue_verification_code(user: User, purpose: Purpose, ip: str | None) -> TooManyCodes | None:
    """Issue and queue a code for the user's phone or email; past a limit nothing is sent and
    the refusal (with its retry time) is returned."""
    is_phone = purpose is Purpose.VERIFY_PHONE
    try:
        row, code = issue_code(
            purpose=purpose,
            channel=Channel.SMS if is_phone else Channel.EMAIL,
            destination=user.phone if is_phone else user.email,
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
    queue_sms(
        to=user.phone,
        body=_("Konexi code: %(code)s. Valid 10 minutes. Never share it.", code=code),
        kind=Purpose.VERIFY_PHONE.value,
        user_id=user.id,
    )


def queue_email_code(user: User, row: VerificationCode, code: str) -> None:
    """The email verification code and a link that verifies without typing (both 10 minutes)."""
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
    queue_email(
        to=user.email,
        subject=_("Reset your Konexi password"),
        body=body + "\n",
        kind=Purpose.RESET_PASSWORD.value,
        user_id=user.id,
    )


def queue_password_changed(user: User) -> None:
    """Tell the owner their password changed, with a way back in if it was not them."""
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
