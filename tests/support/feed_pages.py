"""Reading the feed's HTML as a person sees it: card titles, "for you" and the listing."""

from __future__ import annotations

import re


def card_titles(html: str) -> list[str]:
    """The titles of the voucher cards in ``html``, in order."""
    return re.findall(r'<h2><a href="/vouchers/\d+">([^<]+)</a></h2>', html)


def feed_sections(html: str) -> tuple[list[str], list[str]]:
    """The titles in "for you" and in the listing of a full page."""
    for_you = re.search(r'<section class="for-you".*?</section>', html, re.S)
    listing = re.search(r'<ul class="cards" id="feed-items">.*</ul>', html, re.S)
    assert listing is not None
    return (card_titles(for_you.group(0)) if for_you else [], card_titles(listing.group(0)))


def next_page_link(html: str) -> str | None:
    """The "load more" link of a feed page, if there is one."""
    more = re.search(r'<li class="more" id="feed-more">\s*<a href="([^"]+)"', html)
    return more.group(1).replace("&amp;", "&") if more else None
