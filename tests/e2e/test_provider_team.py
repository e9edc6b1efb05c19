"""The demo provider adds a branch with a customer-service phone, in a phone-sized browser."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from konexi.extensions import db
from konexi.models import Branch, User
from tests.support.browser import DEMO_PROVIDER, log_in


def wait_for_code(fake_twilio, phone: str) -> str:
    """The code the outbox texted to ``phone`` (delivered in-process, moments after the click)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for sms in reversed(fake_twilio.to(phone)):
            match = re.search(r"\b(\d{6})\b", sms.body)
            if match:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no code texted to {phone}")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_provider_adds_a_branch_with_a_consented_phone(
    live_server, new_page, javascript, fake_twilio
):
    page = new_page(javascript=javascript)
    errors: list[str] = []
    # A refused form answers 422, which the browser and htmx log: only script errors count.
    page.on(
        "console",
        lambda message: (
            message.type == "error" and "422" not in message.text and errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    if javascript:
        page.context.grant_permissions(["geolocation"], origin=live_server.url)
        page.context.set_geolocation({"latitude": -6.1944, "longitude": 106.8229})
    log_in(page, live_server, DEMO_PROVIDER)

    page.goto(live_server.url + "/provider/")
    page.locator(".console-nav a", has_text="Branches").click()
    page.locator("a", has_text="Add a branch").click()
    page.fill("input[name=name]", "Demo Kopi Menteng")
    page.fill("input[name=address]", "Jl. HOS Cokroaminoto No. 3")
    page.fill("input[name=city]", "Jakarta")
    if javascript:
        page.locator("button[data-locate-branch]").click()
        # a locator assertion, not wait_for_function: the CSP refuses string evaluation
        expect(page.locator("input[name=latitude]")).not_to_have_value("")
        assert page.input_value("input[name=latitude]") == "-6.194400"
        assert page.input_value("input[name=longitude]") == "106.822900"
    else:
        assert page.locator("button[data-locate-branch]").is_hidden()
        page.fill("input[name=latitude]", "-6,1944")
        page.fill("input[name=longitude]", "106,8229")
    page.fill("textarea[name=opening_hours]", "Mon–Sun 08:00–22:00")
    page.fill("input[name=phone]", "0812 7777 8888")

    # Without the owner's consent the number is refused, next to the box to tick.
    page.locator("#branch-form button[type=submit]").click()
    page.wait_for_selector("#phone_consent-error")
    assert page.input_value("input[name=name]") == "Demo Kopi Menteng"
    page.check("input[name=phone_consent]")
    page.locator("#branch-form button[type=submit]").click()

    # A new number is proven by a code texted to it before customers see it.
    page.wait_for_url(re.compile(r".*/provider/branches/\d+/phone$"))
    page.locator("button", has_text="Send a code to this number").click()
    expect(page.locator("input[name=code]")).to_be_visible()
    code_box = page.locator("input[name=code]")
    expect(page.locator("#branch-phone")).to_be_visible()
    code_box.fill(wait_for_code(fake_twilio, "+6281277778888"))
    page.locator("button", has_text="Prove this number").click()
    page.wait_for_url(live_server.url + "/provider/branches")
    card = page.locator(".branch", has_text="Demo Kopi Menteng")
    assert card.count() == 1
    assert "+62 812-7777-8888" in card.inner_text()
    assert "owner's consent recorded" in card.inner_text()
    with live_server.app.app_context():
        branch = db.session.scalar(select(Branch).where(Branch.name == "Demo Kopi Menteng"))
        provider = db.session.scalar(select(User).where(User.email == DEMO_PROVIDER))
        assert branch.phone_consent_by_id == provider.id
        assert branch.phone_verified_at is not None
        assert round(branch.latitude, 4) == -6.1944
    assert errors == []
