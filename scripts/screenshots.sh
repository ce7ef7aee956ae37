#!/usr/bin/env bash
# Screenshots of the main screens from the demo (bash scripts/demo.sh makes it
# the first time), in French, into each addon's static/description/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

command -v chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }
"$PYTHON" -m pip install --quiet --disable-pip-version-check playwright==1.65.2
bash scripts/demo.sh >/tmp/followup_demo_server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    curl -sf -o /dev/null http://localhost:8069/web/login && break
    kill -0 $SERVER 2>/dev/null || { cat /tmp/followup_demo_server.log; exit 1; }
    sleep 1
done
"$PYTHON" scripts/screenshots.py --out addons
