#!/usr/bin/env bash
# Throwaway RabbitMQ broker for Meridian's event-transport tests.
#   eval "$(scripts/rabbitmq-test-broker.sh start)"   # exports MERIDIAN_TEST_RABBITMQ and MERIDIAN_RABBITMQ_DIR
#   scripts/rabbitmq-test-broker.sh restart [dir]      # stops the node and starts it again on the same data and ports
#   scripts/rabbitmq-test-broker.sh restart --kill [dir]  # the same after a kill -9 of the node (a crash)
#   scripts/rabbitmq-test-broker.sh stop [dir]         # stops it and deletes its directory
# Installs Debian's rabbitmq-server with apt-get when missing, but never uses the system
# service: the node is its own instance (own node name, data, logs, erlang cookie, epmd port,
# AMQP and distribution ports), listens on 127.0.0.1 only and is deleted by `stop`.
set -euo pipefail

log() { echo "rabbitmq-test-broker: $*" >&2; }

RABBIT_BIN=/usr/lib/rabbitmq/bin

install_rabbitmq() {
  log "rabbitmq-server not found; installing it with apt-get"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # The package's postinst tries to start the system service; that may fail in a container
  # without an init system, which is fine: we never use it.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server >&2 || true
  [ -x "$RABBIT_BIN/rabbitmq-server" ]
}

free_port() {
  python3 - <<'PY' 2>/dev/null && return 0
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
  local p
  for p in $(shuf -i 40000-60000 -n 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# Everything a node and rabbitmqctl need to find each other, kept in $dir/env so that
# restart and stop use exactly the same instance.
node_env() {
  local dir="$1"
  # shellcheck disable=SC1091
  . "$dir/env"
  export HOME="$dir/home" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT"
  export RABBITMQ_NODENAME="$NODENAME" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT"
  export RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_PID_FILE="$dir/rabbit.pid"
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

ctl() { "$RABBIT_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"; }

start_node() {
  local dir="$1"
  node_env "$dir"
  # setsid: the node must outlive this script and must not get the caller's terminal signals.
  setsid "$RABBIT_BIN/rabbitmq-server" >>"$dir/log/console.log" 2>&1 </dev/null &
  echo $! >"$dir/launcher.pid"
  # Startup takes 10-30 s on a loaded machine (minutes under heavy load); quorum queues need
  # the node fully booted, which await_startup waits for. Bounded: 5 minutes at most.
  local deadline=$((SECONDS + 300))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ctl await_startup --timeout 10 >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; then
      log "node exited during startup"; tail -n 40 "$dir/log/console.log" >&2 || true; return 1
    fi
    sleep 1
  done
  log "node did not start within the time limit"; tail -n 40 "$dir/log/console.log" >&2 || true
  return 1
}

# kill -9 only when the pid is still this instance's node (a pid file may be stale and its pid reused).
kill_node_pid() {
  local pid="$1" dir="$2"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$dir"; then kill -9 "$pid" 2>/dev/null || true; fi
}

stop_node() {
  local dir="$1" hard="${2:-}" i pid
  node_env "$dir"
  if [ "$hard" = "--kill" ] && [ -f "$dir/rabbit.pid" ]; then
    kill_node_pid "$(cat "$dir/rabbit.pid")" "$dir"
  else
    ctl stop --timeout 60 >/dev/null 2>&1 || true
  fi
  pid=$(cat "$dir/launcher.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    # Still there after a clean stop was asked for: end it (only this node's own process).
    kill_node_pid "$pid" "$dir"
  fi
  [ -f "$dir/rabbit.pid" ] && kill_node_pid "$(cat "$dir/rabbit.pid")" "$dir"
  rm -f "$dir/rabbit.pid" "$dir/launcher.pid"
}

start() {
  local dir
  [ -x "$RABBIT_BIN/rabbitmq-server" ] || install_rabbitmq || { log "rabbitmq-server could not be installed"; exit 1; }
  dir=$(mktemp -d /tmp/meridian-rabbitmq.XXXXXX)
  chmod 755 "$dir"
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  # A private cookie: rabbitmqctl of this instance authenticates with it, nothing else does.
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/home/.erlang.cookie"
  chmod 400 "$dir/home/.erlang.cookie"
  local amqp dist epmd
  amqp=$(free_port) && dist=$(free_port) && epmd=$(free_port) || { log "no free port"; exit 1; }
  cat >"$dir/env" <<EOF
NODENAME=meridian-test-$(basename "$dir" | sed 's/.*\.//')@localhost
AMQP_PORT=$amqp
DIST_PORT=$dist
EPMD_PORT=$epmd
EOF
  cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$amqp
loopback_users.guest = true
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = warning
EOF
  echo "[]." >"$dir/advanced.config"
  echo "[]." >"$dir/enabled_plugins"
  : >"$dir/rabbitmq-env.conf"
  if ! start_node "$dir"; then stop "$dir"; exit 1; fi
  log "started RabbitMQ ($NODENAME) on 127.0.0.1:$amqp in $dir"
  echo "export MERIDIAN_RABBITMQ_DIR='$dir'"
  echo "export MERIDIAN_TEST_RABBITMQ='amqp://guest:guest@127.0.0.1:$amqp/'"
}

restart() {
  local hard=""
  if [ "${1:-}" = "--kill" ]; then hard="--kill"; shift; fi
  local dir="${1:-${MERIDIAN_RABBITMQ_DIR:-}}"
  if [ -z "$dir" ] || [ ! -f "$dir/env" ]; then log "no broker to restart"; exit 1; fi
  stop_node "$dir" "$hard"
  start_node "$dir" || exit 1
  log "restarted $RABBITMQ_NODENAME"
}

stop() {
  local dir="${1:-${MERIDIAN_RABBITMQ_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then log "nothing to stop"; return 0; fi
  case "$dir" in /tmp/meridian-rabbitmq.*) ;; *) log "refusing to remove $dir"; return 1 ;; esac
  if [ -f "$dir/env" ]; then
    stop_node "$dir"
    # This instance's own epmd (on its private port) goes too.
    epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  restart) shift; restart "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | restart [--kill] [dir] | stop [dir]" >&2; exit 2 ;;
esac
