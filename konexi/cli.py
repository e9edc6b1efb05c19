"""Flask CLI commands (``flask --app wsgi …``)."""

from __future__ import annotations

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("demo-data")
    def demo_data() -> None:
        """Load demo users, a provider, branches and vouchers (development only, idempotent)."""
        if current_app.config["KONEXI_ENV"] == "production":
            raise click.ClickException("demo data is never loaded in production")
        from konexi.services.demo_data import load_demo_data

        result = load_demo_data()
        click.echo(f"demo data ready ({result['vouchers_created']} new vouchers)")

    @app.cli.command("purge-accounts")
    def purge_accounts() -> None:
        """Purge the accounts whose deletion grace period has ended (fraud holds are kept)."""
        from konexi.services.purge import purge_due_accounts

        report = purge_due_accounts()
        click.echo(f"purged {report.purged_count} accounts")
        if report.held_ids:
            held = ", ".join(str(user_id) for user_id in report.held_ids)
            click.echo(f"kept under a fraud hold: {held}")
