"""One way to write a day and a moment everywhere, in the person's language: "4 Dec 2026, 16:07"
("4 Des 2026, 16:07"), never Babel's per-language "12/4/26, 4:07 PM"."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from konexi.extensions import db
from konexi.i18n import local_date, local_time, short_date
from konexi.models import User
from tests.support.auth import log_in
from tests.support.team import make_world

ROOT = Path(__file__).resolve().parents[2]
# Ad-hoc date formatting: a pattern of its own in a template, Babel's filters (their default
# styles differ per language), strftime, or the browser's locale formatting in a script.
TEMPLATE_RULES = (
    re.compile(r"\|\s*(?:local_time|local_date|short_date)\s*\("),
    re.compile(r"\|\s*(?:dateformat|datetimeformat|timeformat)\b"),
    re.compile(r"\b(?:format_date|format_datetime|format_time)\s*\("),
    re.compile(r"\.strftime\s*\("),
)
SCRIPT_RULES = (re.compile(r"toLocale(?:Date|Time)?String|Intl\.DateTimeFormat"),)
# In Python: a format function given a pattern written in place (a string literal) rather than
# one of konexi/i18n.py's constants.
PYTHON_RULES = (
    re.compile(
        r"\b(?:format_date|format_datetime|format_time|local_time|local_date)\s*\("
        r"[^,()]*(?:\([^()]*\))?[^,()]*,\s*f?[\"']"
    ),
)


def ad_hoc_date_formatting(text: str, rules: tuple[re.Pattern[str], ...]) -> list[str]:
    """The lines of ``text`` that format a date their own way."""
    return [line.strip() for line in text.splitlines() if any(r.search(line) for r in rules)]


def _offenders(pattern: str, rules: tuple[re.Pattern[str], ...], skip: str = "") -> list[str]:
    found = []
    for path in sorted(ROOT.glob(pattern)):
        if skip and path.match(skip):
            continue
        found += [
            f"{path.relative_to(ROOT)}: {line}"
            for line in ad_hoc_date_formatting(path.read_text(encoding="utf-8"), rules)
        ]
    return found


def test_the_scanner_finds_ad_hoc_formats() -> None:
    assert ad_hoc_date_formatting('{{ x.at|local_time("short") }}', TEMPLATE_RULES)
    assert ad_hoc_date_formatting('{{ day|dateformat("d MMM") }}', TEMPLATE_RULES)
    assert ad_hoc_date_formatting("{{ x.at.strftime('%d/%m') }}", TEMPLATE_RULES)
    assert ad_hoc_date_formatting("el.textContent = when.toLocaleString();", SCRIPT_RULES)
    assert ad_hoc_date_formatting('when = format_date(day, "d MMM")', PYTHON_RULES)
    assert ad_hoc_date_formatting(
        "local_time(claim.at.replace(tzinfo=None), 'short')", PYTHON_RULES
    )
    assert not ad_hoc_date_formatting("{{ x.at|local_time }} {{ d|local_date }}", TEMPLATE_RULES)
    assert not ad_hoc_date_formatting("format_date(ends, DATE_FORMAT, locale=locale)", PYTHON_RULES)


def test_templates_scripts_and_code_use_the_apps_date_formats() -> None:
    offenders = (
        _offenders("templates/**/*.html", TEMPLATE_RULES)
        + _offenders("static/*.js", SCRIPT_RULES)
        + _offenders("konexi/**/*.py", PYTHON_RULES, skip="konexi/i18n.py")
    )
    assert offenders == []


@pytest.mark.parametrize(
    ("lang", "moment", "day", "short"),
    [
        ("en", "4 Dec 2026, 16:07", "4 Dec 2026", "4 Dec"),
        ("id", "4 Des 2026, 16:07", "4 Des 2026", "4 Des"),
    ],
)
def test_the_formats_in_each_language(
    app: Flask, lang: str, moment: str, day: str, short: str
) -> None:
    at = datetime(2026, 12, 4, 9, 7, tzinfo=UTC)  # 16:07 in Jakarta
    with app.test_request_context(), force_locale(lang):
        assert local_time(at) == moment
        assert local_date(at) == local_date(date(2026, 12, 4)) == day
        assert short_date(date(2026, 12, 4)) == short
        assert local_date(datetime(2026, 12, 4, 18, 0, tzinfo=UTC)) == day.replace("4", "5", 1)


@pytest.mark.parametrize(
    ("lang", "shown"),
    [("en", "consent recorded 4 Dec 2026, 16:07"), ("id", "4 Des 2026, 16:07")],
)
def test_a_branch_phone_consent_date_is_written_like_every_other_date(
    client: FlaskClient, create_user: Callable[..., User], lang: str, shown: str
) -> None:
    world = make_world(create_user)
    world.branch.phone = "+6281355500011"
    world.branch.phone_consent_at = datetime(2026, 12, 4, 9, 7, tzinfo=UTC)
    db.session.commit()
    log_in(client, world.users["owner"])
    html = client.get(f"/provider/branches?lang={lang}").get_data(as_text=True)
    assert shown in html
    # Babel's short forms; a bare "PM" would also match a random CSRF token in the page.
    assert "12/4/26" not in html and not re.search(r"\d:\d\d\s?[AP]M\b", html)
