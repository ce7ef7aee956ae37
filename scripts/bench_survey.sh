#!/usr/bin/env bash
# Benchmark: satisfaction survey invitations for N jobs moved to "Done" by one
# mass write, planned by a campaign then sent by the outbox, against Odoo's own
# survey invitation wizard and project's stage ratings on the same customers,
# in a scratch database made for the run and dropped after it.
# BENCH_JOBS (default 1000) sets the volume.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_odoo
ensure_postgres
export PGPASSWORD=odoo
DB="survey_bench_$$"
cleanup() {
    dropdb --if-exists -h localhost -U odoo "$DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
ADDONS_PATH=$(odoo_addons_path)
odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
    -i project,satisfaction_survey --without-demo=all --stop-after-init --log-level=warn
"$PYTHON" scripts/bench_survey.py --config odoo.conf --addons-path "$ADDONS_PATH" --database "$DB" \
    --jobs "${BENCH_JOBS:-1000}"
