"""The background jobs page: per queue, how many jobs wait, run, failed or are scheduled."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from konexi.admin import bp
from konexi.admin.access import platform_admin_required
from konexi.tasks.job_queues import queues_overview
from konexi.tasks.queue import redis_connection


@bp.get("/queues")
@platform_admin_required
def queues() -> ResponseReturnValue:
    return render_template("admin/queues.html", overview=queues_overview(redis_connection()))
