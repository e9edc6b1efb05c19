#!/usr/bin/env bash
# Until the first release, the schema lives in one initial migration. After changing a model,
# regenerate it from the models against an empty SQLite database (never used after go-live).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/*_initial_schema.py
DATABASE_URL="sqlite:///$tmp/empty.sqlite3" KONEXI_ENV=testing SECRET_KEY=x \
  .venv/bin/flask --app wsgi db migrate -m "initial schema" >/dev/null 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
generated="$(ls migrations/versions/*_initial_schema.py)"
echo "regenerated $generated"
