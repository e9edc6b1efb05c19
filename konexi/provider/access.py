"""Access to the console: the current company, role checks, and company-scoped lookups.

Every provider view is wrapped in ``provider_required(action)``: anonymous visitors go to log
in, people who belong to no company get 404, members whose role does not allow the action get
403. Objects are always fetched through ``company_object_or_404`` so another company's ids
answer 404, never someone else's data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, g, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from konexi.extensions import db, login_manager
from konexi.models.providers import Membership
from konexi.provider import bp
from konexi.services.providers.memberships import choose_membership, memberships_of, role_allows

P = ParamSpec("P")
T = TypeVar("T")
COMPANY_KEY = "provider_company_id"


def current_membership() -> Membership:
    """The membership the current request acts under (set by ``provider_required``)."""
    return g.membership


def current_company_id() -> int:
    return g.membership.company_id


def provider_required(
    action: str,
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """Allow the view only to members of a company whose role allows ``action``."""

    def decorator(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            membership = choose_membership(current_user.id, session.get(COMPANY_KEY))
            if membership is None:
                abort(404)
            if not role_allows(membership.role, action):
                abort(403)
            g.membership = membership
            return view(*args, **kwargs)

        return wrapped

    return decorator


def company_object_or_404(model: type[T], object_id: int) -> T:
    """Load ``model`` by id only if it belongs to the current company; otherwise 404."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "company_id", None) != current_company_id():
        abort(404)
    return obj


def membership_if_allowed(action: str) -> Membership | None:
    """The current user's membership when its role allows ``action``, else None. For answers
    given outside ``provider_required`` (a rate limit's), which must not abort."""
    if not current_user.is_authenticated:
        return None
    membership = choose_membership(current_user.id, session.get(COMPANY_KEY))
    if membership is None or not role_allows(membership.role, action):
        return None
    return membership


def object_if_allowed(action: str, model: type[T], object_id: int) -> T | None:
    """``model`` by id when the current user's company owns it and their role allows ``action``;
    None otherwise (see ``membership_if_allowed``)."""
    membership = membership_if_allowed(action)
    if membership is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "company_id", None) != membership.company_id:
        return None
    return obj


def switch_company(company_id: int) -> bool:
    """Work in another company the user belongs to; False when they do not belong to it."""
    if any(m.company_id == company_id for m in memberships_of(current_user.id)):
        session[COMPANY_KEY] = company_id
        return True
    return False


# The console's sections: (endpoint, label, action the role needs). A section shows in the
# navigation once its endpoint exists and the member's role allows it.
CONSOLE_SECTIONS = [
    ("provider.dashboard", _l("Overview"), "redeem"),
    ("provider.redeem", _l("Redeem"), "redeem"),
    ("provider.vouchers", _l("Vouchers"), "manage_vouchers"),
    ("provider.branches", _l("Branches"), "manage_branches"),
    ("provider.team", _l("Team"), "manage_team"),
    ("provider.company", _l("Company"), "manage_company"),
    ("provider.reviews", _l("Reviews"), "reply_reviews"),
]


def _console_links(role: str) -> list[tuple[str, str]]:
    return [
        (url_for(endpoint), str(label))
        for endpoint, label, action in CONSOLE_SECTIONS
        if role_allows(role, action)
    ]


@bp.app_context_processor
def _provider_context() -> dict[str, object]:
    membership = g.get("membership")
    if membership is None or not current_user.is_authenticated:  # e.g. an error page
        return {}
    return {
        "membership": membership,
        "can": lambda action: role_allows(membership.role, action),
        "my_companies": memberships_of(current_user.id),
        "console_links": _console_links(membership.role),
    }
