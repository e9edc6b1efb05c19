"""The team page: members, their roles and branches, pending invitations (owners and admins)."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from konexi.models import Membership, Role
from konexi.provider import bp
from konexi.provider.access import (
    company_object_or_404,
    current_company_id,
    current_membership,
    provider_required,
)
from konexi.provider.forms_team import InviteForm, MemberForm
from konexi.services.providers.branches import company_branches
from konexi.services.providers.invitations import pending_invitations
from konexi.services.providers.team import (
    TeamError,
    assignable_roles,
    can_manage_member,
    remove_member,
    role_label,
    team_members,
    update_member,
)
from konexi.web.htmx import redirect_after_post


def role_choices() -> list[tuple[str, str]]:
    """The roles the current member may give, labelled in the reader's language."""
    return [(role, role_label(role)) for role in assignable_roles(current_membership())]


def render_team(invite_form: InviteForm | None = None, status: int = 200) -> ResponseReturnValue:
    """The team page (also re-rendered by the invitation form with its errors)."""
    if invite_form is None:
        invite_form = InviteForm(formdata=None, role=Role.STAFF)
    invite_form.role.choices = role_choices()
    actor = current_membership()
    members = team_members(current_company_id())
    page = render_template(
        "provider/team.html",
        members=members,
        manageable={m.id for m in members if can_manage_member(actor, m)},
        invitations=pending_invitations(current_company_id()),
        invite_form=invite_form,
        role_label=role_label,
        may_give=set(assignable_roles(actor)),
    )
    return page, status


@bp.get("/team")
@provider_required("manage_team")
def team() -> ResponseReturnValue:
    return render_team()


def _managed_member(membership_id: int) -> Membership:
    member = company_object_or_404(Membership, membership_id)
    if not can_manage_member(current_membership(), member):
        abort(403)
    return member


def _member_page(form: MemberForm, member: Membership, status: int = 200) -> ResponseReturnValue:
    form.role.choices = role_choices()
    branches = company_branches(current_company_id())
    form.branches.choices = [
        (b.id, b.name if b.is_active else _("%(name)s (inactive)", name=b.name)) for b in branches
    ]
    page = render_template(
        "provider/team_member.html", form=form, member=member, role_label=role_label
    )
    return page, status


@bp.route("/team/<int:membership_id>", methods=["GET", "POST"])
@provider_required("manage_team")
def member_edit(membership_id: int) -> ResponseReturnValue:
    member = _managed_member(membership_id)
    form = MemberForm(
        formdata=request.form if request.method == "POST" else None,
        role=member.role,
        branches=[b.id for b in member.branches],
    )
    if request.method == "POST" and form.validate():
        try:
            update_member(current_membership(), member, form.role.data or "", form.branches.data)
        except TeamError as error:
            form.show_errors(error)
        else:
            flash(
                _(
                    "%(name)s is saved as %(role)s.",
                    name=member.user.name,
                    role=role_label(member.role),
                )
            )
            if member.user_id == current_user.id and member.role == Role.STAFF:
                return redirect_after_post(url_for("provider.dashboard"))
            return redirect_after_post(url_for("provider.team"))
    return _member_page(form, member, 422 if request.method == "POST" else 200)


@bp.post("/team/<int:membership_id>/remove")
@provider_required("manage_team")
def member_remove(membership_id: int) -> ResponseReturnValue:
    member = _managed_member(membership_id)
    name, leaving = member.user.name, member.user_id == current_user.id
    try:
        remove_member(current_membership(), member)
    except TeamError as error:
        form = MemberForm(formdata=None, role=member.role, branches=[b.id for b in member.branches])
        form.show_errors(error)
        return _member_page(form, member, 422)
    if leaving:
        flash(_("You left the team."))
        return redirect_after_post(url_for("feed.index"))
    flash(_("%(name)s is no longer in your team.", name=name))
    return redirect_after_post(url_for("provider.team"))
