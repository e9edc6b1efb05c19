"""The confirm page (GET) and the one-click unsubscribe (POST); both work logged out."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import gettext as _

from konexi.services.privacy import jobs as privacy_jobs
from konexi.services.privacy import unsubscribe as service
from konexi.tasks.queue import enqueue
from konexi.unsubscribe import bp


def _wants_html() -> bool:
    """Browsers ask for HTML; mail providers' one-click POSTs do not."""
    return "text/html" in request.headers.get("Accept", "")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Response | tuple[str, int] | tuple[Response, int] | str:
    data = service.read_token(token)
    if data is None:
        return (
            render_template(
                "errors/error.html",
                title=_("This unsubscribe link is not valid"),
                message=_(
                    "The link may have been cut short or changed. Use the link in the latest "
                    "email from Konexi, or turn marketing email off in your privacy settings."
                ),
            ),
            400,
        )
    if request.method == "GET":
        return render_template("unsubscribe/confirm.html", token=token)
    user_id = service.token_user_id(data)
    if user_id is not None:
        enqueue(privacy_jobs.process_unsubscribe, user_id, queue_name="default")
    if _wants_html():
        return render_template("unsubscribe/done.html")
    return Response(
        _("You are unsubscribed from Konexi marketing email."), 202, mimetype="text/plain"
    )
