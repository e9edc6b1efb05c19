"""Test data for the offline counter's browser journey (no tests in here): a company with two
counters and an owner, a customer holding three live claims, people who sign in with a password."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from konexi.extensions import db
from konexi.models import User
from konexi.models.base import utcnow
from konexi.services.accounts.passwords import hash_password
from tests.support.app import TEST_PASSWORD
from tests.support.factories import make_company, make_member, make_voucher
from tests.support.redemption import make_claim

CUSTOMER_PHONE = "+6281277770009"


@dataclass(frozen=True)
class Shift:
    company_id: int
    here_id: int  # counter A's branch
    here: str
    elsewhere_id: int  # counter B's branch
    elsewhere: str
    titles: list[str]
    claim_ids: list[int]
    codes: list[str]
    customer_id: int
    customer_email: str
    staff_a: str  # emails; every password is TEST_PASSWORD
    staff_b: str
    owner: str


def _person(name: str, email: str, phone: str) -> User:
    user = User(
        name=name,
        email=email,
        phone=phone,
        password_hash=hash_password(TEST_PASSWORD),
        phone_verified_at=utcnow(),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_shift(app: Flask) -> Shift:
    with app.app_context():
        company = make_company(name="Kopi Senja")
        here, elsewhere = company.branches[0], company.branches[1]
        titles = ["Es kopi susu", "Roti bakar", "Teh tarik"]
        customer = _person("Rina Pelanggan", "rina@example.com", CUSTOMER_PHONE)
        claims = [make_claim(customer, make_voucher(company=company, title=t)) for t in titles]
        people = {
            role: _person(role.title(), f"{role}@example.com", f"+6281277771{n:03d}")
            for n, role in enumerate(("counter-a", "counter-b", "owner"))
        }
        make_member(company, people["counter-a"], "staff", [here])
        make_member(company, people["counter-b"], "staff", [elsewhere])
        make_member(company, people["owner"], "owner")
        return Shift(
            company.id,
            here.id,
            here.name,
            elsewhere.id,
            elsewhere.name,
            titles,
            [claim.id for claim in claims],
            [claim.code for claim in claims],
            customer.id,
            customer.email,
            *(people[role].email for role in ("counter-a", "counter-b", "owner")),
        )


def browser_log_in(page, base_url: str, email: str, lang: str) -> None:
    """Sign in through the login form, choosing the language on the way in."""
    page.goto(f"{base_url}/login?lang={lang}")
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url
