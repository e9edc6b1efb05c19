"""The keyed hashes a share keeps for the daily limits expire: the daily retention job clears
them once the limits no longer count the share, and the share row itself stays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from konexi import jobs
from konexi.models import User
from konexi.services.privacy.retention import SHARE_HASH_RETENTION, purge_old_records
from tests.support.factories import make_voucher
from tests.support.sharing import seed_shares, shares


def test_limit_hashes_of_old_shares_are_cleared_and_recent_ones_kept(
    app: object, create_user: Callable[..., User]
) -> None:
    sender = create_user()
    voucher = make_voucher()
    stated_hours = SHARE_HASH_RETENTION / timedelta(hours=1)
    seed_shares(2, sender_id=sender.id, voucher_id=voucher.id, hours_ago=stated_hours + 1)
    seed_shares(1, sender_id=sender.id, voucher_id=voucher.id, hours_ago=stated_hours - 1)

    report = purge_old_records()

    assert report.share_hashes == 2
    old_one, old_two, recent = shares()
    assert (old_one.recipient_hash, old_one.ip_hash, old_two.recipient_hash) == (None, None, None)
    assert recent.recipient_hash and recent.ip_hash
    assert purge_old_records().share_hashes == 0  # idempotent


def test_the_daily_job_clears_them_and_keeps_the_share(
    app: object, create_user: Callable[..., User]
) -> None:
    sender = create_user()
    voucher = make_voucher()
    seed_shares(1, sender_id=sender.id, voucher_id=voucher.id, hours_ago=24 * 3)

    assert jobs.purge_old_records()["share_hashes"] == 1

    [share] = shares()
    assert share.recipient_hash is None and share.ip_hash is None
    assert (share.voucher_id, share.sender_id) == (voucher.id, sender.id)
