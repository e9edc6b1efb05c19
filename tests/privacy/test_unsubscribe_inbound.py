"""Unsubscribing by email: the List-Unsubscribe mailto reaches the mail provider, which posts the
message to /webhooks/inbound-email; the signed token in it turns marketing email off."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import EmailSuppression, User
from konexi.models.preferences import user_favourite_categories
from konexi.services.catalogue import digest
from tests.servers.smtp_server import SmtpServer
from tests.support.factories import fresh, make_voucher

SECRET = "inbound-test-secret"  # noqa: S105
ADDRESS = "ani@example.com"


def _marketing_user(create_user: Callable[..., User], email: str = ADDRESS) -> User:
    user = create_user(email=email)
    user.marketing_email = True
    voucher = make_voucher(title="Es teh manis gratis")
    db.session.execute(
        user_favourite_categories.insert().values(user_id=user.id, category_id=voucher.category_id)
    )
    db.session.commit()
    return user


def _digest_mailto(mailbox: SmtpServer, address: str = ADDRESS) -> str:
    """The mailto URI of the List-Unsubscribe header of the digest that reached the address."""
    assert digest.send_weekly_digests() == 1
    [mail] = mailbox.to(address)
    match = re.search(r"<(mailto:[^>]+)>", mail.message["List-Unsubscribe"])
    assert match, mail.message["List-Unsubscribe"]
    return match.group(1)


def _reply_to_mailto(mailto: str, sender: str = ADDRESS) -> bytes:
    """The email a mail client sends for a mailto URI (RFC 6068), as the provider receives it."""
    parts = urlsplit(mailto)
    query = parse_qs(parts.query)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = unquote(parts.path)
    message["Subject"] = query.get("subject", ["unsubscribe"])[0]
    message.set_content(query.get("body", ["Please unsubscribe me."])[0])
    return message.as_bytes()


def _post(client: FlaskClient, raw: bytes, secret: str = SECRET, **kwargs):
    credentials = base64.b64encode(f"inbound:{secret}".encode()).decode()
    return client.post(
        "/webhooks/inbound-email",
        data=raw,
        content_type="message/rfc822",
        headers={"Authorization": f"Basic {credentials}"},
        **kwargs,
    )


def _suppressions() -> int:
    return db.session.scalar(select(func.count(EmailSuppression.id)))


def _app(app_factory: Callable[..., Flask], **env: str) -> Flask:
    return app_factory(INBOUND_EMAIL_SECRET=SECRET, **env)


def test_replying_to_the_digests_mailto_unsubscribes(
    app_factory: Callable[..., Flask], create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    app = _app(app_factory)
    with app.app_context():
        user = _marketing_user(create_user)
        mailto = _digest_mailto(mailbox)
        assert mailto.startswith("mailto:unsubscribe@konexi.test?subject=unsubscribe%20")

        response = _post(app.test_client(), _reply_to_mailto(mailto))

        assert response.status_code == 200
        assert fresh(User, user.id).marketing_email is False
        assert _suppressions() == 1
        mailbox.clear()
        assert digest.send_weekly_digests() == 0  # next week's digest is not sent
        db.session.remove()


def test_the_configured_mailbox_and_a_sendgrid_form_post_work(
    app_factory: Callable[..., Flask],
    create_user: Callable[..., User],
    mailbox: SmtpServer,
    redis_url: str,
) -> None:
    app = _app(
        app_factory, UNSUBSCRIBE_MAILBOX="Konexi <optout@mail.konexi.test>", REDIS_URL=redis_url
    )
    with app.app_context():
        user = _marketing_user(create_user)
        mailto = _digest_mailto_after_worker(mailbox, redis_url)
        assert mailto.startswith("mailto:optout@mail.konexi.test?subject=unsubscribe%20")
        raw = _reply_to_mailto(mailto)

        # SendGrid Inbound Parse ("POST the raw, full MIME message"): a multipart form.
        response = app.test_client().post(
            "/webhooks/inbound-email",
            data={"email": raw.decode(), "to": unquote(urlsplit(mailto).path)},
            headers={"X-Inbound-Secret": SECRET},
        )

        assert response.status_code == 200
        # The same job as the one-click POST, queued with the user's id only.
        [job] = Queue("default", connection=Redis.from_url(redis_url)).get_jobs()
        assert job.func_name == "konexi.services.privacy.jobs.process_unsubscribe"
        assert job.args == (user.id,)
        assert fresh(User, user.id).marketing_email is True  # not until the worker runs
        SimpleWorker(["default"], connection=Redis.from_url(redis_url)).work(burst=True)
        assert fresh(User, user.id).marketing_email is False
        assert _suppressions() == 1
        db.session.remove()


def _digest_mailto_after_worker(mailbox: SmtpServer, redis_url: str) -> str:
    """With Redis, the digest waits in the email queue until a worker sends it."""
    assert digest.send_weekly_digests() == 1
    SimpleWorker(["email"], connection=Redis.from_url(redis_url)).work(burst=True)
    [mail] = mailbox.to(ADDRESS)
    match = re.search(r"<(mailto:[^>]+)>", mail.message["List-Unsubscribe"])
    assert match
    return match.group(1)


def test_a_plus_addressed_token_is_read_too(
    app_factory: Callable[..., Flask], create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    app = _app(app_factory)
    with app.app_context():
        user = _marketing_user(create_user)
        token = _digest_mailto(mailbox).rsplit("%20", 1)[1]
        message = EmailMessage()
        message["From"] = ADDRESS
        message["To"] = f"unsubscribe+{token}@konexi.test"  # the token in the address instead
        message["Subject"] = "Re: unsubscribe"
        message.set_content("stop")

        assert _post(app.test_client(), message.as_bytes()).status_code == 200

        assert fresh(User, user.id).marketing_email is False
        db.session.remove()


def test_a_mailgun_mime_forward_works(
    app_factory: Callable[..., Flask], create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    app = _app(app_factory)
    with app.app_context():
        user = _marketing_user(create_user)
        mailto = _digest_mailto(mailbox)
        credentials = base64.b64encode(f"api:{SECRET}".encode()).decode()

        response = app.test_client().post(
            "/webhooks/inbound-email/mime",
            data={
                "body-mime": _reply_to_mailto(mailto).decode(),
                "recipient": unquote(urlsplit(mailto).path),
            },
            headers={"Authorization": f"Basic {credentials}"},
        )

        assert response.status_code == 200
        assert fresh(User, user.id).marketing_email is False
        db.session.remove()


def test_a_wrong_or_missing_secret_is_refused(
    app_factory: Callable[..., Flask], create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    app = _app(app_factory)
    with app.app_context():
        user = _marketing_user(create_user)
        raw = _reply_to_mailto(_digest_mailto(mailbox))
        client = app.test_client()

        assert _post(client, raw, secret="guessed").status_code == 401
        no_auth = client.post("/webhooks/inbound-email", data=raw, content_type="message/rfc822")
        assert no_auth.status_code == 401
        assert "Basic" in no_auth.headers["WWW-Authenticate"]
        assert fresh(User, user.id).marketing_email is True
        assert _suppressions() == 0
        db.session.remove()


def test_without_a_secret_the_endpoint_does_not_exist(
    app_factory: Callable[..., Flask], create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    app = app_factory()
    with app.app_context():
        user = _marketing_user(create_user)
        raw = _reply_to_mailto(_digest_mailto(mailbox))

        assert _post(app.test_client(), raw, secret="").status_code == 404

        assert fresh(User, user.id).marketing_email is True
        db.session.remove()


def test_a_tampered_token_or_a_garbled_message_does_nothing_but_answers_200(
    app_factory: Callable[..., Flask],
    create_user: Callable[..., User],
    mailbox: SmtpServer,
    caplog,
) -> None:
    app = _app(app_factory)
    with app.app_context():
        user = _marketing_user(create_user)
        mailto = _digest_mailto(mailbox)
        tampered = mailto[:-2] + ("AA" if not mailto.endswith("AA") else "BB")
        client = app.test_client()

        caplog.set_level("WARNING", logger="konexi.webhooks.inbound_email")
        for raw in (
            _reply_to_mailto(tampered),
            b"",
            b"\x00\xff not an email at all \r\n\r\n",
            b"Subject: =?utf-8?q?broken\r\nTo: <<<@@@>>>\r\n\r\nbody",
        ):
            assert _post(client, raw).status_code == 200

        assert fresh(User, user.id).marketing_email is True
        assert _suppressions() == 0
        assert "no valid unsubscribe token" in caplog.text
        assert ADDRESS not in caplog.text
        db.session.remove()


def test_a_token_for_an_address_the_user_no_longer_has_does_nothing(
    app_factory: Callable[..., Flask], create_user: Callable[..., User], mailbox: SmtpServer
) -> None:
    app = _app(app_factory)
    with app.app_context():
        user = _marketing_user(create_user)
        raw = _reply_to_mailto(_digest_mailto(mailbox))
        user.email = "new-address@example.com"
        db.session.commit()

        assert _post(app.test_client(), raw).status_code == 200

        assert fresh(User, user.id).marketing_email is True
        assert _suppressions() == 0
        db.session.remove()
