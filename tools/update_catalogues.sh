#!/usr/bin/env bash
# Extract every translatable string and merge it into the English and Indonesian catalogues.
# Then fill in the empty msgstr entries of translations/id/LC_MESSAGES/messages.po;
# tests/ops/test_translations.py fails while any is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
  --project Konexi -o translations/messages.pot . >/dev/null 2>&1
.venv/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
  --ignore-obsolete >/dev/null 2>&1
.venv/bin/pybabel compile -d translations >/dev/null 2>&1 || true
echo "catalogues updated; missing Indonesian translations:"
.venv/bin/python - <<'PY'
from babel.messages.pofile import read_po
with open("translations/id/LC_MESSAGES/messages.po", "rb") as f:
    catalogue = read_po(f)
missing = [m.id for m in catalogue if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
print(len(missing))
PY
