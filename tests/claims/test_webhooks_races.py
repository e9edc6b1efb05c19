"""Simultaneous ``REDEEM <code>`` texts for one claim: one redeems it, and every other reply still
names the code and says where it was redeemed (a counter reads only the reply)."""

from __future__ import annotations

from konexi.models import Claim
from konexi.services.claims.redemption_codes import format_code
from tests.support.factories import fresh
from tests.support.races import all_at_once
from tests.support.redemption import receipts
from tests.support.webhooks import indonesian, reply_of, text_in

RACERS = 6


def test_losers_of_a_simultaneous_sms_redemption_get_the_code_in_their_reply(
    app,
    counter,
    twilio,
):
    c = counter
    code = format_code(c.claim.code)

    def text_redeem():
        return reply_of(text_in(app.test_client(), f"REDEEM {code}"))

    replies, errors = all_at_once(app, [text_redeem] * RACERS)

    assert errors == []
    won = indonesian(
        "Code %(code)s redeemed: %(title)s.", code=code, title="Buy 1 get 1 es kopi susu"
    )
    assert replies.count(won) == 1
    losers = [reply for reply in replies if reply != won]
    assert len(losers) == RACERS - 1
    already = indonesian(
        "Code %(code)s was already redeemed at %(branch)s, %(time)s.",
        code=code,
        branch=c.here.name,
        time="",
    ).rstrip(".")
    for reply in losers:
        assert reply.startswith(already) and code in reply, reply
    assert fresh(Claim, c.claim.id).status == "redeemed"
    assert len(receipts(c.customer.id)) == 1
