#!/usr/bin/env bash
# Installs the Debian packages the tests use (peers no one here wrote, and tools), when missing. `make test` runs
# it first. Silent and quick when everything is there: no apt-get at all. As root it installs what is missing;
# otherwise it names the missing packages and the command to run, and fails, since a password prompt in the
# middle of a test run helps no one.
#   --dry-run   print the apt-get commands instead of running them
# TEST_DEPS_SBIN and TEST_DEPS_NGINX_MODULES move where it looks for daemons and nginx's modules (its own tests).
set -euo pipefail

dry_run=0
case "${1:-}" in
  "") ;;
  --dry-run) dry_run=1 ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

sbin=${TEST_DEPS_SBIN:-/usr/sbin}
nginx_modules=${TEST_DEPS_NGINX_MODULES:-/usr/lib/nginx/modules}
needed=()

# A command the tests run, and the package that provides it.
need_command() {
  command -v "$1" >/dev/null 2>&1 || needed+=("$2")
}

# A daemon: it lives in /usr/sbin, often not on a non-root PATH, so look there too.
need_daemon() {
  command -v "$1" >/dev/null 2>&1 || [ -x "$sbin/$1" ] || needed+=("$2")
}

need_command openssl openssl
need_command curl curl
# systemd-analyze: the deploy tests verify the units with it, offline (no running systemd needed).
need_command systemd-analyze systemd
# The tests lint deploy/install.sh and scripts/ with shellcheck; make -n shows the Makefile's publish commands.
need_command shellcheck shellcheck
need_command make make
# script gives the server a terminal (the text log format test).
need_command script bsdutils
# HAProxy and nginx are the PROXY protocol interop tests' peers; nginx's stream module is a package of its own.
need_daemon haproxy haproxy
need_daemon nginx nginx-light
[ -e "$nginx_modules/ngx_stream_module.so" ] || needed+=(libnginx-mod-stream)

[ ${#needed[@]} -eq 0 ] && exit 0

install=(apt-get install -y -qq "${needed[@]}")
if [ "$(id -u)" -ne 0 ] && [ "$dry_run" -eq 0 ]; then
  {
    echo "The tests need Debian packages that are not installed: ${needed[*]}"
    echo "Install them with:  sudo $0"
    echo "(or: sudo apt-get update && sudo ${install[*]})"
  } >&2
  exit 1
fi

if [ "$dry_run" -eq 1 ]; then
  echo "apt-get update -qq"
  echo "DEBIAN_FRONTEND=noninteractive ${install[*]}"
  exit 0
fi
echo "installing the packages the tests need: ${needed[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${install[@]}"
