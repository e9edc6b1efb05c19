"""Download my data: everything Konexi holds about me, from a signed link only I can use."""

from __future__ import annotations

import json
import time

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from konexi.extensions import db
from konexi.models import User
from konexi.services.account_lifecycle import make_export_token
from konexi.services.export import export_user_data
from tests.conftest import csrf_token_from
from tests.test_purge_factories import BIRTH, EMAIL, NAME, PHONE, make_rich_user


def log_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


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
        time.time = lambda: real_time() + 3601  # type: ignore[assignment]
        response = client.get(f"/account/export/{old}")
    finally:
        time.time = real_time  # type: ignore[assignment]

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
    from konexi.services.export import export_user_data

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
