#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for Meridian's storage tests.
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports MERIDIAN_TEST_PG and MERIDIAN_PG_DIR
#   scripts/pg-test-cluster.sh stop              # stops it and deletes its directory
# Installs PostgreSQL from Debian (apt-get) when initdb/pg_ctl cannot be found. The cluster
# lives in a temp dir, listens only on 127.0.0.1 on a free port, trusts local connections and
# runs with fsync off: it holds nothing worth keeping and is deleted by `stop`.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail

log() { echo "pg-test-cluster: $*" >&2; }

find_bin() {
  local d
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  return 1
}

install_postgres() {
  log "PostgreSQL not found; installing it with apt-get"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

free_port() {
  python3 - <<'PY' 2>/dev/null && return 0
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
  local p
  for p in $(seq 55432 55532); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

start() {
  local bin dir port
  bin=$(find_bin) || { install_postgres; bin=$(find_bin) || { log "initdb not found after install"; exit 1; }; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi
  dir=$(mktemp -d /tmp/meridian-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  port=$(free_port) || { log "no free port"; exit 1; }
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "$bin" >"$dir/bin"
  log "started PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port in $dir"
  echo "export MERIDIAN_PG_DIR='$dir'"
  echo "export MERIDIAN_TEST_PG='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Maximum Pool Size=50'"
}

stop() {
  local dir="${1:-${MERIDIAN_PG_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then log "nothing to stop"; return 0; fi
  if [ -f "$dir/bin" ]; then
    as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start|stop [dir]" >&2; exit 2 ;;
esac
