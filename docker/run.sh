#!/bin/sh
# Starts one process of the image with the narrowest Deno permissions it needs.
#
#   run.sh <name>      name: a service (web-frontend, auth-service, payment-service,
#                      fraud-service, jira-poller, llm-service) or a stand-in
#                      (local-agent, jira-stand-in)
#   DRY_RUN=1 run.sh <name>   prints the command (one line, as a shell would run it)
#                             instead of running it
#
# Network access is limited to the process's own listen address, the Datadog Agent and the
# hosts of its peer URL variables, computed from the same variables (and defaults) the
# process reads, so a changed URL never needs a changed flag.
set -eu

APP_DIR=${APP_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}
DENO_DIR=${DENO_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/deno}
DENO_BIN=${DENO_BIN:-deno}
NAMES="web-frontend auth-service payment-service fraud-service jira-poller llm-service local-agent jira-stand-in"
# DogStatsD goes over UDP, and Deno checks a datagram's permission against the address the
# Agent's name resolves to, which Docker and Kubernetes assign at run time. Allow only the
# DogStatsD port on loopback and the private ranges those networks use.
PRIVATE_RANGES="127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"

usage() {
  echo "Usage: run.sh <name>   (one of: $NAMES)" >&2
}

# host:port of an http(s) URL, the port defaulted from the scheme; IPv6 hosts keep brackets.
host_port() {
  url=$1
  case "$url" in
    https://*) default_port=443 rest=${url#https://} ;;
    http://*) default_port=80 rest=${url#http://} ;;
    *)
      echo "run.sh: $2 is not an http(s) URL" >&2
      exit 2
      ;;
  esac
  authority=${rest%%/*}
  authority=${authority%%\?*}
  authority=${authority##*@}
  case "$authority" in
    \[*\]:*) echo "$authority" ;;
    \[*\]) echo "$authority:$default_port" ;;
    *:*) echo "$authority" ;;
    *) echo "$authority:$default_port" ;;
  esac
}

is_ipv4() {
  case "$1" in
    *[!0-9.]* | '') return 1 ;;
    *) return 0 ;;
  esac
}

net=""
add_net() {
  case ",$net," in
    *",$1,"*) ;;
    *) net=${net:+$net,}$1 ;;
  esac
}

# The Agent: traces over HTTP, DogStatsD over UDP (the socket binds 0.0.0.0:0 first).
add_agent() {
  agent_host=${DD_AGENT_HOST:-localhost}
  statsd_port=${DD_DOGSTATSD_PORT:-8125}
  add_net "$agent_host:${DD_TRACE_AGENT_PORT:-8126}"
  if [ -n "${DD_TRACE_AGENT_URL:-}" ]; then
    address=$(host_port "$DD_TRACE_AGENT_URL" DD_TRACE_AGENT_URL) || exit 2
    add_net "$address"
  fi
  add_net "0.0.0.0:0"
  if is_ipv4 "$agent_host"; then
    add_net "$agent_host:$statsd_port"
  else
    # Resolving the name needs the bare host; the datagram then goes to its address.
    add_net "$agent_host"
    for range in $PRIVATE_RANGES; do add_net "$range:$statsd_port"; done
  fi
}

# A peer URL variable with the default the service itself uses; empty means not configured.
add_peer() {
  value=$(printenv "$1" || true)
  value=${value:-$2}
  if [ -n "$value" ]; then
    address=$(host_port "$value" "$1") || exit 2
    add_net "$address"
  fi
}

name=${1:-}
listen_host=${HOST:-0.0.0.0}
v8_flags=""
case "$name" in
  web-frontend)
    entry=services/web-frontend/main.ts
    add_net "$listen_host:${PORT:-8000}"
    add_agent
    add_peer AUTH_SERVICE_URL http://localhost:8101
    add_peer PAYMENT_SERVICE_URL http://localhost:8102
    add_peer LLM_SERVICE_URL http://localhost:8105
    add_peer RUM_PROXY_URL ""
    ;;
  auth-service | llm-service)
    entry=services/$name/main.ts
    add_net "$listen_host:${PORT:-8000}"
    add_agent
    ;;
  payment-service)
    entry=services/payment-service/main.ts
    add_net "$listen_host:${PORT:-8000}"
    add_agent
    add_peer FRAUD_SERVICE_URL http://localhost:8103
    add_peer JIRA_POLLER_URL http://localhost:8104
    ;;
  fraud-service)
    entry=services/fraud-service/main.ts
    add_net "$listen_host:${PORT:-8000}"
    add_agent
    add_peer JIRA_POLLER_URL http://localhost:8104
    ;;
  jira-poller)
    entry=services/jira-poller/main.ts
    add_net "$listen_host:${PORT:-8000}"
    add_agent
    add_peer JIRA_BASE_URL ""
    ;;
  local-agent)
    # The Agent stand-in itself: HTTP intake and DogStatsD on the Agent's ports.
    entry=stand-ins/local-agent/main.ts
    add_net "$listen_host:${LOCAL_AGENT_HTTP_PORT:-8126}"
    add_net "$listen_host:${LOCAL_AGENT_STATSD_PORT:-8125}"
    # A small young generation: under a telemetry burst V8 otherwise grows it to ~50 MB and
    # the process to ~230 MB RSS, close to the container limit (~170 MB with this, same CPU).
    v8_flags="--v8-flags=--max-semi-space-size=4"
    ;;
  jira-stand-in)
    entry=stand-ins/jira/main.ts
    add_net "$listen_host:${PORT:-8190}"
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "run.sh: unknown process '$name'." >&2
    usage
    exit 2
    ;;
esac

# dd-trace looks for a package.json from the working directory up to the root; let it look
# (and find nothing) above the app folder without being able to read anything else there.
read_paths="$APP_DIR,$DENO_DIR,/proc/self/cgroup,/sys/fs/cgroup"
dir=$(dirname -- "$APP_DIR")
while :; do
  read_paths="$read_paths,${dir%/}/package.json"
  [ "$dir" = / ] && break
  dir=$(dirname -- "$dir")
done

# The runtime-metrics native module crashes under Deno (see the observability kit).
export DD_RUNTIME_METRICS_NATIVE=false

set -- "$DENO_BIN" run --cached-only --frozen --no-prompt ${v8_flags:+"$v8_flags"} \
  --allow-env --allow-sys \
  "--allow-read=$read_paths" \
  "--allow-net=$net" \
  "$APP_DIR/$entry"

if [ -n "${DRY_RUN:-}" ]; then
  echo "DD_RUNTIME_METRICS_NATIVE=$DD_RUNTIME_METRICS_NATIVE $*"
  exit 0
fi
cd "$APP_DIR"
exec "$@"
