#!/usr/bin/env bash
# A demo database with the addons and their demo data, served on localhost:8069.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_odoo
ensure_postgres
ADDONS_PATH=$(odoo_addons_path)
DB=${DEMO_DB:-followup_demo}
ADDONS=$(cd addons && ls -d */ | tr -d / | paste -sd, -)
export PGPASSWORD=odoo
if ! psql -h localhost -U odoo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    # The apps first: the addons' demo data adds rules for the apps already there.
    odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
        -i repair,project,crm --stop-after-init
    odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
        -i "$ADDONS" --stop-after-init
fi
echo "Serving $DB on http://localhost:8069 (login admin, password admin)"
exec "$PYTHON" -c "import odoo; odoo.cli.main()" -c odoo.conf --addons-path="$ADDONS_PATH" \
    -d "$DB" --db-filter="^$DB\$"
