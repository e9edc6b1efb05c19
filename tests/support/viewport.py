"""The small-phone check for browser journeys: a page fits 360x740 without sideways scrolling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SMALL_PHONE = {"width": 360, "height": 740}
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def assert_fits_a_small_phone(page: Any, name: str) -> None:
    """Resize to 360x740, keep a full-page screenshot for review in test-artifacts/, and fail
    when the page is wider than the screen (sideways scroll) or an element sticks out of it."""
    page.set_viewport_size(SMALL_PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)
    widths = page.locator("html").evaluate(
        "html => [html.scrollWidth, html.clientWidth, document.body.scrollWidth]"
    )
    assert max(widths[0], widths[2]) <= widths[1], f"{name}: sideways scroll {widths}"
