#!/usr/bin/env bash
# Local playground for `make devserver`: a dev CA, three HTTPS demo backends (L4 routes), one plaintext demo
# backend behind an L7 route (TLS terminated by mc-proxy), and mc-proxy in front of them, so that one curl line
# shows a connection routed by SNI.
#
# First run: creates srv/ (CA, leaf certificates, mc-proxy.toml). Later runs reuse srv/ as it is; delete it to
# start over. Every run builds examples/DemoBackend, starts the backends on 127.0.0.1:9101-9104, then runs
# ./mc-proxy in the foreground on 127.0.0.1:8443 (the Makefile builds ./mc-proxy first). Its log is text, one line
# per event, since [log] format = "auto" picks text on a terminal (json if this script's output is piped).
#
# DEVSERVER_NO_PROXY=1: start only the backends and wait (Ctrl-C to stop), to check them without the proxy.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly srv=srv
readonly certs=$srv/certs
readonly config=$srv/mc-proxy.toml
readonly backend_dir=out/demo-backend
readonly log_dir=out/devserver
readonly proxy_port=8443
# name, port, certificate file stem ("-": plaintext, behind the l7 route); a route in mc-proxy.toml points at each port.
readonly backends=(
  "alpha 9101 alpha"
  "apps 9102 apps"
  "fallback 9103 fallback"
  "web 9104 -"
)

die() {
  echo "devserver: $*" >&2
  exit 1
}

for tool in dotnet openssl; do
  command -v "$tool" >/dev/null || die "$tool is required but not on PATH"
done

