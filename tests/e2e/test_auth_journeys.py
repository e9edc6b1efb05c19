"""A visitor signs up, verifies, logs out, forgets the password and resets it: JS on and off."""

from __future__ import annotations

import re

import pytest

from tests.support.accounts import latest_code, wrong_code

PHONE = "+6281277778888"


def _code(live_server, destination, fake_twilio, smtp_server) -> str:
    with live_server.app.app_context():
        return latest_code(destination, fake_twilio, smtp_server)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_sign_up_verify_log_out_and_reset_the_password(
    live_server, new_page, fake_twilio, smtp_server, javascript
):
    page = new_page(javascript=javascript)
    page.goto(live_server.url + "/signup")
    page.get_by_label("Name").fill("Rina Wati")
    page.get_by_label("Email").fill("rina@example.com")
    page.get_by_label("Mobile number").fill("0812 7777 8888")
    page.get_by_label("Password").fill("rina-password-1")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/verify")
    assert "+62 812-7777-8888" in page.locator("#verify-phone").inner_text()

    code = _code(live_server, PHONE, fake_twilio, smtp_server)
    page.get_by_label("Code").first.fill(wrong_code(code))
    page.get_by_role("button", name="Verify phone").click()
    page.locator("#verify-phone .field-error").wait_for()
    assert "4 tries left" in page.locator("#verify-phone .field-error").inner_text()
    assert page.locator("#phone-code").get_attribute("aria-invalid") == "true"

    page.locator("#phone-code").fill(code)
    page.get_by_role("button", name="Verify phone").click()
    page.locator("#verify-phone .ok").wait_for()

    email_code = _code(live_server, "rina@example.com", fake_twilio, smtp_server)
    page.locator("#email-code").fill(email_code)
    page.get_by_role("button", name="Verify email").click()
    page.wait_for_url(live_server.url + "/")
    assert "You can claim vouchers now" in page.locator("main").inner_text()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").wait_for()
    page.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email or mobile number").fill("0812 7777 8888")
    page.get_by_role("button", name="Send a code").click()
    page.wait_for_url("**/reset-password")
    assert "If an account matches, we sent a code." in page.locator("main").inner_text()

    reset_code = _code(live_server, PHONE, fake_twilio, smtp_server)
    page.get_by_label("Code").fill(reset_code)
    page.get_by_label("New password").fill("rina-password-2")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".who").inner_text() == "Rina Wati"

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email or mobile number").fill("rina@example.com")
    page.get_by_label("Password").fill("rina-password-2")
    page.get_by_label("Remember me on this phone").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".who").inner_text() == "Rina Wati"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_sign_up_mistakes_are_explained_and_nothing_typed_is_lost(
    live_server, new_page, javascript
):
    page = new_page(javascript=javascript)
    page.goto(live_server.url + "/signup")
    page.get_by_label("Name").fill("Rina Wati")
    page.get_by_label("Email").fill("demo@konexi.test")  # the demo user's
    page.get_by_label("Mobile number").fill("0812")
    page.get_by_label("Password").fill("rina-password-1")
    page.get_by_role("button", name="Create account").click()
    page.locator("#phone-error").wait_for()
    assert (
        "Enter a mobile number such as 0812 3456 7890." in page.locator("#phone-error").inner_text()
    )
    assert re.search("can.t be used for a new account", page.locator("#email-error").inner_text())
    assert page.get_by_label("Name").input_value() == "Rina Wati"
    assert page.get_by_label("Email").input_value() == "demo@konexi.test"
    assert page.get_by_label("Mobile number").input_value() == "0812"
    assert page.get_by_label("Password").input_value() == ""


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_sign_up_and_verify_in_indonesian(
    live_server, new_page, fake_twilio, smtp_server, javascript
):
    page = new_page(javascript=javascript, locale="id-ID")
    page.goto(live_server.url + "/signup")
    assert page.locator("html").get_attribute("lang") == "id"
    page.get_by_label("Nama").fill("Dewi Lestari")
    page.get_by_label("Email").fill("dewi@example.com")
    page.get_by_label("Nomor HP").fill("0813 1111 2222")
    page.get_by_label("Kata sandi").fill("dewi-password-1")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_url("**/verify")

    phone_code = _code(live_server, "+6281311112222", fake_twilio, smtp_server)
    page.locator("#phone-code").fill(phone_code)
    page.get_by_role("button", name="Verifikasi nomor HP").click()
    page.locator("#verify-phone .ok").wait_for()

    email_code = _code(live_server, "dewi@example.com", fake_twilio, smtp_server)
    page.locator("#email-code").fill(email_code)
    page.get_by_role("button", name="Verifikasi email").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("h1").first.inner_text() == "Voucher di dekat Anda"
    sms = fake_twilio.to("+6281311112222")[0].body
    assert "Konexi" in sms
