#!/usr/bin/env bash
# `make bench`: mc-proxy side by side with HAProxy and nginx on this machine, same backends, same load.
#
# Starts the backends (bench/McProxy.LoadGen for L4, an nginx origin for L7), mc-proxy, HAProxy and nginx, then
# for each scenario runs every proxy in turn (the order rotates from run to run, so drift in the machine's load
# does not favour one), BENCH_RUNS times, and reports the median of each figure with mc-proxy's ratio to HAProxy.
# Writes bench/results/<date>.md with a PNG chart and the table into README.md's Performance section.
#
# Fairness: each proxy gets the same workers (HAProxy nbthread, nginx worker_processes, mc-proxy
# DOTNET_PROCESSOR_COUNT) and the same CPUs. Two layouts (BENCH_LAYOUT): "pinned", one worker per proxy on CPU 1
# and the load generators and backends on CPU 0, so neither steals from the other; "shared", two workers per
# proxy and every process free to use every CPU, as operators run it. "both" measures everything pinned, then the
# L4 scenarios again shared (rows "..., shared layout"). No proxy writes access logs. Both mc-proxy and HAProxy
# relay L4 with splice(2) (HAProxy's option splice-auto), or neither (BENCH_SPLICE=0): the same kernel path for both.
#
# Environment (defaults in brackets):
#   BENCH_QUICK=1            a smoke run: 2 s per figure, 1 run, 1,000 idle connections
#   BENCH_DURATION [5]       seconds per measured figure (after a 1 s warm-up)
#   BENCH_RUNS [3]           runs per proxy and scenario; the table shows the median
#   BENCH_LAYOUT [both]      pinned (1 worker per proxy on CPU 1, tools on CPU 0), shared (2 workers per proxy,
#                            every process on every CPU), or both (every scenario pinned, then the L4 ones shared)
#   BENCH_WORKERS            the old switch: 2 means BENCH_LAYOUT=shared, 1 BENCH_LAYOUT=pinned
#   BENCH_SCENARIOS          [l4_connrate l4_pool_connrate l4_bulk1 l4_bulk8 l4_latency l7_h1 l7_h2 l7_handshake
#                            l4_idle l7_idle l7_idle_h2 l7_slowread]
#   BENCH_PROXIES            [mc-proxy haproxy nginx]
#   BENCH_DIRECT [1]         also drive the backends with no proxy in between, as the ceiling of this machine
#   BENCH_IDLE_CONNECTIONS [5000] (L4 relayed and L7 TLS connections alike),
#   BENCH_SLOW_READERS [1000] HTTP/1.1 clients downloading a 1 GiB response and reading nothing (L7 slow read)
#   BENCH_LATENCY_RATE [2000] requests/s over 10 connections
#   BENCH_NICE [-20]         nice level of everything the benchmark runs: on a machine shared with builds, the
#                            proxies and tools would otherwise get a small, varying share of their CPUs, and a
#                            proxy with more threads a larger share than a single-threaded one
#   BENCH_WARMUP [20]        seconds of each kind of load every proxy gets before anything is measured
#   BENCH_SPLICE [1]         1: mc-proxy and HAProxy splice L4 relays; 0: both copy through user space
#   BENCH_MCPROXY_ENV        extra environment for mc-proxy, e.g. "DOTNET_gcServer=1", to try runtime settings
#   BENCH_NO_REPORT=1        keep the raw figures only (no results file, no README change)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quick=${BENCH_QUICK:-0}
splice=${BENCH_SPLICE:-1}
duration=${BENCH_DURATION:-$([[ $quick == 1 ]] && echo 2 || echo 5)}
runs=${BENCH_RUNS:-$([[ $quick == 1 ]] && echo 1 || echo 3)}
case ${BENCH_WORKERS:-} in
  '') layout=${BENCH_LAYOUT:-both} ;;
  1) layout=${BENCH_LAYOUT:-pinned} ;;
  2) layout=${BENCH_LAYOUT:-shared} ;;
  *) echo "bench: BENCH_WORKERS must be 1 or 2" >&2; exit 2 ;;
