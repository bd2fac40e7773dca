#!/usr/bin/env bash
# `make model-tunnel`: the built proxy on loopback, then the Cloudflare tunnel in the foreground.
#
#   1. starts `node --max-semi-space-size=8 dist/src/main.js` on 127.0.0.1:$PORT (stdout, JSON log lines, appended to
#      $PROXY_LOG_DIR/model-proxy.log; stderr to $PROXY_LOG_DIR/model-proxy.stderr.log);
#   2. polls GET /health/liveliness until it answers (at most READY_TIMEOUT s); if the proxy exits
#      first or never answers, prints why with the last lines of its stderr and exits non-zero;
#   3. runs `cloudflared --config $CLOUDFLARED_CONFIG tunnel run $TUNNEL_NAME`, its output on the terminal.
#
# Ctrl-C, SIGTERM or SIGHUP stops both; cloudflared exiting stops the proxy; the proxy dying stops
# cloudflared. Each is stopped with one SIGTERM (the proxy drains in-flight requests and writes
# pending spend) and waited for, SIGKILL after STOP_TIMEOUT s: nothing is left running.
#
# Settings, from the environment or `make model-tunnel NAME=value`:
#   PORT (4100)  HOST (127.0.0.1)  PROXY_CONFIG (infra/litellm.config.yaml)  TOKENS_ENV (./tokens.env)
#   CLOUDFLARED (cloudflared)  CLOUDFLARED_CONFIG (~/.cloudflared/config-model.yml)
#   TUNNEL_NAME (datasmith-model)  READY_TIMEOUT (60)  STOP_TIMEOUT (60)
#   PROXY_LOG_DIR ($PROXY_DATA_DIR/logs)  PROXY_ENTRY (dist/src/main.js)  NODE (node)
# tokens.env is read first and, like the proxy does, never overrides a variable already set. Only
# the settings above are taken from it here; the proxy reads its secrets from the file itself, so
# they never reach cloudflared's environment. Relative paths are relative to the repository root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'model-tunnel: %s\n' "$*" >&2; }

# `wait -n -p` (below) needs bash 5.1.
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
  log "bash 5.1 or newer is needed, this is $BASH_VERSION"
  exit 1
fi

TOKENS_ENV=${TOKENS_ENV:-tokens.env}
if [[ -f $TOKENS_ENV ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    case $key in
      PORT | HOST | PROXY_CONFIG | PROXY_DATA_DIR) [[ -v $key ]] || printf -v "$key" '%s' "$value" ;;
    esac
  done <"$TOKENS_ENV"
fi

PORT=${PORT:-4100}
HOST=${HOST:-127.0.0.1}
PROXY_CONFIG=${PROXY_CONFIG:-infra/litellm.config.yaml}
PROXY_DATA_DIR=${PROXY_DATA_DIR:-.data}
PROXY_LOG_DIR=${PROXY_LOG_DIR:-$PROXY_DATA_DIR/logs}
PROXY_ENTRY=${PROXY_ENTRY:-dist/src/main.js}
NODE=${NODE:-node}
CLOUDFLARED=${CLOUDFLARED:-cloudflared}
CLOUDFLARED_CONFIG=${CLOUDFLARED_CONFIG:-$HOME/.cloudflared/config-model.yml}
TUNNEL_NAME=${TUNNEL_NAME:-datasmith-model}
READY_TIMEOUT=${READY_TIMEOUT:-60}
STOP_TIMEOUT=${STOP_TIMEOUT:-60}

# The URL this script polls: a wildcard listen address is reached on loopback.
case $HOST in
  0.0.0.0 | '' ) probe_host=127.0.0.1 ;;
  :: | '[::]') probe_host='[::1]' ;;
  *:*) probe_host="[$HOST]" ;;
  *) probe_host=$HOST ;;
esac
url="http://$probe_host:$PORT"
case $HOST in
  127.* | localhost | ::1) ;;
  *) log "warning: HOST=$HOST makes the proxy reachable without the tunnel; 127.0.0.1 keeps the tunnel the only way in" ;;
esac

# Checks before anything starts, so a typo never leaves a proxy running without its tunnel.
[[ -f $PROXY_ENTRY ]] || { log "$PROXY_ENTRY is missing: run \`make model-proxy-install\` first"; exit 1; }
command -v "$NODE" >/dev/null || { log "node not found (NODE=$NODE): install Node 20.19 or newer"; exit 1; }
command -v "$CLOUDFLARED" >/dev/null || {
  log "cloudflared not found (CLOUDFLARED=$CLOUDFLARED): install it, see docs/operators.md"
  exit 1
}
[[ -f $CLOUDFLARED_CONFIG ]] || {
  log "$CLOUDFLARED_CONFIG is missing: copy infra/cloudflared/config-model.yml there and fill in the tunnel id (docs/operators.md)"
  exit 1
}
if (: <"/dev/tcp/${probe_host//[\[\]]/}/$PORT") 2>/dev/null; then
  log "port $PORT on $HOST is already in use (another proxy running? set PORT to choose another)"
  exit 1
