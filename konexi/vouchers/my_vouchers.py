"""My vouchers: the user's claims (active, redeemed, expired, hidden) and one claim's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from konexi.services.claims import claims
from konexi.services.sharing import gifts, inbox, sharing
from konexi.vouchers import bp
from konexi.web.htmx import redirect_after_post, render_page_or_fragment, wants_fragment


@bp.get("/me/vouchers")
@login_required
def mine() -> ResponseReturnValue:
    listing = claims.list_my_claims(current_user.id)
    shared = inbox.shared_with_me(current_user.id)
    return render_page_or_fragment(
        "me/vouchers.html",
        "me/_vouchers.html",
        listing=listing,
        shared=shared,
        pending_gifts=gifts.pending_gifts_of(current_user.id),
        my_shares=sharing.list_my_shares(current_user.id),
    )


@bp.get("/me/vouchers/<int:claim_id>")
@login_required
def my_claim(claim_id: int) -> ResponseReturnValue:
    claim = claims.claim_for_owner(current_user.id, claim_id)
    if claim is None:
        abort(404)
    pending_gift = gifts.pending_gifts_of(current_user.id).get(claim.id)
    return render_page_or_fragment(
        "me/claim.html", "me/_claim.html", claim=claim, pending_gift=pending_gift
    )


def _set_hidden(claim_id: int, hidden: bool) -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return redirect_after_post(url_for("auth.login", next=url_for("vouchers.mine")))
    claim = claims.set_claim_hidden(current_user.id, claim_id, hidden)
    if claim is None:
        abort(404)
    if wants_fragment():
        return render_template("me/_claim_row.html", claim=claim)
    if hidden:
        flash(_("Hidden from your history. You can show it again under “Hidden”."))
    else:
        flash(_("Shown in your history again."))
    return redirect(url_for("vouchers.mine"), code=303)


@bp.post("/me/vouchers/<int:claim_id>/hide")
def hide_claim(claim_id: int) -> ResponseReturnValue:
    return _set_hidden(claim_id, hidden=True)


@bp.post("/me/vouchers/<int:claim_id>/unhide")
def unhide_claim(claim_id: int) -> ResponseReturnValue:
    return _set_hidden(claim_id, hidden=False)
