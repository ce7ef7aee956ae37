#!/usr/bin/env bash
# Benchmark: cadence steps at volume against Odoo's base.automation doing the
# same job (a templated e-mail to new leads), in a scratch database made for
# the run and dropped after it. BENCH_DUE (default 1000), BENCH_ENROLLMENTS
# (default 10000) and BENCH_IDLE (default 100000) set the volumes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_odoo
ensure_postgres
export PGPASSWORD=odoo
DB="cadence_bench_$$"
cleanup() {
    dropdb --if-exists -h localhost -U odoo "$DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
ADDONS_PATH=$(odoo_addons_path)
odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
    -i sales_cadence,base_automation --without-demo=all --stop-after-init --log-level=warn
"$PYTHON" scripts/bench_cadence.py --config odoo.conf --addons-path "$ADDONS_PATH" --database "$DB" \
    --due "${BENCH_DUE:-1000}" --enrollments "${BENCH_ENROLLMENTS:-10000}" --idle "${BENCH_IDLE:-100000}"
