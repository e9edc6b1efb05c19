"""Redeem at the counter (``/provider/redeem``): pick the branch, look the customer up by phone
number, confirm one of their claims with the code they show.

One work area (``provider/_redeem.html``) holds the lookup form and what it found; htmx swaps it
in place, plain browsers get the whole page. The phone number travels only in POST bodies, never
in a URL (access logs, Referer).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.config import rate_limit
from konexi.extensions import client_ip, limiter
from konexi.models import Branch
from konexi.provider import bp
from konexi.provider.access import current_membership, membership_if_allowed, provider_required
from konexi.provider.forms_redeem import LookupForm, RedeemForm
from konexi.services.accounts.contacts import display_phone
from konexi.services.claims.offline_redemption import Conflict, conflicts_for_staff
from konexi.services.claims.redemption import Actor, RedeemOutcome, RedeemResult, redeemed_when
from konexi.services.claims.redemption_counter import (
    CustomerClaims,
    find_customer_claims,
    redeem_at_counter,
    redeemable_branches,
)
from konexi.web.htmx import wants_fragment
from konexi.web.rate_limited import in_place

SESSION_BRANCH = "redeem_branch_id"
# Per staff member, not per IP: a branch's staff may share one network.
LOOKUPS_PER_STAFF = rate_limit("RATELIMIT_REDEEM_LOOKUPS_PER_STAFF")
# Lookups that showed nothing (unknown number, no live claim, typo): the probing guard.
FAILED_LOOKUPS_PER_STAFF = rate_limit("RATELIMIT_REDEEM_FAILED_LOOKUPS_PER_STAFF")
CONFIRMS_PER_STAFF = rate_limit("RATELIMIT_REDEEM_CONFIRMS_PER_STAFF")


def _staff_key(kind: str) -> str:
    who = f"user:{current_user.id}" if current_user.is_authenticated else "ip:" + client_ip()
    return f"redeem-{kind}:{who}"


def _lookup_failed(_response: Response) -> bool:
    return bool(g.get("redeem_lookup_failed"))


@bp.app_template_global()
def redeem_message(result: RedeemResult) -> str:
    """What staff are told after confirming a code."""
    when = redeemed_when(result.redeemed_at)
    if result.outcome is RedeemOutcome.REDEEMED:
        return _(
            "Redeemed: %(title)s for %(name)s at %(branch)s, %(time)s.",
            title=result.voucher_title,
            name=result.customer_name,
            branch=result.branch_name,
            time=when,
        )
    if result.outcome is RedeemOutcome.ALREADY_REDEEMED:
        return _("Already redeemed at %(branch)s, %(time)s.", branch=result.branch_name, time=when)
    if result.outcome is RedeemOutcome.WRONG_CODE:
        return _("This code does not match the voucher. Check it with the customer.")
    if result.outcome is RedeemOutcome.AMBIGUOUS_CODE:
        return _("More than one voucher ends with these 4 characters: type the full code.")
    return _("This voucher can no longer be redeemed here: it has ended or was withdrawn.")


def _no_claims_message() -> str:
    return _(
        "No live vouchers for this number at %(company)s.",
        company=current_membership().company.name,
    )


def _render(status: int = 200, **context: Any) -> Response:
    """The work area for htmx (always 200, so it is swapped), the whole page otherwise."""
    context.setdefault("customer", None)
    context.setdefault("redeem_form", None)
    context.setdefault("result", None)
    context.setdefault("notice", None)
    customer: CustomerClaims | None = context["customer"]
    context["customer_phone"] = display_phone(customer.phone) if customer else ""
    if wants_fragment():
        response = make_response(render_template("provider/_redeem.html", **context))
    else:
        context["conflicts"] = _my_conflicts()
        context["conflicts_url"] = url_for("provider.redeem_conflicts")
        response = make_response(render_template("provider/redeem.html", **context), status)
    response.vary.add("HX-Request")
    return response


def _my_conflicts() -> list[Conflict]:
    return conflicts_for_staff(current_membership().company_id, current_user.id)


def _lookup_form(branches: list[Branch], **data: Any) -> LookupForm:
    form = LookupForm(formdata=None, data=data)
    form.offer(branches, session.get(SESSION_BRANCH))
    return form


@bp.get("/redeem")
@provider_required("redeem")
def redeem() -> ResponseReturnValue:
    branches = redeemable_branches(current_membership())
    return _render(branches=branches, lookup_form=_lookup_form(branches))


def _lookups_limited(message: str) -> Response | None:
    """Too many lookups: the work area as typed, the message under the phone number."""
    membership = membership_if_allowed("redeem")
    if membership is None:
        return None
    g.membership = membership  # the limit is checked before provider_required sets it
    branches = redeemable_branches(membership)
    form = LookupForm()
    form.offer(branches, None)
    form.phone.errors = [message]
    return _render(branches=branches, lookup_form=form)


@bp.route("/redeem/lookup", methods=["GET", "POST"])
@limiter.limit(
    LOOKUPS_PER_STAFF,
    key_func=lambda: _staff_key("lookup"),
    methods=["POST"],
    on_breach=in_place(_lookups_limited),
)
@limiter.limit(
    FAILED_LOOKUPS_PER_STAFF,
    key_func=lambda: _staff_key("failed"),
    methods=["POST"],
    deduct_when=_lookup_failed,
    on_breach=in_place(_lookups_limited),
)
@provider_required("redeem")
def redeem_lookup() -> ResponseReturnValue:
    if request.method == "GET":  # a reload of the results page without JavaScript
        return redirect(url_for("provider.redeem"), code=303)
    branches = redeemable_branches(current_membership())
    form = LookupForm()
    form.offer(branches, None)
    if not form.validate():
        g.redeem_lookup_failed = True
        return _render(422, branches=branches, lookup_form=form)
    branch_id = form.branch_id.data
    assert branch_id is not None  # validated
    session[SESSION_BRANCH] = branch_id
    actor = Actor.member(current_membership())
    customer = find_customer_claims(actor, branch_id, form.e164)
    if customer is None:
        g.redeem_lookup_failed = True
        return _render(branches=branches, lookup_form=form, notice=_no_claims_message())
    return _render(branches=branches, lookup_form=form, customer=customer)


@bp.post("/redeem/confirm")
@limiter.limit(CONFIRMS_PER_STAFF, key_func=lambda: _staff_key("confirm"))
@provider_required("redeem")
def redeem_confirm() -> ResponseReturnValue:
    branches = redeemable_branches(current_membership())
    form = RedeemForm()
    form.offer(branches, None)
    valid = form.validate()
    if form.branch_id.errors or form.phone.errors or form.claim_id.errors:
        # Not the branch or customer the page showed (another tab, a stale page): start again.
        notice = _("Look the customer up again.")
        return _render(422, branches=branches, lookup_form=_lookup_form(branches), notice=notice)
    branch_id, claim_id, phone = form.branch_id.data, form.claim_id.data, form.e164
    assert branch_id is not None and claim_id is not None  # validated
    actor = Actor.member(current_membership())
    result = None
    if valid:
        result = redeem_at_counter(actor, branch_id, phone, claim_id, form.code.data or "")
        if result.outcome in (RedeemOutcome.WRONG_CODE, RedeemOutcome.AMBIGUOUS_CODE):
            form.code.errors = [redeem_message(result)]
            result = None
    kept = _lookup_form(branches, branch_id=branch_id, phone=display_phone(phone))
    if result is None:  # a code to correct, next to its field, with the customer's list again
        customer = find_customer_claims(actor, branch_id, phone)
        notice = None if customer else _no_claims_message()
        return _render(
            422,
            branches=branches,
            lookup_form=kept,
            customer=customer,
            redeem_form=form,
            notice=notice,
        )
    if wants_fragment():
        fresh = _lookup_form(branches, branch_id=branch_id) if result.ok else kept
        return _render(branches=branches, lookup_form=fresh, result=result)
    flash(redeem_message(result), "message" if result.ok else "error")
    return redirect(url_for("provider.redeem"), code=303)


@bp.get("/redeem/conflicts")
@provider_required("redeem")
def redeem_conflicts() -> str:
    """The conflicts list alone, refreshed by the page once its offline queue is sent."""
    return render_template(
        "provider/_offline_conflicts.html",
        conflicts=_my_conflicts(),
        conflicts_url=url_for("provider.redeem_conflicts"),
    )
