"""Logging in and out: email or phone, one answer for every failure, CSRF and rate limits."""

from __future__ import annotations

from tests.support.accounts import location_path, submit, submit_login
from tests.support.app import TEST_PASSWORD, csrf_token_from

WRONG = "Email/phone or password is wrong."


def _logged_in_as(client) -> str | None:
    html = client.get("/").get_data(as_text=True)
    if 'action="/logout"' not in html:
        return None
    return html.split('<span class="who">', 1)[1].split("</span>", 1)[0]


def test_log_in_with_email_in_any_letter_case(client, create_user):
    create_user(name="Siti", email="siti@example.com")
    response = submit_login(client, "SITI@Example.com")
    assert response.status_code == 303 and location_path(response) == "/"
    assert _logged_in_as(client) == "Siti"


def test_log_in_with_a_local_or_international_phone_number(app, create_user):
    create_user(name="Budi", phone="+6281299990000")
    for typed in ("0812 9999 0000", "+6281299990000"):
        client = app.test_client()
        assert submit_login(client, typed).status_code == 303
        assert _logged_in_as(client) == "Budi"


def test_wrong_password_and_unknown_account_get_the_same_answer(client, create_user):
    create_user(email="siti@example.com")
    wrong_password = submit_login(client, "siti@example.com", "not the password")
    unknown = submit_login(client, "nobody@example.com", "not the password")
    for response in (wrong_password, unknown):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert WRONG in html
        assert "not the password" not in html  # never echoed
    assert 'value="siti@example.com"' in wrong_password.get_data(as_text=True)
    assert _logged_in_as(client) is None
    # The wrong password counted exactly once against the account (5 a minute): 4 more, then 429.
    more = [submit_login(client, "siti@example.com", "wrong").status_code for _ in range(5)]
    assert more == [200] * 4 + [429]


def test_a_malformed_identifier_is_explained_next_to_the_field(client):
    html = submit_login(client, "12ab").get_data(as_text=True)
    assert "Enter your email address or mobile number." in html
    assert 'id="identifier-error"' in html and 'value="12ab"' in html


def test_remember_me_sets_a_remember_cookie(client, create_user):
    create_user(email="siti@example.com")
    response = submit_login(client, "siti@example.com", remember=True)
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))

    other = submit_login(client.application.test_client(), "siti@example.com")
    assert "remember_token=" not in " ".join(other.headers.getlist("Set-Cookie"))


def test_log_out_is_a_post(client, create_user):
    create_user(email="siti@example.com")
    submit_login(client, "siti@example.com")
    assert client.get("/logout").status_code == 405
    response = submit(client, "/", {}, action="/logout")
    assert response.status_code == 303
    assert _logged_in_as(client) is None


def test_post_without_csrf_token_is_refused(client, create_user):
    create_user(email="siti@example.com")
    response = client.post(
        "/login", data={"identifier": "siti@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert _logged_in_as(client) is None


def test_next_only_leads_to_this_site(app, create_user):
    create_user(email="siti@example.com")
    for next_url, expected in (
        ("/me/vouchers", "/me/vouchers"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ):
        client = app.test_client()  # a login renews the CSRF secret: a fresh visitor each time
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        data = {"identifier": "siti@example.com", "password": TEST_PASSWORD, "csrf_token": token}
        response = client.post(f"/login?next={next_url}", data=data)
        assert response.headers["Location"] == expected


def test_too_many_failed_logins_answer_429_in_the_users_language(client, create_user):
    create_user(email="siti@example.com")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {"identifier": "siti@example.com", "password": "wrong password", "csrf_token": token}
    statuses = [client.post("/login", data=data).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    response = client.post("/login?lang=id", data=data)
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)


def test_successful_logins_do_not_count_towards_the_limit(app, create_user):
    create_user(email="siti@example.com")
    for _ in range(7):  # e.g. a family sharing one connection
        assert submit_login(app.test_client(), "siti@example.com").status_code == 303
    # The seven successes counted nothing: the account still has all five failures left.
    client = app.test_client()
    statuses = [submit_login(client, "siti@example.com", "wrong").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