esac
# The idle scenarios restart each proxy (a fresh process per memory figure), so they run last, after the warm ones.
scenarios=${BENCH_SCENARIOS:-l4_connrate l4_pool_connrate l4_bulk1 l4_bulk8 l4_latency l7_h1 l7_h2 l7_handshake l4_idle l7_idle l7_idle_h2 l7_slowread}
proxies=(${BENCH_PROXIES:-mc-proxy haproxy nginx})
direct=${BENCH_DIRECT:-1}
idle_connections=${BENCH_IDLE_CONNECTIONS:-$([[ $quick == 1 ]] && echo 1000 || echo 5000)}
slow_readers=${BENCH_SLOW_READERS:-$([[ $quick == 1 ]] && echo 200 || echo 1000)}
latency_rate=${BENCH_LATENCY_RATE:-2000}
nice_level=${BENCH_NICE:--20}
warmup=${BENCH_WARMUP:-$([[ $quick == 1 ]] && echo 1 || echo 20)}

# set_layout pinned|shared: the workers per proxy and the CPUs of the proxies and of the tools and backends.
set_layout() {
  case $1 in
    pinned) workers=1 proxy_cpus=1 tool_cpus=0 ;;
    shared) workers=2 proxy_cpus=0-1 tool_cpus=0-1 ;;
    *) echo "bench: BENCH_LAYOUT must be pinned, shared or both" >&2; exit 2 ;;
  esac
}
case $layout in
  both) set_layout pinned ;;
  *) set_layout "$layout" ;;
esac

readonly work=out/bench
readonly results=bench/results
readonly loadgen=out/loadgen/mc-loadgen
# Ports: L4 listener, L7 listener of each proxy; the backends.
declare -A l4_port=([mc-proxy]=18443 [haproxy]=28443 [nginx]=38443)
declare -A l7_port=([mc-proxy]=18444 [haproxy]=28444 [nginx]=38444)
readonly answer_port=19001 echo_port=19002 source_port=19003 http_port=19080
# Three more answer backends: the members of the L4 pool (issue 16) in l4_pool_connrate.
readonly pool_ports=(19004 19005 19006)

log() { echo "bench: $*" >&2; }

for tool in haproxy nginx wrk h2load gnuplot openssl taskset; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run bench/install-peers.sh"; exit 1; }
done

# 5,000 idle relayed connections need 10,000 descriptors in the proxy, 5,000 in the backend and the client.
ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= 3 * idle_connections + 1000)) || log "ulimit -n is $(ulimit -n): too low for $idle_connections idle connections"

rm -rf "$work"
mkdir -p "$work"/{mc-proxy,haproxy,nginx/logs,origin/logs} "$results"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]+"${pids[@]}"}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() {
  local port=$1 i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  log "nothing listening on port $port"
  exit 1
}

# --- certificates: one ECDSA P-256 certificate for the L7 route, the same for every proxy ------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj /CN=l7.bench -addext subjectAltName=DNS:l7.bench,IP:127.0.0.1 \
  -keyout "$work/l7.key" -out "$work/l7.pem" 2>/dev/null
cat "$work/l7.pem" "$work/l7.key" > "$work/haproxy/l7-combined.pem"

