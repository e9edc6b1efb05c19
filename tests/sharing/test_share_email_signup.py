"""The share email offers a sign-up only when the sender was not shown the friend's account:
a findable friend is not told to sign up, anyone else's email reads the same as for a stranger."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from konexi.extensions import db
from konexi.models import User
from konexi.services.sharing import sharing
from tests.support.factories import make_voucher

SIGN_UP = "No account yet? Sign up on that page to claim it."


@pytest.mark.parametrize(
    "friend, offered",
    [("findable", False), ("not findable", True), ("no account", True)],
)
def test_the_sign_up_line_is_left_out_only_for_a_named_friend(
    app: Flask, create_user: Callable[..., User], mailbox, friend: str, offered: bool
) -> None:
    sender = create_user(name="Siti Rahma")
    if friend != "no account":
        account = create_user(name="Budi Santoso", email="budi@example.com")
        account.findable_by_email = friend == "findable"
        db.session.commit()

    result = sharing.share_voucher(sender.id, make_voucher().id, "budi@example.com", "", None)

    assert (result.recipient_name is not None) == (friend == "findable")
    [mail] = mailbox.to("budi@example.com")
    assert (SIGN_UP in mail.text) == offered
    assert "/s/" + result.token in mail.text
