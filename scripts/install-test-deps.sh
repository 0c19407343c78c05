#!/usr/bin/env bash
# Installs the Debian packages the tests use (peers no one here wrote, and tools), when missing.
set -euo pipefail
needed=()
# command:package. systemd provides systemd-analyze (the deploy tests verify the units with it, offline: no
# running systemd needed); shellcheck lints deploy/install.sh; make -n shows the Makefile's publish commands;
# script gives the server a terminal (the text log format test).
for pair in openssl:openssl curl:curl systemd-analyze:systemd shellcheck:shellcheck make:make script:bsdutils; do
  cmd=${pair%%:*}; pkg=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || needed+=("$pkg")
done
# Daemons live in /usr/sbin, often not on a non-root PATH: look there too. HAProxy and nginx are the PROXY
# protocol interop tests' peers.
for pair in haproxy:haproxy nginx:nginx-light; do
  cmd=${pair%%:*}; pkg=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || needed+=("$pkg")
done
# nginx's stream module is a package of its own.
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || needed+=(libnginx-mod-stream)
if [ ${#needed[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${needed[@]}"
fi