# --- configurations ---------------------------------------------------------------------------------------
# write_configs: the proxies' configurations for the current layout's workers.
write_configs() {
# The pool route needs the [[listeners.routes]] backends/balance keys (issue 16): written only when measured.
local pool_route="" pool_servers=""
if [[ " $scenarios " == *" l4_pool_connrate "* ]]; then
  pool_route=$(printf '  [[listeners.routes]]\n  hostname = "pool.bench"\n  backends = ["127.0.0.1:%s", "127.0.0.1:%s", "127.0.0.1:%s"]\n  balance = "round_robin"\n' "${pool_ports[@]}")
fi
pool_servers=$(printf '  server pool%s 127.0.0.1:%s\n' "${pool_ports[0]}" "${pool_ports[0]}" "${pool_ports[1]}" "${pool_ports[1]}" "${pool_ports[2]}" "${pool_ports[2]}")
cat > "$work/mc-proxy/mc-proxy.toml" <<TOML
[database]
path = "mc-proxy.db"

[[listeners]]
addr = "127.0.0.1:${l4_port[mc-proxy]}"

  [[listeners.routes]]
  hostname = "answer.bench"
  backend = "127.0.0.1:$answer_port"

  [[listeners.routes]]
  hostname = "echo.bench"
  backend = "127.0.0.1:$echo_port"

  [[listeners.routes]]
  hostname = "source.bench"
  backend = "127.0.0.1:$source_port"

$pool_route
# wrk and h2load connect to an IP address and so send no usable SNI: the default route catches them.
[[listeners]]
addr = "127.0.0.1:${l7_port[mc-proxy]}"
default_route = "l7.bench"

  [[listeners.routes]]
  hostname = "l7.bench"
  backend = "127.0.0.1:$http_port"
  mode = "l7"
  tls_cert = "../l7.pem"
  tls_key = "../l7.key"

[firewall]
rate_limit = 0

[proxy]
idle_timeout = "300s"

[log]
level = "warn"
TOML

cat > "$work/haproxy/haproxy.cfg" <<CFG
global
  nbthread $workers
  maxconn 8000
$([[ $splice == 1 ]] && echo "  maxpipes 1024" || echo "  nosplice")
  log stderr format raw local0 err

defaults
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s

frontend l4
  mode tcp
$([[ $splice == 1 ]] && echo "  option splice-auto")
  bind 127.0.0.1:${l4_port[haproxy]}
  tcp-request inspect-delay 10s
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend answer if { req_ssl_sni -i answer.bench }
  use_backend echo if { req_ssl_sni -i echo.bench }
  use_backend source if { req_ssl_sni -i source.bench }
  use_backend pool if { req_ssl_sni -i pool.bench }

backend answer
  mode tcp
  server answer 127.0.0.1:$answer_port

backend echo
  mode tcp
  server echo 127.0.0.1:$echo_port

backend source
  mode tcp
  server source 127.0.0.1:$source_port

backend pool
  mode tcp
  balance roundrobin
$pool_servers

frontend l7
  mode http
  bind 127.0.0.1:${l7_port[haproxy]} ssl crt $PWD/$work/haproxy/l7-combined.pem alpn h2,http/1.1
  option forwardfor
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Real-IP %[src]
  default_backend origin

backend origin
  mode http
  server origin 127.0.0.1:$http_port
CFG

cat > "$work/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes $workers;
worker_rlimit_nofile 30000;
pid $PWD/$work/nginx/nginx.pid;
error_log $PWD/$work/nginx/logs/error.log warn;
events { worker_connections 16000; }

stream {
  map \$ssl_preread_server_name \$l4_backend {
    answer.bench 127.0.0.1:$answer_port;
    echo.bench   127.0.0.1:$echo_port;
    source.bench 127.0.0.1:$source_port;
    pool.bench   pool;
    default      127.0.0.1:1;
  }
  upstream pool {
    server 127.0.0.1:${pool_ports[0]};
    server 127.0.0.1:${pool_ports[1]};
    server 127.0.0.1:${pool_ports[2]};
  }
  server {
    listen 127.0.0.1:${l4_port[nginx]};
    ssl_preread on;
    preread_timeout 10s;
    proxy_connect_timeout 5s;
    proxy_timeout 300s;
    proxy_pass \$l4_backend;
  }
}

http {
  access_log off;
  client_body_temp_path $PWD/$work/nginx/body;
  proxy_temp_path $PWD/$work/nginx/proxy;
  upstream origin {
    server 127.0.0.1:$http_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${l7_port[nginx]} ssl http2;
    ssl_certificate $PWD/$work/l7.pem;
    ssl_certificate_key $PWD/$work/l7.key;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Real-IP \$remote_addr;
    }
  }
}
CONF
}
write_configs

