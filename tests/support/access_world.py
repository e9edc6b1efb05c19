"""The world the access matrix acts on: two companies, their members, one user per kind of actor
and the objects the routes need; ``Actors`` signs each actor in, ``outcome`` classifies answers.

Shared by the access matrix, the no-store walk and the form fuzzer (tests/web/).
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image as PILImage
from sqlalchemy import delete

from konexi.extensions import db
from konexi.models import (
    Branch,
    Category,
    Company,
    Invitation,
    Membership,
    Review,
    Share,
    User,
    Voucher,
)
from konexi.models.base import utcnow
from konexi.services import images
from konexi.services.accounts import account_lifecycle, profile
from konexi.services.privacy import unsubscribe
from konexi.services.providers.invitations import invitation_token
from tests.support.access_rules import ACTORS, LOGIN, OK, REDIRECT, VERIFY, Rule
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.factories import make_company, make_voucher
from tests.support.reviews import make_review, redeemed_claim

_numbers = itertools.count(1)


def png_bytes(colour: tuple[int, int, int] = (200, 60, 20)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def make_user(name: str, verified: bool = True) -> User:
    """A user (verified unless told otherwise); the matrix signs in without a password."""
    n = next(_numbers)
    user = User(
        name=name,
        email=f"actor{n}@example.com",
        phone=f"+62813{n:07d}",
        phone_verified_at=utcnow() if verified else None,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


@dataclass
class World:
    """Two companies with their members, users and the objects the routes act on."""

    users: dict[str, User] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    static_file: str = "app.css"

    def build(self) -> World:
        self.company: Company = make_company()
        self.branch: Branch = self.company.branches[0]
        self.spare_branch: Branch = self.company.branches[1]
        self.other_company: Company = make_company()
        self.voucher: Voucher = make_voucher(company=self.company)
        self.spare_voucher: Voucher = make_voucher(company=self.company, title="Spare voucher")
        self.review_voucher: Voucher = make_voucher(company=self.company, title="Review me")
        for actor in ACTORS[1:]:
            self.users[actor] = make_user(f"Actor {actor}", verified=actor != "unverified")
        self.users["platform_admin"].is_platform_admin = True
        for role in ("staff", "admin", "owner"):
            membership = Membership(company_id=self.company.id, user_id=self.users[role].id)
            membership.role = role
            if role == "staff":
                membership.branches = [self.branch]
            db.session.add(membership)
            self.memberships[role] = membership
        other = Membership(
            company_id=self.other_company.id, user_id=self.users["other_admin"].id, role="admin"
        )
        db.session.add(other)
        db.session.commit()
        user = self.users["user"]
        self.claim = redeemed_claim(user, self.voucher)
        redeemed_claim(user, self.review_voucher)
        self.review: Review = make_review(user, self.voucher, text="Kopi enak")
        self.export_token = account_lifecycle.make_export_token(user)
        self.unsub_token = unsubscribe.make_token(user)
        self.share_token = f"share{next(_numbers):011d}"
        db.session.add(
            Share(
                token=self.share_token,
                voucher_id=self.voucher.id,
                sender_id=user.id,
                channel="sms",
                recipient_hash="0" * 64,
            )
        )
        db.session.commit()
        self.image = images.store_image(self.company.id, png_bytes())
        db.session.commit()
        return self

    # Objects some requests use up or change: built again when needed.
    def new_voucher(self) -> Voucher:
        return make_voucher(company=self.company, title=f"Claim me {next(_numbers)}")

    def new_member(self) -> Membership:
        person = make_user(f"Member {next(_numbers)}")
        membership = Membership(company_id=self.company.id, user_id=person.id, role="staff")
        db.session.add(membership)
        db.session.commit()
        return membership

    def new_invitation(self) -> Invitation:
        invitation = Invitation(
            company_id=self.company.id,
            email=f"invitee{next(_numbers)}@example.com",
            role="staff",
            expires_at=utcnow() + timedelta(days=7),
        )
        db.session.add(invitation)
        db.session.commit()
        return invitation

    def invitation_token(self) -> str:
        """A fresh invitation of company A for ``other_user``'s address."""
        invitation = self.new_invitation()
        invitation.email = self.users["other_user"].email
        db.session.commit()
        return invitation_token(invitation)

    def hidden_review(self) -> Review:
        author = make_user(f"Reviewer {next(_numbers)}")
        redeemed_claim(author, self.spare_voucher)
        return make_review(author, self.spare_voucher, text="Hidden", status="hidden")

    def spare_category(self) -> Category:
        """A category of its own for the admin's edit/deactivate routes (vouchers keep theirs)."""
        category = Category(
            slug=f"spare-{next(_numbers)}", name_en="Spare", name_id="Cadangan", is_active=False
        )
        db.session.add(category)
        db.session.commit()
        return category

    def picture_url(self) -> str:
        stored = profile.profile_picture(self.users["user"].id)
        if stored is None:  # the remove route may have taken it away
            stored = profile.set_profile_picture(self.users["user"].id, png_bytes((9, 9, 200)))
        return f"/account/picture/{stored.user_id}-{stored.sha256[:8]}.{stored.extension}"

    def public_picture_url(self) -> str:
        self.picture_url()  # makes sure the picture is there
        stored = profile.profile_picture(self.users["user"].id)
        assert stored is not None
        public_id = self.users["user"].public_id
        return f"/people/{public_id}/picture-{stored.sha256[:8]}.{stored.extension}"

    def inbox_share(self) -> int:
        """A fresh share from other_user that landed in ``user``'s "Shared with me" list."""
        share = Share(
            token=f"inbox{next(_numbers):011d}",
            voucher_id=self.voucher.id,
            sender_id=self.users["other_user"].id,
            channel="email",
            recipient_hash="1" * 64,
            recipient_user_id=self.users["user"].id,
        )
        db.session.add(share)
        db.session.commit()
        return share.id

    def image_url(self) -> str:
        return f"/media/{self.image.id}-{self.image.sha256[:8]}.{self.image.extension}"

    def picture_upload(self) -> tuple[io.BytesIO, str, str]:
        return (io.BytesIO(png_bytes()), "me.png", "image/png")

    def export_file_url(self) -> str:
        """The download link of a large export prepared by the worker job for ``user``."""
        from konexi.services.privacy import export_jobs

        user = self.users["user"]
        data_export, _created = export_jobs.request_large_export(user.id)
        export_jobs.build_export(data_export.id)
        db.session.expire_all()
        return f"/account/export/file/{export_jobs.make_file_token(data_export, user)}"

    def forget_accepted_invitations(self) -> None:
        """Undo a successful acceptance, so other_user stays in no company."""
        db.session.execute(
            delete(Membership).where(Membership.user_id == self.users["other_user"].id)
        )
        db.session.commit()


