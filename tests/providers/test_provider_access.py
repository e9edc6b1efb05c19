"""Who may open which team, branch, company and invitation route (the authorisation matrix).

Anonymous visitors go to log in; people in no company get 404; members whose role does not
allow the action get 403; another company's object ids answer 404, whatever the role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from konexi.services.providers.invitations import invitation_token
from tests.support.team import (
    ROLES,
    World,
    make_invitation,
    make_world,
    token,
)

LOGIN = "login"


@dataclass(frozen=True)
class Route:
    """A request (built fresh for each role, so destructive ones have a target) and answers."""

    name: str
    method: str
    url: Callable[[World], str]
    expected: dict[str, int | str]
    data: Callable[[World], dict] = lambda world: {}


def _answers(owner, admin, staff, other_admin, plain, anonymous=LOGIN):
    return dict(zip(ROLES, (owner, admin, staff, other_admin, plain, anonymous), strict=True))


def _branch_data(world: World) -> dict:
    return {"name": "Tim Cikini", "address": "Jl. Cikini 1", "city": "Jakarta"}


_n = iter(range(10_000))

ROUTES = [
    # team
    Route("team", "GET", lambda w: "/provider/team", _answers(200, 200, 403, 200, 404)),
    Route(
        "invite",
        "POST",
        lambda w: "/provider/team/invitations",
        _answers(303, 303, 403, 303, 404),
        lambda w: {"email": f"new{next(_n)}@example.com", "role": "staff"},
    ),
    Route(
        "revoke invitation",
        "POST",
        lambda w: (
            f"/provider/team/invitations/{make_invitation(w.company, 'x@example.com').id}/revoke"
        ),
        _answers(303, 303, 403, 404, 404),
    ),
    Route(
        "revoke another company's invitation",
        "POST",
        lambda w: (
            f"/provider/team/invitations/"
            f"{make_invitation(w.other_company, 'y@example.com').id}/revoke"
        ),
        _answers(404, 404, 403, 303, 404),
    ),
    Route(
        "member page",
        "GET",
        lambda w: f"/provider/team/{w.memberships['staff'].id}",
        _answers(200, 200, 403, 404, 404),
    ),
    Route(
        "owner's member page",
        "GET",
        lambda w: f"/provider/team/{w.memberships['owner'].id}",
        _answers(200, 403, 403, 404, 404),
    ),
    Route(
        "change member",
        "POST",
        lambda w: f"/provider/team/{w.memberships['staff'].id}",
        _answers(303, 303, 403, 404, 404),
        lambda w: {"role": "staff", "branches": str(w.branch.id)},
    ),
    Route(
        "change another company's member",
        "POST",
        lambda w: f"/provider/team/{w.memberships['other_admin'].id}",
        _answers(404, 404, 403, 303, 404),
        lambda w: {"role": "admin"},
    ),
    Route(
        "remove member",
        "POST",
        lambda w: f"/provider/team/{w.new_member().id}/remove",
        _answers(303, 303, 403, 404, 404),
    ),
    # branches
    Route("branches", "GET", lambda w: "/provider/branches", _answers(200, 200, 403, 200, 404)),
    Route(
        "new branch page",
        "GET",
        lambda w: "/provider/branches/new",
        _answers(200, 200, 403, 200, 404),
    ),
    Route(
        "create branch",
        "POST",
        lambda w: "/provider/branches/new",
        _answers(303, 303, 403, 303, 404),
        _branch_data,
    ),
    Route(
        "edit branch page",
        "GET",
        lambda w: f"/provider/branches/{w.branch.id}/edit",
        _answers(200, 200, 403, 404, 404),
    ),
    Route(
        "edit branch",
        "POST",
        lambda w: f"/provider/branches/{w.branch.id}/edit",
        _answers(303, 303, 403, 404, 404),
        _branch_data,
    ),
    Route(
        "deactivate branch",
        "POST",
        lambda w: f"/provider/branches/{w.branch.id}/deactivate",
        _answers(303, 303, 403, 404, 404),
    ),
    Route(
        "reactivate branch",
        "POST",
        lambda w: f"/provider/branches/{w.branch.id}/reactivate",
        _answers(303, 303, 403, 404, 404),
    ),
    Route(
        "another company's branch page",
        "GET",
        lambda w: f"/provider/branches/{w.other_branch.id}/edit",
        _answers(404, 404, 403, 200, 404),
    ),
    Route(
        "edit another company's branch",
        "POST",
        lambda w: f"/provider/branches/{w.other_branch.id}/edit",
        _answers(404, 404, 403, 303, 404),
        _branch_data,
    ),
    Route(
        "deactivate another company's branch",
        "POST",
        lambda w: f"/provider/branches/{w.other_branch.id}/deactivate",
        _answers(404, 404, 403, 303, 404),
    ),
    # company
    Route("settings", "GET", lambda w: "/provider/company", _answers(200, 200, 403, 200, 404)),
    Route(
        "save settings",
        "POST",
        lambda w: "/provider/company",
        _answers(303, 303, 403, 303, 404),
        lambda w: {"name": "Kopi Baru", "description": "", "category": ""},
    ),
    Route(
        "create a company page", "GET", lambda w: "/provider/new", _answers(200, 200, 200, 200, 200)
    ),
    Route(
        "create a company",
        "POST",
        lambda w: "/provider/new",
        _answers(303, 303, 303, 303, 303),
        lambda w: {"name": f"Usaha {next(_n)}", "slug": "", "description": "", "category": ""},
    ),
    # invitation links, for the plain user's address: only they may accept
    Route(
        "invitation page",
        "GET",
        lambda w: (
            "/provider/invitations/"
            + invitation_token(make_invitation(w.company, w.users["plain"].email))
        ),
        _answers(403, 403, 403, 403, 200, 200),
    ),
    Route(
        "accept invitation",
        "POST",
        lambda w: (
            "/provider/invitations/"
            + invitation_token(make_invitation(w.company, w.users["plain"].email))
            + "/accept"
        ),
        _answers(403, 403, 403, 403, 303),
    ),
]


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_authorisation_matrix(app, create_user, route: Route):
    world = make_world(create_user)
    answers = {}
    for role in ROLES:
        client = world.client_as(app, role)
        url = route.url(world)
        if route.method == "GET":
            response = client.get(url)
        else:
            data = {"csrf_token": token(client), **route.data(world)}
            response = client.post(url, data=data)
        status: int | str = response.status_code
        if status == 302 and "/login" in response.headers.get("Location", ""):
            status = LOGIN
        answers[role] = status
    assert answers == route.expected


def test_every_route_of_this_area_is_in_the_matrix(app, create_user):
    world = make_world(create_user)
    adapter = app.url_map.bind("konexi.test")
    covered = {adapter.match(route.url(world), method=route.method)[0] for route in ROUTES}
    mine = {
        "provider.team",
        "provider.team_invite",
        "provider.invitation_revoke",
        "provider.member_edit",
        "provider.member_remove",
        "provider.branches",
        "provider.branch_new",
        "provider.branch_edit",
        "provider.branch_deactivate",
        "provider.branch_reactivate",
        "provider.company",
        "provider.company_new",
        "provider.invitation",
        "provider.invitation_accept",
    }
    assert covered == mine
