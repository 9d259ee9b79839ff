#!/usr/bin/env bash
# Several cron workers: bash tests/benchmarks/workers.sh [CUSTOMERS] [CRON_WORKERS...] [--intake]
# (default: 100000 customers, one then two cron workers). Installs the suite without demo
# data in a throwaway cluster, generates the customers, then starts a win-back campaign
# through JSON-RPC on an Odoo server in workers mode with Odoo's default limits and times
# its background job (tests/benchmarks/workers.py); writes results/workers.md and RESULTS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$ROOT"
ensure_odoo
ensure_python_packages
CUSTOMERS=${1:-100000}
shift || true
WORK=$(mktemp -d /tmp/care-workers.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop; rm -rf "$WORK"' EXIT
pg_start "$WORK/pg"
CONF="$WORK/odoo.conf"
odoo_conf "$CONF" "$WORK/data"
log "installing the suite in workers_template"
"$PY" -m odoo -c "$CONF" -d workers_template -i winback --without-demo=all --stop-after-init \
    >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log"; die "install failed"; }
cd "$ROOT/tests/benchmarks"
PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}" "$PY" workers.py "$CONF" workers_template "$CUSTOMERS" "$@"
"$PY" -c "import bench; bench.write_results(bench.load_runs())"
