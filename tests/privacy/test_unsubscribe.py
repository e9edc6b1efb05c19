"""One-click unsubscribe (RFC 8058): signed links, the confirm page, suppressions."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from konexi.extensions import db
from konexi.models import EmailSuppression, User
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue import digest
from konexi.services.privacy import unsubscribe as service
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import fresh, make_voucher

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _marketing_user(create_user: Callable[..., User], email: str = "ani@example.com") -> User:
    user = create_user(email=email)
    user.marketing_email = True
    db.session.commit()
    return user


def _like_vouchers(user: User) -> None:
    voucher = make_voucher(title="Es teh manis gratis")
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=voucher.category_id)
    )
    db.session.commit()


def _header_url(header: str) -> str:
    mailto = r"<mailto:unsubscribe@konexi\.test\?subject=unsubscribe%20([^>]+)>"
    match = re.match(r"<(http[^>]+)>, " + mailto + "$", header)
    assert match, header
    return match.group(1)


def _suppressions() -> int:
    return db.session.scalar(select(func.count(EmailSuppression.id)))


def test_digest_email_carries_rfc8058_headers_and_one_click_works(
    app: Flask, client: FlaskClient, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    user = _marketing_user(create_user)
    _like_vouchers(user)

    assert digest.send_weekly_digests() == 1
    [mail] = mailbox.to("ani@example.com")
    header = mail.message["List-Unsubscribe"]
    url = _header_url(header)
    token = url.rsplit("/", 1)[1]
    assert url == f"http://konexi.test/unsubscribe/{token}"
    assert header.endswith(f"<mailto:unsubscribe@konexi.test?subject=unsubscribe%20{token}>")
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in mail.text

    # The mail provider's POST: no session, no CSRF token, just the form body.
    response = client.post(url.removeprefix("http://konexi.test"), data=ONE_CLICK)
    assert response.status_code == 202
    assert response.mimetype == "text/plain"
    user = fresh(User, user.id)
    assert user.marketing_email is False
    assert _suppressions() == 1

    mailbox.clear()
    user.marketing_email = True  # even if something turned it back on without opting in
    db.session.commit()
    assert digest.send_weekly_digests() == 0
    assert mailbox.to("ani@example.com") == []


def test_browser_post_gets_a_translated_page(
    app: Flask, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = _marketing_user(create_user)
    token = service.make_token(user)
    response = client.post(
        f"/unsubscribe/{token}?lang=id", data=ONE_CLICK, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    assert "text/html" in response.content_type
    assert fresh(User, user.id).marketing_email is False


def test_get_shows_a_confirm_page_that_posts_to_the_same_url(
    app: Flask, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = _marketing_user(create_user)
    token = service.make_token(user)
    response = client.get(f"/unsubscribe/{token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'action="/unsubscribe/{token}"' in html
    assert 'method="post"' in html
    assert fresh(User, user.id).marketing_email is True  # GET changes nothing


def test_tampered_token_is_a_clear_error_not_a_crash(
    app: Flask, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = _marketing_user(create_user)
    token = service.make_token(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for response in (
        client.get(f"/unsubscribe/{tampered}"),
        client.post(f"/unsubscribe/{tampered}", data=ONE_CLICK),
        client.post("/unsubscribe/garbage", data=ONE_CLICK),
    ):
        assert response.status_code in (400, 404)
        assert "not valid" in response.get_data(as_text=True)
    indonesian = client.get(f"/unsubscribe/{tampered}?lang=id")
    assert indonesian.status_code in (400, 404)
    assert fresh(User, user.id).marketing_email is True
    assert _suppressions() == 0

    # A token signed for another purpose (another salt) is refused too.
    from itsdangerous import URLSafeSerializer

    other = URLSafeSerializer(app.config["SECRET_KEY"], salt="other").dumps([user.id, "x"])
    assert client.post(f"/unsubscribe/{other}", data=ONE_CLICK).status_code in (400, 404)


def test_suppression_outlives_the_account_until_opt_in(
    app: Flask, client: FlaskClient, create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    user = _marketing_user(create_user, email="Budi@Example.com")
    client.post(f"/unsubscribe/{service.make_token(user)}", data=ONE_CLICK)
    assert _suppressions() == 1

    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
    assert _suppressions() == 1

    again = _marketing_user(create_user, email="budi@example.com")
    _like_vouchers(again)
    assert digest.send_weekly_digests() == 0
    assert mailbox.to("budi@example.com") == []

    service.lift_suppression(again)
    db.session.commit()
    assert _suppressions() == 0
    assert digest.send_weekly_digests() == 1
    assert len(mailbox.to("budi@example.com")) == 1