# The L7 origin: a small fixed body over HTTP/1.1 keep-alive; the same for every proxy. /large is 1 GiB (a sparse
# file: no disk) for the slow readers.
mkdir -p "$work/origin/www"
truncate -s 1G "$work/origin/www/large"
cat > "$work/origin/nginx.conf" <<CONF
worker_processes 1;
pid $PWD/$work/origin/nginx.pid;
error_log $PWD/$work/origin/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $PWD/$work/origin/body;
  server {
    listen 127.0.0.1:$http_port;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    location / {
      default_type text/plain;
      return 200 "hello from the bench origin\n";
    }
    location = /large {
      root $PWD/$work/origin/www;
      default_type application/octet-stream;
    }
  }
}
CONF

# --- start everything -------------------------------------------------------------------------------------
nice -n "$nice_level" taskset -c "$tool_cpus" "$loadgen" backend --answer $answer_port --echo $echo_port --source $source_port 2>"$work/backend.log" &
pids+=($!)
tool_pids=($!)
for port in "${pool_ports[@]}"; do
  nice -n "$nice_level" taskset -c "$tool_cpus" "$loadgen" backend --answer "$port" 2>>"$work/backend.log" &
  pids+=($!)
  tool_pids+=($!)
done
nice -n "$nice_level" taskset -c "$tool_cpus" nginx -p "$PWD/$work/origin" -c "$PWD/$work/origin/nginx.conf" -g "daemon off;" 2>>"$work/origin/logs/error.log" &
pids+=($!)
tool_pids+=($!)

declare -A proxy_pid measured
start_proxy() {
  local proxy=$1
  case $proxy in
    mc-proxy)
      rm -f "$work"/mc-proxy/mc-proxy.db*
      (cd "$work/mc-proxy" && exec env MCPROXY_SPLICE=$splice ${BENCH_MCPROXY_ENV:-} DOTNET_PROCESSOR_COUNT=$workers nice -n "$nice_level" taskset -c "$proxy_cpus" ../../mc-proxy/mc-proxy server -c mc-proxy.toml >>stdout.log 2>>stderr.log) &
      ;;
    haproxy) nice -n "$nice_level" taskset -c "$proxy_cpus" haproxy -db -f "$work/haproxy/haproxy.cfg" >>"$work/haproxy/stderr.log" 2>&1 & ;;
    nginx) nice -n "$nice_level" taskset -c "$proxy_cpus" nginx -p "$PWD/$work/nginx" -c "$PWD/$work/nginx/nginx.conf" -g "daemon off;" >>"$work/nginx/logs/error.log" 2>&1 & ;;
  esac
  proxy_pid[$proxy]=$!
  pids+=($!)
  wait_port "${l4_port[$proxy]}"
  # The processes whose CPU and memory are measured: nginx's work happens in its workers.
  if [[ $proxy == nginx ]]; then
    sleep 0.3
    measured[$proxy]=$(pgrep -d, -P "${proxy_pid[nginx]}")
  else
    measured[$proxy]=${proxy_pid[$proxy]}
  fi
}

