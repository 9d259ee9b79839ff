# Shared by tests/run.sh and tools/serve.sh: find Odoo, install what is missing,
# run a throwaway PostgreSQL cluster. Source it; do not execute it.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
ODOO_ARCHIVE_URL=${ODOO_ARCHIVE_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}
export PIP_CONSTRAINT="$ROOT/tests/constraints.txt"

log() { printf '[care] %s\n' "$*" >&2; }
die() { printf '[care] ERROR: %s\n' "$*" >&2; exit 2; }

odoo_version() {
    "$PY" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null
}

ensure_odoo() {
    [ "$(odoo_version)" = "18" ] && return 0
    [ -n "$(odoo_version)" ] && die "the importable odoo package is not 18.0 ($("$PY" -c 'import odoo.release as r; print(r.version)'))."
    log "no importable Odoo 18.0: trying Odoo's official 18.0 source archive"
    if ! curl -sSfI --max-time 10 "$ODOO_ARCHIVE_URL" >/dev/null 2>&1; then
        die "Odoo 18.0 is not installed and $ODOO_ARCHIVE_URL cannot be reached.
  Provide Odoo 18.0 as an importable 'odoo' package for $PY, for instance from a checkout of
  https://github.com/odoo/odoo (branch 18.0):
    pip install -r odoo/requirements.txt -c tests/constraints.txt
    pip install -e odoo --config-settings editable_mode=compat
  then run this command again."
    fi
    ensure_odoo_build_deps
    "$PY" -m pip install -q "$ODOO_ARCHIVE_URL" || die "installing Odoo 18.0 from $ODOO_ARCHIVE_URL failed."
    [ "$(odoo_version)" = "18" ] || die "Odoo 18.0 still cannot be imported after installing it."
}

# Odoo's requirements build python-ldap and psycopg2 from source on Debian: their headers.
ODOO_BUILD_DEPS="libldap2-dev libsasl2-dev libpq-dev"
ensure_odoo_build_deps() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    local missing=() pkg
    for pkg in $ODOO_BUILD_DEPS; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing Debian's ${missing[*]} (headers Odoo's requirements build against)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null \
            || die "apt-get could not install ${missing[*]}"
    else
        log "warning: ${missing[*]} missing: installing Odoo's requirements may fail (apt install ${missing[*]})"
    fi
}

ensure_python_packages() {
    if ! "$PY" - "$ROOT/tests/requirements.txt" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
from packaging.requirements import Requirement
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        req = Requirement(line)
        if not req.specifier.contains(version(req.name), prereleases=True):
            sys.exit(1)
PYEOF
    then
        log "installing the test requirements from PyPI"
        "$PY" -m pip install -q -r "$ROOT/tests/requirements.txt" -c "$ROOT/tests/constraints.txt" || die "pip could not install tests/requirements.txt"
    fi
}

ensure_chromium() {
    command -v chromium >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing Debian's chromium for the browser tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
            || die "apt-get could not install chromium"
    else
        die "chromium is missing: install Debian's chromium package (browser tests would be skipped)."
    fi
}

# Start a private cluster in $1; sets PGHOST (its socket dir) and PGPORT.
pg_start() {
    local dir=$1
    PG_DIR=$dir
    export PGHOST="$dir/socket" PGUSER=odoo PGPORT=${PGPORT:-$((20000 + RANDOM % 20000))}
    mkdir -p "$PGHOST"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres "$dir"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" initdb -D "$dir/data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    "${as[@]}" pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -o "-k $PGHOST -p $PGPORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
        || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    PG_AS=("${as[@]}")
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] && "${PG_AS[@]}" pg_ctl -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1
    return 0
}

# Write an Odoo config for the running cluster into $1 (data_dir $2).
odoo_conf() {
    cat >"$1" <<CONF
[options]
addons_path = $ROOT/addons
data_dir = $2
db_host = $PGHOST
db_port = $PGPORT
db_user = odoo
db_password = False
list_db = True
http_interface = 127.0.0.1
http_port = $((PGPORT + 1))
gevent_port = $((PGPORT + 2))
log_level = warn
max_cron_threads = 0
CONF
}
