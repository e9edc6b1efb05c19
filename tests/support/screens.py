"""A phone-sized look at a page in the browser journeys (no tests here)."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
PHONE = {"width": 360, "height": 740}


def check_phone_screen(page, name: str) -> None:
    """At 360x740 the page has no horizontal scroll and no control wider than the screen; a
    screenshot is kept in test-artifacts/ for review."""
    page.set_viewport_size(PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('button, input, select, a, p, h1, h2')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .map(el => el.outerHTML.slice(0, 80));
            const html = document.documentElement;
            const scrolled = Math.max(html.scrollWidth, document.body.scrollWidth);
            return {scroll: scrolled - width, wide};
        }"""
    )
    assert overflow["scroll"] <= 0, f"{name}: scrolls sideways by {overflow['scroll']} px"
    assert not overflow["wide"], f"{name}: cut off at 360 px: {overflow['wide']}"
