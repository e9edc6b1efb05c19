"""Input the rules refuse, as translated messages by form field name.

Every service error shown next to form fields is a ``FieldErrors``; a page shows any of them with
``KonexiForm.show_errors`` (konexi/web/web_forms.py). ``AccountError`` lives here rather than in
``services.accounts.accounts`` because the modules that module imports (verification) raise it too.
"""

from __future__ import annotations

from collections.abc import Mapping


class FieldErrors(Exception):
    """Translated messages by form field name (a name the form lacks is shown above the form)."""

    def __init__(self, errors: Mapping[str, object]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


class AccountError(FieldErrors):
    """An account change the rules refuse.

    ``unavailable`` names the fields (email, phone) that cannot be used for a new account; the
    page may then offer to log in or reset the password, whoever is asking.
    """

    def __init__(
        self, errors: Mapping[str, object], unavailable: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(errors)
        self.unavailable = unavailable