def outcome(response: Any, rule: Rule) -> str:
    """Classify an answer: ok, login, verify, redirect (a refusal) or the error status."""
    status = response.status_code
    location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
    if 300 <= status < 400:
        path = urlsplit(location).path
        if path == "/login":
            return LOGIN
        if path == "/verify":
            return VERIFY
        if rule.ok_location and not re.search(rule.ok_location, location):
            return REDIRECT
        return OK
    if status < 300 or status == 422:
        return OK
    return str(status)


class Actors:
    """One signed-in test client per actor, with the CSRF token of its session."""

    def __init__(self, app: Flask, world: World) -> None:
        self.app, self.world = app, world
        self.clients: dict[str, tuple[FlaskClient, str]] = {}

    def client(self, actor: str, fresh: bool = False) -> tuple[FlaskClient, str]:
        if fresh or actor not in self.clients:
            client = self.app.test_client()
            if actor != "anonymous":
                log_in(client, self.world.users[actor])
            page = "/login" if actor == "anonymous" else "/account/privacy"
            token = csrf_token_from(client.get(page).get_data(as_text=True))
            if fresh:
                return client, token
            self.clients[actor] = (client, token)
        return self.clients[actor]

    def request(self, rule: Rule, method: str, actor: str) -> Any:
        client, token = self.client(actor, fresh=rule.fresh_client)
        url = rule.url(self.world)
        if method == "GET":
            return client.get(url)
        data = {"csrf_token": token, **rule.data(self.world)}
        if rule.multipart:
            return client.post(url, data=data, content_type="multipart/form-data")
        return client.post(url, data=data)
