"""The one form of social sign-in: complete a new account with a mobile number."""

from __future__ import annotations

from konexi.auth.forms import NewIdentityForm


class CompleteSignupForm(NewIdentityForm):
    """The provider's name and email, prefilled and editable, plus the mobile number to verify."""
