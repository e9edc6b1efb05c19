"""The privacy notice and the health check."""

from __future__ import annotations

from flask import jsonify, render_template

from konexi.pages import bp
from konexi.services import health


@bp.get("/privacy")
def privacy():  # type: ignore[no-untyped-def]
    return render_template("pages/privacy.html")


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    report = health.check()
    status = 200 if report["status"] == "ok" else 503
    response = jsonify(report)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
