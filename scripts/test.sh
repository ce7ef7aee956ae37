#!/usr/bin/env bash
# The whole test suite: lint, the tests that need no Odoo, then the Odoo suite on
# a fresh database (installed once for the run, dropped at the end).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

"$PYTHON" -m pip install --quiet --disable-pip-version-check -r requirements.txt

echo "== ruff"
"$PYTHON" -m ruff format --check addons tests scripts conftest.py
"$PYTHON" -m ruff check addons tests scripts conftest.py

echo "== pylint-odoo"
# README.rst is generated from the readme/ fragments (OCA layout), not kept by hand
"$PYTHON" -m pylint --rcfile=.pylintrc --disable=missing-readme addons/*/

echo "== tests without Odoo"
"$PYTHON" -m pytest -q -p no:odoo -p no:cacheprovider tests

if ! odoo_importable; then
    echo "Odoo suite did not run: python3 cannot import odoo (see README, Prerequisites)."
    exit 0
fi

echo "== Odoo suite"
# The browser tours need Chromium (Debian's package)
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tours"
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null
fi
ensure_postgres
ADDONS_PATH=$(odoo_addons_path)
DB="followup_test_$$"
LOG=$(mktemp)
cleanup() {
    dropdb --if-exists -h localhost -U odoo "$DB" >/dev/null 2>&1 || true
    rm -f "$LOG"
}
trap cleanup EXIT
export PGPASSWORD=odoo
ADDONS=$(cd addons && ls -d */ | tr -d / | paste -sd, -)
# The apps first: the addons' demo data adds rules for the apps already there.
odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
    -i repair,project,crm --stop-after-init --log-level=warn
odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
    -i "$ADDONS" --stop-after-init --log-level=warn
# Odoo's log at WARNING and above goes to a file: a line there that no test
# expected (expected ones are muted or asserted with assertLogs) fails the run,
# as it fails Odoo's own runner and OCA's CI.
"$PYTHON" -m pytest -p no:cacheprovider \
    --odoo-config=odoo.conf --odoo-addons-path="$ADDONS_PATH" --odoo-database="$DB" \
    --odoo-http --log-file="$LOG" --log-file-level=WARNING \
    --cov=addons --cov-report=term:skip-covered \
    addons
if grep -qE '^(WARNING|ERROR|CRITICAL) ' "$LOG"; then
    echo "The Odoo suite logged warnings or errors that no test expected:"
    grep -E -A5 '^(WARNING|ERROR|CRITICAL) ' "$LOG"
    exit 1
fi
echo "Odoo suite log: no unexpected warning or error."
