"""``POST /webhooks/twilio/sms``: a branch phone texts ``REDEEM <code>``; the reply is TwiML.
``POST /webhooks/twilio/status?outbox=<id>``: Twilio reports whether an SMS was delivered.

Replies go to branch staff in Indonesian. Phone numbers never reach a log line.
"""

from __future__ import annotations

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.twiml.messaging_response import MessagingResponse

from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.services.claims.redemption import (
    RedeemOutcome,
    RedeemResult,
    branches_for_phone,
    redeem_by_branch_phone,
    redeemed_when,
)
from konexi.services.claims.redemption_codes import format_code
from konexi.services.signing import Digest, keyed_digest
from konexi.webhooks import bp
from konexi.webhooks.delivery_status import record_delivery_status
from konexi.webhooks.signature import twilio_signed

REPLY_LOCALE = "id"
KEYWORDS = frozenset({"REDEEM", "TUKAR"})
SMS_PER_SENDER = rate_limit("RATELIMIT_SMS_WEBHOOK_PER_SENDER")
# Twilio calls from a pool of addresses: generous per IP, a guard against runaway loops only.
SMS_PER_IP = rate_limit("RATELIMIT_SMS_WEBHOOK_PER_IP")
STATUS_PER_IP = rate_limit("RATELIMIT_STATUS_WEBHOOK_PER_IP")


def _sender_key() -> str:
    """The sending phone, hashed (the limiter's storage never holds a number), else the IP."""
    sender = (request.form.get("From") or "").strip()[:32]
    if sender:
        return "sms-from:" + keyed_digest(Digest.RATE_LIMIT, sender)
    return "sms-ip:" + client_ip()


def parse_redeem_command(body: str) -> str | None:
    """The code of a ``REDEEM <code>`` (or ``TUKAR <code>``) message; None for anything else."""
    words = (body or "").strip().split(None, 1)
    if len(words) != 2 or words[0].upper() not in KEYWORDS:
        return None
    return words[1]


def _twiml(text: str) -> Response:
    reply = MessagingResponse()
    reply.message(text)
    return Response(str(reply), 200, mimetype="text/xml")


def _reply(result: RedeemResult) -> str:
    code = format_code(result.code)
    if result.outcome is RedeemOutcome.REDEEMED:
        return _("Code %(code)s redeemed: %(title)s.", code=code, title=result.voucher_title)
    if result.outcome is RedeemOutcome.ALREADY_REDEEMED:
        return _(
            "Code %(code)s was already redeemed at %(branch)s, %(time)s.",
            code=code,
            branch=result.branch_name,
            time=redeemed_when(result.redeemed_at),
        )
    if result.outcome is RedeemOutcome.NOT_VALID_HERE:
        return _("Code %(code)s is not valid at %(branch)s.", code=code, branch=result.branch_name)
    if result.outcome is RedeemOutcome.EXPIRED:
        return _("Code %(code)s: this voucher has ended.", code=code)
    if result.outcome is RedeemOutcome.NOT_A_BRANCH:
        return _("This number is not registered for a branch on Konexi.")
    return _("Unknown code %(code)s.", code=code) if code else _("Unknown code.")


# The signature is checked first: forged requests naming a branch's (public) phone number must
# not use up that branch's allowance.
@bp.post("/twilio/sms")
@twilio_signed
@limiter.limit(SMS_PER_SENDER, key_func=_sender_key)
@limiter.limit(SMS_PER_IP)
def twilio_sms() -> ResponseReturnValue:
    sender = (request.form.get("From") or "").strip()
    typed = parse_redeem_command(request.form.get("Body") or "")
    with force_locale(REPLY_LOCALE):
        if typed is None:
            if not branches_for_phone(sender):
                return _twiml(_reply(RedeemResult(RedeemOutcome.NOT_A_BRANCH)))
            return _twiml(_("Send: REDEEM <code>"))
        return _twiml(_reply(redeem_by_branch_phone(sender, typed)))


@bp.post("/twilio/status")
@twilio_signed
@limiter.limit(STATUS_PER_IP)
def twilio_status() -> ResponseReturnValue:
    outbox_id = request.args.get("outbox", type=int)
    if outbox_id is not None:
        record_delivery_status(
            outbox_id,
            (request.form.get("MessageSid") or "").strip(),
            (request.form.get("MessageStatus") or "").strip().lower(),
            request.form.get("ErrorCode"),
        )
    return Response(status=204)
