"""Who may use /admin/: platform admins only (``User.is_platform_admin``, made by the
``create-admin`` command)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


def platform_admin_required(view: F) -> F:
    """Only platform admins; everyone else (anonymous included) gets 404, not a hint."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not (current_user.is_authenticated and current_user.is_platform_admin):
            abort(404)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
