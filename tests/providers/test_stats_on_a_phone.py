"""The statistics fit a phone: chart labels stay inside the chart, and the wide tables carry
each column's name on every number so that a phone can show a row without scrolling sideways."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from konexi.models import User
from konexi.web import svg_chart
from tests.support.auth import log_in
from tests.support.factories import make_company, make_member, make_voucher
from tests.support.stats import add_daily_stats

DAYS_EN = [f"{n} Nov" for n in range(5, 31)] + [f"{n} Dec" for n in range(1, 5)]


def _extent(tick: svg_chart.Tick) -> tuple[float, float]:
    width = svg_chart.label_width(tick.label)
    start = {"start": 0.0, "middle": -width / 2, "end": -width}[tick.anchor]
    return tick.position + start, tick.position + start + width


@pytest.mark.parametrize(
    "labels",
    [DAYS_EN, [label.replace("Dec", "Des") for label in DAYS_EN], ["1 Sep", "30 Sep"], ["4 Des"]],
)
@pytest.mark.parametrize("peak", [0, 7, 950, 123_456])
def test_every_axis_label_is_drawn_inside_the_chart(labels: list[str], peak: int) -> None:
    chart = svg_chart.line_chart(labels, [("views", "Views", [peak] * len(labels))])
    for tick in chart.x_ticks:
        start, end = _extent(tick)
        assert 0 <= start and end <= chart.width, tick
    assert chart.x_ticks[-1].label == labels[-1]  # today is always labelled
    for tick in chart.y_ticks:  # drawn ending `gap` left of the plot
        assert chart.left - chart.gap - svg_chart.label_width(tick.label) >= 0, tick


def test_the_last_day_ends_at_the_right_edge_and_the_others_are_centred() -> None:
    chart = svg_chart.line_chart(DAYS_EN, [("views", "Views", [1] * 30)])
    assert [t.anchor for t in chart.x_ticks] == ["middle"] * 4 + ["end"]


def test_the_dashboard_draws_the_labels_where_the_chart_put_them_and_labels_every_number(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    company = make_company()
    voucher = make_voucher(company=company, title="Es kopi susu 2 for 1")
    add_daily_stats(voucher.id, views=120_000)
    owner = create_user()
    make_member(company, owner, "owner")
    log_in(client, owner)

    html = client.get("/provider/").get_data(as_text=True)

    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 2
    for svg in svgs:  # the day labels (under the plot, at y = height - 6): today ends at the edge
        anchors = re.findall(r'<text class="axis" x="[\d.]+" y="144" text-anchor="(\w+)"', svg)
        assert anchors == ["middle"] * 4 + ["end"]
    # the widest y label ("200000", drawn ending at x) has room on the left of the plot
    ends = re.findall(
        r'<text class="axis" x="([\d.]+)" y="[\d.]+" text-anchor="end"[^>]*>200000<', html
    )
    assert ends and float(ends[0]) >= svg_chart.label_width("200000")
    assert "table-scroll" not in html
    for table in ("stats-vouchers", "stats-days"):
        body = re.search(
            rf'<table class="stats-table stack-table" id="{table}">(.*?)</table>', html, re.S
        )
        assert body is not None
        cells = re.findall(r"<td class=\"num\"( data-label=\"[^\"]+\")?>", body.group(1))
        assert cells and all(cells), table  # every number carries its column's name
    assert 'data-label="Redemptions"' in html
