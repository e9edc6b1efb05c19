"""Development-only pages (404 in testing and production)."""

from flask import abort, current_app, render_template
from flask.typing import ResponseReturnValue

from konexi.dev import bp
from konexi.messaging.dev_outbox import recent_messages


@bp.before_request
def _development_only() -> None:
    if current_app.config["KONEXI_ENV"] != "development":
        abort(404)


@bp.get("/outbox")
def outbox() -> ResponseReturnValue:
    return render_template("dev/outbox.html", messages=recent_messages())
