#!/usr/bin/env bash
# Run the product without Docker: bash tools/serve.sh
#
# Starts a private PostgreSQL cluster in ${CARE_HOME:-$HOME/.care-suite} (kept between runs),
# creates the database "care" with the three addons, demo data and French the first time,
# then serves Odoo on http://127.0.0.1:8069 (login admin / admin). Ctrl-C stops Odoo and the cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
cd "$ROOT"
ensure_odoo
ensure_python_packages

HOME_DIR=${CARE_HOME:-$HOME/.care-suite}
DB=${CARE_DB:-care}
mkdir -p "$HOME_DIR"
chmod 755 "$HOME_DIR"
export PGPORT=${PGPORT:-54329}
if [ -d "$HOME_DIR/pg/data" ]; then
    # Reuse the cluster made by an earlier run.
    PG_DIR="$HOME_DIR/pg"
    export PGHOST="$PG_DIR/socket" PGUSER=odoo
    PG_AS=()
    [ "$(id -u)" = 0 ] && PG_AS=(runuser -u postgres --)
    "${PG_AS[@]}" pg_ctl -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w \
        -o "-k $PGHOST -p $PGPORT -c listen_addresses=''" start >/dev/null
else
    pg_start "$HOME_DIR/pg"
fi
trap pg_stop EXIT
CONF="$HOME_DIR/odoo.conf"
odoo_conf "$CONF" "$HOME_DIR/data"
sed -i 's/^log_level = warn/log_level = info/; s/^max_cron_threads = 0/max_cron_threads = 1/' "$CONF"

if ! psql -d "$DB" -Atc "select 1 from ir_module_module where name='winback' and state='installed'" 2>/dev/null | grep -q 1; then
    log "creating database $DB with the three addons and demo data (a few minutes)"
    "$PY" -m odoo -c "$CONF" -d "$DB" -i winback --load-language=fr_FR --stop-after-init
fi
log "Odoo on http://127.0.0.1:8069 (admin / admin)"
"$PY" -m odoo -c "$CONF" -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port=8069
