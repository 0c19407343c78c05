#!/usr/bin/env bash
# Installs mc-proxy on a systemd host, or into a staging root for packaging and tests. Run it again to upgrade.
#
#   make mc-proxy mcproxyctl && sudo deploy/install.sh
#   deploy/install.sh --root /tmp/stage          # or DESTDIR=/tmp/stage deploy/install.sh
#
# Lays down (under the root, "/" by default):
#   /usr/lib/mc-proxy/            the published server (out/mc-proxy), replaced as a whole on upgrade
#   /usr/bin/mc-proxy             symlink to it
#   /usr/lib/mcproxyctl/, /usr/bin/mcproxyctl   the admin CLI, when it was built (out/mcproxyctl)
#   /etc/systemd/system/          mc-proxy.service, mc-proxy-backup.service, mc-proxy-backup.timer
#   /srv/mc-proxy/mc-proxy.toml   the example config, only when there is no config yet: never overwritten
#   /usr/share/doc/mc-proxy/      README.md, RUNBOOK.md, mc-proxy.toml.example
#
# Only when the root is "/": creates the mc-proxy system user, gives it /srv/mc-proxy, reloads systemd and
# restarts mc-proxy if it was running. A staging root gets files and modes only, no owners, no systemctl.
#
# Options:
#   --root DIR          install under DIR instead of / (DESTDIR in the environment does the same)
#   --source DIR        the published server directory (default: out/mc-proxy in this checkout)
#   --ctl-source DIR    the published mcproxyctl directory (default: out/mcproxyctl in this checkout)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo
readonly user=mc-proxy
readonly data=/srv/mc-proxy

die() {
  echo "install.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

root=${DESTDIR:-/}
src_dir=$repo/out/mc-proxy
ctl_source=$repo/out/mcproxyctl
while (($# > 0)); do
  case $1 in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    --source) src_dir=${2:?--source needs a directory}; shift 2 ;;
    --source=*) src_dir=${1#*=}; shift ;;
    --ctl-source) ctl_source=${2:?--ctl-source needs a directory}; shift 2 ;;
    --ctl-source=*) ctl_source=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

[[ -n $root ]] || die "--root is empty"
root=$(realpath -m "$root")
live=false
[[ $root == / ]] && live=true
# Every destination below is "$dest/..."; on the live system that is "/...".
dest=${root%/}

[[ -x $src_dir/mc-proxy ]] || die "$src_dir/mc-proxy not found: build it first (make mc-proxy), or pass --source"
if $live && ((EUID != 0)); then
  die "installing into / needs root (sudo), or pass --root DIR to stage the files"
fi

# Copies a published directory to $2 as a whole: staged beside it, then swapped in, so an upgrade never leaves a
# mix of old and new assemblies (a running process keeps the files it has open).
install_tree() {
  local from=$1 to=$2 stage old
  stage=$to.new.$$
  old=$to.old.$$
  rm -rf "$stage"
  mkdir -p "$(dirname "$to")"
  cp -R "$from/." "$stage/"
  # Readable by all, writable by the owner only, executable where it was.
  chmod -R u=rwX,go=rX "$stage"
  chmod 0755 "$stage"
  if [[ -e $to ]]; then
    mv "$to" "$old"
  fi
  mv "$stage" "$to"
  rm -rf "$old"
}

echo "install.sh: installing into $root"

install_tree "$src_dir" "$dest/usr/lib/mc-proxy"
chmod 0755 "$dest/usr/lib/mc-proxy/mc-proxy"
install -d -m 0755 "$dest/usr/bin"
ln -sfn /usr/lib/mc-proxy/mc-proxy "$dest/usr/bin/mc-proxy"

if [[ -x $ctl_source/mcproxyctl ]]; then
  install_tree "$ctl_source" "$dest/usr/lib/mcproxyctl"
  chmod 0755 "$dest/usr/lib/mcproxyctl/mcproxyctl"
  ln -sfn /usr/lib/mcproxyctl/mcproxyctl "$dest/usr/bin/mcproxyctl"
else
  echo "install.sh: no mcproxyctl in $ctl_source (make mcproxyctl builds it); skipped"
fi

install -d -m 0755 "$dest/etc/systemd/system"
for unit in mc-proxy.service mc-proxy-backup.service mc-proxy-backup.timer; do
  install -m 0644 "$repo/deploy/$unit" "$dest/etc/systemd/system/$unit"
done

install -d -m 0755 "$dest/usr/share/doc/mc-proxy"
install -m 0644 "$repo/mc-proxy.toml.example" "$dest/usr/share/doc/mc-proxy/mc-proxy.toml.example"
for doc in README.md RUNBOOK.md; do
  if [[ -f $repo/$doc ]]; then
    install -m 0644 "$repo/$doc" "$dest/usr/share/doc/mc-proxy/$doc"
  fi
done

if $live && ! getent passwd "$user" >/dev/null; then
  useradd --system --user-group --home-dir "$data" --no-create-home --shell /usr/sbin/nologin \
    --comment "mc-proxy TLS proxy" "$user"
fi

# The data directory: the database, its backups and the admin socket. Only the service user may enter it.
install -d -m 0750 "$dest$data"
config=$dest$data/mc-proxy.toml
first_install=false
if [[ -e $config ]]; then
  echo "install.sh: keeping the existing $data/mc-proxy.toml (the new example is in /usr/share/doc/mc-proxy/)"
else
  first_install=true
  install -m 0640 "$repo/mc-proxy.toml.example" "$config"
fi

if $live; then
  chown "$user:$user" "$data"
  # The service reads its config but cannot change it.
  if $first_install; then
    chown "root:$user" "$config"
  fi

  if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    # An upgrade takes effect now; a first install waits for the operator to edit the config.
    systemctl try-restart mc-proxy.service
  fi
fi

if $first_install; then
  cat <<EOF
install.sh: installed. Next:
  1. edit $data/mc-proxy.toml (listeners, routes, [grpc], [metrics]); see RUNBOOK.md
  2. systemctl enable --now mc-proxy.service mc-proxy-backup.timer
EOF
else
  echo "install.sh: upgraded."
fi