stop_proxy() {
  local pid=${proxy_pid[$1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  while (exec 3<>"/dev/tcp/127.0.0.1/${l4_port[$1]}") 2>/dev/null; do sleep 0.1; done
}

for port in $answer_port $echo_port $source_port $http_port "${pool_ports[@]}"; do wait_port "$port"; done
for proxy in "${proxies[@]}"; do start_proxy "$proxy"; done

raw="$work/raw.tsv"
: > "$raw"
# record SCENARIO PROXY RUN JSON: one raw line per figure of the run.
record() {
  local scenario=$1 proxy=$2 run=$3 json=$4 pair key value
  for pair in $(echo "$json" | tr -d '{}" ' | tr ',' ' '); do
    key=${pair%%:*}
    value=${pair#*:}
    printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$proxy" "$run" "$key" "$value" >> "$raw"
  done
  log "$scenario $proxy run $run: $json"
}

tool() { nice -n "$nice_level" taskset -c "$tool_cpus" "$@"; }

# cpu_seconds PIDS: utime+stime of the comma-separated processes, in seconds.
cpu_seconds() {
  local pid total=0
  for pid in ${1//,/ }; do
    total=$((total + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
  done
  echo "scale=2; $total / $(getconf CLK_TCK)" | bc
}

# with_cpu PROXY KEY COUNT_KEY COMMAND...: runs an L7 tool, adding the proxy's CPU µs per request to its JSON.
with_cpu() {
  local proxy=$1 json before after
  shift
  before=$(cpu_seconds "${measured[$proxy]}")
  json=$("$@")
  after=$(cpu_seconds "${measured[$proxy]}")
  [[ $json == \{* ]] || return 0
  local rate=${json#*:}
  rate=${rate%\}}
  echo "${json%\}},\"cpu_us_per_req\":$(echo "scale=1; ($after - $before) * 1000000 / ($rate * ($duration + 1))" | bc)}"
}

# run_one SCENARIO PROXY: prints the figures as one JSON object, or nothing when the scenario cannot run.
run_one() {
  local scenario=$1 proxy=$2 l4 l7 out
  if [[ $proxy == direct ]]; then
    case $scenario in
      l4_connrate | l4_pool_connrate) l4=$answer_port ;;
      l4_bulk*) l4=$source_port ;;
      l4_latency) l4=$echo_port ;;
      *) return 0 ;;
    esac
  else
    l4=${l4_port[$proxy]}
  fi
  l7=${l7_port[$proxy]:-}
  case $scenario in
    l4_connrate) tool "$loadgen" connrate --target "127.0.0.1:$l4" --sni answer.bench --connections 64 --duration "$duration" --pids "${measured[$proxy]:-}" ;;
    # The same load as l4_connrate, to a route whose three backends take turns (round robin).
    l4_pool_connrate) tool "$loadgen" connrate --target "127.0.0.1:$l4" --sni pool.bench --connections 64 --duration "$duration" --pids "${measured[$proxy]:-}" ;;
    l4_bulk1) tool "$loadgen" bulk --target "127.0.0.1:$l4" --sni source.bench --streams 1 --duration "$duration" --pids "${measured[$proxy]:-}" ;;
    l4_bulk8) tool "$loadgen" bulk --target "127.0.0.1:$l4" --sni source.bench --streams 8 --duration "$duration" --pids "${measured[$proxy]:-}" ;;
    l4_latency) tool "$loadgen" latency --target "127.0.0.1:$l4" --sni echo.bench --rate "$latency_rate" --connections 10 --duration "$duration" ;;
    l4_idle) tool "$loadgen" idle --target "127.0.0.1:$l4" --sni echo.bench --count "$idle_connections" --steps 5 --pids "${measured[$proxy]}" ;;
    # TLS terminated by the proxy, one request answered (HTTP/1.1) or one stream (HTTP/2), then silence.
    l7_idle) tool "$loadgen" l7idle --target "127.0.0.1:$l7" --sni l7.bench --ca "$work/l7.pem" --http 1.1 --count "$idle_connections" --steps 5 --pids "${measured[$proxy]}" ;;
    l7_idle_h2) tool "$loadgen" l7idle --target "127.0.0.1:$l7" --sni l7.bench --ca "$work/l7.pem" --http 2 --count "$idle_connections" --steps 5 --pids "${measured[$proxy]}" ;;
    # HTTP/1.1 downloads of /large by clients with a 4 KiB receive buffer that read nothing once it has begun.
    l7_slowread) tool "$loadgen" l7slowread --target "127.0.0.1:$l7" --sni l7.bench --ca "$work/l7.pem" --path /large --count "$slow_readers" --steps 5 --pids "${measured[$proxy]}" ;;
    l7_h1) with_cpu "$proxy" l7_wrk "$l7" ;;
    # Connection: close makes wrk open a new connection, with a full handshake, for every request.
    l7_handshake) with_cpu "$proxy" l7_wrk "$l7" -H "Connection: close" ;;
    l7_h2) with_cpu "$proxy" l7_h2load "$l7" ;;
  esac
}

# l7_wrk PORT [ARGS]: wrk for BENCH_DURATION plus a second, as long as h2load's warm-up and measured window.
l7_wrk() {
  local port=$1 out
  shift
  out=$(tool wrk -t1 -c50 -d"$((duration + 1))s" "$@" "https://127.0.0.1:$port/" 2>&1) || true
  wrk_result "$out"
}

