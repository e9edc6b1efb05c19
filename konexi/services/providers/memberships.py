"""Who may act for which company: memberships, roles and the company a member works in now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from konexi.extensions import db
from konexi.models.providers import Membership, Role

# What each role may do in the console; views ask with ``role_allows``.
# Keyed by str: a role read from the database is a plain string, equal to its Role.
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        {
            "redeem",
            "view_stats",
            "manage_vouchers",
            "manage_branches",
            "manage_team",
            "manage_owners",
            "manage_company",
            "reply_reviews",
        }
    ),
    Role.ADMIN: frozenset(
        {
            "redeem",
            "view_stats",
            "manage_vouchers",
            "manage_branches",
            "manage_team",
            "manage_company",
            "reply_reviews",
        }
    ),
    Role.STAFF: frozenset({"redeem"}),
}


def role_allows(role: str, action: str) -> bool:
    """True when ``role`` may perform ``action`` (see PERMISSIONS)."""
    return action in PERMISSIONS.get(role, frozenset())


def memberships_of(user_id: int) -> list[Membership]:
    """The user's memberships with their companies, active companies first, by name."""
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user_id)
        .options(joinedload(Membership.company))
    ).all()
    return sorted(rows, key=lambda m: (not m.company.is_active, m.company.name.lower()))


def membership_in(user_id: int, company_id: int) -> Membership | None:
    """The user's membership of that company, or None."""
    return db.session.scalar(
        select(Membership)
        .where(Membership.user_id == user_id, Membership.company_id == company_id)
        .options(joinedload(Membership.company))
    )


def choose_membership(user_id: int, preferred_company_id: int | None) -> Membership | None:
    """The preferred company's membership if the user has it, else their first one."""
    if preferred_company_id is not None:
        membership = membership_in(user_id, preferred_company_id)
        if membership is not None:
            return membership
    memberships = memberships_of(user_id)
    return memberships[0] if memberships else None


def staff_branch_ids(membership: Membership) -> set[int] | None:
    """Branch ids a member may redeem at: None means every branch (owners and admins)."""
    if membership.role != Role.STAFF:
        return None
    return {branch.id for branch in membership.branches}
