"""Download my data: everything Konexi holds about me, from a signed link only I can use."""

from __future__ import annotations

import json
import time

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from konexi.extensions import db
from konexi.models import User
from konexi.services.accounts.account_lifecycle import make_export_token
from konexi.services.privacy.export import export_user_data
from tests.support.app import csrf_token_from
from tests.support.auth import log_in
from tests.support.purge import BIRTH, EMAIL, NAME, PHONE, make_rich_user


def _download_link(client: FlaskClient) -> str:
    page = client.get("/account/export")
    assert page.status_code == 200
    response = client.post("/account/export", data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 303
    return response.headers["Location"]


def test_export_holds_every_section_and_no_secrets(app: Flask) -> None:
    rich = make_rich_user()

    data = export_user_data(rich.user_id)

    profile = data["profile"]
    assert (profile["name"], profile["email"], profile["phone"]) == (NAME, EMAIL, PHONE)
    assert profile["birth_date"] == BIRTH.isoformat()
    assert "marketing_email" in profile and "status" in profile
    assert not {"password_hash", "email_key", "session_version"} & set(profile)
    assert [c["slug"] for c in data["favourite_categories"]] == ["food-drink"]
    assert data["location"]["latitude"] == -6.2
    assert {c["status"] for c in data["claims"]} == {"active", "redeemed"}
    redeemed = next(c for c in data["claims"] if c["status"] == "redeemed")
    assert redeemed["voucher"] == "Roti bakar 50%" and redeemed["redeemed_branch"]
    assert redeemed["provider"].startswith("Warung Kopi")
    assert data["reviews"][0]["rating"] == 4
    assert data["shares"] == [
        {
            "voucher": "Es kopi susu 1+1",
            "channel": "sms",
            "created_at": data["shares"][0]["created_at"],
            "opened_count": 0,
        }
    ]
    assert [m["role"] for m in data["memberships"]] == ["staff"]
    assert {m["kind"] for m in data["messages"]} == {"claim_code", "invitation"}
    assert data["consents"][0]["kind"] == "branch_phone"
    assert data["data_access"][0]["purpose"] == "redeem"
    document = json.dumps(data)
    assert "+6281300000999" not in document  # the friend's contact is not theirs to download
    assert "argon2" not in document


def test_download_link_gives_a_json_attachment(app: Flask, client: FlaskClient) -> None:
    rich = make_rich_user()
    log_in(client, db.session.get(User, rich.user_id))

    response = client.get(_download_link(client))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="konexi-data-')
    assert disposition.endswith('.json"')
    assert response.get_json()["profile"]["email"] == EMAIL


def test_a_tampered_link_is_refused_with_a_clear_message(app: Flask, client: FlaskClient) -> None:
    rich = make_rich_user()
    log_in(client, db.session.get(User, rich.user_id))
    link = _download_link(client)

    response = client.get(link[:-3] + "abc")

    assert response.status_code == 400
    assert "download link is not valid" in response.text
    assert EMAIL not in response.text


def test_an_expired_link_is_refused(app: Flask, client: FlaskClient) -> None:
    user = make_rich_user()
    log_in(client, db.session.get(User, user.user_id))
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="konexi-data-export")
    old = serializer.dumps({"u": user.user_id, "v": 1})
    real_time = time.time
    try:
        time.time = lambda: real_time() + 3601
        response = client.get(f"/account/export/{old}")
    finally:
        time.time = real_time

    assert response.status_code == 400
    assert "download link has expired" in response.text


def test_another_users_link_does_not_work(app: Flask, client: FlaskClient, create_user) -> None:
    owner = make_rich_user()
    token = make_export_token(db.session.get(User, owner.user_id))
    log_in(client, create_user())

    response = client.get(f"/account/export/{token}")

    assert response.status_code == 400
    assert EMAIL not in response.text


def test_the_link_needs_a_logged_in_user(app: Flask, client: FlaskClient) -> None:
    owner = make_rich_user()
    token = make_export_token(db.session.get(User, owner.user_id))

    response = client.get(f"/account/export/{token}")

    assert response.status_code in (302, 401)
    assert EMAIL not in response.text


