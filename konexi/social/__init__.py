"""Social sign-in with Google (OpenID Connect) and Facebook (OAuth 2), through Authlib.

A provider without a client id is off: its button is hidden and its routes answer 404.
"""

from __future__ import annotations

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Blueprint, Flask, current_app

bp = Blueprint("social", __name__)

_EXTENSION = "konexi_oauth"


def init_app(app: Flask) -> None:
    """One Authlib registry per app, with the providers that have a client id."""
    oauth = OAuth(app)
    if app.config.get("GOOGLE_CLIENT_ID"):
        oauth.register(
            "google",
            client_id=app.config["GOOGLE_CLIENT_ID"],
            client_secret=app.config.get("GOOGLE_CLIENT_SECRET"),
            server_metadata_url=app.config["GOOGLE_DISCOVERY_URL"],
            client_kwargs={"scope": "openid email profile"},
        )
    if app.config.get("FACEBOOK_CLIENT_ID"):
        api_base = app.config["FACEBOOK_API_BASE"].rstrip("/") + "/"
        oauth.register(
            "facebook",
            client_id=app.config["FACEBOOK_CLIENT_ID"],
            client_secret=app.config.get("FACEBOOK_CLIENT_SECRET"),
            api_base_url=api_base,
            access_token_url=api_base + "oauth/access_token",
            authorize_url=app.config["FACEBOOK_AUTHORIZE_URL"],
            client_kwargs={
                "scope": "email public_profile",
                "token_endpoint_auth_method": "client_secret_post",
            },
        )
    app.extensions[_EXTENSION] = oauth
    app.register_blueprint(bp)

    @app.context_processor
    def _social_providers() -> dict[str, object]:
        return {"social_providers": configured_providers}


def configured_providers() -> list[str]:
    """The providers with a client id, in the order their buttons appear."""
    config = current_app.config
    return [name for name in ("google", "facebook") if config.get(f"{name.upper()}_CLIENT_ID")]


def client(provider: str) -> FlaskOAuth2App | None:
    """The Authlib client of a configured provider, or None."""
    if provider not in configured_providers():
        return None
    return current_app.extensions[_EXTENSION].create_client(provider)


from konexi.social import routes  # noqa: E402,F401

__all__ = ["bp", "client", "configured_providers", "init_app"]
