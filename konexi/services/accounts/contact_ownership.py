"""Who holds an email address or a phone number: a proven address wins over an unproven one.

An address is *proven* on an account when the code sent to it was typed back by the person
logged in to that account (or reached it through a password reset). Rules:

- an unproven address reserves itself for UNVERIFIED_CONTACT_HOLD_HOURS after sign-up (default
  24), so a typo does not lock the owner out for long; after that, signing up with it detaches
  it from the old account;
- proving an address (a new contact confirmed, a reset code typed back) detaches it from any
  other account where it is unproven, whatever its age;
- an address proven on one account is never taken by another.

Unproven contacts only come from sign-up (a changed contact takes effect once proven), so the
account's ``created_at`` is when an unproven contact was set.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow

ContactKind = Literal["email", "phone"]


def other_kind(kind: ContactKind) -> ContactKind:
    return "phone" if kind == "email" else "email"


def contact_of(user: User, kind: ContactKind) -> str | None:
    return user.email if kind == "email" else user.phone


def is_proven(user: User, kind: ContactKind) -> bool:
    """True when the account holds a contact of this kind and it was proven."""
    verified = user.email_verified_at if kind == "email" else user.phone_verified_at
    return contact_of(user, kind) is not None and verified is not None


def mark_proven(user: User, kind: ContactKind, when: datetime | None = None) -> None:
    when = when or utcnow()
    if kind == "email":
        user.email_verified_at = user.email_verified_at or when
    else:
        user.phone_verified_at = user.phone_verified_at or when


def hold_period() -> timedelta:
    """How long an unproven address stays reserved after sign-up (a setting)."""
    hours = current_app.config["UNVERIFIED_CONTACT_HOLD_HOURS"]
    return timedelta(hours=int(hours))


def holder_of(kind: ContactKind, value: str) -> User | None:
    """The account whose current email (any letter case) or phone is ``value``, if any."""
    if kind == "email":
        query = select(User).where(User.email_key == value.lower())
    else:
        query = select(User).where(User.phone == value)
    return db.session.scalar(query.limit(1))


def is_stale(user: User, kind: ContactKind, now: datetime | None = None) -> bool:
    """An unproven contact held for longer than the hold period no longer reserves its address."""
    if is_proven(user, kind):
        return False
    return user.created_at <= (now or utcnow()) - hold_period()


def blocks_new_account(kind: ContactKind, value: str) -> bool:
    """True when ``value`` may not be used for a new account: proven, or unproven but fresh."""
    holder = holder_of(kind, value)
    return holder is not None and not is_stale(holder, kind)


def detach(user: User, kind: ContactKind) -> str | None:
    """Remove the email or phone from ``user`` (it stops logging in or receiving codes there);
    returns the address removed. Flushed at once: the unique address is free afterwards."""
    removed = contact_of(user, kind)
    if kind == "email":
        user.email, user.email_verified_at = None, None
    else:
        user.phone, user.phone_verified_at = None, None
    db.session.flush()
    return removed


def release_stale(kind: ContactKind, value: str) -> User | None:
    """Detach ``value`` from an account where it sits unproven past the hold period; returns
    that account, or None when nobody held it that way."""
    holder = holder_of(kind, value)
    if holder is None or not is_stale(holder, kind):
        return None
    detach(holder, kind)
    return holder


def release_unproven(kind: ContactKind, value: str, prover: User | None) -> User | None:
    """Someone proved ``value``: detach it from another account where it is unproven (any age).
    Returns that account, or None. An account where it is proven keeps it."""
    holder = holder_of(kind, value)
    if holder is None or is_proven(holder, kind):
        return None
    if prover is not None and holder.id == prover.id:
        return None
    detach(holder, kind)
    return holder