fi

# New sessions, so a Ctrl-C on the terminal reaches this script alone, and each child gets exactly
# one SIGTERM from cleanup(): a second SIGINT would kill the proxy mid-drain.
setsid=()
command -v setsid >/dev/null && setsid=(setsid)

proxy_pid=''
cloudflared_pid=''

# True while the process runs; an exited child not yet reaped (a zombie) counts as gone.
running() {
  local stat
  if [[ -d /proc/self ]]; then
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
  else
    stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  fi
  [[ $stat != [ZX]* ]]
}

# shellcheck disable=SC2317  # stop() and cleanup() are reached through the traps
# stop NAME PID: one SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL; reaps the child.
stop() {
  local name=$1 pid=$2
  [[ -n $pid ]] || return 0
  if running "$pid"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while running "$pid"; do
      if ((SECONDS >= deadline)); then
        log "$name still running after $STOP_TIMEOUT s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  fi
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317
cleanup() {
  local status=$?
  trap '' INT TERM HUP
  stop cloudflared "$cloudflared_pid"
  stop proxy "$proxy_pid"
  exit "$status"
}
trap cleanup EXIT
trap 'log "SIGINT: stopping"; exit 130' INT
trap 'log "SIGTERM: stopping"; exit 143' TERM
trap 'log "SIGHUP: stopping"; exit 129' HUP

out_log=$PROXY_LOG_DIR/model-proxy.log
err_log=$PROXY_LOG_DIR/model-proxy.stderr.log
mkdir -p "$PROXY_LOG_DIR"
touch "$out_log"
out_start=$(wc -c <"$out_log")

# The last lines the proxy wrote this run: its stderr (where a failed start names the cause),
# or, when that is empty, its log.
proxy_tail() {
  if [[ -s $err_log ]]; then
    log "last lines of the proxy's stderr ($err_log):"
    tail -n 20 "$err_log" | sed 's/^/  | /' >&2
  elif (($(wc -c <"$out_log") > out_start)); then
    log "the proxy wrote nothing on stderr; last lines of its log ($out_log):"
    tail -c +"$((out_start + 1))" "$out_log" | tail -n 20 | sed 's/^/  | /' >&2
  else
    log "the proxy wrote nothing yet (stderr: $err_log, log: $out_log)"
  fi
}

probe() {
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
  else
    "$NODE" -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
  fi
}

log "starting the proxy on $HOST:$PORT (config $PROXY_CONFIG, log $out_log)"
PORT=$PORT HOST=$HOST PROXY_CONFIG=$PROXY_CONFIG PROXY_DATA_DIR=$PROXY_DATA_DIR \
  "${setsid[@]}" "$NODE" --max-semi-space-size=8 "$PROXY_ENTRY" </dev/null >>"$out_log" 2>"$err_log" &
proxy_pid=$!

deadline=$((SECONDS + READY_TIMEOUT))
until probe "$url/health/liveliness"; do
  if ! running "$proxy_pid"; then
    status=0
    wait "$proxy_pid" || status=$?
    proxy_pid=''
    log "proxy exited before becoming ready (exit status $status)"
    proxy_tail
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    log "proxy not ready after $READY_TIMEOUT s ($url/health/liveliness does not answer; a slow first start can take longer: raise READY_TIMEOUT)"
    proxy_tail
    exit 1
  fi
  sleep 0.25
done
log "proxy ready on $url (pid $proxy_pid)"

log "starting: $CLOUDFLARED --config $CLOUDFLARED_CONFIG tunnel run $TUNNEL_NAME (Ctrl-C stops both)"
"${setsid[@]}" "$CLOUDFLARED" --config "$CLOUDFLARED_CONFIG" tunnel run "$TUNNEL_NAME" </dev/null &
cloudflared_pid=$!

status=0
exited=''
wait -n -p exited "$cloudflared_pid" "$proxy_pid" || status=$?
if [[ $exited == "$cloudflared_pid" ]]; then
  cloudflared_pid=''
  log "cloudflared exited (status $status): stopping the proxy"
  exit "$status"
fi
proxy_pid=''
log "the proxy exited (status $status): stopping cloudflared"
proxy_tail
exit 1
