"""Fingerprinted static URLs: ``asset_url("app.css")`` carries a content hash, cached forever."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """The URL of a static file with its content hash, cached per process in production."""
    cache: dict[str, str] = current_app.extensions.setdefault("konexi_assets", {})
    version = cache.get(filename) if not current_app.debug else None
    if version is None:
        path = Path(current_app.static_folder or "") / filename
        version = _fingerprint(path) if path.exists() else "missing"
        cache[filename] = version
    return url_for("static", filename=filename, v=version)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["asset_url"] = asset_url

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
