"""A voucher view counts once per visitor a day: reloads cannot inflate a provider's figures, and
what recognises a repeat is an expiring keyed hash, never an address or a user agent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis

from konexi.extensions import db
from konexi.models import VoucherDailyStats
from konexi.services.claims.voucher_stats import (
    ANONYMOUS_VIEWS_PER_NETWORK,
    record_view,
    stats_day,
    visitor_id,
)
from tests.support.auth import log_in
from tests.support.factories import make_voucher

PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 10; SM-A105F) Chrome/120 Mobile"
OTHER_BROWSER = "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) Chrome/121 Mobile"


def _views(voucher_id: int) -> int:
    db.session.expire_all()
    row = db.session.get(VoucherDailyStats, (voucher_id, stats_day()))
    return row.views if row else 0


def _browser(app, ip: str, agent: str = PHONE_BROWSER):
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    return client


def test_fifty_reloads_count_one_view_and_two_visitors_count_two(app):
    voucher = make_voucher()
    me = _browser(app, "36.80.12.7")
    for _ in range(50):
        assert me.get(f"/vouchers/{voucher.id}").status_code == 200
    assert _views(voucher.id) == 1
    _browser(app, "36.80.12.7", OTHER_BROWSER).get(f"/vouchers/{voucher.id}")
    assert _views(voucher.id) == 2
    # Another address in the same /24 with the same browser is taken for the same visitor.
    _browser(app, "36.80.12.200").get(f"/vouchers/{voucher.id}")
    assert _views(voucher.id) == 2


@pytest.mark.parametrize("on_redis", [False, True], ids=["in-process", "redis"])
def test_rotating_the_user_agent_from_one_network_counts_at_most_its_daily_share(
    app,
    app_factory,
    redis_url,
    on_redis,
):
    """An anonymous visitor is a network and a user agent, and the agent is the client's to
    choose: one network counts at most ANONYMOUS_VIEWS_PER_NETWORK a voucher a day."""
    if on_redis:
        app = app_factory(REDIS_URL=redis_url)
    voucher = make_voucher()
    for n in range(ANONYMOUS_VIEWS_PER_NETWORK + 20):
        _browser(app, "36.80.12.7", f"{PHONE_BROWSER} spoof/{n}").get(f"/vouchers/{voucher.id}")
    assert _views(voucher.id) == ANONYMOUS_VIEWS_PER_NETWORK
    _browser(app, "114.124.9.9").get(f"/vouchers/{voucher.id}")  # another network still counts
    assert _views(voucher.id) == ANONYMOUS_VIEWS_PER_NETWORK + 1


def test_a_signed_in_visitor_is_one_visitor_wherever_they_are(app, create_user):
    voucher = make_voucher()
    user = create_user()
    for ip in ("36.80.12.7", "114.124.9.9", "2001:db8::1"):
        client = _browser(app, ip)
        log_in(client, user)
        for _ in range(3):
            client.get(f"/vouchers/{voucher.id}")
    assert _views(voucher.id) == 1


def test_a_visitor_counts_again_the_next_day(app):
    voucher = make_voucher()
    visitor = visitor_id(None, "36.80.12.7", PHONE_BROWSER)
    yesterday = stats_day() - timedelta(days=1)
    assert record_view(voucher.id, visitor, day=yesterday)
    assert not record_view(voucher.id, visitor, day=yesterday)
    assert record_view(voucher.id, visitor)
    assert _views(voucher.id) == 1


def test_with_redis_every_worker_shares_the_marks_and_they_hold_only_expiring_hashes(
    redis_app,
    app_factory,
    redis_url,
):
    voucher = make_voucher()
    other_worker = app_factory(REDIS_URL=redis_url)
    for n in range(50):
        _browser(redis_app if n % 2 else other_worker, "36.80.12.7").get(f"/vouchers/{voucher.id}")
    _browser(other_worker, "182.1.0.9").get(f"/vouchers/{voucher.id}")
    assert _views(voucher.id) == 2
    redis = Redis.from_url(redis_url)
    keys = redis.keys("konexi:view:*")
    assert len(keys) == 2
    stored = b" ".join(keys + [redis.get(key) or b"" for key in keys])
    assert b"36.80" not in stored and b"Android" not in stored and b"182.1" not in stored
    assert all(0 < redis.ttl(key) <= 26 * 3600 for key in keys)


def test_with_redis_down_views_are_still_counted_once_per_worker(app_factory):
    from tests.servers.ports import free_port

    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        voucher = make_voucher()
        for _ in range(5):
            assert _browser(app, "36.80.12.7").get(f"/vouchers/{voucher.id}").status_code == 200
        assert _views(voucher.id) == 1
        db.session.remove()
