"""The feed's cards for signed-in visitors, rendered once per (page, filters, language, Save-Data)
and kept in Redis for every worker, then spliced into each person's page.

A signed-in feed is personal (the "for you" suggestions, the account menu, the CSRF token), so the
page cache never keeps it, and each one cost a listing query plus the render of every card. The
cards themselves hold nothing personal (title, provider, category, days left, quota left,
picture): the list of a page is the anonymous listing of that page, kept for
``PAGE_CACHE_SECONDS`` like an anonymous page (a quota left may be that old; a claim always checks
the quota), and each person's page leaves out the vouchers suggested to them (as the uncached feed
does: a page is then the same slice of the same list minus those, so "load more" still never
repeats or skips a voucher). Only the location-free feed is spliced: a nearest-first list depends
on the person's place. Without Redis, with ``PAGE_CACHE_SECONDS`` at 0 or with Redis away, the
view renders the cards itself (``cached_cards`` returns None).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from flask import current_app, render_template
from markupsafe import Markup
from redis.exceptions import RedisError

from konexi.i18n import current_language
from konexi.media.routes import saves_data
from konexi.services.catalogue import catalogue
from konexi.services.catalogue.catalogue import VoucherFilter

log = logging.getLogger(__name__)

PREFIX = "konexi:cards:"


@dataclass(frozen=True)
class CardList:
    """One page of the anonymous listing as card HTML, by voucher id."""

    cards: tuple[tuple[int, str], ...]
    page: int
    has_more: bool
    filters: VoucherFilter = field(default_factory=VoucherFilter)

    def without(self, voucher_ids: Collection[int]) -> SplicedCards:
        """The cards of this page a person sees: those not already suggested to them."""
        # The output of our own autoescaped card template, kept in our Redis (which the page
        # cache replays whole pages from as well): already safe HTML, not user input.
        items = [
            Markup(html)  # noqa: S704
            for voucher_id, html in self.cards
            if voucher_id not in voucher_ids
        ]
        return SplicedCards(items, self.page, self.has_more, self.filters)


@dataclass(frozen=True)
class SplicedCards:
    """What feed/_items.html lists instead of ``feed.listing`` when the cards come cached."""

    items: list[Markup]
    page: int
    has_more: bool
    filters: VoucherFilter


def _key(filters: VoucherFilter, page: int, language: str, light: bool) -> str:
    parts = (filters.category, filters.terms, page, language, light)
    return PREFIX + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _render(filters: VoucherFilter, page: int) -> CardList:
    listing = catalogue.live_vouchers(page, filters=filters)
    cards = tuple(
        (item.voucher.id, str(render_template("feed/_card.html", item=item)))
        for item in listing.items
    )
    return CardList(cards, listing.page, listing.has_more, listing.filters)


def cached_cards(filters: VoucherFilter, page: int) -> CardList | None:
    """This page's cards from Redis, rendered and stored first when missing; None when there is
    no shared cache (the caller renders them itself)."""
    redis = current_app.extensions.get("konexi_redis")  # set by konexi/tasks/queue.py
    seconds = int(current_app.config["PAGE_CACHE_SECONDS"])
    if redis is None or seconds <= 0 or not current_app.config["PAGE_CACHE_SHARED"]:
        return None
    key = _key(filters, page, current_language(), saves_data())
    try:
        raw = redis.get(key)
    except RedisError:
        return None
    if raw is not None:
        stored = json.loads(raw)
        cards = tuple((int(voucher_id), str(html)) for voucher_id, html in stored["cards"])
        return CardList(cards, int(stored["page"]), bool(stored["has_more"]), filters)
    cards_page = _render(filters, page)
    value = {"cards": cards_page.cards, "page": cards_page.page, "has_more": cards_page.has_more}
    try:
        redis.set(key, json.dumps(value), ex=seconds)
    except RedisError:
        log.warning("card cache unreachable: this page's cards are not kept")
    return cards_page


__all__ = ["CardList", "SplicedCards", "cached_cards"]
