#!/usr/bin/env bash
# Benchmark: one dunning cycle against OCA's account_credit_control, in a
# scratch database made for the run and dropped after it. OCA's addon comes
# from PyPI into a temporary folder (--no-deps: Odoo is not a pip
# distribution here) and is used for this run only.
# BENCH_CUSTOMERS (default 10000), BENCH_INVOICES (per customer, default 5)
# and BENCH_OCA_CUSTOMERS (default 1000) set the volumes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

require_odoo
ensure_postgres
export PGPASSWORD=odoo
OCA_DIR=$(mktemp -d)
DB="dunning_bench_$$"
cleanup() {
    dropdb --if-exists -h localhost -U odoo "$DB" >/dev/null 2>&1 || true
    rm -rf "$OCA_DIR"
}
trap cleanup EXIT
PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --target "$OCA_DIR" "odoo-addon-account_credit_control>=18.0,<18.1"
ADDONS_PATH="$(odoo_addons_path),$OCA_DIR/odoo/addons"
odoo_bin -c odoo.conf --addons-path="$ADDONS_PATH" -d "$DB" \
    -i customer_followup,account_credit_control --without-demo=all --stop-after-init --log-level=warn
"$PYTHON" scripts/bench_dunning.py --config odoo.conf --addons-path "$ADDONS_PATH" --database "$DB" \
    --customers "${BENCH_CUSTOMERS:-10000}" --invoices "${BENCH_INVOICES:-5}" \
    --oca-customers "${BENCH_OCA_CUSTOMERS:-1000}"
