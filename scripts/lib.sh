# Shared by demo.sh, test.sh and bench.sh: sourced, never run.
# Starts the local PostgreSQL if needed, makes sure Odoo's role exists, and
# finds the addons path of the Odoo that python3 imports.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}

odoo_importable() {
    "$PYTHON" -c "import odoo" >/dev/null 2>&1
}

# Install the project's requirements (with "runtime", only those the addons
# need, not the test tools) and stop with a clear message when this python3
# cannot import Odoo.
require_odoo() {
    local requirements="$ROOT/requirements.txt"
    if [ "${1:-}" = runtime ]; then
        requirements=$(mktemp)
        sed '/^# Tests and checks/,$d' "$ROOT/requirements.txt" >"$requirements"
    fi
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    if ! odoo_importable; then
        echo "python3 cannot import odoo: install Odoo 18.0 first (see README, Prerequisites)." >&2
        exit 1
    fi
}

ensure_postgres() {
    if pg_isready -q -h localhost 2>/dev/null; then
        :
    elif command -v pg_ctlcluster >/dev/null 2>&1; then
        local version cluster
        read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
        if [ "$(id -u)" = 0 ]; then
            pg_ctlcluster "$version" "$cluster" start
        else
            sudo pg_ctlcluster "$version" "$cluster" start
        fi
        for _ in $(seq 30); do pg_isready -q -h localhost && break; sleep 1; done
    else
        echo "PostgreSQL is not running and pg_ctlcluster is not available: start it, then retry." >&2
        return 1
    fi
    # odoo.conf connects as odoo/odoo over TCP; create that role once.
    local as_postgres="su postgres -c"
    [ "$(id -u)" = 0 ] || as_postgres="sudo -u postgres sh -c"
    if ! $as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'odoo'\"" | grep -q 1; then
        $as_postgres "psql -qc \"CREATE ROLE odoo LOGIN CREATEDB PASSWORD 'odoo'\""
    fi
}

odoo_addons_path() {
    local odoo_root
    odoo_root=$("$PYTHON" -c "import odoo, os; print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))")
    local paths="$ROOT/addons"
    [ -d "$odoo_root/addons" ] && paths="$paths,$odoo_root/addons"
    echo "$paths"
}

odoo_bin() {
    # Same entry point as odoo-bin, whatever way Odoo was installed.
    "$PYTHON" -c "import odoo; odoo.cli.main()" "$@"
}
