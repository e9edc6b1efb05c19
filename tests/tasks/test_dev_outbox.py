"""Without Twilio or SMTP settings, messages stay in the dev outbox, shown in development only."""

from __future__ import annotations

from konexi.extensions import db
from konexi.messaging.outbox import commit_and_dispatch, queue_email, queue_sms
from konexi.models import OutboxMessage

NO_PROVIDERS = {
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_FROM_NUMBER": "",
    "TWILIO_API_BASE": "",
    "SMTP_URL": "",
}


def test_without_providers_messages_land_in_the_dev_outbox_newest_first(
    app_factory, twilio, mailbox
):
    app = app_factory(KONEXI_ENV="development", **NO_PROVIDERS)
    with app.app_context():
        sms = queue_sms(to="+6281211112222", body="Your code is 777888", kind="verify_phone")
        commit_and_dispatch()
        email = queue_email(
            to="rina@example.com",
            subject="Reset your password",
            body="Open https://konexi.test/reset/abc to choose a new password.",
            kind="reset_password",
        )
        commit_and_dispatch()
        statuses = [db.session.get(OutboxMessage, m.id).status for m in (sms, email)]
        db.session.remove()

    assert statuses == ["dev", "dev"]
    assert twilio.messages == [] and mailbox.messages == []
    page = app.test_client().get("/dev/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in (
        "+6281211112222",
        "Your code is 777888",
        "rina@example.com",
        "Reset your password",
    ):
        assert shown in html
    assert html.index("rina@example.com") < html.index("+6281211112222")
    assert '<a href="https://konexi.test/reset/abc"' in html  # links work from the dev outbox
    assert "not sent (dev outbox)" in html


def test_only_the_unconfigured_channel_uses_the_dev_outbox(app_factory, twilio, mailbox):
    app = app_factory(SMTP_URL="")
    with app.app_context():
        sms = queue_sms(to="+6281233334444", body="Receipt", kind="redeem_receipt")
        email = queue_email(to="dewi@example.com", subject="Hi", body="Hello", kind="welcome")
        commit_and_dispatch()
        statuses = [db.session.get(OutboxMessage, m.id).status for m in (sms, email)]
        db.session.remove()

    assert statuses == ["sent", "dev"]
    assert len(twilio.messages) == 1 and mailbox.messages == []


def test_the_dev_outbox_page_is_empty_at_first(app_factory):
    app = app_factory(KONEXI_ENV="development")
    page = app.test_client().get("/dev/outbox")
    assert page.status_code == 200
    assert "No messages yet." in page.get_data(as_text=True)


def test_the_dev_outbox_is_not_found_outside_development(client):
    assert client.get("/dev/outbox").status_code == 404
