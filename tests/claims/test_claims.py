"""Claiming as a service: codes, quotas, per-user limits, and every reason to refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Claim, Voucher, VoucherDailyStats
from konexi.models.base import utcnow
from konexi.services.claims import claims, redemption_codes
from konexi.services.claims.claims import ClaimOutcome, claim_voucher
from konexi.services.claims.redemption_codes import (
    ALPHABET,
    format_code,
    generate_code,
    is_well_formed,
)
from konexi.services.claims.voucher_stats import stats_day
from tests.support.factories import (
    claim_count,
    code_messages,
    fresh,
    make_company,
    make_voucher,
)


def test_claim_gives_a_short_code_by_sms_and_counts_it(app, create_user, twilio):
    user = create_user()
    voucher = make_voucher(quota_total=10, quota_claimed=3, title="Gratis " + "kopi " * 25)

    result = claim_voucher(user.id, voucher.id)

    assert result.ok
    claim = fresh(Claim, result.claim.id)
    assert (claim.user_id, claim.voucher_id, claim.claim_number, claim.status) == (
        user.id,
        voucher.id,
        1,
        "active",
    )
    assert is_well_formed(claim.code)
    assert fresh(Voucher, voucher.id).quota_claimed == 4
    stats = db.session.get(VoucherDailyStats, (voucher.id, stats_day()))
    assert (stats.views, stats.claims) == (0, 1)
    [message] = code_messages(user.id)
    assert message.to_address == user.phone
    assert format_code(claim.code) in message.body
    assert len(message.body) <= 160 and message.body.isascii()  # one GSM-7 segment
    # Delivery is in-process in tests: the SMS reached (fake) Twilio with the code.
    assert [sms.body for sms in twilio.to(user.phone)] == [message.body]


def test_sold_out_voucher_refuses_and_changes_nothing(app, create_user):
    user = create_user()
    voucher = make_voucher(quota_total=5, quota_claimed=5)

    assert claim_voucher(user.id, voucher.id).outcome is ClaimOutcome.SOLD_OUT
    assert fresh(Voucher, voucher.id).quota_claimed == 5
    assert claim_count(voucher.id) == 0
    assert code_messages(user.id) == []


def test_last_voucher_goes_to_the_first_claimer(app, create_user):
    first, second = create_user(), create_user()
    voucher = make_voucher(quota_total=1)

    assert claim_voucher(first.id, voucher.id).ok
    assert claim_voucher(second.id, voucher.id).outcome is ClaimOutcome.SOLD_OUT
    assert fresh(Voucher, voucher.id).quota_claimed == 1


def test_one_claim_per_user_by_default(app, create_user):
    user = create_user()
    voucher = make_voucher()

    assert claim_voucher(user.id, voucher.id).ok
    assert claim_voucher(user.id, voucher.id).outcome is ClaimOutcome.LIMIT_REACHED
    assert fresh(Voucher, voucher.id).quota_claimed == 1
    assert len(code_messages(user.id)) == 1


def test_per_user_limit_of_two_gives_two_different_codes(app, create_user):
    user = create_user()
    voucher = make_voucher(per_user_limit=2)

    first = claim_voucher(user.id, voucher.id)
    second = claim_voucher(user.id, voucher.id)
    third = claim_voucher(user.id, voucher.id)

    assert first.ok and second.ok
    assert third.outcome is ClaimOutcome.LIMIT_REACHED
    mine = claims.claims_on_voucher(user.id, voucher.id)
    assert [claim.claim_number for claim in mine] == [1, 2]
    assert mine[0].code != mine[1].code
    assert fresh(Voucher, voucher.id).quota_claimed == 2


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"ends_at": utcnow() - timedelta(minutes=1)}, ClaimOutcome.ENDED),
        ({"status": "ended"}, ClaimOutcome.ENDED),
        ({"starts_at": utcnow() + timedelta(hours=2)}, ClaimOutcome.NOT_STARTED),
        ({"status": "paused"}, ClaimOutcome.NOT_LIVE),
        ({"status": "draft"}, ClaimOutcome.NOT_FOUND),
    ],
    ids=["expired", "ended", "not-started", "paused", "draft"],
)
def test_voucher_that_is_not_live_cannot_be_claimed(app, create_user, changes, outcome):
    user = create_user()
    voucher = make_voucher(**changes)

    assert claim_voucher(user.id, voucher.id).outcome is outcome
    assert fresh(Voucher, voucher.id).quota_claimed == 0
    assert claim_count(voucher.id) == 0


def test_voucher_of_an_inactive_provider_cannot_be_claimed(app, create_user):
    user = create_user()
    voucher = make_voucher(company=make_company(active=False))

    assert claim_voucher(user.id, voucher.id).outcome is ClaimOutcome.PROVIDER_INACTIVE
    assert claim_count(voucher.id) == 0


def test_provider_deactivated_after_the_page_loaded_still_refuses(app, create_user, monkeypatch):
    """The conditional UPDATE itself checks the provider, not only the earlier read."""
    user = create_user()
    voucher = make_voucher()
    monkeypatch.setattr(claims, "availability", lambda voucher, now=None: ClaimOutcome.OK)
    voucher.company.is_active = False
    db.session.commit()

    assert not claim_voucher(user.id, voucher.id).ok
    assert fresh(Voucher, voucher.id).quota_claimed == 0


def test_unverified_user_cannot_claim(app, create_user):
    user = create_user(verified=False)
    voucher = make_voucher()

    assert claim_voucher(user.id, voucher.id).outcome is ClaimOutcome.UNVERIFIED
    assert claim_count(voucher.id) == 0


def test_closed_account_cannot_claim(app, create_user):
    user = create_user()
    user.status = "closed"
    db.session.commit()

    assert claim_voucher(user.id, make_voucher().id).outcome is ClaimOutcome.UNVERIFIED


def test_unknown_voucher_is_not_found(app, create_user):
    assert claim_voucher(create_user().id, 999_999).outcome is ClaimOutcome.NOT_FOUND


def test_racing_second_claim_by_one_user_collides_and_rolls_back(app, create_user, monkeypatch):
    """Two requests that both counted zero earlier claims: the unique slot lets one through."""
    user = create_user()
    voucher = make_voucher(per_user_limit=1)
    assert claim_voucher(user.id, voucher.id).ok
    monkeypatch.setattr(claims, "_claims_held", lambda user_id, voucher_id: 0)

    assert claim_voucher(user.id, voucher.id).outcome is ClaimOutcome.LIMIT_REACHED
    assert fresh(Voucher, voucher.id).quota_claimed == 1
    assert claim_count(voucher.id) == 1
    assert len(code_messages(user.id)) == 1
    stats = db.session.get(VoucherDailyStats, (voucher.id, stats_day()))
    assert stats.claims == 1


def test_code_collision_draws_a_new_code(app, create_user, monkeypatch):
    first_user, second_user = create_user(), create_user()
    voucher = make_voucher()
    taken = claim_voucher(first_user.id, voucher.id).claim.code
    draws = iter([taken, taken, "KXF47QRT"])
    monkeypatch.setattr(claims, "generate_code", lambda: next(draws))

    result = claim_voucher(second_user.id, voucher.id)

    assert result.ok
    assert fresh(Claim, result.claim.id).code == "KXF47QRT"
    assert fresh(Voucher, voucher.id).quota_claimed == 2
    assert claim_count(voucher.id) == 2


def test_codes_use_only_unambiguous_symbols_and_do_not_repeat():
    for ambiguous in "0O1IL2Z5S8B":
        assert ambiguous not in ALPHABET
    assert len(set(ALPHABET)) == len(ALPHABET) == 25
    codes = [generate_code() for _ in range(5000)]
    assert all(len(code) == 8 and set(code) <= set(ALPHABET) for code in codes)
    assert len(set(codes)) == len(codes)
    # Every symbol turns up: the draw covers the whole alphabet.
    assert set("".join(codes)) == set(ALPHABET)


def test_codes_are_drawn_with_secrets(monkeypatch):
    calls = []
    monkeypatch.setattr(redemption_codes.secrets, "choice", lambda seq: calls.append(seq) or seq[0])
    assert generate_code() == ALPHABET[0] * 8
    assert len(calls) == 8


def test_codes_are_shown_grouped_and_typed_codes_normalised():
    assert format_code("KXF47QRT") == "KXF4 7QRT"
    assert redemption_codes.normalise_code(" kxf4-7qrt ") == "KXF47QRT"
    assert not is_well_formed("KXF47QR0")


def test_my_claims_are_sorted_into_active_redeemed_expired_and_hidden(app, create_user):
    user = create_user()
    active = claim_voucher(user.id, make_voucher().id).claim
    redeemed = claim_voucher(user.id, make_voucher().id).claim
    ending = make_voucher(ends_at=utcnow() + timedelta(seconds=30))
    expired = claim_voucher(user.id, ending.id).claim
    hidden = claim_voucher(user.id, make_voucher().id).claim
    other = claim_voucher(create_user().id, make_voucher().id).claim
    db.session.get(Claim, redeemed.id).status = "redeemed"
    db.session.get(Claim, redeemed.id).redeemed_at = utcnow()
    db.session.get(Voucher, ending.id).ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert claims.set_claim_hidden(user.id, hidden.id, True).hidden_at is not None

    mine = claims.list_my_claims(user.id)

    assert [c.id for c in mine.active] == [active.id]
    assert [c.id for c in mine.redeemed] == [redeemed.id]
    assert [c.id for c in mine.expired] == [expired.id]
    assert [c.id for c in mine.hidden] == [hidden.id]
    assert claims.set_claim_hidden(user.id, hidden.id, False).hidden_at is None
    assert claims.set_claim_hidden(user.id, other.id, True) is None
    assert db.session.get(Claim, other.id).hidden_at is None
    assert claims.claim_for_owner(user.id, other.id) is None
    assert claims.claim_for_owner(user.id, active.id).id == active.id


def test_hidden_claims_are_what_suggestions_leave_out(app, create_user):
    user = create_user()
    kept = claim_voucher(user.id, make_voucher().id).claim
    hidden = claim_voucher(user.id, make_voucher().id).claim
    claims.set_claim_hidden(user.id, hidden.id, True)

    visible = db.session.scalars(
        select(Claim.id).where(Claim.user_id == user.id, Claim.hidden_at.is_(None))
    ).all()
    assert visible == [kept.id]
