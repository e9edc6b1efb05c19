"""Statistics at /provider/: 30 Jakarta days of views, claims, redemptions and conversion."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from konexi.extensions import db
from konexi.models import VoucherDailyStats
from konexi.models.base import utcnow
from konexi.services.claims.voucher_stats import stats_day
from konexi.services.providers import provider_stats
from konexi.web import svg_chart
from tests.support.factories import make_company, make_voucher
from tests.support.provider_stats import owner_client, seed_30_days
from tests.support.reviews import redeemed_claim


# -- the service -----------------------------------------------------------------------------
def test_totals_and_conversion_over_the_last_30_days(app):
    company, first, second = seed_30_days()

    stats = provider_stats.company_stats(company.id)

    assert len(stats.days) == 30 and stats.today == stats_day()
    by_id = {v.voucher_id: v for v in stats.vouchers}
    a, b = by_id[first.id].totals, by_id[second.id].totals
    assert (a.views, a.claims, a.redemptions) == (300, 60, 30)
    assert (a.claim_rate, a.redemption_rate) == (0.2, 0.5)
    assert (b.views, b.claims, b.redemptions, b.redemption_rate) == (5, 1, 0, 0.0)
    assert (stats.totals.views, stats.totals.claims, stats.totals.redemptions) == (305, 61, 30)
    assert stats.daily[-1].views == 15 and stats.daily[0].views == 10


def test_rates_are_none_without_a_denominator(app):
    company = make_company()
    make_voucher(company=company)

    stats = provider_stats.company_stats(company.id)

    [voucher] = stats.vouchers
    assert voucher.totals.claim_rate is None and voucher.totals.redemption_rate is None


def test_per_branch_redemptions_by_jakarta_day(app):
    voucher = make_voucher()
    menteng, bogor, closed = voucher.company.branches
    today = date(2026, 3, 10)
    redeemed_claim(None, voucher, datetime(2026, 3, 9, 17, 30, tzinfo=UTC), menteng.id)  # 00:30
    redeemed_claim(None, voucher, datetime(2026, 3, 10, 16, 59, tzinfo=UTC), menteng.id)  # 23:59
    redeemed_claim(None, voucher, datetime(2026, 3, 9, 16, 30, tzinfo=UTC), bogor.id)  # yesterday
    redeemed_claim(None, voucher, datetime(2026, 1, 1, 5, 0, tzinfo=UTC), bogor.id)  # too old
    redeemed_claim(None, voucher, datetime(2026, 3, 5, 5, 0, tzinfo=UTC), closed.id)
    redeemed_claim(None, make_voucher(), datetime(2026, 3, 10, 5, 0, tzinfo=UTC))  # elsewhere

    stats = provider_stats.company_stats(voucher.company_id, today=today)

    branches = {b.branch_id: b for b in stats.branches}
    assert branches[menteng.id].by_day == {today: 2}
    assert branches[bogor.id].by_day == {date(2026, 3, 9): 1}
    assert branches[closed.id].total == 1  # inactive, but it redeemed in the window
    assert set(branches) == {menteng.id, bogor.id, closed.id}


def test_redemptions_today_for_staff_branches(app):
    voucher = make_voucher()
    menteng, bogor, _closed = voucher.company.branches
    for branch in (menteng, menteng, bogor):
        redeemed_claim(None, voucher, utcnow(), branch.id)

    counts = provider_stats.redemptions_today(voucher.company_id, [menteng])

    assert counts == [(menteng, 2)]
    assert provider_stats.redemptions_today(voucher.company_id, []) == []


def test_nice_ceiling_and_chart_geometry():
    assert [svg_chart.nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 180)] == [
        1,
        1,
        5,
        10,
        10,
        20,
        200,
    ]
    chart = svg_chart.line_chart(["a", "b", "c"], [("views", "Views", [0, 5, 10])], label_every=2)
    assert chart.y_max == 10
    [series] = chart.series
    assert series.points == "30,128 170,69 310,10" and series.total == 15
    assert [t.label for t in chart.x_ticks] == ["a", "c"]
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]
    with pytest.raises(ValueError):
        svg_chart.line_chart(["a"], [("views", "Views", [1, 2])])


# -- the dashboard ---------------------------------------------------------------------------
def test_dashboard_shows_tables_and_an_svg_chart_without_style_attributes(app, client, create_user):
    company, first, _second = seed_30_days()
    redeemed_claim(None, first, utcnow(), company.branches[0].id)
    owner_client(client, create_user, company.id)

    response = client.get("/provider/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    vouchers = html[html.index('id="stats-vouchers"') : html.index('id="stats-branches"')]
    assert re.search(
        r"Es kopi susu 2 for 1</a></th>\s*<td class=\"num\" data-label=\"Views\">300</td>"
        r"<td class=\"num\" data-label=\"Claims\">60</td>"
        r"<td class=\"num\" data-label=\"Redemptions\">30</td>\s*"
        r"<td class=\"num\"[^>]*>20%</td><td class=\"num\"[^>]*>50%</td>",
        vouchers,
    )
    branches = html[html.index('id="stats-branches"') : html.index('id="stats-days"')]
    assert re.search(
        rf"{company.branches[0].name}</th>\s*<td class=\"num\">1</td><td class=\"num\">1</td>",
        branches,
    )
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert "<title id=" in svg and "<desc id=" in svg and "<polyline" in svg
        assert "style=" not in svg
    assert " style=" not in html and "<style" not in html
    assert 'href="/provider/stats.csv"' in html


def test_csv_has_the_header_rows_and_no_personal_data(app, client, create_user):
    company, first, second = seed_30_days()
    customer = create_user(name="Rahasia Pelanggan", email="secret@example.com")
    redeemed_claim(customer, first, utcnow(), company.branches[0].id)
    owner = owner_client(client, create_user, company.id)

    response = client.get("/provider/stats.csv")

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == list(provider_stats.CSV_HEADER)
    company_rows = [r for r in rows if r[1] == "company"]
    assert len(company_rows) == 30
    today = stats_day().isoformat()
    assert [today, "company", "", "", "15", "3", "1", "0.2000", "0.3333"] in rows
    assert [
        today,
        "voucher",
        str(first.id),
        first.title,
        "10",
        "2",
        "1",
        "0.2000",
        "0.5000",
    ] in rows
    assert [
        today,
        "voucher",
        str(second.id),
        second.title,
        "5",
        "1",
        "0",
        "0.2000",
        "0.0000",
    ] in rows
    branch = company.branches[0]
    assert [today, "branch", str(branch.id), branch.name, "", "", "1", "", ""] in rows
    assert len([r for r in rows if r[1] == "voucher"]) == 31
    for secret in (customer.name, customer.email, customer.phone, owner.email, "Rahasia"):
        assert secret not in body


def test_csv_cells_cannot_become_spreadsheet_formulas(app, client, create_user):
    company, _first, _second = seed_30_days(title='=HYPERLINK("http://x")')
    owner_client(client, create_user, company.id)

    rows = list(csv.reader(io.StringIO(client.get("/provider/stats.csv").text)))

    assert any(r[3] == '\'=HYPERLINK("http://x")' for r in rows)
    assert not any(r[3].startswith("=") for r in rows)


def count_queries(client, url: str) -> int:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_dashboard_and_csv_use_a_bounded_number_of_queries(app, client, create_user):
    company, first, _second = seed_30_days()
    owner_client(client, create_user, company.id)
    few = count_queries(client, "/provider/"), count_queries(client, "/provider/stats.csv")
    for n in range(8):
        voucher = make_voucher(company=company, title=f"Extra {n}")
        for back in range(30):
            db.session.add(
                VoucherDailyStats(voucher_id=voucher.id, day=stats_day() - timedelta(back), views=1)
            )
        redeemed_claim(None, voucher, utcnow() - timedelta(days=n), company.branches[1].id)
    db.session.commit()

    many = count_queries(client, "/provider/"), count_queries(client, "/provider/stats.csv")

    assert many == few
    assert many[0] <= 12
