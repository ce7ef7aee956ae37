#!/usr/bin/env bash
# Benchmark: the outbox against base.automation on the same data, in a scratch
# database made for the run and dropped after it.
# BENCH_SIZES (default 10000,100000) and BENCH_DUE (default 1000) set the volumes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_odoo
ensure_postgres
export PGPASSWORD=odoo
ADDONS_PATH=$(odoo_addons_path)
DB="followup_bench_$$"
cleanup() { dropdb --if-exists -h localhost -U odoo "$DB" >/dev/null 2>&1 || true; }
trap cleanup EXIT
odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
    -i customer_followup,base_automation,project --without-demo=all --stop-after-init --log-level=warn
"$PYTHON" scripts/bench.py --config odoo.conf --addons-path "$ADDONS_PATH" --database "$DB" \
    --sizes "${BENCH_SIZES:-10000,100000}" --due "${BENCH_DUE:-1000}"