def test_asking_for_a_link_needs_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    owner = make_rich_user()
    log_in(client, db.session.get(User, owner.user_id))

    response = client.post("/account/export")

    assert response.status_code == 400


def test_export_lists_linked_accounts_without_tokens(app, create_user):
    from konexi.extensions import db
    from konexi.models import LinkedAccount
    from konexi.services.privacy.export import export_user_data

    user = create_user()
    db.session.add(
        LinkedAccount(user_id=user.id, provider="google", subject="g-123", email=user.email)
    )
    db.session.commit()
    linked = export_user_data(user.id)["linked_accounts"]
    assert linked == [
        {
            "provider": "google",
            "subject": "g-123",
            "email": user.email,
            "linked_at": linked[0]["linked_at"],
        }
    ]
    assert "token" not in str(linked).lower()


VICTIM_EMAIL = "dewi.victim@example.com"
VICTIM_PHONE = "+6281377001122"


def _messages_to_the_victim(create_user) -> None:
    """A friend shares a voucher with the victim's email and phone; a company invites her."""
    from konexi.services.providers.invitations import invite
    from konexi.services.sharing.sharing import share_voucher
    from tests.support.factories import make_company, make_member, make_voucher

    friend = create_user(name="Rina Kusuma")
    voucher = make_voucher()
    share_voucher(friend.id, voucher.id, VICTIM_EMAIL, "Dewi, ini buat ulang tahunmu", "10.0.0.1")
    share_voucher(friend.id, voucher.id, VICTIM_PHONE, "Dewi, ini buat kamu", "10.0.0.1")
    owner = make_member(make_company(), create_user(name="Agus Owner"), "owner")
    invite(owner, VICTIM_EMAIL, "staff")


def _attacker_signs_up(phone: str) -> User:
    from konexi.services.accounts.accounts import sign_up
    from tests.support.app import TEST_PASSWORD

    return sign_up(
        name="Mallory", email=VICTIM_EMAIL, phone=phone, password=TEST_PASSWORD, ip="10.9.9.9"
    ).user


def test_an_account_that_typed_someone_elses_contacts_never_exports_their_messages(
    app: Flask, create_user
) -> None:
    # The attacker signs up with the victim's email and phone and proves neither.
    attacker = _attacker_signs_up(VICTIM_PHONE)
    _messages_to_the_victim(create_user)

    data = export_user_data(attacker.id)

    assert data["messages"] == []
    document = json.dumps(data)
    assert "ulang tahunmu" not in document and "/s/" not in document
    assert "invited you" not in document and "Agus" not in document


def test_a_proven_phone_exports_only_its_own_messages_and_never_a_code(
    app: Flask, create_user
) -> None:
    from konexi.models.base import utcnow

    attacker = _attacker_signs_up("+6281377009999")
    attacker.phone_verified_at = utcnow()  # the attacker proves only their own phone
    db.session.commit()
    _messages_to_the_victim(create_user)

    messages = export_user_data(attacker.id)["messages"]

    # The codes sent at sign-up predate the proof; nothing sent to the unproven email shows.
    assert messages == []
    assert VICTIM_EMAIL not in json.dumps(messages)


def test_the_owner_of_a_proven_address_gets_the_messages_sent_to_it(
    app: Flask, create_user
) -> None:
    victim = create_user(name="Dewi Lestari", email=VICTIM_EMAIL, phone=VICTIM_PHONE)
    # With SMS notifications off (the default) the share by SMS is never texted, only listed.
    victim.sms_notifications = True
    db.session.commit()
    _messages_to_the_victim(create_user)

    messages = export_user_data(victim.id)["messages"]

    assert sorted(m["kind"] for m in messages) == ["share", "share", "team_invitation"]


def test_one_time_codes_are_withheld_from_the_export(app: Flask, create_user) -> None:
    from konexi.messaging.outbox import commit_and_dispatch, queue_sms
    from konexi.services.privacy.export import WITHHELD

    user = create_user()
    queue_sms(to=user.phone, body="Konexi code: 123456", kind="reset_password", user_id=user.id)
    commit_and_dispatch()

    [message] = export_user_data(user.id)["messages"]

    assert message["body"] == WITHHELD
    assert "123456" not in json.dumps(export_user_data(user.id))
