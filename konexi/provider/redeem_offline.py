"""The counter's offline queue arriving (``POST /provider/redeem/offline``): redemptions staff
confirmed by code while the connection was down, sent as JSON by static/offline.js with the
page's CSRF token in ``X-CSRFToken``. Each item gets its own translated answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.models.offline_redemptions import OfflineOutcome
from konexi.provider import bp
from konexi.provider.access import current_membership, provider_required
from konexi.services.claims.offline_redemption import (
    MAX_ITEMS,
    OfflineItem,
    OfflineItemResult,
    redeem_offline_batch,
)
from konexi.services.claims.redemption import redeemed_when
from konexi.web.routing import id_or_none

bp.add_app_template_global(redeemed_when, "redeemed_when")

# Per staff member: one batch per reconnect, a few more when the connection flickers.
BATCHES_PER_STAFF = rate_limit("RATELIMIT_REDEEM_OFFLINE_PER_STAFF")


def _staff_key() -> str:
    who = current_user.get_id()
    return f"redeem-offline:user:{who}" if who else "redeem-offline:ip:" + client_ip()


def offline_message(result: OfflineItemResult) -> str:
    """What staff are told about one saved redemption; never the customer's name."""
    when = redeemed_when(result.redeemed_at)
    outcome = result.outcome
    if outcome is OfflineOutcome.REDEEMED:
        return _(
            "Redeemed: %(title)s at %(branch)s, %(time)s.",
            title=result.voucher_title,
            branch=result.branch_name,
            time=when,
        )
    if outcome is OfflineOutcome.ALREADY_REDEEMED:
        return _(
            "Not redeemed: %(title)s was already redeemed at %(branch)s, %(time)s. "
            "Listed under conflicts.",
            title=result.voucher_title,
            branch=result.branch_name,
            time=when,
        )
    if outcome is OfflineOutcome.NOT_VALID_HERE:
        return _("Refused: this voucher is not valid at this branch.")
    if outcome is OfflineOutcome.EXPIRED:
        return _("Refused: this voucher has ended.")
    if outcome is OfflineOutcome.NOT_YOUR_BRANCH:
        return _("Refused: you cannot redeem at this branch.")
    if outcome is OfflineOutcome.TAMPERED:
        return _("Refused: this saved redemption was already sent with another code.")
    if outcome is OfflineOutcome.MALFORMED:
        return _("Refused: this saved redemption is damaged.")
    return _("Refused: no voucher of your company has this code.")


def _device_time(value: object) -> datetime | None:
    """The device's clock as sent (ISO 8601), for display only; anything else is dropped."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _item(raw: object) -> OfflineItem:
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    nonce, code = data.get("nonce"), data.get("code")
    return OfflineItem(
        nonce=nonce if isinstance(nonce, str) else "",
        code=code[:32] if isinstance(code, str) else "",
        branch_id=id_or_none(data.get("branch")),
        device_redeemed_at=_device_time(data.get("redeemed_at")),
    )


def _refused(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 422
    return response


@bp.post("/redeem/offline")
@limiter.limit(BATCHES_PER_STAFF, key_func=_staff_key)
@provider_required("redeem")
def redeem_offline() -> Response:
    payload = request.get_json(silent=True)
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return _refused(_("Nothing to send: the saved redemptions could not be read."))
    if len(items) > MAX_ITEMS:
        return _refused(_("Send at most %(count)d saved redemptions at once.", count=MAX_ITEMS))
    results = redeem_offline_batch(current_membership(), [_item(raw) for raw in items])
    response = jsonify(
        {
            "results": [
                {
                    "nonce": result.nonce,
                    "outcome": str(result.outcome),
                    "ok": result.ok,
                    "replayed": result.replayed,
                    "message": offline_message(result),
                }
                for result in results
            ]
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
