"""Redeeming at the counter, as a service: who is found, what is logged, once and only once."""

from __future__ import annotations

import functools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Claim, Membership, VoucherDailyStats
from konexi.models.base import utcnow
from konexi.services.claims.redemption import Actor, RedeemOutcome, redeemed_when
from konexi.services.claims.redemption_counter import (
    find_customer_claims,
    redeem_at_counter,
    redeemable_branches,
)
from konexi.services.claims.voucher_stats import stats_day
from tests.support.factories import fresh, make_company, make_voucher
from tests.support.races import all_at_once
from tests.support.redemption import CUSTOMER_PHONE, access_rows, make_claim, make_counter, receipts


def actor_for(user_id: int) -> Actor:
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user_id))
    return Actor.member(membership)


def test_staff_redeem_only_at_their_branches_owners_and_admins_at_every_open_one(app, create_user):
    c = make_counter(create_user)
    names = {}
    for person in (c.owner, c.admin, c.staff, c.staff_elsewhere):
        membership = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
        names[person.name] = [branch.id for branch in redeemable_branches(membership)]

    open_branches = sorted([c.here.id, c.elsewhere.id])
    assert sorted(names["Owner"]) == open_branches  # the closed branch is not offered
    assert sorted(names["Admin"]) == open_branches
    assert names["Staff"] == [c.here.id]
    assert names["Staff Elsewhere"] == [c.elsewhere.id]


def test_lookup_lists_only_live_claims_valid_at_the_branch_and_logs_each_one_shown(
    app, create_user
):
    c = make_counter(create_user)
    now = utcnow()
    elsewhere_only = make_voucher(company=c.company, title="Bogor only")
    elsewhere_only.branches = [c.elsewhere]
    ended = make_voucher(
        company=c.company, title="Ended", starts_at=now - timedelta(days=9), ends_at=now
    )
    redeemed = make_voucher(company=c.company, title="Used")
    another_company = make_voucher(company=make_company(), title="Elsewhere")
    db.session.commit()
    for voucher in (elsewhere_only, ended, redeemed, another_company):
        make_claim(c.customer, voucher)
    used = db.session.scalar(select(Claim).where(Claim.voucher_id == redeemed.id))
    used.status, used.redeemed_at = "redeemed", now
    db.session.commit()

    found = find_customer_claims(actor_for(c.staff.id), c.here.id, CUSTOMER_PHONE)

    assert found is not None
    assert (found.name, found.phone) == ("Rina Customer", CUSTOMER_PHONE)
    assert [item.id for item in found.claims] == [c.claim.id]
    assert found.claims[0].voucher_title == "Buy 1 get 1 es kopi susu"
    [row] = access_rows()
    assert (row.claim_id, row.customer_id, row.company_id, row.branch_id) == (
        c.claim.id,
        c.customer.id,
        c.company.id,
        c.here.id,
    )
    assert (row.staff_user_id, row.channel, row.purpose) == (c.staff.id, "console", "lookup")
    assert row.membership_id is not None and row.accessed_at is not None


def test_a_number_without_live_claims_answers_like_an_unknown_one_and_logs_nothing(
    app, create_user
):
    c = make_counter(create_user)
    no_claims = create_user(name="Budi", phone="+6281299990000")
    actor = actor_for(c.owner.id)

    assert find_customer_claims(actor, c.here.id, no_claims.phone) is None
    assert find_customer_claims(actor, c.here.id, "+6281311112222") is None
    assert access_rows() == []


