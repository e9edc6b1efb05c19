"""Test data for the provider team, branch and access tests (no tests in here)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask.testing import FlaskClient
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch, Company, Invitation, Membership, User
from konexi.models.base import utcnow
from tests.support.app import csrf_token_of
from tests.support.auth import log_in
from tests.support.factories import make_company, make_member

_numbers = itertools.count(1)
ROLES = ("owner", "admin", "staff", "other_admin", "plain", "anonymous")


def make_invitation(company: Company, email: str, role: str = "staff", **extra) -> Invitation:
    from datetime import timedelta

    invitation = Invitation(
        company_id=company.id,
        email=email,
        role=role,
        expires_at=extra.pop("expires_at", utcnow() + timedelta(days=7)),
        **extra,
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation


def membership_of(user_id: int, company_id: int) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.company_id == company_id)
    )


def token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, as a browser would find it."""
    return csrf_token_of(client)


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST with the session's CSRF token, as a form on the site would."""
    form = {"csrf_token": token(client), **(data or {})}
    return client.post(url, data=form, **kwargs)


@dataclass
class World:
    """Company A (owner, admin, staff at Menteng), company B (its admin), a plain user."""

    company: Company
    branch: Branch
    other_company: Company
    other_branch: Branch
    users: dict[str, User] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    create_user: Callable[..., User] | None = None

    def client_as(self, app, role: str) -> FlaskClient:
        client = app.test_client()
        if role != "anonymous":
            log_in(client, self.users[role])
        return client

    def new_member(self, role: str = "staff") -> Membership:
        assert self.create_user is not None
        return make_member(self.company, self.create_user(name="Budi Santoso"), role)


def make_world(create_user: Callable[..., User]) -> World:
    company, other = make_company(name="Kopi Satu"), make_company(name="Kopi Dua")
    world = World(company, company.branches[0], other, other.branches[0], create_user=create_user)
    for role, name in [
        ("owner", "Ayu Owner"),
        ("admin", "Bima Admin"),
        ("staff", "Citra Staff"),
        ("other_admin", "Dewi Other"),
        ("plain", "Eko Plain"),
    ]:
        world.users[role] = create_user(name=name)
    world.memberships["owner"] = make_member(company, world.users["owner"], "owner")
    world.memberships["admin"] = make_member(company, world.users["admin"], "admin")
    world.memberships["staff"] = make_member(company, world.users["staff"], "staff", [world.branch])
    world.memberships["other_admin"] = make_member(other, world.users["other_admin"], "admin")
    return world


def invitation_links(mailbox, address: str, timeout: float = 5.0) -> list[str]:
    """The invitation links emailed to ``address`` (delivery runs in-process; allow a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        mails = mailbox.to(address)
        if mails or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return [
        link
        for mail in mails
        for link in re.findall(r"https?://\S+/provider/invitations/\S+", mail.text)
    ]
