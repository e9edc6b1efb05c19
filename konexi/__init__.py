"""Konexi: vouchers near you, for cheap phones and slow networks."""

from __future__ import annotations

import logging
from types import TracebackType

from flask import Flask, request

from konexi.config import ROOT, load_settings


class KonexiFlask(Flask):
    """Flask, whose "Exception on …" log line names the route pattern, not the concrete path:
    paths carry tokens (/verify/email/<token>, /s/<token>) that logs must not keep."""

    def log_exception(
        self, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        self.logger.error("Exception on %s [%s]", route, request.method, exc_info=exc_info)


def create_app(environ: dict[str, str] | None = None) -> Flask:
    """Build the Flask app from the environment (``environ`` overrides ``os.environ`` in tests)."""
    settings = load_settings(environ)
    app = KonexiFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(settings.flask_config())
    app.extensions["konexi_settings"] = settings
    from konexi import error_tracking

    error_tracking.init_app(app)  # first: errors while building the app are reported too
    from konexi.web import routing

    routing.init_app(app)  # before any route: <int:…> ids are bounded (404, not a DB error)
    _configure_logging(app)

    from konexi import i18n
    from konexi.extensions import csrf, db, limiter, login_manager, migrate
    from konexi.web import security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    security.init_app(app)

    from konexi.messaging import texts
    from konexi.tasks import queue
    from konexi.web import auth_session, errors, fragments, static_assets, template_enums

    texts.init_app(app)  # external_url for message templates and pages that show a public link
    auth_session.init_app(app)
    queue.init_app(app)
    static_assets.init_app(app)
    template_enums.init_app(app)
    fragments.init_app(app)
    errors.init_app(app)

    from konexi.web import request_log

    request_log.init_app(app)

    from konexi.account import bp as account_bp
    from konexi.admin import bp as admin_bp
    from konexi.auth import bp as auth_bp
    from konexi.dev import bp as dev_bp
    from konexi.feed import bp as feed_bp
    from konexi.media import bp as media_bp
    from konexi.pages import bp as pages_bp
    from konexi.provider import bp as provider_bp
    from konexi.providers_public import bp as providers_bp
    from konexi.sharing import bp as sharing_bp
    from konexi.unsubscribe import bp as unsubscribe_bp
    from konexi.vouchers import bp as vouchers_bp
    from konexi.webhooks import bp as webhooks_bp

    app.register_blueprint(feed_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(provider_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dev_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(vouchers_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(providers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(unsubscribe_bp)

    from konexi import social

    social.init_app(app)

    from konexi import cli

    cli.init_app(app)

    from konexi.web import personal_pages

    personal_pages.init_app(app)

    # Last: these run after every other after_request hook (ETag/304, then compression).
    from konexi.web import compression, conditional

    conditional.init_app(app)
    compression.init_app(app)

    # After compression: the cache keeps the final, compressed response (PAGE_CACHE_SECONDS).
    from konexi.web import page_cache, shared_pages

    page_cache.init_app(app, shared_pages.shared_pages_for(app))

    # Outermost: the proxy fix (TRUSTED_PROXIES) and the production redirect to HTTPS.
    from konexi.web import proxies

    proxies.wrap(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Log one line per event to stderr, which the platform collects."""
    level = str(app.config["LOG_LEVEL"])
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(level)
    # Alembic announces every plugin it loads at INFO; keep the release log to what matters.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


__all__ = ["create_app"]
