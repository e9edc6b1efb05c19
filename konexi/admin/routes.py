"""The admin area's index, and the review moderation queue: hidden and reported reviews,
restored or removed for good."""

from __future__ import annotations

from flask import abort, flash, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from konexi.admin import bp
from konexi.admin.access import platform_admin_required
from konexi.providers_public.forms import reason_label
from konexi.services.reviews import review_moderation
from konexi.web.htmx import redirect_after_post


@bp.get("/")
@platform_admin_required
def index() -> ResponseReturnValue:
    return render_template("admin/index.html")


@bp.get("/reviews")
@platform_admin_required
def reviews() -> ResponseReturnValue:
    queue = review_moderation.moderation_queue()
    return render_template("admin/reviews.html", queue=queue, reason_label=reason_label)


@bp.post("/reviews/<int:review_id>/restore")
@platform_admin_required
def restore(review_id: int) -> ResponseReturnValue:
    if not review_moderation.restore_review(review_id):
        abort(404)
    flash(_("Review restored: it is visible again and its reports are cleared."))
    return redirect_after_post(url_for("admin.reviews"))


@bp.post("/reviews/<int:review_id>/remove")
@platform_admin_required
def remove(review_id: int) -> ResponseReturnValue:
    if not review_moderation.remove_review(review_id):
        abort(404)
    flash(_("Review removed for good."))
    return redirect_after_post(url_for("admin.reviews"))
