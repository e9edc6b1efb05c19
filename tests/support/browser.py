"""Browser journeys' helpers: signing in through the login form as a person does (no tests)."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

# The documented demo accounts (CONTRACT.md), loaded into every live server.
DEMO_USER = "demo@konexi.test"
DEMO_PROVIDER = "provider@konexi.test"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented demo credential


class Served(Protocol):
    @property
    def url(self) -> str: ...


def log_in(
    page: Page,
    server: Served,
    email: str = DEMO_USER,
    password: str = DEMO_PASSWORD,
    lang: str | None = None,
) -> None:
    """Fill in and send the login form; fail (never skip) when the session does not start.

    Fields are found by name, not label, so the helper works in either language; ``lang``
    opens the form in that language first (the choice then sticks for the session).
    """
    page.goto(server.url + "/login" + (f"?lang={lang}" if lang else ""))
    page.fill("input[name=identifier]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    try:
        # With JavaScript on, htmx swaps the page in after the click: wait for the new URL.
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    except PlaywrightError as error:
        raise AssertionError(f"could not log in as {email}: still on {page.url}") from error
