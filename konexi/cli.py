"""Flask CLI commands (``flask --app wsgi …``)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from konexi.dev.demo_data import load_demo_data
from konexi.services.accounts import platform_admins
from konexi.services.catalogue.categories import load_default_categories
from konexi.services.catalogue.digest import send_weekly_digests
from konexi.services.errors import AccountError
from konexi.services.privacy.purge import purge_due_accounts


def init_app(app: Flask) -> None:
    @app.cli.command("demo-data")
    def demo_data() -> None:
        """Load demo users, a provider, branches and vouchers (development only, idempotent)."""
        if current_app.config["KONEXI_ENV"] == "production":
            raise click.ClickException("demo data is never loaded in production")
        result = load_demo_data()
        click.echo(f"demo data ready ({result['vouchers_created']} new vouchers)")

    @app.cli.command("purge-accounts")
    def purge_accounts() -> None:
        """Purge the accounts whose deletion grace period has ended (fraud holds are kept)."""
        report = purge_due_accounts()
        click.echo(f"purged {report.purged_count} accounts")
        if report.held_ids:
            held = ", ".join(str(user_id) for user_id in report.held_ids)
            click.echo(f"kept under a fraud hold: {held}")

    @app.cli.command("create-admin")
    @click.argument("email")
    def create_admin(email: str) -> None:
        """Make the verified account EMAIL a platform admin, or create one (asks for the rest)."""
        try:
            outcome = platform_admins.promote_to_platform_admin(email)
            if outcome is platform_admins.Promotion.NO_ACCOUNT:
                click.echo(f"No account uses {email}: creating a verified platform admin.")
                # Answers may be piped (`printf 'Name\n+62…\npw\npw\n' | flask create-admin …`):
                # hide the password only when someone types it.
                hidden = sys.stdin.isatty()
                user = platform_admins.create_platform_admin(
                    email=email,
                    name=click.prompt("Name"),
                    phone=click.prompt("Phone (e.g. +6281234567890)"),
                    password=click.prompt(
                        "Password", hide_input=hidden, confirmation_prompt=hidden
                    ),
                )
                click.echo(f"created platform admin {user.email} (account {user.id})")
            else:
                click.echo(f"{email} is {outcome.value}")
        except AccountError as error:
            raise click.ClickException(_one_line(error.errors)) from None

    @app.cli.command("load-categories")
    def load_categories() -> None:
        """Create or update the default categories (EN + ID names) by slug; never deletes."""
        report = load_default_categories()
        click.echo(
            f"categories: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )

    @app.cli.command("send-digests")
    def send_digests() -> None:
        """Send this week's digest now to everyone due (each user at most once a week)."""
        click.echo(f"weekly digest queued for {send_weekly_digests()} users")


def _one_line(errors: dict[str, object]) -> str:
    """A service's field errors as one line for the terminal, e.g. "phone: Enter a number…"."""
    return "; ".join(f"{field}: {message}" for field, message in errors.items())
