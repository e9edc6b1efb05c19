"""The feed (a placeholder listing until the real feed lands), the privacy notice, health."""

from __future__ import annotations

from flask import jsonify, render_template, request

from konexi.htmx import render_page_or_fragment
from konexi.pages import bp
from konexi.services import catalogue, health


@bp.get("/")
def feed():  # type: ignore[no-untyped-def]
    page = request.args.get("page", default=1, type=int) or 1
    listing = catalogue.live_vouchers(page=max(page, 1))
    return render_page_or_fragment("pages/feed.html", "pages/_feed_items.html", listing=listing)


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
