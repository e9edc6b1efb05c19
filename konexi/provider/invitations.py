"""Inviting people to the team, revoking invitations, and the link invited people open."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from konexi.auth import limits
from konexi.auth.navigation import remember_destination
from konexi.config import rate_limit
from konexi.extensions import limiter
from konexi.i18n import current_language
from konexi.models import Invitation
from konexi.provider import bp
from konexi.provider.access import (
    company_object_or_404,
    current_membership,
    provider_required,
    switch_company,
)
from konexi.provider.forms_team import InviteForm
from konexi.provider.team import render_team
from konexi.services.providers.invitations import (
    InvitationError,
    InvitationProblem,
    accept_invitation,
    check_invitation_for,
    invitation_from_token,
    invite,
    revoke_invitation,
)
from konexi.services.providers.team import TeamError, role_label
from konexi.web.htmx import redirect_after_post

INVITES_PER_USER = rate_limit("RATELIMIT_INVITES_PER_USER")


@bp.post("/team/invitations")
@provider_required("manage_team")
@limiter.limit(INVITES_PER_USER, key_func=limits.user_key)
def team_invite() -> ResponseReturnValue:
    form = InviteForm()
    if form.validate():
        try:
            invitation = invite(
                current_membership(),
                form.email.data or "",
                form.role.data or "",
                locale=current_language(),
            )
        except TeamError as error:
            form.show_errors(error)
        else:
            flash(_("We emailed an invitation to %(email)s.", email=invitation.email))
            return redirect_after_post(url_for("provider.team"))
    return render_team(form, 422)


@bp.post("/team/invitations/<int:invitation_id>/revoke")
@provider_required("manage_team")
def invitation_revoke(invitation_id: int) -> ResponseReturnValue:
    invitation = company_object_or_404(Invitation, invitation_id)
    try:
        revoke_invitation(current_membership(), invitation)
    except TeamError as error:
        for message in error.errors.values():
            flash(str(message), "error")
    else:
        flash(_("The invitation to %(email)s is revoked.", email=invitation.email))
    return redirect_after_post(url_for("provider.team"))


_STATUS = {
    InvitationProblem.INVALID: 404,
    InvitationProblem.EXPIRED: 410,
    InvitationProblem.REVOKED: 410,
    InvitationProblem.ACCEPTED: 410,
    InvitationProblem.WRONG_ACCOUNT: 403,
    InvitationProblem.NOT_VERIFIED: 403,
}


def _invitation_page(
    token: str, invitation: Invitation | None, problem: InvitationProblem | None = None
) -> tuple[str, int]:
    page = render_template(
        "provider/invitation.html",
        token=token,
        problem=problem,
        invitation=invitation,
        role=role_label(invitation.role) if invitation else "",
        here=url_for("provider.invitation", token=token),
    )
    return page, _STATUS.get(problem, 200) if problem else 200


@bp.get("/invitations/<token>")
def invitation(token: str) -> ResponseReturnValue:
    try:
        found = invitation_from_token(token)
        if current_user.is_authenticated:
            check_invitation_for(found, current_user._get_current_object())
    except InvitationError as error:
        if error.problem is InvitationProblem.NOT_VERIFIED:
            remember_destination(request.path)  # back here once the account is verified
        return _invitation_page(token, error.invitation, error.problem)
    return _invitation_page(token, found)


@bp.post("/invitations/<token>/accept")
@login_required
def invitation_accept(token: str) -> ResponseReturnValue:
    try:
        membership = accept_invitation(token, current_user._get_current_object())
    except InvitationError as error:
        return _invitation_page(token, error.invitation, error.problem)
    switch_company(membership.company_id)
    flash(_("Welcome to %(company)s.", company=membership.company.name))
    return redirect_after_post(url_for("provider.dashboard"))
