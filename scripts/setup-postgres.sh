#!/usr/bin/env bash
# PostgreSQL's server binaries for kind: postgres in local mode (and its tests): nothing to do when
# postgres and initdb are on PATH or under /usr/lib/postgresql/*/bin, else Debian's package.
set -euo pipefail
for dir in $(echo "${PATH}" | tr ':' ' ') /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then
    echo "PostgreSQL server binaries: $dir ($("$dir/postgres" --version))"
    exit 0
  fi
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# scripts/test.sh runs the other setups (which also use apt) side by side: wait for dpkg's lock.
for i in 1 2 3 4 5; do $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq && break; sleep 10; done
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >/dev/null
ls -d /usr/lib/postgresql/*/bin
