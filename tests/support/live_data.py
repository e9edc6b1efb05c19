"""Data for browser journeys: rows added to the live server's database (no tests in here)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import User, Voucher
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password


def demo_voucher_id(app: Flask, title: str = "Buy 1 get 1 iced coffee") -> int:
    """The id of one of the demo data's vouchers."""
    with app.app_context():
        voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.title == title))
        db.session.remove()
    assert voucher_id is not None
    return voucher_id


def add_verified_person(
    app: Flask, name: str, email: str, phone: str, password: str, **extra: object
) -> User:
    """A verified account that logs in with ``email`` and ``password`` (returned detached)."""
    with app.app_context():
        person = User(
            name=name,
            email=email,
            phone=phone,
            password_hash=hash_password(password),
            phone_verified_at=utcnow(),
            email_verified_at=utcnow(),
            **extra,
        )
        db.session.add(person)
        db.session.commit()
        db.session.refresh(person)
        db.session.expunge(person)
        db.session.remove()
    return person