def test_redeem_with_the_full_code_sends_a_receipt_and_counts_it(app, create_user, twilio):
    c = make_counter(create_user)
    code = c.claim.code.lower()
    typed = f"{code[:4]} {code[4:]}"  # as read aloud: lower case, with a space

    result = redeem_at_counter(actor_for(c.staff.id), c.here.id, CUSTOMER_PHONE, c.claim.id, typed)

    assert result.outcome is RedeemOutcome.REDEEMED
    assert (result.branch_name, result.customer_name) == (c.here.name, "Rina Customer")
    claim = fresh(Claim, c.claim.id)
    assert (claim.status, claim.redeemed_branch_id) == ("redeemed", c.here.id)
    assert claim.redeemed_at is not None
    [receipt] = receipts(c.customer.id)
    assert receipt.status == "sent"
    [sms] = twilio.to(CUSTOMER_PHONE)
    assert "Buy 1 get 1 es kopi susu" in sms.body and c.here.name in sms.body
    stats = db.session.get(VoucherDailyStats, (c.voucher.id, stats_day()))
    assert stats.redemptions == 1
    assert [(row.purpose, row.claim_id) for row in access_rows()] == [("redeem", c.claim.id)]


def test_redeem_with_the_last_four_symbols(app, create_user, twilio):
    c = make_counter(create_user)

    result = redeem_at_counter(
        actor_for(c.owner.id), c.elsewhere.id, CUSTOMER_PHONE, c.claim.id, c.claim.code[-4:]
    )

    assert result.ok
    assert fresh(Claim, c.claim.id).redeemed_branch_id == c.elsewhere.id


def test_last_four_shared_by_two_of_the_customers_claims_asks_for_the_full_code(
    app, create_user, twilio
):
    c = make_counter(create_user)
    second = make_voucher(company=c.company, title="Free croissant")
    c.claim.code = "AAAA7QRT"
    db.session.commit()
    other = make_claim(c.customer, second, code="CCCC7QRT")
    actor = actor_for(c.owner.id)

    ambiguous = redeem_at_counter(actor, c.here.id, CUSTOMER_PHONE, other.id, "7qrt")
    wrong = redeem_at_counter(actor, c.here.id, CUSTOMER_PHONE, other.id, "AAAA7QRT")
    full = redeem_at_counter(actor, c.here.id, CUSTOMER_PHONE, other.id, "CCCC 7QRT")

    assert ambiguous.outcome is RedeemOutcome.AMBIGUOUS_CODE
    assert wrong.outcome is RedeemOutcome.WRONG_CODE  # the other claim's code
    assert full.ok
    assert fresh(Claim, c.claim.id).status == "active"


def test_a_wrong_code_redeems_nothing(app, create_user, twilio):
    c = make_counter(create_user)

    result = redeem_at_counter(actor_for(c.staff.id), c.here.id, CUSTOMER_PHONE, c.claim.id, "XXXX")

    assert result.outcome is RedeemOutcome.WRONG_CODE
    assert fresh(Claim, c.claim.id).status == "active"
    assert receipts(c.customer.id) == [] and twilio.messages == []


def test_a_second_redemption_later_says_where_and_when(app, create_user, twilio):
    c = make_counter(create_user)
    first = redeem_at_counter(
        actor_for(c.staff.id), c.here.id, CUSTOMER_PHONE, c.claim.id, c.claim.code
    )

    again = redeem_at_counter(
        actor_for(c.admin.id), c.elsewhere.id, CUSTOMER_PHONE, c.claim.id, c.claim.code
    )

    assert first.ok
    assert again.outcome is RedeemOutcome.ALREADY_REDEEMED
    assert again.branch_name == c.here.name
    assert again.redeemed_at == fresh(Claim, c.claim.id).redeemed_at
    assert len(receipts(c.customer.id)) == 1


def test_a_claim_not_valid_at_the_branch_or_of_another_customer_is_not_redeemed(
    app, create_user, twilio
):
    c = make_counter(create_user)
    c.voucher.branches = [c.elsewhere]
    db.session.commit()
    actor = actor_for(c.owner.id)

    not_here = redeem_at_counter(actor, c.here.id, CUSTOMER_PHONE, c.claim.id, c.claim.code)
    not_theirs = redeem_at_counter(
        actor, c.elsewhere.id, "+6281299990000", c.claim.id, c.claim.code
    )

    assert not_here.outcome is RedeemOutcome.NOT_FOUND
    assert not_theirs.outcome is RedeemOutcome.NOT_FOUND
    assert fresh(Claim, c.claim.id).status == "active"


