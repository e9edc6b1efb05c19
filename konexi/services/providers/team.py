"""A company's team: members' roles, staff branch assignments, and removing members.

Owners manage everyone; admins manage admins and staff but never owners, and cannot make anyone
an owner. A company always keeps at least one owner: the last one can be neither removed nor
demoted. Team changes of one company are serialised by locking its row, so two owners demoting
each other at the same moment cannot leave the company without one.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from konexi.extensions import db
from konexi.models import Branch, Company, Membership, Role
from konexi.services.errors import FieldErrors
from konexi.services.providers.memberships import role_allows

ROLE_ORDER = {role: index for index, role in enumerate(Role)}
# Keyed by str: the role passed in may be the stored string, equal to its Role.
ROLE_LABELS: dict[str, object] = {
    Role.OWNER: _l("Owner"),
    Role.ADMIN: _l("Admin"),
    Role.STAFF: _l("Staff"),
}


class TeamError(FieldErrors):
    """A team change the rules refuse: translated messages by form field name."""


def role_label(role: str) -> str:
    """The translated name of a role."""
    return str(ROLE_LABELS.get(role, role))


def assignable_roles(actor: Membership) -> list[Role]:
    """The roles ``actor`` may give: owners any role, admins admin or staff."""
    if role_allows(actor.role, "manage_owners"):
        return list(Role)
    return [role for role in Role if role != Role.OWNER]


def can_manage_member(actor: Membership, member: Membership) -> bool:
    """True when ``actor`` may change or remove ``member`` (only owners touch owners)."""
    if member.company_id != actor.company_id or not role_allows(actor.role, "manage_team"):
        return False
    return member.role != Role.OWNER or role_allows(actor.role, "manage_owners")


def team_members(company_id: int) -> list[Membership]:
    """The company's members with their users and branches, owners first, then by name."""
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.company_id == company_id)
        .options(joinedload(Membership.user), selectinload(Membership.branches))
    ).all()
    return sorted(rows, key=lambda m: (ROLE_ORDER.get(m.role, 9), m.user.name.lower()))


def lock_company(company_id: int) -> None:
    """Serialise team changes of one company (a row lock on PostgreSQL; SQLite has one writer)."""
    db.session.execute(select(Company.id).where(Company.id == company_id).with_for_update())


def _owner_count(company_id: int) -> int:
    return db.session.execute(
        select(func.count(Membership.id)).where(
            Membership.company_id == company_id, Membership.role == Role.OWNER
        )
    ).scalar_one()


def _company_branches(company_id: int, branch_ids: Iterable[int]) -> list[Branch]:
    wanted = set(branch_ids)
    if not wanted:
        return []
    branches = list(
        db.session.scalars(
            select(Branch).where(Branch.company_id == company_id, Branch.id.in_(wanted))
        )
    )
    if len(branches) != len(wanted):
        raise TeamError({"branches": _l("Choose branches of this company.")})
    return branches


def _check_may_change(actor: Membership, member: Membership, role: str | None) -> None:
    if not can_manage_member(actor, member):
        raise TeamError({"role": _l("Only an owner can change or remove an owner.")})
    if role is not None and role not in assignable_roles(actor):
        raise TeamError({"role": _l("Choose one of the roles offered.")})


def _locked(actor: Membership, member: Membership, role: str | None) -> None:
    """Lock the team, reload ``member`` and check that ``actor`` may make the change."""
    lock_company(member.company_id)
    db.session.refresh(member)
    try:
        _check_may_change(actor, member, role)
        demoted = role is None or role != Role.OWNER
        if member.role == Role.OWNER and demoted and _owner_count(member.company_id) <= 1:
            raise TeamError(
                {"role": _l("A company needs an owner: make someone else owner first.")}
            )
    except TeamError:
        db.session.rollback()
        raise


def update_member(
    actor: Membership, member: Membership, role: str, branch_ids: Iterable[int] = ()
) -> Membership:
    """Give ``member`` a role (and staff their branches), never demoting the last owner."""
    _locked(actor, member, role)
    try:
        branches = _company_branches(member.company_id, branch_ids) if role == Role.STAFF else []
    except TeamError:
        db.session.rollback()
        raise
    member.role = Role(role)
    member.branches = branches
    db.session.commit()
    return member


def remove_member(actor: Membership, member: Membership) -> None:
    """Take ``member`` off the team (their account stays), never the company's last owner."""
    _locked(actor, member, None)
    db.session.delete(member)
    db.session.commit()
