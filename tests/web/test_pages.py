"""The base pages: feed placeholder, privacy notice, health, security headers, static caching."""

from __future__ import annotations

import re

import pytest

from konexi.dev.demo_data import load_demo_data
from tests.support.app import nearby_search


def test_feed_lists_demo_vouchers_with_load_more(app, client):
    load_demo_data()
    page = client.get("/").get_data(as_text=True)
    assert "Buy 1 get 1 iced coffee" in page
    assert "Demo Kopi" in page
    assert 'href="/?page=2"' in page  # works without JavaScript
    assert 'hx-get="/?page=2"' in page


def test_load_more_answers_htmx_with_a_fragment(app, client):
    load_demo_data()
    fragment = client.get("/?page=2", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert 'class="card voucher"' in html
    assert "HX-Request" in fragment.headers["Vary"]
    # a plain browser on the same URL gets the whole page
    assert "<html" in client.get("/?page=2").get_data(as_text=True)


def test_demo_data_is_idempotent(app):
    from sqlalchemy import func, select

    from konexi.extensions import db
    from konexi.models import Branch, User, Voucher

    load_demo_data()
    load_demo_data()
    assert db.session.scalar(select(func.count(Voucher.id))) >= 12
    assert db.session.scalar(select(func.count(Branch.id))) == 3
    assert db.session.scalar(select(func.count(User.id))) == 3  # demo, provider, demo-staff
    categories = db.session.scalars(select(Voucher.category_id).distinct()).all()
    assert len(categories) >= 4


def test_privacy_notice_in_both_languages(client):
    assert "Privacy notice" in client.get("/privacy").get_data(as_text=True)
    assert "Pemberitahuan privasi" in client.get("/privacy?lang=id").get_data(as_text=True)


def test_healthz_with_inline_jobs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "inline",
        "nearby": nearby_search(),
    }


def test_healthz_reports_redis(app_factory, redis_url):
    client = app_factory(REDIS_URL=redis_url).test_client()
    assert client.get("/healthz").get_json()["redis"] == "ok"


def test_healthz_is_200_and_degraded_when_only_redis_is_down(app_factory):
    """Pages and sign-up still work without Redis: the dyno is alive, only degraded."""
    from tests.servers.ports import free_port

    client = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    with client.application.app_context():
        nearby = nearby_search()
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "down",
        "nearby": nearby,
    }


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    cookie = response.headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_load_nothing_from_another_origin(client):
    html = client.get("/").get_data(as_text=True)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url
    assert "<style" not in html and "style=" not in html  # CSP forbids inline styles
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # and inline scripts
    assert re.search(r'<script src="/static/vendor/htmx.min.js\?v=\w+" defer>', html)


def test_fingerprinted_static_files_are_cached_for_good(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/app.css\?v=\w+)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.own_app  # adds a route, which a shared app refuses
def test_server_errors_get_a_translated_page_not_a_trace(app):
    @app.get("/boom-test")
    def boom():  # pragma: no cover - raises
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom-test?lang=id")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Terjadi kesalahan" in body and "Traceback" not in body


def test_errors_on_htmx_requests_are_swapped_into_the_page(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#main"
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Page not found" in html


def test_translations_work_outside_a_request(app):
    from flask_babel import gettext

    assert gettext("Page not found") == "Page not found"


@pytest.mark.own_app  # adds a route, which a shared app refuses
def test_forbidden_page_is_translated(app):
    from flask import abort

    @app.get("/forbidden-test")
    def forbidden():  # pragma: no cover - aborts
        abort(403)

    response = app.test_client().get("/forbidden-test?lang=id")
    assert response.status_code == 403
    assert "Tidak diizinkan" in response.get_data(as_text=True)


def test_deleting_a_user_applies_the_schemas_on_delete_rules(app, create_user):
    """SQLite enforces foreign keys like PostgreSQL: codes go with the user (CASCADE)."""
    from sqlalchemy import delete, func, select

    from konexi.extensions import db
    from konexi.models import User, VerificationCode
    from konexi.models.base import utcnow

    user = create_user()
    db.session.add(
        VerificationCode(
            user_id=user.id,
            purpose="verify_phone",
            channel="sms",
            destination_hash="x",
            code_hash="y",
            expires_at=utcnow(),
        )
    )
    db.session.commit()
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
    assert db.session.scalar(select(func.count(VerificationCode.id))) == 0


def test_a_refused_value_is_a_400_and_a_database_bug_a_500_not_an_outage(app_factory):
    from sqlalchemy.exc import DataError, IntegrityError

    app = app_factory()

    @app.get("/_test/refused-value")
    def refused_value():
        raise DataError("SELECT :q", {"q": "x"}, ValueError("NUL byte"))

    @app.get("/_test/database-bug")
    def database_bug():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    client = app.test_client()
    refused = client.get("/_test/refused-value")
    assert refused.status_code == 400
    assert "We could not understand that request." in refused.get_data(as_text=True)
    bug = client.get("/_test/database-bug?lang=id")
    assert bug.status_code == 500
    assert "Retry-After" not in bug.headers


def test_a_multipart_part_whose_name_breaks_the_header_is_not_a_500(client):
    # Found by the fuzzer: a field name with CR/LF comes out of the multipart parser unnamed.
    response = client.post(
        "/login",
        data={"\r\n\r\nInjected: header": "<x-fuzz-1>"},
        content_type="multipart/form-data",
    )
    assert response.status_code < 500
    assert "<x-fuzz-1>" not in response.get_data(as_text=True)


def test_a_file_posted_in_place_of_a_text_field_is_ignored_not_a_500(client):
    # Found by the fuzzer on the team invitation form: a file under a text field's name reached
    # the field's filters. Files only reach file fields now (konexi/web/web_forms.py).
    import io

    from tests.support.app import csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "identifier": (io.BytesIO(b"GIF89a<x-fuzz-2>"), "x.gif", "image/gif"),
            "password": "whatever",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "<x-fuzz-2>" not in response.get_data(as_text=True)