l7_h2load() {
  local out
  out=$(tool h2load -t1 -c10 -m10 -D "$duration" --warm-up-time=1 "https://127.0.0.1:$1/" 2>&1) || true
  if [[ $out =~ ([0-9]+)\ succeeded ]] && ((BASH_REMATCH[1] > 0)) && [[ $out =~ finished\ in\ [0-9.]+[a-z]*,\ ([0-9.]+)\ req/s ]]; then
    echo "{\"req_per_s\":${BASH_REMATCH[1]}}"
  else
    log "h2load failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
  fi
}

# wrk_result OUTPUT: requests/s when no response was an error, else nothing.
wrk_result() {
  local out=$1 key=req_per_s requests errors=0
  if [[ $out =~ Requests/sec:\ +([0-9.]+) ]]; then
    requests=${BASH_REMATCH[1]}
    [[ $out =~ Non-2xx\ or\ 3xx\ responses:\ ([0-9]+) ]] && errors=${BASH_REMATCH[1]}
    if ((errors > 0)); then
      log "wrk: $errors responses were not 2xx/3xx: figure dropped"
      return 0
    fi
    echo "{\"$key\":$requests}"
  else
    log "wrk failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
  fi
}

# Warm every proxy up before anything is measured: a deployed proxy is warm. mc-proxy needs it most: .NET
# compiles hot methods again, optimised and profile-guided, in the background (tiered compilation), and under
# steady load on one CPU that takes 30-60 s: after 5 s its L7 path still spent about twice the CPU per request of
# its steady state. Every proxy gets the same warm-up.
warm_up() {
local proxy
for proxy in "${proxies[@]}"; do
  tool "$loadgen" connrate --target "127.0.0.1:${l4_port[$proxy]}" --sni answer.bench --duration "$warmup" >/dev/null || true
  tool "$loadgen" latency --target "127.0.0.1:${l4_port[$proxy]}" --sni echo.bench --duration 1 >/dev/null || true
  tool "$loadgen" bulk --target "127.0.0.1:${l4_port[$proxy]}" --sni source.bench --streams 2 --duration 1 >/dev/null || true
  if [[ $scenarios == *l7_* ]]; then
    tool wrk -t1 -c50 -d"${warmup}s" "https://127.0.0.1:${l7_port[$proxy]}/" >/dev/null 2>&1 || true
    tool wrk -t1 -c50 -d2s -H "Connection: close" "https://127.0.0.1:${l7_port[$proxy]}/" >/dev/null 2>&1 || true
    tool h2load -t1 -c10 -m10 -D "$warmup" "https://127.0.0.1:${l7_port[$proxy]}/" >/dev/null 2>&1 || true
  fi
done
}

