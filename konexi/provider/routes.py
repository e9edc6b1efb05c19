"""Console home (statistics, or today's redemptions for staff), the CSV download, switching."""

from __future__ import annotations

import csv
import io
import re

from flask import Response, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from konexi.i18n import short_date
from konexi.provider import bp
from konexi.provider.access import current_membership, provider_required, switch_company
from konexi.services.claims.offline_redemption import conflicts_for_company
from konexi.services.providers import provider_stats
from konexi.services.providers.memberships import role_allows
from konexi.services.providers.provider_stats import CompanyStats
from konexi.web import svg_chart
from konexi.web.htmx import redirect_after_post


def _charts(stats: CompanyStats) -> dict[str, svg_chart.LineChart]:
    """Views on one chart; claims and redemptions (far fewer) on their own scale."""
    labels = [short_date(day) for day in stats.days]
    return {
        "views": svg_chart.line_chart(
            labels, [("views", _("Views"), [c.views for c in stats.daily])]
        ),
        "claims": svg_chart.line_chart(
            labels,
            [
                ("claims", _("Claims"), [c.claims for c in stats.daily]),
                ("redemptions", _("Redemptions"), [c.redemptions for c in stats.daily]),
            ],
        ),
    }


def _redeem_url() -> str:
    return url_for("provider.redeem")


@bp.get("/")
@provider_required("redeem")
def dashboard() -> ResponseReturnValue:
    membership = current_membership()
    if not role_allows(membership.role, "view_stats"):
        today = provider_stats.redemptions_today(membership.company_id, list(membership.branches))
        return render_template(
            "provider/dashboard.html", stats=None, today=today, redeem_url=_redeem_url()
        )
    stats = provider_stats.company_stats(membership.company_id)
    return render_template(
        "provider/dashboard.html",
        stats=stats,
        charts=_charts(stats),
        redeem_url=_redeem_url(),
        conflicts=conflicts_for_company(membership.company_id),
        conflicts_url=None,
    )


@bp.get("/stats.csv")
@provider_required("view_stats")
def stats_csv() -> ResponseReturnValue:
    membership = current_membership()
    stats = provider_stats.company_stats(membership.company_id)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(provider_stats.csv_rows(stats))
    slug = re.sub(r"[^a-z0-9-]", "", membership.company.slug.lower())
    filename = f"konexi-stats-{slug}-{stats.today.isoformat()}.csv"
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/switch")
@login_required
def switch() -> ResponseReturnValue:
    company_id = request.form.get("company_id", type=int)
    if company_id is None or not switch_company(company_id):
        flash(_("You are not a member of that company."), "error")
    return redirect_after_post(url_for("provider.dashboard"))