def test_redemption_times_read_in_jakarta(app):
    yesterday = datetime.now(UTC).replace(hour=7, minute=2) - timedelta(days=2)
    assert redeemed_when(yesterday).endswith("14:02")
    assert str(yesterday.year) in redeemed_when(yesterday)
    assert len(redeemed_when(utcnow())) == 5  # today: the time only, e.g. 14:02


def redeem_all_at_once(
    app: Flask, actors: list[Actor], branch_ids: list[int], claim_id: int, code: str
) -> tuple[list[Any], list[BaseException]]:
    """Each staff member confirms in its own thread (own app context), released together."""
    return all_at_once(
        app,
        [
            functools.partial(redeem_at_counter, actor, branch_id, CUSTOMER_PHONE, claim_id, code)
            for actor, branch_id in zip(actors, branch_ids, strict=True)
        ],
    )


def test_redemption_race_two_staff_at_once_exactly_one_wins(app, create_user, twilio):
    c = make_counter(create_user)
    actors = [actor_for(c.staff.id), actor_for(c.staff_elsewhere.id)]
    branches = [c.here.id, c.elsewhere.id]
    claim_id, code, customer_id, voucher_id = c.claim.id, c.claim.code, c.customer.id, c.voucher.id
    db.session.remove()

    started = time.monotonic()
    results, errors = redeem_all_at_once(app, actors, branches, claim_id, code)
    elapsed = time.monotonic() - started

    assert errors == []
    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes == ["already_redeemed", "redeemed"]
    [winner] = [result for result in results if result.ok]
    [loser] = [result for result in results if not result.ok]
    assert loser.branch_name == winner.branch_name
    assert loser.redeemed_at == winner.redeemed_at
    claim = fresh(Claim, claim_id)
    assert claim.redeemed_branch.name == winner.branch_name
    assert len(receipts(customer_id)) == 1 and len(twilio.to(CUSTOMER_PHONE)) == 1
    assert db.session.get(VoucherDailyStats, (voucher_id, stats_day())).redemptions == 1
    print(f"\n{db.engine.dialect.name}: 2 staff racing for one claim in {elapsed:.2f}s")


def test_redemption_race_eight_staff_at_once_exactly_one_wins(app, create_user, twilio):
    c = make_counter(create_user)
    actor = actor_for(c.owner.id)
    claim_id, code, here_id = c.claim.id, c.claim.code, c.here.id
    customer_id, voucher_id = c.customer.id, c.voucher.id
    db.session.remove()

    results, errors = redeem_all_at_once(app, [actor] * 8, [here_id] * 8, claim_id, code[-4:])

    assert errors == []
    assert sorted(r.outcome.value for r in results) == ["already_redeemed"] * 7 + ["redeemed"]
    assert len(receipts(customer_id)) == 1
    assert db.session.get(VoucherDailyStats, (voucher_id, stats_day())).redemptions == 1


def test_redemption_race_lost_at_the_update_says_already_redeemed(
    app, create_user, twilio, monkeypatch
):
    """Both staff have listed the claim as live before either writes: the row count decides."""
    import konexi.services.claims.redemption_counter as counter

    c = make_counter(create_user)
    actors = [actor_for(c.staff.id), actor_for(c.owner.id)]
    claim_id, code, here_id = c.claim.id, c.claim.code, c.here.id
    customer_id = c.customer.id
    db.session.remove()
    both_listed = threading.Barrier(2)
    real_redeem = counter.redeem

    def redeem_after_both_listed(*args, **kwargs):
        both_listed.wait(timeout=30)
        return real_redeem(*args, **kwargs)

    monkeypatch.setattr(counter, "redeem", redeem_after_both_listed)

    results, errors = redeem_all_at_once(app, actors, [here_id, here_id], claim_id, code)

    assert errors == []
    assert sorted(r.outcome.value for r in results) == ["already_redeemed", "redeemed"]
    [loser] = [r for r in results if not r.ok]
    assert loser.branch_name == fresh(Claim, claim_id).redeemed_branch.name
    assert len(receipts(customer_id)) == 1
