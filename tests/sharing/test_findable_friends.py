"""Sharing to a friend who lets people find them: their name for the sender, the voucher in
their "Shared with me" list; and nothing at all that tells a sender an address has an account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html import unescape

import pytest

from konexi.extensions import db
from konexi.models import Share, User
from konexi.models.base import utcnow
from konexi.services.privacy.export import export_user_data
from konexi.services.privacy.purge import purge_due_accounts
from konexi.services.sharing import inbox, sharing
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.catalogue import count_queries
from tests.support.factories import fresh, make_voucher
from tests.support.sharing import body_without_csrf, post_share, share_messages, shares

FRIEND_EMAIL = "budi.friend@example.com"


def findable_friend(
    create_user: Callable[..., User], email: str = FRIEND_EMAIL, **overrides: object
) -> User:
    friend = create_user(name="Budi Santoso", email=email, **overrides)
    friend.findable_by_email = True
    friend.display_name = "Budi S."
    db.session.commit()
    return friend


def test_a_findable_friend_is_named_and_gets_the_voucher_in_their_list(app, create_user, mailbox):
    sender = create_user(name="Siti Rahma")
    friend = findable_friend(create_user)
    voucher = make_voucher()

    result = sharing.share_voucher(sender.id, voucher.id, "Budi.Friend@EXAMPLE.com", "", None)

    assert result.recipient_name == "Budi S."
    [entry] = inbox.shared_with_me(friend.id)
    assert (entry.sender_name, entry.voucher.id, entry.state) == ("Siti", voucher.id, "live")
    [mail] = mailbox.to("Budi.Friend@example.com")  # the email still goes out, as typed
    assert "/s/" + result.token in mail.text
    assert inbox.shared_with_me(sender.id) == []


def test_a_findable_friend_is_found_by_their_proven_phone(app, create_user, twilio):
    sender = create_user()
    friend = findable_friend(create_user, phone="+6281298765432")
    friend.sms_notifications = True  # off (the default), the text would be withheld
    db.session.commit()
    voucher = make_voucher()

    result = sharing.share_voucher(sender.id, voucher.id, "0812 9876 5432", "", None)

    assert result.recipient_name == "Budi S."
    assert [e.share_id for e in inbox.shared_with_me(friend.id)] == [result.share_id]
    assert len(twilio.to("+6281298765432")) == 1


def _not_found(kind: str, create_user: Callable[..., User]) -> None:
    """Set up the account behind ``b<kind>@example.com`` as the case says."""
    if kind == "no account":
        return
    friend = findable_friend(create_user, email=f"b{kind.replace(' ', '')}@example.com")
    if kind == "switch off":
        friend.findable_by_email = False
    elif kind == "email not proven":
        friend.email_verified_at = None
    elif kind == "closed":
        friend.status = "closed"
    elif kind == "deleting":
        friend.status = "deleting"
    db.session.commit()


CASES = ("no account", "switch off", "email not proven", "closed", "deleting")


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_nothing_tells_the_sender_whether_an_address_has_an_account(
    client, create_user, mailbox, htmx: bool
) -> None:
    sender = create_user()
    voucher = make_voucher()
    log_in(client, sender)
    bodies: dict[str, str] = {}
    queries: dict[str, list[str]] = {}
    for kind in CASES:
        _not_found(kind, create_user)
        address = f"b{kind.replace(' ', '')}@example.com"  # all mask as b•••@example.com
        with count_queries() as statements:
            response = post_share(client, voucher.id, address, htmx=htmx)
        if not htmx:
            assert response.status_code == 303
            response = client.get(response.headers["Location"])  # the page with the note
        assert response.status_code == 200
        bodies[kind] = body_without_csrf(response)
        queries[kind] = statements

    assert "Sent to b•••@example.com." in bodies["no account"]
    for kind in CASES[1:]:
        assert bodies[kind] == bodies["no account"], kind
        assert queries[kind] == queries["no account"], kind  # same work, same timing
    assert all(share.recipient_user_id is None for share in shares())
    assert len(share_messages()) == len(CASES)  # every friend still gets the email


def test_the_sender_sees_the_name_with_and_without_javascript(client, create_user, mailbox):
    sender = create_user()
    findable_friend(create_user)
    log_in(client, sender)

    htmx = post_share(client, make_voucher().id, FRIEND_EMAIL, htmx=True)
    plain = post_share(client, make_voucher().id, FRIEND_EMAIL)

    note = "Sent to Budi S. (b•••@example.com). It is also in their Konexi inbox."
    assert note in unescape(htmx.get_data(as_text=True))
    assert note in unescape(client.get(plain.headers["Location"]).get_data(as_text=True))
    assert "Budi Santoso" not in unescape(htmx.get_data(as_text=True))


def test_my_vouchers_lists_shares_and_the_friend_dismisses_them(client, create_user, mailbox):
    sender = create_user(name="Siti Rahma")
    friend = findable_friend(create_user)
    for title in ("Es teh", "Nasi goreng"):
        sharing.share_voucher(sender.id, make_voucher(title=title).id, FRIEND_EMAIL, "", None)
    [_newest, first] = inbox.shared_with_me(friend.id)
    log_in(client, friend)

    page = unescape(client.get("/me/vouchers").get_data(as_text=True))
    assert "Shared with me" in page and "Es teh" in page and "Nasi goreng" in page
    assert "From Siti," in page and "See and claim" in page
    token = csrf_token_from(page)

    swapped = client.post(
        f"/me/shared/{first.share_id}/dismiss",
        data={"csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert swapped.status_code == 200 and swapped.get_data(as_text=True) == ""
    again = client.post(f"/me/shared/{first.share_id}/dismiss", data={"csrf_token": token})
    assert again.status_code == 404
    page = unescape(client.get("/me/vouchers").get_data(as_text=True))
    assert "Es teh" not in page and "Nasi goreng" in page


def test_only_the_recipient_can_dismiss_and_only_with_a_csrf_token(client, create_user, mailbox):
    sender = create_user()
    friend = findable_friend(create_user)
    result = sharing.share_voucher(sender.id, make_voucher().id, FRIEND_EMAIL, "", None)
    log_in(client, sender)
    token = csrf_token_from(client.get("/me/vouchers").get_data(as_text=True))

    dismiss = f"/me/shared/{result.share_id}/dismiss"
    assert client.post(dismiss, data={"csrf_token": token}).status_code == 404
    log_in(client, friend)
    assert client.post(dismiss).status_code == 400
    assert [e.share_id for e in inbox.shared_with_me(friend.id)] == [result.share_id]


def test_a_sender_who_leaves_is_no_longer_named(app, create_user, mailbox):
    sender = create_user(name="Siti Rahma")
    friend = findable_friend(create_user)
    sharing.share_voucher(sender.id, make_voucher().id, FRIEND_EMAIL, "", None)
    sender.status = "closed"
    db.session.commit()

    [entry] = inbox.shared_with_me(friend.id)
    assert entry.sender_name is None


def test_the_export_lists_what_was_shared_with_me(app, create_user, mailbox):
    sender = create_user(name="Siti Rahma")
    friend = findable_friend(create_user)
    voucher = make_voucher(title="Es teh")
    sharing.share_voucher(sender.id, voucher.id, FRIEND_EMAIL, "", None)

    [row] = export_user_data(friend.id)["shared_with_me"]
    assert (row["voucher"], row["shared_by"], row["channel"], row["dismissed_at"]) == (
        "Es teh",
        "Siti",
        "email",
        None,
    )
    assert FRIEND_EMAIL not in str(export_user_data(sender.id))


@pytest.mark.parametrize("who", ["friend", "sender"])
def test_the_list_entry_goes_with_a_purged_account(app, create_user, mailbox, who: str):
    sender = create_user()
    friend = findable_friend(create_user)
    result = sharing.share_voucher(sender.id, make_voucher().id, FRIEND_EMAIL, "", None)
    leaving = friend if who == "friend" else sender
    leaving.status = "deleting"
    leaving.purge_after = utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert purge_due_accounts().purged_count == 1

    share = fresh(Share, result.share_id)
    assert share.recipient_user_id is None
    if who == "sender":
        assert inbox.shared_with_me(friend.id) == []
