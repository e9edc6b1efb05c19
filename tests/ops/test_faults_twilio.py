"""A flaky Twilio: temporary failures retried with backoff until sent, permanent ones reported,
nothing retried forever, and a send that timed out never sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from konexi.extensions import db
from konexi.messaging.delivery import max_attempts
from konexi.messaging.jobs import deliver_message, sweep_outbox
from konexi.messaging.outbox import commit_and_dispatch, queue_sms
from konexi.messaging.stats import delivery_stats
from konexi.models import OutboxMessage
from konexi.models.base import utcnow
from tests.support.accounts import sign_up
from tests.support.faults import status_counts

pytestmark = pytest.mark.faults

MESSAGES = 100
INVALID = ("+6281999000001", "+6281999000002", "+6281999000003")


def make_all_due() -> None:
    """Let the backoff pass (the next sweep finds every waiting row due)."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "pending")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_flaky_twilio_every_temporary_failure_is_retried_until_sent_and_invalid_numbers_fail(
    app, twilio
):
    # Enough attempts that a 20 % failure rate never uses them up (0.2 ** 12 per message).
    app.config["OUTBOX_MAX_ATTEMPTS"] = 12
    twilio.set_failure_rate(0.2, statuses=(500, 429))
    for number in INVALID:
        twilio.mark_invalid(number)
    good = [f"+62818{n:07d}" for n in range(MESSAGES - len(INVALID))]
    for n, number in enumerate([*good, *INVALID]):
        queue_sms(to=number, body=f"Your Konexi code is {n:06d}", kind="verify_phone")
    commit_and_dispatch()  # first attempt of each, in-process (no Redis)

    first_round = status_counts()
    assert first_round.get("pending", 0) > 0  # about one in five failed for now
    rounds = 1
    while status_counts().get("pending") and rounds < 12:
        pending = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "pending")
        ).all()
        for row in pending:  # each waits its backoff: never retried before it is due
            assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()
            assert row.last_error.startswith(("twilio 500", "twilio 429"))
        assert sweep_outbox() == 0
        make_all_due()
        sweep_outbox()
        rounds += 1

    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert status_counts() == {"sent": len(good), "failed": len(INVALID)}
    for row in rows:
        if row.to_address in INVALID:
            # Failed for good at its first 21211 (after any temporary errors), never retried.
            assert "21211" in row.last_error and row.to_address not in row.last_error
            assert row.next_attempt_at is None
        else:
            assert row.last_error is None and row.provider_message_id
    assert sorted(m.to for m in twilio.messages) == sorted(good)
    assert twilio.duplicates() == {}
    attempts = Counter(row.attempts for row in rows)
    print(
        f"\nFIGURES twilio-flaky: messages={MESSAGES} failure_rate=0.2 rounds={rounds} "
        f"requests={twilio.requests_seen()} attempts_histogram={dict(sorted(attempts.items()))} "
        f"sent={len(good)} failed_permanent={len(INVALID)} duplicated=0"
    )


def test_retries_are_bounded_when_twilio_never_recovers(app, twilio):
    twilio.set_failure_rate(1.0, statuses=(503,))
    queue_sms(to="+6281800000001", body="Your Konexi code is 111111", kind="verify_phone")
    [message_id] = commit_and_dispatch()
    for _ in range(20):
        make_all_due()
        sweep_outbox()
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert row.status == "failed"
    assert row.attempts == max_attempts(app.config) == 6
    assert "gave up after 6 attempts" in row.last_error
    assert twilio.requests_seen() == 6


def test_a_send_that_timed_out_is_looked_up_not_sent_twice(app, twilio):
    """Twilio took the message but answered after our timeout: the retry finds it there."""
    app.config["OUTBOX_SEND_TIMEOUT"] = 0.5
    twilio.state.delay = 2.0
    queue_sms(to="+6281800000002", body="Your Konexi code is 222222", kind="verify_phone")
    [message_id] = commit_and_dispatch()

    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "ambiguous: twilio did not answer: ReadTimeout"
    assert len(twilio.messages) == 1  # it did arrive

    twilio.state.delay = 0
    make_all_due()
    assert deliver_message(message_id) == "sent"
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    [sms] = twilio.messages
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 2, sms.sid)
    assert twilio.duplicates() == {}
    assert twilio.state.lookups == 1


def test_a_send_that_timed_out_before_reaching_twilio_is_sent_on_retry(app, twilio):
    app.config["OUTBOX_SEND_TIMEOUT"] = 0.5
    twilio.state.delay = 2.0
    queue_sms(to="+6281800000003", body="Your Konexi code is 333333", kind="verify_phone")
    [message_id] = commit_and_dispatch()
    twilio.reset()  # as if that request had been lost on the way: Twilio has nothing

    make_all_due()
    assert deliver_message(message_id) == "sent"
    [sms] = twilio.messages
    assert sms.body == "Your Konexi code is 333333"
    assert twilio.duplicates() == {}


def test_ambiguous_sends_are_counted_in_redis(app_factory, redis_url, twilio):
    app = app_factory(REDIS_URL=redis_url)
    app.config["OUTBOX_SEND_TIMEOUT"] = 0.5
    twilio.state.delay = 2.0
    with app.app_context():
        queue_sms(to="+6281800000004", body="Your Konexi code is 444444", kind="verify_phone")
        [message_id] = commit_and_dispatch()
        assert deliver_message(message_id) == "pending"  # the timeout: counted once
        twilio.state.delay = 0
        make_all_due()
        assert deliver_message(message_id) == "sent"  # found at Twilio: reconciled, not resent
        assert delivery_stats() == {"ambiguous": 1, "reconciled": 1, "resent": 0}
        assert len(twilio.messages) == 1
        db.session.remove()


def test_the_verify_page_says_when_the_code_could_not_be_texted(client, twilio, mailbox):
    twilio.mark_invalid("+6281299990000")
    response = sign_up(client, phone="0812 9999 0000")
    assert response.status_code == 303

    page = client.get("/verify").get_data(as_text=True)
    assert "We could not text +62 812-9999-0000." in page
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "verify_phone"))
    assert (row.status, row.attempts) == ("failed", 1) and "21211" in row.last_error

    # A number that takes SMS: no such notice.
    other = client.application.test_client()
    assert sign_up(other, email="ok@example.com", phone="0812 9999 0001").status_code == 303
    assert "We could not text" not in other.get("/verify").get_data(as_text=True)
