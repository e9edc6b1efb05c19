"""Redemptions saved offline at the counter and sent later: once per nonce, checked like online."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from konexi.extensions import db
from konexi.models import Claim, Membership, OfflineRedemption, VoucherDailyStats
from konexi.models.base import utcnow
from konexi.models.offline_redemptions import OfflineOutcome
from konexi.services.claims.offline_redemption import (
    OfflineItem,
    conflicts_for_company,
    conflicts_for_staff,
    redeem_offline_batch,
)
from konexi.services.claims.redemption import Actor
from konexi.services.claims.redemption_counter import redeem_at_counter
from konexi.services.claims.voucher_stats import stats_day
from tests.support.factories import fresh, make_company, make_voucher
from tests.support.races import all_at_once
from tests.support.redemption import (
    CUSTOMER_PHONE,
    make_claim,
    make_counter,
    membership_of,
    receipts,
)


def nonce() -> str:
    return str(uuid.uuid4())


def offline_rows() -> list[OfflineRedemption]:
    db.session.expire_all()
    return list(db.session.scalars(select(OfflineRedemption).order_by(OfflineRedemption.id)))


def test_an_offline_item_redeems_with_a_receipt_and_its_replay_changes_nothing(
    app, create_user, twilio
):
    c = make_counter(create_user)
    device_time = datetime(2026, 12, 4, 7, 30, tzinfo=UTC)
    item = OfflineItem(nonce(), c.claim.code.lower(), c.here.id, device_time)

    [first] = redeem_offline_batch(membership_of(c.staff), [item])
    [again] = redeem_offline_batch(membership_of(c.staff), [item])

    assert first.outcome is OfflineOutcome.REDEEMED and not first.replayed
    assert (first.voucher_title, first.branch_name) == (c.voucher.title, c.here.name)
    assert again.outcome is OfflineOutcome.REDEEMED and again.replayed
    assert again.redeemed_at == first.redeemed_at
    claim = fresh(Claim, c.claim.id)
    assert (claim.status, claim.redeemed_branch_id) == ("redeemed", c.here.id)
    assert len(receipts(c.customer.id)) == 1
    assert db.session.get(VoucherDailyStats, (c.voucher.id, stats_day())).redemptions == 1
    [row] = offline_rows()
    assert (row.outcome, row.claim_id, row.staff_user_id) == ("redeemed", c.claim.id, c.staff.id)
    assert row.device_redeemed_at == device_time  # kept for display only
    assert c.claim.code not in row.code_digest and len(row.code_digest) == 64


def test_a_nonce_sent_again_with_another_code_or_by_another_company_is_refused(
    app, create_user, twilio
):
    c = make_counter(create_user)
    second = make_claim(c.customer, make_voucher(company=c.company, title="Second"))
    used = nonce()
    redeem_offline_batch(membership_of(c.staff), [OfflineItem(used, c.claim.code, c.here.id)])

    [swapped] = redeem_offline_batch(
        membership_of(c.staff), [OfflineItem(used, second.code, c.here.id)]
    )
    [foreign] = redeem_offline_batch(
        membership_of(c.other_admin), [OfflineItem(used, c.claim.code, None)]
    )

    assert swapped.outcome is OfflineOutcome.TAMPERED
    assert foreign.outcome is OfflineOutcome.TAMPERED
    assert fresh(Claim, second.id).status == "active"
    assert len(offline_rows()) == 1 and len(receipts(c.customer.id)) == 1


def test_unknown_codes_and_another_companys_vouchers_are_refused_alike(app, create_user, twilio):
    c = make_counter(create_user)
    theirs = make_claim(c.customer, make_voucher(company=make_company(), title="Elsewhere"))
    items = [
        OfflineItem(nonce(), theirs.code, c.here.id),
        OfflineItem(nonce(), "KXF47QRT", c.here.id),
        OfflineItem(nonce(), "short", c.here.id),
        OfflineItem("bad nonce!", c.claim.code, c.here.id),
    ]

    results = redeem_offline_batch(membership_of(c.owner), items)

    assert [r.outcome for r in results] == [
        OfflineOutcome.NOT_FOUND,
        OfflineOutcome.NOT_FOUND,
        OfflineOutcome.NOT_FOUND,
        OfflineOutcome.MALFORMED,
    ]
    assert (
        fresh(Claim, theirs.id).status == "active" and fresh(Claim, c.claim.id).status == "active"
    )
    assert receipts(c.customer.id) == []


def test_staff_send_only_for_their_branches_and_vouchers_valid_there(app, create_user, twilio):
    c = make_counter(create_user)
    bogor_only = make_voucher(company=c.company, title="Bogor only")
    bogor_only.branches = [c.elsewhere]
    db.session.commit()
    bogor_claim = make_claim(c.customer, bogor_only)
    ended = make_voucher(
        company=c.company, starts_at=utcnow() - timedelta(days=3), ends_at=utcnow()
    )
    ended_claim = make_claim(c.customer, ended)

    results = redeem_offline_batch(
        membership_of(c.staff),
        [
            OfflineItem(nonce(), c.claim.code, c.elsewhere.id),  # not the staff member's branch
            OfflineItem(nonce(), bogor_claim.code, c.here.id),
            OfflineItem(nonce(), ended_claim.code, c.here.id),
        ],
    )

    assert [r.outcome for r in results] == [
        OfflineOutcome.NOT_YOUR_BRANCH,
        OfflineOutcome.NOT_VALID_HERE,
        OfflineOutcome.EXPIRED,
    ]
    assert db.session.scalar(select(func.count()).where(Claim.status == "redeemed")) == 0


def test_an_item_for_a_claim_redeemed_online_meanwhile_is_a_conflict_both_staff_and_owner_see(
    app, create_user, twilio
):
    c = make_counter(create_user)
    online = redeem_at_counter(
        Actor.member(membership_of(c.staff_elsewhere)),
        c.elsewhere.id,
        CUSTOMER_PHONE,
        c.claim.id,
        c.claim.code,
    )
    assert online.ok

    [late] = redeem_offline_batch(
        membership_of(c.staff), [OfflineItem(nonce(), c.claim.code, c.here.id)]
    )

    assert late.outcome is OfflineOutcome.ALREADY_REDEEMED
    assert (late.branch_name, late.redeemed_at) == (c.elsewhere.name, online.redeemed_at)
    assert fresh(Claim, c.claim.id).redeemed_branch_id == c.elsewhere.id
    assert len(receipts(c.customer.id)) == 1  # only the redemption that counted
    for person in (c.staff, c.staff_elsewhere):
        [seen] = conflicts_for_staff(c.company.id, person.id)
        assert (seen.sent_branch, seen.counted_branch) == (c.here.name, c.elsewhere.name)
        assert seen.code_tail == c.claim.code[-4:]
    assert conflicts_for_staff(c.company.id, c.admin.id) == []
    assert len(conflicts_for_company(c.company.id)) == 1
    assert conflicts_for_company(make_company().id) == []


def send_all_at_once(app, sends):
    """Each (membership id, item) sent by its own device, all at once; the results flattened."""

    def send(membership_id: int, item: OfflineItem):
        return lambda: redeem_offline_batch(db.session.get(Membership, membership_id), [item])

    batches, errors = all_at_once(app, [send(*pair) for pair in sends])
    return [result for batch in batches for result in batch], errors


def test_two_counters_sending_the_same_claim_at_once_redeem_it_once(app, create_user, twilio):
    c = make_counter(create_user)
    sends = [
        (membership_of(c.staff).id, OfflineItem(nonce(), c.claim.code, c.here.id)),
        (membership_of(c.staff_elsewhere).id, OfflineItem(nonce(), c.claim.code, c.elsewhere.id)),
    ]
    claim_id, customer_id, voucher_id = c.claim.id, c.customer.id, c.voucher.id
    db.session.remove()

    results, errors = send_all_at_once(app, sends)

    assert errors == []
    assert sorted(r.outcome.value for r in results) == ["already_redeemed", "redeemed"]
    assert len(receipts(customer_id)) == 1
    assert db.session.get(VoucherDailyStats, (voucher_id, stats_day())).redemptions == 1
    assert [row.is_conflict for row in offline_rows()].count(True) == 1
    assert fresh(Claim, claim_id).status == "redeemed"


def test_the_same_nonce_sent_twice_at_once_is_answered_once(app, create_user, twilio):
    c = make_counter(create_user)
    item = OfflineItem(nonce(), c.claim.code, c.here.id)
    sends = [(membership_of(c.staff).id, item)] * 2
    customer_id = c.customer.id
    db.session.remove()

    results, errors = send_all_at_once(app, sends)

    assert errors == []
    assert {r.outcome for r in results} == {OfflineOutcome.REDEEMED}
    assert sorted(r.replayed for r in results) == [False, True]
    assert len(offline_rows()) == 1 and len(receipts(customer_id)) == 1
