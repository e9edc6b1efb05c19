"""The privacy notice and the health check."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue

from konexi.pages import bp
from konexi.services.privacy.retention import SHARE_HASH_RETENTION
from konexi.services.sharing.sharing import SCRUB_GRACE
from konexi.web import health

# Where each choice the privacy notice mentions lives: name -> endpoint.
_PRIVACY_LINKS = {
    "privacy": "account.privacy",
    "profile": "account.edit_profile",
    "export": "account.export",
    "close": "account.close",
    "delete": "account.delete",
    "mine": "vouchers.mine",
}


def _privacy_links() -> dict[str, str]:
    """The URL of each choice."""
    return {name: url_for(endpoint) for name, endpoint in _PRIVACY_LINKS.items()}


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template(
        "pages/privacy.html",
        links=_privacy_links(),
        grace_days=int(current_app.config["PURGE_GRACE_DAYS"]),
        # The figures the notice states come from the code that keeps them.
        share_contact_days=SCRUB_GRACE.days,
        share_hash_days=SHARE_HASH_RETENTION.days,
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    report = health.check()
    # Liveness: 200 while pages can be served. Redis down only degrades (jobs wait for the
    # sweeper, limits count per process); a platform check must not pull such a dyno.
    status = 503 if report["status"] == "down" else 200
    response = jsonify(report)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
