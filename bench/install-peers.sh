#!/usr/bin/env bash
# Installs what `make bench` compares against and drives load with, from Debian's packages, when missing:
# HAProxy, nginx with its stream module (ssl_preread), wrk, h2load, gnuplot for the chart, openssl for certificates.
# Needs root (or sudo) the first time; a no-op once everything is there.
set -euo pipefail

missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v nginx >/dev/null || missing+=(nginx-light)
# Debian bookworm ships the stream module (ssl_preread included) as a dynamic module in its own package.
[[ -e /usr/lib/nginx/modules/ngx_stream_module.so ]] || missing+=(libnginx-mod-stream)
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v openssl >/dev/null || missing+=(openssl)
command -v bc >/dev/null || missing+=(bc)

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-peers: installing ${missing[*]}" >&2
sudo=()
((EUID == 0)) || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The distribution's nginx and haproxy services are not used: the benchmark runs its own instances.
for service in nginx haproxy; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
    "${sudo[@]}" systemctl stop "$service" || true
  fi
done
