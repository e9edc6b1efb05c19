"""A team invitation is read by the invitee: an existing account gets it in its own language."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from konexi.extensions import db
from konexi.models import User
from konexi.services.providers.invitations import invite
from tests.support.factories import make_company, make_member


def test_an_invitation_to_an_existing_account_is_in_the_invitees_language(
    app: Flask, create_user: Callable[..., User], mailbox
) -> None:
    owner = create_user(name="Siti Rahma", email="siti@example.com")
    owner.locale = "id"
    invitee = create_user(name="Budi Santoso", email="budi@example.com")
    invitee.locale = "en"
    db.session.commit()
    membership = make_member(make_company(), owner, "owner")

    invite(membership, "Budi@Example.com", "staff", locale="id")

    [mail] = mailbox.to("Budi@example.com")  # as typed, the domain lower-cased
    assert "Hello," in mail.text and "Halo," not in mail.text


def test_an_invitation_to_a_new_address_is_in_the_inviters_language(
    app: Flask, create_user: Callable[..., User], mailbox
) -> None:
    owner = create_user(name="Siti Rahma", email="siti@example.com")
    membership = make_member(make_company(), owner, "owner")

    invite(membership, "new.colleague@example.com", "staff", locale="id")

    [mail] = mailbox.to("new.colleague@example.com")
    assert "Halo," in mail.text
