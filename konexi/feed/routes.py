"""The voucher feed at ``/`` and the small form that sets the location it sorts by."""

from __future__ import annotations

from flask import flash, g, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.extensions import csrf
from konexi.feed import bp
from konexi.feed.card_lists import cached_cards
from konexi.feed.chips import filter_chips
from konexi.feed.formatting import format_distance
from konexi.feed.forms import FeedArgs, LocationChoice
from konexi.feed.location import current_location, forget_location, remember_location
from konexi.feed.suggestions import kept_suggestions
from konexi.media.routes import saves_data
from konexi.services.catalogue.feed import CLOSE_KM, build_feed
from konexi.services.catalogue.places import PLACES
from konexi.web.htmx import redirect_after_post, render_page_or_fragment, wants_fragment

bp.add_app_template_filter(format_distance, "distance")


def _saves_data_once() -> bool:
    """``saves_data()`` read once per request: every card's key asks (a missing header costs
    werkzeug an exception each time)."""
    light = g.get("konexi_saves_data")
    if light is None:
        light = g.konexi_saves_data = saves_data()  # also says the page varies on Save-Data
    return bool(light)


# Part of a card's key in the fragment cache.
bp.add_app_template_global(_saves_data_once, "saves_data")


@bp.get("/")
def index() -> ResponseReturnValue:
    args = FeedArgs.parse(request.args)
    location = current_location(args.point)
    fragment = wants_fragment()
    signed_in = current_user.is_authenticated
    # A signed-in feed without a place: its cards come from the shared card cache, if any.
    cards = cached_cards(args.filters, args.page) if signed_in and location is None else None
    # ... and its "for you" suggestions from the user's own kept copy, if any.
    kept = kept_suggestions(current_user) if cards is not None else None
    feed = build_feed(
        args.filters,
        page=args.page,
        origin=location.point if location else None,
        user=current_user if signed_in else None,
        full_page=not fragment,
        with_listing=cards is None,
        chips=filter_chips,
        suggested_ids=kept.ids if kept is not None else None,
    )
    # "Load more" appends the next page's cards; a search or a category chip (page one) replaces
    # the search form, the chips and the cards, so that the chosen chip shows as chosen.
    return render_page_or_fragment(
        "feed/index.html",
        "feed/_items.html" if feed.listing.page > 1 else "feed/_results.html",
        feed=feed,
        args=args,
        location=location,
        places=PLACES,
        link_params=args.link_params(with_point=True),
        close_km=CLOSE_KM,
        spliced=cards.without(feed.suggested_ids) if cards is not None else None,
        kept_for_you=kept.cards if kept is not None and not fragment and args.page == 1 else None,
    )


@bp.post("/location")
@csrf.exempt
def set_location() -> ResponseReturnValue:
    # Anonymous visitors post without a token (it would give every feed view a session cookie):
    # their choice only sorts their own feed. A signed-in user's choice may be stored: checked.
    if current_user.is_authenticated:
        csrf.protect()
    choice = LocationChoice.parse(request.form)
    if choice.clear:
        forget_location()
    elif choice.point is None:
        flash(_("We could not use that location. Pick your city or area."), "error")
    else:
        remember_location(choice.point, choice.place)
    return redirect_after_post(url_for("feed.index", **choice.back))
