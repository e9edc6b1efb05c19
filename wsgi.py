"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""

import sys

from konexi import create_app
from konexi.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One clear line in the platform's log instead of a traceback.
    print(f"konexi: {error}", file=sys.stderr)  # noqa: T201
    raise SystemExit(1) from None
