#!/usr/bin/env bash
# Benchmarks: bash tests/benchmarks/run.sh [SCALE...]   (default: 10000 100000)
# Installs the three addons once (no demo data) in a throwaway cluster, then for each scale
# copies that database, generates customers and orders in SQL, and times every operation
# against its bare SQL baseline. Each scale's figures go to tests/benchmarks/results/<scale>.json
# and RESULTS.md is rewritten from every stored scale, so the 1M scale may run on its own:
#   bash tests/benchmarks/run.sh 1000000
# bench.py run by hand with CARE_BENCH_REUSE=1 on a cluster of your own keeps bench_<scale>
# and uses it again (CARE_BENCH_ONLY=name,... to time some operations on an existing dataset).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$ROOT"
ensure_odoo
ensure_python_packages
SCALES=("$@")
[ ${#SCALES[@]} -gt 0 ] || SCALES=(10000 100000)

WORK=$(mktemp -d /tmp/care-bench.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop; rm -rf "$WORK"' EXIT
pg_start "$WORK/pg"
CONF="$WORK/odoo.conf"
odoo_conf "$CONF" "$WORK/data"
export CARE_PG_VERSION=$(pg_ctl --version | awk '{print $3}')
log "installing the suite in bench_template"
"$PY" -m odoo -c "$CONF" -d bench_template -i winback --without-demo=all --stop-after-init \
    >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log"; die "install failed"; }
"$PY" "$ROOT/tests/benchmarks/bench.py" "$CONF" bench_template "${SCALES[@]}"
