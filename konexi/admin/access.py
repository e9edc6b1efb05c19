"""Who may use /admin/: platform admins only (``User.is_platform_admin``, made by the
``create-admin`` command)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user

P = ParamSpec("P")
R = TypeVar("R")


def platform_admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Only platform admins; everyone else (anonymous included) gets 404, not a hint."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not (current_user.is_authenticated and current_user.is_platform_admin):
            abort(404)
        return view(*args, **kwargs)

    return wrapped
