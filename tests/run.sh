#!/usr/bin/env bash
# The test command: bash tests/run.sh [extra pytest args]
#
# Starts a throwaway PostgreSQL cluster, then proves each addon installs on its own by
# building databases as a chain, each with demo data and French:
#   care_lg  = loyalty_gesture                      -> its tests
#   care_ss  = copy of care_lg + satisfaction_survey -> its tests
#   care_wb  = copy of care_ss + winback             -> its tests and tests/
#   care_life = copy of care_wb: upgrade, uninstall and reinstall each addon (tests/lifecycle.py)
# Exits non-zero on any failure, on a skipped test, or when no test ran.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

START=$(date +%s)
ensure_odoo
ensure_python_packages
ensure_chromium

WORK=$(mktemp -d /tmp/care-tests.XXXXXX)
chmod 755 "$WORK"
cleanup() { pg_stop; rm -rf "$WORK"; }
trap cleanup EXIT
pg_start "$WORK/pg"
log "PostgreSQL on $PGHOST:$PGPORT"

CONF="$WORK/odoo.conf"
odoo_conf "$CONF" "$WORK/data"

install() {  # install <db> <template-or-empty> <modules>
    local db=$1 template=$2 modules=$3 t0
    t0=$(date +%s)
    if [ -n "$template" ]; then
        createdb -T "$template" "$db"
        mkdir -p "$WORK/data/filestore"
        [ -d "$WORK/data/filestore/$template" ] && cp -a "$WORK/data/filestore/$template" "$WORK/data/filestore/$db"
    fi
    "$PY" -m odoo -c "$CONF" -d "$db" -i "$modules" --load-language=fr_FR --stop-after-init \
        >"$WORK/install-$db.log" 2>&1 || { tail -50 "$WORK/install-$db.log"; die "installing $modules in $db failed"; }
    if grep -E " (ERROR|CRITICAL) " "$WORK/install-$db.log" >/dev/null; then
        grep -E -A20 " (ERROR|CRITICAL) " "$WORK/install-$db.log" | head -80
        die "installing $modules in $db logged errors"
    fi
    log "installed $modules in $db ($(($(date +%s) - t0)) s)"
}

RESULT=0
run_pytest() {  # run_pytest <db> <paths...>
    local db=$1; shift
    "$PY" -m pytest -c "$ROOT/tests/pytest.ini" --rootdir "$ROOT" -p care_pytest_guard \
        --odoo-config "$CONF" --odoo-database "$db" --odoo-http "$@" "${PYTEST_ARGS[@]}" \
        || RESULT=$?
}
PYTEST_ARGS=("$@")

lifecycle() {  # lifecycle <template> <db>: upgrade, uninstall, reinstall in a copy
    createdb -T "$1" "$2"
    cp -a "$WORK/data/filestore/$1" "$WORK/data/filestore/$2" 2>/dev/null || true
    "$PY" "$ROOT/tests/lifecycle.py" "$CONF" "$2" "$WORK" || { RESULT=1; tail -40 "$WORK"/lifecycle-*.log; }
}
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"

# CARE_UNTIL=loyalty_gesture|satisfaction_survey stops the chain early (development only).
UNTIL=${CARE_UNTIL:-winback}
install care_lg "" loyalty_gesture
run_pytest care_lg addons/loyalty_gesture
if [ "$UNTIL" != loyalty_gesture ]; then
    install care_ss care_lg satisfaction_survey
    run_pytest care_ss addons/satisfaction_survey
    if [ "$UNTIL" != satisfaction_survey ]; then
        install care_wb care_ss winback
        # A copy where concurrency tests commit for real, with separate connections.
        createdb -T care_wb care_scratch
        cp -a "$WORK/data/filestore/care_wb" "$WORK/data/filestore/care_scratch" 2>/dev/null || true
        export CARE_SCRATCH_DB=care_scratch
        run_pytest care_wb addons/winback tests
        lifecycle care_wb care_life
    fi
fi

log "done in $(($(date +%s) - START)) s, exit code $RESULT"
exit $RESULT
