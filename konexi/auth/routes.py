"""Placeholder: sign-up, log-in, verification and password reset are being built."""

from flask import abort

from konexi.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/signup", methods=["GET", "POST"])
def signup():  # type: ignore[no-untyped-def]
    abort(404)


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/verify", methods=["GET", "POST"])
def verify():  # type: ignore[no-untyped-def]
    abort(404)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():  # type: ignore[no-untyped-def]
    abort(404)
