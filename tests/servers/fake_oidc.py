"""A small OpenID Connect / OAuth 2 provider for the social sign-in tests.

Google-like: ``/.well-known/openid-configuration``, ``/authorize`` (approves at once: redirects
back with a code and the state), ``/token`` (an access token and an RS256 id_token carrying the
nonce, signed with a key made at start), ``/userinfo`` and ``/jwks``. Facebook-like:
``/v19.0/dialog/oauth``, ``/v19.0/oauth/access_token`` and ``/v19.0/me``.

Tests choose who "logs in" next with ``next_identity``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.servers.ports import free_port

GOOGLE_CLIENT_ID = "google-test-client"
GOOGLE_CLIENT_SECRET = "google-test-secret"  # noqa: S105 - test credential
FACEBOOK_CLIENT_ID = "facebook-test-client"
FACEBOOK_CLIENT_SECRET = "facebook-test-secret"  # noqa: S105 - test credential


@dataclass
class FakeOidc:
    port: int = field(default_factory=free_port)
    next_identity: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # Misbehave on purpose: "nonce" (a wrong nonce), "key" (signed with another key).
    forge: str | None = None

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.reset()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
            "GOOGLE_DISCOVERY_URL": f"{self.url}/.well-known/openid-configuration",
            "FACEBOOK_CLIENT_ID": FACEBOOK_CLIENT_ID,
            "FACEBOOK_CLIENT_SECRET": FACEBOOK_CLIENT_SECRET,
            "FACEBOOK_API_BASE": f"{self.url}/v19.0/",
            "FACEBOOK_AUTHORIZE_URL": f"{self.url}/v19.0/dialog/oauth",
        }

    def reset(self) -> None:
        self.next_identity = {
            "sub": "google-sub-1",
            "email": "new.person@example.com",
            "name": "New Person",
            "email_verified": True,
        }
        self.forge = None
        self.codes.clear()
        self.tokens.clear()
        self.token_requests.clear()

    # -- HTTP ------------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path == "/.well-known/openid-configuration":
            response = self._json(
                {
                    "issuer": self.url,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "userinfo_endpoint": f"{self.url}/userinfo",
                    "jwks_uri": f"{self.url}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )
        elif path in ("/authorize", "/v19.0/dialog/oauth"):
            response = self._authorize(request)
        elif path in ("/token", "/v19.0/oauth/access_token"):
            response = self._token(request)
        elif path == "/jwks":
            response = self._json({"keys": [self.key.as_dict(private=False)]})
        elif path == "/userinfo":
            info = self._bearer(request)
            response = self._json(info) if info else Response(status=401)
        elif path == "/v19.0/me":
            info = self._bearer(request)
            if not info:
                response = Response(status=401)
            else:
                wanted = request.args.get("fields", "id").split(",")
                data = {"id": info["sub"], "name": info.get("name"), "email": info.get("email")}
                response = self._json({k: v for k, v in data.items() if k in wanted and v})
        else:
            response = Response(status=404)
        return response(environ, start_response)

    @staticmethod
    def _json(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def _authorize(self, request: Request) -> Response:
        args = request.args
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": args.get("client_id"),
            "redirect_uri": args.get("redirect_uri"),
            "nonce": args.get("nonce"),
            "scope": args.get("scope", ""),
            "identity": dict(self.next_identity),
        }
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args.get('redirect_uri')}?{query}"})

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        grant = self.codes.pop(form.get("code", ""), None)
        client_id = form.get("client_id") or (
            request.authorization.username if request.authorization else None
        )
        if grant is None or client_id != grant["client_id"]:
            return self._json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") and form["redirect_uri"] != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant"}, 400)
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant["identity"]
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        if "openid" in grant["scope"].split():
            now = int(time.time())
            claims = {
                "iss": self.url,
                "aud": client_id,
                "iat": now,
                "exp": now + 600,
                **grant["identity"],
            }
            if grant["nonce"]:
                claims["nonce"] = "not-the-nonce" if self.forge == "nonce" else grant["nonce"]
            key = self.key
            if self.forge == "key":
                key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
            body["id_token"] = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        return self._json(body)

    def _bearer(self, request: Request) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else request.args.get("access_token")
        return self.tokens.get(token or "")

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.servers.fake_oidc``: a fake Google/Facebook for trying sign-in locally.

    Prints the settings to start the app with, then approves every sign-in as the identity
    given on the command line until Ctrl-C.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=5556)
    parser.add_argument("--email", default="new.person@example.com")
    parser.add_argument("--name", default="New Person")
    parser.add_argument("--sub", default="google-sub-1", help="the provider's id for the person")
    args = parser.parse_args(argv)
    server = FakeOidc(port=args.port)
    server.next_identity = {
        "sub": args.sub,
        "email": args.email,
        "name": args.name,
        "email_verified": True,
    }
    server.start()
    print(f"fake OIDC provider on {server.url}; sign-in succeeds as {args.email}")  # noqa: T201
    print("start the app with:")  # noqa: T201
    print(" ".join(f"{name}={value}" for name, value in server.env().items()), flush=True)  # noqa: T201
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
