#!/usr/bin/env bash
# A demo database with the addons and their demo data, served on localhost:8069.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_odoo runtime
ensure_postgres
ADDONS_PATH=$(odoo_addons_path)
DB=${DEMO_DB:-followup_demo}
ADDONS=$(cd addons && ls -d */ | tr -d / | paste -sd, -)
export PGPASSWORD=odoo
if ! psql -h localhost -U odoo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    # The apps first: the addons' demo data adds rules for the apps already there.
    # Odoo's own French too, for every app the demo shows
    odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
        -i repair,project,crm --load-language=fr_CA --stop-after-init --log-level=warn
    odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
        -i "$ADDONS" --load-language=fr_CA --stop-after-init --log-level=warn
    # the administrator works in French, as the suite's first users do
    psql -h localhost -U odoo -d "$DB" -qc "UPDATE res_partner SET lang = 'fr_CA'
        WHERE id = (SELECT partner_id FROM res_users WHERE login = 'admin')"
    # no call to odoo.com on the first login: partner_autocomplete (installed
    # with Odoo's apps) would look the demo company up there, and fail offline
    psql -h localhost -U odoo -d "$DB" -qc "DO \$\$ BEGIN
        IF EXISTS (SELECT 1 FROM information_schema.columns
                    WHERE table_name = 'res_company' AND column_name = 'iap_enrich_auto_done') THEN
            UPDATE res_company SET iap_enrich_auto_done = TRUE;
        END IF; END \$\$"
fi
echo "Demo ready on http://localhost:8069 (login admin, password admin), in French:" \
    "open Suivi > Boîte d'envoi, then a work order (Réparations) and its Suivis button;" \
    "Sondages > Campagnes for the satisfaction surveys, CRM > Cadences for the cadences."
exec "$PYTHON" -c "import odoo; odoo.cli.main()" -c odoo.conf --addons-path="$ADDONS_PATH" \
    -d "$DB" --db-filter="^$DB\$"
