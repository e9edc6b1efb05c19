"""SMS leave through the outbox and the real twilio client, once, with retries only when useful."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from konexi.extensions import db
from konexi.messaging.jobs import deliver_message, sweep_outbox
from konexi.messaging.outbox import commit_and_dispatch, queue_sms
from konexi.models import OutboxMessage
from konexi.models.base import utcnow
from tests.servers.fake_twilio import FROM_NUMBER
from tests.servers.ports import free_port

PHONE = "+6281234567890"


def reload(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message


def send_sms(body: str = "Your Konexi code is 123456", to: str = PHONE) -> int:
    message = queue_sms(to=to, body=body, kind="verify_phone")
    commit_and_dispatch()
    return message.id


def make_due(message_id: int) -> None:
    """Pretend the backoff has passed."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_sms_reaches_twilio_with_sender_body_and_status_callback(app, twilio):
    message_id = send_sms()

    [sms] = twilio.messages
    assert (sms.to, sms.from_, sms.body) == (PHONE, FROM_NUMBER, "Your Konexi code is 123456")
    assert sms.status_callback == f"http://konexi.test/webhooks/twilio/status?outbox={message_id}"
    message = reload(message_id)
    assert message.status == "sent"
    assert message.provider_message_id == sms.sid
    assert message.sent_at is not None
    assert message.attempts == 1


def test_temporary_twilio_failures_are_retried_later_and_sent_once(app, twilio):
    app.config["OUTBOX_RETRY_DELAYS"] = [60, 600]
    twilio.fail_next_requests(500, 429)

    message_id = send_sms()

    message = reload(message_id)
    assert message.status == "pending"
    assert message.attempts == 1
    assert "twilio 500" in message.last_error
    # The request did not wait: the retry is due after the first backoff, not now.
    assert timedelta(seconds=55) < message.next_attempt_at - utcnow() < timedelta(seconds=70)
    assert sweep_outbox() == 0
    assert twilio.messages == []

    make_due(message_id)
    sweep_outbox()
    message = reload(message_id)
    assert (message.status, message.attempts) == ("pending", 2)
    assert "twilio 429" in message.last_error
    assert message.next_attempt_at - utcnow() > timedelta(seconds=500)

    make_due(message_id)
    sweep_outbox()
    message = reload(message_id)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, None)
    assert len(twilio.to(PHONE)) == 1
    assert twilio.duplicates() == {}


def test_invalid_number_fails_at_once_with_the_reason_and_no_retry(app, twilio):
    invalid = "+6280000000000"
    twilio.mark_invalid(invalid)

    message_id = send_sms(to=invalid)

    message = reload(message_id)
    assert message.status == "failed"
    assert message.attempts == 1
    assert "21211" in message.last_error
    assert "invalid" in message.last_error
    assert invalid not in message.last_error  # the reason never repeats the number
    sweep_outbox()
    assert twilio.state.requests == 1


def test_retries_stop_after_the_last_attempt(app, twilio):
    app.config["OUTBOX_RETRY_DELAYS"] = [0]
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    twilio.set_failure_rate(1.0, statuses=(503,))

    message_id = send_sms()
    for _ in range(5):
        sweep_outbox()

    message = reload(message_id)
    assert message.status == "failed"
    assert message.attempts == 3
    assert "gave up after 3 attempts" in message.last_error
    assert twilio.state.requests == 3


def test_unreachable_twilio_is_a_temporary_failure(app_factory, twilio):
    app = app_factory(TWILIO_API_BASE=f"http://127.0.0.1:{free_port()}")
    with app.app_context():
        message_id = send_sms()
        message = reload(message_id)
        assert message.status == "pending"
        assert "twilio unreachable" in message.last_error
        db.session.remove()


def test_delivering_the_same_message_again_does_not_resend_it(app, twilio):
    message_id = send_sms()

    assert deliver_message(message_id) == "skipped"
    assert sweep_outbox() == 0
    assert len(twilio.messages) == 1


def test_concurrent_workers_send_a_message_only_once(app, twilio):
    message = queue_sms(to=PHONE, body="Receipt: voucher redeemed", kind="redeem_receipt")
    db.session.commit()  # committed but not dispatched yet: every "worker" races for it
    message_id = message.id
    twilio.state.delay = 0.2
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def worker() -> None:
        with app.app_context():
            start.wait()
            outcomes.append(deliver_message(message_id))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(twilio.messages) == 1
    assert reload(message_id).status == "sent"


def test_a_message_stuck_in_sending_is_sent_again_after_its_lease(app, twilio):
    message = queue_sms(to=PHONE, body="Your code is 654321", kind="verify_phone")
    db.session.commit()
    # A worker claimed it and died before recording anything; its lease has run out.
    message.status = "sending"
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    app.config["OUTBOX_RETRY_DELAYS"] = [0]

    sweep_outbox()
    message = reload(message.id)
    assert message.attempts == 1
    sweep_outbox()

    message = reload(message.id)
    assert message.status == "sent"
    assert len(twilio.to(PHONE)) == 1


def test_an_unexpected_error_keeps_the_message_for_later_and_the_number_out_of_the_logs(
    app, twilio, monkeypatch, caplog
):
    def broken_send(**kwargs):
        raise RuntimeError(f"cannot format {kwargs['to']}")

    monkeypatch.setattr("konexi.messaging.delivery.send_sms", broken_send)

    message_id = send_sms()

    message = reload(message_id)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "unexpected RuntimeError"
    assert "RuntimeError" in caplog.text
    assert PHONE not in caplog.text
