#!/usr/bin/env bash
# The churn risk on real purchase histories (CDNOW): bash tests/benchmarks/churn_eval.sh
# Downloads the `lifetimes` wheel (its data file only is read; lifetimes is not installed),
# installs winback once (no demo data) in a throwaway cluster, then tests/benchmarks/churn_eval.py
# scores each cut-off in a copy and writes the "Churn on real data" section of RESULTS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$ROOT"
ensure_odoo
ensure_python_packages

WORK=$(mktemp -d /tmp/care-churn.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop; rm -rf "$WORK"' EXIT
"$PY" -m pip download lifetimes==0.11.3 --no-deps -q -d "$WORK/wheel" >/dev/null
WHEEL=$(ls "$WORK"/wheel/*ifetimes-*.whl)
pg_start "$WORK/pg"
CONF="$WORK/odoo.conf"
odoo_conf "$CONF" "$WORK/data"
log "installing winback in churn_template"
"$PY" -m odoo -c "$CONF" -d churn_template -i winback --without-demo=all --stop-after-init \
    >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log"; die "install failed"; }
"$PY" "$ROOT/tests/benchmarks/churn_eval.py" "$CONF" churn_template "$WHEEL"