backend_pids=()
srv_tmp=""
stop_backends() {
  local pid
  # The +expansion keeps an empty array legal under set -u on older bash (macOS ships 3.2).
  for pid in ${backend_pids[@]+"${backend_pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
}
cleanup() {
  stop_backends
  if [[ -n $srv_tmp ]]; then
    rm -rf "$srv_tmp"
  fi
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- srv/: dev CA, certificates, config (first run only) ---------------------------------------------------

# Runs a command silently, showing its output only if it fails (openssl chatters on stderr when it succeeds).
quiet() {
  local output
  if ! output=$("$@" 2>&1); then
    echo "$output" >&2
    echo "devserver: failed: $*" >&2
    return 1
  fi
}

# $1 directory, $2 file stem, $3 subject CN, $4 subjectAltName
issue_leaf() {
  local dir=$1 stem=$2 cn=$3 san=$4
  quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$stem.key"
  quiet openssl req -new -key "$dir/$stem.key" -subj "/CN=$cn" -out "$dir/$stem.csr"
  cat >"$dir/$stem.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
  quiet openssl x509 -req -in "$dir/$stem.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 \
    -extfile "$dir/$stem.ext" -out "$dir/$stem.pem"
  rm "$dir/$stem.csr" "$dir/$stem.ext"
}

create_srv() {
  echo "devserver: first run, creating $srv/ (dev CA, certificates, config)"
  # Built aside and moved into place at the end, so an interrupted run never leaves a half-made srv/ to reuse.
  srv_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mc-proxy-srv.XXXXXX")
  local dir=$srv_tmp/certs
  mkdir "$dir"
  (
    umask 077
    # The name constraints limit what this CA can vouch for, should someone add it to a trust store and its
    # key (lying in a work tree) leak: only *.mc-proxy.test names and 127.0.0.1.
    cat >"$dir/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = mc-proxy dev CA (local only)
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, permitted;DNS:mc-proxy.test, permitted;IP:127.0.0.1/255.255.255.255
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key"
    quiet openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -config "$dir/ca.cnf" -out "$dir/ca.pem"
    rm "$dir/ca.cnf"

    issue_leaf "$dir" alpha alpha.mc-proxy.test "DNS:alpha.mc-proxy.test"
    issue_leaf "$dir" apps '*.apps.mc-proxy.test' "DNS:*.apps.mc-proxy.test"
    # The IP SAN lets `curl https://127.0.0.1:8443/` (no SNI, so the default route) verify the fallback backend.
    issue_leaf "$dir" fallback fallback.mc-proxy.test "DNS:fallback.mc-proxy.test, IP:127.0.0.1"
    # Presented by mc-proxy itself: the l7 route terminates TLS with it.
    issue_leaf "$dir" web web.mc-proxy.test "DNS:web.mc-proxy.test"
    chmod 644 "$dir"/*.pem
  )

  cat >"$srv_tmp/mc-proxy.toml" <<EOF
# Written by scripts/devserver.sh for local development; delete srv/ to regenerate it.
# Relative paths resolve against this file's directory.

[database]
path = "mc-proxy.db"

[log]
level = "info"
format = "auto"                            # text in this terminal (one line per event), json when piped

[proxy]
hello_timeout = "5s"

[[listeners]]
addr = "127.0.0.1:$proxy_port"
default_route = "fallback.mc-proxy.test"   # no SNI, or one no route matches

  [[listeners.routes]]
  hostname = "alpha.mc-proxy.test"
  backend = "127.0.0.1:9101"
  mode = "l4"

  [[listeners.routes]]
  hostname = "*.apps.mc-proxy.test"
  backend = "127.0.0.1:9102"
  mode = "l4"

  [[listeners.routes]]
  hostname = "fallback.mc-proxy.test"
  backend = "127.0.0.1:9103"
  mode = "l4"

  [[listeners.routes]]
  hostname = "web.mc-proxy.test"            # l7: mc-proxy terminates TLS and forwards HTTP
  backend = "127.0.0.1:9104"                # plaintext HTTP/1.1
  mode = "l7"
  tls_cert = "certs/web.pem"
  tls_key = "certs/web.key"

    [[listeners.routes.l7_policies]]
    type = "block_user_agent"
    value = "BadBot"
EOF

  mv "$srv_tmp" "$srv"
  srv_tmp=""
}

if [[ -d $srv ]]; then
  echo "devserver: reusing $srv/ (delete it to regenerate certificates and config)"
else
  create_srv
fi

# --- demo backends -------------------------------------------------------------------------------------------

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

for backend in "${backends[@]}"; do
  read -r name port _ <<<"$backend"
  # Otherwise a leftover backend would answer the readiness check below in place of the new one.
  if port_open "$port"; then
    die "127.0.0.1:$port is already in use (another devserver still running?); backend $name needs it"
  fi
done

echo "devserver: building examples/DemoBackend"
if ! build_output=$(dotnet build examples/DemoBackend/DemoBackend.csproj -c Release -o "$backend_dir" \
  --nologo -v quiet -tl:off 2>&1); then
  echo "$build_output" >&2
  die "building examples/DemoBackend failed"
fi

mkdir -p "$log_dir"
for backend in "${backends[@]}"; do
  read -r name port stem <<<"$backend"
  if [[ $stem == - ]]; then
    tls_args=(--plain)
  else
    tls_args=(--cert "$certs/$stem.pem" --key "$certs/$stem.key")
  fi
  dotnet "$backend_dir/DemoBackend.dll" --listen "127.0.0.1:$port" "${tls_args[@]}" \
    --name "$name" >"$log_dir/$name.log" 2>&1 &
  backend_pids+=("$!")
done

# Up to 30 s: the first start on a busy machine JIT-compiles Kestrel.
for i in "${!backends[@]}"; do
  read -r name port _ <<<"${backends[$i]}"
  pid=${backend_pids[$i]}
  for ((tries = 0; ; tries++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$log_dir/$name.log" >&2
      die "backend $name exited during startup (log above, also in $log_dir/$name.log)"
    fi
    if port_open "$port"; then
      break
    fi
    if ((tries >= 300)); then
      die "backend $name did not accept on 127.0.0.1:$port within 30 s (see $log_dir/$name.log)"
    fi
    sleep 0.1
  done
  read -r _ _ stem <<<"${backends[$i]}"
  scheme=https
  [[ $stem == - ]] && scheme=http
  echo "devserver: backend $name on $scheme://127.0.0.1:$port (log: $log_dir/$name.log)"
done

# --- mc-proxy ------------------------------------------------------------------------------------------------

curl_base="curl --cacert $certs/ca.pem"
if [[ ${DEVSERVER_NO_PROXY:-} == 1 ]]; then
  cat <<EOF

DEVSERVER_NO_PROXY=1: backends only, no proxy. Try them directly:
  $curl_base --resolve alpha.mc-proxy.test:9101:127.0.0.1 https://alpha.mc-proxy.test:9101/
  $curl_base --resolve web.apps.mc-proxy.test:9102:127.0.0.1 https://web.apps.mc-proxy.test:9102/
  $curl_base --resolve fallback.mc-proxy.test:9103:127.0.0.1 https://fallback.mc-proxy.test:9103/
  curl http://127.0.0.1:9104/
Ctrl-C stops them.
EOF
  wait
  exit 0
fi

[[ -x ./mc-proxy ]] || die "./mc-proxy not found; build it first (make mc-proxy)"

cat <<EOF

mc-proxy routes 127.0.0.1:$proxy_port by SNI to the backends above. In another terminal, try:
  $curl_base --resolve alpha.mc-proxy.test:$proxy_port:127.0.0.1 https://alpha.mc-proxy.test:$proxy_port/
  $curl_base --resolve web.apps.mc-proxy.test:$proxy_port:127.0.0.1 https://web.apps.mc-proxy.test:$proxy_port/
  $curl_base https://127.0.0.1:$proxy_port/     # no SNI: the default route, fallback
Each answer names the backend that served it and the SNI it saw; add --http1.1 for HTTP/1.1. Below, one access
line per connection (client, SNI, mode, backend, outcome, duration) and per L7 request.

The l7 route: mc-proxy terminates TLS itself (certificate web.mc-proxy.test) and forwards HTTP to a plaintext
backend, setting X-Forwarded-For from the real client whatever the client sends; its policy blocks "BadBot":
  $curl_base --resolve web.mc-proxy.test:$proxy_port:127.0.0.1 -H 'X-Forwarded-For: 6.6.6.6' https://web.mc-proxy.test:$proxy_port/
  $curl_base --resolve web.mc-proxy.test:$proxy_port:127.0.0.1 -A BadBot -i https://web.mc-proxy.test:$proxy_port/   # 403
Ctrl-C stops the proxy and the backends.

EOF

# exec hands the proxy this PID and the terminal's signals directly, but drops this shell's traps. A watchdog
# outlives the exec and stops the backends once the proxy exits; it ignores SIGINT so Ctrl-C does not take it
# down before it has done so.
proxy_pid=$$
(
  trap '' INT
  while kill -0 "$proxy_pid" 2>/dev/null; do
    sleep 1
  done
  stop_backends
) </dev/null >/dev/null 2>&1 &
trap - EXIT INT TERM
exec ./mc-proxy server -c "$config"
