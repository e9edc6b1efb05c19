"""One signing module: each use keeps its own purpose, and what was stored or sent before it
existed still verifies.

Each "made the old way" value below is built as the code did before ``konexi.services.signing``
(HMAC-SHA256 under SECRET_KEY of the parts joined by U+001F, itsdangerous serializers with the
old salts), so a change to any derivation fails here before it strands stored hashes or links
already in people's inboxes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import date, timedelta

import pytest
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from redis import Redis

from konexi.extensions import db
from konexi.models import EmailSuppression, Share, VerificationCode
from konexi.models.base import utcnow
from konexi.services.accounts import account_lifecycle, verification
from konexi.services.accounts.verification import Channel, Purpose
from konexi.services.claims import voucher_stats
from konexi.services.privacy import export_jobs, unsubscribe
from konexi.services.providers import invitations
from konexi.services.sharing import sharing
from konexi.services.signing import Digest, TokenSalt, keyed_digest, serializer
from tests.support.accounts import email_code_for
from tests.support.factories import make_company, make_voucher
from tests.support.team import make_invitation

SECRET = "test-secret-key"  # tests/support/app.py's SECRET_KEY


def old_hmac(message: str, key: bytes = SECRET.encode()) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def old_timed(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(SECRET, salt=salt)


# -- purposes stay apart ---------------------------------------------------------------------
def test_the_same_parts_under_two_purposes_never_give_the_same_digest(app):
    labelled = [purpose for purpose in Digest if purpose is not Digest.VIEW_MARK]
    digests = {purpose: keyed_digest(purpose, "+6281234567890") for purpose in labelled}
    assert len(set(digests.values())) == len(labelled)
    # A suppressed address has no label, so it may not look like a labelled message.
    with pytest.raises(ValueError, match="separator"):
        keyed_digest(Digest.SUPPRESSED_ADDRESS, "destination\x1f+6281234567890")
    with pytest.raises(ValueError, match="derived key"):
        keyed_digest(Digest.VIEW_MARK, "1", "user:1")
    with pytest.raises(ValueError, match="derived key"):
        keyed_digest(Digest.DESTINATION, "+6281234567890", key=b"another key")


def test_a_token_signed_for_one_salt_is_refused_under_every_other(app):
    for made, read in itertools.permutations(TokenSalt, 2):
        for timed_made, timed_read in itertools.product((True, False), repeat=2):
            token = serializer(made, timed=timed_made).dumps({"u": 1})
            with pytest.raises(BadSignature):
                serializer(read, timed=timed_read).loads(token)
    # Flask's session cookie is signed with SECRET_KEY too, under its own salt.
    assert "cookie-session" not in {str(salt) for salt in TokenSalt}


@pytest.mark.parametrize(
    ("purpose", "parts", "old_message"),
    [
        (Digest.DESTINATION, ("+6281234567890",), "destination\x1f+6281234567890"),
        (Digest.IP, ("36.80.12.7",), "ip\x1f36.80.12.7"),
        (Digest.SMS_NUMBER, ("+6281234567890",), "sms-number\x1f+6281234567890"),
        (Digest.SMS_IP, ("36.80.12.7",), "sms-ip\x1f36.80.12.7"),
        (Digest.RATE_LIMIT, ("siti@example.com",), "limit\x1fsiti@example.com"),
        (Digest.RATE_LIMIT_IP, ("36.80.12.7",), "limit-ip\x1f36.80.12.7"),
        (Digest.REPORT_NETWORK, ("36.80.12.0/24",), "report-network\x1f36.80.12.0/24"),
        (Digest.SHARE_IP, ("36.80.12.7",), "share-ip\x1f36.80.12.7"),
        (Digest.VIEW_SALT, ("2026-12-04",), "view-salt\x1f2026-12-04"),
    ],
    ids=lambda value: value.name if isinstance(value, Digest) else "",
)
def test_rate_limit_and_throttle_keys_are_the_ones_made_before(app, purpose, parts, old_message):
    assert keyed_digest(purpose, *parts) == old_hmac(old_message)


# -- stored digests made the old way ---------------------------------------------------------
def test_a_verification_code_stored_the_old_way_is_accepted(app, create_user):
    user = create_user(phone="+6281234567890")
    db.session.add(
        VerificationCode(
            user_id=user.id,
            purpose=Purpose.VERIFY_PHONE,
            channel=Channel.SMS,
            destination_hash=old_hmac("destination\x1f+6281234567890"),
            ip_hash=old_hmac("ip\x1f36.80.12.7"),
            code_hash=old_hmac("code\x1fverify_phone\x1f+6281234567890\x1f482913"),
            attempts=0,
            expires_at=utcnow() + timedelta(minutes=10),
        )
    )
    db.session.commit()
    assert verification.ip_hash("36.80.12.7") == old_hmac("ip\x1f36.80.12.7")
    check = verification.check_code(
        purpose=Purpose.VERIFY_PHONE, destination="+6281234567890", code="482913", user_id=user.id
    )
    assert check.ok


def test_a_share_stored_the_old_way_still_refuses_the_same_voucher_to_the_same_friend(
    app, create_user
):
    sender = create_user()
    voucher = make_voucher()
    db.session.add(
        Share(
            token="old-share-token",
            voucher_id=voucher.id,
            sender_id=sender.id,
            channel="email",
            recipient_hash=old_hmac("share-recipient\x1ffriend@example.com"),
            ip_hash=old_hmac("share-ip\x1f36.80.12.7"),
        )
    )
    db.session.commit()
    with pytest.raises(sharing.ShareError) as refused:
        sharing.share_voucher(sender.id, voucher.id, "Friend@Example.com", "", "36.80.12.9")
    assert refused.value.reason == "duplicate"


def test_a_suppression_stored_the_old_way_still_suppresses(app):
    db.session.add(
        EmailSuppression(address_hash=old_hmac("budi@example.com"), reason="unsubscribe")
    )
    db.session.commit()
    assert unsubscribe.is_suppressed(" Budi@Example.com ")
    assert not unsubscribe.is_suppressed("ani@example.com")


def test_a_view_marked_the_old_way_today_is_not_counted_again(app_factory, redis_url):
    with app_factory(REDIS_URL=redis_url).app_context():
        voucher = make_voucher()
        visitor = voucher_stats.visitor_id(None, "36.80.12.7", "Mozilla/5.0 (Linux; Android 10)")
        day = voucher_stats.stats_day()
        daily_salt = old_hmac(f"view-salt\x1f{day.isoformat()}")
        old_mark = old_hmac(f"{voucher.id}\x1f{visitor}", key=daily_salt.encode())
        Redis.from_url(redis_url).set(voucher_stats.VIEW_MARK_PREFIX + old_mark, b"1", ex=3600)
        assert voucher_stats.record_view(voucher.id, visitor, day) is False
        assert voucher_stats.record_view(voucher.id, visitor, day + timedelta(days=1)) is True
        db.session.remove()


def test_view_marks_change_with_the_day(app):
    visitor = voucher_stats.visitor_id(7, None, None)
    first = voucher_stats._view_mark(1, visitor, date(2026, 12, 4))
    assert first != voucher_stats._view_mark(1, visitor, date(2026, 12, 5))
    assert first != voucher_stats._view_mark(2, visitor, date(2026, 12, 4))


# -- tokens issued the old way ---------------------------------------------------------------
def test_an_unsubscribe_link_sent_the_old_way_still_works(app, create_user):
    user = create_user(email="siti@example.com")
    prefix = old_hmac("siti@example.com")[:16]
    token = URLSafeSerializer(SECRET, salt="konexi.unsubscribe.v1").dumps([user.id, prefix])
    data = unsubscribe.read_token(token)
    assert data is not None and unsubscribe.token_user_id(data) == user.id
    assert unsubscribe.make_token(user) == token


def test_an_invitation_link_sent_the_old_way_still_opens(app):
    invitation = make_invitation(make_company(), "ani@example.com")
    token = old_timed("konexi.team-invitation").dumps(invitation.id)
    assert invitations.invitation_from_token(token).id == invitation.id


def test_an_export_download_link_made_the_old_way_still_works(app, create_user):
    user = create_user()
    token = old_timed("konexi-data-export").dumps({"u": user.id, "v": user.session_version})
    account_lifecycle.check_export_token(token, user)  # raises ExportLinkError when refused


def test_an_export_file_link_emailed_the_old_way_still_downloads(app, create_user, mailbox):
    user = create_user()
    data_export, _created = export_jobs.request_large_export(user.id)
    export_jobs.build_export(data_export.id)
    db.session.expire_all()
    claims = {"u": user.id, "v": user.session_version, "e": data_export.id}
    token = old_timed("konexi-data-export-file").dumps(claims)
    assert export_jobs.ready_file(token, user).id == data_export.id


def test_a_verification_email_link_sent_the_old_way_still_verifies(app, create_user, mailbox):
    user = create_user(email="rina@example.com", verified=False)
    row = email_code_for(user)
    token = old_timed("konexi-verify-email-link").dumps({"code": row.id})
    assert verification.link_token_user_id(token) == user.id
    assert verification.check_link_token(token).ok