# measure SUFFIX SCENARIO...: every scenario, recorded as SCENARIO+SUFFIX ("_shared" in the shared layout's pass).
measure() {
local suffix=$1 scenario order run i proxy json
shift
for scenario in "$@"; do
  order=("${proxies[@]}")
  [[ $direct == 1 && $scenario =~ ^l4_(connrate|bulk|latency) ]] && order+=(direct)
  for run in $(seq "$runs"); do
    for i in "${!order[@]}"; do
      proxy=${order[$(((i + run - 1) % ${#order[@]}))]}
      if [[ $scenario == *_idle* || $scenario == *_slowread ]]; then
        # A fresh process, as after a deploy: memory that a warm process freed earlier would hide the cost.
        stop_proxy "$proxy"
        start_proxy "$proxy" >/dev/null
      fi
      json=$(run_one "$scenario" "$proxy") || json=""
      if [[ $json == \{* ]]; then
        record "$scenario$suffix" "$proxy" "$run" "$json"
      else
        log "$scenario$suffix $proxy run $run: no result"
      fi
      sleep 0.5
    done
  done
done
}

started=$(date -u +%s)
warm_up
# shellcheck disable=SC2086
measure "" $scenarios
if [[ $layout == both ]]; then
  # The shared layout, L4 only: two workers per proxy, every process (proxies, backends, tools) on every CPU.
  set_layout shared
  log "shared layout: $workers workers per proxy, CPUs $proxy_cpus"
  for proxy in "${proxies[@]}"; do stop_proxy "$proxy"; done
  write_configs
  for pid in "${tool_pids[@]}" $(pgrep -d' ' -P "${tool_pids[-1]}" || true); do taskset -a -cp "$tool_cpus" "$pid" >/dev/null; done
  for proxy in "${proxies[@]}"; do start_proxy "$proxy"; done
  warm_up
  shared_scenarios=()
  for scenario in $scenarios; do
    [[ $scenario =~ ^l4_(connrate|pool_connrate|bulk1|bulk8|latency)$ ]] && shared_scenarios+=("$scenario")
  done
  measure _shared "${shared_scenarios[@]}"
  set_layout pinned
fi
log "measured in $(($(date -u +%s) - started)) s"

[[ ${BENCH_NO_REPORT:-0} == 1 ]] && { cat "$raw"; exit 0; }

# --- report ---------------------------------------------------------------------------------------------------
stamp=$(date -u +%Y-%m-%d-%H%M)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
machine="$(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
versions="mc-proxy $(git describe --always --dirty 2>/dev/null || echo '?') on .NET $(dotnet --version), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3)"
case $layout in
  pinned) layout_text="$workers worker per proxy (CPU $proxy_cpus; load generators and backends on CPU $tool_cpus)" ;;
  shared) layout_text="$workers workers per proxy, every process on every CPU" ;;
  both) layout_text="1 worker per proxy (CPU 1; load generators and backends on CPU 0), then the L4 rows marked \"shared layout\" with 2 workers per proxy and every process on every CPU" ;;
esac
settings="$layout_text, ${duration} s per figure after a 1 s warm-up (and ${warmup} s of each kind of load before the first), median of $runs runs"
preamble=$(cat <<TEXT
Machine: $machine. Shared and noisy (other builds run beside it): compare ratios within this run only.
Versions: $versions.
Settings: $settings. L4 latency: $latency_rate requests/s of 64 bytes over 10 connections. Idle memory: RSS slope over $idle_connections relayed connections (L4), or TLS connections terminated by the proxy after one HTTP/1.1 request or one HTTP/2 stream (L7), on a freshly started proxy. Slow readers: RSS slope over $slow_readers HTTP/1.1 downloads of a 1 GiB body whose clients (4 KiB receive buffer) read nothing, on a freshly started proxy. CPU per GB: utime+stime of the proxy's processes over the 8-stream window.
Tools: our load generator (bench/McProxy.LoadGen) for L4; wrk -t1 -c50 for HTTP/1.1 (with Connection: close for handshakes); h2load -t1 -c10 -m10 for HTTP/2. L7 origin: nginx, a 28-byte body. No proxy writes access logs; $([[ $splice == 1 ]] && echo "mc-proxy and HAProxy (option splice-auto) relay L4 with splice(2)" || echo "neither proxy splices (BENCH_SPLICE=0)").
TEXT
)
cp "$raw" "$results/$stamp.tsv"
tool "$loadgen" report --raw "$raw" --out "$results/$stamp.md" --plot "$work/plot.dat" --chart "$stamp.png" \
  --date "$(date -u '+%Y-%m-%d %H:%M UTC')" --preamble "$preamble" --readme README.md \
  --summary "$settings; $machine. Full results: [bench/results/$stamp.md](bench/results/$stamp.md)."
gnuplot <<PLOT
set terminal pngcairo size 1200,720 noenhanced font ",10"
set bmargin 16
set rmargin 14
set output "$results/$stamp.png"
set title "mc-proxy and nginx relative to HAProxy (= 1), $(date -u +%Y-%m-%d)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "ratio to HAProxy"
set xtics rotate by -30 left
set key top left
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
plot "$work/plot.dat" using 2:xtic(1) title "mc-proxy / HAProxy" lc rgb "#1f77b4", '' using 3 title "nginx / HAProxy" lc rgb "#2ca02c"
PLOT
log "wrote $results/$stamp.md, $results/$stamp.png and README.md's Performance table"
